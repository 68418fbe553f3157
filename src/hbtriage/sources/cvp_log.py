"""Cisco CVP Call Server logs (``CVP.<date>.log``, ``Error.<date>.log``).

::

    Mar 30 2013 19:36:46.105 -0500: %CVP_8_5_ICM-1-LOGMSG_ICM_SS_STATE: Shutting down ... [id:2006]
    2817: 192.0.2.10: Mar  3 2013 19:36:46.136 -0500: %CVP_8_5_MSGBUS-3-MESSAGING_LAYER: ...

* An optional ``<PRI>``/``NNNN: <address or host>: `` prefix (the CiscoLog
  sequence number and sender); the address becomes ``node``. A syslog server's own time
  stamp and host name before it (``Apr  2 08:12:30 198.51.100.10 201: 198.51.100.10: Apr 02
  2014 ...``: CVP's syslog feed as a BSD syslogd or rsyslog file) are skipped.
* ``Mon d yyyy hh:mm:ss[.mmm] ±hhmm:`` (day with 1 or 2 digits, padded with a
  space or not); the offset gives ``offset_min`` per row, so a DST change
  inside the file is kept.
* ``%<FACILITY>-<severity digit>-<MNEMONIC>:`` then the text. ``component`` is
  the facility (``CVP_8_5_ICM``, any version), ``severity`` the digit, and the
  message starts with the mnemonic (``LOGMSG_ICM_SS_STATE: Shutting down ...``)
  so signatures can match either.
* Lines without a timestamp continue the record above. When the header was
  wrapped onto the next line (timestamp alone on its line, ``%CVP_...`` below)
  the facility is still recovered from the joined text.

``stream`` is "CVP" or "Error" when the file name starts with ``CVP.`` or
``Error.``, else "cvp".

Large files are parsed in pieces cut before a time-stamped line
(:func:`hbtriage.sources._lines.line_chunks`); every step is local to a record, so the result
is the same as one pass over the whole file, and message text is slimmed per piece
(:func:`hbtriage.sources._lines.slim`).
"""

from __future__ import annotations

import os

import polars as pl

from hbtriage.sources import _lines as L
from hbtriage.sources import _scan
from hbtriage.sources._later import later as _later
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.encoding import read_head
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn

_PREFIX = (
    rf"(?:{L.SYSLOG_RELAY})?"
    r"(?:<[0-9]{1,3}>)?(?:(?P<seq>[0-9]+): (?P<node>[^\s:]+|\[[0-9A-Fa-f:.]+\]): )?"
)
_STAMP = (
    rf"\*?(?P<mon>{L.MONTH_ABBR}) +(?P<day>[0-9]{{1,2}}) (?P<year>[0-9]{{4}}) "
    r"(?P<hms>[0-9]{1,2}:[0-9]{2}:[0-9]{2})(?:\.(?P<frac>[0-9]{1,9}))?"
    r"(?: (?P<zone>[+-][0-9]{2}:?[0-9]{2}|UTC|GMT))?:"
)
_HEAD = r"%(?P<fac>[A-Za-z][A-Za-z0-9_]*)-(?P<sev>[0-7])-(?P<mnem>[A-Za-z0-9_]+):"
#: One regex for the start of every line: prefix, timestamp, optional CVP header (message follows).
PATTERN = rf"{_PREFIX}{_STAMP}(?: ?{_HEAD})? ?"
#: Header recovered from the joined text of a record whose header was wrapped.
_WRAPPED = rf"(?s)^\s*{_HEAD}\s*(?P<rest>.*)$"
_SNIFF = rf"^{_PREFIX}{_STAMP} ?%CVP_[A-Za-z0-9_]*-[0-7]-"
#: A header wrapped below its time stamp: the stamp alone on its line, "%CVP_..." on the next.
_SNIFF_STAMP_ALONE = rf"^{_PREFIX}{_STAMP}\s*$"
_SNIFF_HEAD_BELOW = r"^\s*%CVP_[A-Za-z0-9_]*-[0-7]-"
#: A line that starts a record (Python ``re``): where a large file may be cut into pieces.
_START = rf"{_PREFIX}{_STAMP}"
#: The usual record layout ("Mon dd yyyy hh:mm:ss.mmm -zzzz: %FAC-S-MNEMONIC: "): cut at
#: fixed places instead of running ``PATTERN`` (see :func:`_lines.extract`).
_FAST_BODY = (
    rf"{L.MONTH_ABBR} [ 0-9][0-9] [0-9]{{4}} [0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}\.[0-9]{{3}} "
    r"[+-][0-9]{4}: %[A-Za-z][A-Za-z0-9_]*-[0-7]-[A-Za-z0-9_]+:"
)
_FAST = "^" + _FAST_BODY
#: The same behind a CiscoLog "sequence: sender: " prefix (an IPv6 sender in brackets, a
#: ``<PRI>``, a ``*`` or a sender that is not ASCII take the general path).
#: The sender is printable ASCII here: offsets found by byte are then offsets by character.
_FAST_PREFIXED = r"^[0-9]+: [!-9;-~]+: " + _FAST_BODY


