"""Silences in a log measured against that log's own cadence."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import polars as pl

from hbtriage.catalog import Catalog
from hbtriage.findings import Signal
from hbtriage.timeline import Timeline, runs, spacing
from hbtriage.timeline.model import steps

MIN_GAP_S = 2.0  # never call less than this a gap
CADENCE_FACTOR = 6.0  # a gap is this many times the stream's usual (90th percentile) spacing
MIN_LINES = 50  # a stream needs this many lines to have a cadence at all


def log_gaps(timeline: Timeline, catalog: Catalog) -> list[Signal]:
    ev = timeline.events
    if ev.is_empty():
        return []
    spans = runs(ev, ["host", "stream"])
    gaps = _gaps_grouped(ev) if spans is None else _gaps_by_stream(ev, spans)
    out = []
    for row in gaps:
        out.append(
            Signal(
                kind="log_gap",
                host=row["host"],
                start=row["prev"],
                end=row["ts"],
                detail=(
                    f"{row['stream']} log silent for {row['dt']:.1f} s "
                    f"(it usually writes a line every {row['median']:.2f} s)"
                ),
                data={
                    "stream": row["stream"],
                    "seconds": round(row["dt"], 3),
                    "cadence_s": round(row["median"] or 0.0, 4),
                    "threshold_s": round(row["threshold"], 3),
                },
            )
        )
    return out


def _gaps_by_stream(ev: pl.DataFrame, spans: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """The gaps of each stream, one zero-copy slice at a time (the timeline's order)."""
    found: list[dict[str, Any]] = []
    for offset, length in spans:
        if length < MIN_LINES:
            continue
        ts = ev["ts"].slice(offset, length)
        measured = spacing.measure(
            ts.to_physical(), short=_ns_at_most(_SHORT_S), gap=_ns_at_least(MIN_GAP_S)
        )
        if measured is not None and _short_enough(measured.steps, measured.short):
            # The usual busy stream, measured by the compiled core (the same figures as
            # below, without a column of its steps).
            if measured.gaps.size:
                found += _measured_gaps(ev, offset, ts, measured)
            continue
        # Nanoseconds (no column of durations first): the step into each line but the first
        # (``after`` = 1), else diff() as it is (a null first).
        found_steps = steps(ts.to_physical())
        after = 0 if found_steps is None else 1
        if found_steps is not None and _dense_ns(found_steps):
            # The usual busy stream: its threshold is MIN_GAP_S, and the steps at or above it
            # are found on the integers (no column of seconds for the whole stream).
            threshold = MIN_GAP_S
            at = (found_steps >= _ns_at_least(threshold)).arg_true()
            if at.is_empty():
                continue
            dt = found_steps / 1e9
        else:
            dt = (ts.to_physical().diff() if found_steps is None else found_steps) / 1e9
            threshold = MIN_GAP_S if _dense(dt) else _threshold(dt)
            at = (dt >= threshold).arg_true()
            if at.is_empty():
                continue
        del found_steps
        median = dt.median()  # (taken only for a stream with a gap)
        found += _rows(ev, offset, ts, at + after, dt.gather(at), median, threshold)
    return found


def _rows(
    ev: pl.DataFrame,
    offset: int,
    ts: pl.Series,
    ends: pl.Series,
    seconds: pl.Series,
    median: Any,
    threshold: float,
) -> list[dict[str, Any]]:
    """The gaps of the stream that starts at row ``offset`` of ``ev`` (times ``ts``): the
    rows ``ends`` (of ``ts``) that end them, their lengths ``seconds``."""
    host, stream = ev["host"][offset], ev["stream"][offset]
    return [
        {
            "host": host,
            "stream": stream,
            "ts": t,
            "prev": prev,
            "dt": d,
            "median": median,
            "threshold": threshold,
        }
        for t, prev, d in zip(
            ts.gather(ends).to_list(),
            ts.gather(ends - 1).to_list(),
            seconds.to_list(),
            strict=True,
        )
    ]


def _measured_gaps(
    ev: pl.DataFrame, offset: int, ts: pl.Series, measured: spacing.Spacing
) -> list[dict[str, Any]]:
    """The gaps of a busy stream (its threshold :data:`MIN_GAP_S`) whose steps the compiled
    core measured: as :func:`_gaps_by_stream` finds them from the column of its steps."""
    median = spacing.middle_value(spacing.middle(measured), 1e9)
    seconds = pl.Series("dt", measured.gap_steps, dtype=pl.Int64) / 1e9
    ends = pl.Series("at", measured.gaps, dtype=pl.Int64) + 1
    return _rows(ev, offset, ts, ends, seconds, median, MIN_GAP_S)


def _threshold(dt: pl.Series) -> float:
    """The gap threshold of a stream of steps ``dt`` (seconds): :data:`CADENCE_FACTOR` times
    their 90th percentile, at least :data:`MIN_GAP_S`."""
    p90 = dt.quantile(0.9)
    return MIN_GAP_S if p90 is None else max(MIN_GAP_S, p90 * CADENCE_FACTOR)


#: Steps this long at the most (seconds): a 90th percentile among them is far below
#: MIN_GAP_S / CADENCE_FACTOR, whatever its rounding.
_SHORT_S = 0.9 * MIN_GAP_S / CADENCE_FACTOR


def _dense(dt: pl.Series) -> bool:
    """Whether the :func:`_threshold` of ``dt`` (steps, seconds) is :data:`MIN_GAP_S` for
    certain, known by a count instead of the selection of their 90th percentile: the two
    steps it lies between (places ``k`` and ``k + 1`` in order, ``k`` as polars finds it for
    steps with no null) are both at most :data:`_SHORT_S`."""
    if dt.null_count():
        return False
    return _short_enough(dt.len(), int((dt <= _SHORT_S).sum()))


def _dense_ns(steps_ns: pl.Series) -> bool:
    """:func:`_dense` of ``steps_ns / 1e9`` (steps in nanoseconds, no null), counted on the
    integers: a step's seconds are at most :data:`_SHORT_S` exactly when the step is at most
    :func:`_ns_at_most` of it (the division is monotone)."""
    if steps_ns.null_count():
        return False
    return _short_enough(steps_ns.len(), int((steps_ns <= _ns_at_most(_SHORT_S)).sum()))


def _short_enough(n: int, short: int) -> bool:
    """Whether ``short`` of ``n`` steps (at least two) reach past the two the 90th percentile
    lies between (places ``k`` and ``k + 1`` in order)."""
    return n >= 2 and short >= int((n - 1) * 0.9) + 2


@functools.cache
def _ns_at_most(seconds: float) -> int:
    """The largest whole number of nanoseconds ``s`` with ``s / 1e9 <= seconds`` as polars
    divides a column of them (so a test on the integers picks the same steps as one on the
    seconds; the division is monotone)."""
    return _crossing(seconds, lambda secs: secs <= seconds) - 1


@functools.cache
def _ns_at_least(seconds: float) -> int:
    """The smallest whole number of nanoseconds ``s`` with ``s / 1e9 >= seconds``."""
    return _crossing(seconds, lambda secs: secs < seconds)


def _crossing(seconds: float, below: Callable[[pl.Series], pl.Series]) -> int:
    """The first whole number of nanoseconds whose seconds (polars' division) are no longer
    ``below`` the bound, found among the few around ``seconds * 1e9``."""
    at = math.floor(seconds * 1e9) - 8
    while True:
        near = pl.Series(range(at, at + 17), dtype=pl.Int64)
        flags = below(near / 1e9).to_list()
        if not flags[0]:
            at -= 16
        elif flags[-1]:
            at += 16
        else:
            return at + flags.index(False)


def _gaps_grouped(ev: pl.DataFrame) -> list[dict[str, Any]]:
    """The same for frames whose streams are interleaved (built by hand)."""
    d = ev.select("host", "stream", "ts").with_columns(
        (pl.col("ts").diff().over(["host", "stream"]).dt.total_nanoseconds() / 1e9).alias("dt"),
        pl.col("ts").shift(1).over(["host", "stream"]).alias("prev"),
    )
    stats = d.group_by(["host", "stream"]).agg(
        pl.col("dt").quantile(0.9).alias("p90"),
        pl.col("dt").median().alias("median"),
        pl.len().alias("n"),
    )
    # Every threshold is at least MIN_GAP_S: only those few rows need the per-stream figures.
    d = (
        d.filter(pl.col("dt") >= MIN_GAP_S)
        .join(stats, on=["host", "stream"], maintain_order="left")
        .filter(pl.col("n") >= MIN_LINES)
    )
    threshold = pl.max_horizontal(pl.lit(MIN_GAP_S), pl.col("p90") * CADENCE_FACTOR)
    return list(
        d.filter(pl.col("dt") >= threshold)
        .with_columns(threshold.alias("threshold"))
        .iter_rows(named=True)
    )
