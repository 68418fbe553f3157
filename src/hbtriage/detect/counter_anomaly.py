"""Counter values far from the host's own baseline (median and MAD of the capture)."""

from __future__ import annotations

from typing import Any

import polars as pl

from hbtriage.catalog import Catalog
from hbtriage.findings import Signal
from hbtriage.timeline import Timeline, runs

#: A series needs this many samples for a baseline: shorter ones (snapshots taken before and
#: after) are judged by :mod:`hbtriage.detect.counter_snapshots`.
MIN_SAMPLES = 5


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
    # Only the samples of counters with a rule, and only the columns needed: the counters of a
    # large bundle run to millions of rows.
    wanted = pl.any_horizontal(
        (pl.col("object") == o) & (pl.col("counter") == c)
        for o, c in rules.select("object", "counter").unique().iter_rows()
    )
    d = ct.filter(
        wanted.fill_null(False) & pl.col("value").is_not_null() & pl.col("value").is_finite()
    ).select(*keys, "ts", "value")
    if d.is_empty():
        return []
    # One series after the other, in name order, each in time order: the timeline keeps its
    # counters so (see timeline.frames._difference_cumulative); other frames are sorted here.
    spans = runs(d, keys)
    if spans is None or not _in_name_order(d, keys, spans):
        d = d.sort([*keys, "ts"])
        spans = runs(d, keys) or _every_run(d, keys)
    per_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rule in rules.iter_rows(named=True):
        per_pair.setdefault((rule["object"], rule["counter"]), []).append(rule)
    found: list[pl.DataFrame] = []
    for offset, length in spans:
        if length < MIN_SAMPLES:
            continue
        seg = d.slice(offset, length)
        if not seg["ts"].is_sorted():
            seg = seg.sort("ts")
        for rule in per_pair.get((str(seg["object"][0]), str(seg["counter"][0])), []):
            hits = _runs_of_hits(seg, rule, rules.schema)
            if hits is not None:
                found.append(hits)
    if not found:
        return []
    runs_found = pl.concat(found)
    out = []
    for row in runs_found.iter_rows(named=True):
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


def _in_name_order(d: pl.DataFrame, keys: list[str], spans: list[tuple[int, int]]) -> bool:
    """Whether the stretches of ``d`` (one per series) come in the order of their names."""
    starts = d.select(keys)[[offset for offset, _ in spans]]
    return starts.equals(starts.sort(keys, maintain_order=True))


def _runs_of_hits(
    seg: pl.DataFrame, rule: dict[str, Any], schema: pl.Schema
) -> pl.DataFrame | None:
    """Runs of consecutive anomalous samples of one series ``seg`` (in time order) under
    ``rule``: baseline = the series' median, spread = its MAD (robust deviation)."""
    param = {c: pl.lit(rule[c], schema[c]) for c in ("min_change", "factor", "floor", "min_ratio")}
    value, baseline = pl.col("value"), pl.col("baseline")
    d = seg.with_columns(value.median().alias("baseline"))
    d = d.with_columns(((value - baseline).abs().median() * 1.4826).alias("spread"))
    need = pl.max_horizontal(param["min_change"], param["factor"] * pl.col("spread"))
    if rule["direction"] == "up":
        hit = (
            (value - baseline >= need)
            & (value >= param["min_ratio"] * baseline)
            & (param["floor"].is_null() | (value >= param["floor"]))
        )
    elif rule["direction"] == "down":
        hit = (
            (baseline - value >= need)
            & (value * param["min_ratio"] <= baseline)
            & (param["floor"].is_null() | (value <= param["floor"]))
        )
    else:
        return None
    d = d.with_columns(hit.alias("hit"))
    if not d["hit"].any():
        return None
    # A run counts changes of hit along the series.
    d = d.with_columns(
        (pl.col("hit") != pl.col("hit").shift(1)).fill_null(True).cum_sum().alias("run")
    )
    return (
        d.filter(pl.col("hit"))
        .group_by("run", maintain_order=True)
        .agg(
            *(pl.col(k).first() for k in ("host", "object", "instance", "counter")),
            pl.col("ts").min().alias("start"),
            pl.col("ts").max().alias("end"),
            pl.col("baseline").first(),
            pl.lit(rule["direction"], pl.Utf8).alias("direction"),
            pl.lit(rule["rule_title"], pl.Utf8).alias("rule_title"),
            (value.max() if rule["direction"] == "up" else value.min()).alias("peak"),
            pl.col("ts").sort_by("value", descending=True).first().alias("peak_at"),
            pl.len().alias("samples"),
        )
        .drop("run")
    )


def _num(x: float) -> str:
    """Counter values as an engineer writes them: 0, 10, 33.2, 3,820, 2.2e+12."""
    if abs(x) >= 1e9:
        return f"{x:.3g}"
    if abs(x) >= 100 or x == int(x):
        return f"{x:,.0f}"
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _every_run(d: pl.DataFrame, keys: list[str]) -> list[tuple[int, int]]:
    """``(offset, length)`` of each series of a frame sorted by ``keys``, however many there
    are (:func:`runs` stops at ``MAX_RUNS``: tens of thousands of NIC or process instances)."""
    lengths = d.select(pl.struct(keys).rle().struct.field("len"))["len"].to_list()
    out, at = [], 0
    for n in lengths:
        out.append((at, int(n)))
        at += int(n)
    return out
