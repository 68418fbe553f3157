"""Logs the compiled core reads are mapped into memory piece by piece, not copied: the same
pieces, lines and records as when they are read; only files nothing writes to, on a local
file system; no mapping outlives its piece; a file cut short between two pieces is the usual
one-line error, not a crash.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.catalog import load_catalog
from hbtriage.errors import InputError
from hbtriage.sources import _lines as L
from hbtriage.sources import _scan, cvp_log, icm_dumplog
from hbtriage.sources.base import InputFile
from hbtriage.sources.options import ReadOptions

pytestmark = pytest.mark.usefixtures("core_loads")  # fails, never skips, without numba

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"
_START = r"[0-9]{2}:[0-9]{2}:[0-9]{2} "


@pytest.fixture(scope="module")
def local_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder on a file system whose files may be mapped; the tests of the mapped path need
    one (on Linux: ext4, xfs, btrfs, tmpfs, overlay...)."""
    folder = tmp_path_factory.mktemp("mapped")
    fs = L._fs_type(folder.stat().st_dev)
    assert fs in L._LOCAL_FS, (
        f"the temporary folder {folder} is on a {fs or 'unknown'} file system, where the reader "
        "never maps files: run the tests with TMPDIR on a local disk or tmpfs (Linux)"
    )
    return folder


def _pieces(path: Path, chunk: int, *, mapped: bool) -> Iterator[tuple[Any, bool]]:
    options = ReadOptions(chunk_bytes=chunk)
    for piece, last, _enc in L._byte_chunks(str(path), "utf-8", _START, options, mapped=mapped):
        yield piece, last


_LINE = st.one_of(
    st.builds(
        lambda h, m, s, text: f"{h:02d}:{m:02d}:{s:02d} {text}",
        st.integers(0, 23),
        st.integers(0, 59),
        st.integers(0, 59),
        st.text(alphabet="abc xyz:=-\t", max_size=40),
    ),
    st.text(alphabet="  continued\t", max_size=30),  # a continuation line
    st.text(alphabet="x", min_size=200, max_size=3000),  # longer than a small piece
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(_LINE, min_size=1, max_size=300),
    crlf=st.booleans(),
    end=st.sampled_from(["\n", "", "\r\n"]),
    chunk=st.integers(64, 5000),
)
def test_mapped_pieces_are_the_pieces_read(
    local_tmp: Path, lines: list[str], crlf: bool, end: str, chunk: int
) -> None:
    """Cut at the same places, byte for byte, at any piece size (so at any offset against the
    pages: a piece's mapping starts on the page its first byte is in)."""
    path = local_tmp / "x.log"
    path.write_text(("\r\n" if crlf else "\n").join(lines) + end, encoding="utf-8", newline="")
    read = [(bytes(p), last) for p, last in _pieces(path, chunk, mapped=False)]
    mapped = list(_pieces(path, chunk, mapped=True))
    if 0 < path.stat().st_size <= chunk:  # one piece: mapped, not read
        assert isinstance(mapped[0][0], memoryview)
    assert [(bytes(p), last) for p, last in mapped] == read
    assert b"".join(p for p, _last in read) == path.read_bytes()
    del mapped


def test_every_piece_of_a_log_is_mapped(local_tmp: Path) -> None:
    path = local_tmp / "every.log"
    path.write_bytes(b"".join(b"12:00:%02d line %d\n" % (i % 60, i) for i in range(20_000)))
    pieces = list(_pieces(path, 8192, mapped=True))
    assert len(pieces) > 20 and all(isinstance(p, memoryview) for p, _last in pieces)
    assert b"".join(p for p, _last in pieces) == path.read_bytes()
    assert [last for _p, last in pieces] == [False] * (len(pieces) - 1) + [True]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_mapped_piece_is_scanned_as_its_bytes(data: st.DataObject) -> None:
    """The core gives the same lines, fields and flags for a view of the bytes (what a mapped
    piece is) as for the bytes, in one part and cut into parts."""
    lines = data.draw(
        st.lists(
            st.sampled_from(
                [
                    "19:36:35:105 Trace: heartbeat missed",
                    "19:36:36:001 pim1 Trace: ok",
                    "  continued",
                    "",
                    "x" * 700,
                ]
            ),
            min_size=1,
            max_size=80,
        )
    )
    raw = ("\n".join(lines) + data.draw(st.sampled_from(["\n", ""]))).encode()
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=4))
    keep = load_catalog().read_options().keep_of("icm_dumplog")
    assert keep is not None
    ask = _scan.Ask("dumplog", _scan.literal_table(keep.literals), True)
    view = memoryview(raw)
    assert _scan.part_bounds(view, cuts) == _scan.part_bounds(raw, cuts)
    got, want = _scan.scan(view, True, ask, cuts=cuts), _scan.scan(raw, True, ask, cuts=cuts)
    assert (got is None) == (want is None)
    if got is not None and want is not None:
        assert got[0].equals(want[0])
        for a, b in zip(got[1].found, want[1].found, strict=True):
            assert (a == b).all()  # type: ignore[union-attr]


