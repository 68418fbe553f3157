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

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_scan_core import _same_parts  # the scanning core's own part-by-part comparison

from hbtriage.catalog import load_catalog
from hbtriage.sources import _lines as L
from hbtriage.sources import _scan, _scan_generic
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
    anchor = L.file_time(path)
    last = records.filter(pl.col("_m").is_not_null()).tail(1)
    year_last = anchor.year
    if last.height and L.after_file_time(anchor, int(last["_m"][0]), last["day"][0]):
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


# -- the compiled core on the ISO and syslog layouts ----------------------------------------


core = pytest.mark.usefixtures("core_loads")  # fails, never skips, without numba


@core
def test_kernel_levels_are_the_readers() -> None:
    from hbtriage.sources import _scan_kernels

    assert "|".join(_scan_kernels._LEVEL_NAMES) == G._LEVELS


@core
def test_kernels_claim_the_usual_layouts_only() -> None:
    k = _scan.kernels()
    assert k is not None
    lines = [
        b"2024-05-01T12:00:00.123Z [WARN] text",
        b"[2024-05-01 12:00:00,5 +01:00] - ERROR: x",
        b"2024-05-01T12:00:00 +01:00x",  # the zone given back to the message: general path
        b"2024-02-30T12:00:00Z no such day",  # general path
        b"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure",
        b"<34>Jun  4 15:16:01 combo kernel: x",
        b"Jun 14 15:16:01 h a b: c",
        b"Jun 14 24:00:00 h app: hour 24",  # general path
    ]
    buf = np.frombuffer(b"\n".join(lines) + b"\n", dtype=np.uint8)
    starts, ends = k.split_lines(buf, True)
    hit, ts, hlen = k.iso(buf, starts, ends)[:3]
    assert hit.tolist() == [1, 1, 0, 0, 0, 0, 0, 0]
    assert ts[1] == np.datetime64("2024-05-01T12:00:00.5", "ns").astype(np.int64)
    assert hlen[1] == len(b"[2024-05-01 12:00:00,5 +01:00] - ERROR: ")
    hit, hlen, mon, day, tod, pri = k.syslog(buf, starts, ends)[:6]
    assert hit.tolist() == [0, 0, 0, 0, 1, 1, 1, 0]
    assert hlen[4] == len(b"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: ")
    assert hlen[6] == len(b"Jun 14 15:16:01 h ")  # "a b:" is no program
    assert (mon[5], day[5], pri[5]) == (6, 4, 34)


