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
  a file with no date line at all takes the date of its last record from the
  file's modification time (with a warning).

Large files are parsed in pieces cut before a record or date line
(:func:`hbtriage.sources._lines.line_chunks`); the latest date and the number of date lines
are carried from one piece to the next, and the day roll-over is worked out on all the records
at the end, so the result is the same as one pass over the whole file. Message text is slimmed
per piece (:func:`hbtriage.sources._lines.slim`).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING

import polars as pl

from hbtriage.sources import _lines as L
from hbtriage.sources import _scan
from hbtriage.sources._later import later as _later
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.encoding import read_head
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn

if TYPE_CHECKING:
    import numpy as np

    from hbtriage.sources._scan_native import Kernels

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


_CAT = pl.Categorical()


def _convert(g: pl.DataFrame) -> pl.DataFrame:
    """Typed columns from ``PATTERN``'s groups (general path): record fields, and the date of
    ``Events from`` lines."""
    hdr_date = L.iso_date(pl.col("year"), L.month_number(pl.col("mon"), full=True), pl.col("day"))
    return g.select(
        pl.col("hms").is_not_null().alias("is_start"),
        pl.col("year").is_not_null().alias("is_header"),
        _in_range(hdr_date.str.strptime(pl.Date, "%Y-%m-%d", strict=False)).alias("_hdr_date"),
        L.make_ts(pl.lit("1970-01-01"), pl.col("hms"), pl.col("ms"))
        .cast(pl.Int64)
        .alias("_tod_ns"),
        pl.when(pl.col("trace").is_not_null())
        .then(pl.lit("trace"))
        .otherwise(pl.lit(None, dtype=pl.Utf8))
        .cast(_CAT)
        .alias("severity"),
        pl.col("proc").cast(_CAT).alias("component"),
        pl.col("node").cast(_CAT).alias("node"),
    )


#: Dates a nanosecond time stamp can hold; a date line outside them is not understood.
_FIRST_DAY, _LAST_DAY = dt.date(1678, 1, 1), dt.date(2261, 12, 31)


def _in_range(day: pl.Expr) -> pl.Expr:
    return pl.when(day.is_between(_FIRST_DAY, _LAST_DAY)).then(day)


def _second_fields(values: pl.DataFrame) -> pl.DataFrame:
    return values.with_columns(
        L.make_ts(pl.lit("1970-01-01"), pl.col("_hms")).cast(pl.Int64).alias("_sec_ns")
    )


def _token_fields(values: pl.DataFrame) -> pl.DataFrame:
    g = pl.col("_tok").str.extract_groups(r"^(?P<node>.*)-(?P<proc>[^-]*)$")
    return values.with_columns(
        g.struct.field("node").cast(_CAT).alias("node"),
        g.struct.field("proc").cast(_CAT).alias("component"),
    )


def _after_fields(values: pl.DataFrame) -> pl.DataFrame:
    """What follows "node-proc": " Trace: ", " Trace:" or the message (with a space or not)."""
    a = pl.col("_after")
    trace = (
        pl.when(a.str.starts_with(" Trace: "))
        .then(pl.lit(7))
        .when(a.str.starts_with(" Trace:"))
        .then(pl.lit(6))
        .otherwise(pl.lit(0))
    )
    return values.with_columns(
        (trace + a.str.starts_with(" ").cast(pl.Int32)).cast(pl.Int64).alias("_skip"),
        pl.when(trace > 0)
        .then(pl.lit("trace"))
        .otherwise(pl.lit(None, dtype=pl.Utf8))
        .cast(_CAT)
        .alias("severity"),
    )


