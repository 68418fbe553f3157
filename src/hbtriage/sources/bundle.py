"""Turn what the user handed over (files, folders, archives) into a flat list of input files.

Zips and tars (plain, gzip, bzip2 or xz) are extracted, and single ``.gz`` / ``.bz2`` / ``.xz``
files decompressed, into a private work folder, never next to the user's files, and never outside
that folder: members with absolute paths, ``..`` parts, drive letters, links or device types are
refused. Everything is copied in 1 MiB chunks; no member is ever held in memory whole.

Bombs are capped by the bytes really written (or decompressed), never by what headers claim
(:class:`Limits`): per member (size, and expansion over its compressed size), per compressed tar
stream (expansion so far), per archive the user handed over (everything written below it, at every
nesting level, against its size on disk), per bundle (a total, and the free space left in the work
folder's file system). A member refused is one warning; a cap that ends an archive or the
extraction is one warning with counts; warnings of one kind in one archive or folder are one line
however many members they concern. Special files (FIFOs, sockets, devices) in folders are skipped
without being opened.
"""

from __future__ import annotations

import bz2
import errno
import fnmatch
import gzip
import io
import lzma
import os
import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path, PurePosixPath
from typing import IO, Any, ClassVar, Literal, Protocol, Self, cast

from hbtriage.catalog import OsFile, load_catalog
from hbtriage.sources.attachments import zip_documents
from hbtriage.sources.base import InputFile, japanese_parts
from hbtriage.sources.zip_names import fix_names
from hbtriage.warning_text import Joined, warn

KiB = 1024
MiB = 1024**2
GiB = 1024**3
CHUNK = MiB


@dataclass(frozen=True)
class Limits:
    """What extracting one bundle may write. Every cap is checked against bytes really written
    (or decompressed) while streaming; sizes in headers only let a member be refused early."""

    #: One member of an archive, or one decompressed file.
    entry_bytes: int = 8 * GiB
    #: Everything kept from one bundle's archives.
    total_bytes: int = 32 * GiB
    #: Left free in the file system of the work folder (others need the disk too).
    keep_free_bytes: int = 1 * GiB
    #: Files extracted from one bundle's archives (a tar of countless empty files).
    files: int = 100_000
    #: Bytes out per compressed byte in: for a member against its compressed size, for a
    #: compressed tar stream so far, and for an archive the user handed over against its size on
    #: disk, counting everything written below it at every nesting level.
    ratio: int = 400
    #: Up to this many bytes out, no ratio is checked (small files compress well).
    ratio_free_bytes: int = 4 * MiB
    #: Archives inside archives.
    depth: int = 4
    #: tarfile reads a pax / GNU long-name header whole.
    tar_header_bytes: int = 16 * MiB
    #: A member's path (Linux PATH_MAX, below the work folder too) and each name in it
    #: (NAME_MAX), in UTF-8 bytes.
    path_bytes: int = 4096
    name_bytes: int = 255
    #: Folders in a member's path: removing a tree recurses once per level (shutil.rmtree),
    #: and 2,000 one-letter folders fit in 4,096 bytes.
    folder_depth: int = 256


LIMITS = Limits()

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
_READ_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    OverflowError,
    tarfile.TarError,
    lzma.LZMAError,
    zlib.error,
)
#: What a damaged zip raises while its directory or a member is read.
_ZIP_ERRORS = (zipfile.BadZipFile, NotImplementedError, RuntimeError, *_READ_ERRORS)
#: Longest member name shown in a warning (a 4 KiB path is cut in the middle).
_SHOWN_CHARS = 160


def _size(n: int) -> str:
    if n < KiB:
        return warn("size_bytes", count=n)
    for unit, div in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= div:
            return f"{n / div:,.1f} {unit}".replace(".0 ", " ")
    return warn("size_bytes", count=n)  # pragma: no cover


def _shown(name: str) -> str:
    if len(name) <= _SHOWN_CHARS:
        return name
    return warn("name_cut", head=name[:100], tail=name[-40:], count=len(name))


class _Refused(Exception):
    """One member (or one decompressed file) is not extracted; the archive goes on."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class _Stopped(Exception):
    """A cap that ends extraction: of this compressed stream (``archive``), of the archive the
    user handed over (``root``: what it expands to, at every level), or of every archive left in
    the bundle (``bundle``: total, free space, file count)."""

    def __init__(self, scope: Literal["archive", "root", "bundle"], where: str, reason: str):
        super().__init__(reason)
        self.scope = scope
        self.where = where
        self.reason = reason
        self.left = 0  # members of the archives it went through that were not extracted


class _Tally:
    """Members (or files) of one archive (or folder) skipped, by kind: one warning per kind,
    naming the member when it is the only one, else counting them and naming the first."""

    def __init__(self, scope: str, noun: str = "noun_members") -> None:
        self.scope = scope
        self.noun = noun  # the id of its word in warnings.toml
        self._kinds: dict[str, tuple[str, int, str, str]] = {}  # kind -> reason, n, where, name

    def add(self, kind: str, where: str, name: str, reason: str) -> None:
        """One more of ``kind``: ``where`` names it in a warning of its own (display, ``!`` and
        member name), ``name`` in a line that counts several."""
        old = self._kinds.get(kind)
        if old is None:
            self._kinds[kind] = (reason, 1, where, name)
        else:
            self._kinds[kind] = (old[0], old[1] + 1, old[2], old[3])

    def flush(self, warnings: list[str]) -> None:
        for reason, n, where, name in self._kinds.values():
            if n == 1:
                warnings.append(warn("at_file_skipped", path=where, reason=reason))
            else:
                noun = warn("noun_files" if self.noun == "noun_files" else "noun_members")
                warnings.append(
                    warn(
                        "many_skipped",
                        path=self.scope,
                        count=n,
                        noun=noun,
                        reason=reason,
                        first=_shown(name),
                    )
                )
        self._kinds.clear()


@dataclass
class _Root:
    """A file the user handed over that holds archives: what it may expand to, all levels."""

    display: str
    size: int
    budget: int
    written: int = 0
    #: Its archives nested too deep, at every level: one line (a nested bomb holds hundreds).
    deep: _Tally = field(init=False)

    def __post_init__(self) -> None:
        self.deep = _Tally(self.display)


@dataclass
class _BundleStop:
    where: str
    reason: str
    left: int
    later: list[str] = field(default_factory=list)  # archives not opened after the stop

    def warning(self) -> str:
        skipped = []
        if self.left:
            one = self.left == 1
            skipped.append(warn("more_member" if one else "more_members", count=self.left))
        if self.later:
            n, first = len(self.later), _shown(self.later[0])
            skipped.append(
                warn("more_archive" if n == 1 else "more_archives", count=n, first=first)
            )
        if not skipped:
            return warn("stopped", path=self.where, reason=self.reason, at="", left="")
        return warn(
            "stopped_not_extracted",
            path=self.where,
            reason=self.reason,
            skipped=Joined(skipped, sep=" and ", sep_ja="、"),
        )


@dataclass
class Collected:
    files: list[InputFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extracted_bytes: int = 0  # bytes of the files extracted and kept
    folders: int = 0  # work folders made so far (one per archive or decompressed file)
    #: Called after each member extracted or file decompressed: (what, bytes extracted so far).
    progress: Callable[[str, int], None] | None = None
    limits: Limits = LIMITS
    #: Files the operating system writes for itself (see :func:`os_file`), skipped, and the
    #: catalog's name each went by; a folder of them, never looked into, ends with ``/``.
    os_files: list[tuple[str, str]] = field(default_factory=list)
    #: The name a file goes by as one of those (:func:`os_file_matcher`), None: not one.
    os_file: Callable[[str], str | None] = field(default=lambda _display: None)
    #: The name a folder goes by as a folder of them (``$RECYCLE.BIN/``), None: not one.
    os_folder: Callable[[str], str | None] = field(default=lambda _name: None)

    extracted_files: int = 0
    #: Every byte written to the work folder, kept or removed again (a member refused midway).
    written_bytes: int = 0
    _stop: _BundleStop | None = None

    def extracted(self, display: str, written: int) -> None:
        self.extracted_bytes += written
        self.extracted_files += 1
        if self.progress is not None:
            self.progress(display, self.extracted_bytes)

    def check_count(self, where: str) -> None:
        """Stop the bundle's extraction once its archives gave :attr:`Limits.files` files."""
        if self.extracted_files >= self.limits.files:
            reason = warn("stop_files", count=self.limits.files)
            raise _Stopped("bundle", where, reason)


