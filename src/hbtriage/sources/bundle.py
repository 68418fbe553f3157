"""Turn what the user handed over (files, folders, archives) into a flat list of input files.

Zips and tars (plain, gzip, bzip2 or xz) are extracted, and single ``.gz`` / ``.bz2`` / ``.xz``
files decompressed, into a private work folder, never next to the user's files, and never outside
that folder: members with absolute paths, ``..`` parts, drive letters, links or device types are
refused, and per-entry / total sizes and compression ratios are capped against bombs. Everything
is copied in 1 MiB chunks; no member is ever held in memory whole.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol, Self

from hbtriage.sources.base import InputFile

MAX_ENTRY_BYTES = 8 * 1024**3  # one file inside an archive, or one decompressed file
MAX_TOTAL_BYTES = 32 * 1024**3  # everything extracted from one bundle
MAX_FILES = 100_000  # files extracted from one bundle's archives (a tar of empty files)
MAX_RATIO = 400  # uncompressed / compressed, for entries over RATIO_CHECK_BYTES
RATIO_CHECK_BYTES = 10 * 1024**2
MAX_DEPTH = 4  # archives inside archives
MAX_TAR_HEADER_BYTES = 16 * 1024**2  # tarfile reads a pax / GNU long-name header whole
CHUNK = 1024**2

#: Leading bytes of the compressed formats read here, and the suffix they usually carry.
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}
_SUFFIX = {"gzip": ".gz", "bzip2": ".bz2", "xz": ".xz"}
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz")
_EXTENDED_HEADERS = (
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
)
#: What a damaged compressed stream or tar raises while it is read.
_READ_ERRORS = (OSError, EOFError, ValueError, tarfile.TarError, lzma.LZMAError, zlib.error)


@dataclass
class Collected:
    files: list[InputFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extracted_bytes: int = 0
    folders: int = 0  # work folders made so far (one per archive or decompressed file)
    #: Called after each member extracted or file decompressed: (what, bytes extracted so far).
    progress: Callable[[str, int], None] | None = None

    extracted_files: int = 0
    _full_warned: bool = False

    def extracted(self, display: str, written: int) -> None:
        self.extracted_bytes += written
        self.extracted_files += 1
        if self.progress is not None:
            self.progress(display, self.extracted_bytes)

    def full(self, display: str) -> bool:
        """Whether the bundle's archives already gave :data:`MAX_FILES` files (said once)."""
        if self.extracted_files < MAX_FILES:
            return False
        if not self._full_warned:
            self._full_warned = True
            self.warnings.append(
                f"{display}: {MAX_FILES:,} files already extracted from archives; the rest skipped"
            )
        return True


class _Reader(Protocol):
    def read(self, size: int, /) -> bytes: ...


def collect(
    paths: list[str | Path],
    workdir: Path,
    progress: Callable[[str, int], None] | None = None,
) -> Collected:
    """Every regular file under ``paths``; archives (nested too) are extracted below ``workdir``
    (``progress``: told each member extracted, with the bytes extracted so far)."""
    out = Collected(progress=progress)
    seen: dict[Path, str] = {}  # what was read already: resolved path -> as the user wrote it
    for p in paths:
        path = Path(p)
        if path.is_symlink() and path.is_dir():
            out.warnings.append(f"{path}: symbolic link to a folder not followed")
            continue
        real = path.resolve() if path.exists() else path
        inside = next((seen[d] for d in (real, *real.parents) if d in seen), None)
        if inside is not None:
            out.warnings.append(f"{path}: already read as part of {inside}; read once")
            continue
        start = len(out.files)
        given: str | None = None
        if path.is_dir():
            _walk(path, path.name, [], workdir, out, depth=0)
            given = path.name
        elif path.is_file():
            _add_file(path, str(path), _parent_hints(path), workdir, out, depth=0)
            if any(f.display != str(path) for f in out.files[start:]):
                given = str(path)  # an archive: the files it held
        else:
            out.warnings.append(f"{path}: no such file or folder")
            continue
        seen[real] = str(path)
        for f in out.files[start:]:
            f.given = given
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
    compression = _compression(path)
    if compression is not None:
        kind = "tar" if _holds_tar(path, compression) else compression
    elif _is_zip(path):
        kind = "zip"
    elif path.name.lower().endswith(".tar"):
        kind = "tar"
    else:
        out.files.append(InputFile(display=display, path=str(path), folder_hints=hints, size=size))
        return
    if depth >= MAX_DEPTH:
        out.warnings.append(f"{display}: {kind} nested deeper than {MAX_DEPTH} levels, skipped")
        return
    if kind == "zip":
        _extract_zip(path, display, hints, workdir, out, depth + 1)
    elif kind == "tar":
        _extract_tar(path, compression, display, hints, workdir, out, depth + 1)
    else:
        _decompress(path, kind, display, hints, workdir, out, depth + 1)


