"""Windows DPC/ISR reports written from module totals, in the layouts the readers in
``hbtriage.sources.dpcisr_*`` read: ``xperf -a dpcisr``, tracerpt (Server 2003), WPA raw-row CSV
and LatencyMon's saved report.

Histogram layouts cannot hold single durations: each module's executions are put in buckets
so that what a reader gets back is the input: ``count`` exactly; ``longest_us`` as the upper
edge of its bucket (give bucket edges to get it back exactly); ``over_long`` as the executions
above the report's threshold (xperf's edges make it 4096 µs, tracerpt's here 4000 µs). The
rest of a module's executions go to the bucket of its mean duration.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl

from hbtriage.sources.base import ModuleUse

XPERF_EDGES = [0, *(2**k for k in range(0, 21))]  # 0, 1, 2, 4 ... 1048576 µs
TRACERPT_EDGES = [0, 1, 2, 3, 4, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 4000, 8000, 16000]
_RULE = "_" * 105
_BOX = 78


def _bucket(edges: Sequence[float], value: float) -> int:
    """Index i of the bucket (edges[i], edges[i + 1]] holding ``value`` (the last one beyond)."""
    for i in range(len(edges) - 1):
        if value <= edges[i + 1]:
            return i
    return len(edges) - 2


def _spread(m: ModuleUse, edges: Sequence[float], long_us: float) -> dict[int, int]:
    """Bucket index -> executions for one module (see the module docstring)."""
    n = m.count or 0
    if n <= 0:
        return {}
    mean = (m.time_us or 0.0) / n if m.time_us else (m.longest_us or 1.0)
    longest = m.longest_us if m.longest_us is not None else mean
    top = _bucket(edges, max(longest, 1e-9))
    over = m.over_long or 0
    top_is_long = edges[top] >= long_us
    if over and not top_is_long:
        raise ValueError(f"{m.module}: over_long {over} but longest {longest} µs is not above it")
    in_top = max(over, 1) if top_is_long else 1
    if top_is_long and over < 1:
        raise ValueError(f"{m.module}: longest {longest} µs is over {long_us} µs, over_long 0")
    out = {top: min(in_top, n)}
    rest = n - out[top]
    if rest > 0:
        low = min(_bucket(edges, max(min(mean, longest), 1e-9)), top)
        while low > 0 and edges[low] >= long_us:
            low -= 1
        out[low] = out.get(low, 0) + rest
    return out


def _int_time(m: ModuleUse) -> int:
    return round(m.time_us or 0.0)


# ----------------------------------------------------------------------------------- xperf


def xperf_dpcisr(modules: Sequence[ModuleUse], span_s: float, cpus: int) -> str:
    """An ``xperf -a dpcisr`` report (CRLF line ends, as written on Windows). Module names are
    written as given; each module's time goes to CPU 0 but for an even share on the others."""
    span_us = round(span_s * 1e6)
    cpus = max(1, cpus)
    lines: list[str] = []
    for kind, title in (("dpc", "DPC Info"), ("isr", "Interrupt Info")):
        group = [m for m in modules if m.kind == kind]
        if not group:
            continue
        lines += ["", "-" * 26, title, "", "-" * 26]
        lines += ["CPU Usage Summing By Module For the Whole Trace", ""]
        lines += [f"CPU Usage from 0 us to {span_us} us:", ""]
        lines.append(",".join(f"{'CPU ' + str(c) + ' Usage':>17}" for c in range(cpus)))
        lines.append("".join(f"{'usec':>9} {'%':>6}," for _ in range(cpus)) + " Module")
        for m in group:
            total = _int_time(m)
            share, extra = divmod(total, cpus)
            per = [share + (extra if c == 0 else 0) for c in range(cpus)]
            pct = [100.0 * v / span_us if span_us else 0.0 for v in per]
            cells = ",".join(f"{v:9d} {p:6.2f}" for v, p in zip(per, pct, strict=True))
            lines.append(f"{cells}, {m.module}")
        lines.append("")
        spreads = {m.module: _spread(m, XPERF_EDGES, 4096) for m in group}
        everything: dict[int, int] = {}
        for spread in spreads.values():
            for i, c in spread.items():
                everything[i] = everything.get(i, 0) + c
        top = max([*everything, _bucket(XPERF_EDGES, 8192)])
        lines += _xperf_hist(None, {i: everything.get(i, 0) for i in range(top + 1)})
        for m in group:
            lines += _xperf_hist(m.module, spreads[m.module])
        total_n = sum(everything.values())
        lines.append(f"All Module = {total_n},  Total = {total_n},   EQUAL")
    return "\r\n".join(lines) + "\r\n"


