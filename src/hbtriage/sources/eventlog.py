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
from hbtriage.sources._eventlog_words import words as _words
from hbtriage.sources._sniffs import PS_ID as _PS_ID
from hbtriage.sources._sniffs import PS_LIST_LINE as _PS_LIST_LINE
from hbtriage.sources._sniffs import PS_SOURCE as _PS_SOURCE
from hbtriage.sources._sniffs import PS_TIME as _PS_TIME
from hbtriage.sources._sniffs import W2003_LINE as _W2003_LINE
from hbtriage.sources._sniffs import W2003_TAB_LINE as _W2003_TAB_LINE
from hbtriage.sources._sniffs import WEVT_START as _WEVT_START
from hbtriage.sources._sniffs import csv_fields as _csv_fields
from hbtriage.sources._sniffs import eventlog_layout as _detect
from hbtriage.sources._sniffs import ps_csv_separator as _ps_csv_separator
from hbtriage.sources.base import EVENT_SCHEMA, InputFile, ReadResult
from hbtriage.sources.encoding import read_text
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn

KIND = "eventlog"
MAX_WARNINGS = 20

_PS_LEVEL = ("LevelDisplayName", "EntryType", "Level")
_PS_COMPUTER = ("MachineName",)
_PS_LOG = ("LogName", "ContainerLog")

#: Date layouts seen in exports from different locales; the reader keeps the one that parses most rows.
#: A slash date with a 24-hour clock is d/m first: en-US, the one m/d culture, writes its long time
#: with AM/PM (h:mm:ss tt), while en-GB, fr-FR, es-ES, it-IT and pt-BR write dd/MM/yyyy HH:mm:ss.
#: A file whose days pass 12 still tells by which layout reads every row.
_TS_FORMATS: tuple[str, ...] = (
    "%m/%d/%Y %I:%M:%S %p",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %I:%M:%S %p",
    "%Y-%m-%d %I:%M:%S %p",
    "%Y/%m/%d %I:%M:%S %p",
    "%d.%m.%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
)


def _wevt_keys() -> dict[str, str]:
    """wevtutil's labels (catalog/eventlog.toml), case-folded -> field."""
    return _words().wevtutil


#: Format-List property -> column (Get-WinEvent, Get-EventLog; ``| Format-List *`` too).
_PS_LIST_FIELDS: dict[str, str] = {
    **dict.fromkeys(_PS_TIME, "ts_raw"),
    **dict.fromkeys(_PS_ID, "event_id"),
    **dict.fromkeys(_PS_SOURCE, "source"),
    **dict.fromkeys(_PS_LEVEL, "level"),
    **dict.fromkeys(_PS_COMPUTER, "computer"),
    **dict.fromkeys(_PS_LOG, "log"),
    "Message": "text",
    "InstanceId": "instance_id",
}


