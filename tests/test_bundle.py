"""Bundle collection: folders, zips, tars and compressed files (nested), and hostile archives
that must not escape."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import random
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_reference_case import _summary  # what the reference-case tests compare

from hbtriage import analyze
from hbtriage.cli import reference_bundle
from hbtriage.sources.bundle import LIMITS, Limits, collect, safe_member_path


def _zip(entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buf.getvalue()


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_hostile_zip_writes_nothing_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    bundle = outside / "evil.zip"
    bundle.write_bytes(
        _zip(
            {
                "../escape.txt": b"escaped",
                "../../escape2.txt": b"escaped",
                "/tmp/abs_escape.txt": b"escaped",
                "C:/Windows/evil.txt": b"escaped",
                "ok/CVP1/CVP.log": b"fine",
            },
            symlinks={"ok/link": "/etc/passwd"},
        )
    )
    before = _tree(tmp_path)
    got = collect([bundle], work)
    after_outside = _tree(tmp_path) - _tree(work) - {"work"}
    # Only the work folder gained files.
    assert {p for p in after_outside if not p.startswith("work")} == {
        p for p in before if not p.startswith("work")
    }
    assert not Path("/tmp/abs_escape.txt").exists()
    assert [f.display for f in got.files] == [f"{bundle}!ok/CVP1/CVP.log"]
    assert got.files[0].folder_hints == ["CVP1", "ok", "outside"]
    # One line per kind of refusal, however many members it concerns.
    assert got.warnings == [
        f"{bundle}: 4 members skipped: path would escape the extraction folder; "
        "first: ../escape.txt",
        f"{bundle}!ok/link: symbolic link not followed, skipped",
    ]
    # Nothing the user gave was modified.
    assert bundle.read_bytes().startswith(b"PK")


def _windows_zip(entries: dict[str, bytes], create_system: int) -> bytes:
    """A zip whose members are named as some Windows tools store them (``dir\\file``), marked
    as made on Windows (``create_system`` 0) or on Unix (3)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.create_system = create_system
            zf.writestr(info, data)
    return buf.getvalue()


@pytest.mark.parametrize("create_system", [0, 3])
def test_backslash_member_names_are_folders_and_never_escape(
    tmp_path: Path, create_system: int
) -> None:
    """``Case 123\\CVP1\\CVP.log`` is a file in two folders when the zip says it was made on
    Windows or the name has no ``/`` (it was one file of that long name); the escape guards
    hold for the backslash form: ``..\\``, a drive letter, a UNC or rooted name."""
    outside = tmp_path / "outside"
    outside.mkdir()
    work = tmp_path / "work"
    bundle = outside / "case.zip"
    escapes = {
        "..\\..\\win_escape.txt": b"escaped",
        "Case 123\\..\\..\\up.txt": b"escaped",
        "C:\\Windows\\evil.txt": b"escaped",
        "\\\\server\\share\\unc.txt": b"escaped",
        "\\rooted.txt": b"escaped",
    }
    folders = {"Case 123\\": b"", "Case 123\\CVP1\\": b""}  # folder entries, as Windows writes
    bundle.write_bytes(
        _windows_zip({**escapes, **folders, "Case 123\\CVP1\\CVP.log": b"fine\n"}, create_system)
    )
    before = _tree(tmp_path)
    got = collect([bundle], work)
    assert {p for p in _tree(tmp_path) if not p.startswith("work")} == before
    assert all(Path(f.path).resolve().is_relative_to(work.resolve()) for f in got.files)
    assert [f.display for f in got.files] == [f"{bundle}!Case 123/CVP1/CVP.log"]
    assert got.files[0].folder_hints[:3] == ["CVP1", "Case 123", "outside"]
    assert got.warnings == [
        f"{bundle}: 5 members skipped: path would escape the extraction folder; "
        "first: ..\\..\\win_escape.txt"
    ]


