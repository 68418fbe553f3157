"""Snapshots of ``/proc/interrupts`` and ``/proc/softirqs`` (layout: the kernel's
Documentation/filesystems/proc.rst and kernel/irq/proc.c), as a collection script leaves them::

    Mon Jan 15 08:10:01 UTC 2024                     <- `date` (or ISO 8601, `date -R`, epoch s)
               CPU0       CPU1
      24:     120034          0  IR-PCI-MSI 524288-edge      eth0-TxRx-0
     LOC:    8812345    8790122   Local timer interrupts
     ERR:          0
                        CPU0       CPU1
              NET_RX:     900211       1022

Counts are cumulative since boot: each snapshot is set against the previous one of its kind
(interrupts, softirqs), per line and CPU. A count that falls means a reboot (dropped, with a
warning) unless only a few fell, from near 2^32: the kernel's 32-bit per-CPU counter wrapped,
and the wrapped delta is kept. A line missing from a snapshot is taken as unchanged (``hbtriage
watch`` writes only the lines that changed); one that comes back is set against its last value.

Times come from the lines between the tables; the nearest one above a table is its time, and a
table with no new time line above it has no time (no rows, but it still counts in the totals).
One snapshot alone gives module totals (counts since boot) and no rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from hbtriage.errors import InputError
from hbtriage.sources import _sniffs
from hbtriage.sources.base import DpcTrace, InputFile, ReadResult
from hbtriage.sources.irq_common import (
    SOFTIRQ_NAMES,
    Row,
    Tally,
    cap,
    irq_module,
    make_trace,
    text_lines,
)
from hbtriage.warning_text import warn

KIND = "proc_interrupts"
#: The first line of the file ``hbtriage watch`` writes (see :mod:`hbtriage.live.sampler`).
WATCH_HEADER = _sniffs.PROC_WATCH_HEADER
WRAP = 1 << 32

_HEADER = re.compile(r"^\s*CPU\d+(?:\s+CPU\d+)*\s*$")
_LINE = re.compile(r"^\s*([A-Za-z0-9_]+):(.*)$")
#: The flow handler / trigger column before the action names (``2-edge``, ``IO-APIC-fasteoi``,
#: ``Level``): names follow it.
_TYPE = re.compile(
    r"(?i)^(?:\S*-)?(edge|level|fasteoi|fasteoi_ack|edge_eoi|level_eoi|percpu|percpu_devid|"
    r"simple|bad|nmi)$"
)
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
)
_CTIME = re.compile(  # date: "Mon Jan 15 08:10:01 UTC 2024", "Mon Jan 15 08:10:01 AM EST 2024"
    r"\b([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s+([AP]M))?"
    r"(?:\s+([A-Z]{2,5}|[+-]\d{4}))?\s+(\d{4})\b"
)
_RFC = re.compile(  # date -R: "Mon, 15 Jan 2024 08:10:01 +0000"; en_GB "Mon 15 Jan 2024 08:10:01 AM UTC"
    r"\b(\d{1,2})\s+([A-Z][a-z]{2})\s+(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s+([AP]M))?"
    r"(?:\s+([A-Z]{2,5}|[+-]\d{2}:?\d{2}))?"
)
_EPOCH = re.compile(r"^\s*(\d{9,10})(?:\.\d+)?\s*$")


def sniff(head: str) -> bool:
    return _sniffs.proc_interrupts(head)


def _offset(zone: str | None) -> int | None:
    if zone is None:
        return None
    if zone in ("Z", "UTC", "GMT"):
        return 0
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", zone)
    if not m:
        return None  # an abbreviation (EST, CET, IST) says no offset for sure
    minutes = int(m[2]) * 60 + int(m[3])
    return -minutes if m[1] == "-" else minutes


def _hour(h: str, ampm: str | None) -> int:
    hour = int(h)
    if ampm:
        hour = hour % 12 + (12 if ampm == "PM" else 0)
    return hour


def parse_time(line: str) -> tuple[dt.datetime, int | None] | None:
    """A time written on a line between snapshots (local time, minutes east of UTC or None)."""
    try:
        if m := _ISO.search(line):
            frac = (m[7] or "")[:6].ljust(6, "0")
            ts = dt.datetime(
                int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]), int(frac)
            )
            return ts, _offset(m[8])
        if (m := _CTIME.search(line)) and m[1] in _MONTHS:
            ts = dt.datetime(
                int(m[8]), _MONTHS[m[1]], int(m[2]), _hour(m[3], m[6]), int(m[4]), int(m[5])
            )
            return ts, _offset(m[7])
        if (m := _RFC.search(line)) and m[2] in _MONTHS:
            ts = dt.datetime(
                int(m[3]), _MONTHS[m[2]], int(m[1]), _hour(m[4], m[7]), int(m[5]), int(m[6])
            )
            return ts, _offset(m[8])
        if m := _EPOCH.match(line):
            return dt.datetime.fromtimestamp(int(m[1]), dt.UTC).replace(tzinfo=None), 0
    except (ValueError, OverflowError):
        return None
    return None


@dataclass
class _Snapshot:
    kind: str
    line: int
    time: dt.datetime | None
    offset: int | None
    cpus: list[int]
    values: dict[tuple[str, int | None], int] = field(default_factory=dict)  # (module, cpu)


def _split_names(label: str, tokens: list[str]) -> tuple[str, str]:
    """(module, description) of an interrupt line's text after its counts."""
    if not label.isdecimal():
        return label, " ".join(tokens)
    at = next((i for i, t in enumerate(tokens) if _TYPE.match(t)), None)
    if at is None:
        chip, names = tokens[:1], tokens[1:]
    else:
        chip, names = tokens[: at + 1], tokens[at + 1 :]
    module = " ".join(names) or irq_module(label)
    return module, f"IRQ {label} " + " ".join(chip) if chip else f"IRQ {label}"


