"""The compiled scanning core (:mod:`hbtriage.sources._scan`) changes nothing but speed.

* the kernels split lines exactly as polars does, and convert the lines of the usual layouts
  (and only those) of dumplogs and CVP logs;
* a reader gives the same frames and warnings with the core on and off, on lines generated
  around the layouts' edges (hypothesis: fields, near misses, continuation lines, CRLF, and
  where the file is cut into pieces);
* ``analyze`` writes the same ``findings.json`` byte for byte with the core on and off on
  every simulator scenario (logs cut into pieces, UTF-16 logs decoded block by block so the
  core sees them too);
* without numba the readers fall back to polars with no error, and ``--warm`` says which.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.api import analyze
from hbtriage.catalog import load_catalog
from hbtriage.report.json_out import to_json
from hbtriage.simulate.scenarios import SCENARIOS, generate
from hbtriage.sources import _scan, ciscolog, cvp_log, icm_dumplog
from hbtriage.sources._scan_native import MAX_LINE
from hbtriage.sources.base import InputFile
from hbtriage.timeline import frames

pytestmark = pytest.mark.usefixtures("core_loads")  # fails, never skips, without numba


def _options(core: bool, **more: Any) -> Any:
    return dataclasses.replace(
        load_catalog().read_options(), compiled=core, compiled_min_bytes=0, **more
    )


def _read(module: Any, path: Path, core: bool, chunk: int) -> Any:
    item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
    return module.READER.read(item, "utf-8", _options(core, chunk_bytes=chunk))


def _same(a: Any, b: Any) -> None:
    assert a.events.equals(b.events)
    assert (a.host, a.stream, a.zone, a.warnings) == (b.host, b.stream, b.zone, b.warnings)


@pytest.mark.parametrize(
    "data",
    [b"", b"a", b"a\n", b"a\r\n\r\nb", b"\n\n", b"a\r\r\nb\r", b"\xef\xbb\xbfx\ny", b"\r"],
)
def test_split_lines_matches_polars(data: bytes) -> None:
    k = _scan.kernels()
    assert k is not None
    starts, ends = k.split_lines(np.frombuffer(data, dtype=np.uint8), True)
    got = [data[s:e] for s, e in zip(starts, ends, strict=True)]
    if not data:
        assert got == []
        return
    frame = pl.read_csv(
        data, has_header=False, separator="\x1f", quote_char=None, infer_schema=False
    )
    want = [(x or "").encode() for x in frame.to_series()]
    assert got == want


def _python_lines(data: bytes, first: bool) -> list[bytes]:
    """Lines as the kernels define them: split at LF, one CR before it dropped, a last line
    without LF kept, a UTF-8 BOM skipped at the start of a first piece."""
    if first and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data:
        return []
    parts = data.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    return [p[:-1] if p.endswith(b"\r") else p for p in parts]


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(
        st.sampled_from([b"\n", b"\r", b"\r\n", b"a", b"xyz0123", b"\xef\xbb\xbf", b"\x0a\x0b"]),
        max_size=60,
    ).map(b"".join),
    shift=st.integers(0, 7),
    first=st.booleans(),
)
def test_split_lines_any_bytes_any_alignment(data: bytes, shift: int, first: bool) -> None:
    """Line ends are found eight bytes at a time: an LF at any place in a word, in a piece
    starting at any byte of memory (parts of a piece start anywhere), is still found."""
    k = _scan.kernels()
    assert k is not None
    buf = np.frombuffer(b"\n" * shift + data, dtype=np.uint8)[shift:]
    starts, ends = k.split_lines(buf, first)
    got = [data[s:e] for s, e in zip(starts, ends, strict=True)]
    assert got == _python_lines(data, first)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    longest=st.sampled_from([1, 3, 40, 200, 5000]),
    shift=st.integers(0, 7),
    first=st.booleans(),
)
def test_split_lines_of_a_large_piece(seed: int, longest: int, shift: int, first: bool) -> None:
    """A piece of 150-200 KB (the split marks line ends 64 KiB at a time: lines across its
    windows and its blocks of 64 bytes), of lines as short as one byte (many ends in a block)
    or longer than a block, with CRs, high bytes and 0x1F here and there: the same lines and
    byte classes as Python finds."""
    import random

    rnd = random.Random(seed)
    parts, size = [], 0
    while size < 150_000 + rnd.randrange(50_000):
        line = bytes(rnd.choice(b"abc \r\x1f\x80\t") for _ in range(rnd.randrange(longest)))
        parts.append(line + rnd.choice([b"\n", b"\r\n"]))
        size += len(parts[-1])
    data = b"".join(parts)[: size - rnd.randrange(3)]  # a last line without LF, at times
    _split_as_python(data, shift, first)


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(
        st.sampled_from([b"\n", b"a", b"xyz0123", b"\x1f", b"\x80", b"\xff", b"\x7f", b"\x1e"]),
        max_size=40,
    ).map(b"".join),
    shift=st.integers(0, 7),
)
def test_split_tells_a_high_byte_and_a_unit_separator_anywhere(data: bytes, shift: int) -> None:
    """The split says whether the bytes hold one above 127 and a 0x1F (what decides whether
    polars may split them as they are), at any place in a word and in the last few bytes."""
    _split_as_python(data, shift, False)


def _split_as_python(data: bytes, shift: int, first: bool) -> None:
    """The core splits ``data`` (in memory ``shift`` bytes past an 8-byte boundary) into the
    lines Python finds, and tells its high bytes and 0x1F bytes."""
    from hbtriage.sources._scan_native import HIGH_BYTE, UNIT_SEPARATOR

    k = _scan.kernels()
    assert k is not None
    buf = np.frombuffer(b"\n" * shift + data, dtype=np.uint8)[shift:]
    starts, ends, info = k.split_lines_info(buf, first)
    assert [data[s:e] for s, e in zip(starts, ends, strict=True)] == _python_lines(data, first)
    assert bool(info & HIGH_BYTE) == (not data.isascii())
    assert bool(info & UNIT_SEPARATOR) == (b"\x1f" in data)


@pytest.mark.parametrize(
    ("tail", "encoding"),
    [
        (b"01:00:05:015 pg1A-pim1 Trace: heartbeat a\x1fb\n", "utf-8"),  # polars' column separator
        (b"01:00:05:015 pg1A-pim1 Trace: heartbeat caf\xc3\xa9\n", "utf-8"),  # valid UTF-8
        (b"01:00:05:015 pg1A-pim1 Trace: heartbeat caf\xe9\n", "utf-8"),  # not UTF-8
        (b"01:00:05:015 pg1A-pim1 Trace: heartbeat caf\xe9\n", "cp1252"),  # a code page
        (b"01:00:05:015 pg1A-pim1 Trace: heartbeat caf\xc3\xa9\n", "cp1252"),  # UTF-8 if not
        (b"\xef\xbb\xbf01:00:05:015 pg1A-pim1 Trace: heartbeat bom\n", "utf-8"),  # BOM mid-file
    ],
)
@pytest.mark.parametrize("sparse", [True, False])
def test_pieces_polars_cannot_split_as_bytes_read_alike_with_the_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail: bytes, encoding: str, sparse: bool
) -> None:
    """A piece the core's split finds unfit for polars' splitter (a 0x1F byte, a byte above
    127 that is not UTF-8 text, a BOM after the file's start) is read as without the core,
    its lines split sparsely or all of them:
    the same records (the odd line's message kept: it holds a prefilter word), every piece
    before and after it still read by the core."""
    head = b"Events from March 30, 2013\n"
    body = b"".join(b"01:00:%02d:015 pg1A-pim1 Trace: line %d\n" % (s, s) for s in range(60))
    path = tmp_path / "pim1.txt"
    path.write_bytes(head + body * 40 + tail + body * 40)
    item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
    more = {"chunk_bytes": 1 << 12, "defer_digests": sparse}
    off = icm_dumplog.READER.read(item, encoding, _options(False, **more))
    used = _counting(monkeypatch)
    on = icm_dumplog.READER.read(item, encoding, _options(True, **more))
    if sparse:  # the core's sparse pieces give the digests later (see test_sparse_pieces_equal_the_polars_path_and_digests_come_later)
        off.events = off.events.drop("digest", strict=False)
    _same(off, on)
    assert on.events.height >= 4800
    assert sum(used) >= 4500  # the core read all but the piece around the odd line


def test_a_code_page_piece_with_other_bytes_is_not_scanned_for_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Japanese cp932 log whose every piece holds a non-ASCII line: no piece goes to the
    core (it could not keep what it found: the text is not UTF-8), and the records are those
    read without the core; a piece of ASCII only in the same file does go."""
    line = "01:00:{:02d}:015 pg1A-pim1 Trace: line {}\n"
    jp = "01:00:{:02d}:015 pg1A-pim1 Trace: \u30cf\u30fc\u30c8\u30d3\u30fc\u30c8 {}\n"
    body = "".join((jp if s % 10 == 0 else line).format(s, s) for s in range(60))
    ascii_only = "".join(line.format(s, s) for s in range(60))
    path = tmp_path / "pim1.txt"
    path.write_bytes(("Events from March 30, 2013\n" + body * 40 + ascii_only * 20).encode("cp932"))
    item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
    more = {"chunk_bytes": 1 << 12, "defer_digests": False}
    off = icm_dumplog.READER.read(item, "cp932", _options(False, **more))
    scanned: list[bool] = []
    real = _scan.scan

    def spy(raw: bytes | memoryview, *args: Any, **kwargs: Any) -> Any:
        scanned.append(bytes(raw).isascii())  # (a mapped piece is a view of the file)
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(_scan, "scan", spy)
    on = icm_dumplog.READER.read(item, "cp932", _options(True, **more))
    _same(off, on)
    assert scanned and all(scanned)  # the ASCII pieces at the end only


@pytest.mark.parametrize(
    "line", [b"", b"a", b"\r", b"ab\r", b"\xff", b"\x1f", b"x" * 22, b"x" * 23]
)
def test_split_lines_of_more_lines_than_first_guessed(line: bytes) -> None:
    """A piece of lines shorter than the split's first guess (one every
    SPLIT_BYTES_PER_LINE bytes) is counted first and split again: every line still there,
    and what the split tells of the bytes too."""
    from hbtriage.sources._scan_native import SPLIT_BYTES_PER_LINE

    n = 5000
    data = (line + b"\n") * n + b"tail\r"
    assert n > len(data) // SPLIT_BYTES_PER_LINE + 64 or len(line) >= 22
    _split_as_python(data, 0, False)


def test_kernels_claim_the_usual_layouts_only() -> None:
    k = _scan.kernels()
    assert k is not None
    lines = [
        b"19:36:35:105 pg1A-pim1 Trace: VRU heartbeat sent",  # dumplog
        b"24:00:00:000 pg1A-pim1 hour 24",  # general path
        b"Mar 30 2013 19:36:46.105 -0500: %CVP_8_5_ICM-1-X: text",  # CVP
        b"12: 192.0.2.10: Mar  3 2013 19:36:46.105 -0500: %CVP-7-X:text",  # prefixed CVP
        b"Feb 29 2013 10:00:00.000 -0500: %CVP-7-X: no such day",  # general path
    ]
    buf = np.frombuffer(b"\n".join(lines) + b"\n", dtype=np.uint8)
    starts, ends = k.split_lines(buf, True)
    assert k.dumplog(buf, starts, ends)[0].tolist() == [1, 0, 0, 0, 0]
    hit, ts, hlen = k.cvp(buf, starts, ends)[:3]
    assert hit.tolist() == [0, 0, 1, 2, 0]
    assert ts[2] == np.datetime64("2013-03-30T19:36:46.105", "ns").astype(np.int64)
    assert hlen[3] == len(b"12: 192.0.2.10: Mar  3 2013 19:36:46.105 -0500: %CVP-7-X:")


def test_ciscolog_kernel_claims_the_usual_layout_only() -> None:
    k = _scan.kernels()
    assert k is not None
    lines = [
        b"120: PG1A: Mar 30 2013 00:36:45.106 +0000: %ICM_PG_PIM: [pname=pim1][sev=info]: x",
        b"<134>2: PG1A: Mar 30 2013 00:40:13 UTC: %ICM_PG_PIM-6-10300003: [pname.orig=p]: y",
        b"12: h: *Jun 13 2003 23:11:52.454 UTC: %BACC-4-BAD_REQUEST: %[pname.orig=rdu]: z",
        b"007: PG1A: Mar 30 2013 00:36:45.106 +0000: %ICM_PG_PIM: text",  # seq as written
        b"1: PG1A: Feb 29 2013 00:36:45.106 +0000: %ICM_PG_PIM: no such day",
        b"1: PG1A: Mar 30 2013 00:36:45.106 +0000: %ICM_PG_PIM: [caf\xc3\xa9][sev=x]: t",
    ]
    buf = np.frombuffer(b"\n".join(lines) + b"\n", dtype=np.uint8)
    starts, ends = k.split_lines(buf, True)
    hit, ts, hlen, seq = k.ciscolog(buf, starts, ends)[:4]
    assert hit.tolist() == [1, 1, 0, 0, 0, 0]
    assert ts[1] == np.datetime64("2013-03-30T00:40:13", "ns").astype(np.int64)
    assert hlen[0] == len(lines[0]) - 1 and seq[:2].tolist() == [120, 2]


_MON = st.sampled_from(["Mar", "Feb", "Dec", "mar", "Xyz"])
_DAY = st.sampled_from([" 1", " 9", "01", "28", "29", "30", "31", "00", "1"])
_YEAR = st.sampled_from(["2013", "2012", "1969", "2200", "2201", "1900"])
_TIME = st.sampled_from(["19:36:46", "00:00:00", "23:59:59", "24:00:00", "23:60:00", "9:36:46"])
_MS = st.sampled_from([".105", ".000", ".1", ":105", ""])
_ZONE = st.sampled_from([" -0500", " +0930", " -05:00", "", " +9999"])
_HEAD = st.sampled_from(
    ["%CVP_8_5_ICM-1-LOGMSG_ICM_SS_STATE", "%CVP-7-X", "%CVP-8-X", "%9X-1-Y", "%A-1-", "%A_b-0-c_d"]
)
_AFTER = st.sampled_from(
    [": Shutting down VRU PIM connection", ":x", ":", ": ", "  two", ": caf\u00e9", ": heartbeat"]
)
_PREFIX = st.sampled_from(
    ["", "", "12: 192.0.2.10: ", "7: cvp1: ", "8: [::1]: ", "<13>9: h: ",
     # a syslog server's own stamp and host before CVP's syslog feed (general path only)
     "Mar  3 19:36:46 192.0.2.10 12: 192.0.2.10: ", "2013-03-30T19:36:46.1+01:00 r 7: cvp1: ",
     "Mar 30 19:36:46 h ", "Mar 30 19:36:46 h12: h: "]
)  # fmt: skip
_TOKEN = st.sampled_from(["pg1A-pim1", "a-b-c", "a-b-", "nohyphen", "n\u00f6de-p", "pg1A-opc"])
_TAIL = st.sampled_from([" Trace: VRU heartbeat", " Trace:x", " Trace:", " msg", "", "\tx", " "])
_CONT = st.sampled_from(["\tLast API Error [10054]", "Generated VXML", "", "  ", "Events from"])


def _generated(test: Any) -> Any:
    """Hypothesis over generated logs: which reader, CRLF or LF, where the file is cut."""
    drawn = given(
        data=st.data(),
        which=st.sampled_from(list(_KERNELS)),
        crlf=st.booleans(),
        chunk=st.integers(64, 4096),
    )(test)
    return settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )(drawn)


@st.composite
def _cvp_line(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 5)) == 0:
        return draw(_CONT)
    return (
        f"{draw(_PREFIX)}{draw(_MON)} {draw(_DAY)} {draw(_YEAR)} {draw(_TIME)}{draw(_MS)}"
        f"{draw(_ZONE)}: {draw(_HEAD)}{draw(_AFTER)}"
    )


