"""``xperf -i trace.etl -a dpcisr`` text reports: which driver's DPCs and ISRs used the CPUs.

The report has a "DPC Info" and an "Interrupt Info" section (``-dpc`` / ``-isr`` print one).
Each holds, in this order (any part may be missing):

* "CPU Usage Summing By Module For the Whole Trace": ``CPU Usage from 0 us to N us:`` (the
  trace span), a ``CPU n Usage,`` header, then one line per module with a ``usec  %`` pair per
  CPU and the module name last. -> ``time_us`` (summed over CPUs), ``span_s``, ``cpus``.
* Duration histograms: ``Total = N`` and its buckets for all modules, then per module
  ``Total = N for module X.sys`` and lines ``Elapsed Time, >  a usecs AND <=  b usecs,  n, or
  p%`` (the top bucket may be open: ``Elapsed Time, >  a usecs,  n, or  p%``). -> ``count``,
  ``longest_us`` and ``over_long`` (see :mod:`._dpcisr_common`: the bucket edges are powers
  of two, so the threshold becomes 4096 µs and ``DpcTrace.long_us`` says so).
* "Usage From 0 ms to N ms, Summing In n second intervals": per interval and CPU, the DPC (or
  ISR) time of *all* modules together. The report never says when the trace started, and the
  intervals name no module, so they cannot become ``DpcTrace.rows`` (which need an absolute
  time and a module): they are kept in ``extra["intervals"]`` (``kind``, ``start_ms``,
  ``end_ms``, ``usec`` summed over CPUs). The attribution stage uses the whole-trace totals.

The report names no computer: ``host`` stays None (the folder the file is in tells).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hbtriage.errors import InputError
from hbtriage.sources import _sniffs
from hbtriage.sources._dpcisr_common import (
    Bucket,
    ReportReader,
    cut_warning,
    fill_shares,
    hist_stats,
    norm_module,
    ordered,
    parse_count,
    parse_num,
    pick_long_us,
)
from hbtriage.sources.base import DpcTrace, ModuleUse, ReadResult
from hbtriage.warning_text import warn

KIND = "xperf_dpcisr"
MAX_WARNINGS = 20

_SECTIONS = {"dpc info": "dpc", "interrupt info": "isr"}
_SPAN = re.compile(r"^\s*CPU Usage from\s+(\d+)\s*us\s+to\s+(\d+)\s*us", re.I)
_CPU_HEADER = re.compile(r"CPU\s+(\d+)\s+Usage", re.I)
_TOTAL_MODULE = re.compile(r"^\s*Total\s*=\s*([\d.,]+)\s+for\s+module\s+(.+?)\s*$", re.I)
_TOTAL_ALL = re.compile(r"^\s*Total\s*=\s*([\d.,]+)\s*$", re.I)
_BUCKET = re.compile(
    r"^\s*Elapsed Time,\s*>\s*([\d.,]+)\s*usecs(?:\s+AND\s+<=\s*([\d.,]+)\s*usecs)?\s*,"
    r"\s*([\d.,]+)\s*,",
    re.I,
)
_INTERVAL_HEADER = re.compile(r"^\s*Usage From\s+(\d+)\s*ms\s+to\s+(\d+)\s*ms", re.I)
_INTERVAL_ROW = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*:\s*,(.*)$")


@dataclass
class _Kind:
    usage: dict[str, float] = field(default_factory=dict)
    has_usage: bool = False
    hist: dict[str, list[Bucket]] = field(default_factory=dict)
    stated: dict[str, int] = field(default_factory=dict)
    all_total: int | None = None


@dataclass
class _State:
    display: str
    kinds: dict[str, _Kind] = field(default_factory=dict)
    kind: str | None = None
    span_s: float | None = None
    cpus: int | None = None
    intervals: list[dict[str, object]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    edges: set[float] = field(default_factory=set)
    headerless: bool = False

    def section(self, n: int) -> _Kind:
        if self.kind is None:
            self.kind = "dpc"
            self.headerless = True
            self.warn(n, warn("xperf_no_section"))
        return self.kinds.setdefault(self.kind, _Kind())

    def warn(self, n: int, reason: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(
                warn("at_line", path=self.display, line=n, reason=reason)
                if n
                else warn("at_file", path=self.display, reason=reason)
            )


def _usage_rows(lines: list[str], i: int, st: _State, ncpu: int, sec: _Kind) -> int:
    """Reads the per-module usage lines from ``i``; returns the index after them."""
    sec.has_usage = True
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            if sec.usage:
                return i
            i += 1
            continue
        if _TOTAL_ALL.match(line) or _TOTAL_MODULE.match(line) or _BUCKET.match(line):
            return i
        if "usec" in line.lower() and "module" in line.lower():
            i += 1  # the units line under the CPU header
            continue
        cells = line.split(",")
        if len(cells) != ncpu + 1:
            st.warn(i + 1, warn("xperf_usage_pairs", ncpu=ncpu))
            i += 1
            continue
        module = norm_module(cells[-1])
        values = [parse_num(c.split()[0]) if c.split() else None for c in cells[:-1]]
        if not module or any(v is None or v < 0 for v in values):
            st.warn(i + 1, warn("xperf_usage_numbers"))
        else:
            sec.usage[module] = sec.usage.get(module, 0.0) + sum(v or 0.0 for v in values)
        i += 1
    return i


def _interval_rows(lines: list[str], i: int, st: _State) -> int:
    """Reads the interval lines after a "Usage From" header; returns the index after them."""
    kind = st.kind or "dpc"
    seen = False
    while i < len(lines):
        line = lines[i]
        m = _INTERVAL_ROW.match(line)
        if m:
            seen = True
            cells = [c.split() for c in m.group(3).split(",")]
            if len(st.intervals) < 1_000_000:
                st.intervals.append(
                    {
                        "kind": kind,
                        "start_ms": int(m.group(1)),
                        "end_ms": int(m.group(2)),
                        "usec": sum(parse_num(c[0]) or 0.0 for c in cells if c),
                    }
                )
        elif not line.strip():
            if seen:
                return i
        elif not (_CPU_HEADER.search(line) or "(usec)" in line or "(ms)" in line):
            return i
        i += 1
    return i


def parse_xperf_dpcisr(text: str, display: str) -> ReadResult:
    """The :class:`ReadResult` of one report's text."""
    st = _State(display)
    st.warnings.extend(cut_warning(display, text))
    lines = text.splitlines()
    current: str | None = None  # module of the histogram being read ("" = all modules)
    i = 0
    while i < len(lines):
        line = lines[i]
        n = i + 1
        key = line.strip().lower()
        if key in _SECTIONS:
            st.kind = _SECTIONS[key]
            st.kinds.setdefault(st.kind, _Kind())
            current = None
            i += 1
            continue
        m = _SPAN.match(line)
        if m:
            sec = st.section(n)
            a, b = int(m.group(1)), int(m.group(2))
            if b >= a:
                st.span_s = (b - a) / 1e6
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            ncpu = len(_CPU_HEADER.findall(lines[j])) if j < len(lines) else 0
            if ncpu == 0:
                st.warn(n, warn("xperf_cpu_header"))
                i += 1
                continue
            st.cpus = max(st.cpus or 0, ncpu)
            i = _usage_rows(lines, j + 1, st, ncpu, sec)
            continue
        m = _INTERVAL_HEADER.match(line)
        if m:
            if st.span_s is None and int(m.group(2)) >= int(m.group(1)):
                st.span_s = (int(m.group(2)) - int(m.group(1))) / 1e3
            i = _interval_rows(lines, i + 1, st)
            continue
        m = _TOTAL_MODULE.match(line)
        if m:
            sec = st.section(n)
            current = norm_module(m.group(2))
            total = parse_count(m.group(1))
            if current and total is not None:
                sec.stated[current] = sec.stated.get(current, 0) + total
                sec.hist.setdefault(current, [])
            i += 1
            continue
        m = _TOTAL_ALL.match(line)
        if m:
            st.section(n).all_total = parse_count(m.group(1))
            current = ""
            i += 1
            continue
        m = _BUCKET.match(line)
        if m:
            lo, hi, count = parse_num(m.group(1)), m.group(2), parse_count(m.group(3))
            hi_v = parse_num(hi) if hi is not None else None
            if lo is None or count is None or (hi is not None and (hi_v is None or hi_v < lo)):
                st.warn(n, warn("xperf_bucket"))
            elif current is None:
                st.warn(n, warn("xperf_bucket_first"))
            else:
                st.edges.update(e for e in (lo, hi_v) if e is not None)
                if current:
                    st.section(n).hist[current].append(Bucket(lo, hi_v, count))
            i += 1
            continue
        i += 1
    if not st.kinds:
        raise InputError(
            display,
            None,
            warn("expect_xperf"),
        )
    long_us = pick_long_us(st.edges)
    modules: list[ModuleUse] = []
    for kind, sec in st.kinds.items():
        for name in dict.fromkeys([*sec.usage, *sec.hist]):
            buckets = sec.hist.get(name, [])
            listed, longest, over = hist_stats(buckets, long_us)
            stated = sec.stated.get(name)
            if stated is not None and listed < stated and buckets:
                st.warn(0, warn("xperf_hist_short", name=name, listed=listed, stated=stated))
            count = stated if stated is not None else (listed if buckets else None)
            time = sec.usage.get(name) if sec.has_usage else None
            modules.append(
                ModuleUse(
                    module=name,
                    kind=kind,
                    count=count,
                    time_us=time,
                    longest_us=longest,
                    over_long=over if buckets else None,
                )
            )
    fill_shares(modules)
    trace = DpcTrace(
        tool="xperf dpcisr",
        modules=ordered(modules),
        rows=None,
        span_s=st.span_s,
        long_us=long_us,
        cpus=st.cpus,
    )
    return ReadResult(
        kind=KIND,
        dpc=trace,
        warnings=st.warnings,
        note=warn("note_xperf"),
        extra={
            "format": "xperf -a dpcisr",
            "sections": sorted(st.kinds),
            "totals": {k: s.all_total for k, s in st.kinds.items()},
            "intervals": st.intervals,
        },
    )


READER = ReportReader(KIND, _sniffs.xperf_dpcisr, parse_xperf_dpcisr)
