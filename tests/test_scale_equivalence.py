"""The fast path (large files read in pieces, message text slimmed, perfmon streamed from disk)
gives the same findings as plain small-input runs.

What must be equal:

* chunked vs whole-file reading of the *same* files: ``findings.json`` byte for byte (the
  piece size is forced down to a few KiB so every log is read in dozens of pieces);
* perfmon scanned from the UTF-8 file vs the same text decoded in memory, and decoded block
  by block: equal but for the encoding named per input;
* the same data split into rotated parts (each log into 3 files overlapping by a few records,
  each dumplog part opened by its ``Events from`` line as dumplog writes it; each perfmon CSV into
  2 files with the header): everything except what names or counts files — ``inputs``, the
  per-host ``inputs`` count, and the ``source`` ("file:line") of signature signals. Incidents,
  times, signals, causes, confidences, evidence, remedies, config findings and warnings are equal.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from hbtriage.api import analyze, run
from hbtriage.catalog import load_catalog
from hbtriage.report.json_out import to_json
from hbtriage.sources import _lines as L
from hbtriage.sources import perfmon_csv
from hbtriage.sources.options import ReadOptions

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"

_CVP_START = re.compile(rb"^(?:[0-9]+: \S+: )?[A-Z][a-z]{2} +[0-9]{1,2} [0-9]{4} ")
_DUMP_START = re.compile(rb"^[0-9]{1,2}:[0-9]{2}:[0-9]{2}")
_DUMP_HEADER = re.compile(rb"^\s*Events from ")


def _run(bundle: Path, **options: Any) -> str:
    """findings.json of ``bundle``, read with the catalog's options changed by ``options``."""
    read_options = dataclasses.replace(load_catalog().read_options(), **options)
    return to_json(analyze([bundle], read_options=read_options))


@pytest.fixture(scope="module")
def whole() -> str:
    return _run(REFERENCE)


def test_chunked_logs_equal_whole_file(whole: str) -> None:
    assert _run(REFERENCE, chunk_bytes=16 * 1024) == whole


@pytest.mark.parametrize("chunk", [16 * 1024, 1 << 24])
def test_compiled_core_equals_whole_file(whole: str, chunk: int) -> None:
    """The compiled scanning core forced on for every file, in small pieces and whole."""
    assert _run(REFERENCE, chunk_bytes=chunk, compiled=True, compiled_min_bytes=0) == whole
    assert _run(REFERENCE, chunk_bytes=chunk, compiled=False) == whole


def _bom_copy(tmp_path: Path) -> Path:
    """The reference bundle with its perfmon CSVs saved with a UTF-8 BOM (as PowerShell and
    Excel save them), which sends them down the decoding paths."""
    bundle = tmp_path / REFERENCE.name
    shutil.copytree(REFERENCE, bundle)
    for csv in bundle.rglob("*_perfmon.csv"):
        csv.write_bytes(b"\xef\xbb\xbf" + csv.read_bytes())
    return bundle


