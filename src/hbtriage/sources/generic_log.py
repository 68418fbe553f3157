"""Any log whose lines start with a time stamp: the fallback reader.

Recognised layouts (the first that fits most of the first 200 lines wins, and
then one regex parses the whole file):

========= ==================================================================== ===========
family    example                                                              ``stream``
========= ==================================================================== ===========
cbs       ``2016-09-28 04:30:30, Info   CBS    Loaded Servicing Stack ...``     "cbs"
zookeeper ``2015-07-29 17:41:44,747 - INFO  [thread:Class@774] - text``         "zookeeper"
rfc5424   ``<34>1 2003-10-11T22:14:15.003Z host app 42 ID47 - text``            "syslog"
syslog    ``Jun 14 15:16:01 combo sshd(pam_unix)[19939]: text`` (RFC 3164)      "syslog"
iso       ``2024-05-01T12:00:00.123Z [WARN] text`` (``T`` or space, ``.``/``,``) file stem
========= ==================================================================== ===========

* ``severity``: CBS level ("Info"), log4j level ("WARN"), syslog level from
  ``<PRI>`` ("err", "info" ...), a leading ``LEVEL``/``[LEVEL]`` in ISO logs.
* ``component``: CBS/CSI, the log4j class (``FastLeaderElection``), the syslog
  program (``sshd(pam_unix)``, ``kernel``); ``node`` = the syslog host name.
* ``offset_min`` when the stamp carries ``Z`` or ``±hh:mm``; else null.
* RFC 3164 stamps have no year. The year is inferred: the file's modification
  time gives the year of the *last* record (the previous year when the last
  record's month is later than the modification month), and each backwards
  month jump of more than six months (Dec → Jan) inside the file starts a new
  year. A warning says so. A file extracted from a zip without times gets the
  current year.

Large files are read in pieces cut before a record start; only the records a signature's
prefilter lets through get their message joined (:func:`hbtriage.sources._lines.assemble_heads`).
When a run's logs are big enough, the usual ISO 8601 and RFC 3164 lines are converted by the
compiled scanning core (:mod:`._scan_generic`), the others by the family's regex, with the
same result.

Sniff: at least 60% of the first non-blank lines (up to 200) start a record of
one family. Perfmon CSV (lines start with a quote), CVP/Cisco Log lines
(``Mar 30 2013 19:36:46`` has the year where RFC 3164 has the time) and
dumplog lines (time of day without a date) do not match any family, so this
reader never claims them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from hbtriage.sources import _lines as L
from hbtriage.sources import _scan, _scan_generic
from hbtriage.sources._later import later as _later
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.encoding import read_head
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn

_DATE = r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
_HMS = r"(?P<hms>[0-9]{2}:[0-9]{2}:[0-9]{2})"
_LEVELS = (
    "TRACE|DEBUG|FINE|FINER|FINEST|CONFIG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|"
    "CRITICAL|CRIT|FATAL|ALERT|EMERG"
)
_SYSLOG_LEVELS = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]


@dataclass(frozen=True)
class _Family:
    name: str
    pattern: str  # the start of a record line, up to the message (no ^ anchor)


FAMILIES: tuple[_Family, ...] = (
    _Family(
        "cbs",
        rf"{_DATE} {_HMS}, (?P<sev>[A-Z][a-z]+)[ \t]+(?P<comp>[A-Za-z][A-Za-z0-9_]*)[ \t]+",
    ),
    _Family(
        "zookeeper",
        rf"{_DATE} {_HMS}(?:,(?P<frac>[0-9]{{1,9}}))? - (?P<sev>[A-Z]+) *"
        r"\[(?P<thread>.*?)\] - ",
    ),
    _Family(
        "rfc5424",
        rf"<(?P<pri>[0-9]{{1,3}})>1 {_DATE}T{_HMS}(?:\.(?P<frac>[0-9]{{1,9}}))?"
        r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2}) (?P<node>\S+) (?P<comp>\S+) (?P<pid>\S+) "
        r"(?P<msgid>\S+) (?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: \x{FEFF}?|$)",
    ),
    _Family(
        "syslog",
        rf"(?:<(?P<pri>[0-9]{{1,3}})>)?(?P<mon>{L.MONTH_ABBR}) +(?P<day>[0-9]{{1,2}}) {_HMS} "
        r"(?P<node>[^\s:]+) +(?:(?P<comp>[^\s:\[]+)(?:\[(?P<pid>[0-9]+)\]| v?[0-9][0-9.]*)?: ?)?",
    ),
    _Family(
        "iso",
        rf"\[?{_DATE}[T ]{_HMS}(?:[.,](?P<frac>[0-9]{{1,9}}))?"
        r"(?P<zone>Z| ?[+-][0-9]{2}:?[0-9]{2})?\]?(?:[ \t]*[,;|:-]?[ \t]+|$)"
        rf"(?:\[?(?P<sev>{_LEVELS})\]?:?(?:[ \t]+|$))?",
    ),
)

_CAT = pl.Categorical()

#: Share of the first non-blank lines that must start a record for ``sniff``.
SNIFF_SHARE = 0.6


def _choose(lines: pl.Series) -> tuple[_Family | None, float]:
    """The family that starts the most of ``lines`` (earlier ones win near-ties), and its share."""
    if lines.len() == 0:
        return None, 0.0
    # One query for every family (each query costs ~0.1 ms however few the lines).
    counts = lines.to_frame("t").select(
        [pl.col("t").str.contains(f"^{f.pattern}").sum().alias(f.name) for f in FAMILIES]
    )
    return _pick(list(counts.row(0)), lines.len())


def _choose_head(head: str) -> tuple[_Family | None, float]:
    """:func:`_choose` of the first lines of a sniff head (:func:`L.head_lines`), from the
    hits every sniffer of the head shares (:func:`L.head_hits`)."""
    shares = [L.head_share(head, f"^{f.pattern}") for f in FAMILIES]
    n = shares[0][1]
    return (None, 0.0) if n == 0 else _pick([k for k, _ in shares], n)


def _pick(counts: list[int], total: int) -> tuple[_Family | None, float]:
    """The family of the most ``counts`` (lines matched, of ``total``), and its share."""
    best = max(counts)
    if best == 0:
        return None, 0.0
    for fam, n in zip(FAMILIES, counts, strict=True):
        if n >= 0.9 * best:
            return fam, best / total
    return None, 0.0  # unreachable


def has_kernel(path: str) -> bool:
    """Whether the compiled core converts the layout of the log at ``path`` (its family, as
    :meth:`GenericLogReader.sniff` sees the first lines: ISO 8601 and RFC 3164 have kernels,
    CBS, ZooKeeper and RFC 5424 logs are read by their regex only)."""
    fam, _share = _choose_head(read_head(path)[0])
    return fam is not None and fam.name in _scan_generic.KERNELS


class GenericLogReader:
    kind = "generic_log"

    def sniff(self, head: str, name: str) -> bool:
        _fam, share = _choose_head(head)
        return share >= SNIFF_SHARE

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        enc = text_encoding or read_head(item.path)[1]
        # The family comes from the first lines, as in sniff (the first piece of the file).
        first_piece, _, _, _ = next(L.line_chunks(item.path, enc, None, options))
        lines, _ = L.long_line_warnings(first_piece)
        del first_piece
        # (one polars query: each costs ~0.1 ms however few the lines)
        nonblank = (
            lines.lazy()
            .select(pl.col("text").head(20 * L.SNIFF_LINES).str.slice(0, 4096))
            .filter(pl.col("text").str.strip_chars() != "")
            .head(L.SNIFF_LINES)
            .collect()
            .to_series()
        )
        fam, _share = _choose(nonblank)
        if fam is None:
            raise L.no_records(
                item.display,
                lines,
                warn("expect_generic"),
            )
        first_seen = L.first_text(lines)
        del lines
        # Piece by piece, cut before a record start (a record never spans two pieces). Message
        # text is joined only where a signature's prefilter passes (``lean``, as the other big
        # log readers); syslog years, which depend on the whole file, are worked out at the end
        # on compact columns. The usual ISO 8601 and RFC 3164 lines are converted by the
        # compiled core when the run's logs are big enough (:mod:`._scan_generic`).
        time_items: list[tuple[int, str]] = []
        pieces: list[pl.DataFrame] = []
        zones: list[str] = []
        month: _Months | None = _Months() if fam.name == "syslog" else None
        kernel = _scan_generic.KERNELS.get(fam.name)
        scanner, sparse = (
            _scan.setup(kernel, self.kind, os.path.getsize(item.path), options)
            if kernel is not None
            else (None, False)
        )
        heads_of = _scan_generic.HEADS.get(fam.name)
        convert = _converter(fam)
        walk = L.Pieces(item.path, enc, _py(fam.pattern), options, scanner=scanner)
        for lines in walk.lines():
            piece, pre = _scan.found(walk, lines, heads_of) if heads_of else (None, None)
            parts, heads, _ = L.split_heads(
                lines, fam.pattern, convert, pre=pre, classes=_scan.line_classes(piece)
            )
            del pre, lines
            records, n_orphans = L.assemble_heads(
                parts, heads, **_scan.assembly(piece, sparse, self.kind, options)
            )
            del heads
            walk.done(parts, n_orphans, records.height)
            del parts
            if "_zone" in records.columns:
                for z in records["_zone"].drop_nulls().unique(maintain_order=True):
                    if z not in zones:
                        zones.append(z)
                records = records.drop("_zone")
            if month is not None:
                pieces.append(L.slim(month.mark(records), self.kind, options, digest=not sparse))
                continue
            time_items += L.bad_time_items(records, warn("what_time_stamp"))
            pieces.append(
                L.slim(_timed(L.to_events(records)), self.kind, options, digest=not sparse)
            )
            del records
        if walk.records == 0:
            raise L.no_records(item.display, first_seen, warn("expect_family", family=fam.name))
        items = walk.long_items
        if month is not None:
            # The years, then each piece's time stamps (no copy of every record at once).
            first_year, year_note = _syslog_years(pieces, item.path)
            items = [(0, year_note), *items]
            for i, records in enumerate(pieces):
                records = _syslog_times(records, first_year)
                time_items += L.bad_time_items(records, warn("what_time_stamp"))
                pieces[i] = _timed(L.to_events(records))
            del records
        items = walk.preamble() + items + time_items + walk.tail_items
        # Every piece has the same columns. No rechunk: that would copy every column once more.
        events = pl.concat(pieces, rechunk=False) if len(pieces) > 1 else pieces[0]
        del pieces
        host = L.most_frequent(events["node"])
        zone = zones[0] if len(zones) == 1 else None
        return ReadResult(
            kind=self.kind,
            encoding=enc,
            host=host,
            host_reason=warn("host_reason_syslog") if host else "",
            zone=zone,
            stream=_stream(fam.name, item.display),
            events=events,
            warnings=L.cap_warnings(item.display, items),
            extra={"format": fam.name},
            digests=_later(self, item, enc, options) if sparse else None,
        )


def _py(pattern: str) -> str:
    """A family's record-start pattern in Python ``re`` syntax (where pieces are cut)."""
    return pattern.replace("\\x{FEFF}", "\ufeff")


