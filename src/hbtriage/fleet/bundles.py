"""The bundles of a fleet run: every sub-folder or archive directly under each ROOT.

A bundle's *digest* is taken over the relative path, size and modification time of every file
in it (or of the archive itself), never its content: re-running ``hbtriage fleet`` over
hundreds of gigabytes decides in milliseconds which bundles changed.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hbtriage.errors import UsageError

#: Names that make a file under ROOT a bundle (an archive, as ``analyze`` extracts them).
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._+-]+")


@dataclass(frozen=True)
class Bundle:
    """One bundle: ``name`` is its folder in the output (unique in the run)."""

    name: str
    path: Path


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def find_bundles(roots: Sequence[Path], out: Path | None = None) -> list[Bundle]:
    """The bundles directly under ``roots``, in name order (the output folder ``out`` and
    hidden entries excluded). UsageError (one line) for a missing root or no bundle at all."""
    found: list[Path] = []
    skip = out.resolve() if out is not None else None
    for root in roots:
        if not root.exists():
            raise UsageError(f"{root}: no such folder")
        if not root.is_dir():
            raise UsageError(f"{root}: expected a folder holding bundles (sub-folders or archives)")
        try:
            entries = sorted(root.iterdir(), key=lambda p: p.name)
        except OSError as exc:
            raise UsageError(f"{root}: cannot be listed ({exc.strerror})") from None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if skip is not None and entry.resolve() == skip:
                continue
            if entry.is_dir() or (entry.is_file() and is_archive(entry)):
                found.append(entry)
    if not found:
        names = ", ".join(str(r) for r in roots)
        raise UsageError(f"{names}: no bundle in it (expected sub-folders or archives)")
    return _named(found)


def _named(paths: list[Path]) -> list[Bundle]:
    """One output name per bundle: its file or folder name made safe, with ``-2``, ``-3`` for
    names that two roots share."""
    seen: dict[str, int] = {}
    out: list[Bundle] = []
    for p in paths:
        base = _UNSAFE_NAME.sub("_", p.name).strip("._") or "bundle"
        n = seen.get(base.lower(), 0) + 1
        seen[base.lower()] = n
        out.append(Bundle(base if n == 1 else f"{base}-{n}", p))
    return out


def digest(path: Path) -> str:
    """SHA-256 over the relative path, size and mtime (ns) of every file under ``path`` (the
    file itself for an archive), in a stable order. Unreadable entries count by their name."""
    h = hashlib.sha256()
    if path.is_file():
        _add(h, path.name, path)
        return h.hexdigest()
    for dirpath, dirnames, filenames in os.walk(path, onerror=lambda _e: None):
        dirnames.sort()
        rel = os.path.relpath(dirpath, path)
        for name in sorted(filenames):
            _add(h, os.path.join(rel, name), Path(dirpath) / name)
    return h.hexdigest()


def _add(h: hashlib._Hash, rel: str, path: Path) -> None:
    try:
        st = path.stat()
        h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    except OSError:
        h.update(f"{rel}\0?\n".encode("utf-8", "surrogateescape"))
