"""``tracerpt`` DPC/ISR reports (Windows XP SP2 / Server 2003): ``tracelog -start -dpcisr
-UsePerfCounter`` then ``tracerpt test01.etl -report dpcisr.txt -df``.

The text report is a series of boxed tables (``+----+`` rules, ``| ... |`` rows) titled:

* "DPC processor utilization for the whole trace" / "ISR processor utilization ...": one row
  per driver, its share of processor time as ``p%`` (the last percentage on the row).
  -> ``share`` (each driver's percentage over the sum of the table's percentages).
* "Distribution of <driver> (<routine address>) DPC execution times for the whole trace"
  (and ``ISR``): rows ``lower  upper  count  percent%`` in microseconds, a total row
  ``count  100.00%``. One table per *routine*: a driver's routines are added up. -> ``count``,
  ``longest_us``, ``over_long`` (see :mod:`._dpcisr_common`; an upper bound written as ``-``,
  ``inf`` or nothing is an open top bucket).
* "Distribution of <driver> (<addr>) ISR to <driver> (<addr>) DPC latencies for the whole
  trace": the delay from the end of an ISR to the start of its DPC, same rows. ->
  ``latency_max_us`` of the DPC's driver (upper bound of its highest non-empty bucket).
* "Distribution of all DPC execution times", "Distribution of DPC and ISR processor
  utilization for ... time windows": no driver; the first is kept in ``extra``.

Microsoft's example shows the tables but not the report's header; header lines of the form
``Computer: NAME``, ``Processors: n``, ``Trace start: <date time>``, ``Trace end: ...``,
``Duration: ...`` are read where they appear (inside a box or not) and otherwise left empty.
The processor utilization is a percentage whose base the example does not state, so
``time_us`` stays None rather than guessed: shares come from the percentages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
    parse_datetime,
    parse_num,
    pick_long_us,
)
from hbtriage.sources.base import DpcTrace, ModuleUse, ReadResult
from hbtriage.warning_text import warn

KIND = "tracerpt_dpcisr"
MAX_WARNINGS = 20

_ADDR = r"\(\s*(?:0x)?[0-9A-Fa-f`]+\s*\)"
_UTIL = re.compile(r"^(DPC|ISR) processor utilization for the whole trace", re.I)
_ALL = re.compile(r"^Distribution of all (DPC|ISR) execution times", re.I)
_ROUTINE = re.compile(r"^Distribution of (.+?)\s*" + _ADDR + r"\s*(DPC|ISR) execution times", re.I)
_LATENCY = re.compile(
    r"^Distribution of (.+?)\s*" + _ADDR + r"\s*ISR to (.+?)\s*" + _ADDR + r"\s*DPC latenc", re.I
)
_TITLE_ANY = re.compile(r"^Distribution of |processor utilization for", re.I)
_LABEL = re.compile(
    r"^\|?\s*(computer name|computer|machine|processors|number of processors|trace start|"
    r"start time|trace end|end time|duration)\s*:\s*(.*?)\s*\|?\s*$",
    re.I,
)


@dataclass
class _Table:
    what: str  # "util", "hist", "latency", "all", "skip"
    kind: str = ""
    module: str = ""
    line: int = 0
    buckets: list[Bucket] = field(default_factory=list)
    total: int | None = None


@dataclass
class _State:
    display: str
    util: dict[str, dict[str, float]] = field(default_factory=dict)
    hist: dict[tuple[str, str], list[Bucket]] = field(default_factory=dict)
    latency: dict[str, list[Bucket]] = field(default_factory=dict)
    all_hist: dict[str, list[Bucket]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    edges: set[float] = field(default_factory=set)

    def warn(self, n: int, reason: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(
                warn("at_line", path=self.display, line=n, reason=reason)
                if n
                else warn("at_file", path=self.display, reason=reason)
            )


def _title(text: str, n: int) -> _Table | None:
    m = _UTIL.match(text)
    if m:
        return _Table("util", kind=m.group(1).lower(), line=n)
    m = _LATENCY.match(text)
    if m:
        return _Table("latency", kind="dpc", module=norm_module(m.group(2)), line=n)
    m = _ALL.match(text)
    if m:
        return _Table("all", kind=m.group(1).lower(), line=n)
    m = _ROUTINE.match(text)
    if m:
        return _Table("hist", kind=m.group(2).lower(), module=norm_module(m.group(1)), line=n)
    if _TITLE_ANY.match(text):
        return _Table("skip", line=n)
    return None


def _row(st: _State, table: _Table, cells: list[str], n: int) -> None:
    if table.what == "skip" or not cells:
        return
    if table.what == "util":
        pct = parse_num(cells[-1]) if cells[-1].endswith("%") else None
        module = norm_module(cells[0])
        if pct is None or not module or pct < 0:
            return  # the column-name row, or a rule
        per = st.util.setdefault(table.kind, {})
        per[module] = per.get(module, 0.0) + pct
        return
    if len(cells) == 2 and cells[1].endswith("%"):
        table.total = parse_count(cells[0])
        return
    if len(cells) not in (3, 4) or not cells[-1].endswith("%"):
        if parse_num(cells[0]) is not None:
            st.warn(n, warn("tracerpt_bucket"))
        return
    lo, count = parse_num(cells[0]), parse_count(cells[-2])
    hi = parse_num(cells[1]) if len(cells) == 4 else None
    if lo is None or count is None or (hi is not None and hi < lo) or lo < 0:
        st.warn(n, warn("tracerpt_bucket"))
        return
    table.buckets.append(Bucket(lo, hi, count))
    st.edges.update(e for e in (lo, hi) if e is not None)


def _close(st: _State, table: _Table | None) -> None:
    if table is None or table.what in ("util", "skip"):
        return
    listed = sum(b.count for b in table.buckets)
    if table.total is not None and table.total != listed:
        st.warn(table.line, warn("tracerpt_short", listed=listed, total=table.total))
    if table.what == "hist":
        st.hist.setdefault((table.module, table.kind), []).extend(table.buckets)
    elif table.what == "latency":
        st.latency.setdefault(table.module, []).extend(table.buckets)
    elif table.what == "all":
        st.all_hist.setdefault(table.kind, []).extend(table.buckets)


def _duration_s(text: str) -> float | None:
    m = re.fullmatch(r"(\d+):(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)", text.strip())
    if m:
        return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + (parse_num(m.group(3)) or 0.0)
    m = re.fullmatch(r"([\d.,]+)\s*(ms|s|sec|secs|seconds|min|minutes)?", text.strip(), re.I)
    if not m:
        return None
    value = parse_num(m.group(1))
    unit = (m.group(2) or "s").lower()
    if value is None:
        return None
    return value / 1000 if unit == "ms" else value * 60 if unit.startswith("min") else value


def parse_tracerpt_dpcisr(text: str, display: str) -> ReadResult:
    """The :class:`ReadResult` of one report's text."""
    st = _State(display)
    st.warnings.extend(cut_warning(display, text))
    table: _Table | None = None
    found_title = False
    for i, raw in enumerate(text.splitlines()):
        n = i + 1
        line = raw.strip()
        label = _LABEL.match(line)
        if label and label.group(2):
            st.labels.setdefault(label.group(1).lower(), label.group(2))
            continue
        if not line.startswith("|"):
            if line and not line.startswith("+"):
                _close(st, table)
                table = None
            continue
        inner = line.strip("|").strip()
        new = _title(inner, n)
        if new is not None:
            _close(st, table)
            table, found_title = new, True
            continue
        if table is not None:
            _row(st, table, inner.split(), n)
    _close(st, table)
    if not found_title:
        raise InputError(
            display,
            None,
            warn("expect_tracerpt"),
        )
    long_us = pick_long_us(st.edges)
    keys = dict.fromkeys(
        [
            *st.hist,
            *((m, k) for k, per in st.util.items() for m in per),
            *((m, "dpc") for m in st.latency),
        ]
    )
    modules: list[ModuleUse] = []
    for module, kind in keys:
        buckets = st.hist.get((module, kind))
        use = ModuleUse(module=module, kind=kind)
        if buckets is not None:
            use.count, use.longest_us, use.over_long = hist_stats(buckets, long_us)
        lat = st.latency.get(module) if kind == "dpc" else None
        if lat:
            use.latency_max_us = hist_stats(lat, long_us)[1]
        modules.append(use)
    for kind in {m.kind for m in modules}:
        group = [m for m in modules if m.kind == kind]
        per = st.util.get(kind)
        total = sum(per.values()) if per else 0.0
        if per and total > 0:
            for m in group:
                m.share = per[m.module] / total if m.module in per else None
        elif not per:
            fill_shares(group)
    host = st.labels.get("computer name") or st.labels.get("computer") or st.labels.get("machine")
    start = parse_datetime(st.labels.get("trace start") or st.labels.get("start time") or "")
    end = parse_datetime(st.labels.get("trace end") or st.labels.get("end time") or "")
    span = _duration_s(st.labels.get("duration", ""))
    if span is None and start and end and end >= start:
        span = (end - start).total_seconds()
    if end is None and start is not None and span is not None:
        end = start + timedelta(seconds=span)
    cpus_text = st.labels.get("processors") or st.labels.get("number of processors") or ""
    cpus = parse_count(cpus_text.split()[0]) if cpus_text.split() else None
    all_counts = {k: hist_stats(b, long_us)[0] for k, b in st.all_hist.items()}
    trace = DpcTrace(
        tool="tracerpt",
        modules=ordered(modules),
        start_local=start if isinstance(start, datetime) else None,
        end_local=end,
        span_s=span,
        long_us=long_us,
        cpus=cpus if cpus and cpus < 100_000 else None,
    )
    return ReadResult(
        kind=KIND,
        host=host.split()[0] if host and host.split() else None,
        host_reason=warn("host_reason_tracerpt") if host else "",
        dpc=trace,
        warnings=st.warnings,
        note=warn("note_tracerpt"),
        extra={"format": "tracerpt -report", "all_counts": all_counts},
    )


READER = ReportReader(KIND, _sniffs.tracerpt_dpcisr, parse_tracerpt_dpcisr)
