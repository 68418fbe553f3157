"""Bundle collection: folders, zips (nested), and hostile archives that must not escape."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from hbtriage.sources.bundle import collect, safe_member_path


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
    text = "\n".join(got.warnings)
    assert "../escape.txt: path would escape" in text
    assert "/tmp/abs_escape.txt: path would escape" in text
    assert "ok/link: symbolic link in zip not extracted" in text
    # Nothing the user gave was modified.
    assert bundle.read_bytes().startswith(b"PK")


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
    assert any("zip bomb" in w for w in got.warnings)


def test_folder_symlinks_not_followed(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "real.log").write_text("x")
    (tmp_path / "b" / "link.log").symlink_to("/etc/hostname")
    got = collect([tmp_path / "b"], tmp_path / "w")
    assert [f.display for f in got.files] == ["b/real.log"]
    assert got.files[0].folder_hints == []  # the bundle folder itself is not a host
    assert any("link.log: symbolic link not followed" in w for w in got.warnings)


def test_safe_member_path() -> None:
    assert safe_member_path("a/b.txt") is not None
    assert safe_member_path("./a/./b.txt") is not None
    for bad in ("../x", "a/../../x", "/abs", "\\\\server\\share", "C:\\x", "a\\..\\..\\x", ""):
        assert safe_member_path(bad) is None, bad