def _is_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError:
        return False
    return magic == b"PK\x03\x04" and zipfile.is_zipfile(path)


def _compression(path: Path) -> str | None:
    """``gzip``, ``bzip2`` or ``xz`` when the file starts with that format's magic bytes."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
    except OSError:
        return None
    return next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)


def _open_compressed(path: Path, compression: str | None) -> io.BufferedIOBase:
    if compression == "gzip":
        return gzip.GzipFile(path)
    if compression == "bzip2":
        return bz2.BZ2File(path)
    if compression == "xz":
        return lzma.LZMAFile(path)
    return open(path, "rb")


def _holds_tar(path: Path, compression: str) -> bool:
    """A tar by its name (``.tar.gz``, ``.tgz`` ...) or by a tar header at the start of the data."""
    if path.name.lower().endswith(_TAR_SUFFIXES):
        return True
    try:
        with _open_compressed(path, compression) as fh:
            tarfile.TarInfo.frombuf(fh.read(tarfile.BLOCKSIZE), "utf-8", "replace")
    except _READ_ERRORS:
        return False
    return True


def safe_member_path(name: str) -> PurePosixPath | None:
    """The relative path an archive member may be written to, or None when it would escape."""
    if "\x00" in name:
        return None
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return None
    parts = [p for p in PurePosixPath(norm).parts if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return PurePosixPath(*parts)


def _fresh_folder(workdir: Path, out: Collected) -> Path:
    """A new, empty folder below ``workdir`` for one archive; resolved, to check members against."""
    while True:
        out.folders += 1
        target = workdir / f"x{out.folders:04d}"
        try:
            target.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            continue
        return target.resolve()


def _extract_zip(
    path: Path, display: str, hints: list[str], workdir: Path, out: Collected, depth: int
) -> None:
    root = _fresh_folder(workdir, out)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        out.warnings.append(f"{display}: not a readable zip ({exc})")
        return
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            if out.full(display):
                return
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
            if info.file_size > RATIO_CHECK_BYTES and info.file_size > MAX_RATIO * max(
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
            try:
                with zf.open(info) as src:
                    written = _copy_bounded(src, dest, info.file_size)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, *_READ_ERRORS) as exc:
                # Damaged data (bad CRC, cut deflate stream), Deflate64 or another method
                # Python cannot read, or an encrypted member: this member only.
                out.warnings.append(f"{where}: cannot be extracted ({exc}), skipped")
                continue
            if written is None:
                out.warnings.append(f"{where}: larger than its header says, skipped")
                continue
            out.extracted(where, written)
            member_dirs = list(rel.parent.parts)
            local_hints = list(reversed(member_dirs)) + hints
            _add_file(dest, where, local_hints, workdir, out, depth)


class _CheckedTarInfo(tarfile.TarInfo):
    """Tar headers read strictly: a damaged header is damage, not the end of the archive (which
    tarfile assumes after the first member), and an extended header too big to hold in memory
    stops the archive."""

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        try:
            info = super().frombuf(buf, encoding, errors)
        except tarfile.HeaderError as exc:
            if bytes(buf).strip(b"\0"):  # not the zero blocks that end an archive
                raise tarfile.ReadError(f"damaged header: {exc}") from None
            raise
        if info.type in _EXTENDED_HEADERS and info.size > MAX_TAR_HEADER_BYTES:
            raise tarfile.ReadError(f"extended header of {info.size} bytes")
        return info


def _extract_tar(
    path: Path,
    compression: str | None,
    display: str,
    hints: list[str],
    workdir: Path,
    out: Collected,
    depth: int,
) -> None:
    """Stream a tar member by member; what was whole before any damage stays extracted."""
    root = _fresh_folder(workdir, out)
    try:
        with (
            _open_compressed(path, compression) as fh,
            tarfile.open(fileobj=fh, mode="r|", tarinfo=_CheckedTarInfo, errors="replace") as tf,
        ):
            while (member := tf.next()) is not None:
                # A streamed tar would otherwise keep every header it has read.
                tf.members.clear()  # type: ignore[attr-defined]
                if member.isfile() and out.full(display):
                    return
                _extract_tar_member(tf, member, root, display, hints, workdir, out, depth)
            # A compressed stream cut short inside the end-of-archive blocks shows only here.
            for _ in range(16):
                if not fh.read(CHUNK):
                    break
    except _READ_ERRORS as exc:
        out.warnings.append(f"{display}: not a readable tar archive ({exc})")


def _extract_tar_member(
    tf: tarfile.TarFile,
    member: tarfile.TarInfo,
    root: Path,
    display: str,
    hints: list[str],
    workdir: Path,
    out: Collected,
    depth: int,
) -> None:
    where = f"{display}!{member.name}"
    if member.isdir():
        return
    if member.issym() or member.islnk():
        link = "symbolic" if member.issym() else "hard"
        out.warnings.append(f"{where}: {link} link in tar not extracted")
        return
    if not member.isreg():
        out.warnings.append(f"{where}: device or fifo in tar not extracted")
        return
    rel = safe_member_path(member.name)
    dest = (root / rel).resolve() if rel is not None else root
    if rel is None or root not in dest.parents:
        out.warnings.append(f"{where}: path would escape the extraction folder, skipped")
        return
    if member.size > MAX_ENTRY_BYTES:
        out.warnings.append(f"{where}: {member.size} bytes is over the per-file limit")
        return
    if out.extracted_bytes + member.size > MAX_TOTAL_BYTES:
        out.warnings.append(f"{where}: total extracted size limit reached, skipped")
        return
    if dest.exists():
        out.warnings.append(f"{where}: name already extracted from this archive, skipped")
        return
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        out.warnings.append(f"{where}: cannot be written ({exc.strerror or exc})")
        return
    src = tf.extractfile(member)
    if src is None:
        return
    with src:
        written = _copy_bounded(src, dest, member.size)
    if written is None:
        out.warnings.append(f"{where}: larger than its header says, skipped")
        return
    out.extracted(where, written)
    local_hints = list(reversed(rel.parent.parts)) + hints
    _add_file(dest, where, local_hints, workdir, out, depth)


def _decompress(
    path: Path,
    compression: str,
    display: str,
    hints: list[str],
    workdir: Path,
    out: Collected,
    depth: int,
) -> None:
    """One ``.gz`` / ``.bz2`` / ``.xz`` file that is not a tar, decompressed under its name."""
    if out.full(display):
        return
    name = path.name
    if name.lower().endswith(_SUFFIX[compression]):
        name = name[: -len(_SUFFIX[compression])]
    if name in ("", ".", ".."):
        name = "decompressed"
    dest = _fresh_folder(workdir, out) / name
    try:
        limits = {
            "over the per-file limit once decompressed": MAX_ENTRY_BYTES,
            "total extracted size limit reached": MAX_TOTAL_BYTES - out.extracted_bytes,
            "compression ratio looks like a decompression bomb": max(
                RATIO_CHECK_BYTES, MAX_RATIO * path.stat().st_size
            ),
        }
        reason, limit = min(limits.items(), key=lambda item: item[1])
        with _open_compressed(path, compression) as src:
            written = _copy_bounded(src, dest, limit)
    except _READ_ERRORS as exc:
        out.warnings.append(f"{display}: not a readable {compression} file ({exc})")
        return
    if written is None:
        out.warnings.append(f"{display}: {reason}, skipped")
        return
    out.extracted(f"{display}!{name}", written)
    _add_file(dest, f"{display}!{name}", hints, workdir, out, depth)


def _copy_bounded(src: _Reader, dest: Path, limit: int) -> int | None:
    """Copy ``src`` to ``dest`` in 1 MiB chunks, refusing to write more than ``limit`` bytes (a
    lying header is a bomb). None when refused; nothing stays at ``dest`` then or on an error."""
    written = 0
    try:
        with open(dest, "wb") as dst:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    break
                dst.write(chunk)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    if written > limit:
        dest.unlink(missing_ok=True)
        return None
    return written
