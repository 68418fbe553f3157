"""Decode bytes the way Windows and Linux servers wrote them, and say which codec was used."""

from __future__ import annotations

import codecs
import re

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(head: bytes) -> str:
    """Best codec for ``head`` (the first bytes of a file).

    BOMs win; then UTF-16 without BOM (every other byte NUL); then strict UTF-8;
    then cp932 (Japanese Windows) when it decodes and holds double-byte text;
    else cp1252 (western Windows), which decodes almost anything.
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
    for sample in (head, head[:-1]):  # the sample may end inside a double-byte pair
        try:
            if _looks_japanese(sample.decode("cp932", errors="strict")):
                return "cp932"
            break
        except UnicodeDecodeError:
            continue
    return "cp1252"


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
