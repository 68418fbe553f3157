"""Decode bytes the way Windows and Linux servers wrote them, and say which codec was used."""

from __future__ import annotations

import codecs
import re
import sys
from collections.abc import Iterator
from typing import BinaryIO

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(head: bytes) -> str:
    """Best codec for ``head`` (the first bytes of a file).

    BOMs win; then UTF-16 without BOM (every other byte NUL); then strict UTF-8; then cp932
    (Japanese Windows) when it decodes and holds kana; then Cyrillic (cp1251, the ANSI code
    page of Russian Windows, or cp866, its OEM one) when the high bytes come in runs of
    letters; then cp932 when it decodes into runs of kanji; else cp1252 (western Windows),
    which decodes almost anything.
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:4096]
    if len(sample) >= 4:
        odd_nuls = sample[1::2].count(0)
        even_nuls = sample[0::2].count(0)
        half = len(sample) // 2
        if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
            return "utf-16-le"
        if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
            return "utf-16-be"
    trimmed = _trim_partial_utf8(head)
    try:
        trimmed.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    japanese: str | None = None
    for sample in (head, head[:-1]):  # the sample may end inside a double-byte pair
        try:
            japanese = sample.decode("cp932", errors="strict")
            break
        except UnicodeDecodeError:
            continue
    if japanese is not None and _has_kana(japanese) and _looks_japanese(japanese):
        return "cp932"
    # Before the looser cp932 test below: Cyrillic letters read as kanji runs in cp932.
    cyrillic = _cyrillic(head)
    if cyrillic is not None:
        return cyrillic
    if japanese is not None and _looks_japanese(japanese):
        return "cp932"
    return "cp1252"


#: Bytes of Cyrillic letters: cp1251 puts А-я at 0xC0-0xFF (Ё/ё at 0xA8/0xB8); cp866 puts А-п
#: at 0x80-0xAF and р-я at 0xE0-0xEF (Ё/ё at 0xF0/0xF1).
_CP1251_LETTERS = frozenset([*range(0xC0, 0x100), 0xA8, 0xB8])
_CP866_LETTERS = frozenset([*range(0x80, 0xB0), *range(0xE0, 0xF2)])
_HIGH_RUNS = re.compile(rb"[\x80-\xff]+")


def _cyrillic(data: bytes) -> str | None:
    """cp1251 or cp866 when ``data`` (not UTF-8) reads as Cyrillic words, else None.

    Western text has an accented letter here and there between ASCII letters ("Zeitgeber",
    "Processeur"); Cyrillic text is runs of high bytes ("Процесс" is 7 in a row). Most high
    bytes must be in runs of three or more, and nearly all of those must be letters of one of
    the two code pages, and most of them lower-case letters (as in any words); cp866 is tried
    first: its letters are bytes cp1251 uses for upper case and punctuation."""
    runs = _HIGH_RUNS.findall(data)
    high = sum(len(r) for r in runs)
    if high < 8:
        return None
    long_runs = b"".join(r for r in runs if len(r) >= 3)
    if len(long_runs) < 0.6 * high:
        return None
    n = len(long_runs)
    in_1251 = sum(b in _CP1251_LETTERS for b in long_runs) / n
    lower_1251 = sum(b >= 0xE0 for b in long_runs) / n  # а-я: words are mostly lower case
    in_866 = sum(b in _CP866_LETTERS for b in long_runs) / n
    lower_866 = sum(0xA0 <= b < 0xB0 or 0xE0 <= b < 0xF0 for b in long_runs) / n
    if in_866 >= 0.95 and lower_866 >= 0.4:
        return "cp866"
    if in_1251 >= 0.95 and lower_1251 >= 0.4:
        return "cp1251"
    return None


def header_encoding(path: str, head: bytes, found: str, limit: int = 16 << 20) -> str:
    """The encoding of a file whose codec ``found`` was detected from its first bytes ``head``,
    checked against its whole first line when ``head`` ends inside it: a perfmon header can
    be longer than 64 KiB, its counter paths ASCII and its last cells (the Data Collector Set
    description a Japanese export appends) in cp932. Reads at most ``limit`` bytes."""
    start = len(head) - len(head.lstrip(b"\r\n\x00\xef\xbb\xbf\xff\xfe"))
    if b"\n" in head[start:] or len(head) < 4096 or found.startswith(("utf-16", "utf-32")):
        return found
    return detect_encoding(head + rest_of_line(path, len(head), limit))


def rest_of_line(path: str, offset: int, limit: int = 16 << 20) -> bytes:
    """The bytes of ``path`` from ``offset`` up to and with the next line end (at most about
    ``limit``): the end of a header line longer than the head read first."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        rest = bytearray()
        while len(rest) < limit and (block := fh.read(1 << 20)):
            cut = block.find(b"\n")
            rest += block if cut < 0 else block[: cut + 1]
            if cut >= 0:
                break
    return bytes(rest)


