"""Counts since boot that rose between snapshots: the error counters taken before and after a
loss (``netstat -s``, ``ethtool -S``, ``ip -s link`` ... :mod:`hbtriage.sources.net_counters`).

A series of fewer than :data:`~hbtriage.detect.counter_anomaly.MIN_SAMPLES` samples has no
baseline to stand out from; what it can say is whether a count rose between two of its samples.
Each such rise of a cumulative counter with an ``up`` rule (``anomalies.toml``: the rule's
``min_change`` at least) is a ``counter_anomaly`` signal spanning the two snapshots, marked
``between``: the rise lies somewhere in that time, and the signal joins the incidents it
overlaps. Snapshots more than :data:`MAX_SPAN` apart say nothing of any one incident.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from hbtriage.catalog import Catalog
from hbtriage.detect.counter_anomaly import MIN_SAMPLES, _num
from hbtriage.findings import Signal
from hbtriage.timeline import Timeline

#: Two snapshots further apart than this bracket too long a time to stand for one incident.
MAX_SPAN = timedelta(hours=12)


def snapshot_rises(timeline: Timeline, catalog: Catalog) -> list[Signal]:
    ct = timeline.counters
    if ct.is_empty() or not catalog.anomalies:
        return []
    index = catalog.counter_index()
    rules = {
        (r.object, r.counter): r
        for r in catalog.anomalies.values()
        if r.direction == "up"
        and (hit := index.canonical(r.object, r.counter)) is not None
        and hit[2] == "cumulative"
    }
    if not rules:
        return []
    wanted = pl.any_horizontal((pl.col("object") == o) & (pl.col("counter") == c) for o, c in rules)
    keys = ["host", "object", "instance", "counter"]
    d = ct.filter(wanted.fill_null(False)).select(*keys, "ts", "value")
    if d.is_empty():
        return []
    d = d.with_columns(pl.len().over(keys).alias("_n")).filter(pl.col("_n") < MIN_SAMPLES)
    d = d.sort([*keys, "ts"]).with_columns(pl.col("ts").shift(1).over(keys).alias("_from"))
    out: list[Signal] = []
    for row in d.filter(pl.col("value") > 0).iter_rows(named=True):
        start, end, rise = row["_from"], row["ts"], float(row["value"])
        rule = rules[(str(row["object"]), str(row["counter"]))]
        if start is None or end - start > MAX_SPAN or rise < rule.min_change:
            continue
        inst = f"({row['instance']})" if row["instance"] else ""
        path = f"{row['object']}{inst}\\{row['counter']}"
        out.append(
            Signal(
                kind="counter_anomaly",
                host=str(row["host"]),
                start=start,
                end=end,
                detail=(
                    f"{path} rose by {_num(rise)} between the snapshots of "
                    f"{start:%H:%M:%S} and {end:%H:%M:%S} (the rise lies somewhere in that time)"
                ),
                data={
                    "object": str(row["object"]),
                    "instance": str(row["instance"]),
                    "counter": str(row["counter"]),
                    "direction": "up",
                    "baseline": 0.0,
                    "peak": rise,
                    "peak_at": end,
                    "samples": 2,
                    "between": True,
                },
            )
        )
    return out
