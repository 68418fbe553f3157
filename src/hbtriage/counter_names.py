"""Canonical English names and semantics of the perfmon counters hbtriage uses.

The data is ``catalog/counters.toml`` (localized names generated from PAL's CounterLang.xml by
``scripts/gen_counter_names.py``) and ``catalog/counters_local.toml`` (names taken by hand from
what real Windows installations write, each with its source; they replace PAL's spelling for
their language, e.g. the Cyrillic names of Russian Windows where PAL gives English). German,
French, Russian ... Windows write localized counter paths
(``\\\\HOST\\Prozessor(_Total)\\DPC-Rate``); :func:`canonical` maps any spelling back to
``("Processor", "DPC Rate", "instant")``. Lookups ignore case, spacing and diacritics
(:func:`fold_name`: PAL wrote ``% casu DPC`` where Czech Windows writes ``% času DPC``) and
accept a localized object with an English counter (or the reverse), which relog/typeperf
mixes produce. Loading refuses a catalog in which two counters (or two objects) would fold to
the same spelling.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hbtriage.catalog import bundled_text, entries_of
from hbtriage.errors import CatalogError
from hbtriage.warning_text import Joined, warn

SEMANTICS = frozenset({"instant", "rate", "cumulative", "percent", "gauge"})
_CATALOG_FILE = "counters.toml"
_LOCAL_FILE = "counters_local.toml"
_LANG_RE = re.compile(r"^[a-z]{2}[A-Z]{2}$")


@dataclass(frozen=True)
class CounterInfo:
    """One catalog counter."""

    id: str
    object: str
    counter: str
    semantics: str
    title: str
    reference: str
    names: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class CounterIndex:
    """The counters of one catalog, looked up by any spelling."""

    counters: tuple[CounterInfo, ...]
    objects: dict[str, str]  # folded object spelling -> canonical object
    by_object: dict[str, dict[str, CounterInfo]]  # canonical object -> folded counter -> info
    #: folded spellings of objects read as another (Processor Information as Processor)
    stand_ins: frozenset[str] = frozenset()

    def canonical(self, object_name: str, counter_name: str) -> tuple[str, str, str] | None:
        """(object, counter, semantics) in canonical English for any known spelling."""
        obj = self.objects.get(fold_name(object_name))
        if obj is None:
            return None
        info = self.by_object.get(obj, {}).get(fold_name(counter_name))
        if info is None:
            return None
        return info.object, info.counter, info.semantics

    def stands_in(self, object_name: str) -> bool:
        """Whether ``object_name`` is an object read as another (``Processor Information``,
        ``Netzwerkadapter``): a file holding both keeps the other's columns."""
        return fold_name(object_name) in self.stand_ins

    def known_object(self, object_name: str) -> str | None:
        """Canonical English object for any known spelling of a catalog object."""
        return self.objects.get(fold_name(object_name))