class _Reader(Protocol):
    def read(self, size: int, /) -> bytes: ...


def collect(
    paths: list[str | Path],
    workdir: Path,
    progress: Callable[[str, int], None] | None = None,
    limits: Limits = LIMITS,
    os_files: Sequence[OsFile] | None = None,
) -> Collected:
    """Every regular file under ``paths``; archives (nested too) are extracted below ``workdir``
    within ``limits`` (``progress``: told each member extracted, with the bytes extracted so
    far). Files ``os_files`` names (the bundled catalog's when None) are skipped, in one
    warning."""
    if os_files is None:
        os_files = load_catalog().os_files
    out = Collected(
        progress=progress,
        limits=limits,
        os_file=os_file_matcher(os_files),
        os_folder=os_folder_matcher(os_files),
    )
    seen: dict[Path, str] = {}  # what was read already: resolved path -> as the user wrote it
    roots = _display_roots([Path(p) for p in paths])
    for p in paths:
        path = Path(p)
        # A link named on the command line is followed (as `find -H` does): the user chose it.
        # Links met inside a folder are not (see _walk).
        real = path.resolve() if path.exists() else path
        inside = next((seen[d] for d in (real, *real.parents) if d in seen), None)
        if inside is not None:
            reason = warn("read_once", inside=inside)
            out.warnings.append(warn("at_file", path=str(path), reason=reason))
            continue
        start = len(out.files)
        given: str | None = None
        if path.is_dir():
            given = roots.get(real, path.name)
            _walk(path, given, [], workdir, out)
        elif path.is_file():
            _add_file(path, str(path), _parent_hints(path), workdir, out, depth=0)
            if any(f.display != str(path) for f in out.files[start:]):
                given = str(path)  # an archive: the files it held
        elif path.exists():
            kind = _special_kind(path.stat().st_mode)
            reason = warn("not_regular_skipped", kind=kind)
            out.warnings.append(warn("at_file", path=str(path), reason=reason))
            continue
        else:
            reason = warn("link_loop" if is_link_loop(path) else "no_such_file")
            out.warnings.append(warn("at_file", path=str(path), reason=reason))
            continue
        seen[real] = str(path)
        for f in out.files[start:]:
            f.given, f.given_path = given, str(real)
    if out.os_files:
        out.warnings.append(_os_files_said(out.os_files))
    read_back: list[str] = []
    escaped: list[str] = []
    for f in out.files:
        japanese = japanese_parts(f.path)
        if japanese is not None:
            (read_back if japanese else escaped).append(f.display)
    if read_back:
        out.warnings.append(warn("names_cp932", count=len(read_back), first=read_back[0]))
    if escaped:
        out.warnings.append(warn("names_not_utf8", count=len(escaped), first=escaped[0]))
    if out._stop is not None:
        out.warnings.append(out._stop.warning())
    return out


def _os_files_said(skipped: list[tuple[str, str]]) -> str:
    """The one line that says what the operating system wrote for itself was skipped: its
    files, and its folders (``$RECYCLE.BIN/``, never looked into, so their files uncounted)."""
    names = Joined(dict.fromkeys(name for _, name in skipped), sep=", ", sep_ja="、")
    first = skipped[0][0]
    folders = sum(1 for display, _ in skipped if display.endswith("/"))
    files = len(skipped) - folders
    if not folders:
        return warn("os_files_skipped", count=files, names=names, first=first)
    if not files:
        return warn("os_folders_skipped", count=folders, names=names, first=first)
    return warn("os_files_folders_skipped", files=files, folders=folders, names=names, first=first)


def os_file(display: str, rules: Sequence[OsFile] | None = None) -> str | None:
    """The name ``display`` (a path as shown, archive members after ``!``) goes by as a file
    the operating system wrote for itself, never one a server wrote: the pattern of ``rules``
    it matches (``"._*"``; a folder's with a slash, ``"__MACOSX/"``), None when it is no such
    file. ``rules``: the bundled catalog's ``[[os_file]]`` entries when None."""
    return os_file_matcher(load_catalog().os_files if rules is None else rules)(display)


def os_file_matcher(rules: Sequence[OsFile]) -> Callable[[str], str | None]:
    """:func:`os_file` of ``rules``, its patterns compiled once (a bundle asks it per file)."""
    names, folders, shown = _os_file_patterns(tuple(rules))

    def match(display: str) -> str | None:
        *above, name = display.replace("!", "/").split("/")
        for hit in (*(folders.match(part) for part in above), names.match(name)):
            if hit is not None and hit.lastgroup is not None:
                return shown[int(hit.lastgroup[1:])]
        return None

    return match