def _xperf_hist(module: str | None, spread: dict[int, int]) -> list[str]:
    total = sum(spread.values())
    head = f"Total = {total}" + (f" for module {module}" if module is not None else "")
    out = [head]
    for i in sorted(spread):
        c = spread[i]
        pct = 100.0 * c / total if total else 0.0
        lo, hi = XPERF_EDGES[i], XPERF_EDGES[i + 1]
        out.append(f"Elapsed Time, > {lo:8d} usecs AND <= {hi:8d} usecs, {c:8d}, or {pct:6.2f}%")
    out += [f"Total, {total:55d}", ""]
    return out


# -------------------------------------------------------------------------------- tracerpt


def _box_rule() -> str:
    return "+" + "-" * _BOX + "+"


def _box_row(text: str) -> str:
    return "| " + text.ljust(_BOX - 2) + " |"


def _routine(module: str, kind: str) -> str:
    """A made-up but stable routine address for a module."""
    seed = sum(ord(ch) * (i + 1) for i, ch in enumerate(module + kind))
    return f"F7{seed * 2654435761 % 0xFFFFFF:06X}"


def tracerpt_dpcisr(
    modules: Sequence[ModuleUse],
    *,
    computer: str | None = None,
    cpus: int | None = None,
    start: datetime | None = None,
    span_s: float | None = None,
) -> str:
    """A tracerpt DPC/ISR report. Utilization percentages come from ``share`` (else the
    modules' time); a module's ``latency_max_us`` becomes an ISR-to-DPC latency table."""
    lines = [_box_rule(), _box_row("Windows Event Trace Session Report"), _box_rule()]
    if computer:
        lines.append(_box_row(f"Computer:           {computer}"))
    if cpus:
        lines.append(_box_row(f"Processors:         {cpus}"))
    if start is not None:
        lines.append(_box_row(f"Trace start:        {start:%m/%d/%Y %I:%M:%S %p}"))
    if span_s is not None:
        lines.append(_box_row(f"Duration:           {span_s:g} s"))
    lines += [_box_rule(), ""]
    for kind, word in (("dpc", "DPC"), ("isr", "ISR")):
        group = [m for m in modules if m.kind == kind]
        if not group:
            continue
        total_time = sum(m.time_us or 0.0 for m in group)
        rows = []
        for m in group:
            share = (
                m.share
                if m.share is not None
                else ((m.time_us or 0.0) / total_time if total_time else 0.0)
            )
            pct = f"{share * 100:.6f}%"
            rows.append(f"{m.module:<24}({_routine(m.module, kind)})".ljust(56) + pct.rjust(18))
        lines += _box(
            f"{word} processor utilization for the whole trace",
            "Module".ljust(56) + "Percent".rjust(18),
            rows,
        )
        for m in group:
            spread = _spread(m, TRACERPT_EDGES, 4000)
            if spread:
                title = f"Distribution of {m.module} ({_routine(m.module, kind)}) {word} execution times for the whole trace"
                lines += _dist(title, spread)
    for m in modules:
        if m.kind == "dpc" and m.latency_max_us is not None:
            isr = f"{m.module} ({_routine(m.module, 'isr')})"
            title = f"Distribution of {isr} ISR to {m.module} ({_routine(m.module, 'dpc')}) DPC latencies for the whole trace"
            lines += _dist(title, {_bucket(TRACERPT_EDGES, max(m.latency_max_us, 1e-9)): 1})
    return "\r\n".join(lines) + "\r\n"


