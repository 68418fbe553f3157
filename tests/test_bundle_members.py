"""Zip and tar members go through one member-writing path: the same hostile member set gives the
same files in the work folder and the same warnings, whichever archive holds it. The one
difference is by design: a zip member has a compressed size of its own, so a member over the
ratio cap is refused alone; a compressed tar has none, so its stream is stopped at that member.

Caps are lowered through :class:`Limits`, never by patching the module."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from test_bundle_hostile import _tar, _zip  # the archive builders of the hostile-bundle tests

from hbtriage.sources.bundle import Limits, collect

KiB = 1024
MiB = 1024**2

LIMITS = Limits(ratio=10, ratio_free_bytes=64 * KiB)

#: 24 folders of 200 letters and a 176-byte name: 5,000 bytes, each name under 255.
LONG = "/".join(chr(97 + i) * 200 for i in range(24)) + "/" + "f" * 172 + ".log"
LONG_SHOWN = f"{LONG[:100]}…{LONG[-40:]} (5,000 characters)"

#: A duplicate name, a file then a folder of that name, a 5,000-byte path, a member that
#: expands far more than the ratio cap, and a member after them all.
MEMBERS = [
    ("a.log", b"first\n"),
    ("a.log", b"second\n"),
    ("x", b"x\n"),
    ("x/y.log", b"y\n"),
    (LONG, b"long\n"),
    ("ok.log", b"ok\n"),
    ("zeros.bin", bytes(MiB)),
    ("last.log", b"last\n"),
]

#: What both give for the members that are not a bomb, ``{A}`` the archive as the user named it.
SHARED_WARNINGS = [
    "{A}!a.log: same name as a member extracted before it (the first kept), skipped",
    "{A}!x/y.log: one of its folders is a file extracted before it (kept), skipped",
    "{A}!" + LONG_SHOWN + ": path longer than 4,096 bytes, skipped",
]


def _in_work(work: Path) -> dict[str, bytes]:
    """Every file left in the work folder, by its path below the archive's own folder."""
    return {
        "/".join(p.relative_to(work).parts[1:]): p.read_bytes()
        for p in sorted(work.rglob("*"))
        if p.is_file()
    }


@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")  # zipfile's, while building
@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz"])
def test_zip_and_tar_refuse_the_same_hostile_members_alike(
    tmp_path: Path, mode: Literal["w:gz", "w:bz2", "w:xz"]
) -> None:
    zipped = tmp_path / "case.zip"
    zipped.write_bytes(_zip(MEMBERS))
    tarred = tmp_path / f"case.tar.{mode[2:]}"
    tarred.write_bytes(_tar(MEMBERS, mode))

    got_zip = collect([zipped], tmp_path / "work-zip", limits=LIMITS)
    got_tar = collect([tarred], tmp_path / "work-tar", limits=LIMITS)

    # The zip: each hostile member refused alone, the rest (``last.log`` too) extracted.
    assert [f.display for f in got_zip.files] == [
        f"{zipped}!a.log",
        f"{zipped}!x",
        f"{zipped}!ok.log",
        f"{zipped}!last.log",
    ]
    assert _in_work(tmp_path / "work-zip") == {
        "a.log": b"first\n",
        "x": b"x\n",
        "ok.log": b"ok\n",
        "last.log": b"last\n",
    }
    assert got_zip.warnings == [
        *(w.format(A=zipped) for w in SHARED_WARNINGS),
        f"{zipped}!zeros.bin: expands more than 10× its compressed size (a decompression "
        "bomb?), skipped",
    ]

    # The tar: the same files and warnings up to the bomb, which stops the stream.
    assert [f.display for f in got_tar.files] == [
        f"{tarred}!a.log",
        f"{tarred}!x",
        f"{tarred}!ok.log",
    ]
    assert _in_work(tmp_path / "work-tar") == {"a.log": b"first\n", "x": b"x\n", "ok.log": b"ok\n"}
    assert len(got_tar.warnings) == 4, got_tar.warnings
    stop, *shared = got_tar.warnings
    assert stop.startswith(f"{tarred}: expands more than 10× (")
    assert stop.endswith("read; a decompression bomb?); extraction stopped after 3 files")
    assert shared == [w.format(A=tarred) for w in SHARED_WARNINGS]

    # Nothing but the members kept was written: the refused ones left no file behind.
    assert got_zip.extracted_bytes == sum(len(d) for d in _in_work(tmp_path / "work-zip").values())
    assert got_tar.extracted_bytes == sum(len(d) for d in _in_work(tmp_path / "work-tar").values())


@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")
@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_progress_is_told_each_member_kept_alike(tmp_path: Path, kind: str) -> None:
    """Progress is told each member written, with the bytes extracted so far, in the same way."""
    entries = [m for m in MEMBERS if m[0] != "zeros.bin"]
    bundle = tmp_path / f"case.{kind}"
    bundle.write_bytes(_zip(entries) if kind == "zip" else _tar(entries, "w:gz"))
    told: list[tuple[str, int]] = []
    got = collect([bundle], tmp_path / "work", progress=lambda w, n: told.append((w, n)))
    assert told == [
        (f"{bundle}!a.log", 6),
        (f"{bundle}!x", 8),
        (f"{bundle}!ok.log", 11),
        (f"{bundle}!last.log", 16),
    ]
    assert got.warnings == [w.format(A=bundle) for w in SHARED_WARNINGS]
