"""7z archives are read like zips and tars (issue: what users attach): the same member checks,
caps, refusals and folder hints, through the one member-writing path of ``bundle.py``. The
archives are real 7z files written by py7zr (hostile names through its low-level writer, as a
hand-made archive would hold them), and one real damaged 7z from libarchive's test suite
(tests/fixtures/archives/SOURCES.md).

Caps are lowered through :class:`Limits`, never by patching the module."""

from __future__ import annotations

import binascii
import io
import os
import tempfile
import zipfile
from pathlib import Path

import py7zr
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bundle_hostile import _zip
from test_bundle_members import LIMITS, MEMBERS, SHARED_WARNINGS, _in_work

from hbtriage.sources.bundle import Limits, collect

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "archives"


def _7z(entries: list[tuple[str, bytes]], password: str | None = None) -> bytes:
    """A 7z of ``entries`` as named (py7zr's public writestr refuses hostile names; its
    low-level writer stores any name, as a hand-made archive can)."""
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", password=password) as z:
        for name, data in entries:
            z._writestr(data, name)
    return buf.getvalue()


def _real_damaged_7z() -> bytes:
    text = (FIXTURES / "malformed_header_toobig.7z.uu").read_text()
    lines = [ln for ln in text.splitlines()[1:] if ln not in ("`", "end")]
    return b"".join(binascii.a2b_uu(ln) for ln in lines)


def _relative(got_files: list, archive: Path) -> list[tuple[str, list[str]]]:
    return [(f.display.split("!", 1)[1], f.folder_hints) for f in got_files]


def test_7z_members_are_read_with_the_folder_hints_of_a_zip(tmp_path: Path) -> None:
    entries = [
        ("case/PG1A/pim1.txt", b"Events from March 30, 2013\n"),
        ("case/CVP1/CVP.2013-03-30.log", b"x\n"),
        ("case/CVP1/empty.log", b""),
    ]
    seven = tmp_path / "SR 123 logs.7z"
    seven.write_bytes(_7z(entries))
    zipped = tmp_path / "SR 123 logs.zip"
    zipped.write_bytes(_zip(entries))

    got_7z = collect([seven], tmp_path / "w7")
    got_zip = collect([zipped], tmp_path / "wz")

    assert got_7z.warnings == []
    assert sorted(_relative(got_7z.files, seven)) == sorted(_relative(got_zip.files, zipped))
    assert ("case/PG1A/pim1.txt", ["PG1A", "case", tmp_path.name]) in _relative(got_7z.files, seven)
    assert {f.size for f in got_7z.files} == {27, 2, 0}
    # The user's archive is left as it was.
    assert seven.read_bytes().startswith(b"7z\xbc\xaf\x27\x1c")


def test_a_renamed_7z_is_still_read_by_its_content(tmp_path: Path) -> None:
    renamed = tmp_path / "logs.bin"
    renamed.write_bytes(_7z([("CVP1/CVP.log", b"x\n")]))
    got = collect([renamed], tmp_path / "w")
    assert [f.display for f in got.files] == [f"{renamed}!CVP1/CVP.log"]


def test_hostile_7z_writes_nothing_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    work = tmp_path / "work"
    evil = outside / "evil.7z"
    evil.write_bytes(
        _7z(
            [
                ("../escape.txt", b"escaped"),
                ("../../escape2.txt", b"escaped"),
                ("/tmp/abs_escape_h34.txt", b"escaped"),
                ("C:\\Windows\\evil.txt", b"escaped"),
                ("..\\up.txt", b"escaped"),
                ("ok/CVP1/CVP.log", b"fine"),
            ]
        )
    )
    before = sorted(p.name for p in outside.rglob("*"))
    got = collect([evil], work)
    assert sorted(p.name for p in outside.rglob("*")) == before
    assert not Path("/tmp/abs_escape_h34.txt").exists()
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "up.txt").exists()
    assert [f.display for f in got.files] == [f"{evil}!ok/CVP1/CVP.log"]
    assert got.files[0].folder_hints == ["CVP1", "ok", "outside"]
    # One line for the five refusals of one kind.
    assert got.warnings == [
        f"{evil}: 5 members skipped: path would escape the extraction folder; first: ../escape.txt"
    ]