def test_backslash_in_a_unix_zip_name_with_folders_is_part_of_the_name(tmp_path: Path) -> None:
    """A zip made on Unix whose name has ``/`` folders: a ``\\`` is a character of a file name
    there (not a folder), yet the guards still refuse ``..\\`` in it."""
    bundle = tmp_path / "unix.zip"
    entries = {"CVP1/a\\b.log": b"x\n", "CVP1/..\\..\\up.txt": b"escaped"}
    bundle.write_bytes(_windows_zip(entries, create_system=3))
    got = collect([bundle], tmp_path / "work")
    assert [f.display for f in got.files] == [f"{bundle}!CVP1/a\\b.log"]
    assert Path(got.files[0].path).name == "a\\b.log"
    assert got.files[0].folder_hints[0] == "CVP1"
    assert got.warnings == [
        f"{bundle}!CVP1/..\\..\\up.txt: path would escape the extraction folder, skipped"
    ]


def test_nested_zip_and_folder_hints(tmp_path: Path) -> None:
    inner = _zip({"PG1A/pim1.txt": b"Events from March 30, 2013\n"})
    outer = tmp_path / "case.zip"
    outer.write_bytes(_zip({"inner.zip": inner, "CVP1/Error.log": b"x"}))
    work = tmp_path / "w"
    work.mkdir()
    got = collect([outer], work)
    names = sorted(f.display.split("!")[-1] for f in got.files)
    assert names == ["CVP1/Error.log", "PG1A/pim1.txt"]
    pim = next(f for f in got.files if f.display.endswith("pim1.txt"))
    assert pim.folder_hints[0] == "PG1A"
    assert Path(pim.path).read_bytes().startswith(b"Events from")


def test_zip_bomb_ratio_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.log", b"\0" * (40 * 1024 * 1024))
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(buf.getvalue())
    work = tmp_path / "w"
    work.mkdir()
    got = collect([bomb], work)
    assert got.files == []
    assert got.warnings == [
        f"{bomb}!big.log: expands more than 400× its compressed size (a decompression bomb?), "
        "skipped"
    ]
    assert got.written_bytes == 0  # refused on its header before anything was written


def test_damaged_zip_member_is_skipped_and_the_rest_collected(tmp_path: Path) -> None:
    """A member whose data fails its CRC, and one in a compression method Python cannot read
    (Deflate64, as Windows writes for large files), are each one warning; the other members
    are still collected."""
    good, bad, odd = b"ok line\n" * 100, b"B" * 5000, b"C" * 300
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("CVP1/bad.log", bad)
        zf.writestr("CVP1/good.log", good)
        zf.writestr("CVP1/odd.log", odd)
    data = bytearray(buf.getvalue())
    at = data.index(bad)
    data[at + 100] ^= 0xFF  # the stored bytes no longer match their CRC
    # Mark odd.log as Deflate64 (method 9) in its local header and its central directory entry.
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        pos = -1
        while (pos := data.find(sig, pos + 1)) >= 0:
            name_at = pos + (30 if sig == b"PK\x03\x04" else 46)
            if data[name_at : name_at + 11] == b"CVP1/odd.lo":
                method_at = pos + (8 if sig == b"PK\x03\x04" else 10)
                data[method_at : method_at + 2] = (9).to_bytes(2, "little")
    path = tmp_path / "bundle.zip"
    path.write_bytes(bytes(data))
    work = tmp_path / "w"
    work.mkdir()
    got = collect([path], work)
    assert [f.display for f in got.files] == [f"{path}!CVP1/good.log"]
    assert Path(got.files[0].path).read_bytes() == good
    assert len(got.warnings) == 2, got.warnings
    assert got.warnings[0].startswith(f"{path}!CVP1/bad.log: cannot be extracted (")
    assert got.warnings[1].startswith(f"{path}!CVP1/odd.log: cannot be extracted (")
    assert all(w.endswith(", skipped") for w in got.warnings)
    assert all("\n" not in w for w in got.warnings)
    assert _tree(work) == {"x0001", "x0001/CVP1", "x0001/CVP1/good.log"}


