"""Reader (and the one definition) of the log ``hbtriage watch`` writes.

One record per line, UTF-8, times in UTC::

    # hbtriage-watch 1 host=cvp1
    2026-11-27T10:00:01.234Z cvp1 hb_missed proto=udp peer=192.0.2.2:7000 seq=42 count=3 phi=9.1

``<ISO-8601 UTC with Z> <host> <event> <key=value ...>``. Lines starting with ``#`` are
headers (written at the top of every rotated file) and are skipped. Values never contain
spaces (the writer replaces them with ``_``) nor control characters (``?``). The events are
listed in :data:`EVENTS`.

A probe writes two such files, each rotated on its own: ``watch-<host>.log`` (life cycle and
outages: what analysis needs) and ``watch-<host>.rx.log`` (header ``... file=rx``: the
once-a-second ``hb_rx`` stream and ``rejected`` summaries), so that no amount of traffic can
rotate an outage record out. Both, and the single file of earlier versions, read the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

import polars as pl

from hbtriage.errors import InputError
from hbtriage.sources import _lines as L
from hbtriage.sources import _sniffs
from hbtriage.sources._sniffs import WATCH_EVENTS as EVENTS
from hbtriage.sources._sniffs import WATCH_HEADER_PREFIX as HEADER_PREFIX
from hbtriage.sources._sniffs import WATCH_RECORD as _RECORD
from hbtriage.sources.base import EVENT_SCHEMA, InputFile, ReadResult, empty_events
from hbtriage.sources.encoding import read_text
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn

KIND = "watch_log"
FORMAT_VERSION = 1

#: The events (name -> severity written in ``ReadResult.events.severity``), the header and
#: the record layout are defined in :mod:`hbtriage.sources._sniffs`, with the sniff.
_PROTO_RE = r"(?:^| )proto=(\S+)"
_MAX_WARNINGS = 20


def format_ts(ts: datetime) -> str:
    """``2026-11-27T10:00:01.234Z`` (UTC, milliseconds)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


_CONTROLS = {c: "?" for c in [*range(0, 32), *range(127, 160)]}
_CONTROLS.update({ord("\t"): " ", ord("\r"): " ", ord("\n"): " "})


def _clean(value: object) -> str:
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    text = text.translate(_CONTROLS).strip()
    return re.sub(r"\s", "_", text) or "-"


def format_record(ts: datetime, host: str, event: str, fields: Mapping[str, object]) -> str:
    """One line (without newline) of the watch log."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", event):
        raise ValueError(f"bad event name {event!r}")
    parts = [format_ts(ts), _clean(host), event]
    parts += [f"{k}={_clean(v)}" for k, v in fields.items()]
    return " ".join(parts)


def header_line(host: str, role: str | None = None) -> str:
    """The first line of every file; ``role`` names a probe's second file (``rx``)."""
    line = f"{HEADER_PREFIX} {FORMAT_VERSION} host={_clean(host)}"
    return f"{line} file={_clean(role)}" if role else line


def parse_fields(text: str | None) -> dict[str, str]:
    """``"proto=udp seq=4"`` -> ``{"proto": "udp", "seq": "4"}`` (tokens without ``=`` ignored)."""
    out: dict[str, str] = {}
    for token in (text or "").split():
        key, sep, value = token.partition("=")
        if sep:
            out[key] = value
    return out


class WatchLogReader:
    kind = KIND

    def sniff(self, head: str, name: str) -> bool:
        return _sniffs.watch_log(head, name)

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        text, enc = read_text(item.path, text_encoding)
        result = ReadResult(kind=KIND, encoding=enc, zone="UTC", offset_min=0, stream="watch")
        lines = pl.Series("raw", text.splitlines(), dtype=pl.Utf8)
        frame = pl.DataFrame({"raw": lines}).with_row_index("line", offset=1)
        frame = frame.with_columns(pl.col("raw").str.strip_chars_end("\r"))
        frame = frame.filter(pl.col("raw").str.strip_chars() != "")
        frame = frame.filter(~pl.col("raw").str.starts_with("#"))
        parsed = frame.with_columns(pl.col("raw").str.extract_groups(_RECORD).alias("g")).unnest(
            "g"
        )
        parsed = parsed.with_columns(
            pl.col("ts").pipe(L.strptime_ns, "%Y-%m-%dT%H:%M:%S%.f").alias("ts_local")
        )
        bad = parsed.filter(pl.col("ts_local").is_null())
        good = parsed.filter(pl.col("ts_local").is_not_null())
        if good.height == 0 and frame.height > 0:
            first = bad.row(0, named=True)
            raise InputError(
                item.display,
                int(first["line"]),
                warn("expect_watch_record"),
                str(first["raw"])[:60],
            )
        for row in bad.head(_MAX_WARNINGS).iter_rows(named=True):
            reason = warn("watch_not_record")
            result.warnings.append(
                warn("at_line", path=item.display, line=row["line"], reason=reason)
            )
        if bad.height > _MAX_WARNINGS:
            result.warnings.append(warn("more", count=bad.height - _MAX_WARNINGS))

        severity = pl.col("event").replace_strict(EVENTS, default="info", return_dtype=pl.Utf8)
        message = (
            pl.when(pl.col("fields").is_null() | (pl.col("fields") == ""))
            .then(pl.col("event"))
            .otherwise(pl.concat_str([pl.col("event"), pl.col("fields")], separator=" "))
        )
        events = good.select(
            pl.col("ts_local"),
            pl.lit(0, dtype=pl.Int32).alias("offset_min"),
            pl.col("line").cast(pl.Int64),
            severity.alias("severity"),
            pl.col("fields").str.extract(_PROTO_RE, 1).fill_null("watch").alias("component"),
            message.alias("message"),
            pl.col("host").alias("node"),
        ).cast(EVENT_SCHEMA)  # type: ignore[arg-type]
        result.events = events if events.height else empty_events()
        hosts = events.get_column("node").unique().to_list()
        if len(hosts) == 1:
            result.host = hosts[0]
            result.host_reason = warn("host_reason_watch_record")
        return result


READER = WatchLogReader()
