"""Warnings worded by id (``catalog/warnings.toml``), in English and Japanese.

``warn("bad_line", path=..., line=..., reason=...)`` is the English text of the warning, as
findings.json keeps it, and still a ``str`` (every list of warnings stays a list of strings);
it carries the id and the fields it was made from, so the reports can word it again in
Japanese, or as a site catalog rewords it (:func:`render`). A field may itself be a worded
text (a reader's reason inside ``path:line: reason``): it is worded in the same language. A
field ``name_ja`` fills ``{name}`` in the Japanese text (``name`` in both languages
otherwise). A list of parts is :class:`Joined` (its separator in each language). A string
built out of worded ones by hand (joined, sliced) is English only: it is shown as it is.
"""

from __future__ import annotations

import errno
import os
import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from string import Formatter
from typing import Any, Protocol


class Worded(str):
    """A warning's English text with the ``id`` and ``fields`` it was made from."""

    id: str
    fields: dict[str, Any]

    def __new__(cls, text: str, wid: str, fields: dict[str, Any]) -> Worded:
        obj = super().__new__(cls, text)
        obj.id = wid
        obj.fields = fields
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Worded, (str(self), self.id, self.fields))


class Joined(tuple[Any, ...]):
    """Parts of a field, each worded in the language of the whole, joined by ``sep`` (English)
    or ``sep_ja``."""

    sep: str
    sep_ja: str

    def __new__(cls, parts: Iterable[Any], sep: str = "; ", sep_ja: str = "、") -> Joined:
        obj = super().__new__(cls, parts)
        obj.sep, obj.sep_ja = sep, sep_ja
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Joined, (tuple(self), self.sep, self.sep_ja))

    def __str__(self) -> str:
        return self.sep.join(str(p) for p in self)


class Wording(Protocol):
    """A catalog entry of ``warnings.toml`` (``hbtriage.catalog.WarningWording``)."""

    @property
    def en(self) -> str: ...

    @property
    def ja(self) -> str: ...


def fields_of(template: str) -> set[str]:
    """The ``{names}`` of a template (ValueError when it is not a valid one)."""
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


@cache
def _entries() -> tuple[dict[str, Any], ...]:
    """The entries of the bundled ``warnings.toml``, parsed once per install and kept in the
    catalog's cache (its 2,000 strings took 15-20 ms to parse on every run, tiny ones too:
    :class:`hbtriage.hosts.Clues` words its default reason when the module is imported)."""
    from hbtriage.catalog import cached_bundled

    return cached_bundled("warnings.toml", _parse_entries)


def _parse_entries(text: str, _path: str) -> tuple[dict[str, Any], ...]:
    return tuple(tomllib.loads(text)["warning"])


@cache
def bundled() -> dict[str, tuple[str, str]]:
    """``id -> (en, ja)`` of the bundled ``warnings.toml`` (the English made by :func:`warn`
    is always the bundled one: findings.json's text does not depend on a site catalog)."""
    return {e["id"]: (e["en"], e["ja"]) for e in _entries()}


@cache
def _bad_input_ids() -> frozenset[str]:
    return frozenset(e["id"] for e in _entries() if e.get("bad_input") is True)


def bad_input(said: object) -> bool:
    """Whether the warning ``said`` (a :class:`Worded`, its fields worded too) says, at any
    depth, that an input is damaged or could not be read (``bad_input = true`` in
    ``warnings.toml``), not that it is of no kind hbtriage reads."""
    if isinstance(said, Worded):
        return said.id in _bad_input_ids() or any(bad_input(v) for v in said.fields.values())
    if isinstance(said, Joined):
        return any(bad_input(v) for v in said)
    return False


def warn(wid: str, **fields: Any) -> Worded:
    """The warning ``wid`` of ``warnings.toml`` in English, its ``{fields}`` filled."""
    values = {k: str(v) if isinstance(v, Joined) else v for k, v in fields.items()}
    return Worded(bundled()[wid][0].format(**values), wid, fields)


#: Ids that only say where a warning points (``path:line: reason``), or that a file or the
#: members of an archive were skipped: its reason says what.
FRAMES = frozenset({"at_line", "at_file", "at_file_skipped", "many_skipped"})


def said_id(text: str) -> str | None:
    """The id of what ``text`` says: its own, or for a frame (``path:line: reason``) its
    reason's (the first one's, for reasons joined); None when it is not worded by id."""
    if not isinstance(text, Worded):
        return None
    reason = text.fields.get("reason") if text.id in FRAMES else None
    if isinstance(reason, Joined) and reason:
        reason = reason[0]
    return reason.id if isinstance(reason, Worded) else text.id


def one_line_per_path(warnings: Iterable[str], paths: set[str]) -> list[str]:
    """``warnings`` with those about each path of ``paths`` (``path: reason``) joined into its
    first one, the reasons worded each in its language (``path: reason; reason``)."""
    out: list[str] = []
    said: dict[str, list[Any]] = {}
    first: dict[str, int] = {}
    for w in warnings:
        path = next((p for p in paths if w.startswith(f"{p}: ")), None)
        if path is None:
            out.append(w)
            continue
        reason: Any = w[len(path) + 2 :]  # English only, unless it is worded as path: reason
        if isinstance(w, Worded) and w.id == "at_file" and w.fields.get("path") == path:
            reason = w.fields["reason"]
        if path not in first:
            first[path] = len(out)
            out.append(w)
        said.setdefault(path, []).append(reason)
    for path, at in first.items():
        if len(said[path]) > 1:
            parts = [p for r in said[path] for p in (r if isinstance(r, Joined) else [r])]
            out[at] = warn("at_file", path=path, reason=Joined(parts, sep="; ", sep_ja="。"))
    return out