def test_folder_symlinks_not_followed(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "real.log").write_text("x")
    (tmp_path / "b" / "link.log").symlink_to("/etc/hostname")
    got = collect([tmp_path / "b"], tmp_path / "w")
    assert [f.display for f in got.files] == ["b/real.log"]
    assert got.files[0].folder_hints == []  # the bundle folder itself is not a host
    assert got.warnings == ["b/link.log: symbolic link not followed, skipped"]


def test_safe_member_path() -> None:
    assert safe_member_path("a/b.txt") is not None
    assert safe_member_path("./a/./b.txt") is not None
    for bad in ("../x", "a/../../x", "/abs", "\\\\server\\share", "C:\\x", "a\\..\\..\\x", ""):
        assert safe_member_path(bad) is None, bad


# --- tar, tar.gz/bz2/xz and single .gz/.bz2/.xz files ------------------------------------------


_Mode = Literal["w", "w:gz", "w:bz2", "w:xz"]


def _tar(
    entries: dict[str, bytes], mode: _Mode = "w:gz", specials: list[tarfile.TarInfo] | None = None
) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT) as tf:
        for info in specials or []:  # first, so that files can try to go through links
            tf.addfile(info)
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _special(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


_COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "gz": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
}


@pytest.mark.parametrize(
    ("suffix", "mode"),
    [
        (".tar", "w"),
        (".tar.gz", "w:gz"),
        (".tgz", "w:gz"),
        (".tar.bz2", "w:bz2"),
        (".tbz2", "w:bz2"),
        (".tar.xz", "w:xz"),
        (".txz", "w:xz"),
    ],
)
def test_tar_members_found_with_folder_hints(tmp_path: Path, suffix: str, mode: _Mode) -> None:
    user = tmp_path / "outside"
    user.mkdir()
    bundle = user / f"case{suffix}"
    bundle.write_bytes(
        _tar({"collected/CVP1/CVP.log": b"cvp\n", "collected/PG1A/pim1.txt": b"pim\n"}, mode)
    )
    before = bundle.read_bytes()
    got = collect([bundle], tmp_path / "work")
    assert [f.display for f in got.files] == [
        f"{bundle}!collected/CVP1/CVP.log",
        f"{bundle}!collected/PG1A/pim1.txt",
    ]
    assert [f.folder_hints for f in got.files] == [
        ["CVP1", "collected", "outside"],
        ["PG1A", "collected", "outside"],
    ]
    assert Path(got.files[1].path).read_bytes() == b"pim\n"
    assert got.files[1].size == 4
    assert got.warnings == []
    assert bundle.read_bytes() == before


@pytest.mark.parametrize("suffix", ["gz", "bz2", "xz"])
def test_single_compressed_file_is_decompressed_under_its_name(tmp_path: Path, suffix: str) -> None:
    (tmp_path / "bundle" / "CVP1").mkdir(parents=True)
    packed = tmp_path / "bundle" / "CVP1" / f"CVP.2013-03-30.log.{suffix}"
    packed.write_bytes(_COMPRESS[suffix](b"line one\nline two\n"))
    before = packed.read_bytes()
    got = collect([tmp_path / "bundle"], tmp_path / "work")
    assert [f.display for f in got.files] == [
        f"bundle/CVP1/CVP.2013-03-30.log.{suffix}!CVP.2013-03-30.log"
    ]
    only = got.files[0]
    assert only.folder_hints == ["CVP1"]
    assert Path(only.path).name == "CVP.2013-03-30.log"
    assert Path(only.path).read_bytes() == b"line one\nline two\n"
    assert Path(only.path).resolve().is_relative_to((tmp_path / "work").resolve())
    assert got.warnings == []
    assert packed.read_bytes() == before  # the user's file is left as it was


