"""Silences in a log measured against that log's own cadence."""

from __future__ import annotations

import polars as pl

from hbtriage.catalog import Catalog
from hbtriage.findings import Signal
from hbtriage.timeline import Timeline

MIN_GAP_S = 2.0  # never call less than this a gap
CADENCE_FACTOR = 6.0  # a gap is this many times the stream's usual (90th percentile) spacing
MIN_LINES = 50  # a stream needs this many lines to have a cadence at all


def log_gaps(timeline: Timeline, catalog: Catalog) -> list[Signal]:
    ev = timeline.events
    if ev.is_empty():
        return []
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
    gaps = d.filter(pl.col("dt") >= threshold).with_columns(threshold.alias("threshold"))
    out = []
    for row in gaps.iter_rows(named=True):
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
