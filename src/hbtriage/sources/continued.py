"""The parts of a dumplog a user cut apart, dated as the one log they are.

A dumplog writes its date only in its 'Events from <date>' line, at its start and at each
midnight. A user who cuts a large dumplog into parts (an editor, ``split -l``) leaves that line
in the first part only, and the reader dates the others from the file's modified time, which a
copy, a download or an unzip sets to the day it was made: the part's records land on another
day (years off), beside none of the bundle's other logs, and an incident found in them is one
of its own. :func:`continue_dates` dates such a part from the part it continues: a dated
dumplog of the same ICM process (node and process, ``pg1A-pim1``) that ends less than
:data:`FOLLOWS_WITHIN` before the part starts on the clock's time of day (past midnight when
the part's first time of day is earlier than that one's last).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from hbtriage.sources import Outcome
from hbtriage.sources.base import column_bounds
from hbtriage.warning_text import warn

#: How far apart on the clock the end of a part and the start of the next may be.
FOLLOWS_WITHIN = dt.timedelta(hours=1)


@dataclass
class _Dated:
    last: dt.datetime  # its last time stamp (local)
    display: str


def _key(o: Outcome) -> tuple[str, str] | None:
    r = o.result
    if r is None or r.kind != "icm_dumplog" or r.events is None or r.events.height == 0:
        return None
    return (r.host or "").casefold(), r.stream or ""


def _follows(first: dt.datetime, dated: list[_Dated]) -> tuple[_Dated, dt.date] | None:
    """The dated part that ``first`` (a time of day: its date is not known) follows closest,
    within :data:`FOLLOWS_WITHIN`, and the date it then has."""
    best: tuple[dt.timedelta, _Dated, dt.date] | None = None
    for d in dated:
        day = d.last.date() if first.time() >= d.last.time() else d.last.date() + dt.timedelta(1)
        gap = dt.datetime.combine(day, first.time()) - d.last
        if gap <= FOLLOWS_WITHIN and (best is None or gap < best[0]):
            best = (gap, d, day)
    return None if best is None else (best[1], best[2])


def continue_dates(outcomes: list[Outcome]) -> None:
    """Date each undated dumplog part from the part it continues (see the module), in place:
    its records move by whole days, and the reader's 'dates taken from the file's modified
    time' warning becomes one that names the part it continues."""
    dated: dict[tuple[str, str], list[_Dated]] = {}
    undated: list[tuple[Outcome, tuple[str, str]]] = []
    for o in outcomes:
        key = _key(o)
        if key is None or o.result is None or o.result.events is None:
            continue
        if o.result.undated:
            undated.append((o, key))
        else:
            last = column_bounds(o.result.events, "ts_local")[1]
            if isinstance(last, dt.datetime):
                dated.setdefault(key, []).append(_Dated(last, o.item.display))
    changed = True
    while changed:  # a third part continues the second once that one is dated
        changed = False
        for o, key in list(undated):
            r = o.result
            assert r is not None and r.events is not None
            first = column_bounds(r.events, "ts_local")[0]
            found = _follows(first, dated.get(key, [])) if isinstance(first, dt.datetime) else None
            if found is None or not isinstance(first, dt.datetime):
                continue
            part, day = found
            days = (day - first.date()).days
            r.events = r.events.with_columns(pl.col("ts_local") + pl.duration(days=days))
            said = warn("at_file", path=o.item.display, reason=warn("no_events_from"))
            r.warnings = [w for w in r.warnings if w != said] + [
                warn(
                    "at_file",
                    path=o.item.display,
                    reason=warn("dates_continued", other=part.display, date=day.isoformat()),
                )
            ]
            r.undated = False
            undated.remove((o, key))
            last = column_bounds(r.events, "ts_local")[1]
            if isinstance(last, dt.datetime):
                dated.setdefault(key, []).append(_Dated(last, o.item.display))
            changed = True
