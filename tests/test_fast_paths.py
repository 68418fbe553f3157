"""The log readers' fast paths give exactly what the general code gives.

* :func:`_lines.line_chunks` (lines split by polars straight from the bytes) equals decoding the
  piece and :func:`_lines.line_frame`, for awkward bytes too (CRLF, lone CR, blank lines, BOM,
  0x1F, invalid UTF-8, cp1252);
* :func:`_lines.extract` with a reader's fixed-layout fast path equals the full header regex on
  the reference logs and on lines built to sit at the edge of the fast layouts.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hbtriage.sources import _lines as L
from hbtriage.sources import cvp_log, icm_dumplog
from hbtriage.sources.encoding import decode

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
        str(path), "utf-8", r"[0-9]{2}:[0-9]{2}:[0-9]{2} ", 4096
    ):
        assert frame["line"][0] == 1
        assert before == len(seen)
        seen += frame["text"].to_list()
    assert seen == lines


def _frames(path: Path, start: str) -> list[pl.DataFrame]:
    return [f for f, *_ in L.line_chunks(str(path), "utf-8", start, 16 * 1024)]


@pytest.mark.parametrize(
    ("module", "path"),
    [
        (cvp_log, REFERENCE / "CVP1" / "CVP.2013-03-30.log"),
        (cvp_log, REFERENCE / "CVP1" / "Error.2013-03-30.log"),
        (icm_dumplog, REFERENCE / "PG1A" / "pim1.txt"),
    ],
)
def test_fast_extract_equals_regex_on_reference(module, path: Path) -> None:  # type: ignore[no-untyped-def]
    for frame in _frames(path, module._START):
        fast = L.extract(frame, module.PATTERN, (module._FAST, module._fast_fields))
        assert fast.equals(L.extract(frame, module.PATTERN))


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
    "12: 10.1.1.1: Mar 30 2013 19:36:46.105 -0500: %CVP-7-X: prefixed",
    "Mar 30 2013 25:99:99.105 -0500: %CVP-7-X: bad time",
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
]


@pytest.mark.parametrize(("module", "lines"), [(cvp_log, _CVP_EDGE), (icm_dumplog, _DUMP_EDGE)])
def test_fast_extract_equals_regex_on_edges(module, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
    frame, _ = L.line_frame("\n".join(lines) + "\n")
    fast = L.extract(frame, module.PATTERN, (module._FAST, module._fast_fields))
    assert fast.equals(L.extract(frame, module.PATTERN))
