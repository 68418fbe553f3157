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
"""

from __future__ import annotations

import datetime as dt
import os

import polars as pl

from hbtriage.sources import _lines as L
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.encoding import read_text

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
        text, enc = read_text(item.path, text_encoding)
        raw, unterminated = L.line_frame(text)
        lines, items = L.long_line_warnings(raw)

        parts = L.extract(lines, PATTERN).with_columns(
            pl.col("year").is_not_null().alias("is_header"),
            pl.col("hms").is_not_null().alias("is_start"),
            L.iso_date(
                pl.col("year"), L.month_number(pl.col("mon"), full=True), pl.col("day")
            ).alias("_hdr_date"),
        )
        parts = parts.with_columns(
            pl.col("_hdr_date").str.strptime(pl.Date, "%Y-%m-%d", strict=False).alias("_hdr_date")
        )
        bad_hdr = parts.filter(pl.col("is_header") & pl.col("_hdr_date").is_null())
        items += [(int(n), "date line not understood; ignored") for n in bad_hdr["line"].head(21)]
        parts = parts.with_columns(
            pl.col("_hdr_date").forward_fill().alias("date"),
            pl.col("is_header").cast(pl.Int64).cum_sum().alias("seg"),
        )

        records, orphans = L.assemble(
            parts,
            fields=["hms", "ms", "node", "proc", "trace", "date", "seg"],
            cont=pl.col("text").str.strip_prefix("\t"),
            skip="is_header",
        )
        if records.height == 0:
            raise L.no_records(
                item.display, lines, "an ICM dumplog record such as '19:36:35:105 pg1A-pim1 ...'"
            )

        # Records before any date line: the day before the first date line, or the file's mtime.
        first_date = parts["_hdr_date"].drop_nulls().head(1)
        if first_date.len():
            fallback = first_date[0] - dt.timedelta(days=1)
        else:
            fallback = _mtime_date(item.path)
            items.append(
                (0, "no 'Events from <date>' line; dates taken from the file's modified time")
            )
        records = records.with_columns(pl.col("date").fill_null(pl.lit(fallback, dtype=pl.Date)))

        # Time of day going back by > 12 h inside one date segment = midnight passed.
        sec = pl.col("hms").str.split(":").list.eval(pl.element().cast(pl.Int64, strict=False))
        records = records.with_columns(
            (sec.list.get(0) * 3600 + sec.list.get(1) * 60 + sec.list.get(2)).alias("_sec")
        )
        records = records.with_columns(
            ((pl.col("_sec").shift(1).over("seg") - pl.col("_sec")) > _HALF_DAY_S)
            .fill_null(False)
            .cast(pl.Int64)
            .cum_sum()
            .over("seg")
            .alias("_days")
        )
        records = records.with_columns(
            (
                L.make_ts(pl.col("date").dt.strftime("%Y-%m-%d"), pl.col("hms"), pl.col("ms"))
                + pl.duration(days=pl.col("_days"))
            ).alias("ts_local"),
            pl.when(pl.col("trace").is_not_null())
            .then(pl.lit("trace"))
            .otherwise(pl.lit(None, dtype=pl.Utf8))
            .alias("severity"),
            pl.col("proc").alias("component"),
            pl.col("node"),
        )
        items += L.bad_time_items(records, "time of day")
        records = records.filter(pl.col("ts_local").is_not_null())
        items = L.preamble_items(orphans, _first_start(parts)) + items
        items += L.unterminated_item(parts, unterminated)

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
