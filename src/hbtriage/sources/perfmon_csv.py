"""Windows Performance Monitor CSV (PDH-CSV 4.0): perfmon / relog / typeperf exports.

What a real export looks like, and what this reader copes with:

* First header cell ``(PDH-CSV 4.0) (Eastern Standard Time)(300)`` (``(PDH-TSV 4.0) ...`` in
  a tab-separated export): zone name, as the Windows that wrote it names it (``Hora de verano
  romance``), and bias in minutes WEST of UTC (``ReadResult.offset_min = -bias``). When the
  name is a Windows zone whose IANA zone has that offset at the first sample,
  ``ReadResult.tz_iana`` names it (:func:`hbtriage.zones.perfmon_zone`). Real files also write
  ``()(-540)`` (no name) or just ``(PDH-CSV 4.0)`` (typeperf), and the zone part cut off
  (``(PDH-CSV 4.0) (`` on Japanese Windows, ``(PDH-CSV 4.0) (RTZ 2 (``: the characters the
  writer could not encode dropped): zone/offset are then None, and a cut one is a warning.
* Other header cells ``\\\\MACHINE\\Object(Instance)\\Counter``; instances may hold
  parentheses, ``#1`` suffixes or nothing (``\\\\HOST\\Memory\\Pages/sec``). Cells that are not
  counter paths (the Data Collector Set description a Japanese export appends, in CP932) are
  skipped. Localized object/counter names (German, French ...) are mapped to English through
  :mod:`hbtriage.counter_names`; only catalog counters are kept.
* Quoted or unquoted cells (Excel re-saves: ``2.20E+12``), ``,`` / TAB / ``;`` separators
  (German Excel: ``;`` with decimal commas), CRLF or LF, any encoding the caller detected.
* Blank cells (``" "``, ``""``, nothing) are missing values (null), never zero: the first
  sample of every rate counter is blank.
* typeperf's trailing chatter (``Exiting, please wait...``) after the last sample is ignored.
* A binary ``.blg`` log cannot be read here: :func:`is_blg` recognises it and ``read`` says
  how to convert it (``relog file.blg -f csv -o file.csv``).

Cumulative counters are kept raw; the timeline differences them.

Memory: an ASCII (or valid UTF-8) file is never loaded whole. Fast path (a quoted header, every
data line well formed): the file is read in pieces of 16 MiB cut at line ends, one held at a
time; in each, polars counts the lines and its CSV parser reads the time column, the catalog
columns and two sentinels (the last column, one past it); row count, sentinels, a time stamp
on every row and no quoted cell across a cut prove no line needs a warning. Otherwise polars
scans the file in streaming batches once to check every line (width, time stamp, quotes; only
the first 512 characters of a line are kept for warnings), then reads only the catalog columns.
Other encodings (UTF-16, cp932, cp1252 with accents) are decoded in memory first.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from hbtriage import counter_names
from hbtriage.errors import InputError
from hbtriage.sources._lines import loaded_numpy, strptime_ns
from hbtriage.sources.base import InputFile, ReadResult, empty_counters
from hbtriage.sources.encoding import (
    Utf8Stream,
    _read_to_line_end,
    decode,
    detect_encoding,
    header_encoding,
    rest_of_line,
)
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn
from hbtriage.zones import perfmon_zone

KIND = "perfmon_csv"
MAX_WARNINGS = 20

_PDH_RE = re.compile(r'^\ufeff?\s*"?\(PDH-[CT]SV 4\.0\)')
_ZONE_BIAS_RE = re.compile(r"^\((.*)\)\s*\((-?\d+)\)\s*$", re.S)
_ZONE_ONLY_RE = re.compile(r"^\((.*)\)\s*$", re.S)
_PATH_RE = re.compile(r"^\\\\([^\\]+)\\(.+)\\([^\\]+)$", re.S)
_BLANKS = ["", " ", "  "]  # perfmon writes " " for a sample it has no value for
#: Largest piece a UTF-8 file is parsed in (``ReadOptions.block_bytes`` when smaller): one
#: piece is held at a time. polars scanning the whole file would prefetch most of it into
#: memory (260 MiB of a 384 MiB file); with 16 MiB pieces analyze peaks ~40 MiB lower than
#: with 32 MiB ones on the 0.25x bench, in the same time.
FILE_BLOCK_BYTES = 16 * 1024 * 1024

# Timestamp spellings seen in exports, the perfmon one first; the one parsing most rows wins
# (so day/month order is decided per file, never per row).
_TS_FORMATS: tuple[str, ...] = (
    "%m/%d/%Y %H:%M:%S%.f",
    "%d/%m/%Y %H:%M:%S%.f",
    "%d.%m.%Y %H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%Y/%m/%d %H:%M",
)


# --------------------------------------------------------------------------- binary .blg


def is_blg(head_bytes: bytes) -> bool:
    """True when ``head_bytes`` (the first bytes of a file) are a binary perfmon log.

    Windows 2000/XP logs start with ``PDH``; Vista+ ``.blg`` files start with the bytes
    ``00 00 01 00`` and carry UTF-16 strings such as ``@tzres.dll`` or the log's own
    ``...\\*.blg`` path in their first block (verified on PAL's SampleLog.blg).
    """
    if head_bytes.startswith(b"PDH"):
        return True
    if not head_bytes.startswith(b"\x00\x00\x01\x00"):
        return False
    block = head_bytes[:4096]
    return (
        any(s.encode("utf-16-le") in block for s in ("tzres.dll", ".blg", ".BLG", "\\\\"))
        or block.count(0) > len(block) // 2
    )


def _is_blg_text(head: str) -> bool:
    """The decoded-text version of :func:`is_blg` (sniff only sees text).

    The caller decoded the bytes with cp1252/utf-8 (one char per byte) or UTF-16 (NUL pairs
    become U+0000): either way the text starts with NULs and holds ``tzres.dll`` / ``.blg``.
    """
    if head.startswith("PDH") and not head.startswith(("PDH-CSV", "PDH-TSV")):
        return True
    if not head.startswith(("\x00\x00\x01\x00", "\x00\x01")):
        return False
    flat = head[:4096].replace("\x00", "")
    return "tzres.dll" in flat or ".blg" in flat.lower() or head[:64].count("\x00") > 16


# --------------------------------------------------------------------------- header


#: A per-NUMA-node total instance of Processor Information ("0,_Total").
_NODE_TOTAL_RE = re.compile(r"^\d+,_Total$", re.IGNORECASE)


@dataclass(frozen=True)
class Column:
    """One kept counter column."""

    index: int
    host: str
    object: str
    instance: str
    counter: str


#: ``_total`` / ``0,_total``: a total instance as Get-Counter writes it (lowercase).
_TOTAL_RE = re.compile(r"(^|,)_total$")


def _lowered_paths(cells: list[str]) -> bool:
    """Every counter path of the header in lowercase: PowerShell's ``Export-Counter -FileFormat
    csv|tsv`` keeps the paths of the ``Get-Counter`` samples it was given, which PowerShell
    writes in lowercase (``\\\\pg1a\\processor(_total)\\dpc rate``); perfmon, relog and
    typeperf write them as the counters are named (``\\\\PG1A\\Processor(_Total)\\DPC Rate``).
    Such a file's computer name is read in capitals, as Windows names the computer
    (``%COMPUTERNAME%``), and its ``_total`` as ``_Total``."""
    paths = [c for c in cells if split_counter_path(c) is not None]
    return bool(paths) and all(c == c.lower() for c in paths) and any(c != c.upper() for c in paths)


def split_counter_path(cell: str) -> tuple[str, str, str, str] | None:
    """``\\\\HOST\\Object(Instance)\\Counter`` -> (host, object, instance, counter), else None."""
    m = _PATH_RE.match(cell.strip())
    if not m:
        return None
    host, obj, counter = m.group(1), m.group(2), m.group(3)
    instance = ""
    if obj.endswith(")") and "(" in obj:
        cut = obj.index("(")
        obj, instance = obj[:cut], obj[cut + 1 : -1]
    if not obj:
        return None
    return host, obj, instance, counter


def _zone_part(first_cell: str) -> str:
    """What follows ``(PDH-CSV 4.0)`` in the first header cell."""
    return _PDH_RE.sub("", first_cell.strip().strip('"'), count=1).strip().rstrip('"')


def parse_zone(first_cell: str) -> tuple[str | None, int | None]:
    """Zone name and offset (minutes EAST of UTC) from the first header cell."""
    rest = _zone_part(first_cell)
    m = _ZONE_BIAS_RE.match(rest)
    if m:
        zone = m.group(1).strip() or None
        return zone, -int(m.group(2))
    m = _ZONE_ONLY_RE.match(rest)
    if m and _balanced(m.group(1)):
        return m.group(1).strip() or None, None
    return None, None  # "(" or "(RTZ 2 (": the zone was cut off (real Japanese exports)


def zone_cut(first_cell: str) -> bool:
    """True when the first header cell has a zone part that is not ``(name)(bias)``: cut off
    where the writer dropped what it could not encode (``(PDH-CSV 4.0) (``)."""
    rest = _zone_part(first_cell)
    return bool(rest) and _ZONE_BIAS_RE.match(rest) is None


def _balanced(name: str) -> bool:
    depth = 0
    for ch in name:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            return False
    return depth == 0


@dataclass(frozen=True)
class _HeaderZone:
    """The zone part of the PDH header, settled once the first sample's time is known."""

    cell: str
    line: int
    name: str | None
    offset: int | None  # minutes east, as ReadResult.offset_min
    cut: bool

    def settle(self, result: ReadResult, first_local: datetime | None, display: str) -> None:
        bias = None if self.offset is None else -self.offset
        zone = perfmon_zone(self.name, bias, first_local)
        if zone is None and self.cut:
            result.zone, result.offset_min = None, None
            shown = self.cell.strip().strip('"')[:60]
            result.warnings.insert(
                0,
                warn(
                    "at_line",
                    path=display,
                    line=self.line,
                    reason=warn("perfmon_zone_cut", shown=shown),
                ),
            )
        result.tz_iana = zone.iana if zone is not None else None


def _delimiter(header: str) -> str:
    """The separator: the character just before the first ``\\\\MACHINE`` path."""
    pos = header.find("\\\\")
    while pos > 0:
        ch = header[pos - 1]
        if ch == '"':
            pos -= 1
            continue
        if ch in ",;\t|":
            return ch
        break
    for ch in ("\t", ";", ","):
        if ch in header:
            return ch
    return ","


# --------------------------------------------------------------------------- reader


def _first_line(text: str) -> tuple[int, str]:
    """(0-based line index, text) of the first non-blank line."""
    start = 0
    for n in range(64):
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        if line.strip():
            return n, line.rstrip("\r")
        if end < 0:
            break
        start = end + 1
    return 0, ""


def _ts_expr(col: pl.Expr, fmt: str) -> pl.Expr:
    return strptime_ns(col, fmt)


class PerfmonCsvReader:
    """Reads PDH-CSV 4.0 exports (perfmon, relog, typeperf)."""

    kind = KIND

    def sniff(self, head: str, name: str) -> bool:
        head = head.lstrip("\ufeff")
        if _is_blg_text(head) or (name.lower().endswith(".blg") and "\x00" in head[:512]):
            return True
        _, line = _first_line(head)
        if _PDH_RE.match(line):
            return True
        # A PDH export whose first cell was edited away: the second cell is a counter path.
        cells = line.split(_delimiter(line))
        return len(cells) > 1 and split_counter_path(cells[1].strip('"')) is not None

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        with open(item.path, "rb") as fh:
            head = fh.read(65536)
        if is_blg(head[:4096]):
            raise InputError(item.display, None, "a perfmon CSV", reason=warn("blg_log"))
        encoding = text_encoding or detect_encoding(head)
        # A header longer than the sniffed head may hold the non-ASCII cells at its end.
        encoding = header_encoding(item.path, head, encoding)
        encoding = _codepage_by_names(item.path, head, encoding, options)
        # UTF-8 without a BOM is parsed from the file itself: the block reader looks for the
        # one byte that would need decoding first (0x1F) as it goes, :func:`_plain_utf8` only
        # runs when the general path is needed; other encodings must be plain ASCII.
        utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        if (utf8 and not head.startswith(codecs.BOM_UTF8)) or _plain_utf8(item.path, encoding):
            try:
                return _parse(item.path, item.display, encoding, options)
            except (pl.exceptions.ComputeError, UnicodeDecodeError, _NeedsDecoding):
                pass  # not valid UTF-8 after all (polars checks every line): decode below
        if item.size >= options.stream_min_bytes:
            decoded = _Decoded(item.path, encoding, options)
            # A large file with a localized header, a BOM or in UTF-16: decoded block by block
            # as it is parsed, never whole in memory. When some row is bad (the line-by-line
            # checks need the whole file), a UTF-8 copy is written block by block to a
            # temporary file and read like any other. Both hold exactly what parse_text parses.
            with contextlib.suppress(_NeedsCopy):
                return _parse(decoded, item.display, encoding, options)
            copied = decoded.copy()
            if copied is not None:
                try:
                    return _parse(copied, item.display, encoding, options)
                finally:
                    with contextlib.suppress(OSError):
                        os.unlink(copied)
        with open(item.path, "rb") as fh:
            raw = fh.read()
        text = decode(raw, encoding)
        del raw
        return parse_text(text, item.display, encoding, options)


#: The single-byte code pages a Windows perfmon export may be written in (the ANSI code page of
#: the exporting Windows: western, central European, Cyrillic, Greek, Turkish, Baltic; and the
#: Cyrillic OEM one of a typeperf redirected from cmd). Byte guesses cannot tell most of them
#: apart; the counter names can.
_SINGLE_BYTE = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "cp866")
#: The double-byte ANSI code pages of East Asian Windows (Japanese, Simplified Chinese, Korean,
#: Traditional Chinese): relog and the Data Collector Sets write a header in them, as the real
#: Japanese exports in tests/fixtures/perfmon are cp932.
_DOUBLE_BYTE = ("cp932", "cp936", "cp949", "cp950")


def _codepage_by_names(path: str, head: bytes, found: str, options: ReadOptions) -> str:
    """``found``, or the ANSI code page under which more of the header's counter paths are
    catalog counters. A Polish, Czech, Turkish or Greek export in its ANSI code page reads as
    cp1252 to a byte guess: "Szybkość DPC" would become "SzybkoϾ DPC" and match nothing; a
    Chinese one in cp936 ("\\处理器(_Total)\\% 处理器时间") reads as cp1252 too. Ties keep
    ``found``, except that a header no code page makes known, which reads as Korean words in
    cp949, is read so (its names are then shown as written); a header of plain ASCII, or in
    any other encoding, is left alone."""
    if found.lower().replace("_", "-") not in (*_SINGLE_BYTE, *_DOUBLE_BYTE):
        return found
    start = len(head) - len(head.lstrip(b"\r\n"))
    end = head.find(b"\n", start)
    line = head[start:] if end < 0 else head[start:end]
    if end < 0 and len(head) >= 65536:  # a header longer than the head: read it whole
        line += rest_of_line(path, len(head))
    if line.isascii():
        return found
    canonical = (options.counters or counter_names.default_index()).canonical

    def known(codec: str) -> int:
        try:
            # a double-byte code page that cannot decode the header is not its code page
            text = line.decode(codec, errors="strict" if codec in _DOUBLE_BYTE else "replace")
        except UnicodeDecodeError:
            return -1
        n = 0
        for cell in text.split(_delimiter(text))[1:]:
            parts = split_counter_path(cell.strip().strip('"'))
            n += parts is not None and canonical(parts[1], parts[3]) is not None
        return n

    best, best_n = found, known(found)
    for codec in (*_SINGLE_BYTE, *_DOUBLE_BYTE):
        if codec != found and (n := known(codec)) > best_n:
            best, best_n = codec, n
    if best_n <= 0 and _hangul(line):
        return "cp949"
    return best


def _hangul(line: bytes) -> bool:
    """The header decodes as cp949 and most of its letters beyond ASCII are Hangul syllables
    (cp936 and cp932 read the same bytes as scattered ideographs)."""
    try:
        text = line.decode("cp949")
    except UnicodeDecodeError:
        return False
    letters = [c for c in text if not c.isascii() and c.isalpha()]
    return bool(letters) and sum("\uac00" <= c <= "\ud7a3" for c in letters) >= 0.8 * len(letters)


class _NeedsDecoding(Exception):
    """The file holds a byte that only the decoding path handles (see :func:`_plain_utf8`)."""


class _NeedsCopy(Exception):
    """A :class:`_Decoded` file needs the line-by-line checks, which read a real file."""


@dataclass(frozen=True)
class _Decoded:
    """A file in another encoding, read as the UTF-8 text :func:`parse_text` would parse
    (leading BOMs dropped, 0x1F as a space), front to back, one block at a time."""

    path: str
    encoding: str
    options: ReadOptions = DEFAULT

    def open(self) -> Utf8Stream:
        return Utf8Stream(
            self.path,
            self.encoding,
            boms=1 << 30,
            replace_1f=True,
            block=self.options.stream_block_bytes,
        )

    def copy(self) -> str | None:
        """That text in a temporary UTF-8 file (the caller removes it), or None when it cannot
        be written (no room: the caller decodes in memory instead)."""
        fd, dest = tempfile.mkstemp(prefix="hbtriage-perfmon-", suffix=".csv")
        try:
            with self.open() as src, os.fdopen(fd, "wb") as out:
                for piece in src.pieces(self.options.block_bytes):
                    out.write(piece)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(dest)
            return None
        return dest


#: Where :func:`_parse` reads a perfmon CSV: a UTF-8 file's path, UTF-8 bytes, or a file in
#: another encoding decoded as it is read (only the fast path can read that one).
Source = str | bytes | _Decoded


def _plain_utf8(path: str, encoding: str) -> bool:
    """True when the file's bytes are already what :func:`parse_text` would hand polars: ASCII
    (or valid UTF-8 when that is the encoding), no BOM, no 0x1F byte. Read in blocks.

    For a UTF-8 file only the BOM and 0x1F are looked for here (memchr, block by block):
    polars itself refuses invalid UTF-8 while it reads, and ``read`` then decodes the file."""
    utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8")
    if utf8:
        # Blocks, not a mapping: a mapped file's pages would count in the resident size.
        with open(path, "rb") as fh:
            if fh.read(3) == codecs.BOM_UTF8:
                return False
            while block := fh.read(1 << 24):
                if b"\x1f" in block:
                    return False
        return True
    with open(path, "rb") as fh:  # another encoding: its bytes must be plain ASCII
        while block := fh.read(1 << 24):
            if b"\x1f" in block or not block.isascii():
                return False
    return True


def _lines_at(source: str | bytes, numbers: pl.Series) -> pl.DataFrame:
    """The lines ``n``, ``l`` of ``source`` whose numbers are in ``numbers`` (file order)."""
    return (
        _scan_lines(source).filter(pl.col("n").is_in(numbers.implode())).collect(engine="streaming")
    )


def _header(source: Source) -> tuple[int, str] | None:
    """(0-based line index, text without line end) of the first line that is not blank, as
    :func:`_scan_lines` numbers lines; None when there is none. Reads only the file's start."""
    fh: io.BufferedIOBase | Utf8Stream
    if isinstance(source, bytes):
        fh = io.BytesIO(source)
    elif isinstance(source, _Decoded):
        fh = source.open()
    else:
        fh = open(source, "rb")  # noqa: SIM115
    with fh:
        idx, buf, start, seen = 0, bytearray(), 0, 0  # seen: bytes of buf known to hold no \n
        while True:
            block = fh.read(1 << 16)
            buf += block
            while True:
                end = buf.find(b"\n", max(start, seen))
                if end < 0:
                    seen = len(buf)
                    if block:
                        break
                    end = len(buf)  # the last line, with no line end
                    if start >= end:
                        return None
                text = bytes(buf[start:end]).decode("utf-8")
                if text.strip():
                    return idx, text.rstrip("\r")
                idx, start = idx + 1, end + 1
            del buf[:start]
            seen -= start
            start = 0


def _count_lines(source: str | bytes) -> int:
    """How many rows :func:`_scan_lines` gives ``source`` (the same split, no row index).

    For bytes, the line ends counted (:func:`_count_lf`): polars' scanner splits at ``\n``
    only (a lone ``\r`` stays in its line, quotes are off), an unterminated last line is a row
    and every empty line is one (tests/test_perfmon_csv.py checks both counts agree). On a wide
    export (30,000 columns: lines of 400 kB) that is 1.4 s less for 250 MB."""
    if isinstance(source, bytes):
        if not source:
            raise pl.exceptions.NoDataError("empty CSV")  # what polars' scanner says
        return _count_lf(source) + (not source.endswith(b"\n"))
    return int(_split_lines(source).select(pl.len()).collect(engine="streaming").item())


#: Bytes from which :func:`_count_lf` counts with numpy, and how many at a time (so the
#: comparison's flags stay in the cache).
_COUNT_NUMPY_BYTES = 1 << 20
_COUNT_STEP = 1 << 18
#: A file read in pieces by :func:`_file_blocks` from this size on loads numpy for
#: :func:`_count_lf` (its import, 40 ms, is paid back: two files of 384 MB read at once took
#: 1.21 s, not 1.55 s).
_COUNT_IMPORT_BYTES = 64 << 20


def _count_lf(data: bytes) -> int:
    """How many ``\n`` bytes ``data`` holds. A large block (a perfmon file's 16 MiB pieces) is
    counted by numpy when loaded (:func:`_file_blocks` loads it for a large file), 256 KiB at a
    time: 1.35 ms per 16 MiB against 4.7 ms for ``bytes.count``, which also holds the GIL
    meanwhile (two perfmon files read at once took turns: 0.22 s of a 0.8 s read of a 384 MB
    file)."""
    np = loaded_numpy()
    if np is None or len(data) < _COUNT_NUMPY_BYTES:
        return data.count(b"\n")
    buf = np.frombuffer(data, dtype=np.uint8)
    return sum(
        int(np.count_nonzero(buf[i : i + _COUNT_STEP] == 0x0A))
        for i in range(0, buf.size, _COUNT_STEP)
    )


def _scan_lines(source: str | bytes) -> pl.LazyFrame:
    """Every line of ``source`` (a path or UTF-8 bytes) as ``n`` (1-based line number), ``l``
    (null for an empty line), read lazily: collect it with the streaming engine."""
    return _split_lines(source).select(pl.nth(0).alias("l")).with_row_index("n", offset=1)


def _split_lines(source: str | bytes) -> pl.LazyFrame:
    """``source`` split at line ends by polars' CSV scanner (0x1F as the never-used separator)."""
    src: str | io.BytesIO = source if isinstance(source, str) else io.BytesIO(source)
    return pl.scan_csv(
        src,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        infer_schema=False,
        truncate_ragged_lines=True,
    )


def parse_text(
    text: str, display: str, encoding: str | None = None, options: ReadOptions = DEFAULT
) -> ReadResult:
    """Parse the decoded text of a perfmon CSV (the whole file)."""
    text = text.lstrip("\ufeff")
    if "\x1f" in text:  # the byte used below to read whole lines; no export has it
        text = text.replace("\x1f", " ")
    payload = text.encode("utf-8")
    del text
    return _parse(payload, display, encoding, options)


def _parse(
    source: Source, display: str, encoding: str | None, options: ReadOptions = DEFAULT
) -> ReadResult:
    """Parse a perfmon CSV from a file path (its bytes are UTF-8) or from UTF-8 bytes."""
    # polars splits the file into lines (row i = file line i + 1; blank lines come back as
    # null); the header and data rows are found on that one split, so line numbers agree.
    top = _header(source)
    if top is None:
        raise InputError(display, None, warn("expect_pdh_header"), warn("an_empty_file"))
    header_idx, header = top
    if not _PDH_RE.match(header) and "\\\\" not in header:
        raise InputError(display, header_idx + 1, warn("expect_pdh_header"), header[:60])
    delim = _delimiter(header)
    try:
        cells = next(csv.reader([header.replace("\r", "").replace("\x00", "")], delimiter=delim))
    except (csv.Error, StopIteration) as exc:
        raise InputError(display, header_idx + 1, warn("expect_pdh_header"), header[:60]) from exc
    if len(cells) < 2:
        raise InputError(display, header_idx + 1, warn("expect_counter_columns"))
    pdh = _PDH_RE.match(header) is not None
    zone, offset = parse_zone(cells[0]) if pdh else (None, None)
    header_zone = _HeaderZone(cells[0], header_idx + 1, zone, offset, pdh and zone_cut(cells[0]))

    index = options.counters or counter_names.default_index()
    # A wide export repeats a few dozen (object, counter) pairs over thousands of instances
    # (\\Process(*)\\*): each pair is looked up (folded, matched) once, not per column.
    canonical = functools.cache(index.canonical)
    stands_in = functools.cache(index.stands_in)
    scripts_of = functools.cache(_scripts)
    columns: list[Column] = []
    # series -> (its place in columns, the object as written when it stands in for another)
    taken: dict[tuple[str, str, str, str], tuple[int, str | None]] = {}
    hosts: list[str] = []
    unknown: list[str] = []  # objects of the counters dropped
    scripts: set[str] = set()  # the scripts the kept counters are named in
    non_paths = 0
    lowered = _lowered_paths(cells[1:])
    for i, cell in enumerate(cells[1:], start=1):
        parts = split_counter_path(cell)
        if parts is None:
            non_paths += 1
            continue
        host, obj, inst, ctr = parts
        if lowered:
            host, inst = host.upper(), _TOTAL_RE.sub(r"\1_Total", inst)
        if host not in hosts:
            hosts.append(host)
        hit = canonical(obj, ctr)
        if hit is not None:
            column = Column(i, host, hit[0], inst, hit[1])
            key, stand_in = (host, hit[0], inst, hit[1]), stands_in(obj)
            place = taken.get(key)
            if place is None or (place[1] is not None) == stand_in:
                taken[key] = (len(columns), obj if stand_in else None)
                columns.append(column)
            elif place[1] is not None:
                # Processor(_Total) and Processor Information(_Total) both there: one series,
                # the object's own column.
                columns[place[0]] = column
                taken[key] = (place[0], None)
            scripts |= scripts_of(obj + ctr)
        else:
            unknown.append(obj)
    # Processor Information's per-node totals ("0,_Total") repeat its "_Total" on a one-node
    # machine and add up to it on more: with "_Total" there, they would only say it twice.
    node_totals = {
        pos
        for (host, obj, inst, ctr), (pos, written) in taken.items()
        if written and _NODE_TOTAL_RE.match(inst) and (host, obj, "_Total", ctr) in taken
    }
    # object as written -> the object its kept columns are read as
    read_as = {
        written: key[1]
        for key, (pos, written) in taken.items()
        if written is not None and pos not in node_totals
    }
    columns = sorted(
        (c for pos, c in enumerate(columns) if pos not in node_totals), key=lambda c: c.index
    )
    ncols = len(cells)
    warnings: list[str] = _unknown_counters(display, unknown, len(columns), scripts)
    # What the report shows as Processor\DPC Rate may be Processor Information's column.
    note = (
        warn(
            "note_perfmon_read_as",
            objects=", ".join(read_as),
            read_as=", ".join(dict.fromkeys(read_as.values())),
        )
        if read_as
        else ""
    )
    extra: dict[str, object] = {
        "lowercase_paths": lowered,
        "dropped_columns": ncols - 1 - len(columns),
        "non_counter_columns": non_paths,
        "hosts": hosts,
        "delimiter": delim,
    }

    fast = (
        _read_fast(
            source,
            header_idx,
            delim,
            ncols,
            columns,
            _file_block_bytes(options),
            options.progress,
        )
        if '"' in header
        else None
    )
    if fast is not None:  # every data line well formed: one read, nothing to warn about
        wide, ts = fast
        n_good = wide.height
        extra["rows"] = n_good
        result = _result(hosts, zone, offset, encoding, warnings, extra, note)
        header_zone.settle(result, _first(ts), display)
        return _finish(result, wide, ts, columns, delim, display, warnings)
    if isinstance(source, _Decoded):
        raise _NeedsCopy(source.path)
    if isinstance(source, str) and not _plain_utf8(source, "utf-8"):
        raise _NeedsDecoding(source)  # the line splitting below relies on no 0x1F byte

    # ---- data lines: width and timestamp are checked vectorised, in one streaming pass that
    # keeps only small columns (the text of the few bad lines is fetched again for warnings).
    esc = re.escape(delim)
    line = pl.col("l")
    frame = (
        _scan_lines(source)
        .filter(pl.col("n") > header_idx + 1)
        .select(
            "n",
            blank=~line.str.contains(r"\S").fill_null(False),
            cnt=line.str.count_matches(delim, literal=True),
            first=line.str.extract(r'^\s*"?([^"' + esc + r"]*)", 1),
            digit=line.str.contains(r'^\s*"?\d'),
        )
        .collect(engine="streaming")
    )
    misfits = frame.filter((pl.col("cnt") != ncols - 1) & ~pl.col("blank"))
    if misfits.height and '"' in header:  # a delimiter inside quotes does not count
        recount = (
            _scan_lines(source)
            .filter(pl.col("n").is_in(misfits["n"].implode()))
            .select("n", cnt=line.str.replace_all(r'"[^"]*"', '""').str.count_matches(esc))
            .collect(engine="streaming")
        )
        frame = frame.update(recount, on="n")
    first = pl.col("first").str.strip_chars()
    best_fmt, best_ok = _TS_FORMATS[0], -1
    for fmt in _TS_FORMATS:  # a handful of formats, each tried on the whole column
        ok = frame.select(_ts_expr(first, fmt).is_not_null().sum()).item()
        if ok > best_ok:
            best_fmt, best_ok = fmt, ok
        if ok == frame.height:
            break
    frame = frame.with_columns(ts_local=_ts_expr(first, best_fmt)).with_columns(
        good=(pl.col("cnt") == ncols - 1) & pl.col("ts_local").is_not_null() & ~pl.col("blank")
    )
    last_good = frame.filter(pl.col("good")).select(pl.col("n").max()).item()
    bad = frame.filter(~pl.col("good") & ~pl.col("blank"))
    if bad.height:
        # typeperf prints "Exiting, please wait..." etc. after its samples: not data.
        chatter = (pl.col("n") > (last_good or 0)) & ~pl.col("digit")
        n_chatter = bad.filter(chatter).height
        if n_chatter:
            extra["trailer_lines"] = n_chatter
        real_bad = bad.filter(~chatter)
        shown = real_bad.select("n", "cnt").head(MAX_WARNINGS)
        text = _lines_at(source, shown["n"]).select("n", pl.col("l").str.slice(0, 512))
        rows = (
            shown.join(text, on="n", how="left", maintain_order="left")
            .select("n", "l", "cnt")
            .iter_rows()
        )
        for n, line, cnt in rows:
            if cnt != ncols - 1:
                reason = warn("perfmon_columns", expected=ncols, found=cnt + 1)
            else:
                found = line.split(delim, 1)[0].strip().strip('"')[:40]
                reason = warn("perfmon_timestamp", found=found)
            warnings.append(warn("at_line", path=display, line=n, reason=reason))
        if real_bad.height > MAX_WARNINGS:
            warnings.append(warn("more", count=real_bad.height - MAX_WARNINGS))
    n_good = 0 if last_good is None else frame.filter(pl.col("good")).height
    extra["rows"] = n_good
    result = _result(hosts, zone, offset, encoding, warnings, extra, note)
    if n_good == 0:
        header_zone.settle(result, None, display)
        warnings.append(warn("at_file", path=display, reason=warn("perfmon_no_rows")))
        return result
    if not columns:
        header_zone.settle(result, _first(frame.filter(pl.col("good"))["ts_local"]), display)
        return result

    # ---- values: polars' CSV parser reads only the kept columns of the data lines
    wide, frame = _read_values(source, frame, header_idx, last_good, delim, columns)
    n_good = wide.height
    if "quotes_bad" in frame.columns:
        bad_quotes = frame.filter(pl.col("quotes_bad").fill_null(False))
        for (n,) in bad_quotes.select("n").head(MAX_WARNINGS).iter_rows():
            warnings.append(warn("at_line", path=display, line=n, reason=warn("perfmon_quotes")))
    extra["rows"] = n_good
    del source
    ts = frame.filter(pl.col("good"))["ts_local"]
    header_zone.settle(result, _first(ts), display)
    return _finish(result, wide, ts, columns, delim, display, warnings)


def _scripts(text: str) -> set[str]:
    """The scripts of the letters of ``text`` beyond ASCII (``CYRILLIC``, ``GREEK``,
    ``LATIN`` for accented letters, ``CJK`` ...: the first word of their Unicode names)."""
    return {
        unicodedata.name(ch, "?").split(" ", 1)[0]
        for ch in text
        if not ch.isascii() and ch.isalpha()
    }


def _unknown_counters(
    display: str, objects: list[str], kept: int, known: set[str] | None = None
) -> list[str]:
    """A warning when the counters of a file are dropped because their names are not in the
    catalog: all of them (the read would be empty), or objects named in a script the catalog
    has no translation for (a Windows language it lacks: no kept counter of the file is named
    in that script, ``known``). Names the file, how many counters it held and dropped, and a
    few objects."""
    if not objects:
        return []
    seen = known or set()
    foreign = [o for o in dict.fromkeys(objects) if not o.isascii() and not _scripts(o) <= seen]
    if kept and not foreign:
        return []  # English (or known) names: only counters hbtriage does not use were dropped
    shown = ", ".join((foreign or list(dict.fromkeys(objects)))[:4])
    held = kept + len(objects)
    what = warn("counters_none_known") if not kept else warn("counters_foreign_objects", kept=kept)
    said = warn("perfmon_unknown_counters", held=held, dropped=len(objects), what=what, shown=shown)
    return [warn("at_file", path=display, reason=said)]


def _first(ts: pl.Series) -> datetime | None:
    """The first sample's local time stamp (file order), None when there is none."""
    if ts.len() == 0:
        return None
    value = ts[0]
    return value if isinstance(value, datetime) else None


def _result(
    hosts: list[str],
    zone: str | None,
    offset: int | None,
    encoding: str | None,
    warnings: list[str],
    extra: dict[str, object],
    note: str = "",
) -> ReadResult:
    one = len(hosts) == 1
    return ReadResult(
        note=note,
        kind=KIND,
        encoding=encoding,
        host=hosts[0] if one else None,
        host_reason=warn("host_reason_perfmon") if one else "",
        zone=zone,
        offset_min=offset,
        counters=empty_counters(),
        warnings=warnings,
        extra=extra,
    )


def _finish(
    result: ReadResult,
    wide: pl.DataFrame,
    ts: pl.Series,
    columns: list[Column],
    delim: str,
    display: str,
    warnings: list[str],
) -> ReadResult:
    """Numbers from the kept Utf8 columns ``wide`` of the good rows, unpivoted into
    ``result.counters`` (``ts``: their local time stamps)."""
    n_good = wide.height
    wide.columns = [f"c{c.index}" for c in columns]  # polars keeps file order; so do we
    numbers = wide.select(pl.all().cast(pl.Float64, strict=False))
    # Null counts are metadata: only a column with a cell that failed to parse is looked at
    # again (padded numbers, German decimal commas), so the common case stays one cast. They
    # are taken for all columns at once (one frame each) and compared by position.
    failed = zip(wide.columns, numbers.null_count().row(0), wide.null_count().row(0), strict=True)
    retry = [name for name, after, before in failed if after > before]
    if retry:
        fixed = pl.col(retry).str.strip_chars()
        if delim != ",":  # German Excel: decimal comma
            fixed = fixed.str.replace(",", ".", literal=True)
        numbers = numbers.with_columns(wide.select(fixed.cast(pl.Float64, strict=False)))
        junk = sum(numbers.select(retry).null_count().row(0)) - sum(
            wide.select(retry).null_count().row(0)
        )
        if junk:
            warnings.append(
                warn("at_file", path=display, reason=warn("perfmon_not_numbers", count=junk))
            )
    # NaN, ±inf and out-of-range numbers (1e309) parse as floats but are no sample a counter
    # can have: missing, with a warning (they would also break every chart and JSON writer).
    # Checked on the long column (the kept columns end to end, which the table holds anyway):
    # one expression, not one per column of a wide export.
    values = pl.concat(numbers.get_columns()).alias("value")
    del numbers
    non_finite = pl.col("value").is_nan() | pl.col("value").is_infinite()
    if not_finite := int(values.to_frame().select(non_finite.sum()).item() or 0):
        values = (
            values.to_frame()
            .select(pl.when(non_finite).then(None).otherwise(pl.col("value")).alias("value"))
            .to_series()
        )
        warnings.append(
            warn("at_file", path=display, reason=warn("perfmon_not_finite", count=not_finite))
        )
    # Wide -> long, column after column (an explicit unpivot): each kept column becomes one
    # block of n_good rows. Blocks are concatenated without copying (one chunk per column),
    # which is several times faster than joining the names on for millions of rows.
    if n_good == 0:
        warnings.append(warn("at_file", path=display, reason=warn("perfmon_no_rows")))
        return result

    # Row k of the long table belongs to kept column k // n_good: names are gathered from one
    # categorical value per column (4 bytes a row, one chunk), not repeated as text.
    block = (
        pl.int_range(0, len(columns), dtype=pl.UInt32, eager=True)
        .to_frame("i")
        .select(pl.col("i").repeat_by(n_good).explode())["i"]
    )

    def repeated(values: list[str]) -> pl.Series:
        return pl.Series(values, dtype=pl.Categorical()).gather(block)

    result.counters = pl.DataFrame(
        {
            "host": repeated([c.host for c in columns]),
            "object": repeated([c.object for c in columns]),
            "instance": repeated([c.instance for c in columns]),
            "counter": repeated([c.counter for c in columns]),
            "ts_local": pl.concat([ts] * len(columns)),
            "offset_min": pl.repeat(None, n_good * len(columns), eager=True, dtype=pl.Int32),
            "value": values,
        }
    ).rechunk()  # one chunk per column: later expressions need not realign them first
    return result


def _blocks(source: bytes | _Decoded, header_idx: int) -> Iterator[tuple[bytes, int]]:
    """``source`` in pieces that end at a line end: ``(bytes, lines to skip at its start)``;
    the first piece skips the lines up to the header. UTF-8 bytes (the decoded path) are one
    piece; a decoded file comes block by block, so only one block is held at a time."""
    if isinstance(source, bytes):
        yield source, header_idx + 1
        return
    skip = header_idx + 1
    with source.open() as stream:
        for piece in stream.pieces(source.options.block_bytes):
            yield piece, skip
            skip = 0


def _file_block_bytes(options: ReadOptions) -> int:
    """The size of the pieces :func:`_file_blocks` reads (tests pass small ones)."""
    return min(options.block_bytes, FILE_BLOCK_BYTES)


def _file_blocks(
    path: str, header_idx: int, size: int, progress: Callable[[int], None] | None = None
) -> Iterator[tuple[bytes, int]]:
    """The data lines of a UTF-8 file as :func:`_blocks` gives them: pieces of about ``size``
    bytes after the header line, each read exactly from the file and ending at a line end (the
    last one may not). Raises :class:`_NeedsDecoding` at a 0x1F byte (the header's too).
    ``progress`` (``ReadOptions.progress``) is told how far into the file each piece reaches."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size >= _COUNT_IMPORT_BYTES:
            # loaded: the pieces' line ends are counted with it (_count_lf)
            import numpy  # noqa: F401
        for _ in range(header_idx + 1):
            if b"\x1f" in fh.readline():
                raise _NeedsDecoding(path[:80])
        while piece := _read_to_line_end(fh, size):
            if b"\x1f" in piece:
                raise _NeedsDecoding(path[:80])
            if progress is not None:
                progress(fh.tell())
            yield piece, 0


def _read_fast(
    source: Source,
    header_idx: int,
    delim: str,
    ncols: int,
    columns: list[Column],
    block_bytes: int = FILE_BLOCK_BYTES,
    progress: Callable[[int], None] | None = None,
) -> tuple[pl.DataFrame, pl.Series] | None:
    """The kept columns (Utf8, blank -> null) and local time stamps of every data line, read
    by polars' CSV parser; None unless every data line is provably good, in which case the
    line-by-line check of :func:`_parse` would find nothing to warn about.

    Block by block, one block held at a time: a UTF-8 file in pieces of ``block_bytes`` read
    from the file (:func:`_file_blocks`; polars' own scan of the file would prefetch most of
    it into memory), a decoded file as it is decoded (:func:`_blocks`); bytes are one piece.

    Proof, per row: a sentinel column one past the header's width must be missing (no extra
    field) and the last column present (no missing field; an empty unquoted last cell is
    null too, so such a file takes the slow path); the first cell must hold no quote or
    delimiter and parse as a time stamp in one format for all rows (the first format that
    parses every row of the file, as for one piece). The row count must equal the line count
    (polars' quote-aware reader joins lines at a stray quote, and a blank line has no time
    stamp). Per cut between two pieces: the last line of the piece before holds an even
    number of double quotes, so no quoted cell runs on across the cut; with every row one
    line, each piece is then parsed as it would be within the whole file.
    """
    if not columns:
        return None
    names = [f"f{i}" for i in range(ncols + 1)]
    keep = sorted({0, ncols - 1, ncols, *(c.index for c in columns)})
    check = _Check(names, delim, ncols, [names[c.index] for c in columns])
    walls: list[pl.DataFrame] = []
    firsts: list[pl.Series] = []
    open_quote = False  # the piece before ends in a line with an odd number of quotes
    pieces = (
        _file_blocks(source, header_idx, block_bytes, progress)
        if isinstance(source, str)
        else _blocks(source, header_idx)
    )
    for block, skip in pieces:
        if open_quote:
            return None
        try:
            lines = _count_lines(block) - skip
            if lines <= 0:
                if walls or skip == 0:
                    continue  # nothing but the header (or a trailing line end) in this block
                return None
            df = pl.read_csv(
                io.BytesIO(block),
                has_header=False,
                skip_rows=skip,
                separator=delim,
                quote_char='"',
                schema=dict.fromkeys(names, pl.String),
                missing_columns="insert",
                truncate_ragged_lines=True,
                columns=keep,
            )
        except pl.exceptions.PolarsError:
            return None
        open_quote = _last_line(block).count(b'"') % 2 == 1
        del block
        got = check(df, lines)
        del df
        if got is None:
            return None
        walls.append(got[0])
        firsts.append(got[1])
    if not walls:
        return None
    ts = check.stamps(pl.concat(firsts, rechunk=True))
    if ts is None:
        return None
    return pl.concat(walls, rechunk=True), ts


def _last_line(block: bytes) -> bytes:
    """The last line of ``block`` (with its line end)."""
    return block[block.rfind(b"\n", 0, len(block) - 1) + 1 :]


@dataclass(frozen=True)
class _Check:
    """The per-row proof of :func:`_read_fast` for one parsed frame (a block or the file):
    ``(kept columns with blanks as null, first cells)`` or None; :meth:`stamps` then parses
    the first cells of every block."""

    names: list[str]
    delim: str
    ncols: int
    kept: list[str]

    def __call__(self, df: pl.DataFrame, lines: int) -> tuple[pl.DataFrame, pl.Series] | None:
        names, ncols = self.names, self.ncols
        if df.height != lines or df[names[ncols]].null_count() != lines:
            return None
        if df[names[ncols - 1]].null_count():
            return None
        first = df[names[0]]
        if first.null_count() or first.str.contains(f'["{re.escape(self.delim)}]').any():
            return None
        # One expression over every kept column (not one per column: a wide export keeps
        # thousands, and building an expression per column cost more than the work).
        kept = pl.col(self.kept)
        blank = pl.lit(None, dtype=pl.String)
        wall = df.select(pl.when(kept.is_in(_BLANKS)).then(blank).otherwise(kept).name.keep())
        return wall, first.str.strip_chars()

    @staticmethod
    def stamps(first: pl.Series) -> pl.Series | None:
        """The time stamps of ``first`` in the first format that parses them all, else None."""
        for f in _TS_FORMATS:
            parsed = first.to_frame().select(strptime_ns(pl.first(), f)).to_series()
            if parsed.null_count() == 0:
                return parsed.alias("ts_local")
        return None


def _read_values(
    source: str | bytes,
    frame: pl.DataFrame,
    header_idx: int,
    last_good: int,
    delim: str,
    columns: list[Column],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The kept columns of the good rows as Utf8 (blank -> null), and the row frame.

    Fast path: polars reads the file itself from the first data line. A stray double quote
    makes its parser join lines; then rows with unbalanced quotes are marked bad and the
    remaining good lines are parsed on their own.
    """
    span = frame.filter(pl.col("n") <= last_good)
    options: dict[str, object] = {
        "has_header": False,
        "separator": delim,
        "quote_char": '"',
        "infer_schema": False,
        "columns": [c.index for c in columns],
        "truncate_ragged_lines": True,
        "null_values": _BLANKS,
    }
    try:
        wide = pl.read_csv(
            source if isinstance(source, str) else io.BytesIO(source),
            skip_rows=header_idx + 1,
            n_rows=span.height,
            **options,  # type: ignore[arg-type]
        )
        if wide.height == span.height:
            return wide.filter(span["good"]), frame
    except pl.exceptions.PolarsError:
        pass
    odd = _lines_at(source, frame.filter(pl.col("good"))["n"]).select(
        "n", odd_quotes=pl.col("l").str.count_matches('"', literal=True) % 2 == 1
    )
    frame = (
        frame.join(odd, on="n", how="left", maintain_order="left")
        .with_columns(quotes_bad=pl.col("good") & pl.col("odd_quotes").fill_null(False))
        .with_columns(good=pl.col("good") & ~pl.col("quotes_bad"))
    )
    good_lines = _lines_at(source, frame.filter(pl.col("good"))["n"])["l"].to_list()
    if not good_lines:
        return pl.DataFrame(schema={f"column_{c.index}": pl.Utf8 for c in columns}), frame
    try:
        wide = pl.read_csv(io.BytesIO("\n".join(good_lines).encode("utf-8")), **options)  # type: ignore[arg-type]
    except pl.exceptions.PolarsError:
        wide = pl.DataFrame()
    if wide.height != len(good_lines) or wide.width != len(columns):
        # Last resort for a hostile file: split on the delimiter, quotes stripped.
        split = pl.DataFrame({"cells": pl.Series(good_lines).str.split(delim)})
        exprs = []
        for c in columns:
            cell = pl.col("cells").list.get(c.index, null_on_oob=True).str.strip_chars('" ')
            exprs.append(pl.when(cell != "").then(cell).alias(f"c{c.index}"))
        wide = split.select(exprs)
    return wide, frame


READER = PerfmonCsvReader()