def os_folder_matcher(rules: Sequence[OsFile]) -> Callable[[str], str | None]:
    """The pattern of ``rules`` a folder called ``name`` matches as a folder of files the
    operating system writes for itself (``"$RECYCLE.BIN/"``), None when it is no such folder:
    a folder walk leaves it out whole, never listing what it holds."""
    _names, folders, shown = _os_file_patterns(tuple(rules))

    def match(name: str) -> str | None:
        hit = folders.match(name)
        return shown[int(hit.lastgroup[1:])] if hit is not None and hit.lastgroup else None

    return match


@cache
def _os_file_patterns(
    rules: tuple[OsFile, ...],
) -> tuple[re.Pattern[str], re.Pattern[str], list[str]]:
    """One case-insensitive regex of the ``names`` of ``rules`` and one of their ``folders``,
    and each pattern as said (a folder's with a slash): pattern ``i`` of that list is the
    regex group ``p<i>``."""
    names = [p for r in rules for p in r.names]
    folders = [p for r in rules for p in r.folders]

    def one(patterns: list[str], first: int) -> re.Pattern[str]:
        groups = [f"(?P<p{first + i}>{fnmatch.translate(p)})" for i, p in enumerate(patterns)]
        return re.compile("|".join(groups) or "(?!)", re.IGNORECASE)

    shown = [_printable(p) for p in names] + [f"{_printable(p)}/" for p in folders]
    return one(names, 0), one(folders, len(names)), shown