def parse(text: str, item: InputFile) -> ReadResult:
    """Read one file of snapshots; see the module docstring."""
    display = item.display
    lines, bad = text_lines(text)
    snaps: list[_Snapshot] = []
    descriptions: dict[str, str] = {}
    host: str | None = None
    when: tuple[dt.datetime, int | None] | None = None
    when_line = 0
    used: set[tuple[str, int]] = set()  # (kind, time line) already given to a table
    cur: _Snapshot | None = None
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip("\r")
        if _HEADER.match(line):
            cpus = [int(c[3:]) for c in line.split()]
            cur = _Snapshot("", n, None, None, cpus)
            snaps.append(cur)
            continue
        m = _LINE.match(line) if cur is not None else None
        if cur is not None and m is not None:
            label, tokens = m[1], m[2].split()
            if not cur.kind:
                cur.kind = "softirq" if label in SOFTIRQ_NAMES else "hardirq"
                if when is not None and (cur.kind, when_line) not in used:
                    cur.time, cur.offset = when
                    used.add((cur.kind, when_line))
            counts: list[int] = []
            for t in tokens[: len(cur.cpus)]:
                if not t.isdecimal():
                    break
                counts.append(int(t))
            rest = tokens[len(counts) :]
            if len(counts) == len(cur.cpus):
                module, desc = _split_names(label, rest)
                for cpu, v in zip(cur.cpus, counts, strict=True):
                    cur.values[(module, cpu)] = cur.values.get((module, cpu), 0) + v
            elif len(counts) == 1 and not label.isdecimal() and cur.kind == "hardirq":
                module, desc = label, " ".join(rest)  # ERR, MIS: one count for all CPUs
                cur.values[(module, None)] = counts[0]
            else:
                bad.append((n, warn("irq_counts", count=len(cur.cpus), label=label)))
                continue
            if desc:
                descriptions.setdefault(module, desc)
            continue
        cur = None
        stripped = line.strip()
        if stripped.startswith(WATCH_HEADER):
            found = re.search(r"\bhost=(\S+)", stripped)
            host = found.group(1) if found else host
            continue
        if stripped and (got := parse_time(stripped)) is not None:
            when, when_line = got, n
    snaps = [s for s in snaps if s.values]
    if not snaps and host is not None and not bad:  # hbtriage watch rotated it a moment ago
        return ReadResult(
            kind=KIND,
            host=host,
            host_reason=warn("host_reason_watch_header"),
            stream="irq",
            dpc=DpcTrace(tool="/proc/interrupts"),
            note=warn("note_irq_no_snapshot"),
        )
    if not snaps:
        raise InputError(
            display,
            None,
            warn("expect_proc_interrupts"),
        )
    rows, tally, notes = _deltas(snaps, descriptions)
    ncpu = max(len(s.cpus) for s in snaps)
    kinds = sorted({s.kind for s in snaps})
    tool = " + ".join("/proc/interrupts" if k == "hardirq" else "/proc/softirqs" for k in kinds)
    trace = make_trace(tool, tally, rows, cpus=ncpu)
    offsets = {s.offset for s in snaps if s.time is not None}
    offset = offsets.pop() if len(offsets) == 1 else None
    return ReadResult(
        kind=KIND,
        host=host,
        host_reason=warn("host_reason_watch_header") if host else "",
        zone="UTC" if offset == 0 else None,
        offset_min=offset,
        stream="irq",
        dpc=trace,
        warnings=cap(display, [(None, note) for note in notes] + bad),
        extra={"format": tool, "snapshots": len(snaps)},
    )


