""":func:`_lines.per_value` gives what a plain per-row conversion gives, on its shortcuts too
(one value only, an enum of strings) and around them (nulls, numbers, an empty frame); a dumplog
piece whose lines do not all share the first line's token takes the general token path."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage.sources import _lines as L
from hbtriage.sources import icm_dumplog
from hbtriage.sources.options import DEFAULT


def _convert(values: pl.DataFrame) -> pl.DataFrame:
    k = pl.col("k").cast(pl.Utf8)
    return values.with_columns(
        (k + "!").alias("shout"), k.str.len_chars().alias("n"), k.cast(pl.Categorical).alias("c")
    )


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        (["a", "a", "a"], pl.Utf8),
        (["a", "b", "a"], pl.Utf8),
        (["a", "b", "b", "a"], pl.Utf8),
        (["", "x", ""], pl.Utf8),
        (["a", None, "a"], pl.Utf8),
        ([None, None], pl.Utf8),
        ([], pl.Utf8),
        ([1, 2, 1], pl.Int64),
        ([7, 7], pl.Int64),
    ],
)
def test_per_value_is_a_per_row_conversion(values: list[object], dtype: pl.DataType) -> None:
    df = pl.DataFrame([pl.Series("i", range(len(values))), pl.Series("k", values, dtype=dtype)])
    got = L.per_value(df, "k", _convert)
    want = _convert(df).with_columns(
        pl.when(pl.col("k").is_not_null()).then(pl.col(c)).alias(c) for c in ("shout", "n", "c")
    )
    assert got.select(want.columns).equals(want)


def test_dumplog_mixed_tokens_take_the_general_path() -> None:
    lines = pl.DataFrame(
        {
            "line": [1, 2, 3, 4],
            "text": [
                "01:00:00:015 pg1A-pim1 Trace: one",
                "01:00:00:016 pg1A-pim1 two",
                "01:00:01:017 pg1A-pim10 Trace: three",
                "01:00:01:018 pg1A-pim1",
            ],
        }
    )
    got = icm_dumplog._fast_typed(lines)
    assert got["node"].cast(pl.Utf8).to_list() == ["pg1A"] * 4
    assert got["component"].cast(pl.Utf8).to_list() == ["pim1", "pim1", "pim10", "pim1"]
    assert got["_hlen"].to_list() == [30, 23, 31, 22]
    assert got["severity"].cast(pl.Utf8).to_list() == ["trace", None, "trace", None]


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.sampled_from(["PG1A", "pg1a", "CVP1", "b", ""]))),
    categorical=st.booleans(),
)
def test_most_frequent_is_the_count_then_first_seen(
    values: list[str | None], categorical: bool
) -> None:
    """The host a reader names from its lines: the value on most rows, the first seen of those
    tied, none when every row is null."""
    s = pl.Series("node", values, dtype=pl.Categorical if categorical else pl.Utf8)
    seen = [v for v in values if v is not None]
    want = max(seen, key=lambda v: (seen.count(v), -seen.index(v))) if seen else None
    assert L.most_frequent(s) == want


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 30),
    fail_at=st.one_of(st.none(), st.integers(0, 30)),
    in_work=st.booleans(),
    ahead_at=st.lists(st.booleans(), min_size=1, max_size=40),
)
def test_working_one_piece_ahead_keeps_order_and_errors(
    n: int, fail_at: int | None, in_work: bool, ahead_at: list[bool]
) -> None:
    """Pieces read and split one ahead on another thread come in file order, each with its
    own result; a failure (reading or splitting piece k) is raised when piece k is asked for,
    after every piece before it was given. The same when reading ahead is turned on and off
    from piece to piece (another file being read at the same time starts or ends)."""
    asked = iter(ahead_at * 50)

    def items() -> Any:
        for i in range(n):
            if fail_at == i and not in_work:
                raise OSError(f"read {i}")
            yield i

    def work(item: int, index: int) -> tuple[int, int]:
        if fail_at == item and in_work:
            raise ValueError(f"split {item}")
        return item * 10, index

    got: list[tuple[int, tuple[int, int]]] = []
    failing = fail_at is not None and fail_at < n
    pieces = L._ahead(items(), work, when=lambda: next(asked))
    if failing:
        with pytest.raises(ValueError if in_work else OSError):
            got.extend(pieces)
    else:
        got.extend(pieces)
    upto = fail_at if failing else n
    assert got == [(i, (i * 10, i)) for i in range(upto)]


def test_stopping_early_takes_at_most_one_piece_ahead() -> None:
    taken: list[int] = []

    def items() -> Any:
        for i in range(100):
            taken.append(i)
            yield i

    ahead = L._ahead(items(), lambda item, _i: item)
    assert [next(ahead)[0] for _ in range(3)] == [0, 1, 2]
    ahead.close()  # the caller stops
    assert len(taken) <= 4


def test_nothing_is_taken_ahead_while_other_files_are_read() -> None:
    """While ``when`` says no (other large files are being read), a piece is read only when
    asked for; once it says yes (the file is the last one being read), one piece ahead."""
    taken: list[int] = []
    alone = [False]

    def items() -> Any:
        for i in range(100):
            taken.append(i)
            yield i

    pieces = L._ahead(items(), lambda item, _i: item, when=lambda: alone[0])
    for i in range(3):
        assert next(pieces)[0] == i
        assert taken == list(range(i + 1))
    alone[0] = True
    assert next(pieces)[0] == 3
    deadline = time.monotonic() + 5
    while len(taken) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert taken == list(range(5))
    pieces.close()


def test_the_count_of_files_the_core_reads_comes_back_to_zero(tmp_path: Path) -> None:
    """Reading ahead is decided on the files the core is reading at the moment: a file read
    whole, a file whose reading stops half-way and a file that cannot be read all leave the
    count as they found it."""
    log = tmp_path / "pim1.txt"
    log.write_text(
        "Events from March 30, 2013\n"
        + "".join(f"01:00:{s:02d}:015 pg1A-pim1 Trace: line {s}\n" for s in range(60)) * 40
    )
    opts = replace(DEFAULT, chunk_bytes=1 << 12)

    def scanner(raw: bytes, first: bool, utf8: bool) -> None:
        return None

    before = L._CORE_FILES[0]
    assert sum(df.height for df, *_ in L._chunks_raw(str(log), "utf-8", None, opts, scanner))
    assert L._CORE_FILES[0] == before
    walk = L._chunks_raw(str(log), "utf-8", None, opts, scanner)
    next(walk)
    assert L._CORE_FILES[0] == before + 1
    walk.close()
    assert L._CORE_FILES[0] == before
    with pytest.raises(OSError):
        list(L._chunks_raw(str(tmp_path / "gone.txt"), "utf-8", None, opts, scanner))
    assert L._CORE_FILES[0] == before
