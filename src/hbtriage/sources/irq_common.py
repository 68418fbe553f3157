"""Shared by the Linux IRQ/softirq readers (:mod:`irq_linux`): rows, module totals, dates."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from hbtriage.sources import _lines as L
from hbtriage.sources.base import DPC_SCHEMA, DpcTrace, InputFile, ModuleUse, empty_dpc_rows
from hbtriage.sources.declared import _NAME_DATE
from hbtriage.warning_text import warn

#: Softirq names as /proc/softirqs, mpstat and sar write them (BLOCK_IOPOLL before Linux 4.4).
SOFTIRQ_NAMES = frozenset(
    {
        "HI",
        "TIMER",
        "NET_TX",
        "NET_RX",
        "BLOCK",
        "BLOCK_IOPOLL",
        "IRQ_POLL",
        "TASKLET",
        "SCHED",
        "HRTIMER",
        "RCU",
    }
)
MAX_WARNINGS = 20
#: A step back in time of more than this between two intervals of a time-only report: next day.
ROLLBACK = dt.timedelta(hours=1)


def irq_module(label: str) -> str:
    """Module name of an interrupt known only by its number (mpstat ``24/s``, sar ``INTR 24``)."""
    return f"irq {label}" if label.isdecimal() else label


@dataclass
class Row:
    """One module's activity over one interval (a DPC_SCHEMA row)."""

    ts_local: dt.datetime | None
    span_us: float | None
    module: str
    kind: str
    cpu: int | None = None
    count: int | None = None
    time_us: float | None = None
    max_us: float | None = None
    offset_min: int | None = None


@dataclass
class _Total:
    count: int | None = None
    time_us: float | None = None
    longest_us: float | None = None
    over_long: int | None = None
    rate: float = 0.0  # for reports that give rates only (one mpstat report since boot)
    description: str = ""