@st.composite
def _dump_line(draw: st.DrawFn) -> str:
    pick = draw(st.integers(0, 7))
    if pick == 0:
        return draw(_CONT)
    if pick == 1:
        return draw(st.sampled_from(["Events from March 30, 2013", "Events from Feb 30, 2013"]))
    return f"{draw(_TIME)}{draw(_MS)} {draw(_TOKEN)}{draw(_TAIL)}"


#: CiscoLog fields: (usual values, values at the layout's edges), one in eight drawn from the
#: second list, so most lines are in the usual layout and each edge is met alone.
_CISCO: list[tuple[list[str], list[str]]] = [
    # a syslog server's own stamp and host before the PG's syslog feed (general path only)
    ([""], ["Mar 30 19:36:46 192.0.2.7 ", "2013-03-30T19:36:46.1+01:00 r ", "Mar 30 19:36:46 h"]),
    (["", "<134>"], ["<1>", "<1234>", "<x>"]),
    (["12", "4410", "0"], ["007", "123456789012345678", "1234567890123456789"]),
    ([": PG1A: ", ": host.example.com: "], [": [::1]: ", ": n\u00f6de: ", ": a b: ", ": [abc]: "]),
    (["Mar", "Feb"], ["*Mar", "mar", "Xyz", "Dec"]),
    ([" 8", "  8", " 28"], [" 08", " 31", " 29", " 30", " 123", "8"]),
    ([" 2013 "], [" 2012 ", " 1969 ", " 2200 ", " 2201 ", "  2013 "]),
    (["05:37:44", "23:59:59"], ["5:37:44", "24:00:00", "23:59:60", "00:00:00"]),
    ([".658", ""], [".1", ".123456789", ".1234567890", "."]),
    ([" +0000", " -0500"], ["", " -07:00", " UTC", " EST", " Z", " ABCDEF", " +9999", " +07:0"]),
    ([": %ICM_PG_PIM", ": %ICM_Router-3-FF"], [": %A-9-X", ": %9X", ": %A-1-", ": %A_b", ":%A"]),
    ([": "], [":", ":  ", " :"]),
    (
        ["[comp=PG-A][pname=pim1][iid=acme][sev=info]", "[pname=opc][sev=warning]"],
        ["", "%[pname.orig=rdu][comp=parser]", "[x[pname=][sev=]", "[pname.origx=a][pname=b]",
         "[sev=err", "[caf\u00e9=1][pname=p]", "%x", "[pname.orig=][sev=warning]", "[a][b",
         "[pname=pim1][part=12.1/2]", "[part=12.2/2][sev=info]", "[x[part=1.1/1]", "[part=x]"],
    ),
    ([": "], ["", ":", " ", ":: "]),
    (["VRU heartbeat request sent", "Peripheral 5000 went offline."], ["", "caf\u00e9", " "]),
]  # fmt: skip
_CCONT = st.sampled_from(["  GED-125 version 9 negotiated.", "", "   ", "Events", "\tx"])


