"""Log formats declared as data: one ``[[format]]`` entry in ``catalog/formats/*.toml`` (or in a
``--catalog`` folder) is all a simple new line-oriented log needs.

An entry says what the start of a record line looks like (``start``: a regex with named
groups, up to where the message begins; lines that do not match continue the record above),
and how the time stamp in its ``time`` group is written (``timestamp``: a ``strptime`` layout;
a separate ``date`` group takes the ``date`` layout). ``fields`` maps event columns
(``severity``, ``component``, ``node``) to group names; a ``zone`` group (``Z``, ``+09:00``) or
the entry's fixed ``zone`` gives the offset from UTC, else the host's zone applies.

Time stamps with a time of day only (``hh:mm:ss``) get their date from a date in the file name
(``2024-05-01``, ``20240501``), else from the file's modification time, which is taken as the
day of the last record; each step back in time of more than an hour starts the next day. A
warning says which.

Time stamps with a month and day but no year (Android's ``03-17 16:13:38.811``, Proxifier's
``[10.30 16:49:06]``) get their year as RFC 3164 syslog does: the file's modification time gives
the year of the last record (the year before when that month and day come later), and each step
back in time of more than half a year (Dec → Jan) starts the next year. A warning says so.

The reader walks the file in pieces like the built-in readers (:class:`_lines.Pieces`), keeps
message text only where a signature can match, and reports bad lines with their line numbers.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import polars as pl

from hbtriage.catalog import LineFormat
from hbtriage.sources import _lines as L
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.encoding import read_head
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn

#: Event columns a format may fill from its groups.
FIELD_COLUMNS = ("severity", "component", "node")
_DATE_DIRECTIVES = re.compile(r"%[YydmbBjUWGVuaAcxFs]")
_NAME_DATE = re.compile(r"(?<![0-9])(20[0-9]{2})-?([01][0-9])-?([0-3][0-9])(?![0-9])")
#: Directives that write a year (or a whole date with its year, or seconds since 1970).
_YEAR_DIRECTIVES = re.compile(r"%[YyGsCcDFxv]")
#: A step back in time larger than this between two records of a time-only log is a new day.
_ROLLBACK = dt.timedelta(hours=1)
#: ... and in a log without years, a step back larger than this is a new year.
_YEAR_ROLLBACK = dt.timedelta(days=183)
#: The leap year a stamp without a year is first parsed in (so that Feb 29 parses).
_LEAP = 2000


def check_format(fmt: LineFormat) -> list[str]:
    """What is wrong with a declared format (empty when nothing is), each worded by id."""
    problems: list[str] = []
    try:
        rx = re.compile(fmt.start)
    except re.error as exc:
        return [warn("format_bad_start", error=str(exc))]
    try:
        pl.Series(["x"]).str.contains(fmt.start)
    except pl.exceptions.PolarsError as exc:
        problems.append(warn("format_start_polars", error=str(exc).splitlines()[0]))
    groups = set(rx.groupindex)
    if "time" not in groups:
        problems.append(warn("format_no_time_group"))
    if bool(fmt.date) != ("date" in groups):
        problems.append(warn("format_date_group"))
    for column, group in fmt.fields.items():
        if column not in FIELD_COLUMNS:
            known = ", ".join(FIELD_COLUMNS)
            problems.append(warn("format_unknown_column", column=repr(column), known=known))
        if group not in groups:
            problems.append(warn("format_missing_group", column=column, group=repr(group)))
    if fmt.zone is not None and _zone_minutes(fmt.zone) is None:
        problems.append(warn("format_bad_zone", zone=repr(fmt.zone)))
    if not 0 < fmt.min_share <= 1:
        problems.append(warn("format_min_share"))
    if fmt.example and not problems:
        m = rx.match(fmt.example)
        if m is None:
            problems.append(warn("format_example_no_match"))
        elif _parse_one(fmt, m.group("time"), m.groupdict().get("date")) is None:
            time, layout = repr(m.group("time")), repr(_layout(fmt))
            problems.append(warn("format_example_time", time=time, layout=layout))
    return problems


def _layout(fmt: LineFormat) -> str:
    return f"{fmt.date} {fmt.timestamp}" if fmt.date else fmt.timestamp


def _time_only(fmt: LineFormat) -> bool:
    return not fmt.date and not _DATE_DIRECTIVES.search(fmt.timestamp)


def _no_year(fmt: LineFormat) -> bool:
    layout = _layout(fmt)
    return bool(_DATE_DIRECTIVES.search(layout)) and not _YEAR_DIRECTIVES.search(layout)


def _parse_one(fmt: LineFormat, time: str, date: str | None) -> dt.datetime | None:
    """One stamp parsed by the engine the reader uses (polars' strptime, which also takes
    ``%s``, seconds since 1970)."""
    text = f"{date} {time}" if fmt.date else time
    if _time_only(fmt):
        text, layout = f"2000-01-01 {text}", "%Y-%m-%d " + fmt.timestamp
    elif _no_year(fmt):
        text, layout = f"{_LEAP} {text}", "%Y " + _layout(fmt)
    else:
        layout = _layout(fmt)
    try:
        got = pl.select(L.strptime_ns(pl.lit(text), layout)).item()
    except pl.exceptions.PolarsError:
        return None
    return got if isinstance(got, dt.datetime) else None


def _zone_minutes(zone: str) -> int | None:
    z = zone.strip()
    if z.upper() in ("UTC", "Z", "GMT"):
        return 0
    m = re.fullmatch(r"(?:UTC)?([+-])([0-9]{2}):?([0-9]{2})", z)
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return minutes if m.group(1) == "+" else -minutes


class DeclaredReader:
    """The reader of one declared format; its kind is the format's id."""

    def __init__(self, fmt: LineFormat) -> None:
        self.fmt = fmt
        self.kind = fmt.id
        self._start = f"^(?:{fmt.start})"

    def sniff(self, head: str, name: str) -> bool:
        hits, total = L.head_share(head, self._start)
        return total > 0 and hits >= min(2, total) and hits >= self.fmt.min_share * total

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        fmt = self.fmt
        enc = text_encoding or read_head(item.path)[1]
        groups = set(re.compile(fmt.start).groupindex)
        walk = L.Pieces(item.path, enc, fmt.start, options)
        pieces: list[pl.DataFrame] = []
        for lines in walk.lines():
            parts = L.extract(lines, fmt.start)
            del lines
            keep = ["time", *(g for g in ("date", "zone") if g in groups)]
            keep += [g for g in fmt.fields.values() if g not in keep]
            records, orphans = L.assemble(parts, fields=keep)
            walk.done(parts, orphans, records.height)
            del parts
            pieces.append(records)
        if walk.records == 0:
            raise L.no_records(
                item.display, walk.first_seen, warn("expect_declared", title=fmt.title)
            )
        records = pl.concat(pieces) if len(pieces) > 1 else pieces[0]
        del pieces
        records, note = self._timestamps(records, item)
        columns = [pl.col(g).alias(c) for c, g in fmt.fields.items()]
        zone = (
            L.offset_minutes(pl.col("zone").str.strip_chars())
            if "zone" in groups
            else pl.lit(_zone_minutes(fmt.zone) if fmt.zone else None, pl.Int32)
        )
        records = records.with_columns(*columns, zone.alias("offset_min"))
        bad = L.bad_time_items(records, warn("what_time_stamp_layout", layout=_layout(fmt)))
        events = L.slim(
            L.to_events(records.filter(pl.col("ts_local").is_not_null())), self.kind, options
        )
        host = L.most_frequent(events["node"]) if "node" in fmt.fields else None
        items = walk.preamble() + ([(0, note)] if note else []) + walk.long_items + bad
        return ReadResult(
            kind=self.kind,
            encoding=enc,
            host=host,
            host_reason=warn("host_reason_declared", title=fmt.title) if host else "",
            zone=fmt.zone,
            offset_min=_zone_minutes(fmt.zone) if fmt.zone else None,
            stream=fmt.id,
            events=events,
            warnings=L.cap_warnings(item.display, items + walk.tail_items),
        )

    def _timestamps(self, records: pl.DataFrame, item: InputFile) -> tuple[pl.DataFrame, str]:
        fmt = self.fmt
        time = pl.col("time").str.strip_chars()
        if _no_year(fmt):
            return _with_years(records, fmt, item)
        if fmt.date:
            text = pl.concat_str([pl.col("date").str.strip_chars(), pl.lit(" "), time])
            return records.with_columns(_strptime(text, _layout(fmt)).alias("ts_local")), ""
        if not _time_only(fmt):
            return records.with_columns(_strptime(time, fmt.timestamp).alias("ts_local")), ""
        # A time of day only: the day comes from the file name or its modification time.
        tod = _strptime(pl.concat_str([pl.lit("2000-01-01 "), time]), "%Y-%m-%d " + fmt.timestamp)
        records = records.with_columns(tod.alias("_tod"))
        prev = pl.col("_tod").forward_fill().shift(1)
        back = (pl.col("_tod") < prev - _ROLLBACK).fill_null(False)
        records = records.with_columns(back.cast(pl.Int32).cum_sum().alias("_day"))
        days = int(records.select(pl.col("_day").max().fill_null(0)).item())
        named = _NAME_DATE.search(os.path.basename(item.display.rsplit("!", 1)[-1]))
        first: dt.date | None = None
        if named:
            try:
                first = dt.date(int(named[1]), int(named[2]), int(named[3]))
            except ValueError:
                first = None
        if first is not None:
            note = warn("no_date_from_name", first=first)
        else:
            last = L.file_time(item.path).date()
            first = last - dt.timedelta(days=days)
            note = warn("no_date_from_mtime", last=last)
        base = dt.datetime.combine(first, dt.time()) - dt.datetime(2000, 1, 1)
        ts = pl.col("_tod") + pl.lit(base) + pl.duration(days=pl.col("_day"))
        return records.with_columns(ts.alias("ts_local")).drop("_tod", "_day"), note