def _fast_typed(df: pl.DataFrame) -> pl.DataFrame:
    """Typed columns for lines matching ``_FAST`` ("hh:mm:ss:mmm node-proc ..."), cut at fixed
    places; the second, the node-process token and what follows it are converted once per
    distinct value by the general path's own functions.

    A dumplog holds one process's records, so the first line's token is checked once per
    distinct value of the token and what follows it; only a piece where some line differs looks
    for each line's end of token."""
    text = pl.col("text")
    df = df.with_columns(
        text.str.slice(0, 8).alias("_hms"),
        (text.str.slice(9, 3).cast(pl.Int64) * 1_000_000).alias("_ns"),
    )
    first = df["text"][0] if df.height else ""
    token = first[13:].split(" ", 1)[0]
    same = False
    if token and " " in first[13:]:
        # The token and what follows it in one slice: whether a line has the first line's
        # token, and the fields of what follows, are worked out once per distinct value.
        n = len(token)

        def after(values: pl.DataFrame) -> pl.DataFrame:
            key = pl.col("_key")
            values = values.with_columns(
                key.str.starts_with(token + " ").alias("_same"), key.str.slice(n).alias("_after")
            )
            return _after_fields(values).drop("_after")

        keyed = L.per_value(df.with_columns(text.str.slice(13, n + 8).alias("_key")), "_key", after)
        same = bool(keyed["_same"].all())
    if same:
        one = _token_fields(pl.DataFrame({"_tok": [token]}))
        df = keyed.with_columns(
            pl.lit(len(token), dtype=pl.Int64).alias("_tlen"),
            pl.lit(one["node"][0], dtype=_CAT).alias("node"),
            pl.lit(one["component"][0], dtype=_CAT).alias("component"),
        )
    else:
        df = df.with_columns(
            pl.coalesce(
                text.str.slice(13).str.find(" ", literal=True),
                text.str.len_chars().cast(pl.UInt32) - 13,
            )
            .cast(pl.Int64)
            .alias("_tlen"),
        )
        df = df.with_columns(
            text.str.slice(13, pl.col("_tlen")).alias("_tok"),
            text.str.slice(13 + pl.col("_tlen"), 8).alias("_after"),
        )
        df = L.per_value(df, "_tok", _token_fields)
        df = L.per_value(df, "_after", _after_fields)
    df = L.per_value(df, "_hms", _second_fields)
    return df.select(
        "line",
        (13 + pl.col("_tlen") + pl.col("_skip")).cast(pl.UInt32).alias("_hlen"),
        (pl.col("_sec_ns") + pl.col("_ns")).alias("_tod_ns"),
        "severity",
        "component",
        "node",
    )


_HALF_DAY_NS = 12 * 3600 * 1_000_000_000


def _date_lines(slow: pl.DataFrame, segs: int) -> tuple[pl.DataFrame, pl.Series, pl.Series]:
    """Of the lines the general path matched in a piece (``slow``): its good date lines
    (``line``, ``_hdr_date`` and ``seg``, the segment each begins, counted on from ``segs``),
    their dates, and the line numbers of the date lines not understood."""
    if slow.height == 0:  # the usual piece from the core: no line for the general path
        none = pl.DataFrame(
            schema={"line": pl.Int64, "_hdr_date": pl.Date, "seg": pl.Int64},
        )
        return none, none["_hdr_date"], none["line"]
    headers = slow.filter(pl.col("is_header")).select("line", "_hdr_date")
    good = headers["_hdr_date"].drop_nulls()
    bad = headers.filter(pl.col("_hdr_date").is_null())["line"]
    headers = headers.filter(pl.col("_hdr_date").is_not_null()).with_columns(
        (pl.int_range(1, pl.len() + 1, dtype=pl.Int64) + segs).alias("seg"),
    )
    return headers, good, bad


