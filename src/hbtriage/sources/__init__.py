"""Readers: one per input format, found by content. ``READERS`` is the registry, in sniff order
(specific formats first, the generic timestamped-log reader last)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from hbtriage.catalog import LineFormat
from hbtriage.errors import InputError
from hbtriage.sources import (
    ciscolog,
    config_snapshot,
    cvp_log,
    declared,
    dpcisr_latencymon,
    dpcisr_tracerpt,
    dpcisr_wpa,
    dpcisr_xperf,
    eventlog,
    generic_log,
    icm_dumplog,
    irq_linux,
    perfmon_csv,
    sar,
    watch_log,
)
from hbtriage.sources.base import InputFile, Reader, ReadResult
from hbtriage.sources.encoding import decode, detect_encoding
from hbtriage.sources.options import DEFAULT, ReadOptions

READERS: tuple[Reader, ...] = (
    perfmon_csv.READER,
    sar.READER,
    watch_log.READER,
    # before config_snapshot: a LatencyMon drivers table lists ndis.sys with its file version
    dpcisr_latencymon.READER,
    config_snapshot.READER,
    eventlog.READER,
    cvp_log.READER,
    ciscolog.READER,
    icm_dumplog.READER,
    dpcisr_xperf.READER,
    dpcisr_tracerpt.READER,
    dpcisr_wpa.READER,
    *irq_linux.READERS,
    generic_log.READER,
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
    return (*READERS[:-1], *declared.readers_of(formats), READERS[-1])


def sniff(
    item: InputFile, readers: tuple[Reader, ...] = READERS
) -> tuple[Reader | None, str | None, str]:
    """The reader for ``item`` (or None), its encoding, and a note when none fits."""
    try:
        with open(item.path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        return None, None, f"cannot open ({exc.strerror})"
    if not head.strip():
        return None, None, "empty file"
    if perfmon_csv.is_blg(head):
        return perfmon_csv.READER, None, ""
    encoding = detect_encoding(head)
    if not encoding.startswith("utf-16") and not encoding.startswith("utf-32"):
        nuls = head.count(0)
        controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
        if nuls > len(head) // 100 or controls > len(head) // 20:
            return None, encoding, "binary file, not a log, perfmon CSV or snapshot"
    text = decode(head, encoding)
    text = text.lstrip("\ufeff")
    name = os.path.basename(item.display)
    for reader in readers:
        try:
            if reader.sniff(text, name):
                return reader, encoding, ""
        except Exception:  # a sniffer must never take the run down  # noqa: BLE001
            continue
    return None, encoding, "not a format hbtriage reads (no known timestamp or header); skipped"


def read_one(item: InputFile, options: ReadOptions = DEFAULT) -> Outcome:
    """Sniff and read one file (never raises for a bad file: the outcome says why)."""
    reader, encoding, note = sniff(item, readers_for(options.formats))
    if reader is None:
        kind = "empty" if note == "empty file" else "unsupported"
        return Outcome(item, None, kind, encoding, f"{item.display}: {note}")
    try:
        result = reader.read(item, encoding or "utf-8", options)
    except InputError as exc:
        return Outcome(item, None, "unreadable", encoding, exc.one_line())
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # a reader bug must not hide the rest of the bundle  # noqa: BLE001
        return Outcome(
            item,
            None,
            "unreadable",
            encoding,
            f"{item.display}: could not be read as {reader.kind} ({type(exc).__name__}: {exc})",
        )
    if not result.encoding:
        result.encoding = encoding
    return Outcome(item, result, result.kind, result.encoding)


__all__ = ["READERS", "Outcome", "ReadOptions", "read_one", "sniff"]