def _deltas(
    snaps: list[_Snapshot], descriptions: dict[str, str]
) -> tuple[list[Row], Tally, list[str]]:
    rows: list[Row] = []
    tally = Tally()
    notes: list[str] = []
    for kind in sorted({s.kind for s in snaps}):
        mine = [s for s in snaps if s.kind == kind]
        if len(mine) == 1:
            totals: dict[str, int] = {}
            for (module, _cpu), v in mine[0].values.items():
                totals[module] = totals.get(module, 0) + v
            for module, v in totals.items():
                tally.add(module, kind, count=v, description=descriptions.get(module, ""))
            notes.append(warn("irq_one_snapshot", kind=kind))
            continue
        last: dict[tuple[str, int | None], int] = dict(mine[0].values)
        untimed = reboots = wraps = 0
        for prev, snap in zip(mine, mine[1:], strict=False):
            timed = prev.time is not None and snap.time is not None and snap.time > prev.time
            untimed += not timed
            fell = [k for k, v in snap.values.items() if k in last and v < last[k]]
            reboot = len(fell) * 2 > len([k for k in snap.values if k in last])
            for key, v in snap.values.items():
                before = last.get(key)
                last[key] = v
                if before is None or v == before:
                    continue
                delta = v - before
                if delta < 0:
                    if reboot or before >= WRAP:
                        reboots += 1
                        continue
                    delta += WRAP
                    wraps += 1
                module, cpu = key
                tally.add(module, kind, count=delta, description=descriptions.get(module, ""))
                if timed and prev.time is not None and snap.time is not None:
                    rows.append(
                        Row(
                            ts_local=prev.time,
                            span_us=(snap.time - prev.time).total_seconds() * 1e6,
                            module=module,
                            kind=kind,
                            cpu=cpu,
                            count=delta,
                            offset_min=prev.offset if prev.offset == snap.offset else None,
                        )
                    )
        if reboots:
            notes.append(warn("irq_fell", count=reboots, kind=kind))
        if wraps:
            notes.append(warn("irq_wrapped", count=wraps, kind=kind))
        if untimed:
            notes.append(warn("irq_untimed_steps", count=untimed, steps=len(mine) - 1, kind=kind))
    return rows, tally, notes