def _printable(name: str) -> str:
    """``name`` with its control characters written as escapes (``Icon\\r``)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def is_link_loop(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a symbolic link that leads back to itself (``os.stat``: ELOOP),
    which ``exists()`` calls missing."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _display_roots(paths: list[Path]) -> dict[Path, str]:
    """How each folder named on the command line is shown (and keyed: see
    :func:`hbtriage.hosts.folder_chain`), by its resolved path: its name, or when another one
    has the same name ("A/logs" and "B/logs", each server's "logs" folder), as many of the
    folders above it as tell them apart; a duplex PG's side folder ("Side A"), which names a
    server only with the folder above it, with that folder ("PG1/Side A")."""
    from hbtriage.hosts import side_folder  # the folder rules (hosts reads no bundle)

    dirs: dict[Path, Path] = {}  # resolved -> as named, made absolute (a link keeps its name)
    unnamed: set[Path] = set()  # named by no name: "." (the files' own paths, as before)
    for p in paths:
        if p.is_dir() and p.resolve() not in dirs:
            dirs[p.resolve()] = Path(os.path.abspath(p))
            if not p.name:
                unnamed.add(p.resolve())
    depth = {
        real: 2 if side_folder(given.name) and len(given.parts) > 2 else 1
        for real, given in dirs.items()
    }

    def shown(real: Path) -> str:
        return "" if real in unnamed else "/".join(dirs[real].parts[-depth[real] :])

    while True:
        by_name: dict[str, list[Path]] = {}
        for real in dirs:
            by_name.setdefault(shown(real), []).append(real)
        clash = [
            real
            for same in by_name.values()
            if len(same) > 1
            for real in same
            if depth[real] < len(dirs[real].parts) - 1
        ]
        if not clash:
            return {real: shown(real) for real in dirs}
        for real in clash:
            depth[real] += 1


def _parent_hints(path: Path) -> list[str]:
    parent = path.resolve().parent
    return [parent.name] if parent.name else []


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return warn("kind_fifo")
    if stat.S_ISSOCK(mode):
        return warn("kind_socket")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return warn("kind_device")
    return warn("kind_special")


def _walk(root: Path, display_root: str, hints: list[str], workdir: Path, out: Collected) -> None:
    """Regular files under ``root``; links and special files (FIFOs, sockets, devices) are
    skipped on their ``lstat`` alone: opening a FIFO would wait forever for a writer."""
    tally = _Tally(display_root or str(root), "noun_files")

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename or root)
        rel = where.relative_to(root) if where.is_relative_to(root) else where
        display = "/".join([display_root, *rel.parts]) if display_root else str(where)
        reason = warn("folder_unreadable", error=exc.strerror or str(exc))
        tally.add("unreadable", display, display, reason)

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=False):
        dirnames.sort()
        rel = Path(dirpath).relative_to(root)
        folder_parts = [display_root, *rel.parts] if display_root else list(rel.parts)
        pruned: list[str] = []
        for name in dirnames:
            display = "/".join([*folder_parts, name])
            if os.path.islink(os.path.join(dirpath, name)):
                tally.add("dirlink", display, display, warn("dir_symlink"))
            elif junk := out.os_folder(name):
                # Left out whole: a recycle bin or a Spotlight index of 100,000 files costs
                # nothing (each of its files was listed, stat'ed and matched before).
                out.os_files.append((display + "/", junk))
                pruned.append(name)
        if pruned:
            dirnames[:] = [name for name in dirnames if name not in pruned]
        for name in sorted(filenames):
            full = Path(dirpath) / name
            display = "/".join([*folder_parts, name])
            try:
                mode = os.lstat(full).st_mode
            except OSError as exc:
                reason = warn("file_unreadable", error=exc.strerror or str(exc))
                tally.add("unreadable", display, display, reason)
                continue
            if stat.S_ISLNK(mode):
                tally.add("link", display, display, warn("member_symlink"))
                continue
            if not stat.S_ISREG(mode):
                kind = _special_kind(mode)
                reason = warn("not_regular", kind=kind)
                tally.add(kind, display, display, reason)
                continue
            # The folder the user named is the bundle, not a host: hints start below it.
            local_hints = list(reversed(folder_parts[1:] if display_root else folder_parts)) + hints
            _add_file(full, display, local_hints, workdir, out, depth=0)
    tally.flush(out.warnings)


def _add_file(
    path: Path,
    display: str,
    hints: list[str],
    workdir: Path,
    out: Collected,
    depth: int,
    root: _Root | None = None,
) -> None:
    """``path`` as an input file, or what it holds when it is an archive. ``root``: the archive
    the user handed over that this one came out of (None: this is one the user handed over)."""
    # Never opened, even when it is an archive (.fseventsd holds gzip files).
    if junk := out.os_file(display):
        out.os_files.append((display, junk))
        return
    try:
        size = path.stat().st_size
    except OSError as exc:
        reason = warn("cannot_read", error=exc.strerror)
        out.warnings.append(warn("at_file", path=display, reason=reason))
        return
    compression = _compression(path)
    zip_kind = _zip_kind(path) if compression is None else None
    if compression is not None:
        kind = "tar" if _holds_tar(path, compression) else compression
    elif zip_kind == "cut":
        # Read as text, a stored member's lines came out as a log of its own (with the next
        # members' lines in it); a deflated one as "binary file": it is a zip, said so.
        out.warnings.append(warn("at_file", path=display, reason=warn("zip_cut_short")))
        return
    elif zip_kind == "zip" and not _zip_document(path):
        kind = "zip"
    elif _is_7z(path):
        kind = "7z"
    elif path.name.lower().endswith(".tar"):
        kind = "tar"
    else:
        out.files.append(InputFile(display=display, path=str(path), folder_hints=hints, size=size))
        return
    limits = out.limits
    if depth >= limits.depth:
        reason = warn("nested_too_deep", kind=kind, depth=limits.depth)
        if root is None:
            out.warnings.append(warn("at_file_skipped", path=display, reason=reason))
        else:
            inside = display[len(root.display) + 1 :] or display
            root.deep.add(f"deep_{kind}", display, inside, reason)
        return
    if root is not None:
        _expand(path, kind, compression, _Archive(display, hints, workdir, out, depth + 1, root))
        return
    if out._stop is not None:
        out._stop.later.append(display)
        return
    budget = max(limits.ratio_free_bytes, limits.ratio * size)
    root = _Root(display, size, budget)
    try:
        _expand(path, kind, compression, _Archive(display, hints, workdir, out, depth + 1, root))
    except _Stopped as stop:
        root.deep.flush(out.warnings)
        if stop.scope == "bundle":
            out._stop = _BundleStop(stop.where, stop.reason, stop.left)
            return
        one = stop.left == 1
        left = warn("stop_left_one" if one else "stop_left", count=stop.left) if stop.left else ""
        at = "" if stop.where == display else warn("stop_at", member=_shown(stop.where))
        out.warnings.append(warn("stopped", path=display, reason=stop.reason, at=at, left=left))
    else:
        root.deep.flush(out.warnings)


def _expand(path: Path, kind: str, compression: str | None, arc: _Archive) -> None:
    if kind == "zip":
        _extract_zip(path, arc)
    elif kind == "tar":
        _extract_tar(path, compression, arc)
    elif kind == "7z":
        _extract_7z(path, arc)
    else:
        _decompress(path, kind, arc)


def _zip_kind(path: Path) -> Literal["zip", "cut"] | None:
    """``"zip"`` for a zip archive; ``"cut"`` for one whose end, the central directory that
    lists its members, is missing (a copy or a download cut short): it starts as a zip does;
    None for anything else."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError:
        return None
    if magic != b"PK\x03\x04":
        return None
    return "zip" if zipfile.is_zipfile(path) else "cut"


def _zip_document(path: Path) -> bool:
    """Whether zip ``path`` is one document or package (``.xlsx``, ``.odt``, ``.jar``) rather
    than an archive of files: by its extension, else by the part its format requires (Office
    Open XML ``[Content_Types].xml``, OpenDocument and EPUB ``mimetype``, a Java manifest,
    Android's manifest) at the top of the zip: ``catalog/attachments.toml``, the entries with
    ``zip_parts``."""
    kinds = zip_documents()
    if path.name.lower().endswith(tuple(e for k in kinds for e in k.extensions)):
        return True
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except _ZIP_ERRORS:
        return False
    return any(part in names for k in kinds for part in k.zip_parts)


def _compression(path: Path) -> str | None:
    """``gzip``, ``bzip2`` or ``xz`` when the file starts with that format's magic bytes."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
    except OSError:
        return None
    return next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)


def _open_compressed(
    source: Path | io.RawIOBase, compression: str | None
) -> io.BufferedIOBase | io.RawIOBase:
    """The decompressed stream of ``source``: a path (the stream owns the file it opens) or an
    open binary file (left to its owner to close)."""
    if compression == "gzip":
        return gzip.GzipFile(source) if isinstance(source, Path) else gzip.GzipFile(fileobj=source)
    if compression == "bzip2":
        return bz2.BZ2File(source)
    if compression == "xz":
        return lzma.LZMAFile(source)  # type: ignore[arg-type]
    return open(source, "rb", buffering=0) if isinstance(source, Path) else source  # noqa: SIM115


def _holds_tar(path: Path, compression: str) -> bool:
    """A tar by its name (``.tar.gz``, ``.tgz`` ...) or by a tar header at the start of the data."""
    if path.name.lower().endswith(_TAR_SUFFIXES):
        return True
    try:
        with open(path, "rb") as raw, _open_compressed(_Counted(raw), compression) as fh:
            tarfile.TarInfo.frombuf(fh.read(tarfile.BLOCKSIZE), "utf-8", "replace")
    except _READ_ERRORS:
        return False
    return True


def member_name(name: str, windows: bool = False) -> str:
    """An archive member's name with ``\\`` read as a folder separator (``/``) when the archive
    says it was made on Windows (``windows``: a zip's ``create_system`` 0) or the name has no
    ``/`` at all (``Case 123\\CVP3\\x.log``, as some Windows tools store it); otherwise a
    ``\\`` is a character of a name, as on Linux."""
    return name.replace("\\", "/") if windows or "/" not in name else name


def safe_member_path(name: str) -> PurePosixPath | None:
    """The relative path an archive member may be written to (its folders split at ``/``:
    see :func:`member_name`), or None when it would escape. The checks read ``\\`` as a
    separator too, whatever the name's folders: ``..\\x``, ``C:\\x`` and ``\\\\server`` never pass."""
    if "\x00" in name:
        return None
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return None
    if not any(p not in ("", ".") for p in norm.split("/")) or ".." in norm.split("/"):
        return None
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    return PurePosixPath(*parts)


def _member_path(name: str, limits: Limits) -> PurePosixPath:
    """The relative path a member is written to; _Refused when it would escape or is too long
    for a file system (Linux: 4,096 bytes a path, 255 a name)."""
    rel = safe_member_path(name)
    if rel is None:
        if all(p in ("", ".") for p in name.replace("\\", "/").split("/")):
            raise _Refused("no name", warn("member_no_name"))
        raise _Refused("escape", warn("member_escape"))
    if len(str(rel).encode("utf-8", "surrogatepass")) > limits.path_bytes:
        raise _Refused("long path", warn("member_long_path", limit=limits.path_bytes))
    if any(len(p.encode("utf-8", "surrogatepass")) > limits.name_bytes for p in rel.parts):
        raise _Refused("long name", warn("member_long_name", limit=limits.name_bytes))
    if len(rel.parts) - 1 > limits.folder_depth:
        raise _Refused("deep", warn("member_deep", limit=limits.folder_depth))
    return rel


def _fresh_folder(workdir: Path, out: Collected, display: str) -> Path:
    """A new, empty folder below ``workdir`` for one archive; resolved, to check members against.
    When none can be made, nothing more can be extracted: _Stopped ``bundle``."""
    while True:
        out.folders += 1
        target = workdir / f"x{out.folders:04d}"
        try:
            target.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            continue
        except OSError as exc:
            reason = warn("stop_workdir", folder=str(workdir), error=exc.strerror or str(exc))
            raise _Stopped("bundle", display, reason) from None
        return target.resolve()


def _write_failed(exc: OSError | ValueError, where: str) -> Exception:
    """A write error: a full disk ends the bundle's extraction, anything else this member."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return _Stopped("bundle", where, warn("stop_disk_full", error=exc.strerror))
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return _Refused("write", warn("write_failed", error=text))


def _place(folder: Path, rel: PurePosixPath, where: str, limits: Limits) -> Path:
    """Where member ``rel`` goes in ``folder``, its folders made; _Refused when a member of that
    name, or a file where one of its folders should be (or the reverse), came first, or when
    the whole path would be too long (checked before any folder is made)."""
    dest = folder / rel
    if len(os.fsencode(dest)) >= limits.path_bytes:
        reason = warn("member_long_path_work", limit=limits.path_bytes)
        raise _Refused("long path", reason)
    try:  # (``folder`` is resolved already)
        inside = os.path.realpath(dest).startswith(os.path.join(folder, ""))
    except (OSError, ValueError):
        inside = True  # resolve fails on names too long; the write says so below
    if not inside:
        raise _Refused("escape", warn("member_escape"))
    if os.path.lexists(dest):
        if dest.is_dir():
            raise _Refused("clash folder", warn("member_clash_folder"))
        raise _Refused("duplicate", warn("member_duplicate"))
    # Folder by folder, not Path.mkdir(parents=True): that recurses once per level, and a path
    # of 2,000 one-letter folders fits in 4,096 bytes.
    current = str(folder)
    for part in rel.parent.parts:
        current = os.path.join(current, part)
        try:
            os.mkdir(current)
        except FileExistsError:
            if not os.path.isdir(current):
                reason = warn("member_clash")
                raise _Refused("clash", reason) from None
        except (OSError, ValueError) as exc:
            raise _write_failed(exc, where) from None
    return dest


@dataclass(frozen=True)
class _Cap:
    """A member may not write more than ``bytes``; over it, it is refused with ``reason``."""

    bytes: int
    kind: str
    reason: str


def _ratio_cap(limits: Limits, compressed: int) -> _Cap:
    return _Cap(
        max(limits.ratio_free_bytes, limits.ratio * max(compressed, 0)),
        "ratio",
        warn("cap_ratio", ratio=limits.ratio),
    )


def _entry_cap(limits: Limits) -> _Cap:
    return _Cap(limits.entry_bytes, "entry", warn("cap_entry", size=_size(limits.entry_bytes)))


def _room(workdir: Path, limits: Limits) -> int:
    """Bytes that may still be written before the work folder's disk is down to its reserve."""
    try:
        return shutil.disk_usage(workdir).free - limits.keep_free_bytes
    except OSError:
        return 1 << 62  # cannot tell; the write itself reports a full disk


#: Opens a member's data to copy from (called once its place in the work folder is made).
_Opener = Callable[[], AbstractContextManager[_Reader]]


@dataclass
class _Archive:
    """One archive (or compressed file) being extracted into a work folder of its own, and the
    one path that writes its members, zip or tar alike: the checks on a member's name, declared
    size and place, the copy under every cap, one warning per kind of member refused, progress,
    and the archives inside it read in turn."""

    display: str  # the archive, as warnings name it
    hints: list[str]  # folder hints of what it holds (the folders inside it come first)
    workdir: Path
    out: Collected
    depth: int  # nesting level of what it holds
    root: _Root  # the archive the user handed over: this one, or the one it came out of
    folder: Path = field(init=False)  # made by make_folder()
    tally: _Tally = field(init=False)  # members refused

    def __post_init__(self) -> None:
        self.tally = _Tally(self.display)

    def make_folder(self) -> Path:
        self.folder = _fresh_folder(self.workdir, self.out, self.display)
        return self.folder

    def member(
        self,
        name: str,
        size: int,
        open_data: _Opener,
        compressed: int | None = None,
        damage: tuple[type[Exception], ...] = (),
    ) -> None:
        """Write member ``name`` (as the archive spells it) below :attr:`folder` and read what
        it holds. ``size``: what its header declares; ``compressed``: its compressed size, when
        the format tells it (a ratio cap); ``damage``: errors reading its data that refuse this
        member only (any other ends the archive). _Refused or _Stopped when a check or a cap
        says so. The caller has checked the member's type and the bundle's file count."""
        where, rel, caps = self.checked(name, size, compressed)
        dest = _place(self.folder, rel, where, self.out.limits)
        try:
            with open_data() as src:
                written = self.write(src, dest, where, caps)
        except damage as exc:
            raise _damaged(exc) from None
        self.kept(dest, where, self.hints_of(rel), written)

    def checked(
        self, name: str, size: int, compressed: int | None = None
    ) -> tuple[str, PurePosixPath, list[_Cap]]:
        """What member ``name`` is called in warnings, the path it is written to, and the caps
        on its copy; _Refused when its name or its declared size says no."""
        name = member_name(name)  # a zip made on Windows: the caller has read its "\\" already
        where = f"{self.display}!{name}"
        limits = self.out.limits
        rel = _member_path(name, limits)
        caps = [_entry_cap(limits)]
        if compressed is not None:
            caps.append(_ratio_cap(limits, compressed))
        # What the headers claim refuses early; the copy checks the bytes really written.
        for cap in caps:
            if size > cap.bytes:
                raise _Refused(cap.kind, cap.reason)
        caps.append(_Cap(size, "header", warn("cap_header")))
        return where, rel, caps

    def hints_of(self, rel: PurePosixPath) -> list[str]:
        """Folder hints of a member: the folders it sits in inside the archive, innermost first."""
        return list(reversed(rel.parent.parts)) + self.hints

    def refused(self, name: str, refused: _Refused) -> None:
        self.tally.add(refused.kind, f"{self.display}!{_shown(name)}", name, refused.reason)

    def kept(self, dest: Path, where: str, hints: list[str], written: int) -> None:
        """``dest`` written: counted, told to progress, and read (an archive is extracted)."""
        self.out.extracted(where, written)
        _add_file(dest, where, hints, self.workdir, self.out, self.depth, self.root)

    def write(self, src: _Reader, dest: Path, where: str, caps: list[_Cap]) -> int:
        """Copy ``src`` to ``dest`` in 1 MiB chunks through a :class:`_Sink` (every cap checked
        before each chunk is written). Nothing stays at ``dest`` when refused, stopped or on an
        error."""
        sink = _Sink(self, dest, where, caps)
        try:
            while chunk := src.read(CHUNK):
                sink.feed(chunk)
        except BaseException:
            sink.abort()
            raise
        return sink.close()


class _Sink:
    """One member on its way to ``dest``, fed chunk by chunk (read from a zip or tar member, or
    pushed by the 7z decoder). Before each chunk is written it checks that no cap is passed:
    the member's own (``caps``: _Refused), the archive the user handed over (_Stopped
    ``root``), the bundle's total and the free space of the disk (_Stopped ``bundle``). What
    is written counts against the archive handed over even when the member is removed again."""

    def __init__(self, arc: _Archive, dest: Path, where: str, caps: list[_Cap]) -> None:
        self.arc, self.dest, self.where = arc, dest, where
        out, limits = arc.out, arc.out.limits
        self.cap = min(caps, key=lambda c: c.bytes)
        self.total_left = limits.total_bytes - out.extracted_bytes
        self.root_left = arc.root.budget - arc.root.written
        self.room = _room(arc.workdir, limits)
        self.written = 0
        self.chunks = 0
        try:
            self.dst = open(dest, "xb")  # noqa: SIM115 - closed by close()/abort(); "x": never through a planted name
        except (OSError, ValueError) as exc:
            raise _write_failed(exc, where) from None

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        """Write ``chunk`` when no cap is passed; _Refused or _Stopped (nothing written) else."""
        arc, where = self.arc, self.where
        out, root, workdir = arc.out, arc.root, arc.workdir
        limits = out.limits
        after = self.written + len(chunk)
        if after > self.cap.bytes:
            raise _Refused(self.cap.kind, self.cap.reason)
        if after > self.total_left:
            reason = warn("stop_total", size=_size(limits.total_bytes))
            raise _Stopped("bundle", where, reason)
        if after > self.room:
            self.room = _room(workdir, limits) + self.written
            if after > self.room:
                free = _size(limits.keep_free_bytes)
                reason = warn("stop_free", folder=str(workdir), size=free)
                raise _Stopped("bundle", where, reason)
        if after > self.root_left:
            size = _size(root.size)
            reason = warn("stop_root_ratio", ratio=limits.ratio, size=size)
            raise _Stopped("root", where, reason)
        try:
            self.dst.write(chunk)
        except OSError as exc:
            raise _write_failed(exc, where) from None
        root.written += len(chunk)
        out.written_bytes += len(chunk)
        self.written = after
        self.chunks += 1
        if self.chunks % 64 == 0:  # others fill the disk too
            self.room = min(self.room, _room(workdir, limits) + self.written)

    def close(self) -> int:
        """The member is whole: the bytes written."""
        try:
            self.dst.close()
        except OSError as exc:
            self.abort()
            raise _write_failed(exc, self.where) from None
        return self.written

    def abort(self) -> None:
        """Refused, stopped or failed: nothing stays at ``dest``."""
        with suppress(OSError):
            self.dst.close()
        self.dest.unlink(missing_ok=True)


def _extract_zip(path: Path, arc: _Archive) -> None:
    arc.make_folder()
    try:
        zf = zipfile.ZipFile(path)
        fix_names(zf)
        # (ZipInfo.is_dir() fails on an empty name)
        members = [info for info in zf.infolist() if not _zip_name(info).endswith("/")]
        size = path.stat().st_size
    except _ZIP_ERRORS as exc:
        reason = warn("not_readable_zip", error=str(exc))
        arc.out.warnings.append(warn("at_file", path=arc.display, reason=reason))
        return
    try:
        with zf:
            for n, info in enumerate(members):
                try:
                    _zip_member(zf, info, size, arc)
                except _Refused as refused:
                    arc.refused(info.filename, refused)
                except _Stopped as stop:
                    stop.left += len(members) - n - 1
                    raise
    finally:
        arc.tally.flush(arc.out.warnings)


def _damaged(exc: BaseException) -> _Refused:
    kind = f"damaged {type(exc).__name__}"  # its message often names the member
    return _Refused(kind, warn("member_damaged", error=str(exc)))


def _zip_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive_size: int, arc: _Archive
) -> None:
    """What only a zip's headers tell (a link, the compressed size), then the shared path. The
    file count is checked first, before the link (in a tar, after the member's type)."""
    arc.out.check_count(arc.display)
    if (info.external_attr >> 16) & 0o170000 == stat.S_IFLNK:
        raise _Refused("link", warn("member_symlink"))
    compressed = min(info.compress_size, archive_size)
    # Damaged data (bad CRC, cut deflate stream), Deflate64 or another method Python cannot
    # read, or an encrypted member (_ZIP_ERRORS): this member only.
    arc.member(_zip_name(info), info.file_size, partial(zf.open, info), compressed, _ZIP_ERRORS)


def _zip_name(info: zipfile.ZipInfo) -> str:
    """The member's name, its folders split at ``\\`` too when the zip was made on Windows
    (``Case 123\\CVP3\\`` is a folder entry there)."""
    return member_name(info.filename, windows=info.create_system == 0)


class _CheckedTarInfo(tarfile.TarInfo):
    """Tar headers read strictly: a damaged header is damage, not the end of the archive (which
    tarfile assumes after the first member), and an extended header too big to hold in memory
    stops the archive."""

    header_limit: ClassVar[int] = LIMITS.tar_header_bytes

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        try:
            info = super().frombuf(buf, encoding, errors)
        except tarfile.HeaderError as exc:
            if bytes(buf).strip(b"\0"):  # not the zero blocks that end an archive
                raise tarfile.ReadError(f"damaged header: {exc}") from None
            raise
        if info.type in _EXTENDED_HEADERS and info.size > cls.header_limit:
            raise tarfile.ReadError(f"extended header of {info.size} bytes")
        return info


def _tarinfo(limits: Limits) -> type[_CheckedTarInfo]:
    if limits.tar_header_bytes == _CheckedTarInfo.header_limit:
        return _CheckedTarInfo
    return type("_CheckedTarInfo", (_CheckedTarInfo,), {"header_limit": limits.tar_header_bytes})


class _Counted(io.RawIOBase):
    """A binary file read through, counting the bytes read (the compressed side of a stream)."""

    def __init__(self, raw: io.BufferedReader | io.RawIOBase) -> None:
        super().__init__()
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        n = len(data or b"")
        buffer[:n] = data or b""
        self.count += n
        return n


class _Expanding:
    """The decompressed side of a compressed tar: stops the archive once it expanded more than
    :attr:`Limits.ratio` times the compressed bytes read so far (past ``ratio_free_bytes``),
    whether the bytes are written or skipped."""

    def __init__(
        self, stream: io.BufferedIOBase | io.RawIOBase, raw: _Counted, display: str, limits: Limits
    ) -> None:
        self.stream = stream
        self.raw = raw
        self.display = display
        self.limits = limits
        self.count = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self.stream.read(size) or b""
        self.count += len(data)
        limits = self.limits
        if self.count > max(limits.ratio_free_bytes, limits.ratio * self.raw.count):
            out, read = _size(self.count), _size(self.raw.count)
            reason = warn("stop_stream_ratio", ratio=limits.ratio, out=out, read=read)
            raise _Stopped("archive", self.display, reason)
        return data


def _extract_tar(path: Path, compression: str | None, arc: _Archive) -> None:
    """Stream a tar member by member; what was whole before any damage stays extracted."""
    display, out = arc.display, arc.out
    arc.make_folder()
    before = out.extracted_files
    try:
        with open(path, "rb") as raw_file:
            raw = _Counted(raw_file)
            with _open_compressed(raw, compression) as fh:
                stream = _Expanding(fh, raw, display, out.limits) if compression else fh
                with tarfile.open(  # type: ignore[call-overload]
                    fileobj=stream,
                    mode="r|",
                    tarinfo=_tarinfo(out.limits),
                    errors="replace",
                ) as tf:
                    while (member := tf.next()) is not None:
                        # A streamed tar would otherwise keep every header it has read.
                        tf.members.clear()  # type: ignore[attr-defined]
                        try:
                            _tar_member(tf, member, arc)
                        except _Refused as refused:
                            arc.refused(member.name, refused)
                # A compressed stream cut short inside the end-of-archive blocks shows only here.
                for _ in range(16):
                    if not stream.read(CHUNK):
                        break
    except _Stopped as stop:
        if stop.scope != "archive":
            raise
        done = out.extracted_files - before
        out.warnings.append(
            warn(
                "stopped_after_file" if done == 1 else "stopped_after_files",
                path=display,
                reason=stop.reason,
                done=done,
            )
        )
    except _READ_ERRORS as exc:
        done = out.extracted_files - before
        reason = (
            warn("tar_cut_after", done=done, error=str(exc))
            if done  # (the members before the damage were read: not "not a readable tar")
            else warn("not_readable_tar", error=str(exc))
        )
        out.warnings.append(warn("at_file", path=display, reason=reason))
    finally:
        arc.tally.flush(out.warnings)


def _tar_member(tf: tarfile.TarFile, member: tarfile.TarInfo, arc: _Archive) -> None:
    """What only a tar's headers tell (folders, links, devices), then the shared path."""
    if member.isdir():
        return
    if member.issym() or member.islnk():
        link = "symbolic" if member.issym() else "hard"
        reason = warn("member_symlink" if member.issym() else "member_hardlink")
        raise _Refused(f"{link} link", reason)
    if not member.isreg():
        raise _Refused("special", warn("member_special"))
    arc.out.check_count(arc.display)
    # tarfile reads no further than the header's size; the copy checks that too.
    arc.member(member.name, member.size, partial(_tar_data, tf, member))


def _tar_data(tf: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    src = tf.extractfile(member)
    if src is None:  # pragma: no cover - a regular member always has a file object
        raise _Refused("no data", warn("member_no_data"))
    return src


def _decompress(path: Path, compression: str, arc: _Archive) -> None:
    """One ``.gz`` / ``.bz2`` / ``.xz`` file that is not a tar, decompressed under its name."""
    display, out = arc.display, arc.out
    out.check_count(display)
    name = path.name
    if name.lower().endswith(_SUFFIX[compression]):
        name = name[: -len(_SUFFIX[compression])]
    if name in ("", ".", ".."):
        name = "decompressed"
    dest = arc.make_folder() / name
    limits = out.limits
    try:
        caps = [_entry_cap(limits), _ratio_cap(limits, path.stat().st_size)]
        with _open_compressed(path, compression) as src:
            until = _UntilCut(src)
            written = arc.write(until, dest, display, caps)
    except _Refused as refused:
        out.warnings.append(warn("at_file_skipped", path=display, reason=refused.reason))
        return
    except _READ_ERRORS as exc:
        reason = warn("not_readable_compressed", compression=compression, error=str(exc))
        out.warnings.append(warn("at_file", path=display, reason=reason))
        return
    if until.cut is not None:
        if not written:
            reason = warn("not_readable_compressed", compression=compression, error=until.cut)
            out.warnings.append(warn("at_file", path=display, reason=reason))
            return
        reason = warn("compressed_cut_short", compression=compression, size=_size(written))
        out.warnings.append(warn("at_file", path=display, reason=reason))
    arc.kept(dest, f"{display}!{name}", arc.hints, written)


class _UntilCut:
    """A decompressed stream read up to where its file was cut short; ``cut`` then holds the
    error's text. Read by ``read1`` (one decompressing step a call) where the stream has it:
    the compressed readers raise EOFError at the cut, and a buffered ``read(size)`` that had
    gathered part of its size by then loses that part with it."""

    def __init__(self, src: Any) -> None:
        self._read = getattr(src, "read1", None) or src.read
        self.cut: str | None = None

    def read(self, size: int, /) -> bytes:
        if self.cut is not None:
            return b""
        try:
            data: bytes = self._read(size)
        except EOFError as exc:
            self.cut = str(exc)
            return b""
        return data


#: The first bytes of every 7z archive.
SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"


def _is_7z(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(SEVEN_ZIP_MAGIC)) == SEVEN_ZIP_MAGIC
    except OSError:
        return False


def _extract_7z(path: Path, arc: _Archive) -> None:
    """A 7z archive: py7zr decodes it (in one pass, solid blocks too) and pushes each member's
    bytes into a :class:`_SevenZipMember`, which runs them through the same checks, caps and
    places as a zip member. What py7zr decodes but nobody keeps (a member refused in a solid
    block) counts against the archive handed over too: its ``max_extract_size``."""
    import py7zr
    from py7zr.exceptions import DecompressionBombError, PasswordRequired

    out, display = arc.out, arc.display
    arc.make_folder()
    budget = max(arc.root.budget - arc.root.written, 0)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below; a file object: py7zr starts no threads
    except OSError as exc:
        reason = warn("cannot_read", error=exc.strerror)
        out.warnings.append(warn("at_file", path=display, reason=reason))
        return
    with fh:
        try:
            sz = py7zr.SevenZipFile(fh, max_extract_size=budget)
            encrypted = sz.needs_password()
            files = [f for f in sz.files if not f.is_directory or f.is_junction]
        except PasswordRequired:
            encrypted, files = True, []
        except Exception as exc:  # py7zr's header parser raises anything on damage  # noqa: BLE001
            reason = warn("not_readable_7z", error=str(exc) or type(exc).__name__)
            out.warnings.append(warn("at_file", path=display, reason=reason))
            return
        if encrypted:
            out.warnings.append(warn("at_file", path=display, reason=warn("encrypted_7z")))
            return
        job = _SevenZip(arc, path.stat().st_size)
        before = out.extracted_files
        try:
            targets = job.plan(files)
            if targets:
                sz.extract(path=arc.folder, targets=targets, factory=cast(Any, job))
        except _Stopped as stop:
            stop.left += job.left()
            raise
        except DecompressionBombError:
            reason = warn("stop_root_ratio", ratio=out.limits.ratio, size=_size(arc.root.size))
            bomb = _Stopped("root", job.where(), reason)
            bomb.left = job.left()
            raise bomb from None
        except Exception as exc:  # a damaged stream, a method py7zr lacks  # noqa: BLE001
            done = out.extracted_files - before
            error = str(exc) or type(exc).__name__
            reason = warn("member_damaged", error=f"{job.where()}: {error}")
            out.warnings.append(
                warn(
                    "stopped_after_file" if done == 1 else "stopped_after_files",
                    path=display,
                    reason=reason,
                    done=done,
                )
            )
        finally:
            job.abort()
            arc.tally.flush(out.warnings)


class _SevenZip:
    """The members of one 7z archive to write, and the writer factory py7zr asks for each
    (py7zr names a member by its own output path: :meth:`plan` works it out as py7zr does)."""

    def __init__(self, arc: _Archive, size: int) -> None:
        self.arc = arc
        self.size = size  # of the archive (a member's compressed size is unknown in solid blocks)
        self.keys: dict[str, Any] = {}  # py7zr's output path -> the member
        self.targets = 0
        self.created = 0
        self.current: _SevenZipMember | None = None

    def plan(self, files: list[Any]) -> list[str]:
        """The names of the members to extract; the others are refused here, one warning per
        kind, as for a zip."""
        from py7zr.helpers import get_sanitized_output_path

        arc, folder = self.arc, Path(self.arc.folder)
        names: list[str] = []
        for f in files:
            try:
                if f.is_symlink or f.is_junction:
                    raise _Refused("link", warn("member_symlink"))
                if f.st_fmt is not None and not stat.S_ISREG(f.st_fmt):
                    raise _Refused("special", warn("member_special"))
                arc.checked(f.filename, f.uncompressed or 0, self.compressed(f))
                try:  # (py7zr refuses these names for the whole archive: refuse them here)
                    get_sanitized_output_path(f.filename, folder)
                except Exception:  # noqa: BLE001
                    raise _Refused("escape", warn("member_escape")) from None
            except _Refused as refused:
                arc.refused(f.filename, refused)
                continue
            names.append(f.filename)
        wanted = set(names)
        seen: dict[str, int] = {}
        for f in files:  # a repeated name gets _0, _1 ... from py7zr (and is refused here)
            if f.filename not in wanted:
                continue
            n = seen.get(f.filename)
            outname = f.filename if n is None else f"{f.filename}_{n}"
            seen[f.filename] = 0 if n is None else n + 1
            self.keys[get_sanitized_output_path(outname, folder).as_posix()] = f
        self.targets = len(self.keys)
        return sorted(wanted)

    def compressed(self, f: Any) -> int:
        got = f.compressed
        return min(got, self.size) if isinstance(got, int) and got > 0 else self.size

    def create(self, filename: str) -> _SevenZipMember:
        """py7zr starts writing a member (WriterFactory)."""
        self.created += 1
        self.current = _SevenZipMember(self, self.keys.get(filename))
        return self.current

    def left(self) -> int:
        """Members planned that py7zr has not started."""
        return max(self.targets - self.created, 0)

    def where(self) -> str:
        member = self.current
        if member is None or member.f is None:
            return self.arc.display
        return f"{self.arc.display}!{_shown(member.f.filename)}"

    def abort(self) -> None:
        if self.current is not None:
            self.current.abort()
            self.current = None


class _SevenZipMember:
    """One 7z member as py7zr writes it (its ``Py7zIO``): each chunk goes through the member's
    :class:`_Sink`; a refusal drops what was written and the rest of its bytes; at the end its
    size and CRC are checked before it is kept and read."""

    def __init__(self, job: _SevenZip, f: Any) -> None:
        self.job, self.f = job, f
        self.sink: _Sink | None = None
        self.crc = 0
        self.where = ""
        self.rel = PurePosixPath()
        if f is None:  # pragma: no cover - py7zr names only the members planned
            return
        arc = job.arc
        arc.out.check_count(arc.display)
        try:
            self.where, self.rel, caps = arc.checked(
                f.filename, f.uncompressed or 0, job.compressed(f)
            )
            dest = _place(arc.folder, self.rel, self.where, arc.out.limits)
            self.sink = _Sink(arc, dest, self.where, caps)
        except _Refused as refused:
            arc.refused(f.filename, refused)

    def write(self, s: bytes | bytearray) -> int:
        sink = self.sink
        if sink is not None:
            try:
                sink.feed(s)
            except _Refused as refused:
                self.abort()
                self.job.arc.refused(self.f.filename, refused)
            except BaseException:
                self.abort()
                raise
            else:
                self.crc = zlib.crc32(s, self.crc)
        return len(s)

    def close(self) -> None:
        """py7zr wrote the whole member: keep it when its size and CRC are right."""
        sink, self.sink = self.sink, None
        self.job.current = None
        if sink is None:
            return
        f, arc = self.f, self.job.arc
        size = f.uncompressed or 0
        error: str
        if sink.written != size:
            error = warn("cut_short", got=sink.written, size=size)
        elif f.crc32 is not None and self.crc != f.crc32:
            error = "CRC mismatch"
        else:
            written = sink.close()
            arc.kept(sink.dest, self.where, arc.hints_of(self.rel), written)
            return
        sink.abort()
        arc.refused(f.filename, _Refused("damaged", warn("member_damaged", error=error)))

    def abort(self) -> None:
        sink, self.sink = self.sink, None
        if sink is not None:
            sink.abort()

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return self.sink.written if self.sink is not None else 0