def _box(title: str, header: str, rows: list[str], total: str | None = None) -> list[str]:
    out = [_box_rule(), _box_row(title), _box_rule(), _box_row(header), _box_rule()]
    out += [_box_row(r) for r in rows]
    if total is not None:
        out += [_box_rule(), _box_row(total)]
    return [*out, _box_rule(), ""]


def _dist(title: str, spread: dict[int, int]) -> list[str]:
    total = sum(spread.values())
    rows = []
    for i in range(len(TRACERPT_EDGES) - 1):
        c = spread.get(i, 0)
        pct = 100.0 * c / total if total else 0.0
        rows.append(f"{TRACERPT_EDGES[i]:>10d}{TRACERPT_EDGES[i + 1]:>20d}{c:>17d}{pct:>17.2f}%")
    header = "Lower Bound         Upper Bound            Count             Percent"
    return _box(title, header, rows, f"{total:>47d}{100:>17.2f}%")


# ------------------------------------------------------------------------------------- WPA


WPA_RAW_COLUMNS = (
    "Line,Type,Module,Function,CPU,DPC/ISR Enter Time (s),DPC/ISR Exit Time (s),"
    "Inclusive Duration (ms),Exclusive Duration (ms),Count (DPCs/ISRs)"
)


def wpa_export_name(trace_start: datetime, table: str = "DPC_ISR_Raw_Rows") -> str:
    """The file name ``wpaexporter -prefix <start>_`` gives the export: the reader takes the
    trace start from it."""
    frac = f".{trace_start.microsecond:06d}" if trace_start.microsecond else ""
    return f"{trace_start:%Y-%m-%dT%H-%M-%S}{frac}_{table}.csv"


def wpa_raw_csv(rows: pl.DataFrame, trace_start: datetime) -> str:
    """WPA's raw DPC/ISR rows as ``wpaexporter`` writes them, from rows in DPC_SCHEMA (one
    execution each: ``ts_local`` its entry, ``time_us`` its duration): enter and exit times
    in seconds since ``trace_start``, durations in ms."""
    out = [WPA_RAW_COLUMNS]
    start = pl.lit(trace_start).cast(pl.Datetime("ns"))
    frame = rows.sort("ts_local").with_columns(
        enter=(pl.col("ts_local").cast(pl.Datetime("ns")) - start).dt.total_nanoseconds() / 1e9
    )
    for n, r in enumerate(frame.iter_rows(named=True), start=1):
        dur_us = r["time_us"] if r["time_us"] is not None else (r["span_us"] or 0.0)
        kind = "Interrupt" if r["kind"] == "isr" else "DPC"
        cpu = "" if r["cpu"] is None else str(r["cpu"])
        enter = r["enter"]
        out.append(
            f"{n},{kind},{r['module']},{r['module'].split('.')[0]}Routine,{cpu},{enter:.9f},"
            f"{enter + dur_us / 1e6:.9f},{dur_us / 1e3:.6f},{dur_us / 1e3:.6f},1"
        )
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------ LatencyMon


def _dec(value: float, digits: int, decimal: str) -> str:
    return f"{value:.{digits}f}".replace(".", decimal)


def _label(name: str, value: str) -> str:
    return f"{name:<54}{value}"


