"""Linux IRQ/softirq reports in the layouts real tools write, from DPC_SCHEMA rows
(:data:`hbtriage.sources.base.DPC_SCHEMA`): what the readers in :mod:`hbtriage.sources.irq_linux`
and :mod:`hbtriage.sources.sar` read back.

Rows are per interval: ``ts_local`` its start, ``span_us`` its length, ``module``, ``kind``
(``hardirq``/``softirq``), ``cpu`` (null: all CPUs), ``count`` and/or ``time_us``. The tools print
an interval's *end* time; the writers do the same.

* :func:`bcc_irqs` - bcc ``hardirqs``/``softirqs`` (``-T`` optional; ``usecs``, ``nsecs``,
  ``count`` for ``-C``), :func:`bcc_irqs_dist` - the ``-d`` histograms.
* :func:`proc_snapshots` - ``date; cat /proc/interrupts; cat /proc/softirqs`` repeated.
* :func:`mpstat_irq` - ``mpstat -I CPU -I SCPU`` per interval; :func:`sadf_intr` - ``sadf -d``
  of ``sar -I ALL``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import polars as pl

from hbtriage.sources.irq_common import SOFTIRQ_NAMES

#: Softirq lines in the order the kernel lists them.
SOFTIRQ_ORDER: tuple[str, ...] = ("HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL")
SOFTIRQ_ORDER += ("TASKLET", "SCHED", "HRTIMER", "RCU")
#: Architecture rows of x86 /proc/interrupts with the description the kernel prints.
ARCH_ROWS = {
    "NMI": "Non-maskable interrupts",
    "LOC": "Local timer interrupts",
    "SPU": "Spurious interrupts",
    "RES": "Rescheduling interrupts",
    "CAL": "Function call interrupts",
    "TLB": "TLB shootdowns",
}
_UNIT = {"usecs": 1.0, "nsecs": 1000.0, "msecs": 0.001}


def _ncpu(rows: pl.DataFrame) -> int:
    top = rows.select(pl.col("cpu").max()).item()
    return int(top) + 1 if top is not None else 1


def _intervals(rows: pl.DataFrame) -> list[tuple[dt.datetime, dt.datetime, pl.DataFrame]]:
    """(start, end, rows) per interval, in time order."""
    out = []
    for (start,), part in rows.sort("ts_local").group_by("ts_local", maintain_order=True):
        assert isinstance(start, dt.datetime)
        span = part["span_us"].max()
        end = start + dt.timedelta(microseconds=float(span) if span is not None else 0.0)  # type: ignore[arg-type]
        out.append((start, end, part))
    return out


def _totals(part: pl.DataFrame, column: str) -> dict[str, float]:
    got = part.group_by("module", maintain_order=True).agg(pl.col(column).sum())
    return dict(zip(got["module"].to_list(), got[column].to_list(), strict=True))


def bcc_irqs(
    rows: pl.DataFrame, kind: str = "softirq", *, with_time: bool = True, unit: str = "usecs"
) -> str:
    """bcc ``hardirqs``/``softirqs`` per interval (``unit`` ``count`` is ``-C``), lines sorted by
    value as bcc sorts them."""
    word = "hard" if kind == "hardirq" else "soft"
    what = "events" if unit == "count" else "event time"
    out = [f"Tracing {word} irq {what}... Hit Ctrl-C to end."]
    width = 26 if kind == "hardirq" else 16
    for _start, end, part in _intervals(rows.filter(pl.col("kind") == kind)):
        out.append("")
        if with_time:
            out.append(f"{end:%H:%M:%S}")
        out.append(f"{kind.upper():<{width}} {'TOTAL_' + unit:>11}")
        if unit == "count":
            values = _totals(part, "count")
        else:
            values = {m: v * _UNIT[unit] for m, v in _totals(part, "time_us").items()}
        for module, value in sorted(values.items(), key=lambda kv: (kv[1], kv[0])):
            out.append(f"{module:<{width}} {int(round(value)):>11}")
    return "\n".join(out) + "\n"


def _slot(us: float) -> int:
    return max(int(us).bit_length() - 1, 0)


def bcc_irqs_dist(rows: pl.DataFrame, kind: str = "hardirq", *, with_time: bool = False) -> str:
    """bcc ``-d``: per interval one log2 histogram per module; the longest run (``max_us``) in
    its bucket, the other runs at the module's mean (``time_us / count``, else 1 us)."""
    word = "hard" if kind == "hardirq" else "soft"
    out = [f"Tracing {word} irq event time... Hit Ctrl-C to end."]
    for _start, end, part in _intervals(rows.filter(pl.col("kind") == kind)):
        if with_time:
            out += ["", f"{end:%H:%M:%S}"]
        agg = part.group_by("module", maintain_order=True).agg(
            pl.col("count").sum(), pl.col("time_us").sum(), pl.col("max_us").max()
        )
        for module, count, time_us, max_us in agg.iter_rows():
            if not count:
                continue
            buckets: dict[int, int] = defaultdict(int)
            mean = (time_us or 0.0) / count or 1.0
            longest = max_us if max_us is not None else mean
            buckets[_slot(longest)] += 1
            buckets[_slot(mean)] += count - 1
            top = max(buckets.values())
            out += ["", f"{kind} = {module}", "     usecs               : count     distribution"]
            for s in range(max(buckets) + 1):
                lo, hi, c = (0 if s == 0 else 1 << s), (1 << (s + 1)) - 1, buckets.get(s, 0)
                bar = "*" * (40 * c // top)
                out.append(f"{lo:>10} -> {hi:<10} : {c:<8} |{bar:<40}|")
    return "\n".join(out) + "\n"


def _date_line(ts: dt.datetime, offset_min: int | None, style: str) -> str:
    if style == "iso":
        if offset_min is None:
            return f"{ts:%Y-%m-%dT%H:%M:%S}"
        sign = "+" if offset_min >= 0 else "-"
        return f"{ts:%Y-%m-%dT%H:%M:%S}{sign}{abs(offset_min) // 60:02d}:{abs(offset_min) % 60:02d}"
    zone = "UTC" if offset_min == 0 else "JST" if offset_min == 540 else "EST"
    return f"{ts:%a %b} {ts.day:>2} {ts:%H:%M:%S} {zone} {ts.year}"


def proc_snapshots(
    rows: pl.DataFrame,
    *,
    base: int = 1000,
    date_style: str = "date",
    offset_min: int | None = 0,
    cpus: int | None = None,
) -> str:
    """``date; cat /proc/interrupts; cat /proc/softirqs`` at the start of every interval and at
    the end of the last: cumulative counts from ``base`` plus the rows' counts. Hard interrupt
    modules become lines 24, 25 ... with their name (``irq N`` modules: line N, no name);
    ``LOC``, ``RES`` ... are the architecture rows; softirqs list every softirq."""
    rows = rows.with_columns(pl.col("cpu").fill_null(0), pl.col("count").fill_null(0))
    ncpu = cpus or _ncpu(rows)
    hard = sorted(set(rows.filter(pl.col("kind") == "hardirq")["module"].to_list()))
    lines_of = {m: m[4:] for m in hard if m.startswith("irq ") and m[4:].isdecimal()}
    number = 24
    for module in hard:
        if module in ARCH_ROWS or module in lines_of:
            continue
        while str(number) in lines_of.values():
            number += 1
        lines_of[module] = str(number)
    intervals = _intervals(rows)
    times = [start for start, _end, _part in intervals]
    if intervals:
        times.append(intervals[-1][1])
    acc: dict[tuple[str, str, int], int] = defaultdict(int)
    out: list[str] = []
    for k, when in enumerate(times):
        if k:
            for key, value in _cumulate(intervals[k - 1][2]).items():
                acc[key] += value
        out.append(_date_line(when, offset_min, date_style))
        if hard:
            out.append(" " * 11 + "".join(f"CPU{c:<8d}" for c in range(ncpu)))
            for module in sorted(lines_of, key=lambda m: int(lines_of[m])):
                label = lines_of[module]
                counts = "".join(f"{base + acc[('hardirq', module, c)]:10d} " for c in range(ncpu))
                name = "" if module.startswith("irq ") else f"      {module}"
                out.append(f"{label:>3}: {counts} IR-PCI-MSI {int(label) * 512}-edge{name}")
            for module, text in ARCH_ROWS.items():
                if module in hard:
                    counts = "".join(
                        f"{base + acc[('hardirq', module, c)]:10d} " for c in range(ncpu)
                    )
                    out.append(f"{module}: {counts}  {text}")
        if not rows.filter(pl.col("kind") == "softirq").is_empty():
            out.append(" " * 20 + "".join(f"CPU{c:<8d}" for c in range(ncpu)))
            for name in SOFTIRQ_ORDER:
                counts = "".join(f" {base + acc[('softirq', name, c)]:10d}" for c in range(ncpu))
                out.append(f"{name:>12}:{counts}")
    return "\n".join(out) + "\n"


def _cumulate(part: pl.DataFrame) -> dict[tuple[str, str, int], int]:
    got: dict[tuple[str, str, int], int] = defaultdict(int)
    for kind, module, cpu, count in part.select("kind", "module", "cpu", "count").iter_rows():
        if kind == "softirq" and module not in SOFTIRQ_NAMES:
            raise ValueError(f"{module!r} is no softirq /proc/softirqs lists")
        got[(kind, module, int(cpu))] += int(count)
    return got


def _banner(host: str, day: dt.date, ncpu: int) -> str:
    return f"Linux 5.15.0-97-generic ({host}) \t{day:%m/%d/%Y} \t_x86_64_\t({ncpu} CPU)"


def mpstat_irq(rows: pl.DataFrame, host: str = "lnx1", *, cpus: int | None = None) -> str:
    """``mpstat -I CPU -I SCPU <interval>``: per interval, interrupts/s of every line
    (``24/s``, ``LOC/s``) and of every softirq per CPU. Modules must be ``irq N``, an
    architecture row or a softirq name (mpstat knows no device names)."""
    rows = rows.with_columns(pl.col("cpu").fill_null(0), pl.col("count").fill_null(0))
    ncpu = cpus or _ncpu(rows)
    hard = sorted(
        set(rows.filter(pl.col("kind") == "hardirq")["module"].to_list()),
        key=lambda m: (not m.startswith("irq "), int(m[4:]) if m[4:].isdecimal() else 0, m),
    )
    labels = [m[4:] if m.startswith("irq ") else m for m in hard]
    intervals = _intervals(rows)
    day = intervals[0][0].date() if intervals else dt.date(2024, 1, 1)
    out = [_banner(host, day, ncpu)]
    for start, end, part in intervals:
        secs = (end - start).total_seconds() or 1.0
        clock = f"{end:%I:%M:%S %p}"
        counts = {
            (k, m, int(c)): n
            for k, m, c, n in part.select("kind", "module", "cpu", "count").iter_rows()
        }
        for kind, names, columns in (
            ("hardirq", hard, labels),
            ("softirq", list(SOFTIRQ_ORDER), list(SOFTIRQ_ORDER)),
        ):
            if not columns or (
                kind == "softirq" and part.filter(pl.col("kind") == kind).is_empty()
            ):
                continue
            out += ["", f"{clock}  CPU" + "".join(f"{c + '/s':>11}" for c in columns)]
            for c in range(ncpu):
                rates = "".join(f"{counts.get((kind, m, c), 0) / secs:11.2f}" for m in names)
                out.append(f"{clock} {c:4d}{rates}")
    return "\n".join(out) + "\n"


def sadf_intr(rows: pl.DataFrame, host: str = "lnx1") -> str:
    """``sadf -d`` of ``sar -I ALL`` (sysstat before per-CPU interrupts): one row per line
    number and interval, ``-1`` their sum; times in UTC. Modules must be ``irq N``."""
    out = ["# hostname;interval;timestamp;INTR;intr/s"]
    for start, end, part in _intervals(rows.filter(pl.col("kind") == "hardirq")):
        secs = int((end - start).total_seconds()) or 1
        per = part.group_by("module").agg(pl.col("count").sum())
        rates = {m[4:]: n / secs for m, n in per.iter_rows() if m.startswith("irq ")}
        stamp = f"{end:%Y-%m-%d %H:%M:%S} UTC"
        out.append(f"{host};{secs};{stamp};-1;{sum(rates.values()):.2f}")
        for label in sorted(rates, key=int):
            out.append(f"{host};{secs};{stamp};{label};{rates[label]:.2f}")
    return "\n".join(out) + "\n"