@st.composite
def _cisco_line(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 6)) == 0:
        return draw(_CCONT)
    out = []
    for usual, edge in _CISCO:
        out.append(draw(st.sampled_from(edge if draw(st.integers(0, 7)) == 0 else usual)))
    return "".join(out)


#: Per kernel: the generated lines of its layouts and the reader it serves.
_KERNELS: dict[str, tuple[Any, Any]] = {
    "cvp": (_cvp_line, cvp_log),
    "dumplog": (_dump_line, icm_dumplog),
    "ciscolog": (_cisco_line, ciscolog),
}


@_generated
def test_core_equals_polars_on_generated_lines(
    tmp_path: Path, data: st.DataObject, which: str, crlf: bool, chunk: int
) -> None:
    line = _KERNELS[which][0]()
    lines = data.draw(st.lists(line, min_size=1, max_size=60))
    path = tmp_path / f"gen-{which}.log"
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode("utf-8") + b"\n")
    module = _KERNELS[which][1]
    outcomes = []
    for core in (False, True):
        try:
            outcomes.append(_read(module, path, core, chunk))
        except Exception as exc:  # noqa: BLE001 - both ways must fail alike
            outcomes.append(repr(exc))
    if isinstance(outcomes[0], str) or isinstance(outcomes[1], str):
        assert outcomes[0] == outcomes[1]
        return
    _same(outcomes[0], outcomes[1])


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the pieces the core converted."""
    used: list[int] = []
    for name in ("dumplog_heads", "cvp_heads", "ciscolog_heads"):
        real = getattr(_scan, name)

        def spy(*args: Any, _real: Any = real) -> Any:
            out = _real(*args)
            if out is not None:
                used.append(int(out[0].sum()))
            return out

        monkeypatch.setattr(_scan, name, spy)
    return used


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenarios_findings_identical_with_core_on_and_off(
    scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(scenario, tmp_path / scenario, seed=11)
    used = _counting(monkeypatch)
    # Pieces cut into parts for the threads (see test_parts_stitch_to_the_one_part_scan): four
    # "cores", two parts a piece when both reading threads scan at once, four when one does.
    monkeypatch.setattr(_scan, "SPLIT_MIN_BYTES", 4096)
    monkeypatch.setattr(_scan, "cores", lambda: 4)
    stitched: list[int] = []
    stitch = _scan._stitch
    monkeypatch.setattr(_scan, "_stitch", lambda *a: stitched.append(1) or stitch(*a))
    pieces = {"chunk_bytes": 64 * 1024, "stream_min_bytes": 0}
    off = to_json(analyze([tmp_path / scenario], read_options=_options(False, **pieces)))
    assert not used
    on = to_json(analyze([tmp_path / scenario], read_options=_options(True, **pieces)))
    assert sum(used) > 0  # the core converted lines
    assert stitched  # from pieces cut into parts
    assert on == off


def test_without_numba_the_polars_path_reads_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"
    want = to_json(analyze([ref], read_options=_options(False)))
    monkeypatch.setitem(_scan._state, "k", None)  # as when numba cannot be imported
    assert not _scan.use_for(1 << 40, _options(True))
    assert to_json(analyze([ref], read_options=_options(True))) == want
    assert _scan.main(["--warm"]) == 0


def test_environment_turns_the_core_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _scan.use_for(1 << 30, _options(True))
    monkeypatch.setenv(_scan.ENV, "0")
    assert not _scan.use_for(1 << 30, _options(True))
    assert not _scan.use_for(10, dataclasses.replace(_options(True), compiled_min_bytes=1 << 20))


# -- phase 2: the prefilter in the kernel, sparse pieces, digests given later ---------------

_WORDS = st.sampled_from(
    ["heartbeat", "HeartBeat", "link", "PATH", "started", "is stopping", "process ", "Shutting",
     "down", " VRU PIM heartbeats", "x", "1", " ", ":", "\t", "caf\u00e9", "\u212a", "\u017ftarted",
     "li\u0130nk", "pa", "th"]
)  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(lines=st.lists(st.lists(_WORDS, max_size=8).map("".join), min_size=1, max_size=30))
def test_kernel_prefilter_equals_the_regex(lines: list[str]) -> None:
    """0/1 verdicts are the regex's own; 2 only for lines outside ASCII."""
    k = _scan.kernels()
    assert k is not None
    data = "\n".join(lines).encode("utf-8") + b"\n"
    buf = np.frombuffer(data, dtype=np.uint8)
    starts, ends = k.split_lines(buf, True)
    for kind in ("cvp_log", "icm_dumplog"):
        keep = load_catalog().read_options().keep_of(kind)
        assert keep is not None and keep.lines is not None
        table = _scan.literal_table(keep.literals)
        assert table is not None
        flags = k.keep_flags(buf, starts, ends, *table, data.isascii())
        want = pl.Series(lines).str.contains(keep.lines).to_list()
        for line, flag, hit in zip(lines, flags.tolist(), want, strict=True):
            if flag == 2:
                assert not line.isascii()
            else:
                assert bool(flag) == hit, (line, flag)


