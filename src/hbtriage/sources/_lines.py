"""Vectorised helpers shared by the line-oriented log readers.

Every reader follows the same plan, with no Python loop over lines:

1. :func:`line_frame` turns the decoded text into a frame of (line number, text);
2. the reader extracts its fields from every line with *one* regex
   (``str.extract_groups``), which also tells which lines start a record;
3. :func:`assemble` numbers the records (``cum_sum`` of "is a start line") and
   appends continuation lines to the record above (``group_by`` + ``str.join``);
4. :func:`make_ts` builds naive local timestamps with ``strptime`` + durations.

Patterns use ``[0-9]`` rather than ``\\d`` on purpose: polars' regex engine is
Unicode-aware, and ``\\d`` would also accept e.g. Arabic-Indic digits that
cannot be parsed as numbers afterwards.

Large files (memory bounded, see :func:`line_chunks`): the bytes are read in pieces of about
``ReadOptions.chunk_bytes`` (:mod:`hbtriage.sources.options`), each cut just before a line that starts a record (so a multi-line record is
never split), split into lines by polars straight from the bytes (:func:`line_chunks`), and
parsed on their own; line numbers carry on from the piece before, and state that spans pieces
(the dumplog date, segment and day) is carried by the reader. The big-file readers use
:func:`split_heads` (lines of their usual layouts checked by one plain regex and cut at fixed
places, typed fields converted once per distinct value) and :func:`assemble_heads`. When the
reader's ``ReadOptions`` carry keep patterns (``api.run`` passes the catalog's signature
patterns per reader kind), only records with a line that passes the kind's literal prefilter
(:mod:`._prefilter`) get their message text, :func:`slim` keeps it only where a signature can
match, and every record keeps a ``digest`` so rotated copies are still recognised. Timing, line
counts and gaps only need the time stamps.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import itertools
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, BinaryIO, TypeVar, cast

import polars as pl

from hbtriage.errors import InputError
from hbtriage.findings import MAX_YEAR, MIN_YEAR  # (the years a time stamp may have)
from hbtriage.sources.base import EVENT_SCHEMA
from hbtriage.sources.encoding import (
    ASCII_COMPATIBLE,
    Utf8Stream,
    decode,
    read_text,
)
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn

if TYPE_CHECKING:
    import numpy as np


def filled(name: str, value: object, dtype: pl.DataType, n: int) -> pl.Series:
    """A column of ``n`` rows of ``value`` (None: nulls) made without a query, its memory never
    written for nulls (``pl.repeat`` writes every row)."""
    return pl.Series(name, [value], dtype).new_from_index(0, n)


def loaded_numpy() -> ModuleType | None:
    """numpy when this process has loaded it already (a run that reads with the compiled core,
    or a perfmon file): the readers' steps that are faster in numpy use it then. Otherwise they
    take their polars-only form, with the same results, and a small run never imports numpy
    (its import alone is 0.1-0.15 s, a quarter of a tiny run)."""
    return sys.modules.get("numpy")


#: Longest line kept as is; longer lines are cut (a 10 MB "line" is binary or a dump).
MAX_LINE_CHARS = 65_536
#: Warnings kept per file before one summary line.
MAX_WARNINGS = 20
#: How many non-empty lines ``sniff`` looks at.
SNIFF_LINES = 200
#: How far back :func:`line_chunks` looks for a record start before cutting anywhere.
_MAX_BACK_LINES = 100_000
#: Bytes of a line kept when no line end comes for longer (4 bytes per character at most).
_LONG_LINE_BYTES = 4 * MAX_LINE_CHARS
#: How many bytes at the end of a block :func:`_byte_chunks` looks at first for a cut.
_PROBE_BYTES = 1 << 20


#: Digest bits per line in :func:`assemble_heads` ``lean`` mode: sums never overflow.
_LINE_HASH_SHIFT = 1 << 28


def keep_mask(messages: pl.Series, kind: str, options: ReadOptions) -> pl.Series:
    """Which ``messages`` match the keep pattern of reader ``kind`` in ``options`` (all True
    when it keeps everything). The full pattern only runs on messages its prefilter lets
    through."""
    if loaded_numpy() is None:
        return _keep_mask_polars(messages, kind, options)
    return pl.Series(messages.name, _kept(messages, kind, options))


def _keep_mask_polars(messages: pl.Series, kind: str, options: ReadOptions) -> pl.Series:
    """:func:`keep_mask` without numpy."""
    keep = options.keep_of(kind)
    if keep is None:
        return pl.repeat(True, messages.len(), dtype=pl.Boolean, eager=True).alias(messages.name)
    if keep.full is None:
        return pl.repeat(False, messages.len(), dtype=pl.Boolean, eager=True)
    n, nulls = messages.len(), messages.null_count()
    if nulls > n // 2:  # most messages already dropped (lean readers): test the others only
        rows = messages.is_not_null().arg_true()
        hit = _keep_mask_polars(messages.gather(rows), kind, options)
        out = pl.repeat(False, n, dtype=pl.Boolean, eager=True).alias(messages.name)
        return out.scatter(rows.filter(hit), True)
    if keep.pre is None:
        return messages.str.contains(keep.full).fill_null(False)
    pre = messages.str.contains(keep.pre).fill_null(False)
    rows = pre.arg_true()
    if rows.len() == 0:
        return pre
    full = messages.gather(rows).str.contains(keep.full).fill_null(False)
    return pl.repeat(False, messages.len(), dtype=pl.Boolean, eager=True).scatter(
        rows.filter(full), True
    )


def _kept(messages: pl.Series, kind: str, options: ReadOptions) -> np.ndarray:
    """:func:`keep_mask` in numpy (a null message is never kept, unless all are)."""
    import numpy as np

    keep = options.keep_of(kind)
    n = messages.len()
    if keep is None:
        return np.ones(n, dtype=bool)
    if keep.full is None:
        return np.zeros(n, dtype=bool)
    nulls = messages.null_count()
    if nulls == n:
        return np.zeros(n, dtype=bool)  # no message to test (the usual lean piece)
    # The rows tested (None: all of them). Most messages already dropped (lean readers): the
    # others only.
    at = None
    if nulls > n // 2:
        at = np.flatnonzero(messages.is_not_null().to_numpy())
    if keep.pre is not None:
        pre = _matches(messages, keep.pre, at)
        at = np.flatnonzero(pre) if at is None else at[pre]
    hit = _matches(messages, keep.full, at)
    if at is None:
        return hit
    out = np.zeros(n, dtype=bool)
    out[at[hit]] = True
    return out


def _matches(texts: pl.Series, pattern: str, at: np.ndarray | None = None) -> np.ndarray:
    """Whether each of ``texts`` (or of its rows ``at``) contains ``pattern`` (null: no); one
    polars query (the rows taken outside it: a query holding the row numbers as a literal
    costs more than the test)."""
    import numpy as np

    if at is not None and at.size == 0:
        return np.zeros(0, dtype=bool)
    frame = texts.to_frame("t") if at is None else texts.to_frame("t")[at]
    got = frame.select(pl.col("t").str.contains(pattern).fill_null(False))
    return got.to_series().to_numpy()


def slim(
    events: pl.DataFrame, kind: str, options: ReadOptions, *, digest: bool = True
) -> pl.DataFrame:
    """When ``options`` keep text only where a signature can match: add ``digest`` (hash of
    the full message) and null the message of records that cannot match any signature of
    reader ``kind``. Else ``events`` as they are. A ``digest`` already there
    (:func:`assemble_heads` ``lean``) is kept; with ``digest`` False none is added (the
    reader gives the digests later, see ``ReadResult.digests``)."""
    if not options.slimming:
        return events
    if loaded_numpy() is None:
        return _slim_polars(events, kind, options, digest)
    import numpy as np

    messages = events["message"]
    kept = _kept(messages, kind, options)
    n, there = messages.len(), messages.len() - messages.null_count()
    slimmed = messages  # every message there kept (a null one is kept only when all are)
    if there and not kept.any():
        # None is kept (the usual piece): a new column of nulls, whose memory is never
        # written (a scatter would write every row's slot, 16 bytes a row, and keep them).
        slimmed = filled("message", None, messages.dtype, n)
    elif np.count_nonzero(kept) < there:
        rows = np.flatnonzero(~kept & messages.is_not_null().to_numpy())
        slimmed = messages.clone().scatter(rows, None)
    if "digest" in events.columns or not digest:
        return events if slimmed is messages else put(events, slimmed)
    return events.with_columns(slimmed, pl.col("message").hash().alias("digest"))


def _slim_polars(
    events: pl.DataFrame, kind: str, options: ReadOptions, digest: bool
) -> pl.DataFrame:
    """:func:`slim` without numpy (``options.slimming`` on)."""

    keep = keep_mask(events["message"], kind, options)
    if "digest" in events.columns or not digest:
        return events.with_columns(pl.when(keep).then(pl.col("message")).alias("message"))
    return events.with_columns(
        pl.when(keep).then(pl.col("message")).alias("message"),
        pl.col("message").hash().alias("digest"),
    )


def line_chunks(
    path: str, encoding: str, starts: str | None, options: ReadOptions = DEFAULT
) -> Iterator[tuple[pl.DataFrame, bool, int, bool]]:
    """The file in pieces of about ``options.chunk_bytes``, split into lines: ``(line frame
    (see :func:`line_frame`; line numbers counted from the piece), last line unterminated,
    lines before the piece, is the last piece)``.

    Each piece but the last ends with a line end and is followed by a line matching ``starts``
    (a record start; Python ``re`` syntax) when one is found within the last
    ``_MAX_BACK_LINES`` lines; else the piece grows. Encodings where a 0x0A byte may be half a
    character (UTF-16/32) are decoded whole when the file is small, else block by block into
    UTF-8 first (:class:`hbtriage.sources.encoding.Utf8Stream`). A leading BOM is dropped.

    A piece whose bytes are already valid UTF-8 (UTF-8, or ASCII in an ASCII-compatible
    encoding) is split by polars' CSV parser straight from the bytes, with no Python string in
    between; anything else is decoded and split by :func:`line_frame`. Both give the same
    frame."""
    for df, unterminated, before, last, _seen in _chunks_raw(path, encoding, starts, options):
        yield df, unterminated, before, last


#: What :class:`Pieces` asks of the compiled core (:func:`hbtriage.sources._scan.scan`) for a
#: piece of bytes (whether it is the file's first, whether its encoding is UTF-8 rather than
#: an ASCII-compatible code page): its line frame and what the core found, or None (the piece
#: is split by polars, or decoded, as usual: the core also says None for bytes that polars'
#: splitter may split otherwise than the decoded text, see :func:`_splittable`).
Scanner = Callable[["Raw", bool, bool], "tuple[pl.DataFrame, object] | None"]


def _chunks_raw(
    path: str,
    encoding: str,
    starts: str | None,
    options: ReadOptions,
    scanner: Scanner | None = None,
) -> Iterator[tuple[pl.DataFrame, bool, int, bool, object]]:
    """:func:`line_chunks`, each piece also with what ``scanner`` found in its bytes when it
    read them (valid UTF-8 only), else None.

    With a ``scanner`` (the compiled core: large logs) and ``options.read_ahead`` (a run of
    one file, see :func:`hbtriage.sources._scan.for_run`), the next piece is read and split on
    another thread while the caller works on the current one (see :func:`_ahead`): the core's
    loops and the reader's assembly then run at once on two cores (0.88x the time for one
    550 MiB CVP log). Where other large files are read at the same time it gained 2-3 % and
    held 30 MiB more at the peak, so it is not done there; but once the others are done (the
    largest file of a bundle is read last, alone), its remaining pieces are read ahead."""
    lines_before = 0
    pieces = _byte_chunks(path, encoding, starts, options, mapped=scanner is not None)
    if scanner is None:
        split: Iterator[tuple[_Chunk, _Split | None]] = ((c, None) for c in pieces)
    else:
        from hbtriage.sources._scan import cores  # (loaded: it made the scanner)

        spare = cores() > 1  # a core for the piece ahead, when this file is the only one
        split = _ahead(
            pieces,
            lambda chunk, index: _split_piece(chunk, index == 0, scanner),
            when=lambda: options.read_ahead or (spare and _CORE_FILES[0] == 1),
        )
        with _CORE_LOCK:
            _CORE_FILES[0] += 1
    try:
        yield from _pieces_out(split, lines_before, scanner)
    finally:
        if scanner is not None:
            with _CORE_LOCK:
                _CORE_FILES[0] -= 1


#: How many files the compiled core is reading at this moment, in every thread of the process
#: (:func:`_chunks_raw` reads ahead in a file that is the only one).
_CORE_FILES = [0]
_CORE_LOCK = threading.Lock()


def _pieces_out(
    split: Iterator[tuple[_Chunk, _Split | None]], lines_before: int, scanner: Scanner | None
) -> Iterator[tuple[pl.DataFrame, bool, int, bool, object]]:
    """:func:`_chunks_raw`'s pieces from the raw pieces and what was split of them ahead."""
    for index, (chunk, done) in enumerate(split):
        piece, last, enc = chunk
        if isinstance(piece, str):
            yield (*line_frame(piece), 0, True, None)
            return
        first = lines_before == 0
        # Split ahead as the file's first piece or not: split again in the rare case that
        # guess was wrong (a first piece that held no line).
        if done is None or first != (index == 0):
            done = _split_piece(chunk, first, scanner)
        fast, seen = done
        del done, chunk
        if fast is not None:
            df, unterminated = fast, len(piece) > 0 and piece[-1:] != b"\n"
        else:
            text = decode(bytes(piece), enc)
            if lines_before == 0 and text.startswith("\ufeff"):
                text = text[1:]
            df, unterminated = line_frame(text)
            del text
        del piece
        yield df, unterminated, lines_before, last, seen
        del seen
        lines_before += df.height - unterminated


