"""The words of Windows event log exports per UI language (``catalog/eventlog.toml``): the
labels of ``wevtutil qe /f:text``, the first names of Event Viewer's CSV header, the level
(event type) words and the morning/afternoon marks of the cultures that write them.

Loaded on first use (the sniff of a CSV head that may be Event Viewer's, or a reader) and
checked: every entry needs an id and a reference, and the words it holds.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from hbtriage.catalog import cached_bundled, entries_of, string_list
from hbtriage.errors import CatalogError
from hbtriage.warning_text import warn

#: The fields a wevtutil label may name (the reader's columns).
WEVT_FIELDS = ("log", "source", "date", "id", "level", "computer", "description")


@dataclass(frozen=True)
class EventLogWords:
    """``catalog/eventlog.toml``, checked."""

    #: wevtutil label (case-folded) -> field of :data:`WEVT_FIELDS`.
    wevtutil: dict[str, str]
    #: (first header name, date header name), case-folded, of Event Viewer's CSV.
    viewer_headers: tuple[tuple[str, str], ...]
    #: Level / event type words, case-folded.
    levels: frozenset[str]
    #: Morning and afternoon marks.
    am: tuple[str, ...]
    pm: tuple[str, ...]

    def wevtutil_label_re(self) -> str:
        """A regex of any known label at the start of an indented ``Label: value`` line."""
        labels = sorted(self.wevtutil, key=len, reverse=True)
        return "|".join(re.escape(x) for x in labels)


def _fail(path: str, entry: object, what: str) -> CatalogError:
    return CatalogError(
        path, entry if isinstance(entry, str) else None, warn("catalog_eventlog", what=what)
    )


def _checked(path: str, table: str, e: dict[str, object], keys: tuple[str, ...]) -> str:
    eid = e.get("id")
    if not isinstance(eid, str) or not eid or not isinstance(e.get("reference"), str):
        raise _fail(path, eid, f"[[{table}]]: id, reference, " + ", ".join(keys))
    for k in keys:
        if string_list(e.get(k), single=True) is None:
            raise _fail(path, eid, f"[[{table}]]: {k} (a word or a list of words)")
    return eid


def build(text: str, path: str) -> EventLogWords:
    """Parse and check ``eventlog.toml`` (CatalogError naming the entry)."""
    doc = entries_of(text, path, "wevtutil")[1]
    wevt: dict[str, str] = {}
    for e in doc["wevtutil"]:
        labels = e.get("labels") if isinstance(e, dict) else None
        eid = e.get("id") if isinstance(e, dict) else None
        if not isinstance(e, dict) or not isinstance(labels, dict) or not labels:
            raise _fail(path, eid, "[[wevtutil]]: id, labels (field = label), reference")
        _checked(path, "wevtutil", e, ())
        for field, label in labels.items():
            words = string_list(label, single=True)
            if field not in WEVT_FIELDS or words is None:
                raise _fail(path, eid, "[[wevtutil]] labels: " + ", ".join(WEVT_FIELDS))
            for w in words:
                wevt[w.casefold()] = field
    if {"date", "id"} - set(wevt.values()):
        raise _fail(path, "wevtutil", "[[wevtutil]] labels of date and id")
    headers: list[tuple[str, str]] = []
    for e in entries_of(text, path, "viewer_header")[0]:
        _checked(path, "viewer_header", e, ("first", "date"))
        date = (string_list(e["date"], single=True) or ("",))[0].casefold()
        headers += [(f.casefold(), date) for f in string_list(e["first"], single=True) or ()]
    levels: set[str] = set()
    for e in entries_of(text, path, "level")[0]:
        _checked(path, "level", e, ("words",))
        levels |= {w.casefold() for w in string_list(e["words"], single=True) or ()}
    am: list[str] = []
    pm: list[str] = []
    for e in entries_of(text, path, "day_period")[0]:
        _checked(path, "day_period", e, ("am", "pm"))
        am += string_list(e["am"], single=True) or ()
        pm += string_list(e["pm"], single=True) or ()
    return EventLogWords(wevt, tuple(headers), frozenset(levels), tuple(am), tuple(pm))


@functools.cache
def words() -> EventLogWords:
    """The bundled ``catalog/eventlog.toml``, checked."""
    return cached_bundled("eventlog.toml", build)
