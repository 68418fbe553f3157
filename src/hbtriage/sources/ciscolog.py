"""ICM logs in Cisco Log form (``dumplog /ciscoLog``) and ICM syslog (Cisco Log over syslog).

::

    10: CICMRGRA: Feb 8 2007 05:37:44.658 +0000: %ICM_Router_ProcessSynchronization: [comp=Router-A][pname=rtr][iid=acme][sev=info]: MDS is in service.
    <134>25: pg1a.example: Feb 13 2007 18:23:21.408 +0000: %ICM_PG_PIM-3-10500FF: [comp=PG-A][pname=pim1][iid=acme][mid=10500FF][sev=error]: text

* ``[<PRI>]SEQNUM: HOST: [*]Mon d yyyy hh:mm:ss.mmm ZONE: %APPNAME[-SEV-MSGID]: [%][tags]: text``.
  ``node`` = HOST, ``offset_min`` from the zone (``+0000``, ``UTC``). A syslog server's own
  time stamp and host name before it (the PG's syslog feed as a BSD syslogd or rsyslog file
  writes it: ``Mar 30 19:36:57 198.51.100.7 121: PG1A: Mar 30 2013 ...``) are skipped
  (``_lines.SYSLOG_RELAY``): the record's time is the Cisco Log stamp.
* ``component`` = the ``[pname=]`` tag (the ICM process: rtr, pim1, opc) when
  present, else APPNAME; ``severity`` = the ``[sev=]`` tag, else the digit.
  The message is the text after the tags.
* SEQNUM counts each process's messages from 0 since it started: when it goes
  down for the same host and process, the process restarted. Those places are
  listed in ``ReadResult.restarts`` (line, ts_local, offset_min, node,
  component, seq, previous_seq); the event rows themselves are unchanged.
* Lines that are not Cisco Log records continue the record above.
* A message cut into parts (each a line of its own with its own SEQNUM and a
  ``[part=FIRST.N/COUNT]`` tag, FIRST the first part's SEQNUM) is one record: the first part's
  time, line and fields, the parts' text joined in their order (a signature may span the cut).
  Parts are of one message when host, process, FIRST and COUNT agree; part 1 starts the next.
  The compiled core leaves such lines to ``PATTERN``.

Files whose records are mostly ``%CVP_...`` are left to :mod:`cvp_log`.

Large files are read in pieces cut before a record start; the lines of the usual layout are
converted by the compiled scanning core when a run's logs are big enough
(:func:`hbtriage.sources._scan.ciscolog_heads`), the others by ``PATTERN``, with the same
result, and only the records a signature's prefilter lets through get their message joined
(:func:`hbtriage.sources._lines.assemble_heads`).
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

#: One regex for the start of every line, up to the message (tags included).
PATTERN = (
    rf"(?:{L.SYSLOG_RELAY})?"
    r"(?:<[0-9]{1,3}>)?(?P<seq>[0-9]{1,18}): (?P<node>[^\s:]+|\[[0-9A-Fa-f:.]+\]): "
    rf"\*?(?P<mon>{L.MONTH_ABBR}) +(?P<day>[0-9]{{1,2}}) (?P<year>[0-9]{{4}}) "
    r"(?P<hms>[0-9]{1,2}:[0-9]{2}:[0-9]{2})(?:\.(?P<frac>[0-9]{1,9}))?"
    r"(?: (?P<zone>[+-][0-9]{2}:?[0-9]{2}|[A-Z]{2,5}))?: "
    r"%(?P<app>[A-Za-z][A-Za-z0-9_]*)(?:-(?P<sev>[0-7])-(?P<mnem>[A-Za-z0-9_]+))?: ?"
    r"(?:%?(?P<tags>(?:\[[^\]]*\])+):? ?)?"
)


class CiscoLogReader:
    kind = "ciscolog"

    def sniff(self, head: str, name: str) -> bool:
        # Every line the pattern matches has its (required) ``app`` group: counted first over
        # the hits every sniffer shares (:func:`L.head_hits`); the names only when they count.
        n_hits, n = L.head_share(head, f"^{PATTERN}")
        if n == 0 or n_hits == 0 or n_hits < min(2, n) or n_hits < 0.2 * n:
            return False
        lines = L.head_lines(head)
        apps = lines.str.extract_groups(f"^{PATTERN}").struct.field("app").drop_nulls()
        n_hits = apps.len()
        if n_hits == 0 or n_hits < min(2, lines.len()) or n_hits < 0.2 * lines.len():
            return False
        n_cvp = int(apps.str.starts_with("CVP").sum())
        return n_cvp * 2 < n_hits

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        enc = text_encoding or read_head(item.path)[1]
        # Piece by piece, cut before a record start: every step is local to a record except
        # the restarts (sequence numbers per host and process), worked out on all records at
        # the end from small columns. Message text is slimmed per piece (``options.keep``).
        time_items: list[tuple[int, str]] = []
        pieces: list[pl.DataFrame] = []
        cut: list[pl.DataFrame] = []  # the parts of messages cut in several, joined at the end
        scanner, sparse = _scan.setup("ciscolog", self.kind, os.path.getsize(item.path), options)
        walk = L.Pieces(item.path, enc, PATTERN, options, scanner=scanner)
        for lines in walk.lines():
            piece, pre = _scan.found(walk, lines, _scan.ciscolog_heads)
            parts, heads, _ = L.split_heads(
                lines, PATTERN, _convert, pre=pre, classes=_scan.line_classes(piece)
            )
            del pre, lines
            records, n_orphans = L.assemble_heads(
                parts,
                heads,
                **_scan.assembly(piece, sparse, self.kind, options),
                need=pl.col("part").is_not_null(),  # a signature may span the parts
            )
            walk.done(parts, n_orphans, records.height)
            time_items += L.bad_time_items(records, warn("what_date_or_time"))
            records = L.timed(records)
            events = L.to_events(records).with_columns(records["seq"], records["zone"])
            if records["part"].null_count() < records.height:
                is_part = records["part"].is_not_null()
                cut.append(
                    _raw_ends(events.filter(is_part), parts, heads).with_columns(
                        records["part"].filter(is_part)
                    )
                )
                events = events.filter(~is_part)
            del heads, parts, records
            pieces.append(L.slim(events, self.kind, options, digest=not sparse))
            del events
        if walk.records == 0:
            raise L.no_records(
                item.display,
                walk.first_seen,
                warn("expect_ciscolog"),
            )
        records = pl.concat(pieces) if len(pieces) > 1 else pieces[0]
        del pieces
        items = walk.preamble() + walk.long_items + time_items + walk.tail_items

        if cut:
            records, restarts = _with_parts_joined(records, pl.concat(cut), self.kind, options)
        else:
            restarts = L.restarts(records, "seq", ["node", "component"])
        zones = records["zone"].drop_nulls().unique(maintain_order=True)
        events = records.drop("seq", "zone")
        comps = events["component"].drop_nulls().unique()
        host = L.most_frequent(events["node"])
        return ReadResult(
            kind=self.kind,
            encoding=enc,
            host=host,
            host_reason=warn("host_reason_ciscolog") if host else "",
            zone=str(zones[0]) if zones.len() == 1 else None,
            stream=str(comps[0]) if comps.len() == 1 else "ciscolog",
            events=events,
            warnings=L.cap_warnings(item.display, items),
            restarts=restarts,
            digests=_later(self, item, enc, options) if sparse else None,
        )


_CAT = pl.Categorical()
#: The value of a ``[part=]`` tag: the first part's sequence number, this part's number and
#: how many there are (``41.2/3``).
_PART = r"^(?P<first>[0-9]{1,18})\.(?P<index>[0-9]{1,9})/(?P<total>[0-9]{1,9})$"


def _raw_ends(events: pl.DataFrame, lines: pl.DataFrame, heads: pl.DataFrame) -> pl.DataFrame:
    """``events`` (the records of a piece that are parts of a message) with the white space
    that ended each one-line message given back: a cut may fall just after a space, which
    belongs to the message."""
    start = heads.select("line", "_hlen").join(lines.select("line", "text"), on="line", how="left")
    tail = start.select(
        "line",
        pl.col("text").str.slice(pl.col("_hlen").cast(pl.Int64)).alias("_raw"),
    )
    out = events.join(tail, on="line", how="left", maintain_order="left")
    whole = pl.col("_raw").is_not_null() & (
        pl.col("_raw").str.strip_chars_end() == pl.col("message")
    )
    return out.with_columns(
        pl.when(whole).then(pl.col("_raw")).otherwise(pl.col("message")).alias("message")
    ).drop("_raw")


def _with_parts_joined(
    records: pl.DataFrame, cut: pl.DataFrame, kind: str, options: ReadOptions
) -> tuple[pl.DataFrame, list[dict[str, object]]]:
    """``records`` with each message that was cut into parts (``[part=41.1/2]``,
    ``[part=41.2/2]``: the Cisco Log form of a message too long for one line) as one record:
    the first part's time, line and fields, the parts' text joined in their order. Parts are
    of one message when they share host, process, first sequence number and count; a part 1
    starts the next message of those. Also the restarts, found on every part's sequence
    number."""
    every = pl.concat([records, cut.drop("part")], how="diagonal_relaxed").sort("line")
    restarts = L.restarts(every, "seq", ["node", "component"])
    del every
    p = pl.col("part").str.extract_groups(_PART)
    cut = cut.sort("line").with_columns(
        p.struct.field("first").alias("_first"),
        p.struct.field("index").cast(pl.Int64).alias("_index"),
        p.struct.field("total").alias("_total"),
    )
    odd = cut.filter(pl.col("_index").is_null())  # a tag of another form: a record of its own
    keys = [pl.col(c).cast(pl.Utf8).fill_null("").alias(f"_{c}") for c in ("node", "component")]
    cut = cut.filter(pl.col("_index").is_not_null()).with_columns(
        (pl.col("_index") == 1).cum_sum().over([*keys, "_first", "_total"]).alias("_msg")
    )
    columns = [c for c in records.columns if c != "message" and c != "digest"]
    joined = (
        cut.sort("_index", "line")
        .group_by([*keys, "_first", "_total", "_msg"], maintain_order=True)
        .agg(
            pl.col("line").first(),
            pl.col("message").fill_null("").str.join("").str.strip_chars_end(),
            *[pl.col(c).sort_by("_index", "line").first() for c in columns if c != "line"],
        )
    )
    parts = pl.concat([joined, odd], how="diagonal_relaxed").select(*columns, "message")
    parts = L.slim(L.to_events(parts).with_columns(parts["seq"], parts["zone"]), kind, options)
    out = pl.concat([records, parts.select(records.columns)], how="vertical_relaxed")
    return out.sort("line"), restarts


def _convert(g: pl.DataFrame) -> pl.DataFrame:
    """The typed columns from ``PATTERN``'s groups: time stamp, offset, severity (the
    ``[sev=]`` tag, else the header's digit), process (a non-empty ``[pname=]`` tag, else the
    app name), host, and the sequence number and zone as written."""
    tags = pl.col("tags")
    pname = tags.str.extract(r"\[pname(?:\.orig)?=([^\]]*)\]", 1)
    date = L.iso_date(pl.col("year"), L.month_number(pl.col("mon")), pl.col("day"))
    return g.select(
        L.make_ts(date, pl.col("hms"), pl.col("frac")).alias("ts_local"),
        L.offset_minutes(pl.col("zone")).alias("offset_min"),
        pl.coalesce(tags.str.extract(r"\[sev=([^\]]*)\]", 1), pl.col("sev"))
        .cast(_CAT)
        .alias("severity"),
        pl.coalesce(pl.when(pname != "").then(pname), pl.col("app")).cast(_CAT).alias("component"),
        pl.col("node").cast(_CAT),
        pl.col("seq"),
        pl.col("zone"),
        tags.str.extract(r"\[part=([^\]]*)\]", 1).alias("part"),
    )


READER = CiscoLogReader()
