"""Rotated files of one stream: the lines two files both hold count once
(:func:`hbtriage.timeline.frames._merge_rotated`), whatever the number of files and how
their time spans overlap, and quickly for thousands of small files."""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage.timeline.frames import _merge_rotated

_HOSTS = ["PG1A", "CVP1"]
_STREAMS = ["pim1", "CVP"]
_NS = 1_000_000_007  # times with ns parts: none may be rounded to µs on the way


def _frame(rows: list[tuple[str, str, int | None, str, int, int]]) -> pl.DataFrame:
    sources = sorted({r[3] for r in rows}) or ["x"]
    return pl.DataFrame(
        rows,
        schema={
            "host": pl.Enum(_HOSTS),
            "stream": pl.Enum(_STREAMS),
            "ts": pl.Int64,
            "source": pl.Enum(sources),
            "line": pl.UInt32,
            "_digest": pl.UInt64,
        },
        orient="row",
    ).with_columns(pl.col("ts").cast(pl.Datetime("ns", "UTC")))


def _reference(rows: list[tuple[str, str, int | None, str, int, int]]) -> list[tuple[Any, ...]]:
    """The rule, line by line: a line is a copy when another file of its stream spans its
    time and a line of the same host, stream, time and digest came earlier (in the frame's
    order) from another file than its own."""
    spans: dict[tuple[str, str, str], tuple[int, int]] = {}
    for h, s, t, src, _line, _d in rows:
        if t is not None:
            lo, hi = spans.get((h, s, src), (t, t))
            spans[(h, s, src)] = (min(lo, t), max(hi, t))
    first: dict[tuple[Any, ...], str] = {}
    kept = []
    for h, s, t, src, line, d in rows:
        inside = t is not None and any(
            lo <= t <= hi
            for (h2, s2, src2), (lo, hi) in spans.items()
            if (h2, s2) == (h, s) and src2 != src
        )
        key = (h, s, t, d)
        if inside:
            owner = first.setdefault(key, src)
            if owner != src:
                continue
        kept.append((h, s, t, src, line, d))
    order = {name: i for i, name in enumerate(_HOSTS)}, {n: i for i, n in enumerate(_STREAMS)}
    srcs = sorted({r[3] for r in rows})
    return sorted(
        kept,
        key=lambda r: (
            order[0][r[0]],
            order[1][r[1]],
            r[2] is not None,
            r[2] or 0,
            srcs.index(r[3]),
            r[4],
        ),
    )


def _rows_of(df: pl.DataFrame) -> list[tuple[Any, ...]]:
    return (
        df.with_columns(pl.col("ts").cast(pl.Int64))
        .select("host", "stream", "ts", "source", "line", "_digest")
        .rows()
    )


@st.composite
def _bundles(draw: st.DrawFn) -> list[tuple[str, str, int | None, str, int, int]]:
    rows = []
    for f in range(draw(st.integers(1, 6))):
        host, stream = draw(st.sampled_from(list(zip(_HOSTS, _STREAMS, strict=True))))
        start = draw(st.integers(0, 30))
        for line in range(1, draw(st.integers(1, 8)) + 1):
            t = draw(st.one_of(st.none(), st.integers(start, start + 12))) if line > 1 else start
            digest = draw(st.integers(0, 3))
            rows.append((host, stream, None if t is None else t * _NS, f"f{f}", line, digest))
    return rows


@settings(max_examples=300, deadline=None)
@given(_bundles())
def test_copies_count_once_as_the_rule_says(
    rows: list[tuple[str, str, int | None, str, int, int]],
) -> None:
    got = _rows_of(_merge_rotated(_frame(rows)))
    want = _reference(rows)
    # Rows of one time are in the frame's order within a file; the sort keeps that.
    assert sorted(got, key=repr) == sorted(want, key=repr)
    assert len(got) == len(want)


def test_five_thousand_rotated_files_of_one_stream_share_their_edges_once() -> None:
    """5,000 small files of one stream, each overlapping the next (a syslog server's per-hour
    files, a CVP log cut into pieces): every shared line counts once. (Before, every pair of
    files was joined, 25 million pairs, and the overlaps made one filter term each: about
    6 s for 5,000 files; ``bench/small_files.py`` measures it.)"""
    rows: list[tuple[str, str, int | None, str, int, int]] = []
    for f in range(5000):
        for line in range(5):
            t = (f * 4 + line) * _NS  # the last line of a file is the next file's first
            rows.append(("CVP1", "CVP", t, f"f{f:04d}", line + 1, f * 4 + line))
    frame = _frame(rows)
    merged = _merge_rotated(frame)
    assert merged.height == 5000 * 4 + 1  # the shared lines once each
    assert merged["line"].to_list()[:6] == [1, 2, 3, 4, 5, 2]  # f0000's 5th is f0001's 1st