class IcmDumplogReader:
    kind = "icm_dumplog"

    def sniff(self, head: str, name: str) -> bool:
        n_rec, n = L.head_share(head, _RECORD_ONLY)
        if n == 0 or n_rec == 0:
            return False
        n_hdr, _ = L.head_share(head, _HEADER_ONLY)
        if n_hdr:
            return True
        return n_rec >= min(3, n) and n_rec >= 0.6 * n

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        enc = text_encoding or read_head(item.path)[1]
        bad_items: list[tuple[int, str]] = []
        pieces: list[pl.DataFrame] = []
        scanner, sparse = _scan.setup("dumplog", self.kind, os.path.getsize(item.path), options)
        walk = L.Pieces(item.path, enc, _START, options, scanner=scanner)
        # State carried from piece to piece: the latest date line, the number of date lines.
        carry_date: dt.date | None = None
        first_hdr: dt.date | None = None
        segs = 0
        roll = _Rollover()
        time_items: list[tuple[int, str]] = []
        pending: list[int] = []  # pieces with records before any date line (date not known yet)
        for lines in walk.lines():
            piece, pre = _scan.found(walk, lines, _scan.dumplog_heads)
            parts, heads, slow = L.split_heads(
                lines,
                PATTERN,
                _convert,
                (_FAST, _fast_typed) if options.fast_paths else None,
                marks=["is_header"],
                pre=pre,
                classes=_scan.line_classes(piece),
            )
            del pre
            del lines
            # Each record takes the date of the latest good date line above it (or the one
            # carried from the piece before) and the number of good date lines above it (its
            # segment); a date line not understood is ignored, as its warning says.
            headers, good, bad_hdr = _date_lines(slow, segs)
            bad_items += [(int(n), warn("date_line_ignored")) for n in bad_hdr.head(21)]
            if headers.height:
                heads = heads.drop("_hdr_date").join_asof(headers, on="line", strategy="backward")
                heads = heads.with_columns(
                    pl.col("_hdr_date").fill_null(pl.lit(carry_date, dtype=pl.Date)).alias("date"),
                    pl.col("seg").fill_null(segs),
                ).drop("_hdr_date")
            else:  # the usual piece: no date line, every record in the segment carried in
                n = heads.height
                heads = pl.DataFrame(
                    [
                        *(c for c in heads.get_columns() if c.name != "_hdr_date"),
                        L.filled("seg", segs, pl.Int64(), n),
                        L.filled("date", carry_date, pl.Date(), n),
                    ]
                )
            if good.len():
                first_hdr = first_hdr or good[0]
                carry_date = good[-1]
            segs += headers.height
            records, n_orphans = L.assemble_heads(
                parts,
                heads,
                cont=pl.col("text").str.strip_prefix("\t"),
                skip="is_header",
                **_scan.assembly(piece, sparse, self.kind, options),
            )
            del heads
            walk.done(parts, n_orphans, records.height)
            del parts, slow
            records = L.slim(roll.apply(records), self.kind, options, digest=not sparse)
            if records["date"].null_count():
                pending.append(len(pieces))  # its time stamps wait for the file's fallback date
            else:
                time_items += L.bad_time_items(records, warn("what_time_of_day"))
                records = L.to_events(L.timed(records))
            pieces.append(records)
            del records
        items = walk.long_items + bad_items
        if walk.records == 0:
            raise L.no_records(
                item.display,
                walk.first_seen,
                warn("expect_dumplog"),
            )

        # Records before any date line: the day before the first date line; in a file with none,
        # the file's mtime dates its LAST record (it was last written at its end), so the first
        # records are as many days earlier as the times of day rolled over midnight.
        if first_hdr is not None:
            fallback = first_hdr - dt.timedelta(days=1)
        else:
            fallback = _mtime_date(item.path) - dt.timedelta(days=roll.back)
            if not _FIRST_DAY <= fallback <= _LAST_DAY:  # a clock far off: today instead
                fallback = dt.date.today()
            items.append((0, warn("no_events_from")))
        late_items: list[tuple[int, str]] = []
        for i in pending:
            records = (
                pieces[i]
                .with_columns(pl.col("date").fill_null(pl.lit(fallback, dtype=pl.Date)))
                .with_columns(_TS)
            )
            late_items += L.bad_time_items(records, warn("what_time_of_day"))
            pieces[i] = L.to_events(L.timed(records))
        # Warnings in file order: pending pieces come first in the file.
        items += late_items + time_items
        items = walk.preamble() + items + walk.tail_items

        # No rechunk: joining the pieces into one buffer would copy every column once more.
        events = pl.concat(pieces, rechunk=False) if len(pieces) > 1 else pieces[0]
        del pieces
        host = L.most_frequent(events["node"])
        return ReadResult(
            kind=self.kind,
            encoding=enc,
            host=host,
            host_reason=warn("host_reason_dumplog") if host else "",
            stream=L.most_frequent(events["component"]),
            events=events,
            undated=first_hdr is None,
            warnings=L.cap_warnings(item.display, items),
            digests=_later(self, item, enc, options) if sparse else None,
        )


