"""A Windows event log export that holds several computers' events, one input per computer.

Admins often collect both servers' System log with one command (``Get-EventLog -ComputerName
PG1A,CVP1 -LogName System | Export-Csv``: a ``MachineName`` per row) or export a collector's
"Forwarded Events" log (Event Viewer, ``wevtutil qe ForwardedEvents /f:text``: a ``Computer:``
per event). Such a file is read once, as any event log export; :func:`split` then cuts its
events by the computer each names (compared as host names are: case ignored, a DNS name by its
first label), as a perfmon CSV of several machines is cut (:mod:`.perfmon_machines`): each part
is shown as ``file [COMPUTER]``, its ``senders`` name the computer, its folder names no host
(it is the collecting machine's), and ``InputFile.whole`` names the file.

Times: each event was stamped by its own computer's clock, but a PowerShell or Event Viewer
export writes them in the zone of the machine that exported the file. The timeline converts a
part of another computer than the exporter in the exporter's zone when the exporter is known
(the host of the other files in the folder the file sits in) and both zones are known; a
wevtutil date with ``Z`` or an offset is absolute either way. Events that name no computer
stay an input of the file itself, whose host its folder gives.
"""

from __future__ import annotations

import dataclasses

import polars as pl

from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.eventlog import KIND, short_host
from hbtriage.sources.perfmon_machines import names_by_key, one_per_machine
from hbtriage.warning_text import Joined, warn


def computers_of(result: ReadResult) -> dict[str, list[str]]:
    """The computers whose events ``result`` holds (see
    :func:`~hbtriage.sources.perfmon_machines.names_by_key`)."""
    return names_by_key(None if result.events is None else result.events["node"])


def split(item: InputFile, result: ReadResult) -> list[tuple[InputFile, ReadResult]] | None:
    """``result`` (read from ``item``) as one input per computer when its events name more
    than one, else None (the file stays one input, as it was read). The frame is cut, never
    read again; the file's warnings go with the first part, after the one that says the file
    was split."""
    if result.kind != KIND or result.events is None:
        return None
    computers = computers_of(result)
    if len(computers) < 2:
        return None
    events = result.events
    node = events["node"].cast(pl.Utf8)
    parts = [events.filter(node.is_in(names)) for names in computers.values()]
    unnamed = events.filter(node.is_null())
    result.events = None  # the parts own the rows now
    total = events.height
    del events, node
    shown = [short_host(names[0]) for names in computers.values()]
    said = warn(
        "at_file",
        path=item.display,
        reason=warn(
            "eventlog_computers",
            count=len(computers),
            computers=Joined(shown, sep=", ", sep_ja="、"),
            times=warn(
                "eventlog_computers_offsets"
                if parts[0]["offset_min"].null_count() == 0
                else "eventlog_computers_local"
            ),
        ),
    )
    groups = [
        (name, names, rows)
        for name, names, rows in zip(shown, computers.values(), parts, strict=True)
    ]
    out = one_per_machine(item, result, groups, total, said, warn("host_reason_eventlog"))
    if unnamed.height:
        # Records without a computer: the file's own, as any event export without one.
        rest = dataclasses.replace(result, host=None, host_reason="", warnings=[])
        rest.events = unnamed
        out.append((item, rest))
    return out
