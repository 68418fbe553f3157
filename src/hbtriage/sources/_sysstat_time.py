"""How sysstat's text reports write their dates and times in each LC_TIME
(``catalog/sysstat.toml``): the banner's date (strftime ``%x``) and the rows' time (``%X``).

:func:`row_re` matches a row, its time in any of them (``07:35:00 AM``, ``07:35:00``,
``07時35分00秒``, ``07시 35분 00초``: groups ``h``, ``m``, ``s``, ``ampm``) and the ``rest``;
:func:`banner_date` reads the banner's date, telling ``05/01/2013`` of en_US from fr_FR's by the
rows' clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from hbtriage.catalog import cached_bundled, entries_of, string_list
from hbtriage.errors import CatalogError
from hbtriage.warning_text import warn

CLOCKS = ("12h", "24h", "any")


@dataclass(frozen=True)
class DateLayout:
    """``[[date]]`` of ``sysstat.toml``: one LC_TIME's ``%x``."""

    id: str
    layout: str
    clock: str
    locales: str


@dataclass(frozen=True)
class SysstatWords:
    dates: tuple[DateLayout, ...]
    hour: tuple[str, ...]
    minute: tuple[str, ...]
    second: tuple[str, ...]


def build(text: str, path: str) -> SysstatWords:
    """Parse and check ``sysstat.toml`` (CatalogError naming the entry)."""
    entries, doc = entries_of(text, path, "date")
    dates: list[DateLayout] = []
    for e in entries:
        did = e.get("id")
        fields = [e.get(k) for k in ("id", "layout", "clock", "locales", "reference")]
        if not all(isinstance(f, str) and f for f in fields) or e.get("clock") not in CLOCKS:
            raise CatalogError(
                path,
                did if isinstance(did, str) else None,
                warn(
                    "catalog_sysstat", what="id, layout, clock (12h, 24h, any), locales, reference"
                ),
            )
        dates.append(DateLayout(str(did), str(e["layout"]), str(e["clock"]), str(e["locales"])))
    time = doc.get("time")
    words = [
        string_list(time.get(k)) if isinstance(time, dict) else None
        for k in ("hour", "minute", "second")
    ]
    if any(w is None for w in words):
        raise CatalogError(path, "time", warn("catalog_sysstat", what="hour, minute, second lists"))
    hour, minute, second = (w or () for w in words)
    return SysstatWords(tuple(dates), hour, minute, second)


@functools.cache
def words() -> SysstatWords:
    """The bundled ``catalog/sysstat.toml``, checked."""
    return cached_bundled("sysstat.toml", build)


def _alt(items: tuple[str, ...]) -> str:
    return "|".join(re.escape(i) for i in items)


def hour24(hour: str, ampm: str | None) -> int:
    """The hour of a row on the 24-hour clock."""
    h = int(hour)
    return h % 12 + (12 if ampm == "PM" else 0) if ampm else h


@dataclass(frozen=True)
class BannerDate:
    day: dt.date
    layout: DateLayout
    #: Another reading of the same text (05/01/13: C's May 1, en_GB's 5 January), or None.
    other: tuple[dt.date, DateLayout] | None


def banner_date(text: str, twelve_hour: bool | None) -> BannerDate | None:
    """The date of a banner's ``text`` by the first layout of the catalog that reads it and
    whose clock the rows keep (``twelve_hour``: AM/PM rows; None when no row was seen)."""
    read: list[tuple[dt.date, DateLayout]] = []
    for lay in words().dates:
        try:
            day = dt.datetime.strptime(text.strip(), lay.layout).date()
        except ValueError:
            continue
        if all(d != day for d, _ in read) or not read:
            read.append((day, lay))
    if not read:
        return None
    if twelve_hour is not None:
        want = "12h" if twelve_hour else "24h"
        fits = [r for r in read if r[1].clock in (want, "any")]
        read = fits or read
    day, lay = read[0]
    other = next(((d, la) for d, la in read[1:] if d != day), None)
    return BannerDate(day, lay, other)


@functools.cache
def row_pattern() -> str:
    """A row of a report (its time, then ``rest``), for Python's re and polars alike."""
    w = words()
    return (
        rf"^(?P<h>\d{{1,2}})(?::|(?:{_alt(w.hour)}) ?)(?P<m>\d{{2}})(?::|(?:{_alt(w.minute)}) ?)"
        rf"(?P<s>\d{{2}})(?:{_alt(w.second)})?(?:\s+(?P<ampm>[AP]M))?\s+(?P<rest>.*)$"
    )


@functools.cache
def row_re() -> re.Pattern[str]:
    return re.compile(row_pattern())