def _with_years(
    records: pl.DataFrame, fmt: LineFormat, item: InputFile
) -> tuple[pl.DataFrame, str]:
    """``ts_local`` of stamps with a month and day but no year (see the module's notes)."""
    time = pl.col("time").str.strip_chars()
    if fmt.date:
        time = pl.concat_str([pl.col("date").str.strip_chars(), pl.lit(" "), time])
    md = _strptime(pl.concat_str([pl.lit(f"{_LEAP} "), time]), f"%Y {_layout(fmt)}")
    records = records.with_columns(md.alias("_md"))
    prev = pl.col("_md").forward_fill().shift(1)
    back = (pl.col("_md") < prev - _YEAR_ROLLBACK).fill_null(False)
    records = records.with_columns(back.cast(pl.Int32).cum_sum().alias("_y"))
    dated = records.filter(pl.col("_md").is_not_null())
    if dated.height == 0:
        return records.with_columns(pl.col("_md").alias("ts_local")).drop("_md", "_y"), ""
    anchor = L.file_time(item.path)
    last_md, years = dated["_md"][-1], int(dated["_y"][-1])
    # (the last record would come after the file was written: it is last year's)
    year_last = anchor.year - L.after_file_time(anchor, last_md.month, last_md.day)
    first = year_last - years
    ts = pl.col("_md").dt.offset_by(pl.format("{}y", pl.col("_y") + (first - _LEAP)))
    span = str(first) if years == 0 else f"{first}-{year_last}"
    note = warn("no_year_from_mtime", span=span)
    return records.with_columns(ts.alias("ts_local")).drop("_md", "_y"), note


def _strptime(expr: pl.Expr, layout: str) -> pl.Expr:
    return L.strptime_ns(expr, layout)


def readers_of(formats: tuple[LineFormat, ...]) -> tuple[DeclaredReader, ...]:
    """One reader per declared format, in catalog order."""
    return tuple(DeclaredReader(f) for f in formats)
