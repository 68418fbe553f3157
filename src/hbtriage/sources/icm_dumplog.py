"""ICM / UCCE process logs as ``dumplog <proc> /bt ... /ms /o`` writes them.

::

    Events from March 30, 2013
    19:36:35:105 pg1A-pim1 Trace: VRU heartbeat sent
    19:36:57:328 pg1A-pim1 Error receiving data from VRU.
    \tLast API Error [10054]: ...

* A line ``Events from <Month> <d>, <yyyy>`` opens the file and comes again at
  every day change; the long form with a weekday (``Events from Saturday,
  March 30, 2013``) and abbreviated months are accepted too.
* A record is ``h:mm:ss[:mmm] <node>-<process> [Trace: ]<message>``; the
  milliseconds (``/ms``) are optional and may also follow a dot. The node may
  contain hyphens, so node and process are split on the *last* hyphen.
* Continuation lines start with a tab (the tab is dropped); any other line that
  is not a record is appended to the record above as well.
* Times carry no zone (``offset_min`` is null); the timeline takes the host's
  zone from its perfmon header or the user.
* Day changes: the date comes from the latest ``Events from`` line; when the
  time of day goes back by more than 12 hours without a new date line, the day
  rolls over. Records before the first date line belong to the day before it;
  a file with no date line at all takes its date from the file's modification
  time (with a warning).

Large files are parsed in pieces cut before a record or date line
(:func:`hbtriage.sources._lines.text_chunks`); the latest date and the number of date lines
are carried from one piece to the next, and the day roll-over is worked out on all the records
at the end, so the result is the same as one pass over the whole file. Message text is slimmed
per piece (:func:`hbtriage.sources._lines.slim`).
"""

from __future__ import annotations

import datetime as dt
import os

import polars as pl

from hbtriage.sources import _lines as L
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.encoding import read_head

_HEADER = (
    r"[ \t]*Events from (?:[A-Za-z]+, )?(?P<mon>[A-Za-z]+)\.? (?P<day>[0-9]{1,2}),? "
    r"(?P<year>[0-9]{4})\b"
)
_RECORD = (
    r"(?P<hms>[0-9]{1,2}:[0-9]{2}:[0-9]{2})(?:[:.](?P<ms>[0-9]{1,3}))? "
    r"(?P<node>\S+)-(?P<proc>[^\s-]+)(?: (?P<trace>Trace: ?)?|$)"
)
#: One regex for the start of every line: a date header or a record header (message follows).
PATTERN = rf"(?:{_HEADER}|{_RECORD})"
_RECORD_ONLY = rf"^{_RECORD}"
_HEADER_ONLY = rf"^{_HEADER}"
#: A line that starts a record or a date segment (Python ``re``): where a large file may be cut.
_START = rf"(?:{_HEADER}|{_RECORD})"
#: The usual record layout ("hh:mm:ss:mmm node-proc ..."; printable ASCII node and process):
#: cut at fixed places instead of running ``PATTERN`` (see :func:`_lines.extract`).
_FAST = r"^[0-9]{2}:[0-9]{2}:[0-9]{2}[:.][0-9]{3} [!-~]*-[!-,.-~]+(?: |$)"


def _fast_fields(df: pl.DataFrame) -> pl.DataFrame:
    """``PATTERN``'s groups for lines matching ``_FAST`` (node/process split once per value)."""
    rest = pl.col("text").str.slice(13)
    df = df.with_columns(
        pl.coalesce(rest.str.find(" ", literal=True), rest.str.len_chars()).alias("_tlen")
    )
    after = rest.str.slice(pl.col("_tlen"))
    trace = (
        pl.when(after.str.starts_with(" Trace: "))
        .then(pl.lit("Trace: "))
        .when(after.str.starts_with(" Trace:"))
        .then(pl.lit("Trace:"))
    )
    df = df.with_columns(
        pl.col("text").str.slice(0, 8).alias("hms"),
        pl.col("text").str.slice(9, 3).alias("ms"),
        rest.str.slice(0, pl.col("_tlen")).alias("_tok"),
        trace.alias("trace"),
        (
            13
            + pl.col("_tlen")
            + pl.coalesce(trace.str.len_chars(), pl.lit(0, pl.UInt32))
            + after.str.starts_with(" ").cast(pl.UInt32)
        ).alias("_hlen"),
    )
    df = L.by_value(df, "_tok", r"^(?P<node>.*)-(?P<proc>[^-]*)$", ["node", "proc"])
    return df.drop("_tok", "_tlen")


_HALF_DAY_S = 12 * 3600


