"""Windows event log exports, as text: what a support engineer can attach without a .evtx viewer.

Formats (recognised by content):

* Event Viewer "Save All Events As... > CSV" (Vista and later): header
  ``Level,Date and Time,Source,Event ID,Task Category`` (localized), and a sixth, unnamed
  column holding the message, quoted and possibly multi-line;
* the same saved as "Text (Tab delimited)" (``.txt``), the header and columns separated by tabs;
* Windows Server 2003 Event Viewer CSV or "Text (Tab delimited)": no header,
  ``date,time,source,type,category,event,user,computer,description`` (the order Microsoft
  documents; type and source swapped are read too: the type is the column that holds one);
* PowerShell ``Get-WinEvent | Export-Csv`` and ``Get-EventLog | Export-Csv`` (optional ``#TYPE``
  line, then quoted columns such as TimeCreated/TimeGenerated, Id/EventID,
  ProviderName/Source, LevelDisplayName/EntryType, Message, MachineName, LogName);
* ``wevtutil qe <log> /f:text``: ``Event[n]:`` blocks of ``  Key: value`` lines and a
  ``Description:`` followed by the message lines.

Each record becomes one row of :data:`EVENT_SCHEMA`: ``component`` is the source / provider,
``severity`` the level as written, ``message`` ``"EventID <n>: <text>"``, ``node`` the computer.
Times are local and naive; only a wevtutil date that carries ``Z`` or ``+hh:mm`` sets ``offset_min``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import polars as pl

from hbtriage.errors import InputError
from hbtriage.sources import _lines as L
from hbtriage.sources._sniffs import PS_ID as _PS_ID
from hbtriage.sources._sniffs import PS_SOURCE as _PS_SOURCE
from hbtriage.sources._sniffs import PS_TIME as _PS_TIME
from hbtriage.sources._sniffs import W2003_LINE as _W2003_LINE
from hbtriage.sources._sniffs import W2003_TAB_LINE as _W2003_TAB_LINE
from hbtriage.sources._sniffs import WEVT_START as _WEVT_START
from hbtriage.sources._sniffs import eventlog_layout as _detect
from hbtriage.sources.base import EVENT_SCHEMA, InputFile, ReadResult
from hbtriage.sources.encoding import read_text
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn

KIND = "eventlog"
MAX_WARNINGS = 20

_PS_LEVEL = ("LevelDisplayName", "EntryType", "Level")
_PS_COMPUTER = ("MachineName",)
_PS_LOG = ("LogName", "ContainerLog")

#: wevtutil text labels (English; German as best known) -> field.
_WEVT_KEYS: dict[str, str] = {
    "log name": "log",
    "protokollname": "log",
    "source": "source",
    "quelle": "source",
    "date": "date",
    "datum": "date",
    "event id": "id",
    "ereignis-id": "id",
    "level": "level",
    "ebene": "level",
    "computer": "computer",
    "description": "desc",
    "beschreibung": "desc",
}

#: Date layouts seen in exports from different locales; the reader keeps the one that parses most rows.
_TS_FORMATS: tuple[str, ...] = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %I:%M:%S %p",
    "%d.%m.%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
)


def _line_numbers(frame: pl.DataFrame, first_line: int) -> pl.Series:
    """First line of each CSV row, counting newlines inside quoted fields."""
    if frame.height == 0:
        return pl.Series("line", [], dtype=pl.Int64)
    nl = pl.sum_horizontal([pl.col(c).str.count_matches("\n").fill_null(0) for c in frame.columns])
    span = frame.select((nl + 1).alias("span"))["span"].cast(pl.Int64)
    return (span.cum_sum().shift(1, fill_value=0) + first_line).alias("line")


def _pick(frame: pl.DataFrame, names: tuple[str, ...]) -> pl.Expr:
    cols = [n for n in names if n in frame.columns]
    if not cols:
        return pl.lit(None, dtype=pl.Utf8)
    return pl.coalesce([pl.col(c).cast(pl.Utf8) for c in cols])


def _read_eventviewer_csv(text: str, sep: str = ",") -> pl.DataFrame:
    header_end = text.index("\n") + 1 if "\n" in text else len(text)
    body = text[header_end:]
    schema = {f"c{i}": pl.Utf8() for i in range(6)}
    frame = pl.read_csv(
        io.StringIO(body),
        has_header=False,
        separator=sep,
        schema=schema,
        truncate_ragged_lines=True,
        quote_char='"',
    )
    return frame.with_columns(_line_numbers(frame, 2)).select(
        "line",
        pl.col("c0").alias("level"),
        pl.col("c1").alias("ts_raw"),
        pl.col("c2").alias("source"),
        pl.col("c3").alias("event_id"),
        pl.col("c5").alias("text"),
        pl.lit(None, dtype=pl.Utf8).alias("computer"),
        pl.lit(None, dtype=pl.Utf8).alias("log"),
    )


def _read_powershell_csv(text: str) -> tuple[pl.DataFrame, str | None]:
    log_from_type: str | None = None
    first_line = 1
    if text.startswith("#TYPE"):
        type_line, _, text = text.partition("\n")
        first_line = 2
        m = re.search(r"EventLogEntry#([^/\s]+)/", type_line)
        if m:
            log_from_type = m.group(1)
    frame = pl.read_csv(
        io.StringIO(text), infer_schema=False, truncate_ragged_lines=True, quote_char='"'
    )
    lines = _line_numbers(frame, first_line + 1)
    out = frame.select(
        _pick(frame, _PS_LEVEL).alias("level"),
        _pick(frame, _PS_TIME).alias("ts_raw"),
        _pick(frame, _PS_SOURCE).alias("source"),
        _pick(frame, _PS_ID).alias("event_id"),
        _pick(frame, ("Message",)).alias("text"),
        _pick(frame, _PS_COMPUTER).alias("computer"),
        _pick(frame, _PS_LOG).alias("log"),
    ).with_columns(lines)
    return out.select(
        "line", "level", "ts_raw", "source", "event_id", "text", "computer", "log"
    ), log_from_type


#: Event types as the 2003 Event Viewer writes them (English, German, French, Spanish, Japanese):
#: its saves put Source before Type (Microsoft, "File formats for archived logs", Windows Server
#: 2003 documentation: Date, Time, Source, Type, Category, Event, User, Computer, Description),
#: while other tools write Type first; a row's type is the column that holds one of these.
_EVENT_TYPES = sorted(
    t.lower()
    for t in (
        "Information", "Warning", "Error", "Success Audit", "Failure Audit",
        "Informationen", "Warnung", "Fehler", "Erfolgsüberwachung", "Fehlerüberwachung",
        "Avertissement", "Erreur", "Audit des succès", "Audit des échecs",
        "Información", "Advertencia", "Auditoría de aciertos", "Auditoría de errores",
        "情報", "警告", "エラー", "成功の監査", "失敗の監査",
    )
)  # fmt: skip


def _read_w2003(text: str, line_re: re.Pattern[str] = _W2003_LINE) -> pl.DataFrame:
    df = pl.DataFrame({"raw": text.split("\n")}).with_row_index("line", offset=1)
    g = df["raw"].str.extract_groups(line_re.pattern).struct.unnest()
    g.columns = ["date", "time", "type3", "type4", "cat", "event_id", "user", "computer", "desc"]

    def is_type(col: str) -> pl.Expr:
        return pl.col(col).str.strip_chars().str.to_lowercase().is_in(_EVENT_TYPES)

    source_first = is_type("type4") & ~is_type("type3")
    g = g.with_columns(
        pl.when(source_first).then(pl.col("type4")).otherwise(pl.col("type3")).alias("level"),
        pl.when(source_first).then(pl.col("type3")).otherwise(pl.col("type4")).alias("source"),
    )
    df = pl.concat([df, g], how="horizontal").with_columns(
        pl.col("date").is_not_null().cum_sum().alias("rec"),
        pl.col("desc").str.strip_chars().str.strip_chars('"'),
    )
    df = df.filter(pl.col("rec") > 0).with_columns(
        pl.when(pl.col("date").is_null())
        .then(pl.col("raw").str.strip_chars_end('"'))
        .otherwise(pl.col("desc"))
        .alias("part")
    )
    out = df.group_by("rec", maintain_order=True).agg(
        pl.col("line").first(),
        pl.col("level").first(),
        (pl.col("date").first() + " " + pl.col("time").first()).alias("ts_raw"),
        pl.col("source").first(),
        pl.col("event_id").first(),
        pl.col("part").str.join("\n").str.strip_chars_end().alias("text"),
        pl.col("computer").first(),
    )
    return out.with_columns(pl.lit(None, dtype=pl.Utf8).alias("log")).select(
        "line", "level", "ts_raw", "source", "event_id", "text", "computer", "log"
    )


def _read_wevtutil(text: str) -> pl.DataFrame:
    df = pl.DataFrame({"raw": text.split("\n")}).with_row_index("line", offset=1)
    kv = (
        df["raw"]
        .str.extract_groups(r"^[ \t]{1,4}([A-Za-z][A-Za-z -]{0,30}):[ \t]?(.*)$")
        .struct.unnest()
    )
    kv.columns = ["label", "value"]
    df = pl.concat([df, kv], how="horizontal").with_columns(
        pl.col("raw").str.contains(_WEVT_START.pattern).alias("start"),
        pl.col("label").str.to_lowercase(),
        pl.col("value").str.strip_chars(),
    )
    df = df.with_columns(
        pl.col("start").cum_sum().alias("rec"),
        pl.col("label").replace_strict(_WEVT_KEYS, default=None).alias("key"),
    )
    df = df.filter(pl.col("rec") > 0)
    # Everything after the "Description:" line of a record is the message. Records are
    # contiguous, so a running count minus its value at the record start counts per record.
    is_desc = (pl.col("key") == "desc").fill_null(False).cast(pl.Int32)
    df = df.with_columns(is_desc.cum_sum().alias("desc_seen"))
    df = df.with_columns(
        (
            pl.col("desc_seen")
            - pl.when(pl.col("start")).then(pl.col("desc_seen")).otherwise(None).forward_fill()
        ).alias("after_desc")
    )
    in_desc = (
        (pl.col("after_desc") > 0) & (pl.col("key") != "desc").fill_null(True) & ~pl.col("start")
    )
    head = df.filter((pl.col("after_desc") == 0) & pl.col("key").is_not_null())
    # One small frame per field, joined on the record number (faster than a filtered agg per group).
    fields = df.filter(pl.col("start")).select("rec")
    for key in ("log", "source", "date", "id", "level", "computer"):
        part = (
            head.filter(pl.col("key") == key)
            .unique("rec", keep="first")
            .select("rec", pl.col("value").alias(key))
        )
        fields = fields.join(part, on="rec", how="left")
    desc_first = df.filter(pl.col("key") == "desc").select("rec", pl.col("value").alias("desc0"))
    desc_rest = (
        df.filter(in_desc)
        .group_by("rec", maintain_order=True)
        .agg(pl.col("raw").str.join("\n").alias("desc1"))
    )
    starts = df.filter(pl.col("start")).select("rec", "line")
    out = (
        starts.join(fields, on="rec", how="left")
        .join(desc_first, on="rec", how="left")
        .join(desc_rest, on="rec", how="left")
        .with_columns(
            pl.concat_str(
                [pl.col("desc0").fill_null(""), pl.col("desc1").fill_null("")], separator="\n"
            )
            .str.strip_chars()
            .alias("text")
        )
    )
    return out.select(
        "line",
        "level",
        pl.col("date").alias("ts_raw"),
        "source",
        pl.col("id").alias("event_id"),
        "text",
        "computer",
        "log",
    )


def _parse_ts(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Naive local timestamps and per-row offsets (minutes east) from the raw date strings."""
    parts = (
        raw.str.strip_chars()
        .str.extract_groups(r"^(.*?)(?:\s*(Z|[+-][0-9]{2}:?[0-9]{2}))?$")
        .struct.unnest()
    )
    parts.columns = ["body", "zone"]
    # ISO dates carry 7 fraction digits in wevtutil; polars' %.f takes up to 9.
    body = (
        parts["body"]
        .str.replace(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}) ", "${1}T")
        .str.replace_all(r"\s+", " ")
    )
    best: pl.Series | None = None
    best_count = -1
    for fmt in _TS_FORMATS:
        parsed = body.to_frame().select(L.strptime_ns(pl.first(), fmt)).to_series()
        count = parsed.len() - parsed.null_count()
        if count > best_count:
            best, best_count = parsed, count
    assert best is not None
    zone = parts["zone"]
    offset = pl.DataFrame({"zone": zone}).select(
        pl.when(pl.col("zone") == "Z")
        .then(0)
        .when(pl.col("zone").is_not_null())
        .then(
            pl.when(pl.col("zone").str.starts_with("-")).then(-1).otherwise(1).cast(pl.Int32)
            * (
                pl.col("zone").str.slice(1, 2).cast(pl.Int32) * 60
                + pl.col("zone").str.slice(-2, 2).cast(pl.Int32)
            )
        )
        .otherwise(None)
        .cast(pl.Int32)
        .alias("offset_min")
    )["offset_min"]
    return best.alias("ts_local"), offset


