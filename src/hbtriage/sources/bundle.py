"""Turn what the user handed over (files, folders, zips) into a flat list of input files.

Zips are extracted into a private work folder, never next to the user's files, and
never outside that folder: entries with absolute paths, ``..`` parts or symlink
modes are refused, and per-entry / total sizes are capped against zip bombs.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from hbtriage.sources.base import InputFile

MAX_ENTRY_BYTES = 8 * 1024**3  # one file inside a zip
MAX_TOTAL_BYTES = 32 * 1024**3  # everything extracted from one bundle
MAX_RATIO = 400  # uncompressed / compressed, for entries over 10 MB
MAX_DEPTH = 4  # zips inside zips


@dataclass
class Collected:
    files: list[InputFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extracted_bytes: int = 0


def collect(paths: list[str | Path], workdir: Path) -> Collected:
    """Every regular file under ``paths``; zips (nested too) are extracted below ``workdir``."""
    out = Collected()
    for p in paths:
        path = Path(p)
        if path.is_symlink() and path.is_dir():
            out.warnings.append(f"{path}: symbolic link to a folder not followed")
            continue
        if path.is_dir():
            _walk(path, path.name, [], workdir, out, depth=0)
        elif path.is_file():
            _add_file(path, str(path), _parent_hints(path), workdir, out, depth=0)
        else:
            out.warnings.append(f"{path}: no such file or folder")
    return out


def _parent_hints(path: Path) -> list[str]:
    parent = path.resolve().parent
    return [parent.name] if parent.name else []


def _walk(
    root: Path, display_root: str, hints: list[str], workdir: Path, out: Collected, depth: int
) -> None:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        rel = Path(dirpath).relative_to(root)
        folder_parts = [display_root, *rel.parts] if display_root else list(rel.parts)
        for name in sorted(filenames):
            full = Path(dirpath) / name
            display = "/".join([*folder_parts, name])
            if full.is_symlink():
                out.warnings.append(f"{display}: symbolic link not followed")
                continue
            # The folder the user named is the bundle, not a host: hints start below it.
            local_hints = list(reversed(folder_parts[1:] if display_root else folder_parts)) + hints
            _add_file(full, display, local_hints, workdir, out, depth)


def _add_file(
    path: Path, display: str, hints: list[str], workdir: Path, out: Collected, depth: int
) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        out.warnings.append(f"{display}: cannot read ({exc.strerror})")
        return
    if _is_zip(path):
        if depth >= MAX_DEPTH:
            out.warnings.append(f"{display}: zip nested deeper than {MAX_DEPTH} levels, skipped")
            return
        _extract_zip(path, display, hints, workdir, out, depth + 1)
        return
    out.files.append(InputFile(display=display, path=str(path), folder_hints=hints, size=size))


def _is_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError:
        return False
    return magic == b"PK\x03\x04" and zipfile.is_zipfile(path)


def safe_member_path(name: str) -> PurePosixPath | None:
    """The relative path a zip member may be written to, or None when it would escape."""
    if "\x00" in name:
        return None
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return None
    parts = [p for p in PurePosixPath(norm).parts if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return PurePosixPath(*parts)


def _extract_zip(
    path: Path, display: str, hints: list[str], workdir: Path, out: Collected, depth: int
) -> None:
    target = workdir / f"z{len(list(workdir.glob('z*'))):04d}"
    target.mkdir(parents=True, exist_ok=False)
    root = target.resolve()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        out.warnings.append(f"{display}: not a readable zip ({exc})")
        return
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            where = f"{display}!{info.filename}"
            mode = (info.external_attr >> 16) & 0o170000
            if mode == stat.S_IFLNK:
                out.warnings.append(f"{where}: symbolic link in zip not extracted")
                continue
            rel = safe_member_path(info.filename)
            if rel is None:
                out.warnings.append(f"{where}: path would escape the extraction folder, skipped")
                continue
            if info.file_size > MAX_ENTRY_BYTES:
                out.warnings.append(f"{where}: {info.file_size} bytes is over the per-file limit")
                continue
            if info.file_size > 10 * 1024**2 and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                out.warnings.append(f"{where}: compression ratio looks like a zip bomb, skipped")
                continue
            if out.extracted_bytes + info.file_size > MAX_TOTAL_BYTES:
                out.warnings.append(f"{where}: total extracted size limit reached, skipped")
                continue
            dest = (root / rel).resolve()
            if root not in dest.parents:
                out.warnings.append(f"{where}: path would escape the extraction folder, skipped")
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            written = _copy_bounded(zf, info, dest)
            if written is None:
                out.warnings.append(f"{where}: larger than its header says, skipped")
                dest.unlink(missing_ok=True)
                continue
            out.extracted_bytes += written
            member_dirs = list(rel.parent.parts)
            local_hints = list(reversed(member_dirs)) + hints
            _add_file(dest, where, local_hints, workdir, out, depth)


def _copy_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path) -> int | None:
    """Copy one member, refusing to write more than it declared (a lying header is a bomb)."""
    limit = info.file_size
    written = 0
    with zf.open(info) as src, open(dest, "wb") as dst:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            written += len(chunk)
            if written > limit:
                return None
            dst.write(chunk)
    return written