class _Months:
    """RFC 3164 years, piece by piece: the month of each record (``_m``) and the number of
    backwards month jumps of more than six months seen so far (each starts a new year)."""

    def __init__(self) -> None:
        self.prev: int | None = None  # month of the last record seen
        self.years = 0

    def mark(self, records: pl.DataFrame) -> pl.DataFrame:
        prev = pl.col("_m").shift(1, fill_value=pl.lit(self.prev, dtype=pl.Int32))
        records = records.with_columns(
            ((pl.col("_m") < prev - 6).fill_null(False).cast(pl.Int32).cum_sum() + self.years)
            .cast(pl.Int32)
            .alias("_y")
        )
        if records.height:
            self.prev = records["_m"][-1]
            self.years = int(records["_y"][-1])
        return records


def _converter(fam: _Family) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """The typed columns of a family's record lines from its regex's groups (the general path
    of :func:`hbtriage.sources._lines.split_heads`): ``severity``, ``component``, ``node``
    and, for syslog, the month ``_m``, day ``_d`` and time of day ``_tod`` (ns; null when not
    a time) whose year is known only at the end; else ``ts_local``, ``offset_min`` and the
    zone as written (``_zone``, stripped) when the family has one."""
    family = fam.name
    groups = set(re.findall(r"\(\?P<([a-z]+)>", fam.pattern))

    def convert(g: pl.DataFrame) -> pl.DataFrame:
        cols = [
            _severity(family).cast(_CAT).alias("severity"),
            _component(family).cast(_CAT).alias("component"),
            (
                pl.when(pl.col("node") != "-").then(pl.col("node"))
                if "node" in groups
                else pl.lit(None, pl.Utf8)
            )
            .cast(_CAT)
            .alias("node"),
        ]
        if family == "syslog":
            cols += [
                L.month_number(pl.col("mon")).cast(pl.Int32).alias("_m"),
                pl.col("day").cast(pl.Int32).alias("_d"),
                L.make_ts(pl.lit("1970-01-01"), pl.col("hms")).cast(pl.Int64).alias("_tod"),
            ]
            return g.select(cols)
        frac = pl.col("frac") if "frac" in groups else None
        cols.append(L.make_ts(pl.col("date"), pl.col("hms"), frac).alias("ts_local"))
        if "zone" in groups:
            zone = pl.col("zone").str.strip_chars()
            cols += [L.offset_minutes(zone).alias("offset_min"), zone.cast(_CAT).alias("_zone")]
        else:
            cols.append(pl.lit(None, pl.Int32).alias("offset_min"))
        return g.select(cols)

    return convert