#: = make_ts(date, hms, ms) + days: the time of day (null when invalid) was parsed per piece.
_TS = (
    pl.col("date").cast(pl.Datetime("ns"))
    + pl.duration(nanoseconds=pl.col("_tod_ns"))
    + pl.duration(days=pl.col("_days"))
).alias("ts_local")


class _Rollover:
    """Midnight inside a date segment: the time of day going back by more than 12 hours from
    one record to the next (of the same segment) adds a day, piece after piece."""

    def __init__(self) -> None:
        self.tod: int | None = None  # time of day of the last record seen (ns; None: invalid)
        self.seg: int | None = None  # its segment
        self.back = 0  # roll-overs counted in the file so far
        self.base = 0  # ``back`` when the current segment began

    def apply(self, records: pl.DataFrame) -> pl.DataFrame:
        """``records`` (one piece, file order) with ``_days`` and ``ts_local``. The days are
        counted in numpy on the two columns they depend on (see :func:`_stamps`); in polars
        when numpy is not loaded (see :func:`hbtriage.sources._lines.loaded_numpy`)."""
        if L.loaded_numpy() is None:
            return self._apply_polars(records)
        import numpy as np

        n = records.height
        if n == 0:
            return records.with_columns(pl.lit(0, pl.Int64).alias("_days")).with_columns(_TS)
        tod_s = records["_tod_ns"]
        seg = records["seg"].cast(pl.Int64).to_numpy()  # never null: the reader fills it in
        nulls = tod_s.null_count()
        tod = tod_s.fill_null(0).to_numpy() if nulls else tod_s.to_numpy()
        if (k := _scan.loaded()) is not None:
            return self._apply_core(k, records, tod, seg, nulls)
        # Each record against the one before it (the first: the last of the piece before).
        same_seg = np.empty(n, dtype=bool)
        np.equal(seg[1:], seg[:-1], out=same_seg[1:])
        same_seg[0] = self.seg is not None and self.seg == int(seg[0])
        went_back = np.empty(n, dtype=bool)
        np.greater(tod[:-1] - tod[1:], _HALF_DAY_NS, out=went_back[1:])
        went_back[0] = self.tod is not None and self.tod - int(tod[0]) > _HALF_DAY_NS
        rolled = same_seg & went_back
        if nulls:  # a time of day not understood rolls nothing, before or after it
            valid = tod_s.is_not_null().to_numpy()
            rolled[1:] &= valid[1:] & valid[:-1]
            rolled[0] &= bool(valid[0])
        back = np.cumsum(rolled, dtype=np.int64)
        back += self.back
        # Days since the segment began: ``back`` less its value at the segment's first record
        # (``self.base`` for a segment that began in an earlier piece).
        starts = np.flatnonzero(~same_seg)
        base = np.full(n, self.base, dtype=np.int64)
        if starts.size:
            base[starts[0] :] = np.repeat(back[starts], np.diff(starts, append=n))
        days = back - base
        work = records.with_columns(pl.Series("_days", days))
        work = work.with_columns(_stamps(work, tod, days, nulls))
        self.base = int(back[starts[-1]]) if starts.size else self.base
        self.back = int(back[-1])
        self.tod = None if tod_s[-1] is None else int(tod[-1])
        self.seg = int(seg[-1])
        return work

    def _apply_core(
        self, k: Kernels, records: pl.DataFrame, tod: np.ndarray, seg: np.ndarray, nulls: int
    ) -> pl.DataFrame:
        """:meth:`apply` in one pass of the compiled core over the piece's records (a run that
        loaded it: a large dumplog; ``tod``, ``seg`` and ``nulls`` as :meth:`apply` takes them):
        the days and the local times of the numpy steps, the same values and types (tested),
        without a dozen passes over the piece."""
        import numpy as np

        date = records["date"]
        valid = records["_tod_ns"].is_not_null().to_numpy() if nulls else None
        dates = None if nulls or date.null_count() else date.to_physical().to_numpy()
        state = np.array(
            [
                self.tod is not None,
                self.tod or 0,
                self.seg is not None,
                self.seg or 0,
                self.back,
                self.base,
            ],
            dtype=np.int64,
        )
        days, us = k.rollover(tod, valid, seg, dates, state)
        work = records.with_columns(pl.Series("_days", days))
        if us is not None:
            ts = pl.Series("ts_local", us).cast(pl.Datetime("us"))
        else:
            ts = work.select(_TS).to_series()
        self.tod = int(state[1]) if state[0] else None
        self.seg, self.back, self.base = int(state[3]), int(state[4]), int(state[5])
        return work.with_columns(ts)

    def _apply_polars(self, records: pl.DataFrame) -> pl.DataFrame:
        """:meth:`apply` without numpy."""
        if records.height == 0:
            return records.with_columns(pl.lit(0, pl.Int64).alias("_days")).with_columns(_TS)
        tod, seg = pl.col("_tod_ns"), pl.col("seg")
        prev_tod = tod.shift(1, fill_value=pl.lit(self.tod, dtype=pl.Int64))
        prev_seg = seg.shift(1, fill_value=pl.lit(self.seg, dtype=pl.Int64))
        work = records.with_columns(
            (
                (((prev_tod - tod) > _HALF_DAY_NS) & (prev_seg == seg))
                .fill_null(False)
                .cast(pl.Int64)
                .cum_sum()
                + self.back
            ).alias("_b"),
            (prev_seg != seg).fill_null(True).alias("_new"),
        )
        work = work.with_columns(
            (
                pl.col("_b")
                - pl.when(pl.col("_new"))
                .then(pl.col("_b"))
                .forward_fill()
                .fill_null(pl.lit(self.base, dtype=pl.Int64))
            ).alias("_days")
        ).with_columns(_TS)
        news = work.filter(pl.col("_new"))["_b"]
        self.base = int(news[-1]) if news.len() else self.base
        self.back = int(work["_b"][-1])
        self.tod = work["_tod_ns"][-1]
        self.seg = int(work["seg"][-1])
        return work.drop("_b", "_new")


