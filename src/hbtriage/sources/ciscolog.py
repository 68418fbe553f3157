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
        lines = L.head_lines(head)
        if lines.len() == 0:
            return False
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
        scanner, sparse = _scan.setup("ciscolog", self.kind, os.path.getsize(item.path), options)
        walk = L.Pieces(item.path, enc, PATTERN, options, scanner=scanner)
        for lines in walk.lines():
            piece, pre = _scan.found(walk, lines, _scan.ciscolog_heads)
            parts, heads, _ = L.split_heads(lines, PATTERN, _convert, pre=pre)
            del pre, lines
            records, n_orphans = L.assemble_heads(
                parts,
                heads,
                **_scan.assembly(piece, sparse, self.kind, options),
            )
            del heads
            walk.done(parts, n_orphans, records.height)
            del parts
            time_items += L.bad_time_items(records, warn("what_date_or_time"))
            records = records.filter(pl.col("ts_local").is_not_null())
            pieces.append(
                L.slim(
                    L.to_events(records).with_columns(records["seq"], records["zone"]),
                    self.kind,
                    options,
                    digest=not sparse,
                )
            )
            del records
        if walk.records == 0:
            raise L.no_records(
                item.display,
                walk.first_seen,
                warn("expect_ciscolog"),
            )
        records = pl.concat(pieces) if len(pieces) > 1 else pieces[0]
        del pieces
        items = walk.preamble() + walk.long_items + time_items + walk.tail_items

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
    )


READER = CiscoLogReader()
