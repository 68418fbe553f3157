"""What every reader receives and returns.

A reader turns one input file into tables with *local* timestamps plus what it
knows about the zone; :mod:`hbtriage.timeline` later puts everything on UTC once
each host's zone is known (a dumplog has no zone, its host's perfmon header has).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from hbtriage.sources.options import ReadOptions

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
    #: What a reader noticed for the curious (layout, format, row counts): never read by the
    #: pipeline; anything the pipeline needs is a typed field above.
    extra: dict[str, Any] = field(default_factory=dict)


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
