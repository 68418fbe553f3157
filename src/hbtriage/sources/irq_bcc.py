"""bcc / libbpf-tools ``hardirqs`` and ``softirqs`` output (layout: bcc's tools/*_example.txt).

::

    Tracing hard irq event time... Hit Ctrl-C to end.

    08:10:02                         <- -T: the time (of day only) each interval was printed
    HARDIRQ                    TOTAL_usecs   <- TOTAL_nsecs (-N), TOTAL_count (-C)
    ahci[0000:00:1f.2]                  12
    eth0-TxRx-0                       7421

    hardirq = eth0-TxRx-0            <- -d: one log2 histogram per action ('name' in old bcc)
         usecs               : count     distribution
             0 -> 1          : 0        |                                        |
             2 -> 3          : 410      |****************************************|

A histogram gives the count (sum of the buckets) and the longest run as the upper bound of the
highest non-empty bucket; ``over_long`` counts the buckets that lie wholly at or above
``long_us``. Totals give time; ``-C`` gives counts. Without ``-T`` the report has no time: module
totals only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from hbtriage.errors import InputError
from hbtriage.sources import _sniffs
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.irq_common import (
    Row,
    Tally,
    cap,
    date_for_times,
    make_trace,
    text_lines,
    typical_step,
)
from hbtriage.warning_text import warn

KIND = "bcc_irq"

_TIME = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})$")
_TOTALS = re.compile(r"^(HARDIRQ|SOFTIRQ)\s+TOTAL_(usecs|nsecs|msecs|count)$")
_ROW = re.compile(r"^(\S.*?)\s+(\d+)$")
_SECTION = re.compile(r"^(hardirq|softirq)\s*=\s*(.*)$")
_UNITS = re.compile(r"^(usecs|nsecs|msecs)\s*:\s*count\s+distribution")
_BUCKET = re.compile(r"^(\d+)\s*->\s*(\d+)\s*:\s*(\d+)(?:\s*\|.*)?$")
_NOISE = re.compile(r"^(Tracing (hard|soft) irq|Detaching|\^C$)")
_FACTOR = {"usecs": 1.0, "nsecs": 0.001, "msecs": 1000.0, "count": 1.0}


def sniff(head: str) -> bool:
    return _sniffs.bcc_irq(head)


@dataclass
class _Stat:
    count: int | None = None
    time_us: float | None = None
    max_us: float | None = None
    over: int | None = None


@dataclass
class _Interval:
    time: dt.time | None
    line: int
    stats: dict[tuple[str, str], _Stat] = field(default_factory=dict)
    tables: int = 0


def _name(raw: str) -> str:
    """A histogram section's name as the tool meant it: ``'eth0'`` and ``b'eth0'`` are eth0."""
    raw = raw.strip()
    m = re.fullmatch(r"b?(['\"])(.*)\1", raw)
    return m.group(2) if m else raw


def parse(text: str, item: InputFile, long_us: float = 4000.0) -> ReadResult:
    """Read hardirqs/softirqs output; see the module docstring."""
    display = item.display
    intervals: list[_Interval] = []
    cur: _Interval | None = None
    table: tuple[str, str] | None = None  # (kind, unit) of the totals table being read
    section: tuple[str, str] | None = None  # (kind, module) of the histogram being read
    unit = "usecs"
    kinds: set[str] = set()
    lines, bad = text_lines(text)

    def start(time: dt.time | None, n: int) -> _Interval:
        iv = _Interval(time, n)
        intervals.append(iv)
        return iv

    for n, raw in enumerate(lines, 1):
        line = raw.strip().removeprefix("^C").strip()
        if not line or _NOISE.match(line):
            continue
        if m := _TIME.match(line):
            try:
                cur = start(dt.time(int(m[1]), int(m[2]), int(m[3])), n)
            except ValueError:
                bad.append((n, warn("irq_bad_time", found=line[:40])))
                cur = start(None, n)
            table = section = None
            continue
        if m := _TOTALS.match(line):
            kind = m[1].lower()
            if cur is None or cur.tables:
                cur = start(None, n)
            cur.tables += 1
            table, section = (kind, m[2]), None
            kinds.add(kind)
            continue
        if m := _SECTION.match(line):
            kind, module = m[1], _name(m[2])
            if cur is None or (kind, module) in cur.stats:
                cur = start(None, n)
            section, table = (kind, module), None
            cur.stats[section] = _Stat(count=0, over=0)
            kinds.add(kind)
            continue
        if m := _UNITS.match(line):
            unit = m[1]
            continue
        if cur is not None and section is not None and (m := _BUCKET.match(line)):
            lo, hi, count = (int(g) for g in m.groups())
            st = cur.stats[section]
            st.count = (st.count or 0) + count
            if count:
                st.max_us = max(st.max_us or 0.0, hi * _FACTOR[unit])
                if lo * _FACTOR[unit] >= long_us:
                    st.over = (st.over or 0) + count
            continue
        if cur is not None and table is not None and (m := _ROW.match(line)):
            kind, label = table
            value = int(m[2])
            st = cur.stats.setdefault((kind, m[1].strip()), _Stat())
            if label == "count":
                st.count = (st.count or 0) + value
            else:
                st.time_us = (st.time_us or 0.0) + value * _FACTOR[label]
            continue
        bad.append((n, warn("irq_bad_line", found=line[:40])))
    intervals = [iv for iv in intervals if iv.stats]
    if not intervals:
        raise InputError(
            display,
            None,
            warn("expect_bcc"),
        )
    rows, notes = _rows(intervals, item)
    tally = Tally(long_us=long_us)
    for iv in intervals:
        for (kind, module), st in iv.stats.items():
            tally.add(
                module,
                kind,
                count=st.count,
                time_us=st.time_us,
                max_us=st.max_us,
                over_long=st.over,
            )
    tool = "bcc " + "+".join(f"{k}s" for k in sorted(kinds))
    return ReadResult(
        kind=KIND,
        stream="irq",
        dpc=make_trace(tool, tally, rows),
        warnings=cap(display, [(None, note) for note in notes] + bad),
        extra={"format": tool, "intervals": len(intervals)},
    )


def _rows(intervals: list[_Interval], item: InputFile) -> tuple[list[Row], list[str]]:
    timed = [iv for iv in intervals if iv.time is not None]
    if not timed:
        return [], [warn("irq_no_times")]
    ends, note = date_for_times(item, [iv.time for iv in timed if iv.time is not None])
    notes = [note]
    step = typical_step(ends)
    if step is None:
        notes.append(warn("irq_one_interval"))
    if len(timed) < len(intervals):
        notes.append(warn("irq_untimed_intervals", count=len(intervals) - len(timed)))
    rows: list[Row] = []
    for iv, end in zip(timed, ends, strict=True):
        for (kind, module), st in iv.stats.items():
            rows.append(
                Row(
                    ts_local=end - step if step else end,
                    span_us=step.total_seconds() * 1e6 if step else None,
                    module=module,
                    kind=kind,
                    count=st.count,
                    time_us=st.time_us,
                    max_us=st.max_us,
                )
            )
    return rows, notes
