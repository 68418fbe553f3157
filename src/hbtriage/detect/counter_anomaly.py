"""Counter values far from the host's own baseline (median and MAD of the capture)."""

from __future__ import annotations

import polars as pl

from hbtriage.catalog import Catalog
from hbtriage.findings import Signal
from hbtriage.timeline import Timeline


def counter_anomalies(timeline: Timeline, catalog: Catalog) -> list[Signal]:
    ct = timeline.counters
    if ct.is_empty() or not catalog.anomalies:
        return []
    rules = pl.DataFrame(
        {
            "object": [r.object for r in catalog.anomalies.values()],
            "counter": [r.counter for r in catalog.anomalies.values()],
            "direction": [r.direction for r in catalog.anomalies.values()],
            "min_change": [r.min_change for r in catalog.anomalies.values()],
            "factor": [r.factor for r in catalog.anomalies.values()],
            "floor": [r.floor for r in catalog.anomalies.values()],
            "min_ratio": [r.min_ratio for r in catalog.anomalies.values()],
            "rule_title": [r.title for r in catalog.anomalies.values()],
        },
        schema_overrides={"floor": pl.Float64},
    )
    keys = ["host", "object", "instance", "counter"]
    # The names may be categorical (the timeline's) or text (frames built by hand).
    rules = rules.with_columns(pl.col(c).cast(ct.schema[c]) for c in ("object", "counter"))
    d = ct.join(rules, on=["object", "counter"], how="inner").filter(
        pl.col("value").is_not_null() & pl.col("value").is_finite()
    )
    if d.is_empty():
        return []
    # Windows over one integer series id (the rank of the series' names) instead of the four
    # name columns; sorting by it is sorting by the names.
    series = d.select(keys).unique().sort(keys).with_row_index("_sid")
    d = d.join(series, on=keys, how="left", maintain_order="left", nulls_equal=True)
    sid = "_sid"
    d = d.with_columns(pl.col("value").median().over(sid).alias("baseline"))
    d = d.with_columns(
        ((pl.col("value") - pl.col("baseline")).abs().median().over(sid) * 1.4826).alias("spread"),
        pl.len().over(sid).alias("n"),
    ).filter(pl.col("n") >= 5)
    need = pl.max_horizontal(pl.col("min_change"), pl.col("factor") * pl.col("spread"))
    up = (
        (pl.col("direction") == "up")
        & (pl.col("value") - pl.col("baseline") >= need)
        & (pl.col("value") >= pl.col("min_ratio") * pl.col("baseline"))
        & (pl.col("floor").is_null() | (pl.col("value") >= pl.col("floor")))
    )
    down = (
        (pl.col("direction") == "down")
        & (pl.col("baseline") - pl.col("value") >= need)
        & (pl.col("value") * pl.col("min_ratio") <= pl.col("baseline"))
        & (pl.col("floor").is_null() | (pl.col("value") <= pl.col("floor")))
    )
    d = d.sort([sid, "ts"]).with_columns((up | down).alias("hit"))
    # Runs of consecutive anomalous samples become one signal each (d is in series order, so
    # a run is a stretch of rows; "run" counts changes of hit within the series).
    d = d.with_columns(
        (pl.col("hit") != pl.col("hit").shift(1).over(sid))
        .fill_null(True)
        .cum_sum()
        .over(sid)
        .alias("run")
    )
    runs = (
        d.filter(pl.col("hit"))
        .group_by([sid, "run"], maintain_order=True)
        .agg(
            *(pl.col(k).first() for k in keys),
            pl.col("ts").min().alias("start"),
            pl.col("ts").max().alias("end"),
            pl.col("baseline").first(),
            pl.col("direction").first(),
            pl.col("rule_title").first(),
            pl.when(pl.col("direction").first() == "up")
            .then(pl.col("value").max())
            .otherwise(pl.col("value").min())
            .alias("peak"),
            pl.col("ts").sort_by("value", descending=True).first().alias("peak_at"),
            pl.len().alias("samples"),
        )
    )
    out = []
    for row in runs.iter_rows(named=True):
        inst = f"({row['instance']})" if row["instance"] else ""
        path = f"{row['object']}{inst}\\{row['counter']}"
        arrow = "→"
        out.append(
            Signal(
                kind="counter_anomaly",
                host=row["host"],
                start=row["start"],
                end=row["end"],
                detail=(
                    f"{path} {_num(row['baseline'])} {arrow} {_num(row['peak'])} "
                    f"(baseline = the host's median; {row['samples']} sample(s))"
                ),
                data={
                    "object": row["object"],
                    "instance": row["instance"],
                    "counter": row["counter"],
                    "direction": row["direction"],
                    "baseline": float(row["baseline"]),
                    "peak": float(row["peak"]),
                    "peak_at": row["peak_at"],
                    "samples": int(row["samples"]),
                },
            )
        )
    return out


def _num(x: float) -> str:
    """Counter values as an engineer writes them: 0, 10, 33.2, 3,820, 2.2e+12."""
    if abs(x) >= 1e9:
        return f"{x:.3g}"
    if abs(x) >= 100 or x == int(x):
        return f"{x:,.0f}"
    return f"{x:.2f}".rstrip("0").rstrip(".")
