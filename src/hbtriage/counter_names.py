"""Canonical English names and semantics of the perfmon counters hbtriage uses.

The data is ``catalog/counters.toml`` (localized names generated from PAL's CounterLang.xml by
``scripts/gen_counter_names.py``). German, French, Spanish ... Windows write localized counter
paths (``\\\\HOST\\Prozessor(_Total)\\DPC-Rate``); :func:`canonical` maps any spelling back to
``("Processor", "DPC Rate", "instant")``. Lookups are case-insensitive and accept a localized
object with an English counter (or the reverse), which relog/typeperf mixes produce.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from hbtriage.catalog import bundled_text, entries_of
from hbtriage.errors import CatalogError

SEMANTICS = frozenset({"instant", "rate", "cumulative", "percent", "gauge"})
_CATALOG_FILE = "counters.toml"


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

    def canonical(self, object_name: str, counter_name: str) -> tuple[str, str, str] | None:
        """(object, counter, semantics) in canonical English for any known spelling."""
        obj = self.objects.get(_fold(object_name))
        if obj is None:
            return None
        info = self.by_object.get(obj, {}).get(_fold(counter_name))
        if info is None:
            return None
        return info.object, info.counter, info.semantics

    def known_object(self, object_name: str) -> str | None:
        """Canonical English object for any known spelling of a catalog object."""
        return self.objects.get(_fold(object_name))


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def build_index(text: str, path: str) -> CounterIndex:
    """Parse and validate the catalog text (exposed for tests of the validation)."""
    entries, data = entries_of(text, path, "counter")
    return index_of(entries, data.get("object", []), path)


def index_of(
    entries: list[dict[str, Any]], object_names: list[dict[str, Any]], path: str
) -> CounterIndex:
    """The index of ``[[counter]]`` entries and ``[[object]]`` name tables (raises
    :class:`CatalogError` naming ``path`` and the entry for the first bad one)."""
    seen: set[str] = set()
    counters: list[CounterInfo] = []
    objects: dict[str, str] = {}
    by_object: dict[str, dict[str, CounterInfo]] = {}
    for n, entry in enumerate(entries, 1):
        cid = entry.get("id")
        if not isinstance(cid, str) or not cid:
            raise CatalogError(path, f"#{n}", "entry has no id")
        if cid in seen:
            raise CatalogError(path, cid, "duplicate id")
        seen.add(cid)
        for key in ("object", "counter", "semantics", "title", "reference"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise CatalogError(path, cid, f"missing or empty {key!r}")
        if entry["semantics"] not in SEMANTICS:
            raise CatalogError(
                path,
                cid,
                f"semantics {entry['semantics']!r} not one of {', '.join(sorted(SEMANTICS))}",
            )
        names = entry.get("names", {})
        if not isinstance(names, dict) or not all(
            isinstance(v, str) and "\\" in v for v in names.values()
        ):
            raise CatalogError(path, cid, 'names must map lang -> "Object\\\\Counter"')
        info = CounterInfo(
            id=cid,
            object=entry["object"],
            counter=entry["counter"],
            semantics=entry["semantics"],
            title=entry["title"],
            reference=entry["reference"],
            names=dict(names),
        )
        table = by_object.setdefault(info.object, {})
        if _fold(info.counter) in table:
            raise CatalogError(path, cid, f"{info.object}\\{info.counter} listed twice")
        counters.append(info)
        objects.setdefault(_fold(info.object), info.object)
        table[_fold(info.counter)] = info
        for localized in names.values():
            lobj, lcounter = localized.split("\\", 1)
            objects.setdefault(_fold(lobj), info.object)
            table.setdefault(_fold(lcounter), info)
    for obj in object_names:
        canon = obj.get("object")
        if isinstance(canon, str):
            for name in obj.get("names", {}).values():
                if isinstance(name, str):
                    objects.setdefault(_fold(name), canon)
    return CounterIndex(tuple(counters), objects, by_object)


@functools.cache
def _index() -> CounterIndex:
    text, path = bundled_text(_CATALOG_FILE)
    return build_index(text, path)


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