class IcmDumplogReader:
    kind = "icm_dumplog"

    def sniff(self, head: str, name: str) -> bool:
        lines = L.head_lines(head)
        n_rec, n = L.share_matching(lines, _RECORD_ONLY)
        if n == 0 or n_rec == 0:
            return False
        n_hdr, _ = L.share_matching(lines, _HEADER_ONLY)
        if n_hdr:
            return True
        return n_rec >= min(3, n) and n_rec >= 0.6 * n

    def read(self, item: InputFile, text_encoding: str) -> ReadResult:
        enc = text_encoding or read_head(item.path)[1]
        items: list[tuple[int, str]] = []
        bad_items: list[tuple[int, str]] = []
        tail_items: list[tuple[int, str]] = []
        pieces: list[pl.DataFrame] = []
        orphans, first_start = 0, None
        first_seen = pl.DataFrame(schema={"line": pl.Int64, "text": pl.Utf8})
        # State carried from piece to piece: the latest date line, the number of date lines.
        carry_date: dt.date | None = None
        first_hdr: dt.date | None = None
        segs = 0
        for raw, unterminated, before, last in L.line_chunks(item.path, enc, _START):
            lines, long_items = L.long_line_warnings(L.shift_lines(raw, before))
            del raw
            items += long_items
            if first_seen.height == 0:
                first_seen = L.first_text(lines)
            parts = L.extract(lines, PATTERN, (_FAST, _fast_fields)).with_columns(
                pl.col("year").is_not_null().alias("is_header"),
                pl.col("hms").is_not_null().alias("is_start"),
                L.iso_date(
                    pl.col("year"), L.month_number(pl.col("mon"), full=True), pl.col("day")
                ).alias("_hdr_date"),
            )
            del lines
            parts = parts.with_columns(
                pl.col("_hdr_date")
                .str.strptime(pl.Date, "%Y-%m-%d", strict=False)
                .alias("_hdr_date")
            )
            bad_hdr = parts.filter(pl.col("is_header") & pl.col("_hdr_date").is_null())
            bad_items += [
                (int(n), "date line not understood; ignored") for n in bad_hdr["line"].head(21)
            ]
            parts = parts.with_columns(
                pl.col("_hdr_date")
                .forward_fill()
                .fill_null(pl.lit(carry_date, dtype=pl.Date))
                .alias("date"),
                (pl.col("is_header").cast(pl.Int64).cum_sum() + segs).alias("seg"),
            )
            hdr_dates = parts["_hdr_date"].drop_nulls()
            if hdr_dates.len():
                first_hdr = first_hdr or hdr_dates[0]
                carry_date = hdr_dates[-1]
            segs += int(parts["is_header"].sum())
            records, n_orphans = L.assemble(
                parts,
                fields=["hms", "ms", "node", "proc", "trace", "date", "seg"],
                cont=pl.col("text").str.strip_prefix("\t"),
                skip="is_header",
            )
            orphans += n_orphans
            if first_start is None:
                first_start = _first_start(parts)
            if last:
                tail_items = L.unterminated_item(parts, unterminated)
            del parts
            # Everything that does not depend on the date is done here, so only small columns
            # of every record are kept for the file-wide steps below.
            sec = pl.col("hms").str.split(":").list.eval(pl.element().cast(pl.Int64, strict=False))
            records = records.with_columns(
                (sec.list.get(0) * 3600 + sec.list.get(1) * 60 + sec.list.get(2)).alias("_sec"),
                L.make_ts(pl.lit("1970-01-01"), pl.col("hms"), pl.col("ms"))
                .cast(pl.Int64)
                .alias("_tod_ns"),
                pl.when(pl.col("trace").is_not_null())
                .then(pl.lit("trace"))
                .otherwise(pl.lit(None, dtype=pl.Utf8))
                .cast(pl.Categorical)
                .alias("severity"),
                pl.col("proc").cast(pl.Categorical).alias("component"),
                pl.col("node").cast(pl.Categorical),
            ).drop("hms", "ms", "trace", "proc")
            pieces.append(L.slim(records))
            del records
        # No rechunk: joining the pieces into one buffer would copy every column once more.
        records = pl.concat(pieces, rechunk=False) if len(pieces) > 1 else pieces[0]
        del pieces
        items += bad_items
        if records.height == 0:
            raise L.no_records(
                item.display,
                first_seen,
                "an ICM dumplog record such as '19:36:35:105 pg1A-pim1 ...'",
            )

        # Records before any date line: the day before the first date line, or the file's mtime.
        if first_hdr is not None:
            fallback = first_hdr - dt.timedelta(days=1)
        else:
            fallback = _mtime_date(item.path)
            items.append(
                (0, "no 'Events from <date>' line; dates taken from the file's modified time")
            )
        records = records.with_columns(pl.col("date").fill_null(pl.lit(fallback, dtype=pl.Date)))

        # Time of day going back by > 12 h inside one date segment = midnight passed.
        records = records.with_columns(
            ((pl.col("_sec").shift(1).over("seg") - pl.col("_sec")) > _HALF_DAY_S)
            .fill_null(False)
            .cast(pl.Int64)
            .cum_sum()
            .over("seg")
            .alias("_days")
        )
        # = make_ts(date, hms, ms) + days: the time of day (null when invalid) was parsed per piece.
        records = records.with_columns(
            (
                pl.col("date").cast(pl.Datetime("ns"))
                + pl.duration(nanoseconds=pl.col("_tod_ns"))
                + pl.duration(days=pl.col("_days"))
            ).alias("ts_local"),
        )
        items += L.bad_time_items(records, "time of day")
        records = records.filter(pl.col("ts_local").is_not_null())
        items = L.preamble_items(orphans, first_start) + items
        items += tail_items

        events = L.to_events(records)
        host = L.most_frequent(events["node"])
        return ReadResult(
            kind=self.kind,
            encoding=enc,
            host=host,
            host_reason="dumplog node name" if host else "",
            stream=L.most_frequent(events["component"]),
            events=events,
            warnings=L.cap_warnings(item.display, items),
        )


def _first_start(parts: pl.DataFrame) -> int | None:
    starts = parts.filter(pl.col("is_start"))["line"]
    return int(starts[0]) if starts.len() else None


def _mtime_date(path: str) -> dt.date:
    try:
        return dt.datetime.fromtimestamp(os.path.getmtime(path)).date()
    except OSError:
        return dt.date.today()


READER = IcmDumplogReader()