def test_7z_links_are_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "CVP1").mkdir(parents=True)
    (src / "CVP1" / "CVP.log").write_bytes(b"x\n")
    os.symlink("/etc/passwd", src / "CVP1" / "passwd")
    archive = tmp_path / "links.7z"
    with py7zr.SevenZipFile(archive, "w") as z:
        z.writeall(src, arcname="case")
    got = collect([archive], tmp_path / "w")
    assert [f.display for f in got.files] == [f"{archive}!case/CVP1/CVP.log"]
    assert got.warnings == [f"{archive}!case/CVP1/passwd: symbolic link not followed, skipped"]


def test_7z_and_zip_refuse_the_same_hostile_members_alike(tmp_path: Path) -> None:
    """The members of test_bundle_members: duplicate, file-then-folder, 5,000-byte path and a
    bomb. A 7z written by py7zr is solid (one compressed stream, as a compressed tar): the
    bomb is refused by its declared size, and decoding through it to the member after it
    stops the archive, counted against the archive's own budget."""
    seven = tmp_path / "case.7z"
    seven.write_bytes(_7z(MEMBERS))
    got = collect([seven], tmp_path / "work", limits=LIMITS)

    assert [f.display for f in got.files] == [f"{seven}!a.log", f"{seven}!x", f"{seven}!ok.log"]
    assert _in_work(tmp_path / "work") == {"a.log": b"first\n", "x": b"x\n", "ok.log": b"ok\n"}
    assert got.warnings[-1] == (
        f"{seven}: expands to more than 10× its size of {seven.stat().st_size} bytes, archives "
        "inside it counted (a decompression bomb?); extraction stopped; 1 more member not "
        "extracted"
    )
    # The refusals a zip gives, worded alike (those found in the header come first).
    assert sorted(got.warnings[:-1]) == sorted(
        [
            *(w.format(A=seven) for w in SHARED_WARNINGS),
            f"{seven}!zeros.bin: expands more than 10× its compressed size (a decompression "
            "bomb?), skipped",
        ]
    )
    assert got.extracted_bytes == sum(len(d) for d in _in_work(tmp_path / "work").values())


def test_7z_caps_per_member_file_count_and_total(tmp_path: Path) -> None:
    seven = tmp_path / "many.7z"
    seven.write_bytes(_7z([(f"logs/f{i}.log", b"y" * 600) for i in range(6)]))
    got = collect([seven], tmp_path / "w1", limits=Limits(entry_bytes=500))
    assert got.files == []
    assert got.warnings == [
        f"{seven}: 6 members skipped: over the per-file cap of 500 bytes; first: logs/f0.log"
    ]

    got = collect([seven], tmp_path / "w2", limits=Limits(files=4))
    assert len(got.files) == 4
    assert got.warnings == [
        f"{seven}: 4 files already extracted from archives; extraction stopped; "
        "not extracted: 1 more member"
    ]

    got = collect([seven], tmp_path / "w3", limits=Limits(total_bytes=1500))
    assert len(got.files) == 2
    assert got.warnings[0].startswith(f"{seven}!logs/f2.log: the cap of 1.5 KiB extracted")
    assert sum(p.stat().st_size for p in (tmp_path / "w3").rglob("*") if p.is_file()) == 1200


@pytest.mark.parametrize("header_encryption", [False, True])
def test_an_encrypted_7z_is_one_line(tmp_path: Path, header_encryption: bool) -> None:
    archive = tmp_path / "secret.7z"
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", password="s3cret", header_encryption=header_encryption) as z:
        z.writestr(b"x\n", "CVP1/CVP.log")
    archive.write_bytes(buf.getvalue())
    got = collect([archive], tmp_path / "w")
    assert got.files == []
    assert got.warnings == [
        f"{archive}: encrypted 7z archive (it needs a password, which hbtriage does not take): "
        "extract it with 7-Zip and give hbtriage the folder"
    ]


