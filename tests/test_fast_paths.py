"""The log readers' fast paths give exactly what the general code gives.

* :func:`_lines.line_chunks` (lines split by polars straight from the bytes) equals decoding the
  piece and :func:`_lines.line_frame`, for awkward bytes too (CRLF, lone CR, blank lines, BOM,
  0x1F, invalid UTF-8, cp1252);
* each large-file reader gives the same result with its fixed-layout fast path as with the full
  header regex alone, on the reference logs and on lines built to sit at the edge of the fast
  layouts (bad times, leap seconds, wrapped headers, bad date lines);
* the ``lean`` assembly (message text joined only for records a signature prefilter lets
  through) keeps exactly the records, times, fields and signature messages of the full one;
* the fast path taken by the compiled scanning core (:mod:`hbtriage.sources._scan`, forced on
  for every file size) equals the full regex too: every fast-path test runs with it off and on.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl
import pytest

from hbtriage.catalog import load_catalog
from hbtriage.sources import _lines as L
from hbtriage.sources import cvp_log, icm_dumplog
from hbtriage.sources.base import InputFile
from hbtriage.sources.encoding import decode
from hbtriage.sources.options import ReadOptions

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"a\nb\r\n\nc", "utf-8"),
        (b"a\r\n\r\nb\n", "utf-8"),
        (b"a\rb\nc\r", "utf-8"),
        (b"\n\na\n\n", "utf-8"),
        (b"\xef\xbb\xbfa\nb\n", "utf-8"),
        (b"\xef\xbb\xbfa\nb\n", "utf-8-sig"),
        (b"x\x00y\n\tz\n  \n", "ascii"),
        (b"a\x1fb\nc\n", "utf-8"),
        ("caf\u00e9 \u65e5\u672c\n".encode(), "utf-8"),
        (b"bad \xff\xfe byte\nok\n", "utf-8"),
        (b"caf\xe9\nok\n", "cp1252"),
        (b"plain\nascii\n", "cp1252"),
        (b"plain \\ ~\nascii\n", "cp932"),
        ("\u65e5\u672c \\ \uff71\nok\n".encode("cp932"), "cp932"),
        (b"a\r\r\nb", "utf-8"),
    ],
)
def test_line_chunks_equal_line_frame(tmp_path: Path, data: bytes, encoding: str) -> None:
    path = tmp_path / "x.log"
    path.write_bytes(data)
    got = list(L.line_chunks(str(path), encoding, None))
    assert len(got) == 1
    frame, unterminated, before, last = got[0]
    text = decode(data, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    want, want_unterminated = L.line_frame(text)
    assert frame.equals(want)
    assert (unterminated, before, last) == (want_unterminated, 0, True)


def test_line_chunks_number_lines_across_pieces(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    lines = [f"12:00:{i % 60:02d} line {i}" for i in range(3000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen: list[str] = []
    for frame, _unterminated, before, _last in L.line_chunks(
        str(path), "utf-8", r"[0-9]{2}:[0-9]{2}:[0-9]{2} ", ReadOptions(chunk_bytes=4096)
    ):
        assert frame["line"][0] == 1
        assert before == len(seen)
        seen += frame["text"].to_list()
    assert seen == lines


_NEVER = "^\x00\x01never"


def _read(  # type: ignore[no-untyped-def]
    module,
    path: Path,
    *,
    fast: bool,
    lean: bool,
    monkeypatch: pytest.MonkeyPatch,
    core: bool = False,
):
    """The reader's result on ``path`` with its fixed-layout fast path on or off, and with
    the signature-slimmed ``lean`` assembly on or off (message text slimmed either way);
    ``core``: the fast path's lines converted by the compiled core, whatever the file's size."""
    options = dataclasses.replace(
        load_catalog().read_options(),
        fast_paths=fast,
        lean=lean,
        chunk_bytes=16 * 1024,
        compiled=core,
        compiled_min_bytes=0,
    )
    item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
    return module.READER.read(item, "utf-8", options)


def _same(a, b, *, digest: bool = True) -> None:  # type: ignore[no-untyped-def]
    ea, eb = a.events, b.events
    if not digest:
        ea, eb = ea.drop("digest"), eb.drop("digest")
    assert ea.equals(eb)
    assert (a.host, a.stream, a.zone, a.warnings) == (b.host, b.stream, b.zone, b.warnings)


_REFERENCE_LOGS = [
    (cvp_log, REFERENCE / "CVP1" / "CVP.2013-03-30.log"),
    (cvp_log, REFERENCE / "CVP1" / "Error.2013-03-30.log"),
    (icm_dumplog, REFERENCE / "PG1A" / "pim1.txt"),
]


@pytest.mark.parametrize("core", [False, True], ids=["polars", "compiled"])
@pytest.mark.parametrize(("module", "path"), _REFERENCE_LOGS)
def test_fast_layout_equals_full_regex_on_reference(  # type: ignore[no-untyped-def]
    module, path: Path, core: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for lean in (True, False):
        fast = _read(module, path, fast=True, lean=lean, monkeypatch=monkeypatch, core=core)
        full = _read(module, path, fast=False, lean=lean, monkeypatch=monkeypatch)
        assert fast.events.height >= 5
        _same(fast, full)


@pytest.mark.parametrize(("module", "path"), _REFERENCE_LOGS)
def test_lean_assembly_keeps_the_same_records_and_messages(  # type: ignore[no-untyped-def]
    module, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lean = _read(module, path, fast=True, lean=True, monkeypatch=monkeypatch)
    full = _read(module, path, fast=True, lean=False, monkeypatch=monkeypatch)
    _same(lean, full, digest=False)
    kept = lean.events.filter(pl.col("message").is_not_null())
    assert 0 < kept.height < lean.events.height  # the signature lines keep their text
    # Equal messages get equal digests in both modes (what the merge of rotated files needs).
    for ev in (lean.events, full.events):
        per = ev.group_by("message").agg(pl.col("digest").n_unique()).drop_nulls("message")
        assert per["digest"].max() == 1


_CVP_EDGE = [
    "Mar 30 2013 19:36:46.105 -0500: %CVP_8_5_ICM-1-CALL: text here",
    "Mar 30 2013 19:36:46.105 -0500: %CVP_8_5_ICM-1-CALL:",
    "Mar 30 2013 19:36:46.105 -0500: %CVP_8_5_ICM-1-CALL:  two spaces",
    "Mar 30 2013 19:36:46.105 -0500: %CVP_8_5_ICM-1-CALL:no space",
    "Mar  5 2013 19:36:46.105 -0500: %CVP-7-X: day padded",
    "Mar 5 2013 19:36:46.105 -0500: %CVP-7-X: one digit day",
    "Mar 30 2013 9:36:46.105 -0500: %CVP-7-X: one digit hour",
    "Mar 30 2013 19:36:46.1 -0500: %CVP-7-X: short fraction",
    "Mar 30 2013 19:36:46.105 -05:00: %CVP-7-X: colon zone",
    "Mar 30 2013 19:36:46.105: %CVP-7-X: no zone",
    "Mar 30 2013 19:36:46.105 -0500: no header",
    "12: 192.0.2.10: Mar 30 2013 19:36:46.105 -0500: %CVP-7-X: prefixed",
    "12345: 192.0.2.10: Mar 30 2013 19:36:47.105 -0500: %CVP_8_5_ICM-1-LOGMSG_ICM_SS_STATE: "
    "Shutting down VRU PIM connection",
    "7: cvp1.example.com: Mar  3 2013 19:36:48.105 -0500: %CVP-7-X:no space",
    "8: [2001:db8::1]: Mar 30 2013 19:36:49.105 -0500: %CVP-7-X: IPv6 sender",
    "<13>9: 192.0.2.10: Mar 30 2013 19:36:49.105 -0500: %CVP-7-X: syslog priority",
    "10: 192.0.2.10: *Mar 30 2013 19:36:49.105 -0500: %CVP-7-X: unsynchronised clock",
    "11: 192.0.2.10: Mar 30 2013 19:36:49.105 -0500:",
    "2813: 192.0.2\ufffd10: Mar 30 2013 19:36:57.340 -0500: %CVP-3-X: sender not ASCII",
    "2814: cvp-\u00fc: Mar 30 2013 19:36:57.341 -0500: %CVP-3-X: sender not ASCII",
    "2815: 192.0.2.10: Mar 30 2013 19:36:57.342 -0500: %CVP-3-X: caf\u00e9 after the header",
    "Mar 30 2013 25:99:99.105 -0500: %CVP-7-X: bad time",
    "Mar 30 2013 24:00:00.000 -0500: %CVP-7-X: hour 24",
    "Mar 30 2013 23:59:60.000 -0500: %CVP-7-X: leap second",
    "Feb 29 2013 10:00:00.000 -0500: %CVP-7-X: no such day",
    "Feb 29 2012 10:00:00.000 -0500: %CVP-7-X: leap day",
    "Mar 30 2013 19:36:46.105 +0930: %CVP_8_5_ICM-1-LOGMSG_ICM_SS_STATE: Shutting down VRU PIM connection",
    "Mar 30 2013 19:36:46.105 -0500:",
    "%CVP_10_5_ICM-6-LOGMSG_ICM_SS_GENERAL_INFO: Missed 2 VRU PIM heartbeats wrapped",
    "\tcontinuation: Mar 30 2013",
    "",
]
_DUMP_EDGE = [
    "Events from March 30, 2013",
    "19:36:35:105 pg1A-pim1 Trace: VRU heartbeat sent",
    "19:36:35:105 pg1A-pim1 Trace:no space",
    "19:36:35:105 pg1A-pim1 Trace:",
    "19:36:35:105 pg1A-pim1 TraceX",
    "19:36:35:105 pg1A-pim1",
    "19:36:35:105 pg1A-pim1 ",
    "19:36:35.105 a-b-c message",
    "19:36:35:105 a-b- message",
    "19:36:35:105 nohyphen message",
    "19:36:35:105 pg1A-pim1\tTrace: tab",
    "9:36:35:105 pg1A-pim1 one digit hour",
    "19:36:35 pg1A-pim1 no ms",
    "19:36:35:1 pg1A-pim1 short ms",
    "19:36:35:105 n\u00f6de-pim1 not ascii",
    "\tLast API Error [10054]",
    "23:59:60:000 pg1A-pim1 leap second",
    "24:00:00:000 pg1A-pim1 hour 24",
    "19:36:57:328 pg1A-pim1 Error receiving data from VRU.",
    "\tLast API Error [10054]: connection reset",
    "Events from February 30, 2013",
    "Events from March 30, 0013",
    "02:00:00:000 pg1A-pim1 after a date no time stamp can hold",
    "01:00:00:000 pg1A-pim1 after a bad date line",
]


@pytest.mark.parametrize("core", [False, True], ids=["polars", "compiled"])
@pytest.mark.parametrize(("module", "lines"), [(cvp_log, _CVP_EDGE), (icm_dumplog, _DUMP_EDGE)])
def test_fast_layout_equals_full_regex_on_edges(  # type: ignore[no-untyped-def]
    module, lines: list[str], core: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "edge.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for lean in (True, False):
        fast = _read(module, path, fast=True, lean=lean, monkeypatch=monkeypatch, core=core)
        full = _read(module, path, fast=False, lean=lean, monkeypatch=monkeypatch)
        _same(fast, full)
    lean_r = _read(module, path, fast=True, lean=True, monkeypatch=monkeypatch, core=core)
    full_r = _read(module, path, fast=True, lean=False, monkeypatch=monkeypatch, core=core)
    _same(lean_r, full_r, digest=False)


@pytest.mark.parametrize("core", [False, True], ids=["polars", "compiled"])
def test_prefixed_cvp_log_one_sender_equals_full_regex(
    core: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every record behind the same "sequence: sender: " prefix (one comparison checks the
    sender), and the same file with a second sender in the middle (each line's own sender)."""
    body = (REFERENCE / "CVP1" / "CVP.2013-03-30.log").read_text(encoding="utf-8").splitlines()
    for senders in (["192.0.2.10"], ["192.0.2.10", "cvp1b.example.com"]):
        out = []
        for i, line in enumerate(body):
            if line[:3] in ("Jan", "Feb", "Mar", "Apr", "Nov", "Dec"):
                line = f"{i}: {senders[i % len(senders)]}: {line}"
            out.append(line)
        path = tmp_path / "CVP.2013-03-30.log"
        path.write_text("\n".join(out) + "\n", encoding="utf-8")
        fast = _read(cvp_log, path, fast=True, lean=True, monkeypatch=monkeypatch, core=core)
        full = _read(cvp_log, path, fast=False, lean=True, monkeypatch=monkeypatch)
        _same(fast, full)
        assert sorted(fast.events["node"].unique().cast(pl.Utf8).to_list()) == sorted(senders)
