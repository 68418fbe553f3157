"""Interrupt and softirq rates from sysstat, for :mod:`hbtriage.sources.sar` (which reads the
files): ``mpstat -I`` text and ``sar -I`` (text, and ``sadf -d`` INTR blocks).

Layouts (sysstat's man pages, mpstat.c and activity.c):

* ``mpstat -I SUM``: ``CPU intr/s`` per CPU: no module in it, not read here.
* ``mpstat -I CPU`` (named ``-I ALL`` with the others): ``CPU 0/s 1/s ... 24/s ... NMI/s LOC/s``,
  one row per CPU: interrupts/s per line number -> ``irq 24``, ``LOC`` (hardirq).
* ``mpstat -I SCPU``: ``CPU HI/s TIMER/s NET_TX/s NET_RX/s ...`` per CPU (softirq).
* ``sar -I ALL`` / ``sadf -d``: ``INTR intr/s`` (``# hostname;interval;timestamp;INTR;intr/s``),
  one row per line number, ``sum``/``-1`` for all of them (left out); newer sysstat adds a ``CPU``
  column. sysstat has no per-softirq sar report (``sar -n SOFT`` is the softnet packet
  counters, not softirq types).

Rates become counts over the interval (rate x interval, rounded). mpstat and sar text print the
time at the end of each interval; the interval is the usual step between reports (sadf: its
``interval`` field). A single report (``mpstat -I ALL`` without an interval: averages since boot)
has no interval: module totals carry the rates only (count unknown) and there are no rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from hbtriage.sources import _sysstat_time as T
from hbtriage.sources.base import DpcTrace
from hbtriage.sources.irq_common import (
    SOFTIRQ_NAMES,
    Row,
    Tally,
    irq_module,
    make_trace,
    typical_step,
)

_FIRST = ("CPU", "INTR")


@dataclass
class _Rate:
    end: dt.datetime
    module: str
    kind: str
    cpu: int | None
    rate: float
    step_s: float | None = None


def _cpu(text: str) -> int | None | str:
    """CPU column: a number, None for all CPUs, or the text when it is neither."""
    if text in ("all", "-1"):
        return None
    return int(text) if text.isdecimal() else text


def _rate(text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if value >= 0 and value == value and value != float("inf") else None


def _columns(header: list[str]) -> tuple[str, dict[int, tuple[str, str]]] | None:
    """(tool, column index -> (module, kind)) of an interrupt block header, or None."""
    if "INTR" in header and "intr/s" in header:
        return "sar -I", {header.index("intr/s"): ("", "hardirq")}
    if header[0] != "CPU" or len(header) < 2 or header[1:] == ["intr/s"]:
        return None
    names = [h[:-2] for h in header[1:] if h.endswith("/s")]
    if len(names) != len(header) - 1 or any(not n for n in names):
        return None
    kind = "softirq" if all(n in SOFTIRQ_NAMES for n in names) else "hardirq"
    return "mpstat -I", {
        i + 1: (n if kind == "softirq" else irq_module(n), kind) for i, n in enumerate(names)
    }


def text_trace(text: str, date: dt.date) -> DpcTrace | None:
    """The interrupt blocks of an ``mpstat``/``sar`` text report whose banner gave ``date``;
    None when it has none."""
    rates: list[_Rate] = []
    tools: set[str] = set()
    spec: tuple[str, dict[int, tuple[str, str]]] | None = None
    header: list[str] = []
    day = 0
    prev: dt.datetime | None = None
    for raw in text.split("\n"):
        m = T.row_re().match(raw.strip())
        if m is None:
            continue
        tokens = m["rest"].split()
        if len(tokens) > 1 and not tokens[0].isdecimal() and tokens[0] not in (*_FIRST, "all"):
            tokens = tokens[1:]  # a zone name after the time (mpstat with TZ set: "IST")
        if tokens and not any(_rate(t) is not None for t in tokens):  # a header: a new block
            header, spec = tokens, _columns(tokens) if tokens[0] in _FIRST else None
            if spec:
                tools.add(spec[0])
            continue
        if spec is None or len(tokens) != len(header):
            continue
        try:
            end = dt.datetime.combine(
                date, dt.time(T.hour24(m["h"], m["ampm"]), int(m["m"]), int(m["s"]))
            )
        except ValueError:
            continue
        end += dt.timedelta(days=day)
        if prev is not None and end < prev - dt.timedelta(hours=12):
            day += 1
            end += dt.timedelta(days=1)
        prev = end
        row = dict(zip(header, tokens, strict=True))
        cpu = _cpu(row.get("CPU", "all"))
        if isinstance(cpu, str):
            continue
        for i, (module, kind) in spec[1].items():
            if not module:  # sar -I: the line number is in the INTR column
                label = row["INTR"]
                if not label.isdecimal():
                    continue  # "sum"
                module = irq_module(label)
            value = _rate(tokens[i])
            if value is not None:
                rates.append(_Rate(end, module, kind, cpu, value))
    if not rates:
        return None
    steps: dict[str, dt.timedelta | None] = {}
    for kind in {r.kind for r in rates}:
        steps[kind] = typical_step(sorted({r.end for r in rates if r.kind == kind}))
    for r in rates:
        step = steps[r.kind]
        r.step_s = step.total_seconds() if step else None
    return _trace(" + ".join(sorted(tools)), rates, None)


def sadf_trace(frames: list[pl.DataFrame]) -> DpcTrace | None:
    """``sadf -d`` INTR blocks (Utf8 columns as written plus ``ts_local``) as a trace in UTC."""
    rates: list[_Rate] = []
    for frame in frames:
        cols = frame.columns
        for rec in frame.iter_rows(named=True):
            label = str(rec.get("INTR") or "").strip()
            cpu = _cpu(str(rec["CPU"]).strip()) if "CPU" in cols else None
            value = _rate(str(rec.get("intr/s") or "").strip())
            step = _rate(str(rec.get("interval") or "").strip())
            end = rec.get("ts_local")
            if not label.isdecimal() or isinstance(cpu, str) or value is None:
                continue
            if isinstance(end, dt.datetime):
                rates.append(_Rate(end, irq_module(label), "hardirq", cpu, value, step or None))
    return _trace("sadf -d INTR", rates, 0) if rates else None


def _trace(tool: str, rates: list[_Rate], offset: int | None) -> DpcTrace:
    # Rows of all CPUs ("all", -1) next to per-CPU rows of the same module would count twice.
    per_cpu = {(r.module, r.kind) for r in rates if r.cpu is not None}
    rates = [r for r in rates if r.cpu is not None or (r.module, r.kind) not in per_cpu]
    tally = Tally()
    rows: list[Row] = []
    for r in rates:
        if r.step_s is None:
            tally.add(r.module, r.kind, rate=r.rate)
            continue
        count = round(r.rate * r.step_s)
        tally.add(r.module, r.kind, count=count, rate=r.rate)
        if count:
            rows.append(
                Row(
                    ts_local=r.end - dt.timedelta(seconds=r.step_s),
                    span_us=r.step_s * 1e6,
                    module=r.module,
                    kind=r.kind,
                    cpu=r.cpu,
                    count=count,
                    offset_min=offset,
                )
            )
    cpus = {r.cpu for r in rates if r.cpu is not None}
    return make_trace(tool, tally, rows, cpus=len(cpus) or None)