_CAT = pl.Categorical()
#: The typed columns every line gets (see :func:`_lines.extract_typed`).
_FIELDS = ["ts_local", "offset_min", "_zone", "severity", "component", "mnem", "node"]


def _zone_fields(values: pl.DataFrame) -> pl.DataFrame:
    return values.with_columns(
        L.offset_minutes(pl.col("_zs")).alias("offset_min"), pl.col("_zs").cast(_CAT).alias("_zone")
    )


def _header_fields(values: pl.DataFrame) -> pl.DataFrame:
    g = pl.col("_hdr").str.extract_groups(_HEADER_PARTS)
    return values.with_columns(
        g.struct.field("fac").cast(_CAT).alias("component"),
        g.struct.field("sev").cast(_CAT).alias("severity"),
        g.struct.field("mnem").cast(_CAT).alias("mnem"),
    )


def _second_fields(values: pl.DataFrame) -> pl.DataFrame:
    """ "Mon dd yyyy hh:mm:ss" → the naive datetime of that second, as the general path does."""
    d = pl.col("_sec")
    day = L.iso_date(
        d.str.slice(7, 4), L.month_number(d.str.slice(0, 3)), d.str.slice(4, 2).str.strip_chars()
    )
    return values.with_columns(L.make_ts(day, d.str.slice(12, 8)).alias("_base"))


_HEADER_PARTS = r"^(?P<fac>[A-Za-z][A-Za-z0-9_]*)-(?P<sev>[0-7])-(?P<mnem>[A-Za-z0-9_]+)$"


def _convert(g: pl.DataFrame) -> pl.DataFrame:
    """The typed columns from ``PATTERN``'s groups (general path)."""
    date = L.iso_date(pl.col("year"), L.month_number(pl.col("mon")), pl.col("day"))
    out = g.select(
        L.make_ts(date, pl.col("hms"), pl.col("frac")).alias("ts_local"),
        pl.col("zone").alias("_zs"),
        pl.col("sev").cast(_CAT).alias("severity"),
        pl.col("fac").cast(_CAT).alias("component"),
        pl.col("mnem").cast(_CAT).alias("mnem"),
        pl.col("node").cast(_CAT).alias("node"),
    )
    return L.per_value(out, "_zs", _zone_fields).select(_FIELDS)


def _fast_typed(df: pl.DataFrame) -> pl.DataFrame:
    """The typed columns for lines matching ``_FAST``, cut at fixed places. Date and time to
    the second, zone and header repeat from line to line: each distinct value is converted
    once, by the general path's own functions, and mapped back."""
    return _typed_at(df, 0, pl.lit(None, dtype=_CAT))


def _fast_prefixed(df: pl.DataFrame) -> pl.DataFrame:
    """``_fast_typed`` for lines matching ``_FAST_PREFIXED``: the stamp starts after the prefix.
    A log has one sender, so the first line's is checked on every line with one comparison."""
    text = pl.col("text")
    df = df.with_columns(text.str.find(":", literal=True).cast(pl.Int64).alias("_sl"))
    first = df["text"][0]
    sender = first[first.index(":") + 2 :].split(":", 1)[0]
    same = (df["text"].str.slice(df["_sl"] + 2, len(sender) + 2) == sender + ": ").all()
    if same:
        df = df.with_columns((pl.col("_sl") + 4 + len(sender)).alias("_off"))
        return _typed_at(df, pl.col("_off"), pl.lit(sender, dtype=_CAT))
    rest = text.str.slice(pl.col("_sl") + 2)
    df = df.with_columns(rest.str.find(":", literal=True).cast(pl.Int64).alias("_nl"))
    df = df.with_columns(
        (pl.col("_sl") + 4 + pl.col("_nl")).alias("_off"),
        text.str.slice(pl.col("_sl") + 2, pl.col("_nl")).cast(_CAT).alias("_node"),
    )
    return _typed_at(df, pl.col("_off"), pl.col("_node"))