def _timed(events: pl.DataFrame) -> pl.DataFrame:
    """``events`` without the records whose time stamp could not be made."""
    return (
        events.filter(pl.col("ts_local").is_not_null())
        if events["ts_local"].null_count()
        else events
    )


def _syslog_years(pieces: list[pl.DataFrame], path: str) -> tuple[int, str]:
    """The year of the first RFC 3164 records (``_y`` 0, see :class:`_Months`), and the warning
    that says so: the file's modified time gives the year of the last record."""
    anchor = L.file_time(path)
    last = next((p.tail(1) for p in reversed(pieces) if p.height), pl.DataFrame())
    year_last = anchor.year
    if last.height and L.after_file_time(anchor, int(last["_m"][0]), last["_d"][0]):
        # The last record would come after the file was last written: it is last year's.
        year_last -= 1
    last_idx = int(last["_y"][0]) if last.height else 0
    first_year = year_last - last_idx
    span = str(first_year) if last_idx == 0 else f"{first_year}-{year_last}"
    return (
        first_year,
        warn("syslog_no_year", span=span),
    )


def _syslog_times(records: pl.DataFrame, first_year: int) -> pl.DataFrame:
    """RFC 3164 records with ``ts_local``: their year (``first_year`` plus the new years
    counted, ``_y``) joined to their month, day and time of day as ``make_ts`` would parse
    them (each distinct date once), and no offset."""
    ymd = (pl.col("_y") + first_year) * 10_000 + pl.col("_m") * 100 + pl.col("_d")
    records = records.with_columns(ymd.cast(pl.Int32).alias("_ymd"))
    records = L.per_value(records, "_ymd", _day_fields)
    ts = pl.col("_day").cast(pl.Datetime("us")) + pl.duration(microseconds=pl.col("_tod") // 1000)
    return records.with_columns(
        L.plausible(ts).alias("ts_local"), pl.lit(None, pl.Int32).alias("offset_min")
    )


def _day_fields(values: pl.DataFrame) -> pl.DataFrame:
    """ "yyyymmdd" numbers -> the date as ``make_ts`` reads "yyyy-mm-dd" (null: no such day)."""
    k = pl.col("_ymd")
    date = L.iso_date(
        (k // 10_000).cast(pl.Utf8),
        (k // 100 % 100).cast(pl.Utf8).str.zfill(2),
        (k % 100).cast(pl.Utf8),
    )
    return values.with_columns(date.str.strptime(pl.Date, "%Y-%m-%d", strict=False).alias("_day"))


def _severity(family: str) -> pl.Expr:
    if family in ("syslog", "rfc5424"):
        pri = pl.col("pri").cast(pl.Int64, strict=False) % 8
        return pri.replace_strict(
            dict(enumerate(_SYSLOG_LEVELS)), default=None, return_dtype=pl.Utf8
        )
    if family in ("cbs", "zookeeper", "iso"):
        return pl.col("sev")
    return pl.lit(None, pl.Utf8)


def _component(family: str) -> pl.Expr:
    if family in ("cbs", "syslog"):
        return pl.col("comp")
    if family == "rfc5424":
        return pl.when(pl.col("comp") != "-").then(pl.col("comp"))
    if family == "zookeeper":
        thread = pl.col("thread")
        return pl.coalesce(
            thread.str.extract(r"([A-Za-z_$][A-Za-z0-9_$]*)@[0-9]+$", 1),
            thread,
        )
    return pl.lit(None, pl.Utf8)


def _stream(family: str, display: str) -> str:
    if family in ("cbs", "zookeeper"):
        return family
    if family in ("syslog", "rfc5424"):
        return "syslog"
    stem = L.base_name(display).split(".")[0]
    return stem or "log"


READER = GenericLogReader()