def _add(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else a + b


@dataclass
class Tally:
    """Whole-report totals per (module, kind), turned into :class:`ModuleUse` with shares."""

    long_us: float = 4000.0
    totals: dict[tuple[str, str], _Total] = field(default_factory=dict)

    def add(
        self,
        module: str,
        kind: str,
        *,
        count: int | None = None,
        time_us: float | None = None,
        max_us: float | None = None,
        over_long: int | None = None,
        rate: float = 0.0,
        description: str = "",
    ) -> None:
        t = self.totals.setdefault((module, kind), _Total())
        if count is not None:
            t.count = (t.count or 0) + count
        t.time_us = _add(t.time_us, time_us)
        if max_us is not None:
            t.longest_us = max(t.longest_us or 0.0, max_us)
        if over_long is not None:
            t.over_long = (t.over_long or 0) + over_long
        t.rate += rate
        if description and not t.description:
            t.description = description

    def add_rows(self, rows: Iterable[Row]) -> None:
        for r in rows:
            over = None
            if r.max_us is not None and r.count == 1:
                over = int(r.max_us > self.long_us)
            self.add(
                r.module, r.kind, count=r.count, time_us=r.time_us, max_us=r.max_us, over_long=over
            )

    def modules(self) -> list[ModuleUse]:
        """Per kind, busiest first: ``share`` of the kind's time, else counts, else rates."""
        out: list[ModuleUse] = []
        for kind in sorted({k for _m, k in self.totals}):
            items = [(m, t) for (m, k), t in self.totals.items() if k == kind]
            if any(t.time_us for _m, t in items):
                weight = {m: t.time_us or 0.0 for m, t in items}
            elif any(t.count for _m, t in items):
                weight = {m: float(t.count or 0) for m, t in items}
            else:
                weight = {m: t.rate for m, t in items}
            whole = sum(weight.values())
            for m, t in sorted(items, key=lambda it: (-weight[it[0]], it[0])):
                if not (t.count or t.time_us or t.rate or t.longest_us):
                    continue  # listed by the tool with nothing in it
                out.append(
                    ModuleUse(
                        module=m,
                        kind=kind,
                        count=t.count,
                        time_us=t.time_us,
                        share=weight[m] / whole if whole > 0 else None,
                        longest_us=t.longest_us,
                        over_long=t.over_long,
                        description=t.description,
                    )
                )
        return out


def rows_frame(rows: list[Row]) -> pl.DataFrame:
    """DPC_SCHEMA frame of ``rows`` (those without a time, or with a year no real report has
    and nanoseconds cannot hold, are left out)."""
    kept = [r for r in rows if r.ts_local is not None and 1970 <= r.ts_local.year < 2200]
    if not kept:
        return empty_dpc_rows()
    return pl.DataFrame(
        {
            "ts_local": [r.ts_local for r in kept],
            "offset_min": [r.offset_min for r in kept],
            "span_us": [r.span_us for r in kept],
            "module": [r.module for r in kept],
            "kind": [r.kind for r in kept],
            "cpu": [r.cpu for r in kept],
            "count": [r.count for r in kept],
            "time_us": [r.time_us for r in kept],
            "max_us": [r.max_us for r in kept],
        },
        schema=DPC_SCHEMA,
    )


def make_trace(tool: str, tally: Tally, rows: list[Row], *, cpus: int | None = None) -> DpcTrace:
    """The :class:`DpcTrace` of a report: module totals, rows (None when it has no time),
    bounds and span from the rows."""
    frame = rows_frame(rows)
    trace = DpcTrace(tool=tool, modules=tally.modules(), long_us=tally.long_us, cpus=cpus)
    if frame.height == 0:
        return trace
    trace.rows = frame
    start = frame["ts_local"].min()
    ends = frame.select(
        (pl.col("ts_local") + pl.duration(microseconds=pl.col("span_us").fill_null(0))).max()
    ).item()
    if isinstance(start, dt.datetime) and isinstance(ends, dt.datetime):
        trace.start_local, trace.end_local = start, ends
        trace.span_s = (ends - start).total_seconds()
    offsets = frame["offset_min"].unique().to_list()
    if len(offsets) == 1 and offsets[0] is not None:
        trace.offset_min = int(offsets[0])
    return trace


def date_in_name(display: str) -> dt.date | None:
    """A date written in a file's name (``irq-2024-01-15.txt``, ``20240115``), else None."""
    found = _NAME_DATE.search(os.path.basename(display.rsplit("!", 1)[-1]))
    with contextlib.suppress(ValueError):
        return dt.date(*(int(g) for g in found.groups())) if found else None
    return None


def date_for_times(item: InputFile, times: list[dt.time]) -> tuple[list[dt.datetime], str]:
    """Dates for a report's times of day (``HH:MM:SS`` only, as bcc ``-T`` prints them).

    The same rule as the declared formats (:mod:`declared`): a date in the file name
    (``hardirqs-2024-01-15.txt``, ``20240115``) is the first time's day; else the file's
    modification time is the last time's day. Each step back of more than an hour is the next
    day. The second value is the warning that says which was used."""
    anyday = dt.date(2000, 1, 2)
    days = [0]
    for prev, cur in zip(times, times[1:], strict=False):
        back = dt.datetime.combine(anyday, cur) < dt.datetime.combine(anyday, prev) - ROLLBACK
        days.append(days[-1] + int(back))
    first = date_in_name(item.display)
    if first is not None:
        note = warn("irq_date_from_name", first=first)
    else:
        last = L.file_time(item.path).date()
        first = last - dt.timedelta(days=days[-1])
        note = warn("irq_date_from_mtime", last=last)
    return [
        dt.datetime.combine(first + dt.timedelta(days=d), t)
        for t, d in zip(times, days, strict=True)
    ], note


def typical_step(times: list[dt.datetime]) -> dt.timedelta | None:
    """The usual distance between consecutive report times (the interval), or None."""
    steps = sorted(b - a for a, b in zip(times, times[1:], strict=False) if b > a)
    return steps[len(steps) // 2] if steps else None


def text_lines(text: str) -> tuple[list[str], list[tuple[int | None, str]]]:
    """The lines of ``text``; a last line without a line end (a copy cut off while written) is
    left out, with the warning that says so."""
    lines = text.split("\n")
    if lines[-1].strip():
        return lines[:-1], [(len(lines), warn("irq_cut"))]
    return lines, []


def cap(display: str, items: list[tuple[int | None, str]]) -> list[str]:
    """``path:line: reason`` warnings, at most :data:`MAX_WARNINGS` and a count of the rest."""
    out: list[str] = [
        warn("at_line", path=display, line=n, reason=msg)
        if n
        else warn("at_file", path=display, reason=msg)
        for n, msg in items[:MAX_WARNINGS]
    ]
    if len(items) > MAX_WARNINGS:
        out.append(warn("more_in_file", path=display, count=len(items) - MAX_WARNINGS))
    return out
