"""Perfmon samples that stop or jump: the whole host (or its collector) froze."""

from __future__ import annotations

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
    for row in gaps.iter_rows(named=True):
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


def sample_times(counters: pl.DataFrame) -> pl.DataFrame:
    """Each host's distinct sample times in (host, time) order, as
    ``counters.select("host", "ts").unique().sort(["host", "ts"])`` gives them, but one host at
    a time: a unique over two columns of millions of rows hashes every row into new memory."""
    hosts, ts = counters["host"], counters["ts"]
    spans = runs(counters, ["host"])
    if spans is None:
        parts = [
            (h, ts.filter(hosts.is_null() if h is None else hosts == h)) for h in hosts.unique()
        ]
    else:
        parts = [(hosts[offset], ts.slice(offset, length)) for offset, length in spans]
    frames = [
        part.unique().sort().to_frame().select(pl.lit(h, hosts.dtype).alias("host"), "ts")
        for h, part in parts
    ]
    return pl.concat(frames).sort("host", maintain_order=True)
