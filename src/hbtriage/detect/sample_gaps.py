"""Perfmon samples that stop or jump: the whole host (or its collector) froze."""

from __future__ import annotations

from typing import Any

import polars as pl

from hbtriage.catalog import Catalog
from hbtriage.findings import Signal
from hbtriage.timeline import Timeline, runs


def sample_gaps(timeline: Timeline, catalog: Catalog) -> list[Signal]:
    ct = timeline.counters
    if ct.is_empty():
        return []
    ts = sample_times(ct).with_columns(
        (pl.col("ts").diff().over("host").dt.total_nanoseconds() / 1e9).alias("dt"),
        pl.col("ts").shift(1).over("host").alias("prev"),
    )
    stats = ts.group_by("host").agg(pl.col("dt").median().alias("interval"), pl.len().alias("n"))
    ts = ts.join(stats, on="host").filter(pl.col("n") >= 10)
    # One skipped sample at 5 s or 15 s already means the host froze: perfmon never skips idle.
    limit = pl.max_horizontal(pl.col("interval") * 1.8, pl.col("interval") + 2.0)
    gaps = ts.filter(pl.col("dt") > limit)
    out = []
    rows = list(gaps.iter_rows(named=True))
    for row in rows:
        if _the_collectors(row, rows, timeline.counter_clock):
            continue
        out.append(
            Signal(
                kind="sample_gap",
                host=row["host"],
                start=row["prev"],
                end=row["ts"],
                detail=(
                    f"perfmon samples stopped for {row['dt']:.1f} s "
                    f"(sampling interval {row['interval']:.1f} s)"
                ),
                data={"seconds": round(row["dt"], 3), "interval_s": round(row["interval"], 3)},
            )
        )
    return out


def _the_collectors(gap: dict[str, Any], gaps: list[dict[str, Any]], clock: dict[str, str]) -> bool:
    """Whether ``gap``, in the samples of a machine another host collected (``clock``: see
    :attr:`Timeline.counter_clock`), is the collector's own gap: the collector wrote no row at
    all then (it was stunned or restarting), for its counters and the remote machine's alike.
    A remote machine that stalled while the collector ran leaves blank cells instead, a gap in
    its own samples only."""
    collector = clock.get(gap["host"])
    if collector is None:
        return False
    slack = gap["interval"]
    return any(
        g["host"] == collector
        and abs((g["prev"] - gap["prev"]).total_seconds()) <= slack
        and abs((g["ts"] - gap["ts"]).total_seconds()) <= slack
        for g in gaps
    )


def sample_times(counters: pl.DataFrame) -> pl.DataFrame:
    """Each host's distinct sample times in (host, time) order: the times at which at least one
    of its counters has a value. A time where every cell of the host is blank is no sample of
    it: a collector writes ``" "`` in a remote machine's cells when that machine does not
    answer (stunned, restarting, unreachable), and ``relog`` of two captures leaves a machine's
    cells blank at the other capture's time stamps. (As ``counters.filter(value not null)
    .select("host", "ts").unique().sort(["host", "ts"])`` gives them, but one host at a time:
    a unique over two columns of millions of rows hashes every row into new memory.)"""
    hosts, ts, seen = counters["host"], counters["ts"], counters["value"].is_not_null()
    spans = runs(counters, ["host"])
    if spans is None:
        parts = [
            (h, ts.filter((hosts.is_null() if h is None else hosts == h) & seen))
            for h in hosts.unique()
        ]
    else:
        parts = [
            (hosts[offset], ts.slice(offset, length).filter(seen.slice(offset, length)))
            for offset, length in spans
        ]
    frames = [
        part.unique().sort().to_frame().select(pl.lit(h, hosts.dtype).alias("host"), "ts")
        for h, part in parts
    ]
    return pl.concat(frames).sort("host", maintain_order=True)