def latencymon(
    modules: Sequence[ModuleUse],
    verdict: str,
    taken_at: datetime | None,
    computer: str,
    *,
    span_s: int = 600,
    cpus: int = 4,
    decimal: str = ",",
    os_version: str = "Windows Server 2008 R2, 6.1, build: 7601 (x64)",
) -> str:
    """A LatencyMon report with its drivers table (tab-separated, as the Drivers tab copies),
    UTF-16 being the caller's choice of encoding. A driver with both DPCs and ISRs is one
    table row: its ISR and DPC times are added, as LatencyMon does."""
    h, rest = divmod(int(span_s), 3600)
    lines = [_RULE, "CONCLUSION", _RULE, verdict + " "]
    lines.append(
        f"LatencyMon has been analyzing your system for  {h}:{rest // 60:02d}:{rest % 60:02d}  (h:mm:ss) on all processors."
    )
    lines += ["", "", _RULE, "SYSTEM INFORMATION", _RULE]
    if taken_at is not None:
        lines.append(_label("Report taken at:", f"{taken_at:%Y-%m-%d %H:%M:%S}"))
    lines += [_label("Computer name:", computer), _label("OS version:", os_version)]
    lines += [_label("Logical processors:", str(cpus)), _label("Processor groups:", "1"), ""]
    capacity_us = max(span_s * cpus * 1e6, 1.0)
    per_kind_time: dict[str, float] = {}
    for kind, word in (("isr", "ISR"), ("dpc", "DPC")):
        group = [m for m in modules if m.kind == kind]
        lines += ["", _RULE, f" REPORTED {word}s", _RULE, ""]
        if not group:
            continue
        hi = max(group, key=lambda m: m.longest_us or 0.0)
        heavy = max(group, key=lambda m: m.time_us or 0.0)
        total = sum(m.time_us or 0.0 for m in group)
        per_kind_time[kind] = total
        total_label = "total execution time" if kind == "dpc" else "total time"
        lines += [
            _label(
                f"Highest {word} routine execution time (µs):",
                _dec(hi.longest_us or 0.0, 6, decimal),
            ),
            _label(f"Driver with highest {word} routine execution time:", _named(hi)),
            "",
            _label(
                f"Highest reported total {word} routine time (%):",
                _dec(100 * (heavy.time_us or 0.0) / capacity_us, 6, decimal),
            ),
            _label(f"Driver with highest {word} {total_label}:", _named(heavy)),
            "",
            _label(f"Total time spent in {word}s (%)", _dec(100 * total / capacity_us, 6, decimal)),
            "",
        ]
        n = sum(m.count or 0 for m in group)
        over = sum(m.over_long or 0 for m in group)
        for bucket, count in (
            ("<250", n - over),
            ("250-500", 0),
            ("500-1000", 0),
            ("1000-2000", 0),
            ("2000-4000", 0),
            (">=4000", over),
        ):
            lines.append(_label(f"{word} count (execution time {bucket} µs):", str(count)))
    lines += ["", _RULE, " PER CPU DATA", _RULE]
    for c in range(cpus):
        for kind, word in (("isr", "ISR"), ("dpc", "DPC")):
            seconds = per_kind_time.get(kind, 0.0) / 1e6 / cpus
            lines.append(
                _label(f"CPU {c} {word} total execution time (s):", _dec(seconds, 6, decimal))
            )
        lines.append(_RULE)
    lines += [
        "",
        "Driver\tDescription\tISR count\tDPC count\tHighest execution (ms)\tTotal execution (ms)\tCompany\tFile version",
    ]
    drivers: dict[str, list[ModuleUse]] = {}
    for m in modules:
        drivers.setdefault(m.module, []).append(m)
    for name, uses in drivers.items():
        isr = sum(u.count or 0 for u in uses if u.kind == "isr")
        dpc = sum(u.count or 0 for u in uses if u.kind == "dpc")
        highest = max((u.longest_us or 0.0 for u in uses), default=0.0)
        total = sum(u.time_us or 0.0 for u in uses)
        desc = next((u.description for u in uses if u.description), "")
        lines.append(
            f"{name}\t{desc}\t{isr}\t{dpc}\t{_dec(highest / 1e3, 6, decimal)}\t"
            f"{_dec(total / 1e3, 6, decimal)}\tContoso Ltd.\t1.0.0.0"
        )
    return "\r\n".join(lines) + "\r\n"


def _named(m: ModuleUse) -> str:
    return f"{m.module} - {m.description}" if m.description else m.module


__all__ = [
    "TRACERPT_EDGES",
    "XPERF_EDGES",
    "latencymon",
    "tracerpt_dpcisr",
    "wpa_export_name",
    "wpa_raw_csv",
    "xperf_dpcisr",
]