def test_kernel_prefilter_finds_a_literal_wherever_the_walks_meet() -> None:
    """The search walks four quarters of a piece at once: a literal at any offset (across
    the quarters' edges included), in any case, marks its line and only its line."""
    k = _scan.kernels()
    assert k is not None
    keep = load_catalog().read_options().keep_of("icm_dumplog")
    assert keep is not None and keep.lines is not None
    table = _scan.literal_table(keep.literals)
    assert table is not None
    filler = "19:36:35:105 pg1A-pim1 Trace: the quick brown fox jumps over the lazy dog"
    for word in ("heartbeat", "LINK", "Path", "node manager "):
        for at in range(0, 400):  # every offset: the short words' pass goes 64 bytes at a time
            text = (filler * 8)[:at] + word + (filler * 8)[at:]
            lines = [text[i : i + 97] for i in range(0, len(text), 97)]
            data = "\n".join(lines).encode("ascii")
            buf = np.frombuffer(data, dtype=np.uint8)
            starts, ends = k.split_lines(buf, False)
            flags = k.keep_flags(buf, starts, ends, *table, True).tolist()
            want = pl.Series(lines).str.contains(keep.lines).to_list()
            assert [bool(f) for f in flags] == want, (word, at)


_LIT_CHARS = "abkLNPz019 ,=]_-"