def _has_kana(text: str) -> bool:
    return any(0x3040 <= ord(c) <= 0x30FF for c in text)


def _looks_japanese(text: str) -> bool:
    """cp932 decodes most western bytes too (accented letters become isolated kanji), so ask
    for what real Japanese text has: kana, or kanji in runs, and no private-use characters."""
    non_ascii = [c for c in text if ord(c) > 0x7F]
    if not non_ascii or any(0xE000 <= ord(c) <= 0xF8FF for c in non_ascii):
        return False
    if any(0x3040 <= ord(c) <= 0x30FF for c in non_ascii):
        return True
    runs = [r for r in re.split(r"[\x00-\x7f]+", text) if r]
    return sum(len(r) for r in runs) / len(runs) >= 2.0


def _trim_partial_utf8(data: bytes) -> bytes:
    """Drop an incomplete UTF-8 sequence at the end of a sample cut mid-character."""
    for back in range(1, 4):
        if len(data) < back:
            break
        b = data[-back]
        if b & 0xC0 == 0xC0:  # a lead byte: is its sequence complete?
            need = 2 if b & 0xE0 == 0xC0 else 3 if b & 0xF0 == 0xE0 else 4
            return data[:-back] if back < need else data
        if b & 0x80 == 0:
            return data
    return data


def decode(data: bytes, encoding: str) -> str:
    """Decode with ``encoding``, replacing undecodable bytes (a log is never refused for one byte)."""
    return data.decode(encoding, errors="replace")


def read_text(path: str, encoding: str | None = None) -> tuple[str, str]:
    """Read a whole file as text; returns (text, encoding used)."""
    with open(path, "rb") as fh:
        data = fh.read()
    enc = encoding or detect_encoding(data[:65536])
    text = decode(data, enc)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, enc


def read_head(path: str, size: int = 65536) -> tuple[str, str]:
    """The first ``size`` bytes of a file as text, and the detected encoding."""
    with open(path, "rb") as fh:
        data = fh.read(size)
    enc = detect_encoding(data)
    text = decode(data, enc)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, enc


