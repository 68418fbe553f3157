"""LatencyMon (Resplendence) reports saved with File > Save report (UTF-16 or UTF-8).

Sections under ``____`` rules: CONCLUSION (the verdict, then "LatencyMon has been analyzing your
system for h:mm:ss"), SYSTEM INFORMATION ("Computer name:", "OS version:", "Logical
processors:"), REPORTED ISRs / REPORTED DPCs ("Highest DPC routine execution time (µs):",
"Driver with highest DPC routine execution time: <driver> - <description>, <company>",
"Highest reported total DPC routine time (%):", "Driver with highest DPC total execution
time:", "Total time spent in DPCs (%)", "DPC count (execution time <250 µs):" ...) and PER
CPU DATA ("CPU n DPC total execution time (s):"). Numbers use the machine's decimal mark
(``63,694805``); the µ sign is often mangled by a code page, so labels are matched without it.
A "Report taken at:" line is read wherever it is (``end_local``; the monitoring ran for the
stated time before it, ``start_local``: the report may have been saved later, so that is the
latest the run can have ended).

What becomes a :class:`ModuleUse`:

* the drivers the statistics name: the highest-execution driver gets ``longest_us``; the
  highest-total driver gets ``share`` (its percentage over the total percentage of its kind)
  and ``time_us`` (that share of the per-CPU total execution time, when PER CPU DATA is there);
* the drivers table when one follows the report (the Drivers tab copied into the file: tab or
  two-space separated, columns ``Driver``/``Module``, ``Description``, ``ISR count``, ``DPC
  count``, ``Highest execution (ms)``, ``Total execution (ms)``, ...): every driver, with
  counts, times and descriptions. LatencyMon adds a driver's ISR and DPC time together there:
  the time and the longest execution go to the kind it ran more often, the other kind gets its
  count and a time of 0 (so that shares stay comparable). Shares are then recomputed over the
  table.

The whole-system bucket counts ("DPC count (execution time >=4000 µs)") are kept in
``extra["buckets"]`` (``over_long`` is per driver and LatencyMon does not give it per driver).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from hbtriage.errors import InputError
from hbtriage.sources._dpcisr_common import (
    ReportReader,
    cut_warning,
    fill_shares,
    norm_module,
    ordered,
    parse_count,
    parse_datetime,
    parse_num,
)
from hbtriage.sources._sniffs import LATENCYMON_RE as _SNIFF
from hbtriage.sources._sniffs import latencymon as _sniff
from hbtriage.sources.base import DpcTrace, ModuleUse, ReadResult
from hbtriage.warning_text import warn

KIND = "latencymon"

_RULE = re.compile(r"^\s*_{20,}\s*$")
_ANALYZING = re.compile(
    r"LatencyMon has been analy[sz]ing your system for\s+(\d+):(\d{1,2}):(\d{1,2})", re.I
)
_LABEL = re.compile(r"^\s*([A-Za-z][^:]{2,80}?)\s*(?:\([^)]{0,8}\))?\s*:?\s{2,}(\S.*?)\s*$")
_COLON_LABEL = re.compile(r"^\s*([A-Za-z][^:]{2,80}?)\s*(?:\([^)]{0,8}\))?\s*:\s*(\S.*?)\s*$")
_BUCKET = re.compile(r"^(DPC|ISR) count \(execution time\s*(.*?)\s*\S{0,3}\)$", re.I)
_PER_CPU = re.compile(r"^CPU (\d+) (DPC|ISR) total execution time$", re.I)


def _labels(text: str) -> dict[str, str]:
    """Label -> value of every "Label (unit):   value" line (first occurrence wins)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if "\t" in line:
            continue
        m = _COLON_LABEL.match(line) or _LABEL.match(line)
        if m:
            found.setdefault(" ".join(m.group(1).lower().split()), m.group(2))
    return found


def _driver(value: str) -> tuple[str, str]:
    """``ndis.sys - Network Driver Interface, Microsoft Corporation`` -> (name, description)."""
    name, _, rest = value.partition(" - ")
    return norm_module(name), rest.strip()


def _verdict(lines: list[str]) -> str:
    for i, line in enumerate(lines):
        if line.strip().upper() == "CONCLUSION":
            out: list[str] = []
            for nxt in lines[i + 1 : i + 12]:
                if _RULE.match(nxt) and not out:
                    continue
                if not nxt.strip() or _RULE.match(nxt) or _ANALYZING.search(nxt):
                    break
                out.append(nxt.strip())
            return " ".join(out)
    return ""


def _table(lines: list[str]) -> list[dict[str, str]]:
    """The drivers table's rows (lower-cased column names), when the file holds one."""
    for i, line in enumerate(lines):
        sep = "\t" if "\t" in line else None
        cells = [c.strip() for c in (line.split("\t") if sep else re.split(r"\s{2,}", line))]
        names = [c.lower() for c in cells]
        if ("driver" in names or "module" in names) and "dpc count" in names:
            rows: list[dict[str, str]] = []
            for row in lines[i + 1 :]:
                if not row.strip():
                    if rows:
                        break
                    continue
                values = [
                    c.strip()
                    for c in (row.split("\t") if sep else re.split(r"\s{2,}", row.strip()))
                ]
                if len(values) < len(names):
                    if rows:
                        break
                    continue
                rows.append(dict(zip(names, values, strict=False)))
            return rows
    return []


