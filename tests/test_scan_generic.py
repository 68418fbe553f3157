"""The generic reader on typed heads, and the compiled core's ISO 8601 and RFC 3164 kernels.

* the reader gives what it gave before it moved onto ``split_heads``/``assemble_heads`` (the
  pre-move reader is kept here as :func:`_reference_read`): the same events (digests aside:
  they are now the other big readers' line-hash sums), warnings, host, zone, stream, extra;
* with the core on, ISO and syslog logs give the polars path's results, on generated lines
  around the layouts' edges, cut into pieces anywhere, with sparse pieces and digests given
  later, and on the real fixtures;
* ``analyze`` writes the same findings with ``HBTRIAGE_COMPILED`` 0 and 1.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.catalog import load_catalog
from hbtriage.sources import _lines as L
from hbtriage.sources import generic_log as G
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.options import DEFAULT, ReadOptions

FIX = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "loghub"
_FILES = [
    FIX / "loghub" / "Linux_2k.log",
    FIX / "loghub" / "Windows_2k.log",
    FIX / "loghub" / "Zookeeper_2k.log",
    FIX / "generic_log" / "probe.log",
    FIX / "generic_log" / "rfc5424.log",
    *sorted(SHARED.glob("*.log")),
]


# -- the reader as it was before it moved onto typed heads --------------------------------


def _old_timestamps(records: pl.DataFrame, family: str, path: str) -> tuple[pl.DataFrame, str]:
    frac = pl.col("frac") if "frac" in records.columns else None
    zone = (
        L.offset_minutes(pl.col("zone").str.strip_chars())
        if "zone" in records.columns
        else pl.lit(None, pl.Int32)
    )
    if family != "syslog":
        ts = L.make_ts(pl.col("date"), pl.col("hms"), frac)
        return records.with_columns(ts.alias("ts_local"), zone.alias("offset_min")), ""
    anchor = G._mtime(path)
    last = records.filter(pl.col("_m").is_not_null()).tail(1)
    year_last = anchor.year
    if last.height and G._after(anchor, int(last["_m"][0]), last["day"][0]):
        year_last -= 1
    last_idx = int(last["_y"][0]) if last.height else 0
    year = (pl.lit(year_last - last_idx) + pl.col("_y")).cast(pl.Utf8)
    date = L.iso_date(year, pl.col("_m").cast(pl.Utf8).str.zfill(2), pl.col("day"))
    records = records.with_columns(
        L.make_ts(date, pl.col("hms")).alias("ts_local"), zone.alias("offset_min")
    )
    first_year = year_last - last_idx
    span = str(first_year) if last_idx == 0 else f"{first_year}-{year_last}"
    note = f"syslog time stamps carry no year; assumed {span} from the file's modified time"
    return records, note


def _reference_read(item: InputFile, enc: str, options: ReadOptions = DEFAULT) -> ReadResult:
    """``GenericLogReader.read`` before the move (regex on every line, ``L.assemble``)."""
    first_piece, _, _, _ = next(L.line_chunks(item.path, enc, None, options))
    lines, _ = L.long_line_warnings(first_piece)
    nonblank = lines["text"].head(20 * L.SNIFF_LINES).str.slice(0, 4096)
    fam, _share = G._choose(nonblank.filter(nonblank.str.strip_chars() != "").head(L.SNIFF_LINES))
    if fam is None:
        raise L.no_records(
            item.display, lines, "lines starting with a time stamp (ISO 8601, syslog, CBS, log4j)"
        )
    first_seen = L.first_text(lines)
    time_items: list[tuple[int, str]] = []
    pieces: list[pl.DataFrame] = []
    zones: list[str] = []
    month = G._Months() if fam.name == "syslog" else None
    walk = L.Pieces(item.path, enc, G._py(fam.pattern), options)
    for lines in walk.lines():
        parts = L.extract(lines, fam.pattern)
        fields = [c for c in parts.columns if c not in ("line", "text", "msg", "is_start")]
        records, n_orphans = L.assemble(parts, fields=fields)
        walk.done(parts, n_orphans, records.height)
        if "zone" in records.columns:
            for z in records["zone"].drop_nulls().str.strip_chars().unique(maintain_order=True):
                if z not in zones:
                    zones.append(z)
        records = records.with_columns(
            G._severity(fam.name).alias("severity"),
            G._component(fam.name).alias("component"),
            (
                pl.when(pl.col("node") != "-").then(pl.col("node"))
                if "node" in records.columns
                else pl.lit(None, pl.Utf8)
            ).alias("node"),
        )
        if month is not None:
            records = records.with_columns(L.month_number(pl.col("mon")).cast(pl.Int32).alias("_m"))
            pieces.append(L.slim(month.mark(records), "generic_log", options))
            continue
        records, _ = _old_timestamps(records, fam.name, item.path)
        time_items += L.bad_time_items(records, "time stamp")
        records = records.filter(pl.col("ts_local").is_not_null())
        pieces.append(L.slim(L.to_events(records), "generic_log", options))
    if walk.records == 0:
        raise L.no_records(item.display, first_seen, f"a {fam.name} log record")
    records = pl.concat(pieces, how="diagonal_relaxed") if len(pieces) > 1 else pieces[0]
    items = walk.long_items
    if month is not None:
        records, year_note = _old_timestamps(records, "syslog", item.path)
        items = [(0, year_note), *items]
        time_items = L.bad_time_items(records, "time stamp")
        records = L.to_events(records.filter(pl.col("ts_local").is_not_null()))
    items = walk.preamble() + items + time_items + walk.tail_items
    host = L.most_frequent(records["node"])
    return ReadResult(
        kind="generic_log",
        encoding=enc,
        host=host,
        host_reason="syslog host name" if host else "",
        zone=zones[0] if len(zones) == 1 else None,
        stream=G._stream(fam.name, item.display),
        events=records,
        warnings=L.cap_warnings(item.display, items),
        extra={"format": fam.name},
    )


def _options(core: bool, **more: Any) -> ReadOptions:
    return dataclasses.replace(
        load_catalog().read_options(), compiled=core, compiled_min_bytes=0, **more
    )


def _item(path: Path) -> InputFile:
    return InputFile(display=path.name, path=str(path), size=path.stat().st_size)


def _outcome(read: Any, path: Path, options: ReadOptions) -> Any:
    try:
        return read(_item(path), "utf-8", options)
    except Exception as exc:  # noqa: BLE001 - both ways must fail alike
        return repr(exc)


def _same(a: Any, b: Any, *, digests: bool = True) -> None:
    """Two outcomes of a read are the same (``digests``: the digest columns too)."""
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    ea, eb = a.events, b.events
    if not digests:
        ea, eb = ea.drop("digest", strict=False), eb.drop("digest", strict=False)
    assert ea.schema == eb.schema
    assert ea.equals(eb), (ea, eb)
    assert (a.host, a.host_reason, a.zone, a.stream, a.warnings, a.extra) == (
        b.host,
        b.host_reason,
        b.zone,
        b.stream,
        b.warnings,
        b.extra,
    )


def _like_before(path: Path, chunk: int | None = None) -> None:
    """The reader (core off and on) gives the pre-move reader's results, messages kept or
    slimmed, in one piece or in pieces of ``chunk`` bytes."""
    more = {} if chunk is None else {"chunk_bytes": chunk}
    for keep in (None, load_catalog().keep_patterns()):
        off = _options(False, **more)
        off = dataclasses.replace(off, keep=keep)
        want = _outcome(_reference_read, path, off)
        _same(_outcome(G.READER.read, path, off), want, digests=keep is None)
        on = dataclasses.replace(off, compiled=True)
        _same(_outcome(G.READER.read, path, on), want, digests=keep is None)


@pytest.mark.parametrize("path", _FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("chunk", [None, 4096])
def test_fixtures_read_as_before(path: Path, chunk: int | None, tmp_path: Path) -> None:
    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    os.utime(copy, (dt.datetime(2005, 8, 1).timestamp(),) * 2)
    _like_before(copy, chunk)


# -- generated logs around the layouts' edges -----------------------------------------------

#: ISO 8601 fields: (usual values, values at the layout's edges), one in eight drawn from the
#: second list, so most lines are in the usual layout and each edge is met alone.
_ISO: list[tuple[list[str], list[str]]] = [
    ([""], ["["]),
    (["2024-05-01", "2024-02-29"], ["2023-02-29", "2024-13-01", "2024-04-31", "2024-00-10",
      "1969-12-31", "2200-12-31", "2201-01-01", "2024-5-01", "20240501"]),
    (["T", " "], ["t", "  ", "_"]),
    (["12:00:00", "23:59:59", "00:00:07"], ["24:00:00", "23:60:00", "23:59:60", "1:00:00"]),
    ([".123", ",125", ""], [".5", ".123456789", ".1234567890", ".", ",", ",12345"]),
    (["Z", "+09:00", ""], ["-0500", " +01:00", " -0130", "+01:0", "+1", "z", "+99:99", " Z"]),
    ([""], ["]"]),
    ([" "], ["  ", "\t", " - ", " | ", ": ", ",", " -", "", "-x", " ,  ", ";", " \t: "]),
    (["INFO ", "[WARN] ", "ERROR "], ["", "WARNING: ", "ERROR:", "[ERR]", "FINER ", "FINE\t",
      "CRITICAL", "WARN]x", "Info ", "INFOX ", "[DEBUG]: ", "WARN:x", "TRACE]  ", "ALERT"]),
    (["probe started", "heartbeat late by 2.1 s", "link to 192.0.2.10 down"],
     ["", "caf\u00e9 \u2615", " ", "[x] y", "ERROR twice", "\u00a0nbsp"]),
]  # fmt: skip
#: RFC 3164 fields, the same way.
_SYSLOG: list[tuple[list[str], list[str]]] = [
    ([""], ["<34>", "<0>", "<191>", "<1234>", "<x>", "<>", "<007>"]),
    (["Jun", "Dec", "Feb"], ["Jan", "jun", "JUN", "Xyz", "Ju"]),
    ([" 14", "  1", " 29"], [" 1", " 01", " 30", " 31", " 00", " 123", "1", "   7"]),
    ([" "], ["  ", ""]),
    (["15:16:01", "00:00:00", "23:59:59"], ["24:00:00", "23:59:60", "9:16:01", "12:60:00"]),
    ([" "], ["  ", "\t"]),
    (["combo", "pg1a-host", "192.0.2.10"], ["-", "h\u00f6st", "a:b", "host\t", "x" * 70]),
    ([" "], ["  ", "", "\t"]),
    (["sshd(pam_unix)[19939]: ", "kernel: ", "su(pam_unix)[1]: "],
     ["app v1.2.3: ", "app 1.2: ", "app v: ", "app[abc]: ", "app[12] ", "pr\u00f6g[1]: ",
      "ftpd[x]", "", ": ", "[1]: ", "logrotate:", "a b: ", "app[]: ", "app[1]:x", "a\x01b: ",
      "app\t: ", "ftpd[2]:  "]),
    (["authentication failure; heartbeat", "check pass; user unknown", "link path down"],
     ["", "caf\u00e9", "x: y", " ", "restart."]),
]  # fmt: skip
_ICONT = ["\tat com.example.Worker.run(Worker.java:42)", "", "   ", "  detail: heartbeat lost",
          "Caused by: java.io.IOException", "\u30cf\u30fc\u30c8\u30d3\u30fc\u30c8", "\t"]  # fmt: skip
_SCONT = ["", " ", "  continued line", "\tmore", "last message repeated 3 times"]


def _layout(fields: list[tuple[list[str], list[str]]], cont: list[str]) -> Any:
    @st.composite
    def line(draw: st.DrawFn) -> str:
        if draw(st.integers(0, 6)) == 0:
            return draw(st.sampled_from(cont))
        out = []
        for usual, edge in fields:
            out.append(draw(st.sampled_from(edge if draw(st.integers(0, 7)) == 0 else usual)))
        return "".join(out)

    return line()


_LINES = {"iso": _layout(_ISO, _ICONT), "syslog": _layout(_SYSLOG, _SCONT)}
#: Lines of either layout that hold a word a signature looks for.
_SIGNAL = [" heartbeat link path", " Shutting down", " caf\u00e9 started", " ok"]


def _generated(test: Any) -> Any:
    """Hypothesis over generated logs: which layout, CRLF or LF, piece size, the year the
    file was last modified (leap or not: Feb 29 of syslog lines)."""
    drawn = given(
        data=st.data(),
        which=st.sampled_from(list(_LINES)),
        crlf=st.booleans(),
        chunk=st.integers(64, 4096),
        year=st.sampled_from([2024, 2023, 2100]),
    )(test)
    return settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )(drawn)


def _write(path: Path, lines: list[str], crlf: bool, year: int) -> Path:
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode("utf-8") + b"\n")
    os.utime(path, (dt.datetime(year, 7, 1).timestamp(),) * 2)
    return path


@_generated
def test_generated_logs_read_as_before(
    tmp_path: Path, data: st.DataObject, which: str, crlf: bool, chunk: int, year: int
) -> None:
    lines = data.draw(st.lists(_LINES[which], min_size=1, max_size=40))
    path = _write(tmp_path / f"gen-{which}.log", lines, crlf, year)
    for keep in (None, load_catalog().keep_patterns()):
        off = dataclasses.replace(_options(False, chunk_bytes=chunk), keep=keep)
        want = _outcome(_reference_read, path, off)
        _same(_outcome(G.READER.read, path, off), want, digests=keep is None)