def test_tar_is_recognised_by_content_after_decompression(tmp_path: Path) -> None:
    # A tar.gz named like a plain .gz (syslog bundles are often handed over like this).
    odd = tmp_path / "logs.gz"
    odd.write_bytes(_tar({"PG1A/syslog": b"x\n"}))
    got = collect([odd], tmp_path / "work")
    assert [f.display for f in got.files] == [f"{odd}!PG1A/syslog"]
    assert got.files[0].folder_hints[0] == "PG1A"


def test_hostile_tar_writes_nothing_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    work = tmp_path / "work"
    bundle = outside / "evil.tar.gz"
    bundle.write_bytes(
        _tar(
            {
                "../escape.txt": b"escaped",
                "../../escape2.txt": b"escaped",
                "/tmp/hbtriage_abs_escape.txt": b"escaped",
                "C:/Windows/evil.txt": b"escaped",
                "..\\..\\win_escape.txt": b"escaped",
            },
            specials=[
                _special("ok/link", tarfile.SYMTYPE, "/etc"),
                _special("ok/hard", tarfile.LNKTYPE, "/etc/passwd"),
                _special("ok/dev", tarfile.CHRTYPE),
                _special("ok/fifo", tarfile.FIFOTYPE),
            ],
        )
    )
    # After the (refused) symlink, a file "through" it must land inside the work folder.
    through = outside / "through.tar"
    through.write_bytes(
        _tar(
            {"ok/link/through.txt": b"inside", "ok/CVP1/CVP.log": b"fine"},
            mode="w",
            specials=[_special("ok/link", tarfile.SYMTYPE, str(outside))],
        )
    )
    before = _tree(tmp_path)
    got = collect([bundle, through], work)
    assert {p for p in _tree(tmp_path) if not p.startswith("work")} == before
    assert not Path("/tmp/hbtriage_abs_escape.txt").exists()
    assert not any(p.is_symlink() for p in work.rglob("*"))
    assert all(Path(f.path).resolve().is_relative_to(work.resolve()) for f in got.files)
    assert [f.display for f in got.files] == [
        f"{through}!ok/link/through.txt",
        f"{through}!ok/CVP1/CVP.log",
    ]
    # One line per kind of refusal in each archive, naming the first member of that kind.
    assert sorted(got.warnings) == sorted(
        [
            f"{bundle}: 5 members skipped: path would escape the extraction folder; "
            "first: ../escape.txt",
            f"{bundle}!ok/link: symbolic link not followed, skipped",
            f"{bundle}!ok/hard: hard link not followed, skipped",
            f"{bundle}: 2 members skipped: device or FIFO, not a regular file; first: ok/dev",
            f"{through}!ok/link: symbolic link not followed, skipped",
        ]
    )


def test_tar_member_longer_than_its_header(tmp_path: Path) -> None:
    # The header of a.log says 10 bytes; 2000 follow. Only the declared 10 may be written, and the
    # rest (read where the next header should be) is reported as damage, not silently dropped.
    raw = bytearray(_tar({"a.log": b"A" * 2000, "b.log": b"b"}, mode="w"))
    first = next(i for i in range(0, len(raw), 512) if raw[i : i + 5] == b"a.log")
    raw[first + 124 : first + 136] = b"%011o\0" % 10
    raw[first + 148 : first + 156] = b" " * 8
    raw[first + 148 : first + 156] = b"%06o\0 " % sum(raw[first : first + 512])
    crafted = tmp_path / "crafted.tar"
    crafted.write_bytes(bytes(raw))
    got = collect([crafted], tmp_path / "work")
    assert [(f.display, f.size) for f in got.files] == [(f"{crafted}!a.log", 10)]
    assert Path(got.files[0].path).read_bytes() == b"A" * 10
    assert len(got.warnings) == 1
    assert got.warnings[0] == (
        f"{crafted}: the tar archive ends early or is damaged after 1 member(s) (cut short?): "
        "those were read, the rest is missing (damaged header: invalid header)"
    )