def _without_encodings(findings: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(findings)
    for item in data["inputs"]:
        item.pop("encoding")
    return data


def test_perfmon_in_memory_and_in_blocks_equal_the_file_scan(
    whole: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same perfmon text decoded whole in memory, and decoded block by block (4 KiB
    blocks), gives the findings of the UTF-8 file scanned whole by polars."""
    bundle = _bom_copy(tmp_path)
    decoded_whole: list[str] = []
    real_parse_text = perfmon_csv.parse_text

    def parse_text(
        text: str, display: str, encoding: str | None = None, options: Any = None
    ) -> Any:
        decoded_whole.append(display)
        return real_parse_text(text, display, encoding, options)

    pieces: list[int] = []
    real_blocks = perfmon_csv._blocks

    def blocks(source: Any, header_idx: int) -> Any:
        for piece in real_blocks(source, header_idx):
            pieces.append(len(piece[0]))
            yield piece

    monkeypatch.setattr(perfmon_csv, "parse_text", parse_text)
    monkeypatch.setattr(perfmon_csv, "_blocks", blocks)
    in_memory = _run(bundle, stream_min_bytes=1 << 60)
    assert len(decoded_whole) == 2
    pieces.clear()
    in_blocks = _run(bundle, stream_min_bytes=64, block_bytes=4096)
    assert len(decoded_whole) == 2 and len(pieces) > 100
    assert _without_encodings(in_memory) == _without_encodings(whole)
    assert _without_encodings(in_blocks) == _without_encodings(whole)
    assert {i["encoding"] for i in json.loads(in_blocks)["inputs"] if "perfmon" in i["path"]} == {
        "utf-8-sig"
    }


def _split_log(path: Path, starts: re.Pattern[bytes], parts: int, overlap: int) -> None:
    """Rotate ``path`` into ``parts`` files cut at record starts, each repeating the last
    ``overlap`` records of the one before (dumplog parts get the latest date line first)."""
    lines = path.read_bytes().splitlines(keepends=True)
    rec = [i for i, ln in enumerate(lines) if starts.match(ln)]
    assert len(rec) > 3 * parts * overlap
    cuts = [rec[len(rec) * k // parts] for k in range(1, parts)]
    bounds = [0, *cuts, len(lines)]
    stem, suffix = path.name.rsplit(".", 1)
    for k in range(parts):
        lo, hi = bounds[k], bounds[k + 1]
        if k:  # the overlap rotation leaves: a few records of the previous part again
            lo = rec[rec.index(lo) - overlap]
        body = lines[lo:hi]
        header = [ln for ln in lines[:lo] if _DUMP_HEADER.match(ln)]
        if header and not _DUMP_HEADER.match(body[0]):
            body = [header[-1], *body]
        (path.parent / f"{stem}.part{k + 1}.{suffix}").write_bytes(b"".join(body))
    path.unlink()


def _split_perfmon(path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    head, rows = lines[0], lines[1:]
    mid = len(rows) // 2
    stem = path.name[: -len(".csv")]
    (path.parent / f"{stem}_a.csv").write_bytes(b"".join([head, *rows[: mid + 5]]))
    (path.parent / f"{stem}_b.csv").write_bytes(b"".join([head, *rows[mid:]]))
    path.unlink()


def _comparable(text: str) -> dict[str, Any]:
    doc = json.loads(text)
    doc.pop("inputs")
    for h in doc["hosts"]:
        h.pop("inputs")
    for inc in doc["incidents"]:
        for sig in inc["signals"]:
            sig.get("data", {}).pop("source", None)
    return doc


def test_rotated_parts_equal_whole(whole: str, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(REFERENCE, bundle)
    for p in sorted(bundle.rglob("*")):
        if p.name.endswith("_perfmon.csv"):
            _split_perfmon(p)
        elif p.name.startswith(("CVP.", "Error.")):
            if len(p.read_bytes().splitlines()) > 100:
                _split_log(p, _CVP_START, 3, 4)
        elif p.name == "pim1.txt":
            _split_log(p, _DUMP_START, 3, 4)
    names = sorted(p.name for p in bundle.rglob("*") if p.is_file())
    assert "pim1.part3.txt" in names and "CVP.2013-03-30.part3.log" in names
    split = _run(bundle)
    doc = json.loads(split)
    assert len(doc["inputs"]) == len(json.loads(whole)["inputs"]) + 2 + 2 + 1 + 1
    assert doc["incidents"], "the reference case has an incident"
    assert _comparable(split) == _comparable(whole)
    # The overlapping records were recognised as rotated copies: same events, same streams.
    a, b = run([REFERENCE]).timeline, run([bundle]).timeline
    assert b.events.height == a.events.height
    assert b.events.drop("source", "line").equals(a.events.drop("source", "line"))
    assert b.streams.equals(a.streams)


def test_rotated_parts_chunked_equal_whole(whole: str, tmp_path: Path) -> None:
    """Both at once: rotated parts, each read in small pieces."""
    bundle = tmp_path / "bundle"
    shutil.copytree(REFERENCE, bundle)
    _split_log(bundle / "PG1A" / "pim1.txt", _DUMP_START, 3, 2)
    _split_log(bundle / "CVP1" / "CVP.2013-03-30.log", _CVP_START, 3, 2)
    assert _comparable(_run(bundle, chunk_bytes=8 * 1024)) == _comparable(whole)


@pytest.mark.parametrize("size", [64, 1000, 1 << 20])
def test_line_chunks_cut_before_record_starts(tmp_path: Path, size: int) -> None:
    text = "".join(
        f"10:00:{i % 60:02d} pg1A-pim1 record {i}\n\tcontinued {i}\n" + ("\n" if i % 7 == 0 else "")
        for i in range(200)
    )
    path = tmp_path / "pim1.txt"
    path.write_bytes(("\ufeff" + text).encode("utf-8"))
    starts = r"[0-9]{2}:[0-9]{2}:[0-9]{2} "
    chunks = L.line_chunks(str(path), "utf-8", starts, ReadOptions(chunk_bytes=size))
    pieces = [("\n".join(f["text"]) + "\n", before, last) for f, _, before, last in chunks]
    assert "".join(p for p, _, _ in pieces) == text
    assert [last for _, _, last in pieces] == [False] * (len(pieces) - 1) + [True]
    seen = 0
    for piece, before, _ in pieces:
        assert before == seen
        assert re.match(r"[0-9]{2}:", piece), "every piece starts with a record"
        seen += piece.count("\n")
    if size < 1000:
        assert len(pieces) > 10