def parse_latencymon(text: str, display: str) -> ReadResult:
    """The :class:`ReadResult` of one saved report's text."""
    if not _SNIFF.search(text):
        raise InputError(
            display,
            None,
            warn("expect_latencymon"),
        )
    warnings = cut_warning(display, text)
    lines = text.splitlines()
    labels = _labels(text)
    m = _ANALYZING.search(text)
    span_s = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3)) if m else None
    host = (labels.get("computer name") or "").split()
    cpu_text = (labels.get("logical processors") or "").split()
    cpus = parse_count(cpu_text[0]) if cpu_text else None
    taken: datetime | None = parse_datetime(labels.get("report taken at", ""))
    modules: dict[tuple[str, str], ModuleUse] = {}

    def use(name: str, kind: str, description: str) -> ModuleUse:
        got = modules.setdefault((name, kind), ModuleUse(module=name, kind=kind))
        if description and not got.description:
            got.description = description
        return got

    per_cpu: dict[str, float] = {}
    buckets: dict[str, dict[str, int]] = {}
    for label, value in labels.items():
        b = _BUCKET.match(label)
        n = parse_count(value.split()[0]) if value.split() else None
        if b and n is not None:
            buckets.setdefault(b.group(1).lower(), {})[b.group(2)] = n
        c = _PER_CPU.match(label)
        seconds = parse_num(value.split()[0]) if value.split() else None
        if c and seconds is not None:
            per_cpu[c.group(2).lower()] = per_cpu.get(c.group(2).lower(), 0.0) + seconds
    for kind, word in (("dpc", "DPC"), ("isr", "ISR")):
        low = word.lower()
        top = labels.get(f"driver with highest {low} routine execution time")
        highest = parse_num((labels.get(f"highest {low} routine execution time") or "x").split()[0])
        if top:
            name, desc = _driver(top)
            if name:
                use(name, kind, desc).longest_us = highest
        heavy = labels.get(f"driver with highest {low} total execution time") or labels.get(
            f"driver with highest {low} total time"
        )
        pct = parse_num(
            (labels.get(f"highest reported total {low} routine time") or "x").split()[0]
        )
        total_pct = parse_num((labels.get(f"total time spent in {low}s") or "x").split()[0])
        if heavy:
            name, desc = _driver(heavy)
            if name:
                u = use(name, kind, desc)
                if pct is not None and total_pct:
                    u.share = min(1.0, pct / total_pct)
                    if kind in per_cpu:
                        u.time_us = per_cpu[kind] * 1e6 * u.share
    table = _table(lines)
    if table:
        _from_table(table, modules, warnings, display)
    listed = list(modules.values())
    if table:
        for m_ in listed:
            m_.share = None
        fill_shares(listed)
    verdict = _verdict(lines)
    start = taken - timedelta(seconds=span_s) if taken is not None and span_s is not None else None
    trace = DpcTrace(
        tool="latencymon",
        modules=ordered(listed),
        start_local=start,
        end_local=taken,
        span_s=float(span_s) if span_s is not None else None,
        cpus=cpus if cpus and cpus < 100_000 else None,
        verdict=verdict,
    )
    return ReadResult(
        kind=KIND,
        host=host[0] if host else None,
        host_reason=warn("host_reason_latencymon") if host else "",
        dpc=trace,
        warnings=warnings,
        note=warn("note_latencymon", verdict=verdict[:120] or warn("note_latencymon_by_driver")),
        extra={
            "format": "latencymon report",
            "os": labels.get("os version", ""),
            "buckets": buckets,
            "drivers_table": bool(table),
        },
    )


def _from_table(
    table: list[dict[str, str]],
    modules: dict[tuple[str, str], ModuleUse],
    warnings: list[str],
    display: str,
) -> None:
    skipped = 0
    for row in table:
        name = norm_module(row.get("driver") or row.get("module") or "")
        dpc_n = parse_count(row.get("dpc count"))
        isr_n = parse_count(row.get("isr count"))
        highest = parse_num(row.get("highest execution (ms)"))
        total = parse_num(row.get("total execution (ms)"))
        if not name or (dpc_n is None and isr_n is None):
            skipped += 1
            continue
        desc = (row.get("description") or "").strip()
        main = "isr" if (isr_n or 0) > (dpc_n or 0) else "dpc"
        for kind, n in (("dpc", dpc_n), ("isr", isr_n)):
            if not n and kind != main:
                continue
            u = modules.setdefault((name, kind), ModuleUse(module=name, kind=kind))
            u.count = n
            if desc:
                u.description = desc
            if kind == main:
                u.time_us = round(total * 1000, 3) if total is not None else None
                if highest is not None:
                    u.longest_us = round(highest * 1000, 3)
            elif u.time_us is None:
                u.time_us = 0.0
    if skipped:
        reason = warn("latencymon_rows", count=skipped)
        warnings.append(warn("at_file", path=display, reason=reason))


READER = ReportReader(KIND, _sniff, parse_latencymon)