#: Letters NFKD does not take apart, written without their stroke or ligature where a
#: keyboard or an old code page lost them (Turkish dotless i, Polish l with stroke ...).
_BASE_LETTERS = str.maketrans(
    {"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "æ": "ae", "œ": "oe"}
)


def fold_name(text: str) -> str:
    """The spelling of a counter or object name that lookups compare: case folded, diacritics
    dropped (NFKD, combining marks removed, the letters of ``_BASE_LETTERS`` mapped), spaces
    collapsed. ``İşlemci``, ``ışlemci`` and ``Islemci`` fold alike; so do ``% času DPC`` and
    ``% casu DPC``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.translate(_BASE_LETTERS).split())


def build_index(
    text: str, path: str, local_text: str | None = None, local_path: str = _LOCAL_FILE
) -> CounterIndex:
    """Parse and validate the catalog text, with the hand-kept names of ``local_text`` (a
    ``counters_local.toml``) merged in (exposed for tests of the validation)."""
    entries, data = entries_of(text, path, "counter")
    local: list[tuple[str, dict[str, Any]]] = []
    if local_text is not None:
        found, _ = entries_of(local_text, local_path, "counter")
        local = [(local_path, e) for e in found]
    return index_of(entries, data.get("object", []), path, local)


def _local_names(
    local: Sequence[tuple[str, dict[str, Any]]], known: set[str]
) -> dict[str, dict[str, str]]:
    """counter id -> {language: "Object\\Counter"} of the ``[[counter]]`` tables of
    counters_local.toml files, checked: every id is a catalog counter, every other key a
    language code holding ``{ name = "Object\\Counter", reference = "..." }``."""
    out: dict[str, dict[str, str]] = {}
    for n, (path, entry) in enumerate(local, 1):
        cid = entry.get("id")
        if not isinstance(cid, str) or not cid:
            raise CatalogError(path, f"#{n}", warn("catalog_no_id"))
        if cid not in known:
            raise CatalogError(path, cid, warn("counters_no_such_counter"))
        for lang, value in entry.items():
            if lang == "id":
                continue
            if not _LANG_RE.match(lang):
                raise CatalogError(path, cid, warn("counters_not_lang", lang=repr(lang)))
            name = value.get("name") if isinstance(value, dict) else None
            ref = value.get("reference") if isinstance(value, dict) else None
            if (
                not isinstance(name, str)
                or name.count("\\") != 1
                or not all(p.strip() for p in name.split("\\"))
            ):
                raise CatalogError(path, cid, warn("counters_local_name", lang=lang))
            if not isinstance(ref, str) or not ref.strip():
                raise CatalogError(path, cid, warn("counters_local_reference", lang=lang))
            out.setdefault(cid, {})[lang] = name
    return out


def _check_folds(counters: Sequence[CounterInfo], path: str) -> None:
    """Raise when two catalog counters of one object, or two objects, fold to one spelling: in
    one language (the lookup could not tell them apart), or across languages (a file mixing
    them would be read as the wrong counter)."""
    counter_at: dict[tuple[str, str], tuple[str, str]] = {}  # (object, folded) -> (id, lang)
    object_at: dict[str, tuple[str, str]] = {}  # folded object -> (object, lang)
    for info in counters:
        spellings = [("canonical", f"{info.object}\\{info.counter}"), *info.names.items()]
        for lang, name in spellings:
            lobj, lcounter = name.split("\\", 1)
            key = (info.object, fold_name(lcounter))
            cid, clang = counter_at.setdefault(key, (info.id, lang))
            if cid != info.id:
                langs = Joined(dict.fromkeys((clang, lang)), " and ", " と ")
                said = warn("counters_same_fold", name=repr(name), other=repr(cid), langs=langs)
                raise CatalogError(path, info.id, said)
            obj, olang = object_at.setdefault(fold_name(lobj), (info.object, lang))
            if obj != info.object:
                said = warn(
                    "counters_object_fold",
                    name=repr(lobj),
                    lang=lang,
                    other=repr(obj),
                    other_lang=olang,
                )
                raise CatalogError(path, info.id, said)


def index_of(
    entries: list[dict[str, Any]],
    object_names: list[dict[str, Any]],
    path: str,
    local: Sequence[tuple[str, dict[str, Any]]] = (),
) -> CounterIndex:
    """The index of ``[[counter]]`` entries and ``[[object]]`` name tables, with the names of
    ``local`` (``(file, entry)`` of counters_local.toml files) replacing the generated ones of
    their language (raises :class:`CatalogError` naming the file and the entry for the first
    bad one)."""
    ids = {e.get("id") for e in entries}
    local_names = _local_names(local, {i for i in ids if isinstance(i, str)})
    seen: set[str] = set()
    counters: list[CounterInfo] = []
    objects: dict[str, str] = {}
    by_object: dict[str, dict[str, CounterInfo]] = {}
    for n, entry in enumerate(entries, 1):
        cid = entry.get("id")
        if not isinstance(cid, str) or not cid:
            raise CatalogError(path, f"#{n}", warn("catalog_no_id"))
        if cid in seen:
            raise CatalogError(path, cid, warn("catalog_duplicate_id"))
        seen.add(cid)
        for key in ("object", "counter", "semantics", "title", "reference"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise CatalogError(path, cid, warn("counters_missing_key", key=key))
        if entry["semantics"] not in SEMANTICS:
            value, known = repr(entry["semantics"]), ", ".join(sorted(SEMANTICS))
            raise CatalogError(path, cid, warn("counters_semantics", value=value, known=known))
        names = entry.get("names", {})
        if not isinstance(names, dict) or not all(
            isinstance(v, str) and "\\" in v for v in names.values()
        ):
            raise CatalogError(path, cid, warn("counters_names_map"))
        info = CounterInfo(
            id=cid,
            object=entry["object"],
            counter=entry["counter"],
            semantics=entry["semantics"],
            title=entry["title"],
            reference=entry["reference"],
            names={**names, **local_names.get(cid, {})},
        )
        table = by_object.setdefault(info.object, {})
        if fold_name(info.counter) in table:
            said = warn("counters_listed_twice", counter=f"{info.object}\\{info.counter}")
            raise CatalogError(path, cid, said)
        counters.append(info)
        objects.setdefault(fold_name(info.object), info.object)
        table[fold_name(info.counter)] = info
        for localized in info.names.values():
            lobj, lcounter = localized.split("\\", 1)
            objects.setdefault(fold_name(lobj), info.object)
            table.setdefault(fold_name(lcounter), info)
    stand_ins: set[str] = set()
    for obj in object_names:
        canon = obj.get("object")
        if not isinstance(canon, str):
            continue
        counted = obj.get("counts_as", canon)
        if counted != canon:
            _stand_in(obj, canon, counted, by_object, path)
            stand_ins |= {fold_name(canon), *(fold_name(n) for n in _strings(obj.get("names")))}
        for name in _strings(obj.get("names")):
            objects.setdefault(fold_name(name), counted)
        objects.setdefault(fold_name(canon), counted)
    _check_folds(counters, path)
    return CounterIndex(tuple(counters), objects, by_object, frozenset(stand_ins))


def _strings(table: object) -> list[str]:
    return [v for v in table.values() if isinstance(v, str)] if isinstance(table, dict) else []


def _stand_in(
    obj: dict[str, Any],
    canon: str,
    counted: object,
    by_object: dict[str, dict[str, CounterInfo]],
    path: str,
) -> None:
    """Put the counter spellings of an ``[[object]]`` that ``counts_as`` another (Processor
    Information as Processor) in the counted-as object's table, checked: the counted-as object
    has catalog counters, each listed counter is one of them, and no spelling is already
    another counter's."""
    where = f"object {canon}"
    if not isinstance(counted, str) or counted not in by_object:
        raise CatalogError(path, where, warn("counters_counts_as", value=repr(counted)))
    table = by_object[counted]
    spellings = obj.get("counters", {})
    if not isinstance(spellings, dict):
        raise CatalogError(path, where, warn("counters_counters_map"))
    for counter, names in spellings.items():
        info = table.get(fold_name(counter))
        if info is None or not isinstance(names, dict):
            said = warn("counters_not_counter_of", counter=repr(counter), object=counted)
            raise CatalogError(path, where, said)
        for name in _strings(names):
            if table.setdefault(fold_name(name), info) is not info:
                said = warn("counters_name_taken", name=repr(name), object=counted)
                raise CatalogError(path, where, said)


@functools.cache
def _index() -> CounterIndex:
    text, path = bundled_text(_CATALOG_FILE)
    try:
        local_text, local_path = bundled_text(_LOCAL_FILE)
    except FileNotFoundError:  # pragma: no cover - an install without the hand-kept names
        return build_index(text, path)
    return build_index(text, path, local_text, local_path)


def default_index() -> CounterIndex:
    """The counters of the bundled catalog."""
    return _index()


def canonical(object_name: str, counter_name: str) -> tuple[str, str, str] | None:
    """(object, counter, semantics) in canonical English for any known spelling, else None."""
    return _index().canonical(object_name, counter_name)


def semantics(object_name: str, counter_name: str) -> str | None:
    """Semantics of a counter (any spelling): instant | rate | cumulative | percent | gauge."""
    hit = canonical(object_name, counter_name)
    return hit[2] if hit else None


def all_counters() -> tuple[CounterInfo, ...]:
    """Every catalog counter, in file order."""
    return _index().counters


def known_object(object_name: str) -> str | None:
    """Canonical English object for any known spelling of a catalog object, else None."""
    return _index().known_object(object_name)