#: The usual layouts, cut at fixed places (see ``_lines.split_heads``).
_LAYOUTS = [(_FAST, _fast_typed), (_FAST_PREFIXED, _fast_prefixed)]


def _typed_at(df: pl.DataFrame, off: int | pl.Expr, node: pl.Expr) -> pl.DataFrame:
    text = pl.col("text")
    df = df.with_columns(
        text.str.slice(off, 20).alias("_sec"),
        (text.str.slice(off + 21, 3).cast(pl.Int64) * 1_000_000).alias("_ns"),
        text.str.slice(off + 25, 5).alias("_zs"),
        # The header, its colon and the character after it: the header's length and whether
        # a space follows are worked out once per distinct value too.
        text.str.slice(off + 33, text.str.slice(off + 33).str.find(":", literal=True) + 2).alias(
            "_hc"
        ),
        node.alias("node"),
    )
    df = L.per_value(df, "_sec", _second_fields)
    df = L.per_value(df, "_zs", _zone_fields)
    df = L.per_value(df, "_hc", _header_colon_fields)
    return df.select(
        "line",
        (off + pl.col("_hend")).cast(pl.UInt32).alias("_hlen"),
        (pl.col("_base") + pl.duration(nanoseconds=pl.col("_ns"))).alias("ts_local"),
        "offset_min",
        "_zone",
        "severity",
        "component",
        "mnem",
        "node",
    )


def _header_colon_fields(values: pl.DataFrame) -> pl.DataFrame:
    """ "FAC-S-MNEM:" plus the character after it → the header's fields, and where the message
    starts counted from the stamp (after the colon and one space)."""
    hc = pl.col("_hc")
    hl = hc.str.find(":", literal=True).cast(pl.Int64)
    values = values.with_columns(
        hc.str.slice(0, hl).alias("_hdr"),
        (34 + hl + (hc.str.slice(hl + 1, 1) == " ").cast(pl.Int64)).alias("_hend"),
    )
    return _header_fields(values).drop("_hdr")


def sniff_count(head: str) -> tuple[int, int]:
    """How many of the first lines of a sniff head (:func:`L.head_lines`) are CVP log lines,
    and how many there are. Records whose header was wrapped below the time stamp (a log copied
    out of an e-mail or a web page, as the tech notes show it) count with both their lines: the
    reader joins them again (``_unwrap_header``)."""
    cvp = L.head_hits(head, _SNIFF)
    if not cvp:
        return 0, 0
    alone, below = L.head_hits(head, _SNIFF_STAMP_ALONE), L.head_hits(head, _SNIFF_HEAD_BELOW)
    wrapped = [a and b for a, b in zip(alone, (*below[1:], False), strict=True)]
    n_cvp = sum(
        c or w or w_above for c, w, w_above in zip(cvp, wrapped, [False, *wrapped], strict=False)
    )
    return n_cvp, len(cvp)


