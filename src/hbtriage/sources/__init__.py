"""Readers: one per input format, found by content. ``READERS`` is the registry, in sniff order
(specific formats first, the generic timestamped-log reader last)."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hbtriage.errors import InputError
from hbtriage.sources import _sniffs
from hbtriage.sources.base import InputFile, Reader, ReadResult
from hbtriage.sources.encoding import decode, detect_encoding
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn

if TYPE_CHECKING:
    from hbtriage.catalog import LineFormat


class LazyReader:
    """A reader of the registry, its module imported on first need: when a file is of its
    kind (``read``), when its sniff is not one of :mod:`hbtriage.sources._sniffs` (``sniff``),
    or when anything else is asked of it. A run imports the readers of the formats it meets,
    not all of them (each is 3-15 ms of module work: patterns, tables, dataclasses)."""

    def __init__(
        self,
        kind: str,
        module: str,
        name: str = "READER",
        sniff: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.kind = kind
        self.module = module
        self.name = name
        self._sniff = sniff

    @functools.cached_property
    def reader(self) -> Reader:
        """The reader object itself (its module imported)."""
        got: Reader = getattr(importlib.import_module(f"hbtriage.sources.{self.module}"), self.name)
        return got

    def sniffer(self) -> Callable[[str, str], bool]:
        """The reader's sniff: the light one, else the reader's own (its module imported)."""
        return self._sniff if self._sniff is not None else self.reader.sniff

    def sniff(self, head: str, name: str) -> bool:
        return self.sniffer()(head, name)

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        return self.reader.read(item, text_encoding, options)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or attr in ("kind", "module", "name", "reader", "fmt", "_sniff"):
            raise AttributeError(attr)
        return getattr(self.reader, attr)

    def __repr__(self) -> str:
        return f"<reader {self.kind} (hbtriage.sources.{self.module}.{self.name})>"


class _LazyDeclared(LazyReader):
    """The reader of a format declared in the catalog (:mod:`hbtriage.sources.declared`),
    made on first need."""

    def __init__(self, fmt: LineFormat) -> None:
        super().__init__(fmt.id, "declared", "DeclaredReader")
        self.fmt = fmt

    @functools.cached_property
    def reader(self) -> Reader:
        from hbtriage.sources.declared import readers_of

        (got,) = readers_of((self.fmt,))
        return got


def resolved(reader: Reader) -> Reader:
    """The reader object behind ``reader`` (itself when it is not a :class:`LazyReader`)."""
    return reader.reader if isinstance(reader, LazyReader) else reader


#: The registry, in sniff order. The light sniffs are the readers' own (their modules take
#: them from :mod:`hbtriage.sources._sniffs`); the others import the reader module to sniff.
READERS: tuple[Reader, ...] = (
    LazyReader("perfmon_csv", "perfmon_csv"),
    LazyReader("get_counter", "get_counter"),
    LazyReader("sar", "sar", sniff=_sniffs.sar),
    LazyReader("watch_log", "watch_log", sniff=_sniffs.watch_log),
    # before config_snapshot: a LatencyMon drivers table lists ndis.sys with its file version
    LazyReader("latencymon", "dpcisr_latencymon", sniff=_sniffs.latencymon),
    LazyReader("config_snapshot", "config_snapshot"),
    # after config_snapshot: a snapshot script's file of netsh and netstat -s is configuration
    LazyReader("net_counters", "net_counters"),
    LazyReader("eventlog", "eventlog", sniff=_sniffs.eventlog),
    LazyReader("cvp_log", "cvp_log"),
    LazyReader("ciscolog", "ciscolog"),
    LazyReader("icm_dumplog", "icm_dumplog"),
    LazyReader("xperf_dpcisr", "dpcisr_xperf", sniff=_sniffs.xperf_dpcisr),
    LazyReader("tracerpt_dpcisr", "dpcisr_tracerpt", sniff=_sniffs.tracerpt_dpcisr),
    LazyReader("wpa_dpcisr", "dpcisr_wpa"),
    LazyReader("bcc_irq", "irq_linux", "BCC_READER", sniff=_sniffs.bcc_irq),
    LazyReader("proc_interrupts", "irq_linux", "PROC_READER", sniff=_sniffs.proc_interrupts),
    LazyReader("generic_log", "generic_log"),
)

HEAD_BYTES = 65536
#: C0 control bytes that text files do not hold (tab, line ends, form feed and ESC are allowed).
_CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 27), *range(28, 32), 127])


@dataclass
class Outcome:
    """What happened to one input: a result, or why there is none."""

    item: InputFile
    result: ReadResult | None
    kind: str  # reader kind, "unsupported", "empty" or "unreadable"
    encoding: str | None = None
    message: str = ""  # one line for the user when there is no result


@functools.cache
def readers_for(formats: tuple[LineFormat, ...] = ()) -> tuple[Reader, ...]:
    """The readers in sniff order: the built-in ones, the declared formats before the last
    (generic) reader."""
    if not formats:
        return READERS
    return (*READERS[:-1], *(_LazyDeclared(f) for f in formats), READERS[-1])


def sniff(
    item: InputFile, readers: tuple[Reader, ...] = READERS
) -> tuple[Reader | None, str | None, str]:
    """The reader for ``item`` (or None), its encoding, and a note when none fits."""
    try:
        with open(item.path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        return None, None, warn("cannot_open", error=exc.strerror)
    if not head.strip():
        return None, None, warn("empty_file")
    from hbtriage.sources import attachments, perfmon_csv

    name = os.path.basename(item.display)
    by_name = attachments.by_extension(name)
    # (an .etl of 64 KiB buffers starts as a Vista .blg does: its name tells them apart)
    if perfmon_csv.is_blg(head) and by_name is None:
        return perfmon_csv.READER, None, ""
    if (attached := attachments.by_magic(head)) is not None:  # .evtx, .pcap, RAR ...
        return None, None, attachments.note(attached, name)
    encoding = detect_encoding(head)
    if not encoding.startswith("utf-16") and not encoding.startswith("utf-32"):
        nuls = head.count(0)
        controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
        if nuls > len(head) // 100 or controls > len(head) // 20:
            note = warn("binary_file") if by_name is None else attachments.note(by_name, name)
            return None, encoding, note
    text = decode(head, encoding)
    text = text.lstrip("\ufeff")
    for reader in readers:
        # (a reader module is imported out here: failing that is no sniffer's failure)
        check = reader.sniffer() if isinstance(reader, LazyReader) else reader.sniff
        try:
            if check(text, name):
                return resolved(reader), encoding, ""
        except Exception:  # a sniffer must never take the run down  # noqa: BLE001
            continue
    if by_name is not None:
        return None, encoding, attachments.note(by_name, name)
    return None, encoding, warn("not_a_format")


def read_all(item: InputFile, options: ReadOptions = DEFAULT) -> list[Outcome]:
    """:func:`read_one`, but a syslog server's file that collects several senders' feeds is
    read as one input per sender (:mod:`hbtriage.sources.relay`), a perfmon CSV or an event
    log export of several machines as one input per machine: one outcome each."""
    reader, encoding, note = sniff(item, readers_for(options.formats))
    if reader is not None and reader.kind in ("perfmon_csv", "eventlog"):
        return _by_machine(_read_sniffed(item, reader, encoding, note, options))
    if reader is None or reader.kind not in _RELAY_KINDS:
        return [_read_sniffed(item, reader, encoding, note, options)]
    from hbtriage.sources import relay

    try:
        split = relay.split(item, encoding or "utf-8", options)
    except InputError as exc:
        return [_unreadable(item, encoding, exc)]
    except OSError as exc:
        # No room (or no right) to write the senders' files: read it whole, as one log.
        outcome = _read_sniffed(item, reader, encoding, note, options)
        if outcome.result is not None:
            why = warn("relay_not_split", error=exc.strerror or str(exc))
            outcome.result.warnings.insert(0, warn("at_file", path=item.display, reason=why))
        return [outcome]
    if split is None:
        return [_read_sniffed(item, reader, encoding, note, options)]
    # Progress goes on from the split's passes (relay.FOUND, READ_FROM) through the reading.
    tell, size = options.progress, item.size
    if split.folder is None:  # one sender: read where it is
        rest = dataclasses.replace(options, progress=relay.share(tell, size, relay.FOUND, 1, size))
        return [_read_sniffed(split.items[0], reader, encoding, note, rest)]
    outcomes: list[Outcome] = []
    try:
        total, done = sum(p.size for p in split.items), 0
        for index, part in enumerate(split.items):
            # The senders' files are removed after reading: their digests are made now.
            lo, hi = (
                relay.READ_FROM + (1 - relay.READ_FROM) * d / max(total, 1)
                for d in (done, done + part.size)
            )
            own = dataclasses.replace(
                options, defer_digests=False, progress=relay.share(tell, size, lo, hi, part.size)
            )
            outcome = read_one(part, own)
            if outcome.result is not None:
                split.renumber(index, outcome.result)
            outcomes.append(outcome)
            done += part.size
    finally:
        split.close()
    if split.ignored is not None:
        first = next((o.result for o in outcomes if o.result is not None), None)
        if first is not None:
            first.warnings.insert(0, split.ignored)
    return outcomes


def _by_machine(outcome: Outcome) -> list[Outcome]:
    """``outcome`` of a perfmon CSV or an event log export, as one outcome per machine whose
    counters or events it holds (:mod:`hbtriage.sources.perfmon_machines`,
    :mod:`hbtriage.sources.eventlog_machines`): the file is read once, its rows cut."""
    if outcome.result is None:
        return [outcome]
    from hbtriage.sources import eventlog_machines, perfmon_machines

    machines = perfmon_machines if outcome.kind == "perfmon_csv" else eventlog_machines
    parts = machines.split(outcome.item, outcome.result)
    if parts is None:
        return [outcome]
    return [Outcome(part, res, res.kind, outcome.encoding) for part, res in parts]


def _unreadable(item: InputFile, encoding: str | None, exc: InputError) -> Outcome:
    """``item`` not read for ``exc``, which names it as the user knows it: code that reads the
    bytes knows only where they are (an archive's member is in the work folder)."""
    if exc.path == item.path:
        exc.path = item.display
    return Outcome(item, None, "unreadable", encoding, exc.one_line())


#: The kinds a syslog server's file of several senders is sniffed as (see ``relay.KINDS``).
_RELAY_KINDS = frozenset({"cvp_log", "ciscolog"})


def read_one(item: InputFile, options: ReadOptions = DEFAULT) -> Outcome:
    """Sniff and read one file (never raises for a bad file: the outcome says why)."""
    reader, encoding, note = sniff(item, readers_for(options.formats))
    return _read_sniffed(item, reader, encoding, note, options)


def _read_sniffed(
    item: InputFile, reader: Reader | None, encoding: str | None, note: str, options: ReadOptions
) -> Outcome:
    if reader is None:
        kind = "empty" if note == "empty file" else "unsupported"
        return Outcome(item, None, kind, encoding, warn("at_file", path=item.display, reason=note))
    try:
        result = reader.read(item, encoding or "utf-8", options)
    except InputError as exc:
        return _unreadable(item, encoding, exc)
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # a reader bug must not hide the rest of the bundle  # noqa: BLE001
        return Outcome(
            item,
            None,
            "unreadable",
            encoding,
            warn(
                "at_file",
                path=item.display,
                reason=warn("read_failed", kind=reader.kind, error=f"{type(exc).__name__}: {exc}"),
            ),
        )
    if not result.encoding:
        result.encoding = encoding
    return Outcome(item, result, result.kind, result.encoding)


__all__ = [
    "READERS",
    "LazyReader",
    "Outcome",
    "ReadOptions",
    "read_all",
    "read_one",
    "resolved",
    "sniff",
]