#: The bytes of one piece of a file: read into memory, or a read-only view of the file mapped
#: into memory (see :func:`_mapped`; only pieces the compiled core reads).
Raw = bytes | memoryview
#: One raw piece of :func:`_byte_chunks` (bytes, or the whole decoded text), whether it is the
#: last, and its encoding; and what :func:`_split_piece` made of it.
_Chunk = tuple[Raw | str, bool, str]
_Split = tuple["pl.DataFrame | None", object]


def _split_piece(chunk: _Chunk, first: bool, scanner: Scanner | None) -> _Split:
    """The line frame of one raw piece split from its bytes (by the core when ``scanner``
    takes it, else by polars; None: the piece must be decoded first, or is text already),
    and what the core found in it (None: not read by the core)."""
    piece, _last, enc = chunk
    if isinstance(piece, str) or (scanner is None and len(piece) <= SMALL_TEXT):
        return None, None  # decoded and split by :func:`line_frame` (in Python when small)
    if scanner is not None and _text_as_bytes(piece, enc):
        # Whether UTF-8 bytes suit polars' splitter is found by the core's split, in the
        # same pass as the lines and without the GIL (see :func:`_splittable`); a code page's
        # piece goes to the core only when it is all ASCII (a Japanese cp932 log's pieces
        # would be scanned for nothing).
        got = scanner(piece, first, _codec(enc) in _UTF8)
        if got is not None:
            return got
    return _split_bytes(bytes(piece), enc, first=first), None


_T = TypeVar("_T")
_R = TypeVar("_R")


def _ahead(
    items: Iterator[_T], work: Callable[[_T, int], _R], when: Callable[[], bool] | None = None
) -> Iterator[tuple[_T, _R]]:
    """``(item, work(item, index))`` for each item of ``items`` in order, the next item taken
    and worked out on another thread while the caller uses the current one (one item ahead:
    one more piece in memory). What taking or working out an item raises is raised here when
    the caller asks for that item, as it would be without the thread; when the caller stops,
    the item under way is finished and dropped. ``when``: asked as each item is handed over;
    False: the next item is taken and worked out when the caller asks for it, in its thread
    (nothing ahead)."""

    def step(index: int) -> tuple[_T, _R] | None:
        item = next(items, None)
        return None if item is None else (item, work(item, index))

    def now() -> bool:
        return when is None or when()

    with ThreadPoolExecutor(1, thread_name_prefix="hbtriage-ahead") as pool:
        future: Future[tuple[_T, _R] | None] | None = pool.submit(step, 0) if now() else None
        try:
            for index in itertools.count(1):
                got = future.result() if future is not None else step(index - 1)
                if got is None:
                    return
                future = pool.submit(step, index) if now() else None
                yield got
                del got
        finally:
            if future is not None:
                future.cancel()