def render(text: str, lang: str, wordings: Mapping[str, Wording] | None = None) -> str:
    """``text`` in ``lang`` ("en" or "ja") from ``wordings`` (the run's catalog; the bundled
    file when None). Text that is not worded, or whose id or fields the wording lacks, is
    returned as it is (in English)."""
    if not isinstance(text, Worded):
        return str(text)
    if wordings is None:
        got = bundled().get(text.id)
        template = None if got is None else (got[1] if lang == "ja" else got[0])
    else:
        entry = wordings.get(text.id)
        template = None if entry is None else (entry.ja if lang == "ja" else entry.en)
    if template is None:
        return str(text)
    values = {k: _value(v, lang, wordings, k) for k, v in text.fields.items()}
    if lang == "ja":
        values.update({k[:-3]: v for k, v in values.items() if k.endswith("_ja")})
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return str(text)


def label(text: str, lang: str, wordings: Mapping[str, Wording] | None = None) -> str:
    """A label of the reports (a file's zone and its source, where its host was found, a
    clock's basis) in ``lang``: worded by id as :func:`render` does; one read back from a
    findings.json (plain text) when it is the English of an entry without fields."""
    return render(as_worded(text), lang, wordings)


@cache
def _by_english() -> dict[str, str]:
    """English -> id of the bundled entries without fields (the first of equal ones)."""
    out: dict[str, str] = {}
    for wid, (en, _ja) in bundled().items():
        if not fields_of(en):
            out.setdefault(en, wid)
    return out


def as_worded(text: str) -> str:
    """``text`` with its id when it is worded already or is the English of a bundled entry
    without fields (``"perfmon header"``); else as it is."""
    if isinstance(text, Worded) or not text:
        return text
    wid = _by_english().get(text)
    return text if wid is None else Worded(text, wid, {})


#: The errno names whose system text (``os.strerror``) a warning's ``{error}`` is worded by
#: in Japanese (``os_error_<NAME>`` entries); any other system text stays as it is.
OS_ERRORS = (
    "EACCES",
    "EPERM",
    "ENOENT",
    "ENOSPC",
    "EDQUOT",
    "EIO",
    "EISDIR",
    "ENOTDIR",
    "ELOOP",
    "ENAMETOOLONG",
    "EROFS",
    "EMFILE",
    "EBUSY",
)


@cache
def _os_error_ids() -> dict[str, str]:
    """The system's own text of each of :data:`OS_ERRORS` (and the catalog's English of it)
    -> its id."""
    out: dict[str, str] = {}
    for name in OS_ERRORS:
        wid = f"os_error_{name}"
        code = getattr(errno, name, None)
        if code is not None:
            out[os.strerror(code)] = wid
        if wid in bundled():
            out.setdefault(bundled()[wid][0], wid)
    return out


def _os_error(text: str, lang: str, wordings: Mapping[str, Wording] | None) -> str:
    """A system error text (``exc.strerror``) in ``lang``: the common ones worded by id."""
    wid = _os_error_ids().get(text)
    return text if wid is None else render(Worded(text, wid, {}), lang, wordings)


def _value(value: Any, lang: str, wordings: Mapping[str, Wording] | None, key: str = "") -> Any:
    if key == "error" and isinstance(value, str) and not isinstance(value, Worded):
        return _os_error(value, lang, wordings)
    if isinstance(value, Joined):
        sep = value.sep_ja if lang == "ja" else value.sep
        return sep.join(render(p, lang, wordings) if isinstance(p, str) else str(p) for p in value)
    return render(value, lang, wordings) if isinstance(value, str) else value


#: The labels of findings.json's inputs and hosts that may be worded by id, each kept in
#: English and, as ``<name>_ja``, in Japanese (:func:`word_labels`).
LABELS: dict[str, tuple[str, ...]] = {
    "inputs": ("host_reason", "zone", "zone_source", "note"),
    "hosts": ("zone", "zone_source", "clock_offset_basis"),
}


def word_labels(findings: Any, wordings: Mapping[str, Wording] | None = None) -> None:
    """Fill the ``<name>_ja`` twin of each of :data:`LABELS` of ``findings``' inputs and hosts
    (their fields worded in Japanese, "" where the English is empty): a report rendered again
    from findings.json, where the labels are plain text, still words them."""
    for part, names in LABELS.items():
        for item in getattr(findings, part):
            for name in names:
                text = getattr(item, name) or ""
                setattr(item, f"{name}_ja", label(text, "ja", wordings) if text else "")


def label_of(item: Any, name: str, lang: str) -> str:
    """The label ``name`` of an input or host (:data:`LABELS`) in ``lang``: its ``_ja`` twin
    when there is one, else the field worded again (a document written before the twins)."""
    text = getattr(item, name) or ""
    if lang == "ja":
        said = getattr(item, f"{name}_ja", "") or ""
        if said:
            return str(said)
    return label(text, lang) if text else ""