#: Days from 1970 a nanosecond time stamp holds either way (with a day to spare).
_DAY_NS = 2 * _HALF_DAY_NS
_NS_DAYS = (2**63 - 1) // _DAY_NS - 1


def _stamps(records: pl.DataFrame, tod: np.ndarray, days: np.ndarray, nulls: int) -> pl.Series:
    """:data:`_TS` of ``records`` (which hold ``_days``; ``tod``: their ``_tod_ns``, ``nulls``
    of them null), worked out in numpy when every record has its date and time of day and
    no date (nor time of day, a day at most) leaves the range of a nanosecond time stamp;
    else by polars. The same values
    and type: polars adds the days' duration in microseconds, so the sum of the date and
    the time of day (ns) is taken to microseconds first, rounded down."""
    import numpy as np

    date = records["date"]
    if nulls or date.null_count():
        return records.select(_TS).to_series()
    d = date.to_physical().to_numpy().astype(np.int64)
    day = d + days
    inside = int(d.min()) > -_NS_DAYS and int(day.max()) < _NS_DAYS
    if not (inside and int(tod.min()) > -_DAY_NS and int(tod.max()) < _DAY_NS):
        return records.select(_TS).to_series()
    us = day * (24 * 3600 * 1_000_000)
    us += tod // 1000
    return pl.Series("ts_local", us).cast(pl.Datetime("us"))


def _mtime_date(path: str) -> dt.date:
    try:
        return dt.datetime.fromtimestamp(os.path.getmtime(path)).date()
    except OSError:
        return dt.date.today()


READER = IcmDumplogReader()