def _read_powershell_list(text: str) -> pl.DataFrame:
    """``Get-WinEvent | Format-List`` / ``Get-EventLog | Format-List``: records of
    ``Name : value`` lines at the line start, a long or multi-line value continued on indented
    lines; a record starts at the property that starts the file's first one."""
    cols = ("line", "level", "ts_raw", "source", "event_id", "text", "computer", "log")
    rows: list[dict[str, object]] = []
    rec: dict[str, object] = {}
    first: str | None = None
    key: str | None = None
    for n, raw in enumerate(text.split("\n"), start=1):
        m = _PS_LIST_LINE.match(raw) if raw[:1].strip() else None
        if m is None:
            if key is not None and raw.strip() and key in rec:
                rec[key] = f"{rec[key]}\n{raw.strip()}"
            continue
        name = m.group(1)
        first = first or name
        if name == first:
            if rec:
                rows.append(rec)
            rec = {"line": n}
        key = _PS_LIST_FIELDS.get(name)
        if key is not None and key not in rec:
            rec[key] = m.group(2).strip()
    if rec:
        rows.append(rec)
    for r in rows:
        # Get-EventLog shows InstanceId, the event id with its qualifiers in the high bits
        # (7036 is 1073748860): the low 16 bits are the id Event Viewer shows.
        inst = str(r.get("instance_id") or "")
        if "event_id" not in r and inst.isdigit():
            r["event_id"] = str(int(inst) & 0xFFFF)
    data = {c: [r.get(c) for r in rows] for c in cols}
    schema = {c: (pl.Int64 if c == "line" else pl.Utf8) for c in cols}
    return pl.DataFrame(data, schema=schema)


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
    # The message is the unnamed column after the named ones: five by default, more when the
    # view had columns added (Computer, Log, Process ID ...) before it was saved.
    named = max(5, len([f for f in _csv_fields(text[:header_end].lstrip("\ufeff"), sep) if f]))
    schema = {f"c{i}": pl.Utf8() for i in range(named + 1)}
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
        pl.col(f"c{named}").alias("text"),
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
    sep = _ps_csv_separator(text.split("\n", 1)[0].lstrip("\ufeff")) or ","
    frame = pl.read_csv(
        io.StringIO(text),
        infer_schema=False,
        truncate_ragged_lines=True,
        quote_char='"',
        separator=sep,
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


def _read_w2003(text: str, line_re: re.Pattern[str] = _W2003_LINE) -> pl.DataFrame:
    df = pl.DataFrame({"raw": text.split("\n")}).with_row_index("line", offset=1)
    g = df["raw"].str.extract_groups(line_re.pattern).struct.unnest()
    g.columns = ["date", "time", "type3", "type4", "cat", "event_id", "user", "computer", "desc"]

    def is_type(col: str) -> pl.Expr:
        # The level words of catalog/eventlog.toml: the 2003 Event Viewer's saves put Source
        # before Type, other tools Type first; a row's type is the column that holds one.
        levels = sorted(_words().levels)
        return pl.col(col).str.strip_chars().str.to_lowercase().is_in(levels)

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
        pl.col("label").str.strip_chars().str.to_lowercase(),
        pl.col("value").str.strip_chars(),
    )
    df = df.with_columns(
        pl.col("start").cum_sum().alias("rec"),
        pl.col("label").replace_strict(_wevt_keys(), default=None).alias("key"),
    )
    df = df.filter(pl.col("rec") > 0)
    # Everything after the "Description:" line of a record is the message. Records are
    # contiguous, so a running count minus its value at the record start counts per record.
    is_desc = (pl.col("key") == "description").fill_null(False).cast(pl.Int32)
    df = df.with_columns(is_desc.cum_sum().alias("desc_seen"))
    df = df.with_columns(
        (
            pl.col("desc_seen")
            - pl.when(pl.col("start")).then(pl.col("desc_seen")).otherwise(None).forward_fill()
        ).alias("after_desc")
    )
    in_desc = (
        (pl.col("after_desc") > 0)
        & (pl.col("key") != "description").fill_null(True)
        & ~pl.col("start")
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
    desc_first = df.filter(pl.col("key") == "description").select(
        "rec", pl.col("value").alias("desc0")
    )
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
    # ISO dates carry 7 fraction digits in wevtutil; polars' %.f takes up to 9. A culture that
    # writes its morning/afternoon mark before the time (ko-KR 'tt h:mm:ss': 오후 3:12:53) has it
    # moved after the time as AM/PM (catalog/eventlog.toml [[day_period]]).
    w = _words()
    marks = "|".join(re.escape(x) for x in sorted(w.am + w.pm, key=len, reverse=True))
    body = parts["body"]
    for mark_set, ampm in ((w.am, "AM"), (w.pm, "PM")):
        alt = "|".join(re.escape(x) for x in mark_set)
        body = body.str.replace(
            rf"(?:{alt})[ \t]*([0-9]{{1,2}}:[0-9]{{2}}:[0-9]{{2}})(?:[ \t]*(?:{marks}))?$",
            f"${{1}} {ampm}",
        )
    body = body.str.replace(
        r"^([0-9]{4}-[0-9]{2}-[0-9]{2}) ([0-9:.]+)$", "${1}T${2}"
    ).str.replace_all(r"\s+", " ")
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
            elif layout == "powershell_list":
                frame = _read_powershell_list(text)
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