def test_7z_in_a_zip_and_zip_in_a_7z(tmp_path: Path) -> None:
    inner_zip = _zip([("PG1A/pim1.txt", b"Events from March 30, 2013\n")])
    inner_7z = _7z([("CVP1/CVP.log", b"c\n")])
    outer = tmp_path / "outer.7z"
    outer.write_bytes(_7z([("case/pg.zip", inner_zip), ("case/cvp.7z", inner_7z)]))
    wrapped = tmp_path / "wrapped.zip"
    with zipfile.ZipFile(wrapped, "w") as zf:
        zf.writestr("sub/outer.7z", outer.read_bytes())
    got = collect([wrapped], tmp_path / "w")
    assert got.warnings == []
    assert sorted((f.display.split("!", 1)[1], f.folder_hints) for f in got.files) == [
        ("sub/outer.7z!case/cvp.7z!CVP1/CVP.log", ["CVP1", "case", "sub", tmp_path.name]),
        ("sub/outer.7z!case/pg.zip!PG1A/pim1.txt", ["PG1A", "case", "sub", tmp_path.name]),
    ]


def test_a_real_damaged_7z_is_one_warning_and_the_rest_is_read(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.7z"
    damaged.write_bytes(_real_damaged_7z())
    plain = tmp_path / "CVP.log"
    plain.write_bytes(b"x\n")
    got = collect([damaged, plain], tmp_path / "w")
    assert [f.display for f in got.files] == [str(plain)]
    assert got.warnings == [f"{damaged}: not a readable 7z archive (invalid header data)"]


def test_a_7z_cut_short_keeps_nothing_damaged(tmp_path: Path) -> None:
    whole = _7z([("a.log", b"a" * 5000), ("b.log", os.urandom(5000))])
    cut = tmp_path / "cut.7z"
    cut.write_bytes(whole[: len(whole) // 2])
    got = collect([cut], tmp_path / "w")
    assert len(got.warnings) == 1 and got.warnings[0].startswith(f"{cut}")
    for f in got.files:  # whatever is kept is whole
        assert Path(f.path).stat().st_size == 5000


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=600), st.integers(min_value=0, max_value=400))
def test_property_damaged_7z_never_raises_nor_writes_outside(
    tmp_path: Path, noise: bytes, at: int
) -> None:
    good = bytearray(_7z([("CVP1/CVP.log", b"line\n" * 40), ("PG1A/x.txt", b"y")]))
    at = min(at, len(good))
    damaged = bytes(good[:at]) + noise + bytes(good[at + len(noise) :])
    case = Path(tempfile.mkdtemp(dir=tmp_path))
    (case / "x.7z").write_bytes(b"7z\xbc\xaf\x27\x1c" + damaged[6:])
    work = case / "work"
    got = collect([case / "x.7z"], work)
    assert all(Path(f.path).is_relative_to(work) for f in got.files)
    assert sorted(p.name for p in case.iterdir()) in (["x.7z"], ["work", "x.7z"])
    assert len(got.warnings) <= 3


def test_a_bundle_as_7z_gives_the_findings_of_its_folder(tmp_path: Path) -> None:
    """Through the CLI: the simulated case, folder vs the same folders packed in one 7z."""
    import json

    from typer.testing import CliRunner

    from hbtriage.cli import app

    runner = CliRunner()
    case = tmp_path / "case"
    assert runner.invoke(app, ["simulate", "dpc_storm_cvp", "--out", str(case)]).exit_code == 0
    (case / "truth.json").unlink()
    packed = tmp_path / "SR 123456789 - logs.7z"
    with py7zr.SevenZipFile(packed, "w") as z:
        z.writeall(case, arcname="case")

    def verdict(target: Path, out: Path) -> list:
        res = runner.invoke(app, ["analyze", str(target), "--out", str(out), "--quiet"])
        assert res.exit_code == 0, res.output
        found = json.loads((out / "findings.json").read_text())
        hosts = sorted(h["name"] for h in found["hosts"])
        causes = [[(c["id"], c["host"]) for c in i["causes"]] for i in found["incidents"]]
        return [hosts, causes, [w for w in found["warnings"] if "7z" in w]]

    assert verdict(packed, tmp_path / "o7") == verdict(case, tmp_path / "od")
    assert verdict(packed, tmp_path / "o7")[1], "the case has an incident"