@st.composite
def _piece(draw: st.DrawFn, words: list[str]) -> str:
    """A word, whole or a slice of it, in its case or swapped."""
    w = draw(st.sampled_from(words))
    i = draw(st.integers(0, len(w) - 1))
    cut = w[i : draw(st.integers(i + 1, len(w)))] if draw(st.booleans()) else w
    return cut.swapcase() if draw(st.booleans()) else cut


@st.composite
def _short_words_and_text(draw: st.DrawFn) -> tuple[list[str], bytes]:
    """A literal set (short words among them: some, none or all, one to nine of them) and a
    text cut from their pieces in any case, filler, CR/LF, a byte outside ASCII and, now and
    then, a line longer than MAX_LINE."""
    word = st.text(_LIT_CHARS, min_size=2, max_size=draw(st.sampled_from([3, 6, 12])))
    words = draw(st.lists(word, min_size=1, max_size=9))
    piece = _piece(words)
    filler = st.sampled_from(["x", " ", "\n", "\r\n", "\n\n", "aL", "1,", "=]", "\u00e9", "."])
    parts = draw(st.lists(st.one_of(piece, filler, st.text(_LIT_CHARS, max_size=70)), max_size=60))
    if draw(st.integers(0, 9)) == 0:
        parts.insert(draw(st.integers(0, len(parts))), "\n" + words[0] + "z" * MAX_LINE + "\n")
    return words, "".join(parts).encode("utf-8")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_short_words_and_text())
def test_kernel_prefilter_equals_a_plain_search(case: tuple[list[str], bytes]) -> None:
    """Per line: any literal in it (ASCII case ignored) gives 1, none 0, a line outside ASCII
    or longer than MAX_LINE 2, whichever of the kernel's searches finds the literal (the
    vectorised pass of the short ones, the walk of the others) and wherever it lies: across
    64-byte blocks and the walks' quarters, in the last bytes, in pieces shorter than it."""
    k = _scan.kernels()
    assert k is not None
    words, data = case
    table = _scan.literal_table(tuple(words))
    assert table is not None
    buf = np.frombuffer(data, dtype=np.uint8)
    starts, ends = k.split_lines(buf, True)
    flags = k.keep_flags(buf, starts, ends, *table, data.isascii()).tolist()
    low = [w.lower().encode("ascii") for w in words]
    want = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        line = data[s:e]
        if e - s > MAX_LINE or not line.isascii():
            want.append(2)
        else:
            want.append(int(any(w in line.lower() for w in low)))
    assert flags == want


def test_literal_table_refuses_what_bytes_cannot_decide() -> None:
    assert _scan.literal_table(("caf\u00e9",)) is None
    assert _scan.literal_table(("a",)) is None
    table = _scan.literal_table(("Heartbeat", "link"))
    assert table is not None and bytes(table[0]) == b"heartbeatlink"


def _read_deferred(module: Any, path: Path, chunk: int) -> Any:
    item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
    options = _options(True, chunk_bytes=chunk, defer_digests=True)
    return module.READER.read(item, "utf-8", options)


_SIGNAL = st.sampled_from(
    [": Shutting down VRU PIM connection", ": heartbeat link path", ": caf\u00e9 started",
     ": \u017ftopped", ": ok"]
)  # fmt: skip


@_generated
def test_sparse_pieces_equal_the_polars_path_and_digests_come_later(
    tmp_path: Path, data: st.DataObject, which: str, crlf: bool, chunk: int
) -> None:
    """With digests deferred the core leaves most lines' text out: the records are the
    same, and the digests given later are the polars path's."""
    line = _KERNELS[which][0]()
    extra = st.builds(lambda a, b: a + b, line, _SIGNAL)
    lines = data.draw(st.lists(st.one_of(line, extra), min_size=1, max_size=60))
    _sparse_is_polars(_KERNELS[which][1], tmp_path / f"gen-{which}.log", lines, crlf, chunk)


def _sparse_is_polars(module: Any, path: Path, lines: list[str], crlf: bool, chunk: int) -> None:
    """``lines`` written to ``path`` read by ``module``'s reader with the core and digests
    deferred give the polars path's records, host, stream, warnings and (later) digests; or
    both ways fail alike."""
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode("utf-8") + b"\n")
    try:
        full = _read(module, path, False, chunk)
    except Exception as exc:  # noqa: BLE001 - both ways must fail alike
        with pytest.raises(type(exc)):
            _read_deferred(module, path, chunk)
        return
    sparse = _read_deferred(module, path, chunk)
    assert "digest" not in sparse.events.columns and sparse.digests is not None
    assert sparse.events.equals(full.events.drop("digest"))
    assert (sparse.host, sparse.stream, sparse.warnings) == (full.host, full.stream, full.warnings)
    assert sparse.digests().equals(full.events.select("line", "digest"))


#: Per kernel: a line of its usual layout with no word any signature looks for (seconds and
#: milliseconds to fill in).
_PLAIN = {
    "cvp": "Mar 30 2013 19:36:{0:02d}.{1:03d} -0500: %CVP_8_5_ICM-1-LOGMSG_ICM_SS_STATE: call {1}",
    "dumplog": "19:36:{0:02d}:{1:03d} pg1A-pim1 Trace: call {1} routed",
    "ciscolog": "12: PG1A: Mar 30 2013 05:37:{0:02d}.{1:03d} -0500: %ICM_PG_PIM: "
    "[comp=PG-A][pname=pim1][sev=info]: call {1} routed",
}


@_generated
def test_sparse_pieces_with_few_lines_to_split_equal_the_polars_path(
    tmp_path: Path, data: st.DataObject, which: str, crlf: bool, chunk: int
) -> None:
    """Most lines plain (converted by the core, nothing to keep): only the few lines whose
    text something reads are split and put in place; the records are the polars path's."""
    line = _KERNELS[which][0]()
    plain = st.builds(_PLAIN[which].format, st.integers(0, 59), st.integers(0, 999))
    extra = st.builds(lambda a, b: a + b, line, _SIGNAL)
    odd = st.sampled_from(["", "  continued", "\t", "not a record"])
    one = st.one_of(*([plain] * 12), extra, odd)
    lines = data.draw(st.lists(one, min_size=30, max_size=120))
    _sparse_is_polars(_KERNELS[which][1], tmp_path / f"few-{which}.log", lines, crlf, chunk)


