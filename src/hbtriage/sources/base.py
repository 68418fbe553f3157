"""What every reader receives and returns.

A reader turns one input file into tables with *local* timestamps plus what it
knows about the zone; :mod:`hbtriage.timeline` later puts everything on UTC once
each host's zone is known (a dumplog has no zone, its host's perfmon header has).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import polars as pl

from hbtriage.sources.options import ReadOptions
from hbtriage.sources.zip_names import japanese_name

#: Columns of ``ReadResult.events`` (local naive time + optional per-row UTC offset). Repeated
#: names (severity, component, node) are categorical: 4 bytes a row instead of 16 on millions of
#: rows, null or not, while the readers' frames wait for the timeline. Message text stays text.
EVENT_SCHEMA: dict[str, pl.DataType] = {
    "ts_local": pl.Datetime("ns"),
    "offset_min": pl.Int32(),  # minutes east of UTC for this row, null when the file has no zone
    "line": pl.Int64(),  # 1-based line number of the record in its file
    "severity": pl.Categorical(),
    "component": pl.Categorical(),  # process / facility / CVP subsystem
    "message": pl.Utf8(),
    "node": pl.Categorical(),  # host name as written inside the record, when there is one
}

#: Columns of ``ReadResult.counters``. The names repeat on every sample: categorical.
COUNTER_SCHEMA: dict[str, pl.DataType] = {
    "host": pl.Categorical(),
    "object": pl.Categorical(),  # canonical English object name, e.g. "Processor"
    "instance": pl.Categorical(),  # "_Total", "0", NIC name, "" when none
    "counter": pl.Categorical(),  # canonical English counter name, e.g. "DPC Rate"
    "ts_local": pl.Datetime("ns"),
    "offset_min": pl.Int32(),
    "value": pl.Float64(),
}


#: Columns of ``DpcTrace.rows``: DPC/ISR (Windows) or IRQ/softirq (Linux) activity per module
#: over time. One row is either one execution (WPA raw rows: ``count`` 1, ``time_us`` and
#: ``max_us`` its duration) or one module's total over an interval (xperf's per-interval table,
#: bcc ``-T`` intervals, deltas between two /proc/interrupts snapshots, mpstat -I, sadf).
DPC_SCHEMA: dict[str, pl.DataType] = {
    "ts_local": pl.Datetime("ns"),  # start of the interval, or the execution's entry time
    "offset_min": pl.Int32(),  # minutes east of UTC, null when the file has no zone
    "span_us": pl.Float64(),  # length of the interval (µs); for one execution, its duration
    "module": pl.Utf8(),  # "ndis.sys", "b57nd60a.sys", "NET_RX", "eth0", "irq 24 (eth0)" ...
    "kind": pl.Utf8(),  # one of DPC_KINDS
    "cpu": pl.Int32(),  # null when summed over CPUs
    "count": pl.Int64(),  # executions / interrupts in the row; null when the tool gives none
    "time_us": pl.Float64(),  # execution time in the row (µs); null when only counts are known
    "max_us": pl.Float64(),  # longest single execution in the row (µs); null when unknown
}

#: What a DPC/ISR row or module total is about. Windows: deferred procedure calls and interrupt
#: service routines. Linux: hard interrupts (``hardirq``: bcc hardirqs, /proc/interrupts, mpstat
#: -I) and softirqs (``softirq``: bcc softirqs, /proc/softirqs, NET_RX ...).
DPC_KINDS = ("dpc", "isr", "hardirq", "softirq")


def empty_dpc_rows() -> pl.DataFrame:
    return pl.DataFrame(schema=DPC_SCHEMA)


@dataclass
class ModuleUse:
    """One module's (driver's, IRQ's, softirq's) total over the whole report."""

    module: str  # as the tool names it, lower-cased for Windows drivers ("ndis.sys")
    kind: str  # one of DPC_KINDS
    count: int | None = None  # executions (or interrupts)
    time_us: float | None = None  # total execution time (µs)
    share: float | None = None  # of all time (else all count) of this kind in the report, 0-1
    longest_us: float | None = None  # longest single execution (µs)
    over_long: int | None = None  # executions longer than ``DpcTrace.long_us``
    latency_max_us: float | None = None  # ISR-to-DPC latency, worst (tracerpt on 2003)
    description: str = ""  # the tool's description of the driver (LatencyMon; may be localized)


@dataclass
class DpcTrace:
    """What a DPC/ISR or IRQ/softirq report says about which modules used the CPUs.

    ``modules`` are whole-report totals and are always filled; ``rows`` are filled when the
    report has time (then the incident window can be set against a baseline). ``start_local``
    / ``end_local`` bound the report when it says when it was taken."""

    tool: str  # "xperf dpcisr", "tracerpt", "wpa", "latencymon", "bcc hardirqs", ...
    modules: list[ModuleUse] = field(default_factory=list)
    rows: pl.DataFrame | None = None  # DPC_SCHEMA
    start_local: datetime | None = None
    end_local: datetime | None = None
    offset_min: int | None = None  # fixed UTC offset of start/end, when written
    span_s: float | None = None  # length of the trace, when known (xperf: "from 0 us to N us")
    long_us: float = 4000.0  # ``over_long``'s threshold
    cpus: int | None = None
    verdict: str = ""  # the tool's own conclusion, as written (LatencyMon)


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=EVENT_SCHEMA)


def empty_counters() -> pl.DataFrame:
    return pl.DataFrame(schema=COUNTER_SCHEMA)


@dataclass
class InputFile:
    """One file of the bundle, already pulled out of any zip into a private folder."""

    display: str  # what the user sees: "bundle.zip!CVP1/CVP.log" or the path they gave
    path: str  # where the bytes are on disk now (never modified)
    folder_hints: list[str] = field(default_factory=list)  # enclosing folder names, nearest first
    size: int = 0
    #: The folder or archive the user named that holds this file, as the start of ``display``
    #: (None when the file itself was named): the outermost folder that can stand for a host.
    given: str | None = None
    #: Where what the user named (the folder, archive or file that holds this one, or this one)
    #: is on disk, resolved: a generic folder ("PG2A/logs") is named by the folder above, and
    #: a folder above is no one server's when it holds another server's argument too.
    given_path: str | None = None
    #: For the lines of one sender taken from a syslog server's file (see :mod:`.relay`): the
    #: names and addresses the server wrote for that sender (the sender field); None for any
    #: other file. No folder around such a file names its host: the folder is the server's.
    senders: list[str] | None = None
    #: For one machine's counters taken from a perfmon CSV of several machines (see
    #: :mod:`.perfmon_machines`): the ``display`` of that file (None for any other input). Its
    #: times are the collecting machine's, in the zone of the file's header.
    whole: str | None = None
    #: For such a part: the file is a ``relog`` of separate captures (each machine's samples
    #: on rows of their own), so its own machine's clock stamped its times, not a collector's.
    relogged: bool = False

    def __post_init__(self) -> None:
        # A name that is not UTF-8 on disk (a folder copied from an old Windows share) comes
        # with lone surrogates, which no text column, JSON or terminal takes: shown escaped.
        self.display = printable_name(self.display)
        self.folder_hints = [printable_name(h) for h in self.folder_hints]
        if self.given is not None:
            self.given = printable_name(self.given)


def display_folder(display: str) -> str:
    """The folder (or archive) part of a shown path: ``b/CVP1`` of ``b/CVP1/CVP.log``,
    ``x.zip`` of ``x.zip!CVP.log``; "" for a name with neither."""
    return display[: max(display.rfind("/"), display.rfind("!"), 0)]


def printable_name(name: str) -> str:
    """``name`` with the bytes a non-UTF-8 file name left as lone surrogates read as the
    Japanese text they are in cp932, folder by folder (a Japanese zip unpacked without
    ``-O cp932``: :func:`~hbtriage.sources.zip_names.japanese_name`), else written as
    ``\\xe9`` escapes (other text unchanged)."""
    if not not_utf8(name):
        return name
    return "/".join(_printable_part(part) for part in name.split("/"))


def japanese_parts(name: str) -> bool | None:
    """For ``name`` as it is on disk: None when it is UTF-8; True when each of its parts that
    is not reads as Japanese in cp932 (see :func:`printable_name`); False otherwise."""
    if not not_utf8(name):
        return None
    return all(
        _printable_part(part) != _escaped(part) for part in name.split("/") if not_utf8(part)
    )


def not_utf8(name: str) -> bool:
    """Whether ``name`` holds bytes of a file name that is not UTF-8 (lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _printable_part(part: str) -> str:
    if not not_utf8(part):
        return part
    try:  # the undecodable bytes of a file name (os.fsdecode), as they were on disk
        return japanese_name(part.encode("utf-8", "surrogateescape")) or _escaped(part)
    except UnicodeEncodeError:  # any other lone surrogate
        return _escaped(part)


def _escaped(part: str) -> str:
    try:
        return part.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return part.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass
class ConfigFact:
    """One fact from a configuration snapshot (netsh, systeminfo, ndis.sys version ...)."""

    key: str  # e.g. "rss", "chimney", "os", "service_pack", "ndis_version", "arch", "hotfix"
    value: str
    detail: str = ""


@dataclass
class ReadResult:
    """What a reader found in one file."""

    kind: str
    encoding: str | None = None
    host: str | None = None  # host named by the content (perfmon \\MACHINE, CVP host field ...)
    host_reason: str = ""
    zone: str | None = None  # zone text as found ("Eastern Standard Time", "-0500") or None
    offset_min: int | None = None  # fixed UTC offset the file states (perfmon bias), minutes east
    tz_iana: str | None = None  # IANA zone the stated zone name maps to, when it fits the offset
    stream: str | None = None  # log family: "pim1", "CVP", "Error", "syslog" ...
    events: pl.DataFrame | None = None  # EVENT_SCHEMA
    counters: pl.DataFrame | None = None  # COUNTER_SCHEMA
    config: list[ConfigFact] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one-liners "path:line: reason"
    #: Restarts the file shows (a log sequence number falling back, a boot): ``line``,
    #: ``ts_local`` (ISO text or naive datetime), optional ``offset_min``, ``component``, ``node``
    #: and optionally ``signature`` and ``detail``; the timeline puts them on UTC.
    restarts: list[dict[str, object]] = field(default_factory=list)
    note: str = ""  # one line about the input as a whole, shown with it (inputs[].note)
    #: Its time stamps write no date and it names none (a dumplog without its 'Events from'
    #: line): the dates were taken from the file's modified time (see sources.continued).
    undated: bool = False
    #: DPC/ISR or IRQ/softirq attribution (xperf dpcisr, tracerpt, WPA, LatencyMon, bcc,
    #: /proc/interrupts, mpstat -I, sadf): which module used the CPUs, and when.
    dpc: DpcTrace | None = None
    #: What a reader noticed for the curious (layout, format, row counts): never read by the
    #: pipeline; anything the pipeline needs is a typed field above.
    extra: dict[str, Any] = field(default_factory=dict)
    #: When the reader left the records' ``digest`` out (``ReadOptions.defer_digests``): gives
    #: ``line`` and ``digest`` of every record of ``events`` (reading the file again), for the
    #: timeline's merge of rotated copies, which alone needs it.
    digests: Callable[[], pl.DataFrame] | None = None


#: :func:`column_bounds` found so far: by the frame's id, the frame (weakly) and its columns'.
_BOUNDS: dict[int, tuple[weakref.ref[pl.DataFrame], dict[str, tuple[Any, Any]]]] = {}
_BOUNDS_LOCK = threading.RLock()  # (a frame let go under it calls back for it)


#: From this many rows :func:`column_bounds` asks one query on two threads; below, the
#: column's own min and max (a query costs 80 us: a folder of 2,000 small files).
_BOUNDS_QUERY_ROWS = 1 << 16


def column_bounds(frame: pl.DataFrame, column: str) -> tuple[Any, Any]:
    """The least and the greatest value of ``frame``'s ``column`` (nulls left out; None and
    None when it holds none), worked out once for each frame: the steps after reading ask it of
    the same readers' frames again and again (the hosts' spans, the zones' years, the dates of
    a dumplog's parts, the line numbers' width: 40 ms of one pass each on a 1 GB bundle's 8
    million records). Both are found in one query, on two threads, for a large frame. A frame
    is never changed in place (a step that changes one makes a new frame): what is kept goes
    with the frame."""
    key = id(frame)
    with _BOUNDS_LOCK:
        entry = _BOUNDS.get(key)
        if entry is not None and entry[0]() is frame and column in entry[1]:
            return entry[1][column]
    if frame.height < _BOUNDS_QUERY_ROWS:
        values = frame.get_column(column)
        lo, hi = values.min(), values.max()
    else:
        col = pl.col(column)
        lo, hi = frame.select(col.min().alias("lo"), col.max().alias("hi")).row(0)
    with _BOUNDS_LOCK:
        entry = _BOUNDS.get(key)
        if entry is None or entry[0]() is not frame:

            def gone(ref: weakref.ref[pl.DataFrame], key: int = key) -> None:
                with _BOUNDS_LOCK:
                    if (held := _BOUNDS.get(key)) is not None and held[0] is ref:
                        del _BOUNDS[key]

            entry = (weakref.ref(frame, gone), {})
            _BOUNDS[key] = entry
        entry[1][column] = (lo, hi)
    return lo, hi


class Reader(Protocol):
    """A reader recognises its format from content and parses it."""

    kind: str

    def sniff(self, head: str, name: str) -> bool:
        """True when ``head`` (first ~64 KiB, decoded) looks like this format."""
        ...

    def read(self, item: InputFile, text_encoding: str, options: ReadOptions = ...) -> ReadResult:
        """Parse the whole file, as ``options`` say (what message text to keep, piece sizes,
        which counters). Raise :class:`hbtriage.errors.InputError` when it is unusable."""
        ...