#: Files at least this large in an encoding that cannot be cut at 0x0A bytes (UTF-16/32), or
#: that need decoding anyway (a perfmon CSV with a localized header, a BOM), are decoded block
#: by block (:class:`Utf8Stream`) instead of whole in memory.
STREAM_MIN_BYTES = 8 << 20
#: Raw bytes decoded at a time by :class:`Utf8Stream`.
STREAM_BLOCK_BYTES = 16 << 20
#: Codecs (``codecs.lookup(...).name``) whose bytes 0x00-0x7F always stand for those ASCII
#: characters and are never part of a longer character: a file in one can be cut at any 0x0A
#: byte, and a stretch of plain ASCII bytes is its own UTF-8 encoding.
ASCII_COMPATIBLE = frozenset(
    {"utf-8", "utf-8-sig", "ascii", "cp1252", "cp932", "shift_jis", "latin-1", "iso8859-1"}
    | {"cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "cp437", "cp850", "cp852", "cp857"}
    | {"cp866"}
)


class Utf8Stream:
    """A file in ``encoding`` read as UTF-8 bytes: decoded block by block with an incremental
    decoder (a character split between blocks is carried over), so memory stays at about one
    block. The bytes equal ``decode(whole file).encode("utf-8")`` with up to ``boms`` leading
    U+FEFF dropped and, when ``replace_1f``, every U+001F written as a space.

    Blocks of plain ASCII in an :data:`ASCII_COMPATIBLE` codec are passed on undecoded."""

    def __init__(
        self,
        path: str,
        encoding: str,
        *,
        boms: int = 1,
        replace_1f: bool = False,
        block: int | None = None,
    ) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 (closed by close() or at the end)
        name = codecs.lookup(encoding).name
        if name in ("utf-16", "utf-32"):
            # Without a BOM, bytes.decode takes the machine's byte order; the incremental
            # decoder would refuse: choose that order here.
            head = self._fh.read(4)
            self._fh.seek(0)
            marks = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
            if name == "utf-32":
                marks = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
            if not head.startswith(marks):
                encoding = f"{name}-{'le' if sys.byteorder == 'little' else 'be'}"
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._codec = encoding
        self._transparent = name in ASCII_COMPATIBLE
        self._boms = boms
        self._replace_1f = replace_1f
        self._block = block or STREAM_BLOCK_BYTES
        # The first blocks are small and grow: a localized header is decoded alone, the plain
        # ASCII rows after it are then passed on (decoding cp932 runs at ~100 MB/s).
        self._next_block = min(1 << 16, self._block)
        self._buf = bytearray()
        self._started = False  # some text has been produced (no more BOMs to drop)
        self.eof = False  # nothing more to read: ``read`` returns what is left, then b""

    def raw_position(self) -> int:
        """How many bytes of the file itself have been read so far."""
        return self._fh.tell()

    def _fill(self) -> None:
        raw = self._fh.read(self._next_block)
        self._next_block = min(2 * self._next_block, self._block)
        final = not raw
        if (
            self._transparent
            and self._started
            and raw.isascii()
            and self._decoder.getstate()[0] == b""
            and not (self._replace_1f and b"\x1f" in raw)
        ):
            self._buf += raw
        else:
            text = self._decoder.decode(raw, final)
            pending = self._decoder.getstate()[0] if final else b""
            if pending:  # utf-8-sig keeps a file of 1-2 bytes of a BOM even when told final
                text += pending.decode(self._codec, errors="replace")
            if not self._started and text:
                while self._boms and text.startswith("\ufeff"):
                    text, self._boms = text[1:], self._boms - 1
                self._started = bool(text) or self._boms == 0
            self._buf += self._encode(text)
        if final:
            self.eof = True
            self.close()

    def read(self, n: int = -1) -> bytes:
        """The next ``n`` bytes (all that is left when ``n`` < 0); fewer only at the end."""
        while not self.eof and (n < 0 or len(self._buf) < n):
            self._fill()
        if n < 0 or n >= len(self._buf):
            out = bytes(self._buf)
            self._buf.clear()
        else:
            out = bytes(self._buf[:n])
            del self._buf[:n]
        return out

    def pieces(self, size: int) -> Iterator[bytes]:
        """The rest of the UTF-8 bytes in pieces of about ``size`` that end at a line end (the
        last one may not; a longer line makes a longer piece). Where the codec allows it, a
        piece of plain ASCII is the file's own bytes, read exactly (no decoding, no copy)."""
        raw_left = True  # the file may have bytes left for the pass-through below
        while True:
            if (
                raw_left
                and self._transparent
                and self._started
                and not self.eof
                and self._decoder.getstate()[0] == b""
            ):
                raw = _read_to_line_end(self._fh, size)
                whole_lines = raw.endswith(b"\n")  # else it ends at the end of the file
                if raw and (not raw.isascii() or (self._replace_1f and b"\x1f" in raw)):
                    # Decoded alone: it ends at a line end, or at the end of the file (where a
                    # cut character stays pending for the final decode below).
                    raw = self._encode(self._decoder.decode(raw, False))
                if self._buf:
                    raw = bytes(self._buf) + raw
                    self._buf.clear()
                if whole_lines:
                    yield raw
                    continue
                self._buf += raw  # the end of the file: the general path finishes
                raw_left = False
            while not self.eof and (len(self._buf) < size or self._buf.rfind(b"\n") < 0):
                self._fill()
            cut = len(self._buf) if self.eof else self._buf.rfind(b"\n") + 1
            if cut == 0:
                return
            piece = bytes(self._buf[:cut])
            del self._buf[:cut]
            yield piece

    def _encode(self, text: str) -> bytes:
        if self._replace_1f:
            text = text.replace("\x1f", " ")
        return text.encode("utf-8")

    def at_end(self) -> bool:
        """Nothing is left to read."""
        while not self.eof and not self._buf:
            self._fill()
        return not self._buf

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> Utf8Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_to_line_end(fh: BinaryIO, size: int) -> bytes:
    """The next bytes of ``fh`` up to and with the last line end within ``size`` bytes (up to
    the next line end when there is none; the rest of the file at its end), read exactly: the
    cut is found in the block's last MiB first."""
    pos = fh.tell()
    end = pos + size
    probe_at = max(pos, end - (1 << 20))
    fh.seek(probe_at)
    probe = fh.read(end - probe_at)
    if len(probe) < end - probe_at:  # the end of the file is in this block
        fh.seek(pos)
        return fh.read()
    cut = probe.rfind(b"\n")
    if cut < 0:  # a very long line: read on to its end
        at = end
        while block := fh.read(1 << 20):
            i = block.find(b"\n")
            if i >= 0:
                at += i + 1
                break
            at += len(block)
        length = at - pos
    else:
        length = probe_at + cut + 1 - pos
    fh.seek(pos)
    return fh.read(length)
