"""A perfmon CSV that holds the counters of several machines, one input per machine.

Users often collect perfmon on one machine for both servers (a Data Collector Set on the PG
that adds ``\\\\CVP2\\Processor(_Total)\\DPC Rate`` as remote counters), or merge two captures
(``relog pg.blg cvp.blg -f csv -o both.csv``): the header then has ``\\\\PG2A\\...`` and
``\\\\CVP2\\...`` columns. Such a file is read once, as any perfmon CSV; :func:`split` then cuts
the counters the reader found by the machine each column names (compared as host names are:
case ignored, a DNS name by its first label), as a syslog server's file of several senders is
cut by sender (:mod:`.relay`): each part is shown as ``file [MACHINE]``, its ``senders`` name
the machine, and the folder the file sits in names no host of it (it is the collecting
machine's, and which machine collected the file is not written in it).

A ``relog`` of separate captures keeps each capture's time stamps: each machine's cells were
stamped by its own clock, on rows of their own (two clocks never stamp the same millisecond),
while a collector samples every machine on one row. A file where few rows hold cells of two
machines (:func:`relogged`) is taken as a relog: its parts say so (``InputFile.relogged``) and
move with their own machine's clock; the header's zone is still the only one written.

Every column's time stamps were written by the collecting machine's clock, in the zone of the
PDH header: each part keeps that zone (``ReadResult.zone``/``offset_min``/``tz_iana``) for
converting its samples, and ``InputFile.whole`` tells the timeline that the header's zone is
no clue to the part's own machine's zone unless that machine is the collector.
"""

from __future__ import annotations

import dataclasses

import polars as pl

from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.relay import sender_key
from hbtriage.warning_text import Joined, warn

KIND = "perfmon_csv"


def names_by_key(column: pl.Series | None) -> dict[str, list[str]]:
    """The machines a column of names (a frame's ``host`` or ``node``) writes: each machine's
    key (compared as host names are: see the module doc) -> the names written for it, in the
    order the column first writes them. Empty for no column or no rows."""
    found: dict[str, list[str]] = {}
    if column is None or not column.len():
        return found
    for name in column.unique(maintain_order=True).to_list():
        if name:
            found.setdefault(sender_key(str(name)), []).append(str(name))
    return found


def machines_of(result: ReadResult) -> dict[str, list[str]]:
    """The machines whose counters ``result`` holds (see :func:`names_by_key`)."""
    return names_by_key(None if result.counters is None else result.counters["host"])


def split(item: InputFile, result: ReadResult) -> list[tuple[InputFile, ReadResult]] | None:
    """``result`` (read from ``item``) as one input per machine when its counters name more
    than one, else None. The frames are cut, never read again; the file's warnings go with the
    first part, after the one that says the file was split."""
    if result.kind != KIND or result.counters is None:
        return None
    machines = machines_of(result)
    if len(machines) < 2:
        return None
    counters = result.counters
    # One filter per machine: each machine's columns are blocks of rows (one per column), so
    # a filter takes slices of them (a cast and a partition of every row took 60x longer).
    parts = [counters.filter(pl.col("host").is_in(names)) for names in machines.values()]
    result.counters = None  # the parts own the rows now
    total = counters.height
    del counters
    shown = [names[0] for names in machines.values()]
    relog = relogged(parts)
    said = warn(
        "at_file",
        path=item.display,
        reason=warn(
            "perfmon_machines_relog" if relog else "perfmon_machines",
            count=len(machines),
            machines=Joined(shown, sep=", ", sep_ja="、"),
            zone=_zone_said(result, relog),
        ),
    )
    groups = [(names[0], names, rows) for names, rows in zip(machines.values(), parts, strict=True)]
    out = one_per_machine(item, result, groups, total, said, warn("host_reason_perfmon"))
    for part, _res in out:
        part.relogged = relog
    return out


#: A machine needs this many samples for its rows to tell a relog from a collector's file.
_RELOG_MIN_SAMPLES = 4


def relogged(parts: list[pl.DataFrame]) -> bool:
    """Whether the machines' counters ``parts`` (one frame per machine, cut from one file) are
    a relog of separate captures: the rows (time stamps) where two machines both have a value
    are fewer than half the samples of the machine with the fewest. A collector writes every
    machine's cells on its own rows, so each remote sample shares its row with the collector's;
    relog puts each capture's samples on its own time stamps. A machine with almost no samples
    tells neither: such a file stays a collector's."""
    stamps = [p.filter(pl.col("value").is_not_null())["ts_local"].unique() for p in parts]
    fewest = min(s.len() for s in stamps)
    if fewest < _RELOG_MIN_SAMPLES:
        return False
    shared = pl.concat(stamps).value_counts().filter(pl.col("count") > 1).height
    return 2 * shared < fewest


def one_per_machine(
    item: InputFile,
    result: ReadResult,
    groups: list[tuple[str, list[str], pl.DataFrame]],
    total: int,
    said: str,
    host_reason: str,
) -> list[tuple[InputFile, ReadResult]]:
    """The parts of ``item`` (read as ``result``) for ``groups`` of ``(machine as shown, its
    names as written, its rows)`` out of ``total`` rows: each shown as ``file [MACHINE]``, its
    folder naming no host, its rows in the frame the reader filled (counters, else events);
    ``said`` and the file's warnings go with the first part."""
    frame = "counters" if result.kind == KIND else "events"
    out: list[tuple[InputFile, ReadResult]] = []
    for shown, names, rows in groups:
        part = InputFile(
            display=f"{item.display} [{shown}]",
            path=item.path,
            folder_hints=[],
            size=item.size * rows.height // max(total, 1),
            given=item.given,
            given_path=item.given_path,
            senders=list(names),
            whole=item.display,
        )
        res = dataclasses.replace(
            result,
            host=shown,
            host_reason=host_reason,
            warnings=[said, *result.warnings] if not out else [],
            extra={**result.extra, "machine": shown},
        )
        setattr(res, frame, rows)
        out.append((part, res))
    return out


def _zone_said(result: ReadResult, relog: bool = False) -> str:
    """How the header's zone is said in the warning (its label, or that it writes none), of a
    collector's file or a relog (``relog``)."""
    if result.offset_min is None:
        return warn("perfmon_relog_no_zone" if relog else "perfmon_machines_no_zone")
    from hbtriage.zones import zone_label

    return warn(
        "perfmon_relog_zone" if relog else "perfmon_machines_zone",
        zone=zone_label(result.zone, result.offset_min, result.tz_iana),
    )