def _options(**more: Any) -> ReadOptions:
    return dataclasses.replace(
        load_catalog().read_options(), compiled=True, compiled_min_bytes=0, **more
    )


@pytest.mark.parametrize(
    ("module", "path"),
    [
        (cvp_log, REFERENCE / "CVP1" / "CVP.2013-03-30.log"),
        (icm_dumplog, REFERENCE / "PG1A" / "pim1.txt"),
    ],
)
@pytest.mark.parametrize("chunk", [16 * 1024, 1 << 24])
def test_a_mapped_log_reads_as_a_read_one_and_keeps_no_mapping(
    local_tmp: Path, module: Any, path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader's records and warnings are the same mapped and read; once read, no page of
    the file is mapped any more, though its records are still held (none of them points into
    the file's pages: a large file's pages would stay in memory to the end of the run)."""
    copy = local_tmp / path.name
    copy.write_bytes(path.read_bytes())
    item = InputFile(display=copy.name, path=str(copy), size=copy.stat().st_size)
    seen: list[bool] = []
    real = L._mapped

    def spy(fh: Any, start: int, end: int) -> memoryview | None:
        view = real(fh, start, end)
        seen.append(view is not None)
        return view

    monkeypatch.setattr(L, "_mapped", spy)
    mapped = module.READER.read(item, "utf-8", _options(chunk_bytes=chunk))
    assert seen and all(seen)
    gc.collect()
    assert str(copy) not in Path("/proc/self/maps").read_text(encoding="utf-8")
    seen.clear()
    monkeypatch.setenv("HBTRIAGE_MMAP", "0")
    read = module.READER.read(item, "utf-8", _options(chunk_bytes=chunk))
    assert not seen
    assert mapped.events.equals(read.events)
    assert (mapped.host, mapped.zone, mapped.warnings) == (read.host, read.zone, read.warnings)


def test_only_a_file_nothing_writes_to_is_mapped(
    local_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = local_tmp / "live.log"
    path.write_bytes(b"12:00:00 a\n" * 10)
    with open(path, "rb") as fh:
        assert L._mappable(fh, os.fstat(fh.fileno()))
        with open(path, "ab") as writer:  # a logger holds it open: it may be cut any moment
            assert not L._mappable(fh, os.fstat(fh.fileno()))
            writer.write(b"12:00:01 b\n")
        assert L._mappable(fh, os.fstat(fh.fileno()))  # (the lease was given back)
        monkeypatch.setenv("HBTRIAGE_MMAP", "0")
        assert not L._mappable(fh, os.fstat(fh.fileno()))
    with open("/proc/self/status", "rb") as proc:  # not a local disk's file
        assert not L._mappable(proc, os.fstat(proc.fileno()))


def test_a_live_log_is_read_not_mapped(local_tmp: Path) -> None:
    path = local_tmp / "live2.log"
    path.write_bytes(b"12:00:00 a\n" * 5000)
    with open(path, "ab"):
        pieces = [p for p, _last in _pieces(path, 4096, mapped=True)]
    assert pieces and all(isinstance(p, bytes) for p in pieces)


def test_a_mapped_file_cut_short_between_pieces_is_the_usual_error(local_tmp: Path) -> None:
    """The next piece is not mapped past the file's end (a page past it would stop the
    process): the file is read from there on, and its end missing is the one-line error."""
    path = local_tmp / "shrinks.log"
    path.write_bytes(b"".join(b"12:00:%02d line %d\n" % (i % 60, i) for i in range(5000)))
    size = path.stat().st_size
    pieces = _pieces(path, 4096, mapped=True)
    first, _last = next(pieces)
    assert isinstance(first, memoryview)
    del first  # (its pages are no longer mapped: cutting them off is harmless)
    gc.collect()
    os.truncate(path, 1000)
    with pytest.raises(InputError) as err:
        list(pieces)
    said = str(err.value)
    assert said.startswith("shrinks.log") or str(path) in said, said
    assert re.search(
        rf"got shorter \({size:,} bytes when reading began, none left after byte", said
    )
