"""DPC/ISR traces for simulated bundles: the reports a Windows performance engineer would take
on a host (WPA raw rows with times, ``xperf -a dpcisr`` totals, a LatencyMon report), with a
culprit driver of a given kind during a DPC storm, or healthy (no module stands out).

Each trace is drawn from its own random stream (seeded by the scenario's seed, the host and the
storm's start), so adding traces leaves every other byte of a bundle as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from hbtriage.simulate import dpc_writers as D
from hbtriage.sources.base import DPC_SCHEMA, ModuleUse

#: Culprit drivers a DPC storm is staged with: (module, LatencyMon's description).
CULPRITS: tuple[tuple[str, str], ...] = (
    ("b57nd60a.sys", "Broadcom NetXtreme Gigabit Ethernet NDIS6.x Driver"),
    ("ndis.sys", "NDIS 6.20 driver"),
    ("e1q62x64.sys", "Intel(R) Gigabit Adapter NDIS 6.x driver"),
    ("vmxnet3n61x64.sys", "VMware vmxnet3 virtual NIC driver"),
    ("storport.sys", "Microsoft Storage Port Driver"),
    ("usbport.sys", "USB 1.1 & 2.0 Port Driver"),
    ("acpi.sys", "ACPI Driver for NT"),
)

#: Modules every host runs DPCs for: (module, DPCs per second, mean duration in µs).
_BACKGROUND: tuple[tuple[str, float, float], ...] = (
    ("ndis.sys", 30.0, 18.0),
    ("tcpip.sys", 12.0, 8.0),
    ("storport.sys", 8.0, 14.0),
    ("b57nd60a.sys", 15.0, 11.0),
    ("ntoskrnl.exe", 20.0, 4.0),
    ("usbport.sys", 3.0, 9.0),
    ("acpi.sys", 1.0, 25.0),
)

FORMATS = ("wpa", "xperf", "latencymon")


@dataclass
class TracePlan:
    """One report to write for ``host``: around ``[start_ms, end_ms]`` (true UTC), with the
    storm ``storm`` (start, end, culprit module) or none."""

    host: str
    fmt: str  # one of FORMATS
    start_ms: int
    end_ms: int
    storm: tuple[int, int, str] | None = None
    seed: int = 0


def plan_storm_trace(
    host: str, storm_start: int, storm_end: int, seed: int, *, fmt: str | None = None
) -> TracePlan | None:
    """The report taken on the storm's host (None in a quarter of bundles: no trace was taken,
    as in the reference case). Its culprit is drawn from :data:`CULPRITS`."""
    rng = np.random.default_rng([seed, storm_start % (2**31), 17])
    if fmt is None and rng.random() < 0.25:
        return None
    fmt = fmt or str(rng.choice(FORMATS))
    culprit = CULPRITS[int(rng.integers(0, len(CULPRITS)))][0]
    lead = int(rng.uniform(60, 120) * 1000)
    tail = int(rng.uniform(5, 20) * 1000)
    return TracePlan(
        host, fmt, storm_start - lead, storm_end + tail, (storm_start, storm_end, culprit), seed
    )


def plan_healthy_trace(host: str, around_ms: int, seed: int) -> TracePlan:
    rng = np.random.default_rng([seed, around_ms % (2**31), 23])
    fmt = str(rng.choice(FORMATS))
    span = int(rng.uniform(90, 180) * 1000)
    return TracePlan(host, fmt, around_ms - span // 2, around_ms + span // 2, None, seed)


def _rows(tp: TracePlan, rng: np.random.Generator, offset_ms: int) -> pl.DataFrame:
    """One row per DPC (DPC_SCHEMA, local time = true UTC + ``offset_ms``)."""
    span_s = (tp.end_ms - tp.start_ms) / 1000
    parts: list[tuple[np.ndarray, np.ndarray, str]] = []
    for module, rate, mean in _BACKGROUND:
        n = int(rng.poisson(rate * span_s))
        at = np.sort(rng.uniform(tp.start_ms, tp.end_ms, n))
        dur = rng.gamma(2.0, mean / 2.0, n)
        parts.append((at, dur, module))
    if tp.storm is not None:
        s, e, culprit = tp.storm
        rate = float(rng.uniform(60, 150))
        mean = float(rng.uniform(1500, 5000))
        n = max(1, int(rate * (e - s) / 1000))
        at = np.sort(rng.uniform(s, e, n))
        dur = np.minimum(rng.gamma(3.0, mean / 3.0, n), 20_000.0)
        parts.append((at, dur, culprit))
    at_all = np.concatenate([p[0] for p in parts])
    dur_all = np.concatenate([p[1] for p in parts])
    mods = [m for p in parts for m in [p[2]] * len(p[0])]
    order = np.argsort(at_all, kind="stable")
    start = datetime(1970, 1, 1)
    ts = [start + timedelta(milliseconds=float(at_all[i]) + offset_ms) for i in order]
    durs = dur_all[order].round(3)
    cpus = rng.integers(0, 4, len(order)).astype(np.int32)
    return pl.DataFrame(
        {
            "ts_local": ts,
            "offset_min": [None] * len(ts),
            "span_us": durs,
            "module": [mods[i] for i in order],
            "kind": ["dpc"] * len(ts),
            "cpu": cpus,
            "count": [1] * len(ts),
            "time_us": durs,
            "max_us": durs,
        },
        schema=DPC_SCHEMA,
    )


def _totals(rows: pl.DataFrame, long_us: float) -> list[ModuleUse]:
    per = (
        rows.group_by("module")
        .agg(
            pl.len().alias("n"),
            pl.col("time_us").sum().alias("t"),
            pl.col("time_us").max().alias("mx"),
            (pl.col("time_us") > long_us).sum().alias("over"),
        )
        .sort("t", descending=True)
    )
    total = float(per["t"].sum()) or 1.0
    return [
        ModuleUse(
            module=r["module"],
            kind="dpc",
            count=int(r["n"]),
            time_us=float(r["t"]),
            share=float(r["t"]) / total,
            longest_us=float(r["mx"]),
            over_long=int(r["over"]),
            description=dict(CULPRITS).get(r["module"], ""),
        )
        for r in per.iter_rows(named=True)
    ]


def write_trace(tp: TracePlan, folder: Path, offset_ms: int, computer: str) -> str:
    """Write the report into ``folder`` and return its file name. ``offset_ms``: the host's
    local time minus true UTC (zone and clock skew)."""
    rng = np.random.default_rng([tp.seed, tp.start_ms % (2**31), 29])
    rows = _rows(tp, rng, offset_ms)
    start_local = datetime(1970, 1, 1) + timedelta(milliseconds=tp.start_ms + offset_ms)
    folder.mkdir(parents=True, exist_ok=True)
    if tp.fmt == "wpa":
        name = D.wpa_export_name(start_local)
        (folder / name).write_text(D.wpa_raw_csv(rows, start_local), encoding="utf-8")
        return name
    span_s = (tp.end_ms - tp.start_ms) / 1000
    if tp.fmt == "xperf":
        modules = _totals(rows, 4096.0)
        name = f"{computer}_dpcisr.txt"
        (folder / name).write_bytes(D.xperf_dpcisr(modules, span_s, 4).encode("utf-8"))
        return name
    modules = _totals(rows, 4000.0)
    bad = tp.storm is not None
    verdict = (
        "Your system appears to be having trouble handling real-time audio and other tasks."
        if bad
        else "Your system appears to be suitable for handling real-time audio and other tasks without dropouts."
    )
    end_local = datetime(1970, 1, 1) + timedelta(milliseconds=tp.end_ms + offset_ms)
    text = D.latencymon(modules, verdict, end_local, computer, span_s=int(span_s), cpus=4)
    name = f"{computer}_latencymon.txt"
    (folder / name).write_bytes(text.encode("utf-16"))
    return name


def truth_of(tp: TracePlan) -> dict[str, object]:
    """What truth.json says of a trace: its file's host, format and culprit (None: healthy)."""
    return {
        "host": tp.host,
        "format": tp.fmt,
        "culprit": tp.storm[2] if tp.storm else None,
        "start": datetime.fromtimestamp(tp.start_ms / 1000, UTC).isoformat(),
        "end": datetime.fromtimestamp(tp.end_ms / 1000, UTC).isoformat(),
    }
