"""Files users attach that no reader takes (an EMS log, a binary event log, a trace, a capture,
a RAR or cabinet archive, a memory dump), named from ``catalog/attachments.toml`` with what
turns each into something hbtriage reads: by their first bytes first (a renamed file is named
right), by their extension second."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

from hbtriage.catalog import cached_bundled, entries_of
from hbtriage.errors import CatalogError
from hbtriage.warning_text import Worded, fields_of, warn

_CATALOG_FILE = "attachments.toml"
#: The names a ``how`` text may use.
PLACEHOLDERS = frozenset({"file", "stem"})


@dataclass(frozen=True)
class Attachment:
    """One kind of file hbtriage names but does not read."""

    id: str
    title: str
    title_ja: str
    how: str
    how_ja: str
    magic: tuple[tuple[int, bytes], ...]  # (offset, bytes)
    extensions: tuple[str, ...]  # lower case, with the dot
    reference: str
    #: Members at the top of a zip that make it one such file, not an archive of files
    #: (``[Content_Types].xml`` of an Office document): read as one file, never extracted.
    zip_parts: tuple[str, ...] = ()


def build_catalog(text: str, path: str) -> tuple[Attachment, ...]:
    """Parse and check ``attachments.toml``: unique ids, a title and a how-to in English and
    Japanese, a reference, magic in hex, a magic or an extension for each, known placeholders."""
    entries, _doc = entries_of(text, path, "attachment")
    out: list[Attachment] = []
    for entry in entries:
        aid = entry.get("id")
        if not isinstance(aid, str) or not aid:
            raise CatalogError(path, None, warn("catalog_no_id"))
        if any(a.id == aid for a in out):
            raise CatalogError(path, aid, warn("catalog_duplicate_id"))
        texts: dict[str, str] = {}
        for key in ("title", "how"):
            for lang in ("en", "ja"):
                value = (
                    (entry.get(key) or {}).get(lang) if isinstance(entry.get(key), dict) else None
                )
                if not isinstance(value, str) or not value.strip():
                    raise CatalogError(
                        path, aid, warn("catalog_missing_field", field=f"{key}.{lang}")
                    )
                try:
                    unknown = fields_of(value) - PLACEHOLDERS
                except ValueError as exc:
                    said = warn("attachment_bad_text", field=f"{key}.{lang}", error=str(exc))
                    raise CatalogError(path, aid, said) from None
                if unknown:
                    said = warn(
                        "attachment_unknown_names", field=f"{key}.{lang}", names=sorted(unknown)
                    )
                    raise CatalogError(path, aid, said)
                texts[f"{key}_{lang}"] = value
        reference = entry.get("reference")
        if not isinstance(reference, str) or not reference:
            raise CatalogError(path, aid, warn("catalog_missing_field", field="reference"))
        magic: list[tuple[int, bytes]] = []
        for m in entry.get("magic", []):
            try:
                magic.append((int(m.get("at", 0)), bytes.fromhex(m["hex"])))
            except (AttributeError, KeyError, TypeError, ValueError):
                said = warn("attachment_bad_magic", magic=repr(m))
                raise CatalogError(path, aid, said) from None
        extensions = tuple(str(e).lower() for e in entry.get("extensions", []))
        if not magic and not extensions:
            raise CatalogError(path, aid, warn("attachment_no_magic"))
        if any(not e.startswith(".") for e in extensions):
            raise CatalogError(path, aid, warn("attachment_extension_dot"))
        parts = entry.get("zip_parts", [])
        if not isinstance(parts, list) or not all(isinstance(p, str) and p for p in parts):
            raise CatalogError(path, aid, warn("attachment_zip_parts"))
        out.append(
            Attachment(
                aid,
                texts["title_en"],
                texts["title_ja"],
                texts["how_en"],
                texts["how_ja"],
                tuple(magic),
                extensions,
                reference,
                tuple(parts),
            )
        )
    return tuple(out)


@functools.cache
def known() -> tuple[Attachment, ...]:
    """The bundled ``catalog/attachments.toml`` (kept parsed in the catalog's cache; once per
    process: every sniff asks for it, and the cache's key walks the package)."""
    return cached_bundled(_CATALOG_FILE, build_catalog)


def by_magic(head: bytes) -> Attachment | None:
    """The kind whose first bytes ``head`` starts with."""
    return next((a for a in known() for at, m in a.magic if head[at : at + len(m)] == m), None)


def zip_documents() -> tuple[Attachment, ...]:
    """The kinds that are zips of their own parts (documents, packages): the zip bundle
    reader reads one as one file, by its extension or its parts (``zip_parts``)."""
    return tuple(a for a in known() if a.zip_parts)


def by_extension(name: str) -> Attachment | None:
    """The kind a file name's extension says."""
    lower = name.lower()
    return next((a for a in known() if lower.endswith(a.extensions)), None)


# A file name as a Windows command may quote it ("" cannot be in one).
_UNSAFE = re.compile(r'["\x00-\x1f]')


def note(kind: Attachment, name: str) -> Worded:
    """The reason worded for the file ``name`` (its base name is put in the commands)."""
    base = _UNSAFE.sub("_", os.path.basename(name.replace("\\", "/")))
    stem = os.path.splitext(base)[0] or base
    fill = {"file": base, "stem": stem}
    return warn(
        "attachment",
        title=kind.title.format(**fill),
        title_ja=kind.title_ja.format(**fill),
        how=kind.how.format(**fill),
        how_ja=kind.how_ja.format(**fill),
    )
