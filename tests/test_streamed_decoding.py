"""Large files that need decoding are decoded block by block, never whole in memory, and give
exactly what decoding them whole gives.

* :class:`Utf8Stream` (``read`` and ``pieces``) equals ``decode(whole file)`` as UTF-8, for any
  text or bytes, any codec the readers meet and any block size (hypothesis);
* a perfmon CSV with a localized header (cp932), a UTF-8 BOM or in UTF-16, read block by block
  while decoding, or through a temporary UTF-8 copy when a row is bad, gives the same counters
  and warnings as the in-memory path, and leaves no temporary file behind;
* a UTF-16 log read block by block gives the same records and warnings as one decoded whole.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hbtriage.catalog import load_catalog
from hbtriage.sources import cvp_log, generic_log, icm_dumplog, perfmon_csv
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.encoding import Utf8Stream, decode
from hbtriage.sources.options import ReadOptions

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"

_CODECS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp932", "cp1252"]
_TEXT = st.text(
    alphabet=st.sampled_from(
        list('ab ,"\n\r\t0123456789:.') + ["\ufeff", "\x1f", "é", "日", "本", "ｱ", "€"]
    ),
    max_size=300,
)


def _expected(data: bytes, enc: str, boms: int, replace_1f: bool) -> bytes:
    text = decode(data, enc)
    while boms and text.startswith("\ufeff"):
        text, boms = text[1:], boms - 1
    if replace_1f:
        text = text.replace("\x1f", " ")
    return text.encode("utf-8")


def _stream_bytes(path: Path, enc: str, block: int, piece: int | None, **options: object) -> bytes:
    s = Utf8Stream(str(path), enc, block=block, **options)  # type: ignore[arg-type]
    if piece is None:
        out = b""
        while data := s.read(7):
            out += data
        return out
    parts = list(s.pieces(piece))
    for p in parts[:-1]:
        assert p.endswith(b"\n"), "every piece but the last ends at a line end"
    assert all(parts), "no empty piece"
    return b"".join(parts)


@settings(max_examples=300, deadline=None)
@given(
    text=_TEXT,
    enc=st.sampled_from(_CODECS),
    block=st.integers(1, 40),
    piece=st.one_of(st.none(), st.integers(1, 64)),
    boms=st.sampled_from([0, 1, 1 << 30]),
    replace_1f=st.booleans(),
)
def test_stream_equals_whole_decode_of_text(
    tmp_path_factory: pytest.TempPathFactory,
    text: str,
    enc: str,
    block: int,
    piece: int | None,
    boms: int,
    replace_1f: bool,
) -> None:
    data = text.encode(enc, errors="replace")
    path = tmp_path_factory.mktemp("s") / "x.txt"
    path.write_bytes(data)
    got = _stream_bytes(path, enc, block, piece, boms=boms, replace_1f=replace_1f)
    assert got == _expected(data, enc, boms, replace_1f)


@settings(max_examples=300, deadline=None)
@example(data=b"\n\xc2", enc="utf-8", block=1, piece=1)  # a character cut by the end of file
@example(data=b"\xef", enc="utf-8-sig", block=1, piece=None)  # a partial BOM alone
@example(data=b"\n\x00\xc2", enc="utf-8", block=1, piece=1)  # ... after a last line
@given(
    data=st.binary(max_size=200),
    enc=st.sampled_from(_CODECS),
    block=st.integers(1, 40),
    piece=st.one_of(st.none(), st.integers(1, 64)),
)
def test_stream_equals_whole_decode_of_any_bytes(
    tmp_path_factory: pytest.TempPathFactory,
    data: bytes,
    enc: str,
    block: int,
    piece: int | None,
) -> None:
    """Invalid and truncated sequences too: the replacement characters are the same."""
    path = tmp_path_factory.mktemp("b") / "x.bin"
    path.write_bytes(data)
    assert _stream_bytes(path, enc, block, piece, boms=1) == _expected(data, enc, 1, False)


# ---- perfmon --------------------------------------------------------------------------------


def _perfmon(path: Path, *, streamed: bool, monkeypatch: pytest.MonkeyPatch) -> ReadResult:
    options = ReadOptions(
        stream_min_bytes=64 if streamed else 1 << 60, block_bytes=4096, stream_block_bytes=1000
    )
    item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
    return perfmon_csv.PerfmonCsvReader().read(item, "", options)


def _leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("hbtriage-perfmon-*")}


def _variants(tmp_path: Path) -> list[Path]:
    """The real Japanese exports as they are (cp932, localized header), and re-encoded as
    UTF-16 (with BOM) and UTF-8 with a BOM; plus one with a bad row in the middle."""
    out = []
    for src in sorted((FIXTURES / "perfmon").glob("ja-cp932_TIERRA_*.csv")):
        raw = src.read_bytes()
        text = raw.decode("cp932")
        out.append(src)
        for enc, name in (("utf-16", "u16"), ("utf-8-sig", "bom")):
            p = tmp_path / f"{src.stem}.{name}.csv"
            p.write_bytes(text.encode(enc))
            out.append(p)
        lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
        lines.insert(len(lines) // 2, '"not a time","1","2"')
        bad = tmp_path / f"{src.stem}.bad.csv"
        bad.write_bytes("\r\n".join(lines).encode("cp932"))
        out.append(bad)
    return out


def test_perfmon_streamed_equals_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _leftovers()
    paths = _variants(tmp_path)
    assert len(paths) == 16
    for path in paths:
        whole = _perfmon(path, streamed=False, monkeypatch=monkeypatch)
        streamed = _perfmon(path, streamed=True, monkeypatch=monkeypatch)
        assert whole.counters is not None and streamed.counters is not None
        assert whole.counters.height > 0, path.name
        assert streamed.counters.equals(whole.counters), path.name
        assert (streamed.warnings, streamed.zone, streamed.encoding) == (
            whole.warnings,
            whole.zone,
            whole.encoding,
        ), path.name
        if path.name.endswith(".bad.csv"):
            assert any("row skipped" in w for w in streamed.warnings), streamed.warnings
    assert _leftovers() == before, "the temporary UTF-8 copy is removed"


def test_perfmon_streamed_never_holds_the_file(tmp_path: Path) -> None:
    """A 24 MB perfmon CSV with a Japanese header and a 24 MB UTF-16 one are read with the
    in-memory decode switched off: any attempt to read either whole fails the test."""
    header = '"(PDH-CSV 4.0) (東京 (標準時))(-540)","\\\\PG1A\\Processor(_Total)\\DPC Rate"\r\n'
    rows = "".join(
        f'"03/30/2013 {h:02d}:{m:02d}:{s:02d}.000","{(h * 3600 + m * 60 + s) % 7}"\r\n'
        for h in range(24)
        for m in range(60)
        for s in range(60)
    )
    body = header + rows * 6
    paths = []
    for enc in ("cp932", "utf-16"):
        p = tmp_path / f"big.{enc}.csv"
        p.write_bytes(body.encode(enc))
        paths.append((p, enc))

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("decoded whole in memory")

    with pytest.MonkeyPatch.context() as m:
        m.setattr(perfmon_csv, "parse_text", refuse)
        for p, enc in paths:
            assert p.stat().st_size > ReadOptions().stream_min_bytes
            item = InputFile(display=p.name, path=str(p), size=p.stat().st_size)
            res = perfmon_csv.PerfmonCsvReader().read(item, "")
            assert res.counters is not None
            assert res.counters.height == 6 * 86400, enc
            assert res.encoding == enc
            assert res.counters["value"].max() == 6.0


# ---- logs -----------------------------------------------------------------------------------


def _log(  # type: ignore[no-untyped-def]
    module,
    path: Path,
    enc: str,
    *,
    streamed: bool,
    monkeypatch: pytest.MonkeyPatch,
    core: bool = False,
):
    """``core``: the decoded stream's lines of the usual layouts converted by the compiled
    scanning core (:mod:`hbtriage.sources._scan`), whatever the file's size."""
    options = dataclasses.replace(
        load_catalog().read_options(),
        stream_min_bytes=64 if streamed else 1 << 60,
        chunk_bytes=16384,
        stream_block_bytes=4093,
        compiled=core,
        compiled_min_bytes=0,
    )
    item = InputFile(display=path.name, path=str(path), size=path.stat().st_size)
    return module.READER.read(item, enc, options)


@pytest.mark.parametrize(
    ("module", "src"),
    [
        (cvp_log, REFERENCE / "CVP1" / "CVP.2013-03-30.log"),
        (icm_dumplog, REFERENCE / "PG1A" / "pim1.txt"),
        (generic_log, FIXTURES / "loghub" / "Zookeeper_2k.log"),
    ],
)
@pytest.mark.parametrize("enc", ["utf-16", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("core", [False, True], ids=["polars", "compiled"])
def test_utf16_log_streamed_equals_whole(  # type: ignore[no-untyped-def]
    module, src: Path, enc: str, core: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / src.name
    text = src.read_text(encoding="utf-8")
    path.write_bytes(
        text.encode(enc) + ("\ufffd partial".encode(enc)[:-1] if "32" not in enc else b"")
    )
    whole = _log(module, path, enc, streamed=False, monkeypatch=monkeypatch)
    streamed = _log(module, path, enc, streamed=True, monkeypatch=monkeypatch, core=core)
    assert whole.events.height >= 5
    assert streamed.events.equals(whole.events)
    assert (streamed.host, streamed.stream, streamed.zone, streamed.warnings) == (
        whole.host,
        whole.stream,
        whole.zone,
        whole.warnings,
    )