@functools.cache
def _codec(encoding: str) -> str:
    """The codec's own name for ``encoding`` (the name as given when Python knows none)."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding


_UTF8 = ("utf-8", "utf-8-sig")


def _text_as_bytes(data: Raw, encoding: str) -> bool:
    """Whether ``data`` (not empty) read as UTF-8 may be its text in ``encoding``: UTF-8, or
    ASCII in an ASCII-compatible code page (whether UTF-8 bytes are valid is not looked at)."""
    if not data:
        return False
    codec = _codec(encoding)
    if codec in _UTF8:
        return True
    if codec not in ASCII_COMPATIBLE:
        return False
    if isinstance(data, bytes):
        return data.isascii()
    import numpy as np  # (a mapped piece: the core reads it, numpy is loaded)

    return int(np.frombuffer(data, dtype=np.uint8).max()) < 0x80


def _splittable(data: bytes, encoding: str, *, first: bool) -> bool:
    """:func:`_text_as_bytes`, no 0x1F byte (the split's column separator), no BOM but at the
    start of the file (the compiled core checks the same in its split,
    :func:`hbtriage.sources._scan.scan`)."""
    if not _text_as_bytes(data, encoding):
        return False
    return not (b"\x1f" in data or (not first and data.startswith(codecs.BOM_UTF8)))


def read_lines(data: bytes) -> pl.Series | None:
    """The lines of ``data`` (UTF-8) as polars' CSV parser splits them, an empty line null;
    None when it cannot (invalid UTF-8)."""
    try:
        df = pl.read_csv(
            data,
            has_header=False,
            separator="\x1f",
            quote_char=None,
            infer_schema=False,
            new_columns=["text"],
        )
    except pl.exceptions.PolarsError:
        return None
    return df.to_series() if df.width == 1 else None


def _split_bytes(data: bytes, encoding: str, *, first: bool) -> pl.DataFrame | None:
    """:func:`line_frame` of ``data`` decoded, computed from the bytes by polars, or None when
    that is not certain to give the same lines (another encoding, invalid UTF-8, a 0x1F byte,
    a BOM that is not at the start of the file).

    polars splits at LF, drops one CR before it and a leading UTF-8 BOM, exactly as
    :func:`line_frame` after decoding does; an empty line comes back null."""
    if not _splittable(data, encoding, first=first):
        return None
    text = read_lines(data)  # None: not valid UTF-8, decoded with replacement instead
    if text is None:
        return None
    return (
        pl.DataFrame(
            [pl.int_range(1, text.len() + 1, dtype=pl.Int64, eager=True).alias("line"), text]
        )
        .with_columns(pl.col("text").fill_null(""))
        .with_columns(pl.col("text").str.len_bytes().alias("_len"))
    )


def _byte_chunks(
    path: str, encoding: str, starts: str | None, options: ReadOptions, *, mapped: bool = False
) -> Iterator[tuple[Raw | str, bool, str]]:
    """The raw pieces of :func:`line_chunks`, whether each is the last, and their encoding:
    bytes (BOM still on) in ``encoding``; or, for encodings that cannot be cut at 0x0A (UTF-16,
    UTF-32), the whole decoded text (BOM dropped) of a small file, and UTF-8 bytes (BOM
    dropped) of a large one, decoded block by block (:class:`Utf8Stream`).

    ``mapped`` (the compiled core reads the pieces): a file that may be (see :func:`_mappable`)
    is mapped into memory piece by piece, each piece a read-only view of its pages (see
    :func:`_mapped`), not copied into fresh memory; from a piece that cannot be mapped on, the
    file is read."""
    size = options.chunk_bytes
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        codec = encoding
    fh: BinaryIO | Utf8Stream
    mapping = False
    if codec in ASCII_COMPATIBLE:
        fh = open(path, "rb")  # noqa: SIM115 (closed below)
        st = os.fstat(fh.fileno())
        total: int | None = st.st_size
        mapping = mapped and _mappable(fh, st)
    elif os.path.getsize(path) < options.stream_min_bytes:
        text, _ = read_text(path, encoding)
        yield text, True, encoding
        return
    else:
        fh = Utf8Stream(path, encoding, block=options.stream_block_bytes)
        total, encoding = None, "utf-8"
    start_re = re.compile(starts) if starts else None
    with fh:
        pos = 0
        carry = b""
        while True:
            if mapping and total is not None and not carry and pos < total:
                view = _mapped(cast(BinaryIO, fh), pos, min(pos + size, total))
                if view is None:
                    mapping = False  # the file is not as it was: read it (see below)
                elif pos + size >= total:
                    _seen(options, fh, total)
                    yield view, True, encoding
                    return
                else:
                    probe_at = max(0, size - _PROBE_BYTES)
                    cut = _cut(bytes(view[probe_at:]), start_re, encoding, force=False)
                    if cut > 0:
                        part = view[: probe_at + cut]
                        del view
                        pos += len(part)
                        _seen(options, fh, pos)
                        yield part, False, encoding
                        del part
                        continue
                    del view
                cast(BinaryIO, fh).seek(pos)
            if total is not None and not carry and pos + size < total:
                # Find the cut in the last bytes of the block first, then read exactly the
                # piece: no copy of the bytes (the common case).
                raw = cast(BinaryIO, fh)
                probe_at = max(pos, pos + size - _PROBE_BYTES)
                raw.seek(probe_at)
                cut = _cut(raw.read(pos + size - probe_at), start_re, encoding, force=False)
                raw.seek(pos)
                if cut > 0:
                    piece = raw.read(probe_at - pos + cut)
                    pos += len(piece)
                    _seen(options, fh, pos)
                    yield piece, False, encoding
                    del piece
                    continue
            block = fh.read(size)
            if not block and total is not None and pos < total:
                # Cut short as it was read (a log rotated by truncating it): the end counted on
                # never comes, and the same piece would be asked for again and again.
                raise InputError(path, None, "", reason=warn("file_shrank", size=total, at=pos))
            pos += len(block)
            data = carry + block if carry else block
            del block
            last = pos >= total if total is not None else cast(Utf8Stream, fh).at_end()
            if not last and len(data) > _LONG_LINE_BYTES + size and data.find(b"\n") < 0:
                # One line longer than any line is kept (MAX_LINE_CHARS): keep its start and
                # read past the rest up to its line end without holding it (a 200 MB line
                # without a newline peaked at 7.8x the file).
                data = data[:_LONG_LINE_BYTES]
                while True:
                    block = fh.read(size)
                    pos += len(block)
                    nl = block.find(b"\n")
                    if nl >= 0 or not block:
                        data += block[nl:] if nl >= 0 else b""
                        break
                del block
                last = pos >= total if total is not None else cast(Utf8Stream, fh).at_end()
            cut = -1 if last else _cut(data, start_re, encoding, force=len(data) > 4 * size)
            if not last and cut <= 0:
                carry = data
                continue
            piece, carry = (data, b"") if last else (data[:cut], data[cut:])
            del data
            _seen(options, fh, pos - len(carry))
            yield piece, last, encoding
            del piece
            if last:
                return


#: File systems whose files may be mapped into memory (see :func:`_mappable`): local disks and
#: memory. Not a network share or a removable one (a page that cannot be read stops the process
#: with SIGBUS, where a read gives an error).
_LOCAL_FS = frozenset(
    {"ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "jfs", "bcachefs", "tmpfs", "overlay"}
)


def _mappable(fh: BinaryIO, st: os.stat_result) -> bool:
    """Whether the open file ``fh`` (status ``st``) may be mapped into memory as it is read:
    a regular file on a local file system (:data:`_LOCAL_FS`, Linux) that no process holds open
    for writing, unless ``HBTRIAGE_MMAP=0``. A mapped page cut off the file as it is read (a log
    rotated by truncating it: its writer holds it open) would stop the process with SIGBUS,
    where a read only comes short: such a file is read. Nobody holds it open for writing when
    a read lease may be taken on it (Linux refuses one then); the lease is given back at once
    (a writer opening the file meanwhile would wait that long)."""
    import stat

    if os.environ.get("HBTRIAGE_MMAP") == "0" or sys.platform != "linux":
        return False
    if not stat.S_ISREG(st.st_mode) or _fs_type(st.st_dev) not in _LOCAL_FS:
        return False
    import fcntl
    import signal

    fd = fh.fileno()
    try:
        # Were the lease broken in the instant it is held, its signal would be SIGURG, which
        # does nothing (SIGIO, the default, ends the process).
        fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError:  # open for writing (EAGAIN), not the user's own file (EACCES), no leases
        return False
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    except OSError:
        return False
    return True


@functools.cache
def _mounts() -> dict[int, str]:
    """The file system type of each device mounted (``/proc/self/mountinfo``), by device
    number; empty when it cannot be read."""
    out: dict[int, str] = {}
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                fields = line.split()
                if "-" not in fields or len(fields) < 3:
                    continue
                major, _, minor = fields[2].partition(":")
                fs = fields[fields.index("-") + 1 :]
                if fs and major.isdigit() and minor.isdigit():
                    out[os.makedev(int(major), int(minor))] = fs[0]
    except OSError:
        pass
    return out


def _fs_type(dev: int) -> str:
    """The type of the file system on device ``dev`` ("" when not known)."""
    return _mounts().get(dev, "")


def _mapped(fh: BinaryIO, start: int, end: int) -> memoryview | None:
    """Bytes ``start`` to ``end`` of the open file ``fh`` as a read-only view of its pages
    mapped into memory (unmapped when the last view of them is dropped); None when the file is
    now shorter than ``end`` or cannot be mapped. Mapped, the pages of the page cache are read
    where they are: no copy into fresh memory, whose pages the process would first fault in
    (a third of a large run's page faults, 0.27 s of CPU for 1 GB of logs)."""
    import mmap

    base = start - start % mmap.ALLOCATIONGRANULARITY
    try:
        if os.fstat(fh.fileno()).st_size < end:
            return None
        m = mmap.mmap(fh.fileno(), end - base, offset=base, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    return memoryview(m)[start - base :]


def _seen(options: ReadOptions, fh: BinaryIO | Utf8Stream, pos: int) -> None:
    """Tell ``options.progress`` how far into the file the pieces so far reach: ``pos`` for a
    file read as it is, the position in the file itself for one decoded as it is read."""
    if options.progress is not None:
        options.progress(fh.raw_position() if isinstance(fh, Utf8Stream) else pos)


def _cut(data: bytes, start_re: re.Pattern[str] | None, encoding: str, *, force: bool) -> int:
    """Offset just after a line end, before a line that starts a record (-1: none found)."""
    end = data.rfind(b"\n")
    if end < 0:
        return -1
    if start_re is None:
        return end + 1
    nxt = end  # ``data[j+1:nxt]`` is a complete line
    for _ in range(_MAX_BACK_LINES):
        j = data.rfind(b"\n", 0, nxt)
        if j < 0:
            break
        line = data[j + 1 : nxt].decode(encoding, errors="replace").rstrip("\r")
        if start_re.match(line):
            return j + 1
        nxt = j
    return end + 1 if force else -1


MONTHS: dict[str, str] = {
    "jan": "01",
    "feb": "02",
    "mar": "03",
    "apr": "04",
    "may": "05",
    "jun": "06",
    "jul": "07",
    "aug": "08",
    "sep": "09",
    "oct": "10",
    "nov": "11",
    "dec": "12",
}

#: Full English month names as dumplog writes them ("Events from March 30, 2013").
FULL_MONTHS: dict[str, str] = {
    "january": "01",
    "february": "02",
    "march": "03",
    "april": "04",
    "may": "05",
    "june": "06",
    "july": "07",
    "august": "08",
    "september": "09",
    "october": "10",
    "november": "11",
    "december": "12",
}

#: Regex alternative matching a three-letter English month abbreviation.
MONTH_ABBR = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"

#: What a syslog server writes before each message it receives from a Call Server or a PG
#: (their syslog feeds send Cisco Log lines, "<PRI>seq: host: stamp: %APP...", which carry no
#: RFC 3164 header, so the receiver adds its own time stamp and the sender's name or address,
#: RFC 3164 section 4.3.3): "Mon dd hh:mm:ss HOST " (BSD syslogd, rsyslog's default) or an
#: RFC 3339 stamp and HOST (rsyslog's high-precision file format). The receiver's clock and
#: zone are not the sender's: the Cisco Log stamp after it is the record's time. Used by the
#: CVP and Cisco Log readers (general path; the compiled core never converts such a line). A
#: file that collects several senders is split into one stream per sender first
#: (:mod:`hbtriage.sources.relay`).
SYSLOG_RELAY_STAMP = (
    r"(?:[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2}))"
)
SYSLOG_RELAY = SYSLOG_RELAY_STAMP + r" \S+ "


def line_frame(text: str) -> tuple[pl.DataFrame, bool]:
    """Split ``text`` into a frame ``line`` (1-based Int64), ``text``.

    Lines end at ``\\n`` (a trailing ``\\r`` is dropped), exactly as an editor
    numbers them. Lines longer than :data:`MAX_LINE_CHARS` are cut. Also returns
    whether the last line is unterminated (the file may have been cut short).
    """
    unterminated = bool(text) and not text.endswith("\n")
    body = text if unterminated or not text else text[:-1]
    if text and len(text) <= SMALL_TEXT:
        return _small_line_frame(body), unterminated
    if not text:
        lines = pl.Series("text", [], dtype=pl.Utf8)
    else:
        lines = pl.Series("text", [body]).str.split("\n").explode().str.strip_suffix("\r")
    df = pl.DataFrame({"text": lines}).with_row_index("line", offset=1)
    df = df.with_columns(
        pl.col("line").cast(pl.Int64),
        pl.col("text").str.len_bytes().alias("_len"),
    )
    return df, unterminated


#: Text up to this many characters is split into lines by Python (:func:`_small_line_frame`):
#: polars takes ~0.1 ms a step however short the text, and a folder may hold thousands of
#: files of a few lines.
SMALL_TEXT = 64 * 1024


def _small_line_frame(body: str) -> pl.DataFrame:
    """:func:`line_frame`'s frame of ``body`` (the text without its last line end), made in
    Python from the same cuts: at each ``\\n``, one ``\\r`` before it dropped (as
    ``str.strip_suffix``), the length in UTF-8 bytes (as ``str.len_bytes``)."""
    lines = [s[:-1] if s.endswith("\r") else s for s in body.split("\n")]
    return pl.DataFrame(
        {
            "line": pl.Series("line", range(1, len(lines) + 1), dtype=pl.Int64),
            "text": pl.Series("text", lines, dtype=pl.Utf8),
            "_len": pl.Series("_len", [len(s.encode("utf-8")) for s in lines], dtype=pl.UInt32),
        }
    )


def long_line_warnings(df: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    """Cut lines longer than :data:`MAX_LINE_CHARS`; one warning item per cut line."""
    longest = df["_len"].max()
    if longest is None or cast("int", longest) <= MAX_LINE_CHARS:
        # The usual piece: one reduction, no filtered copy, no query.
        return pl.DataFrame([c for c in df.get_columns() if c.name != "_len"]), []
    long = df.filter(pl.col("_len") > MAX_LINE_CHARS)
    items: list[tuple[int, str]] = [
        (
            int(n),
            warn(
                "long_line",
                size=int(k),
                more=" or more" if k == _LONG_LINE_BYTES else "",
                more_ja="以上" if k == _LONG_LINE_BYTES else "",
                limit=MAX_LINE_CHARS,
            ),
        )
        for n, k in zip(
            long["line"].head(MAX_WARNINGS + 1), long["_len"].head(MAX_WARNINGS + 1), strict=True
        )
    ]
    if long.height > len(items):
        items.extend([(0, "")] * (long.height - len(items)))  # counted in the summary only
    if long.height:
        df = df.with_columns(
            pl.when(pl.col("_len") > MAX_LINE_CHARS)
            .then(pl.col("text").str.slice(0, MAX_LINE_CHARS))
            .otherwise(pl.col("text"))
            .alias("text")
        )
    return df.drop("_len"), items


def extract(df: pl.DataFrame, head: str) -> pl.DataFrame:
    """Apply the record-header regex ``head`` to every line.

    Adds one column per named group, ``is_start`` (the header matched at the
    start of the line) and ``msg`` (the rest of the line after the header).
    The message is cut off by length rather than captured by a trailing
    ``(.*)$``: capturing the whole line costs the regex engine about twice
    as much on large files. (The large-file readers use :func:`split_heads`.)
    """
    groups = pl.col("text").str.extract_groups(f"^(?P<_head>{head})")
    out = df.with_columns(groups.alias("_g")).unnest("_g")
    return out.with_columns(
        pl.col("_head").is_not_null().alias("is_start"),
        pl.col("text").str.slice(pl.col("_head").str.len_chars()).alias("msg"),
    ).drop("_head")


#: A reader's typed fast path for :func:`split_heads`: a regex (polars syntax, no capture
#: groups) picking the lines of the common fixed layout, and a function giving those lines
#: (a frame with ``line`` and ``text``) the typed columns plus ``_hlen``, the header's length
#: in characters. It must give exactly what the reader's conversion gives on the full regex's
#: groups for those lines.
TypedFast = tuple[str, Callable[[pl.DataFrame], pl.DataFrame]]


def split_heads(
    df: pl.DataFrame,
    head: str,
    convert: Callable[[pl.DataFrame], pl.DataFrame],
    fast: TypedFast | Sequence[TypedFast] | None = None,
    marks: Sequence[str] = (),
    pre: tuple[pl.Series, pl.DataFrame] | None = None,
    classes: pl.Series | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Find the record headers of a line frame and convert their fields, typed.

    Returns ``(lines, heads, slow)``:

    * ``lines``: ``line``, ``text``, ``is_start`` and the boolean columns ``marks`` (e.g. a
      dumplog's date lines), one row per line: what :func:`assemble_heads` groups;
    * ``heads``: one row per record start, in line order: ``line``, ``_hlen`` (the header's
      length in characters; the message is the text from there) and the typed columns;
    * ``slow``: every line the general path matched (``convert``'s output), e.g. date lines.

    Lines of the usual layouts (``fast``: one or several, tried in turn) are only tested against
    a plain regex and converted at fixed places. Of the others, a match test without captures picks the few worth the full
    ``head`` regex (continuation lines fail it early); ``convert`` gets their named groups and
    returns the typed columns, plus ``is_start`` and the ``marks`` when the regex also matches
    lines that start no record. Only compact columns travel on: no per-line copies of fields.

    ``pre`` (from the compiled core, :mod:`._scan`) replaces ``fast``: which lines it converted
    and their typed columns (``line``, ``_hlen`` and the typed columns, in line order).
    ``classes`` (with ``pre``, for a sparse piece: see ``_scan_kernels.classes``): only the
    lines of class 1 may start a record, so only their text is tested (none: no query).
    """
    if loaded_numpy() is None:
        return _split_heads_polars(df, head, convert, fast, marks, pre)
    import numpy as np

    text = df["text"]
    hits: list[tuple[pl.Series, Callable[[pl.DataFrame], pl.DataFrame]]] = []
    if pre is not None:
        hit = pre[0].to_numpy()
        if hit.any():
            hits.append((pre[0], lambda _df: pre[1]))
    else:
        hit = np.zeros(df.height, dtype=bool)
        layouts: list[TypedFast] = []
        if fast is not None:
            layouts = [cast(TypedFast, fast)] if isinstance(fast[0], str) else list(fast)  # type: ignore[arg-type]
        for pattern, parse in layouts:
            if not df.height:
                break
            this = text.str.contains(pattern).fill_null(False) & pl.Series(~hit)
            if this.any():
                hits.append((this, parse))
                hit = hit | this.to_numpy()
    # The lines left to the general path (a null text, an empty line or one a sparse piece
    # from the core leaves out, matches no header), where they are and whether the full
    # regex may match them: one query (a filter is cheaper than a gather here).
    text_ = pl.col("text")
    test = text_.str.contains(f"^(?:{head})").fill_null(False).alias("_maybe")
    slow_pos: np.ndarray | None = None
    if pre is not None and classes is not None:
        # A sparse piece: the lines of class 1 are the only ones the full regex may match
        # (their text is there), often none.
        at = np.flatnonzero(classes.to_numpy() == 1)
        if at.size:
            tested = pl.DataFrame([df["line"], text])[at].with_columns(test)
            found = tested["_maybe"].to_numpy()
            if found.any():
                slow_pos = at[found]
                rest = tested.filter(pl.Series(found)).select("line", "text")
    else:
        tested = (
            pl.DataFrame([df["line"], text, pl.Series("_left", ~hit)])
            .with_row_index("_pos")
            .lazy()
            .filter(pl.col("_left") & text_.is_not_null())
            .select("_pos", "line", "text", test)
            .collect()
        )
        if tested["_maybe"].any():
            rest = tested.filter(pl.col("_maybe"))
            slow_pos = rest["_pos"].to_numpy()
            rest = rest.select("line", "text")
    if slow_pos is not None:
        slow = _typed_slow(rest, head, convert, marks)
    else:  # the usual piece from the core: the general path has no line to convert
        empty = pl.DataFrame([df["line"].clear(), text.clear()])
        slow = _typed_none(empty, head, convert, tuple(marks))
    # Per line: whether it starts a record, and the marks, set where the general path says.
    is_start = hit.copy()
    flags = {m: np.zeros(df.height, dtype=bool) for m in marks}
    if slow_pos is not None:
        is_start[slow_pos] = slow["is_start"].to_numpy()
        for m in marks:
            flags[m][slow_pos] = slow[m].to_numpy()
    lines = pl.DataFrame(
        [
            df["line"],
            text,
            pl.Series("is_start", is_start),
            *(pl.Series(m, f) for m, f in flags.items()),
        ]
    )
    typed = [c for c in slow.columns if c not in ("line", "text", "is_start", *marks)]
    picked = slow.filter(pl.col("is_start")) if slow.height else slow
    slow_heads = pl.DataFrame([picked[c] for c in ("line", *typed)])
    heads = slow_heads
    for this, parse in hits:
        quick = _aligned(
            parse(df.select("line", "text").filter(this) if pre is None else df.clear()),
            slow_heads.schema,
        )
        heads = quick if heads.height == 0 else quick.merge_sorted(heads, "line")
    return lines, heads, slow


def _split_heads_polars(
    df: pl.DataFrame,
    head: str,
    convert: Callable[[pl.DataFrame], pl.DataFrame],
    fast: TypedFast | Sequence[TypedFast] | None = None,
    marks: Sequence[str] = (),
    pre: tuple[pl.Series, pl.DataFrame] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """:func:`split_heads` without numpy."""
    layouts: list[TypedFast] = []
    if fast is not None and pre is None:
        layouts = [cast(TypedFast, fast)] if isinstance(fast[0], str) else list(fast)  # type: ignore[arg-type]
    text = df["text"]
    hit = pl.repeat(False, df.height, dtype=pl.Boolean, eager=True)
    hits: list[tuple[pl.Series, Callable[[pl.DataFrame], pl.DataFrame]]] = []
    if pre is not None and pre[0].any():
        hit = pre[0]
        hits.append((hit, lambda _df: pre[1]))
    for pattern, parse in layouts:
        if not df.height:
            break
        this = text.str.contains(pattern).fill_null(False) & ~hit
        if this.any():
            hits.append((this, parse))
            hit = hit | this
    # The lines left to the general path; a null text (an empty line, or one a sparse piece
    # from the core leaves out) matches no header.
    left = ~hit & text.is_not_null()
    rest_pos = left.arg_true()
    rest = df.select("line", "text").filter(left)  # a filter is cheaper than a gather here
    maybe = rest["text"].str.contains(f"^(?:{head})").fill_null(False)
    if maybe.any():
        slow = _typed_slow(rest.filter(maybe), head, convert, marks)
    else:  # the usual piece from the core: the general path has no line to convert
        slow = _typed_none(rest.clear(), head, convert, tuple(marks))
    slow_pos = rest_pos.filter(maybe)
    is_start = hit.clone().scatter(slow_pos, slow["is_start"]) if slow.height else hit
    lines = df.select("line", "text").with_columns(is_start.alias("is_start"))
    for m in marks:
        flag = pl.repeat(False, df.height, dtype=pl.Boolean, eager=True)
        if slow.height:
            flag = flag.scatter(slow_pos, slow[m])
        lines = lines.with_columns(flag.alias(m))
    typed = [c for c in slow.columns if c not in ("line", "text", "is_start", *marks)]
    slow_heads = slow.filter(pl.col("is_start")).select("line", *typed)
    heads = slow_heads
    for this, parse in hits:
        quick = parse(df.select("line", "text").filter(this) if pre is None else df.clear())
        quick = quick.select(
            [
                pl.col(c).cast(t) if c in quick.columns else pl.lit(None, dtype=t).alias(c)
                for c, t in slow_heads.schema.items()
            ]
        )
        heads = quick if heads.height == 0 else quick.merge_sorted(heads, "line")
    return lines, heads, slow


def _aligned(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """``frame``'s columns of ``schema``, in its order and of its types (a null column for
    one ``frame`` lacks); no polars query when the types are already those."""
    if any(c in frame.columns and frame.schema[c] != t for c, t in schema.items()):
        return frame.select(
            [
                pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
                for c, t in schema.items()
            ]
        )
    return pl.DataFrame(
        [
            frame[c] if c in frame.columns else filled(c, None, t, frame.height)
            for c, t in schema.items()
        ]
    )


#: :func:`_typed_slow` of no lines, by its arguments: its columns only, the same every time.
_NONE: dict[tuple[object, ...], pl.DataFrame] = {}


def _typed_none(
    empty: pl.DataFrame,
    head: str,
    convert: Callable[[pl.DataFrame], pl.DataFrame],
    marks: tuple[str, ...],
) -> pl.DataFrame:
    """:func:`_typed_slow` of the frame ``empty`` (no rows), made once per reader layout."""
    key = (head, convert, marks, tuple(empty.schema.items()))
    made = _NONE.get(key)
    if made is None:
        if len(_NONE) > 64:  # a converter made per file (declared formats): stay bounded
            _NONE.clear()
        made = _NONE.setdefault(key, _typed_slow(empty, head, convert, marks))
    return made


def _typed_slow(
    df: pl.DataFrame,
    head: str,
    convert: Callable[[pl.DataFrame], pl.DataFrame],
    marks: Sequence[str] = (),
) -> pl.DataFrame:
    groups = pl.col("text").str.extract_groups(f"^(?P<_head>{head})")
    out = df.select("line", "text", groups.alias("_g")).unnest("_g")
    out = out.with_columns(
        pl.col("_head").is_not_null().alias("is_start"),
        pl.col("_head").str.len_chars().fill_null(0).cast(pl.UInt32).alias("_hlen"),
    )
    typed = convert(out)
    own = [c for c in ("is_start", *marks) if c in typed.columns]
    base = out.select("line", "text", *[c for c in ("is_start",) if c not in own], "_hlen")
    return pl.concat([base, typed], how="horizontal")


def assemble_heads(
    lines: pl.DataFrame,
    heads: pl.DataFrame,
    *,
    cont: pl.Expr | None = None,
    skip: str | None = None,
    lean: bool = False,
    need: pl.Expr | None = None,
    kind: str = "*",
    options: ReadOptions = DEFAULT,
    flags: pl.Series | None = None,
    classes: pl.Series | None = None,
    digest: bool = True,
) -> tuple[pl.DataFrame, int]:
    """:func:`assemble` for the output of :func:`split_heads`: one row per record (the
    ``heads`` columns but ``_hlen``, and ``message``) and the number of non-blank lines before
    the first record.

    ``lean`` (when ``options`` slim messages and allow it): only records with a line that passes the
    signature prefilter of reader ``kind``, or for which the boolean expression ``need`` (on
    ``heads``) holds, get their message joined; the others get a null message, and every
    record a ``digest`` (the sum of its lines' hashes) for :func:`slim` and the timeline's
    merge of rotated files (none with ``digest`` False: the lines' text need not be there).
    ``flags``: the prefilter's verdict on each line of ``lines``, found by the compiled core
    (0: no, 1: yes, 2: run the prefilter's regex on the line); ``classes``: for a piece whose
    lines' text is left out where nothing reads it (``_scan.scan`` ``sparse``), which lines
    are blank (see ``_scan_kernels.classes``).
    """
    cont_expr = cont if cont is not None else pl.col("text")
    keep = options.keep_of(kind)
    lean_here = (
        lean and options.lean and keep is not None and (keep.lines is not None or keep.full is None)
    )
    if lean_here and classes is not None and flags is not None and not digest:
        assert keep is not None
        return _assemble_sparse(lines, heads, cont_expr, skip, need, keep.lines, flags, classes)
    # A line is kept when it starts a record, or is a non-blank continuation (not a skipped
    # header); the blank test runs on the lines that start no record only (often none).
    starts = lines["is_start"]
    others = (~starts).arg_true()
    kept = starts
    if others.len():
        rest = lines.select("text", *([skip] if skip else [])).filter(~starts)
        if classes is None:
            used = rest["text"].str.contains(r"\S").fill_null(False)
        else:  # the core told blank lines from others where their text is left out
            cls = classes.filter(~starts)
            used = (cls == 2) | ((cls <= 1) & rest["text"].str.contains(r"\S").fill_null(False))
        if skip is not None:
            used = used & ~rest[skip]
        kept = starts.clone().scatter(others.filter(used), True)
    work = lines.with_columns(pl.col("is_start").cast(pl.Int64).cum_sum().alias("_rid"))
    if flags is not None:
        work = work.with_columns(flags.alias("_pf"))
    work = work.filter(kept)
    orphans = int((work["_rid"] == 0).sum())
    fields = [c for c in heads.columns if c not in ("line", "_hlen")]
    if not lean_here:
        return _messages(work, heads, cont_expr).drop("_hlen", "_rid"), orphans
    assert keep is not None
    work = work.filter(pl.col("_rid") > 0)
    digests: list[pl.Series] = []
    if digest:
        h = (pl.col("text").hash() // _LINE_HASH_SHIFT).alias("_h")
        work = work.with_columns(h).with_columns(
            (pl.col("_h").cum_sum() - pl.col("_h")).alias("_before")
        )
        total = int(work["_h"].sum() or 0)
        before = work.filter(pl.col("is_start"))["_before"]
        digests.append((before.shift(-1, fill_value=total) - before).alias("digest").rechunk())
    # Records are numbered 1, 2, ... in file order: record k is row k - 1 of ``heads``.
    if keep.lines is None:
        cand = work["_rid"].clear()
    elif flags is None:
        cand = work.filter(pl.col("text").str.contains(keep.lines).fill_null(False))["_rid"]
    else:
        passed = (pl.col("_pf") == 1) | (
            (pl.col("_pf") == 2) & pl.col("text").str.contains(keep.lines).fill_null(False)
        )
        cand = work.filter(passed)["_rid"]
    if need is not None:
        forced = heads.select(need.fill_null(False).alias("_n")).with_row_index("_i")
        cand = pl.concat([cand, forced.filter(pl.col("_n"))["_i"].cast(pl.Int64) + 1])
    cand = cand.unique()
    msg = pl.repeat(None, heads.height, dtype=pl.Utf8, eager=True).alias("message")
    if cand.len():
        sub_heads = heads.select("line", "_hlen").gather(cand.sort() - 1)
        sub = _messages(work.filter(pl.col("_rid").is_in(cand.implode())), sub_heads, cont_expr)
        msg = msg.scatter(sub["_rid"] - 1, sub["message"])
    return heads.select("line", *fields).with_columns(msg, *digests), orphans


def _assemble_sparse(
    lines: pl.DataFrame,
    heads: pl.DataFrame,
    cont: pl.Expr,
    skip: str | None,
    need: pl.Expr | None,
    pattern: str | None,
    flags: pl.Series,
    classes: pl.Series,
) -> tuple[pl.DataFrame, int]:
    """:func:`assemble_heads`'s lean assembly of a sparse piece from the compiled core, on the
    core's arrays: which lines are kept, their record numbers and which records get their
    message are worked out per line in numpy, and polars only touches the text of the few lines
    that need it (a line the core could not class, a prefilter verdict left to the regex, the
    lines of the records whose message is joined). The same records and orphans as the
    general assembly (the tests compare the core on and off)."""
    import numpy as np

    start = lines["is_start"].to_numpy()
    cls = classes.to_numpy()
    text = lines["text"]
    # Kept: a record's start, or a continuation that is not blank (classes 2; class 1 lines
    # hold their text and are looked at) and not a skipped header.
    kept = start | (cls == 2)
    unsure = np.flatnonzero(~start & (cls <= 1))
    if unsure.size:
        kept[unsure[_matches(text, r"\S", unsure)]] = True
    if skip is not None:
        kept &= start | ~lines[skip].to_numpy()
    rid = np.cumsum(start, dtype=np.int64)
    orphans = int(np.count_nonzero(kept & (rid == 0)))
    inside = kept & (rid > 0)
    cands: list[np.ndarray] = []
    if pattern is not None:
        pf = flags.to_numpy()
        cands.append(rid[inside & (pf == 1)])
        ask = np.flatnonzero(inside & (pf == 2))
        if ask.size:
            cands.append(rid[ask[_matches(text, pattern, ask)]])
    if need is not None:
        forced = heads.select(need.fill_null(False)).to_series().to_numpy()
        cands.append(np.flatnonzero(forced).astype(np.int64) + 1)
    cand = np.unique(np.concatenate(cands)) if cands else np.zeros(0, np.int64)
    fields = [c for c in heads.columns if c not in ("line", "_hlen")]
    msg = filled("message", None, pl.Utf8(), heads.height)
    if cand.size:
        chosen = np.zeros(max(heads.height, int(rid[-1])) + 1, dtype=bool)
        chosen[cand] = True
        rows = inside & chosen[rid]
        work = put(lines[np.flatnonzero(rows)], pl.Series("_rid", rid[rows]))
        sub_heads = pl.DataFrame([heads["line"], heads["_hlen"]])[cand - 1]
        sub = _messages(work, sub_heads, cont)
        msg = msg.scatter(sub["_rid"].to_numpy() - 1, sub["message"])
    return pl.DataFrame([*(heads[c] for c in ("line", *fields)), msg]), orphans


def _messages(
    work: pl.DataFrame, heads: pl.DataFrame, cont: pl.Expr, text: str = "text"
) -> pl.DataFrame:
    """``heads`` (the records of ``work``'s start lines, in order) plus ``_rid`` and the joined
    ``message``: the start line's ``text`` column from ``_hlen`` on, then its continuation
    lines."""
    first = work.filter(pl.col("is_start")).select("_rid", *(["text"] if text == "text" else []))
    out = (
        pl.concat([heads, first], how="horizontal")
        .with_columns(
            pl.col(text).str.slice(pl.col("_hlen").cast(pl.Int64)).fill_null("").alias("message")
        )
        .drop(text)
    )
    conts = work.filter(~pl.col("is_start") & (pl.col("_rid") > 0))
    if conts.height:
        joined = conts.group_by("_rid").agg(cont.fill_null("").str.join("\n").alias("_cont"))
        out = out.join(joined, on="_rid", how="left", maintain_order="left").with_columns(
            pl.when(pl.col("_cont").is_not_null())
            .then(pl.concat_str([pl.col("message"), pl.lit("\n"), pl.col("_cont")]))
            .otherwise(pl.col("message"))
            .alias("message")
        )
        out = out.drop("_cont")
    return out.with_columns(pl.col("message").str.strip_chars_end())


def file_time(path: str) -> dt.datetime:
    """The file's modified time, as local time (now when it cannot be read): what dates a log
    whose stamps lack their date or year."""
    try:
        return dt.datetime.fromtimestamp(os.path.getmtime(path))
    except OSError:
        return dt.datetime.now()


def after_file_time(anchor: dt.datetime, month: int, day: object) -> bool:
    """Whether ``month``/``day`` of ``anchor``'s year is more than a day after ``anchor`` (a day
    of slack: the file's time and the log's clock may be in different zones): a last record
    that would come after the file was written is last year's."""
    try:
        when = dt.datetime(anchor.year, month, int(str(day).strip()))
    except ValueError:  # Feb 29 of a year without it, or a day not understood
        return month > anchor.month
    return when > anchor + dt.timedelta(days=1)


def per_value(
    df: pl.DataFrame, column: str, convert: Callable[[pl.DataFrame], pl.DataFrame]
) -> pl.DataFrame:
    """``df`` plus the columns ``convert`` makes from a frame of the distinct values of
    ``column`` (names, zones and dates repeat on millions of lines), mapped back per row. A
    column holding one value only (a zone, a sender) is converted once and repeated; strings
    are mapped by a cast to an enum of the distinct values (cheaper than a hash lookup), then
    a gather per column made."""
    s = df[column]
    if s.len() and not s.null_count() and s[0] == s[-1] and bool((s == s[0]).all()):
        made = convert(df.select(s.head(1)))
        return df.with_columns(
            [made[c].new_from_index(0, df.height) for c in made.columns if c != column]
        )
    made = convert(df.select(pl.col(column).unique().drop_nulls()))
    names = [c for c in made.columns if c != column]
    if s.dtype == pl.Utf8:
        idx = s.cast(pl.Enum(made[column])).to_physical()
    else:
        made = made.with_row_index("_pv")
        idx = s.replace_strict(made[column], made["_pv"], default=None, return_dtype=pl.UInt32)
    return df.with_columns([made[c].gather(idx).alias(c) for c in names])


@functools.lru_cache(maxsize=16)
def head_lines(head: str, limit: int = SNIFF_LINES) -> pl.Series:
    """The first ``limit`` non-blank lines of a sniff head, as a Series (made once per head:
    every sniffer asks for the same file's, and a folder may hold thousands of small files):
    the lines of :func:`line_frame`, each cut to 4,096 characters, in one polars query (each
    query costs ~0.1 ms however small the head)."""
    if not head:
        return pl.Series("text", [], dtype=pl.Utf8)
    return _head_query(head, limit).collect().to_series()


def _head_query(head: str, limit: int = SNIFF_LINES) -> pl.LazyFrame:
    """:func:`head_lines` of a non-empty ``head`` as a lazy query (column ``text``)."""
    body = head[:-1] if head.endswith("\n") else head
    text = pl.col("text").str.split("\n").explode().str.strip_suffix("\r").str.slice(0, 4096)
    return (
        pl.LazyFrame({"text": [body]}, schema={"text": pl.Utf8})
        .select(text)
        .filter(pl.col("text").str.strip_chars() != "")
        .head(limit)
    )


#: The patterns sniffers test a file's first lines against (:func:`head_hits`), in the order
#: they were first asked for.
_SNIFF_PATTERNS: dict[str, None] = {}
#: :func:`head_hits` of the last heads sniffed: per head, per pattern, the hits (or what
#: polars raised for that pattern).
_HITS: dict[str, dict[str, tuple[bool, ...] | Exception]] = {}
_HITS_LOCK = threading.Lock()
_HITS_KEPT = 16


def head_hits(head: str, pattern: str) -> tuple[bool, ...]:
    """Whether each of :func:`head_lines` of ``head`` matches ``pattern`` (polars regex, as
    ``str.contains``); raises what ``str.contains`` raises for an invalid pattern.

    Every reader sniffs the same head: the patterns asked for so far (by any head) are tested
    all at once, the first time one is asked of a head, in one polars query (a folder of
    thousands of small files paid ~0.1 ms a pattern and reader for each)."""
    with _HITS_LOCK:
        _SNIFF_PATTERNS.setdefault(pattern, None)
        got = _HITS.get(head)
        if got is not None and pattern in got:
            return _hit_or_raise(got[pattern])
        missing = [p for p in _SNIFF_PATTERNS if got is None or p not in got]
    new = _test_all(head, missing, fresh=got is None)
    with _HITS_LOCK:
        if got is None:
            got = _HITS.setdefault(head, {})
            while len(_HITS) > _HITS_KEPT:
                del _HITS[next(iter(_HITS))]
        got.update(new)
    return _hit_or_raise(new[pattern])


def _hit_or_raise(hits: tuple[bool, ...] | Exception) -> tuple[bool, ...]:
    if isinstance(hits, Exception):
        raise type(hits)(*hits.args)  # a fresh one: each raise would add to its traceback
    return hits


def _test_all(
    head: str, patterns: list[str], *, fresh: bool
) -> dict[str, tuple[bool, ...] | Exception]:
    """Each of the head's lines (:func:`head_lines`) against each pattern, in one query (with
    the lines' own for a head not tested before, ``fresh``); one pattern at a time when one of
    them is no valid regex (its error kept for the sniffer that asks for it)."""
    tests = [pl.col("text").str.contains(p).alias(str(i)) for i, p in enumerate(patterns)]
    try:
        if fresh and head:
            tested = _head_query(head).select(tests).collect()
        else:
            tested = head_lines(head).to_frame("text").select(tests)
        cols = tested.to_dict(as_series=False)
        return {p: tuple(cols[str(i)]) for i, p in enumerate(patterns)}
    except pl.exceptions.PolarsError:
        lines = head_lines(head)
        out: dict[str, tuple[bool, ...] | Exception] = {}
        for p in patterns:
            try:
                out[p] = tuple(lines.str.contains(p).to_list())
            except pl.exceptions.PolarsError as exc:
                out[p] = exc
        return out


def head_share(head: str, pattern: str) -> tuple[int, int]:
    """:func:`share_matching` of :func:`head_lines` of ``head`` (see :func:`head_hits`)."""
    hits = head_hits(head, pattern)
    return sum(hits), len(hits)


def share_matching(lines: pl.Series, pattern: str) -> tuple[int, int]:
    """(number of ``lines`` matching ``pattern``, number of lines)."""
    if lines.len() == 0:
        return 0, 0
    return int(lines.str.contains(pattern).sum()), lines.len()


def month_number(expr: pl.Expr, *, full: bool = False) -> pl.Expr:
    """English month abbreviation (or, with ``full``, also full name) → "01".."12", else null."""
    table = FULL_MONTHS | MONTHS if full else MONTHS
    return expr.str.to_lowercase().replace_strict(table, default=None, return_dtype=pl.Utf8)


def iso_date(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """ "YYYY-MM-DD" from string parts (day may be 1 or 2 digits)."""
    return pl.concat_str([year, pl.lit("-"), month, pl.lit("-"), day.str.zfill(2)])


def plausible(ts: pl.Expr) -> pl.Expr:
    """A ``Datetime("us")`` expression as ``Datetime("ns")``, null outside the plausible
    years (:data:`MIN_YEAR`..:data:`MAX_YEAR`) instead of wrapped."""
    return pl.when(ts.dt.year().is_between(MIN_YEAR, MAX_YEAR)).then(ts).cast(pl.Datetime("ns"))


def strptime_ns(text: pl.Expr, layout: str, *, exact: bool = True) -> pl.Expr:
    """``text`` parsed with ``layout`` into a naive ``Datetime("ns")``; null when it does not
    fit the layout or its year is implausible (see :data:`MIN_YEAR`), never wrapped."""
    return plausible(text.str.strptime(pl.Datetime("us"), layout, strict=False, exact=exact))


def make_ts(date: pl.Expr, hms: pl.Expr, frac: pl.Expr | None = None) -> pl.Expr:
    """Naive ``Datetime("ns")`` from "YYYY-MM-DD", "H:MM:SS" and optional fraction digits.

    ``frac`` holds the digits after the decimal mark ("105" = 105 ms, "5" = 500 ms,
    "123456789" = ns). Invalid dates (Feb 30, hour 25) give null, never an error.
    """
    hms_norm = hms.str.zfill(8)
    ts = strptime_ns(pl.concat_str([date, pl.lit(" "), hms_norm]), "%Y-%m-%d %H:%M:%S")
    if frac is None:
        return ts
    return ts + pl.duration(nanoseconds=frac_ns(frac))


def frac_ns(frac: pl.Expr) -> pl.Expr:
    """Fraction digits after the decimal mark → nanoseconds ("105" = 105 ms, "5" = 500 ms,
    "123456789" = ns); 0 when null."""
    return frac.str.slice(0, 9).str.pad_end(9, "0").cast(pl.Int64, strict=False).fill_null(0)


def offset_minutes(expr: pl.Expr) -> pl.Expr:
    """ "-0500" / "+09:00" / "Z" / "UTC" / "GMT" → minutes east of UTC (Int32), else null."""
    parts = expr.str.extract_groups(r"^(?P<sign>[+-])(?P<hh>[0-9]{2}):?(?P<mm>[0-9]{2})$")
    hh = parts.struct.field("hh").cast(pl.Int32, strict=False)
    mm = parts.struct.field("mm").cast(pl.Int32, strict=False)
    sign = pl.when(parts.struct.field("sign") == "-").then(pl.lit(-1)).otherwise(pl.lit(1))
    return (
        pl.when(expr.str.to_uppercase().is_in(["Z", "UTC", "GMT", "UT"]))
        .then(pl.lit(0, dtype=pl.Int32))
        .otherwise((sign * (hh * 60 + mm)).cast(pl.Int32))
    )


def assemble(
    df: pl.DataFrame,
    *,
    fields: Sequence[str],
    message: str = "msg",
    cont: pl.Expr | None = None,
    skip: str | None = None,
) -> tuple[pl.DataFrame, int]:
    """Group lines into records.

    ``df`` has ``line``, ``text``, a boolean ``is_start`` and the extracted
    ``fields`` plus ``message`` (null on non-start lines). Lines flagged by the
    boolean column ``skip`` (headers) are neither records nor continuations; blank
    lines are dropped. Continuation text is ``cont`` (default: the raw line).

    Returns one row per record (``line`` of its first line, the fields, the
    joined ``message``) and the number of non-blank lines found before the
    first record (the caller warns about them).
    """
    cont_expr = cont if cont is not None else pl.col("text")
    keep = pl.col("text").str.strip_chars() != ""
    if skip is not None:
        keep = keep & ~pl.col(skip)
    work = df.with_columns(pl.col("is_start").cast(pl.Int64).cum_sum().alias("_rid"))
    work = work.filter(keep | pl.col("is_start"))
    orphans = int(work.filter(pl.col("_rid") == 0).height)
    heads = work.filter(pl.col("is_start")).select(
        "line",
        *fields,
        pl.col(message).fill_null("").alias("_msg"),
        pl.lit(0, pl.UInt32).alias("_hlen"),
    )
    out = _messages(work, heads, cont_expr, text="_msg")
    return out.select("line", *fields, "message"), orphans


def to_events(df: pl.DataFrame) -> pl.DataFrame:
    """Select and cast the EVENT_SCHEMA columns (missing ones become null, see :func:`filled`);
    a ``digest`` column (see :func:`slim`) is kept after them. Column by column, no query."""
    schema = df.schema
    kept = [
        (df[n] if schema[n] == t else df[n].cast(t))
        if n in schema
        else filled(n, None, t, df.height)
        for n, t in EVENT_SCHEMA.items()
    ]
    return pl.DataFrame(kept + ([df["digest"]] if "digest" in schema else []))


def shift_lines(df: pl.DataFrame, before: int) -> pl.DataFrame:
    """Line numbers of a piece read by :func:`line_chunks` -> line numbers in the file."""
    return put(df, df["line"] + before) if before else df


def first_text(df: pl.DataFrame) -> pl.DataFrame:
    """The first non-blank line of a line frame (0 or 1 row), for :func:`no_records` (one
    polars query)."""
    return (
        df.lazy()
        .filter(pl.col("text").str.strip_chars() != "")
        .head(1)
        .select("line", "text")
        .collect()
    )


def cap_warnings(display: str, items: Iterable[tuple[int, str]]) -> list[str]:
    """Format ``(line, reason)`` items as "path:line: reason", keeping at most MAX_WARNINGS."""
    items = list(items)
    real = [(n, why) for n, why in items if why]  # ("", 0) items only count towards "more"
    shown = real[:MAX_WARNINGS]
    out: list[str] = [
        warn("at_line", path=display, line=n, reason=why)
        if n
        else warn("at_file", path=display, reason=why)
        for n, why in shown
    ]
    if len(items) > len(shown):
        out.append(warn("more_in_file", path=display, count=len(items) - len(shown)))
    return out


def put(df: pl.DataFrame, *cols: pl.Series) -> pl.DataFrame:
    """``df.with_columns(*cols)`` for columns already made: each replaces the column of its
    name, or comes after the others; built column by column, no query."""
    new = {c.name: c for c in cols}
    kept = [new.pop(c.name, c) for c in df.get_columns()]
    return pl.DataFrame([*kept, *new.values()])


def timed(records: pl.DataFrame) -> pl.DataFrame:
    """The ``records`` whose ``ts_local`` could be built (see :func:`bad_time_items`): the
    frame as it is when every one was (no copy of its rows)."""
    if records["ts_local"].null_count() == 0:
        return records
    return records.filter(pl.col("ts_local").is_not_null())


def bad_time_items(records: pl.DataFrame, what: str) -> list[tuple[int, str]]:
    """Warning items for records whose ``ts_local`` could not be built; ``what`` (worded, see
    :func:`hbtriage.warning_text.warn`): the time stamp that was expected."""
    if records["ts_local"].null_count() == 0:
        return []  # known without a pass over the rows
    bad = records.filter(pl.col("ts_local").is_null())
    shown = bad["line"].head(MAX_WARNINGS + 1).to_list()
    reason = warn("bad_time", what=what)
    items: list[tuple[int, str]] = [(int(n), reason) for n in shown]
    items.extend([(0, "")] * (bad.height - len(shown)))
    return items


def most_frequent(s: pl.Series) -> str | None:
    """The most frequent non-null value (first seen wins a tie), or None."""
    if s.len() == s.null_count():
        return None
    counts = s.value_counts(sort=False).drop_nulls()
    top = counts.filter(pl.col("count") == pl.col("count").max()).get_column(s.name)
    if top.len() == 1:
        return str(top[0])
    # A tie: the first row holding one of the tied values (one pass, no group over every row).
    return str(s.filter(s.is_in(top.implode())).head(1)[0])


def base_name(display: str) -> str:
    """File name of a display path ("bundle.zip!CVP1/CVP.log" → "CVP.log")."""
    return os.path.basename(display.replace("!", "/").replace("\\", "/"))


def no_records(display: str, df: pl.DataFrame, expected: str) -> InputError:
    """The InputError raised when a file holds no record of the format at all."""
    first = df.filter(pl.col("text").str.strip_chars() != "").head(1)
    if first.height:
        return InputError(display, int(first["line"][0]), expected, first["text"][0][:80])
    return InputError(display, None, expected, warn("an_empty_file"))


def preamble_items(orphans: int, first_line: int | None) -> list[tuple[int, str]]:
    """One warning item when lines came before the first record (cut file, foreign text)."""
    if not orphans:
        return []
    return [(1, warn("before_first_record", count=orphans, first=first_line))]


def unterminated_item(df: pl.DataFrame, unterminated: bool) -> list[tuple[int, str]]:
    """A warning item when the file ends in the middle of a line that starts no record."""
    if not unterminated or df.height == 0:
        return []
    last = df.tail(1)
    if bool(last["is_start"][0]):
        return []
    return [(int(last["line"][0]), warn("no_line_end"))]


@dataclass
class Pieces:
    """What a line-oriented reader collects while it walks a file piece by piece (see
    :meth:`lines`): the long-line warnings, the first line with text (for :func:`no_records`),
    the lines before the first record, the first record start and the warning about a last
    line with no line end."""

    path: str
    encoding: str
    starts: str | None  # a record start (Python ``re``): where the file may be cut
    options: ReadOptions = DEFAULT
    long_items: list[tuple[int, str]] = field(default_factory=list)
    first_seen: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"line": pl.Int64, "text": pl.Utf8})
    )
    orphans: int = 0
    first_start: int | None = None
    tail_items: list[tuple[int, str]] = field(default_factory=list)
    records: int = 0
    #: Reads a piece's bytes with the compiled core (see :data:`Scanner`); what it found in
    #: the current piece (None: the piece was split by polars).
    scanner: Scanner | None = None
    seen: object = None
    _unterminated: bool = False
    _last: bool = False

    def lines(self) -> Iterator[pl.DataFrame]:
        """Each piece's line frame (file line numbers, long lines cut)."""
        chunks = _chunks_raw(self.path, self.encoding, self.starts, self.options, self.scanner)
        for frame, unterminated, before, last, seen in chunks:
            self.seen = seen
            del seen
            lines, items = long_line_warnings(shift_lines(frame, before))
            del frame
            self.long_items += items
            if self.first_seen.height == 0:
                self.first_seen = first_text(lines)
            self._unterminated, self._last = unterminated, last
            yield lines
            self.seen = None

    def done(self, parts: pl.DataFrame, orphans: int, records: int) -> None:
        """Bookkeeping after a piece: its lines with ``is_start``, the lines it found before
        the first record, and how many records it assembled."""
        self.orphans += orphans
        self.records += records
        if self.first_start is None:
            starts = parts.filter(pl.col("is_start"))["line"]
            self.first_start = int(starts[0]) if starts.len() else None
        if self._last:
            self.tail_items = unterminated_item(parts, self._unterminated)

    def preamble(self) -> list[tuple[int, str]]:
        """The warning about lines before the first record (empty when there were none)."""
        return preamble_items(self.orphans, self.first_start)


def restarts(records: pl.DataFrame, seq: str, keys: Sequence[str]) -> list[dict[str, object]]:
    """Records whose sequence number went *down* within ``keys`` (host + process): a restart.

    CiscoLog numbers each process's messages from 0 since its last start, so a
    decrease means the process started again between the two records.
    """
    if records.height == 0 or seq not in records.columns:
        return []
    n = pl.col(seq).cast(pl.Int64, strict=False)
    marked = records.with_columns(
        (n < n.shift(1).over([pl.col(k).fill_null("") for k in keys])).alias("_restart"),
        n.shift(1).over([pl.col(k).fill_null("") for k in keys]).alias("_prev"),
    ).filter(pl.col("_restart").fill_null(False))
    marked = marked.with_columns(
        pl.col("ts_local").dt.strftime("%Y-%m-%dT%H:%M:%S%.3f").alias("_iso"),
        n.alias("_seq"),
    )
    return [
        {
            "line": row["line"],
            "ts_local": row["_iso"],
            "offset_min": row.get("offset_min"),
            "node": row.get("node"),
            "component": row.get("component"),
            "seq": row["_seq"],
            "previous_seq": row["_prev"],
        }
        for row in marked.iter_rows(named=True)
    ]