def _heads_used(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the lines the core converted for the generic reader."""
    used: list[int] = []
    for family, real in list(_scan_generic.HEADS.items()):

        def spy(*args: Any, _real: Any = real) -> Any:
            out = _real(*args)
            used.append(int(out[0].sum()))
            return out

        monkeypatch.setitem(_scan_generic.HEADS, family, spy)
    return used


def _sparse_is_polars(path: Path, chunk: int) -> None:
    """Read with the core and digests deferred: the polars path's records, host, stream,
    zone and warnings, and (later) its digests; or both ways fail alike."""
    full = _outcome(G.READER.read, path, _options(False, chunk_bytes=chunk))
    sparse = _outcome(G.READER.read, path, _options(True, chunk_bytes=chunk, defer_digests=True))
    if isinstance(full, str) or isinstance(sparse, str):
        assert full == sparse
        return
    if sparse.digests is None:  # the family has no kernel: nothing deferred
        _same(sparse, full)
        return
    assert "digest" not in sparse.events.columns
    _same(sparse, full, digests=False)
    assert sparse.digests().equals(full.events.select("line", "digest"))


@core
@_generated
def test_core_equals_polars_on_generated_logs(
    tmp_path: Path, data: st.DataObject, which: str, crlf: bool, chunk: int, year: int
) -> None:
    """Core on and off, messages all kept or slimmed, digests now or later: the same."""
    signal = st.builds(lambda a, b: a + b, _LINES[which], st.sampled_from(_SIGNAL))
    lines = data.draw(st.lists(st.one_of(_LINES[which], signal), min_size=1, max_size=50))
    path = _write(tmp_path / f"gen-{which}.log", lines, crlf, year)
    for keep in (None, load_catalog().keep_patterns()):
        off = dataclasses.replace(_options(False, chunk_bytes=chunk), keep=keep)
        on = dataclasses.replace(off, compiled=True)
        _same(_outcome(G.READER.read, path, on), _outcome(G.READER.read, path, off))
    _sparse_is_polars(path, chunk)


#: Per layout: a usual line with no word any signature looks for.
_PLAIN = {
    "iso": "2024-05-01T12:{0:02d}:{1:02d}.{1:03d}Z INFO call {1} routed",
    "syslog": "Jun 14 15:{0:02d}:{1:02d} combo app[{1}]: call {1} routed",
}


@core
@_generated
def test_sparse_pieces_with_few_lines_to_split_equal_the_polars_path(
    tmp_path: Path, data: st.DataObject, which: str, crlf: bool, chunk: int, year: int
) -> None:
    """Most lines plain (converted by the core, nothing to keep): only the few lines whose
    text something reads are split; the records are the polars path's."""
    plain = st.builds(_PLAIN[which].format, st.integers(0, 59), st.integers(0, 59))
    signal = st.builds(lambda a, b: a + b, _LINES[which], st.sampled_from(_SIGNAL))
    odd = st.sampled_from(["", "  continued", "\t", "not a record", "\u00e9t\u00e9"])
    one = st.one_of(*([plain] * 12), signal, odd, _LINES[which])
    lines = data.draw(st.lists(one, min_size=30, max_size=120))
    path = _write(tmp_path / f"few-{which}.log", lines, crlf, year)
    _sparse_is_polars(path, chunk)


@core
@settings(max_examples=60, deadline=None)
@given(data=st.data(), which=st.sampled_from(list(_LINES)), sparse=st.booleans())
def test_parts_stitch_to_the_one_part_scan(data: st.DataObject, which: str, sparse: bool) -> None:
    """Cut anywhere (moved to a line end) and scanned part by part: every array of the scan,
    interned ids included, and the line frame are the one-part scan's (LF or CRLF, a BOM or
    not, the last line ended or not)."""
    crlf, bom = data.draw(st.booleans()), data.draw(st.booleans())
    end = data.draw(st.sampled_from(["\n", "", "\r"]))
    lines = data.draw(st.lists(_LINES[which], min_size=1, max_size=60))
    raw = (b"\xef\xbb\xbf" if bom else b"") + (("\r\n" if crlf else "\n").join(lines) + end).encode(
        "utf-8"
    )
    cuts = data.draw(st.lists(st.integers(-2, len(raw) + 2), max_size=6))
    keep = _options(True).keep_of("generic_log")
    assert keep is not None
    ask = _scan.Ask(which, _scan.literal_table(keep.literals), sparse)
    first = data.draw(st.booleans())
    whole = _scan.scan_parts(raw, first, ask, cuts=[])
    _same_parts(_scan.scan_parts(raw, first, ask, cuts=cuts), whole)
    frames = [got and got[0] for got in (_scan.scan(raw, first, ask, cuts=c) for c in ([], cuts))]
    assert frames[0] is None if frames[1] is None else frames[1].equals(frames[0])


@core
@pytest.mark.parametrize("chunk", [None, 4096])
def test_linux_syslog_with_the_core_sparse_and_cut(
    chunk: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real RFC 3164 log: core on (pieces cut into parts, digests deferred) = core off."""
    path = tmp_path / "Linux_2k.log"
    shutil.copyfile(FIX / "loghub" / "Linux_2k.log", path)
    os.utime(path, (dt.datetime(2005, 8, 1).timestamp(),) * 2)
    used = _heads_used(monkeypatch)
    monkeypatch.setattr(_scan, "SPLIT_MIN_BYTES", 4096)
    monkeypatch.setattr(_scan, "cores", lambda: 4)
    _sparse_is_polars(path, chunk or (16 << 20))
    assert sum(used) > 1900


def _bundle(root: Path) -> Path:
    """A bundle: a simulator scenario plus a large RFC 3164 syslog and an ISO log of the same
    hours, both with heartbeat and VRU link trouble in them."""
    from hbtriage.simulate.scenarios import generate

    generate("dpc_storm_cvp", root, seed=5)
    base = dt.datetime(2013, 3, 30, 0, 0, 0)
    hosts = ["pg1a", "pg1b", "cvp1"]
    progs = ["sshd[811]", "kernel", "pim1[2231]", "CRON[99]", "app v2.1"]
    syslog, iso = [], []
    for i in range(60_000):
        t = base + dt.timedelta(milliseconds=1370 * i)
        host, prog = hosts[i % 3], progs[i % 5]
        msg = f"session {i} ok"
        if i % 997 == 0:
            msg = "VRU heartbeat timed out after 2 intervals"
        elif i % 1499 == 0:
            msg = "TCP connection to VRU has been broken."
        elif i % 2003 == 0:
            msg = "Error receiving data from VRU."
        syslog.append(f"{t:%b} {t.day:2d} {t:%H:%M:%S} {host} {prog}: {msg}")
        if i % 2003 == 0:
            syslog.append("\tLast API Error [10054]: An existing connection was forcibly closed")
        if i % 4 == 0:
            level = ("INFO", "[WARN]", "ERROR", "DEBUG")[i // 4 % 4]
            iso.append(f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}-05:00 {level} {msg}")
    (root / "messages").write_text("\n".join(syslog) + "\n", encoding="utf-8")
    (root / "probe.log").write_text("\n".join(iso) + "\n", encoding="utf-8")
    for name in ("messages", "probe.log"):
        os.utime(root / name, (dt.datetime(2013, 4, 2).timestamp(),) * 2)
    return root


@core
def test_analyze_findings_identical_with_the_core_on_and_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hbtriage.api import analyze
    from hbtriage.report.json_out import to_json

    bundle = _bundle(tmp_path / "b")
    options = dataclasses.replace(load_catalog().read_options(), chunk_bytes=256 * 1024)
    used = _heads_used(monkeypatch)
    monkeypatch.setattr(_scan, "SPLIT_MIN_BYTES", 64 * 1024)
    monkeypatch.setenv(_scan.ENV, "0")
    off = to_json(analyze([bundle], read_options=options))
    assert not used
    monkeypatch.setenv(_scan.ENV, "1")
    on = to_json(analyze([bundle], read_options=options))
    assert sum(used) >= 75_000
    assert on == off
    assert "vru_heartbeat_timeout" in on
    # The command as a user runs it (one piece a file): the same findings.json byte for byte.
    from typer.testing import CliRunner

    from hbtriage.cli import app

    written, converted = [], 0
    for flag in ("0", "1"):
        monkeypatch.setenv(_scan.ENV, flag)
        out = tmp_path / f"out{flag}"
        res = CliRunner().invoke(app, ["analyze", str(bundle), "--out", str(out), "--quiet"])
        assert res.exit_code == 0, res.output
        written.append((out / "findings.json").read_bytes())
        converted = sum(used)
    assert written[0] == written[1]
    assert converted >= 2 * 75_000  # the second run read with the core


@core
def test_rotated_syslog_copies_merge_alike_with_digests_given_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two overlapping copies of one syslog: read sparse (digests deferred, asked for by the
    timeline) they merge as when every digest is read at once."""
    from hbtriage.api import analyze
    from hbtriage.report.json_out import to_json

    root = tmp_path / "b"
    root.mkdir()
    base = dt.datetime(2013, 3, 30, 1, 0, 0)
    lines = []
    for i in range(3000):
        t = base + dt.timedelta(seconds=7 * i)
        msg = "VRU heartbeat timed out after 2 intervals" if i % 150 == 0 else f"tick {i}"
        lines.append(f"{t:%b} {t.day:2d} {t:%H:%M:%S} pg1a pim1[7]: {msg}")
    (root / "messages.1").write_text("\n".join(lines[:2000]) + "\n", encoding="utf-8")
    (root / "messages").write_text("\n".join(lines[1000:]) + "\n", encoding="utf-8")
    for name in ("messages", "messages.1"):
        os.utime(root / name, (dt.datetime(2013, 4, 1).timestamp(),) * 2)
    pieces = {"chunk_bytes": 8192}
    monkeypatch.delenv(_scan.ENV, raising=False)
    off = to_json(analyze([root], read_options=_options(False, **pieces)))
    used = _heads_used(monkeypatch)
    on = to_json(analyze([root], read_options=_options(True, **pieces)))
    assert sum(used) == 2 * 4000  # each copy read again for its digests: they overlap
    assert on == off
