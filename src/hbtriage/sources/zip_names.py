"""The names of a zip's members as the person who made it wrote them.

A zip member's name is UTF-8 when its header says so (general purpose flag bit 11); otherwise
the format says IBM code page 437, and Python's :mod:`zipfile` decodes it that way. Windows
Explorer's "Send to > Compressed folder" (and many older tools) writes the names in the OEM code
page of the machine instead, without the flag: on a Japanese Windows that is cp932, so
``PG側ログ\\pim1.txt`` arrives as ``PGæñâìâO\\pim1.txt`` and the folder, which may be all
that names a server, is shown and matched as noise. Other tools write UTF-8 and forget the flag.

:func:`fix_names` decides once per archive, over every name without the flag that is not
ASCII: UTF-8 when all of them are valid UTF-8; cp932 when all of them decode as cp932 into
Japanese text (kana, or a word of two or more kanji, and nothing outside the Japanese blocks,
so a German ``Übersicht`` written in cp850, whose ``Üb`` would decode as one kanji, stays as
it is); else code page 437, as the format says.

The same names reach the disk as other bytes when such a zip is unpacked without ``-O cp932``:
kept as they are (cp932 bytes), or, by Info-ZIP ``unzip`` on Linux, read as the DOS code page
850 and written as Windows-1252 (``PG側ログ`` as the bytes of ``PGæñâìâO``; the box-drawing
characters of 850 become ``+``, ``-``, ``¦``, so a name holding them cannot be read back).
:func:`japanese_name` reads one back, under the same test.
"""

from __future__ import annotations

import re
import zipfile

_UTF8_FLAG = 0x800
#: Every character cp932 text may hold beyond ASCII: kana, CJK ideographs, CJK symbols and
#: punctuation, full-width forms.
_JAPANESE = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff01-\uff5e]")
_KANA_OR_WORD = re.compile(r"[\u3040-\u30ff]|[\u4e00-\u9fff]{2}")
_KANA = re.compile(r"[\u3040-\u30ff]")


def _raw(info: zipfile.ZipInfo) -> bytes | None:
    """The bytes of a name :mod:`zipfile` decoded as cp437, or None when it needs nothing."""
    if info.flag_bits & _UTF8_FLAG or info.orig_filename.isascii():
        return None
    try:
        return info.orig_filename.encode("cp437")
    except UnicodeEncodeError:  # decoded otherwise already (a metadata_encoding)
        return None


def _japanese(names: list[str]) -> bool:
    """Whether ``names`` are Japanese text: nothing beyond ASCII outside the Japanese blocks,
    and some kana or a word of kanji (one kanji alone is what two bytes of a European code
    page may give)."""
    if any(not _JAPANESE.match(c) for name in names for c in name if not c.isascii()):
        return False
    return any(_KANA_OR_WORD.search(name) for name in names)


def archive_encoding(infos: list[zipfile.ZipInfo]) -> str | None:
    """The encoding the names without the UTF-8 flag were written in, when it is not cp437."""
    raws = [r for r in map(_raw, infos) if r is not None]
    if not raws:
        return None
    for encoding in ("utf-8", "cp932"):
        try:
            names = [r.decode(encoding) for r in raws]
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8" or _japanese(names):
            return encoding
    return None


def fix_names(zf: zipfile.ZipFile) -> None:
    """Set each member's ``filename`` to its name in the archive's encoding (see the module).
    ``orig_filename`` stays as :mod:`zipfile` read it: it checks each member's local header
    against that."""
    infos = zf.infolist()
    encoding = archive_encoding(infos)
    if encoding is None:
        return
    for info in infos:
        raw = _raw(info)
        if raw is not None:
            info.filename = raw.decode(encoding).split("\x00")[0]  # cut at NUL, as ZipInfo


def japanese_name(raw: bytes) -> str | None:
    """``raw``, a name on disk that is not UTF-8, as the Japanese text it is in cp932, written
    as it is or as unzip writes it (see the module: kana or a word of kanji, nothing outside
    the Japanese blocks); None when it is not that."""
    readings = []
    # As unzip writes it first: the bytes of "æñâìâO" are a name in cp932 too ("踈粮祕"), but
    # unzip's bytes of real cp932 text seldom are (0x81-0x9f, its lead bytes, are no letters
    # of Windows-1252); where both read as Japanese, the one with kana.
    for read in (lambda: raw.decode("cp1252").encode("cp850"), lambda: raw):
        try:
            name = read().decode("cp932")
        except (UnicodeDecodeError, UnicodeEncodeError):
            continue
        if _japanese([name]):
            readings.append(name)
    kana = [n for n in readings if _KANA.search(n)]
    return next(iter(kana or readings), None)