def test_rotated_copies_merge_alike_with_digests_given_later(tmp_path: Path) -> None:
    """Two overlapping copies of a CVP log (one stream): the timeline asks the reader for
    the digests and drops the same copies as with every digest read at once."""
    generate("dpc_storm_cvp", tmp_path / "b", seed=3)
    cvp = sorted((tmp_path / "b").rglob("CVP.*.log"))[0]
    text = cvp.read_bytes().splitlines(keepends=True)
    (cvp.parent / "CVP.9999-01-01.log").write_bytes(b"".join(text[len(text) // 3 :]))
    cvp.write_bytes(b"".join(text[: 2 * len(text) // 3]))
    calls: list[str] = []
    real = _scan.setup

    def spy(*args: Any) -> Any:
        out = real(*args)
        calls.append(str(out[1]))
        return out

    pieces = {"chunk_bytes": 4096}
    off = to_json(analyze([tmp_path / "b"], read_options=_options(False, **pieces)))
    asked: list[str] = []
    later = frames._with_digest

    def ask(part: pl.DataFrame, source: str, found: Any) -> pl.DataFrame:
        if source in found and "_digest" not in part.columns:
            asked.append(source)
        return later(part, source, found)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_scan, "setup", spy)
        mp.setattr(frames, "_with_digest", ask)
        on = to_json(analyze([tmp_path / "b"], read_options=_options(True, **pieces)))
    assert "True" in calls  # some file was read sparse
    assert len(asked) == 2  # both copies' digests were read later
    assert on == off


# -- phase 3: one piece cut into parts, one per core ---------------------------------------


def _same_parts(a: Any, b: Any) -> None:
    """Two :func:`_scan.scan_parts` results are the same, array by array (dtypes too)."""
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        if isinstance(x, tuple):
            _same_parts(x, y)
        elif x is None:
            assert y is None
        elif isinstance(x, int):  # what the split saw of the bytes
            assert x == y
        else:
            assert x.dtype == y.dtype and np.array_equal(x, y)


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    which=st.sampled_from(list(_KERNELS)),
    crlf=st.booleans(),
    bom=st.booleans(),
    end=st.sampled_from(["\n", "", "\r"]),
    sparse=st.booleans(),
)
def test_parts_stitch_to_the_one_part_scan(
    data: st.DataObject, which: str, crlf: bool, bom: bool, end: str, sparse: bool
) -> None:
    """Cut anywhere (moved to a line end), scanned part by part on the threads and stitched:
    line offsets, the kernel's fields and interned ids, prefilter flags, line classes and the
    line frame are the one-part scan's."""
    line = _KERNELS[which][0]()
    extra = st.builds(lambda a, b: a + b, line, _SIGNAL)
    lines = data.draw(st.lists(st.one_of(line, extra), min_size=1, max_size=60))
    text = ("\r\n" if crlf else "\n").join(lines) + end
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    cuts = data.draw(st.lists(st.integers(-2, len(raw) + 2), max_size=6))
    keep = _options(True).keep_of(_KERNELS[which][1].READER.kind)
    table = _scan.literal_table(keep.literals)
    first = data.draw(st.booleans())
    ask = _scan.Ask(which, table, sparse)
    whole = _scan.scan_parts(raw, first, ask, cuts=[])
    _same_parts(_scan.scan_parts(raw, first, ask, cuts=cuts), whole)
    one = _scan.scan(raw, first, ask, cuts=[])
    cut = _scan.scan(raw, first, ask, cuts=cuts)
    assert (one is None) == (cut is None)
    if one is not None and cut is not None:
        assert one[0].equals(cut[0])


def test_part_bounds_fall_after_line_ends() -> None:
    raw = b"ab\ncd\r\nef\n\ngh"
    assert _scan.part_bounds(raw, []) == [0, len(raw)]
    assert _scan.part_bounds(raw, [0, 1, 2, 3, 4]) == [0, 3, 7, len(raw)]
    assert _scan.part_bounds(raw, [11, 12, 99]) == [0, 11, len(raw)]
    assert _scan.part_bounds(b"no line end", [3]) == [0, 11]


def test_more_strings_than_one_scan_interns_scan_in_one_part() -> None:
    """Past ``MAX_IDS`` node-process tokens the one-part scan leaves lines to the general
    path: the parts together would intern more, so the piece is scanned in one part."""
    from hbtriage.sources._scan_kernels import MAX_IDS

    raw = b"".join(b"19:36:35:105 node%d-pim1 Trace: heartbeat\n" % i for i in range(MAX_IDS + 50))
    whole = _scan.scan_parts(raw, True, _scan.Ask("dumplog"), cuts=[])
    assert int(whole[2][0].sum()) == MAX_IDS  # the one-part scan gave up on 50 lines
    cuts = [len(raw) // 3, 2 * len(raw) // 3]
    _same_parts(_scan.scan_parts(raw, True, _scan.Ask("dumplog"), cuts=cuts), whole)


def test_a_big_piece_is_cut_into_one_part_per_free_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_scan, "cores", lambda: 3)
    assert _scan._even_cuts(_scan.SPLIT_MIN_BYTES - 1) == []
    assert _scan._even_cuts(3 * _scan.SPLIT_MIN_BYTES) == [
        _scan.SPLIT_MIN_BYTES,
        2 * _scan.SPLIT_MIN_BYTES,
    ]
    # Other pieces being scanned at the same time take their cores.
    assert _scan._even_cuts(3 * _scan.SPLIT_MIN_BYTES, scanning=2) == []
    monkeypatch.setattr(_scan, "cores", lambda: 4)
    assert len(_scan._even_cuts(3 * _scan.SPLIT_MIN_BYTES, scanning=2)) == 1


def test_a_piece_is_not_cut_while_another_file_is_being_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two files read by the core at once keep a core each, even while the other one is
    between two scans (assembling its last piece): the piece is scanned in one part; alone,
    it is cut into one part per core, to the same result."""
    from hbtriage.sources import _lines

    monkeypatch.setattr(_scan, "cores", lambda: 2)
    seen: list[int] = []
    real = _scan._scan_bounds

    def spy(raw: bytes, first: bool, ask: Any, bounds: list[int]) -> Any:
        seen.append(len(bounds) - 1)
        return real(raw, first, ask, bounds)

    monkeypatch.setattr(_scan, "_scan_bounds", spy)
    raw = _PIM_LINE * (2 * _scan.SPLIT_MIN_BYTES // len(_PIM_LINE))
    ask = _scan.Ask("dumplog")
    monkeypatch.setattr(_lines, "_CORE_FILES", [2])
    two = _scan.scan_parts(raw, True, ask)
    monkeypatch.setattr(_lines, "_CORE_FILES", [1])
    alone = _scan.scan_parts(raw, True, ask)
    assert seen == [1, 2]
    _same_parts(two, alone)


# -- the gate: once per run, on the logs the core reads --------------------------------------


def _items(tmp_path: Path, files: dict[str, bytes]) -> list[InputFile]:
    out = []
    for name, data in files.items():
        p = tmp_path / name
        p.write_bytes(data)
        out.append(InputFile(display=name, path=str(p), size=len(data)))
    return out


_CVP_LINE = b"Mar 30 2013 19:36:46.105 -0500: %CVP_8_5_ICM-1-X: heartbeat\n"
_PIM_LINE = b"19:36:35:105 pg1A-pim1 Trace: VRU heartbeat sent\n"


def test_the_run_gate_sums_the_logs_the_core_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two logs, each below the threshold, together above it: the core reads both (and any
    smaller log of the run); a bundle whose bytes are mostly not such logs keeps the per-file
    threshold."""
    monkeypatch.delenv(_scan.ENV, raising=False)
    base = dataclasses.replace(_options(True), compiled_min_bytes=6000)
    logs = _items(tmp_path, {"CVP.log": _CVP_LINE * 60, "pim1.txt": _PIM_LINE * 70})
    assert all(f.size < 6000 for f in logs) and sum(f.size for f in logs) >= 6000
    assert _scan.for_run(base, logs).compiled_min_bytes == 0
    other = _items(tmp_path, {"notes.txt": b"plain words, no time stamps\n" * 400})
    assert _scan.for_run(base, [logs[0], *other]) is base
    monkeypatch.setenv(_scan.ENV, "0")
    assert _scan.for_run(base, logs) is base


def test_the_run_gate_starts_loading_the_core_once_a_log_it_reads_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernels load in a thread of their own from the first log the core reads (while the
    rest is sniffed and the readers start); a bundle without such a log loads nothing."""
    import threading

    monkeypatch.delenv(_scan.ENV, raising=False)
    started: list[str] = []
    monkeypatch.setattr(_scan, "_state", {})
    monkeypatch.setattr(
        _scan, "kernels", lambda **_: started.append(threading.current_thread().name)
    )
    base = dataclasses.replace(_options(True), compiled_min_bytes=6000)
    other = _items(tmp_path, {"notes.txt": b"plain words, no time stamps\n" * 400})
    assert _scan.for_run(base, other).compiled_min_bytes == 6000
    assert started == []
    logs = _items(tmp_path, {"CVP.log": _CVP_LINE * 60, "pim1.txt": _PIM_LINE * 70})
    assert _scan.for_run(base, [*other, *logs]).compiled_min_bytes == 0
    for thread in threading.enumerate():
        if thread.name == "hbtriage-core-load":
            thread.join(10)
    assert started == ["hbtriage-core-load"]


def test_the_run_gate_counts_generic_logs_the_core_converts_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large syslog or ISO log counts towards loading the core (it has their kernels); a
    CBS or ZooKeeper log of the same size does not (read by its regex whatever the gate)."""
    monkeypatch.delenv(_scan.ENV, raising=False)
    base = dataclasses.replace(_options(True), compiled_min_bytes=6000)
    layouts = {
        "messages": (b"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: session opened\n", True),
        "app.log": (b"2024-05-01T12:00:00.123Z [WARN] heartbeat late\n", True),
        "CBS.log": (b"2016-09-28 04:30:30, Info   CBS    Loaded Servicing Stack\n", False),
        "zk.log": (b"2015-07-29 17:41:44,747 - INFO  [main:QuorumPeer@774] - Bound\n", False),
    }
    for name, (line, counted) in layouts.items():
        one = _items(tmp_path, {name: line * (6000 // len(line) + 1)})
        assert one[0].size >= 6000
        got = _scan.for_run(base, one)
        assert (got.compiled_min_bytes == 0) is counted, name


def test_a_small_run_sniffs_nothing_for_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hbtriage.sources as sources

    def no(*_: Any) -> Any:
        raise AssertionError("sniffed")

    monkeypatch.setattr(sources, "sniff", no)
    base = dataclasses.replace(_options(True), compiled_min_bytes=1 << 20)
    logs = _items(tmp_path, {"CVP.log": _CVP_LINE * 10})
    assert _scan.for_run(base, logs).compiled_min_bytes == 1 << 20


def test_only_a_run_of_one_file_reads_ahead(tmp_path: Path) -> None:
    """One file: its next piece is split while the current one is assembled (nothing else is
    read meanwhile); several: no piece ahead (one more piece in memory for 2-3 %)."""
    base = _options(True)
    logs = _items(tmp_path, {"CVP.log": _CVP_LINE * 10, "pim1.txt": _PIM_LINE * 10})
    assert _scan.for_run(base, logs[:1]).read_ahead is (_scan.cores() > 1)
    assert not _scan.for_run(base, logs).read_ahead


def test_analyze_reads_with_the_core_when_its_logs_together_pass_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hbtriage.sources import sniff

    monkeypatch.delenv(_scan.ENV, raising=False)
    generate("dpc_storm_cvp", tmp_path / "b", seed=3)
    sizes = [
        p.stat().st_size
        for p in (tmp_path / "b").rglob("*")
        if p.is_file()
        and (r := sniff(InputFile(display=p.name, path=str(p), size=p.stat().st_size))[0])
        and r.kind in _scan.KINDS
    ]
    assert len(sizes) >= 2
    used = _counting(monkeypatch)
    alone = dataclasses.replace(_options(True), compiled_min_bytes=sum(sizes) + 1)
    off = to_json(analyze([tmp_path / "b"], read_options=alone))
    assert not used
    together = dataclasses.replace(alone, compiled_min_bytes=max(sizes) + 1)
    assert to_json(analyze([tmp_path / "b"], read_options=together)) == off
    assert sum(used) > 0


def test_ciscolog_findings_identical_with_core_on_and_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Cisco Log bundle (the fixture, and a longer log with a restart, continuation lines,
    heartbeat failures) read in pieces cut into parts: the same findings."""
    fixture = Path(__file__).parent / "fixtures" / "ciscolog" / "pim1_ciscolog.txt"
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / fixture.name).write_bytes(fixture.read_bytes())
    out = []
    for i in range(3000):
        seq = i if i < 2000 else i - 2000
        msg = "VRU heartbeat request sent" if i % 7 else "TCP connection to VRU has been broken."
        out.append(
            f"{seq}: PG1B: Mar 30 2013 01:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d} +0000: "
            f"%ICM_PG_PIM: [comp=PG-B][pname=pim1][iid=acme][mid={i:X}][sev=info]: {msg}"
        )
        if i % 11 == 0:
            out.append("  continued")
    (tmp_path / "b" / "pim1b_ciscolog.txt").write_text("\n".join(out) + "\n")
    used = _counting(monkeypatch)
    monkeypatch.setattr(_scan, "SPLIT_MIN_BYTES", 4096)
    monkeypatch.setattr(_scan, "cores", lambda: 4)
    pieces = {"chunk_bytes": 64 * 1024}
    off = to_json(analyze([tmp_path / "b"], read_options=_options(False, **pieces)))
    assert not used
    on = to_json(analyze([tmp_path / "b"], read_options=_options(True, **pieces)))
    assert sum(used) > 3000
    assert on == off


@pytest.fixture(scope="module")
def _storm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("storm")
    generate("dpc_storm_cvp", out, seed=5)
    return out


@pytest.mark.parametrize("module", [cvp_log, icm_dumplog])
def test_reading_ahead_gives_the_same_records(_storm: Path, module: Any) -> None:
    """A log read with its next piece split ahead on another thread (a run of one file) gives
    the records, warnings, host and stream of the plain walk, piece size aside."""
    name = "CVP.*.log" if module is cvp_log else "*pim*"
    path = max(_storm.rglob(name), key=lambda p: p.stat().st_size)
    item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
    plain = module.READER.read(item, "utf-8", _options(True, chunk_bytes=1 << 16))
    ahead = module.READER.read(item, "utf-8", _options(True, chunk_bytes=1 << 16, read_ahead=True))
    assert plain.events.height > 100
    assert ahead.events.equals(plain.events)
    assert (ahead.host, ahead.stream, ahead.warnings) == (plain.host, plain.stream, plain.warnings)


# -- a first run with the kernels not compiled for this machine (a pip install, no make) ----

_COLD_RUN = """
import dataclasses, json, sys
from pathlib import Path
from hbtriage.api import analyze
from hbtriage.catalog import load_catalog
from hbtriage.report.json_out import to_json
options = dataclasses.replace(load_catalog().read_options(), compiled_min_bytes=0)
print(to_json(analyze([Path(sys.argv[1])], read_options=options)))
"""


def _cold_env(cache: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != _scan.ENV}
    env["NUMBA_CACHE_DIR"] = str(cache)
    return env


def test_a_first_run_without_compiled_kernels_reads_without_them_and_compiles_them_for_later(
    tmp_path: Path,
) -> None:
    """After ``pip install`` (no ``make``) numba's cache is empty: a run of large logs must not
    spend a minute compiling first. It reads with the polars path, says so in the report,
    and leaves the compile to a background process (one, whatever the runs meanwhile)."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    ref = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    want = json.loads(to_json(analyze([ref], read_options=_options(False))))
    markers: list[Path] = []
    try:
        for _ in range(2):  # a second run while the first one's compile goes on
            t0 = time.monotonic()
            got = subprocess.run(
                [sys.executable, "-c", _COLD_RUN, str(ref)],
                env=_cold_env(cache),
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            took = time.monotonic() - t0
            findings = json.loads(got.stdout)
            said = [w for w in findings["warnings"] if "not yet compiled" in w]
            assert len(said) == 1, findings["warnings"]
            findings["warnings"].remove(said[0])
            assert findings["incidents"] == want["incidents"]
            assert findings["warnings"] == want["warnings"]
            assert took < 30, f"the run took {took:.0f} s: it compiled the kernels first"
            markers = list(cache.rglob("hbtriage-compiling"))
            assert len(markers) == 1, "one background compile, not one per run"
    finally:
        for marker in markers:
            with contextlib.suppress(OSError, ValueError):
                os.killpg(int(marker.read_text()), signal.SIGKILL)


def test_the_background_compile_removes_its_marker_once_the_kernels_are_there(
    tmp_path: Path,
) -> None:
    """What :func:`_scan._compile_later` starts: once the kernels are compiled (here they are
    already: the package's own cache, which ``make`` filled; compiling them takes ~40 s) it
    removes the file that said a compile was under way, so the next run starts none."""
    import os
    import subprocess
    import sys

    marker = tmp_path / "hbtriage-compiling"
    marker.write_text("1\n")
    env = {k: v for k, v in os.environ.items() if k not in (_scan.ENV, "NUMBA_CACHE_DIR")}
    done = subprocess.run(
        [sys.executable, "-m", "hbtriage.sources._scan", "--compile", str(marker)],
        env=env,
        timeout=300,
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")  # the kernels loaded
    assert not marker.exists()


def test_the_kernels_keep_the_years_the_readers_keep() -> None:
    """The compiled kernels hold their own copy of the years a time stamp may have (a
    kernel's constants are its module's): it must be the readers' and findings.json's."""
    from hbtriage import findings
    from hbtriage.sources import _scan_kernels

    assert (_scan_kernels._MIN_YEAR, _scan_kernels._MAX_YEAR) == (
        findings.MIN_YEAR,
        findings.MAX_YEAR,
    )


def test_the_rollover_kernel_keeps_the_dumplog_readers_day_lengths() -> None:
    """The day counting kernel holds its own copy of half a day, a day and the days a
    nanosecond stamp holds (a kernel's constants are its module's, and the kernels' cache is
    keyed by that module alone): they must be the dumplog reader's."""
    from hbtriage.sources import _scan_kernels, icm_dumplog

    assert (_scan_kernels._HALF_DAY, _scan_kernels._FULL_DAY, _scan_kernels._STAMP_DAYS) == (
        icm_dumplog._HALF_DAY_NS,
        icm_dumplog._DAY_NS,
        icm_dumplog._NS_DAYS,
    )