class CvpLogReader:
    kind = "cvp_log"

    def sniff(self, head: str, name: str) -> bool:
        n_cvp, n = sniff_count(head)
        return n_cvp >= min(2, n) and n_cvp >= 0.2 * n and n_cvp > 0

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        enc = text_encoding or read_head(item.path)[1]
        bad_items: list[tuple[int, str]] = []
        pieces: list[pl.DataFrame] = []
        scanner, sparse = _scan.setup("cvp", self.kind, os.path.getsize(item.path), options)
        walk = L.Pieces(item.path, enc, _START, options, scanner=scanner)
        # Piece by piece (see _lines.line_chunks): every step below is local to a record.
        for lines in walk.lines():
            piece, pre = _scan.found(walk, lines, _scan.cvp_heads)
            parts, heads, _ = L.split_heads(
                lines,
                PATTERN,
                _convert,
                _LAYOUTS if options.fast_paths else None,
                pre=pre,
                classes=_scan.line_classes(piece),
            )
            del pre
            del lines
            records, n_orphans = L.assemble_heads(
                parts,
                heads,
                **_scan.assembly(piece, sparse, self.kind, options),
                # A header wrapped below its time stamp is recovered from the joined text.
                need=pl.col("component").is_null(),
            )
            del heads
            walk.done(parts, n_orphans, records.height)
            del parts
            if records.height == 0:
                continue
            if records["component"].null_count():
                records = _unwrap_header(records)
            records = _with_mnemonic(records)
            bad_items += L.bad_time_items(records, warn("what_date_or_time"))
            records = L.timed(records)
            events = L.put(L.to_events(records), records["_zone"])
            pieces.append(L.slim(events, self.kind, options, digest=not sparse))
            del records
        if walk.records == 0:
            raise L.no_records(
                item.display,
                walk.first_seen,
                warn("expect_cvp_log"),
            )
        # No rechunk: joining the pieces into one buffer would copy every column once more.
        events = pl.concat(pieces, rechunk=False) if len(pieces) > 1 else pieces[0]
        del pieces
        items = walk.preamble() + walk.long_items + bad_items + walk.tail_items
        zones = events["_zone"].drop_nulls().unique(maintain_order=True)
        # Column by column: the pieces' columns are chunked differently, and dropping one on
        # the frame would first copy every column into one chunk (the whole file's rows).
        events = pl.DataFrame([c for c in events.get_columns() if c.name != "_zone"])
        host = L.most_frequent(events["node"])
        return ReadResult(
            kind=self.kind,
            encoding=enc,
            host=host,
            host_reason=warn("host_reason_cvp_sender") if host else "",
            zone=str(zones[0]) if zones.len() == 1 else None,
            stream=_stream(item.display),
            events=events,
            warnings=L.cap_warnings(item.display, items),
            digests=_later(self, item, enc, options) if sparse else None,
        )


#: The message begins with the mnemonic (``LOGMSG_ICM_SS_STATE: Shutting down ...``).
_MNEMONIC_FIRST = (
    pl.when(pl.col("mnem").is_not_null() & pl.col("message").is_not_null())
    .then(pl.concat_str([pl.col("mnem").cast(pl.Utf8), pl.lit(": "), pl.col("message")]))
    .otherwise(pl.col("message"))
    .str.strip_chars_end()
    .alias("message")
)


def _with_mnemonic(records: pl.DataFrame) -> pl.DataFrame:
    """``records`` whose message begins with the mnemonic (:data:`_MNEMONIC_FIRST`). When most
    messages were left out (lean assembly), on the others only (with numpy, when loaded: see
    :func:`hbtriage.sources._lines.loaded_numpy`)."""
    message = records["message"]
    nulls = message.null_count()
    if nulls == message.len():
        return records  # no message: nothing to begin
    if nulls <= message.len() // 2 or L.loaded_numpy() is None:
        return records.with_columns(_MNEMONIC_FIRST)
    import numpy as np

    rows = np.flatnonzero(message.is_not_null().to_numpy())
    some = pl.DataFrame([records["mnem"], message])[rows].select(_MNEMONIC_FIRST)
    return L.put(records, message.clone().scatter(rows, some.to_series()))


def _unwrap_header(records: pl.DataFrame) -> pl.DataFrame:
    """Take ``%FAC-SEV-MNEMONIC:`` from the message when it was wrapped below the time stamp."""
    wrapped = pl.col("message").str.extract_groups(_WRAPPED)
    use_w = pl.col("component").is_null() & wrapped.struct.field("fac").is_not_null()
    return records.with_columns(
        *[
            pl.when(use_w)
            .then(wrapped.struct.field(f).cast(_CAT))
            .otherwise(pl.col(col).cast(_CAT))
            .alias(col)
            for f, col in (("fac", "component"), ("sev", "severity"), ("mnem", "mnem"))
        ],
        pl.when(use_w)
        .then(wrapped.struct.field("rest"))
        .otherwise(pl.col("message"))
        .alias("message"),
    )


def _stream(display: str) -> str:
    name = L.base_name(display)
    if name.startswith("CVP."):
        return "CVP"
    if name.startswith("Error."):
        return "Error"
    return "cvp"


READER = CvpLogReader()