def short_host(name: str) -> str:
    """A computer name as a host is named: a DNS name by its first label, an address whole."""
    name = name.strip()
    if re.fullmatch(r"[0-9.]+", name):
        return name
    return name.split(".", 1)[0]


class EventLogReader:
    """Reads Windows event log text exports into :data:`EVENT_SCHEMA` rows."""

    kind = KIND

    def sniff(self, head: str, name: str) -> bool:
        return _detect(head) is not None

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        text, enc = read_text(item.path, text_encoding or None)
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        layout = _detect(text[:65536])
        if layout is None:
            raise InputError(
                item.display,
                1,
                warn("expect_eventlog"),
                text[:60].strip() or warn("empty_file"),
            )
        log_from_type: str | None = None
        try:
            if layout == "eventviewer_csv":
                frame = _read_eventviewer_csv(text)
            elif layout == "eventviewer_tsv":
                frame = _read_eventviewer_csv(text, "\t")
            elif layout == "powershell_csv":
                frame, log_from_type = _read_powershell_csv(text)
            elif layout == "w2003_csv":
                frame = _read_w2003(text)
            elif layout == "w2003_tsv":
                frame = _read_w2003(text, _W2003_TAB_LINE)
            else:
                frame = _read_wevtutil(text)
        except pl.exceptions.PolarsError as exc:
            raise InputError(
                item.display, None, warn("expect_event_export", layout=layout), str(exc)[:80]
            ) from exc
        frame = frame.filter(pl.col("ts_raw").is_not_null() | pl.col("event_id").is_not_null())
        ts, offset = _parse_ts(frame["ts_raw"].fill_null(""))
        frame = frame.with_columns(ts, offset)
        bad = frame.filter(pl.col("ts_local").is_null())
        warnings: list[str] = [
            warn("at_line", path=item.display, line=line, reason=warn("event_bad_date", raw=raw))
            for line, raw in zip(
                bad["line"].head(MAX_WARNINGS), bad["ts_raw"].head(MAX_WARNINGS), strict=True
            )
        ]
        if bad.height > MAX_WARNINGS:
            warnings.append(warn("more", count=bad.height - MAX_WARNINGS))
        frame = frame.filter(pl.col("ts_local").is_not_null())
        if frame.height == 0:
            raise InputError(item.display, None, warn("expect_event_dates", layout=layout), None)
        events = frame.select(
            pl.col("ts_local").cast(pl.Datetime("ns")),
            pl.col("offset_min").cast(pl.Int32),
            pl.col("line").cast(pl.Int64),
            pl.col("level").str.strip_chars().alias("severity"),
            pl.col("source").str.strip_chars().alias("component"),
            pl.concat_str(
                [
                    pl.lit("EventID "),
                    pl.col("event_id").str.strip_chars().fill_null("?"),
                    pl.lit(": "),
                    pl.col("text").fill_null("").str.strip_chars(),
                ]
            ).alias("message"),
            pl.col("computer").str.strip_chars().alias("node"),
        )
        events = events.with_columns(
            pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).cast(EVENT_SCHEMA[c]).alias(c)
            for c in ("severity", "component", "node")
        )
        logs = [v for v in frame["log"].drop_nulls().unique().to_list() if v]
        log = logs[0] if len(logs) == 1 else log_from_type
        if log is None:
            stem = Path(item.display.split("!")[-1]).stem
            log = next(
                (k for k in ("System", "Application", "Security") if stem.lower() == k.lower()),
                None,
            )
        nodes = events["node"].drop_nulls().unique().to_list()
        host = short_host(nodes[0]) if len(nodes) == 1 else None
        return ReadResult(
            kind=KIND,
            encoding=enc,
            host=host,
            host_reason=warn("host_reason_eventlog") if host else "",
            stream=f"eventlog-{log}" if log else "eventlog",
            events=events,
            warnings=warnings,
            extra={"layout": layout},
        )


READER = EventLogReader()