def test_tar_member_stream_longer_than_its_header_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tarfile itself stops at the declared size; the bounded copy is the second line of defence.
    def lying(self: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
        return io.BytesIO(b"x" * (member.size + 5))

    bundle = tmp_path / "case.tar"
    bundle.write_bytes(_tar({"a.log": b"12345"}, mode="w"))
    monkeypatch.setattr(tarfile.TarFile, "extractfile", lying)
    got = collect([bundle], tmp_path / "work")
    assert got.files == []
    assert got.warnings == [f"{bundle}!a.log: larger than its header says, skipped"]
    assert not [p for p in (tmp_path / "work").rglob("*") if p.is_file()]


@pytest.mark.parametrize("where", ["middle", "gzip trailer"])
def test_truncated_tar_gz_keeps_the_members_before_the_damage(tmp_path: Path, where: str) -> None:
    data = _tar(
        {
            "CVP1/first.log": b"first\n",
            "CVP1/big.bin": random.Random(1).randbytes(300_000),  # incompressible
            "CVP1/last.log": b"last\n",
        }
    )
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: len(data) // 2] if where == "middle" else data[:-4])
    work = tmp_path / "work"
    got = collect([cut], work)
    names = [f.display.split("!")[1] for f in got.files]
    if where == "middle":
        assert names == ["CVP1/first.log"]
        # The member cut in two is not left behind half-written.
        assert sorted(p.name for p in work.rglob("*") if p.is_file()) == ["first.log"]
    else:
        assert names == ["CVP1/first.log", "CVP1/big.bin", "CVP1/last.log"]
    assert len(got.warnings) == 1
    # (was "not a readable tar archive (...)", said of an archive whose members were read)
    assert got.warnings[0].startswith(
        f"{cut}: the tar archive ends early or is damaged after {len(names)} member(s) (cut "
        "short?): those were read, the rest is missing ("
    )
    assert "\n" not in got.warnings[0]


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_a_compressed_log_cut_short_is_read_up_to_the_cut(
    tmp_path: Path, compress: Callable[[bytes], bytes]
) -> None:
    """A rotated log copied halfway (CVP.log.1.gz cut short): nothing of it was read ("not a
    readable gzip file"), though all its lines up to the cut are there. They are read, and one
    line says the file is cut short. (bzip2 decompresses whole blocks of 900 kB: the log
    spans several.)"""
    lines = b"".join(
        b"2013-03-30 19:36:%02d.%03d heartbeat %d\n" % (i % 60, i % 1000, i) for i in range(200_000)
    )
    data = compress(lines)
    suffix = {"gzip": "gz", "bz2": "bz2", "lzma": "xz"}[compress.__module__]
    cut = tmp_path / f"CVP.log.1.{suffix}"
    cut.write_bytes(data[: len(data) // 2])
    got = collect([cut], tmp_path / "work")
    (kept,) = got.files
    text = Path(kept.path).read_bytes()
    assert len(text) > len(lines) // 4 and lines.startswith(text)
    (said,) = got.warnings
    kind = {"gzip": "gzip", "bz2": "bzip2", "lzma": "xz"}[compress.__module__]
    assert said.startswith(
        f"{cut}: the {kind} file ends before its end-of-stream marker (cut short?): the "
    )
    assert said.endswith("it holds up to the cut are read; its last line may be cut in two")


def test_corrupt_gz_is_skipped_with_one_warning(tmp_path: Path) -> None:
    bad = tmp_path / "syslog.2.gz"
    bad.write_bytes(gzip.compress(b"x" * 5000)[:20] + b"\xff" * 50)
    work = tmp_path / "work"
    got = collect([bad], work)
    assert got.files == []
    assert len(got.warnings) == 1
    assert got.warnings[0].startswith(f"{bad}: not a readable gzip file (")
    assert not [p for p in work.rglob("*") if p.is_file()]  # the partial output is gone


def test_decompression_bomb_and_size_limits(tmp_path: Path) -> None:
    bomb = tmp_path / "PG1A_perfmon.csv.gz"
    bomb.write_bytes(gzip.compress(b"\0" * 3_000_000))  # ~3 KB -> 3 MB: ratio ~1000
    fine = tmp_path / "small.log.gz"
    fine.write_bytes(gzip.compress(b"a" * 5000))
    work = tmp_path / "work"
    got = collect([bomb], work, limits=Limits(ratio_free_bytes=4096, ratio=20))
    assert got.files == []
    assert got.warnings == [
        f"{bomb}: expands more than 20× its compressed size (a decompression bomb?), skipped"
    ]
    assert not [p for p in work.rglob("*") if p.is_file()]

    big_tar = tmp_path / "big.tar.gz"
    big_tar.write_bytes(_tar({"a/big.log": b"y" * 5000, "a/ok.log": b"ok"}))
    got = collect([fine, big_tar], tmp_path / "work2", limits=Limits(entry_bytes=1000))
    assert [f.display.split("!")[-1] for f in got.files] == ["a/ok.log"]
    assert got.warnings == [
        f"{fine}: over the per-file cap of 1,000 bytes, skipped",
        f"{big_tar}!a/big.log: over the per-file cap of 1,000 bytes, skipped",
    ]

    limits = Limits(entry_bytes=10_000, total_bytes=7000)
    got = collect([big_tar, fine], tmp_path / "work3", limits=limits)
    assert [f.display.split("!")[-1] for f in got.files] == ["a/big.log", "a/ok.log"]
    assert got.warnings == [
        f"{fine}: the cap of 6.8 KiB extracted per bundle reached; extraction stopped"
    ]


def test_nested_tar_gz_in_zip_and_gz_in_tar(tmp_path: Path) -> None:
    inner_tar = _tar(
        {"PG1A/pim1.txt": b"Events from March 30, 2013\n", "CVP1/CVP.log.gz": gzip.compress(b"c")}
    )
    outer = tmp_path / "case.zip"
    outer.write_bytes(_zip({"upload/inner.tar.gz": inner_tar, "CVP1/Error.log": b"x"}))
    got = collect([outer], tmp_path / "work")
    by_display = {f.display: f for f in got.files}
    assert set(by_display) == {
        f"{outer}!upload/inner.tar.gz!PG1A/pim1.txt",
        f"{outer}!upload/inner.tar.gz!CVP1/CVP.log.gz!CVP.log",
        f"{outer}!CVP1/Error.log",
    }
    pim = by_display[f"{outer}!upload/inner.tar.gz!PG1A/pim1.txt"]
    assert pim.folder_hints == ["PG1A", "upload", tmp_path.name]
    cvp = by_display[f"{outer}!upload/inner.tar.gz!CVP1/CVP.log.gz!CVP.log"]
    assert cvp.folder_hints == ["CVP1", "upload", tmp_path.name]
    assert Path(cvp.path).read_bytes() == b"c"
    assert got.warnings == []


def test_compressed_nesting_depth_is_capped(tmp_path: Path) -> None:
    data = b"deep\n"
    for _ in range(LIMITS.depth + 1):
        data = gzip.compress(data)
    path = tmp_path / ("onion.log" + ".gz" * (LIMITS.depth + 1))
    path.write_bytes(data)
    got = collect([path], tmp_path / "work")
    assert got.files == []
    assert len(got.warnings) == 1
    assert f"gzip nested deeper than {LIMITS.depth} levels" in got.warnings[0]


def test_reference_case_as_tar_gz_and_as_gz_files_gives_the_same_findings(tmp_path: Path) -> None:
    ref = reference_bundle()
    plain = analyze([ref])
    assert [s[3:] for s in _summary(plain)] == [("dpc_storm", "CVP1")]

    packed = tmp_path / "case.tar.gz"
    with tarfile.open(packed, "w:gz") as tf:
        for p in sorted(ref.rglob("*")):
            if p.is_file():
                tf.add(p, "collected/" + str(p.relative_to(ref)))
    from_tar = analyze([packed])
    assert _summary(from_tar) == _summary(plain)
    assert {i.host for i in from_tar.inputs} == {"PG1A", "CVP1"}
    assert from_tar.warnings == []

    # Every file gzipped on its own, in its host folder (logrotate style).
    gz_root = tmp_path / "gz"
    for p in ref.rglob("*"):
        if p.is_file():
            dst = gz_root / p.relative_to(ref).parent / (p.name + ".gz")
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(gzip.compress(p.read_bytes()))
    from_gz = analyze([gz_root])
    assert _summary(from_gz) == _summary(plain)
    assert {i.host for i in from_gz.inputs} == {"PG1A", "CVP1"}


_NAME_PARTS = st.sampled_from(["..", ".", "/", "\\", ":", "C:", "a", "é", "日本", "\u202e", " "])
_member_name = st.lists(
    _NAME_PARTS | st.text(st.characters(codec="utf-8", exclude_characters="\0")),
    min_size=1,
    max_size=8,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    members=st.lists(
        st.tuples(
            _member_name, st.sampled_from([tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.DIRTYPE])
        ),
        min_size=1,
        max_size=6,
    ),
    mode=st.sampled_from(["w", "w:gz"]),
)
def test_property_tar_member_names_never_escape(
    members: list[tuple[str, bytes]], mode: _Mode
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "user").mkdir()
        bundle = root / "user" / ("case.tar.gz" if mode == "w:gz" else "case.tar")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT) as tf:
            for n, (name, kind) in enumerate(members):
                info = tarfile.TarInfo(name)
                info.type = kind
                data = f"member {n}\n".encode() if kind == tarfile.REGTYPE else b""
                info.size = len(data)
                info.linkname = "../../.." if kind == tarfile.SYMTYPE else ""
                tf.addfile(info, io.BytesIO(data))
        bundle.write_bytes(buf.getvalue())
        work = root / "work"
        got = collect([bundle], work)  # never raises
        outside = {p for p in _tree(root) if p != "work" and not p.startswith("work/")}
        assert outside == {"user", f"user/{bundle.name}"}
        for p in work.rglob("*"):
            assert not p.is_symlink()
            assert p.resolve().is_relative_to(work.resolve())
        for f in got.files:
            assert Path(f.path).resolve().is_relative_to(work.resolve())


def test_extracted_file_count_is_capped(tmp_path: Path) -> None:
    """A tar (or zip, or many .gz) of countless small files: after Limits.files extracted files
    the rest of the bundle's archives are skipped with one warning, whatever the archive type."""
    tar_path = tmp_path / "many.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tf:
        for i in range(8):
            info = tarfile.TarInfo(f"logs/f{i}.log")
            data = f"line {i}\n".encode()
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    (tmp_path / "more.zip").write_bytes(_zip({f"z{i}.log": b"x\n" for i in range(4)}))
    (tmp_path / "one.log.gz").write_bytes(gzip.compress(b"y\n"))
    (tmp_path / "plain.log").write_bytes(b"z\n")
    work = tmp_path / "w"
    work.mkdir()
    got = collect(
        [
            tmp_path / "many.tar.gz",
            tmp_path / "more.zip",
            tmp_path / "one.log.gz",
            tmp_path / "plain.log",
        ],
        work,
        limits=Limits(files=5),
    )
    extracted = [f for f in got.files if "!" in f.display]
    assert len(extracted) == 5
    assert [f.display for f in got.files if "!" not in f.display] == [str(tmp_path / "plain.log")]
    assert got.warnings == [
        f"{tmp_path / 'many.tar.gz'}: 5 files already extracted from archives; extraction "
        f"stopped; not extracted: 2 more archives (first: {tmp_path / 'more.zip'})"
    ]
    assert sum(1 for p in work.rglob("*") if p.is_file()) == 5
