"""PowerShell ``Get-Counter`` output as printed: the default table and ``| Format-List``, in
any culture's date and any Windows language's counter names (``catalog/get_counter.toml``),
into the counter series a perfmon CSV gives (:mod:`hbtriage.sources.perfmon_csv`).

``\\\\pg3b\\processor(_total)\\dpc rate :`` then its value on the next line: PowerShell writes
the paths in lowercase; the computer name is read in capitals as Windows names the computer
and ``_total`` as ``_Total`` (as an ``Export-Counter`` CSV's). Localized names (German
``prozessor(_total)\\dpc-rate``) are matched as a perfmon header's are. The times are the
session's local time, no zone written: ``offset_min`` None (``--tz`` or the host's other files).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from hbtriage import counter_names
from hbtriage.catalog import cached_bundled, entries_of
from hbtriage.errors import CatalogError, InputError
from hbtriage.findings import MAX_YEAR, MIN_YEAR
from hbtriage.sources.base import COUNTER_SCHEMA, InputFile, ReadResult, empty_counters
from hbtriage.sources.encoding import read_text
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.sources.perfmon_csv import _unknown_counters, split_counter_path
from hbtriage.warning_text import warn

KIND = "get_counter"
MAX_WARNINGS = 20

#: ``<lead>\\\\host\\object(instance)\\counter :`` (the lead: a time stamp, a label or spaces).
_PATH_LINE_RE = re.compile(r"^(?P<lead>.*?)(?P<path>\\\\[^\\\s]+\\[^\n]+\\[^\\\n]+?) :\s*$")
_VALUE_RE = re.compile(r"^\s+(?P<v>-?\d+(?:[.,]\d+)?(?:[Ee][+-]?\d+)?)\s*$")
_TOTAL_RE = re.compile(r"(^|,)_total$")


@dataclass(frozen=True)
class Words:
    """``get_counter.toml``: the view's titles and property names, the Timestamp layouts."""

    table: tuple[str, ...]
    timestamp: str
    readings: str
    samples: str
    dates: tuple[tuple[str, str], ...]  # (id, strptime layout)


def build(text: str, path: str) -> Words:
    """Parse and check ``get_counter.toml`` (CatalogError naming the entry)."""
    entries, doc = entries_of(text, path, "date")
    dates: list[tuple[str, str]] = []
    for e in entries:
        fields = [e.get(k) for k in ("id", "layout", "cultures", "reference")]
        if not all(isinstance(f, str) and f for f in fields):
            did = e.get("id")
            raise CatalogError(
                path,
                did if isinstance(did, str) else None,
                warn("catalog_sysstat", what="id, layout, cultures, reference"),
            )
        dates.append((str(e["id"]), str(e["layout"])))
    labels = doc.get("labels")
    keys = ("timestamp", "readings", "samples")
    table = labels.get("table") if isinstance(labels, dict) else None
    if (
        not isinstance(labels, dict)
        or not all(isinstance(labels.get(k), str) and labels.get(k) for k in keys)
        or not isinstance(table, list)
        or not table
        or not all(isinstance(t, str) and t for t in table)
    ):
        raise CatalogError(
            path, "labels", warn("catalog_sysstat", what="table, timestamp, readings, samples")
        )
    return Words(
        tuple(table), labels["timestamp"], labels["readings"], labels["samples"], tuple(dates)
    )


@functools.cache
def words() -> Words:
    """The bundled ``catalog/get_counter.toml``, checked."""
    return cached_bundled("get_counter.toml", build)


@functools.cache
def _label_re() -> re.Pattern[str]:
    w = words()
    names = "|".join(re.escape(n) for n in (w.timestamp, w.readings, w.samples))
    return re.compile(rf"^(?P<label>{names})\s*:\s?(?P<rest>.*)$")


@functools.cache
def _table_re() -> re.Pattern[str]:
    return re.compile(r"^\s*" + r"\s+".join(re.escape(t) for t in words().table) + r"\s*$", re.M)


def sniff(head: str) -> bool:
    """A Get-Counter table's column titles, or a Readings property, before a counter path
    line (``\\\\host\\...\\counter :``)."""
    head = head.lstrip("\ufeff")
    paths = [m for m in map(_PATH_LINE_RE.match, head.splitlines()[:400]) if m is not None]
    if not paths:
        return False
    if _table_re().search(head) is not None:
        return True
    return any(
        (lab := _label_re().match(m["lead"].strip() + " : ")) is not None
        and lab["label"] == words().readings
        for m in paths
    )


def _time(text: str, layout: str) -> dt.datetime | None:
    try:
        when = dt.datetime.strptime(" ".join(text.split()), layout)
    except ValueError:
        return None
    # A year no log's time can have (nor a nanosecond time: past 2262) is no time stamp.
    return when if MIN_YEAR <= when.year <= MAX_YEAR else None


@dataclass
class _Sample:
    line: int
    stamp: str  # the Timestamp as written
    path: str
    value: float


def _samples(text: str) -> tuple[list[_Sample], list[tuple[int, str]]]:
    """Every (Timestamp text, path, value) of the text, and the lines that looked like a
    counter path but gave no value (line number, path)."""
    label_re = _label_re()
    w = words()
    lines = text.splitlines()
    listed = any(
        (m := _PATH_LINE_RE.match(ln)) is not None
        and (lab := label_re.match(m["lead"].strip() + " : ")) is not None
        and lab["label"] == w.readings
        for ln in lines
    )
    out: list[_Sample] = []
    lost: list[tuple[int, str]] = []
    stamp: str | None = None  # the set's Timestamp
    # list view: one record per set, its Readings before or after its Timestamp
    pending: list[tuple[int, str, float]] = []
    has_stamp = has_readings = False
    path: tuple[int, str] | None = None  # a path line waiting for its value line

    def flush() -> None:
        nonlocal pending, has_stamp, has_readings
        if stamp is not None:
            out.extend(_Sample(n, stamp, p, v) for n, p, v in pending)
        pending, has_stamp, has_readings = [], False, False

    for n, line in enumerate(lines, start=1):
        if path is not None:
            m = _VALUE_RE.match(line)
            if m is not None:
                pending.append((path[0], path[1], float(m["v"].replace(",", "."))))
                if not listed and stamp is not None:
                    flush()
                path = None
                continue
            if line.strip():
                lost.append(path)
                path = None
        lab = label_re.match(line) if listed else None
        if lab is not None and lab["label"] == w.timestamp:
            if has_stamp:
                flush()
            stamp, has_stamp = lab["rest"].strip(), True
            continue
        if lab is not None and lab["label"] == w.samples:
            if has_stamp and has_readings:
                flush()
            continue
        m = _PATH_LINE_RE.match(line)
        if m is None:
            continue
        lead = m["lead"].strip()
        if listed and lead:
            if has_readings:
                flush()
            has_readings = True
        elif lead:
            stamp = lead  # table view: the set's Timestamp in the first column
        path = (n, m["path"])
    if path is not None:
        lost.append(path)
    flush()
    return out, lost


def parse_text(text: str, display: str) -> ReadResult:
    """Get-Counter's printed output (table or list view) -> counter rows (local times)."""
    text = text.lstrip("\ufeff")
    samples, lost = _samples(text)
    if not samples:
        raise InputError(display, None, warn("expect_get_counter"))
    stamps = list(dict.fromkeys(s.stamp for s in samples))
    layout = next(
        (
            (lid, lay)
            for lid, lay in words().dates
            if all(_time(s, lay) is not None for s in stamps)
        ),
        None,
    )
    if layout is None:
        shown = ", ".join(lid for lid, _ in words().dates)
        raise InputError(
            display, samples[0].line, warn("expect_get_counter_time", layouts=shown, got=stamps[0])
        )
    index = counter_names.default_index()
    cols: dict[str, list[Any]] = {k: [] for k in COUNTER_SCHEMA}
    unknown: list[str] = []
    hosts: list[str] = []
    when = {s: _time(s, layout[1]) for s in stamps}
    for s in samples:
        parts = split_counter_path(s.path)
        if parts is None:
            continue
        host, obj, inst, ctr = parts
        hit = index.canonical(obj, ctr)
        if hit is None:
            unknown.append(obj)
            continue
        host = host.upper()
        if host not in hosts:
            hosts.append(host)
        cols["host"].append(host)
        cols["object"].append(hit[0])
        cols["instance"].append(_TOTAL_RE.sub(r"\1_Total", inst))
        cols["counter"].append(hit[1])
        cols["ts_local"].append(when[s.stamp])
        cols["offset_min"].append(None)
        cols["value"].append(s.value)
    counters = pl.DataFrame(cols).cast(COUNTER_SCHEMA) if cols["host"] else empty_counters()  # type: ignore[arg-type]
    kept = counters.select("object", "counter").unique().height if counters.height else 0
    warnings = _unknown_counters(display, unknown, kept)
    for n, p in lost[:MAX_WARNINGS]:
        warnings.append(
            warn("at_line", path=display, line=n, reason=warn("get_counter_no_value", path=p))
        )
    return ReadResult(
        kind=KIND,
        encoding=None,
        host=hosts[0] if len(hosts) == 1 else None,
        host_reason=warn("host_reason_get_counter") if len(hosts) == 1 else "",
        zone=None,
        offset_min=None,
        stream="get_counter",
        counters=counters,
        warnings=warnings,
        extra={"format": "Get-Counter", "date_layout": layout[0], "hosts": hosts},
    )


class GetCounterReader:
    """Reads PowerShell ``Get-Counter`` printed output (table or ``Format-List``)."""

    kind = KIND

    def sniff(self, head: str, name: str) -> bool:
        return sniff(head)

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        text, enc = read_text(item.path, text_encoding or None)
        result = parse_text(text, item.display)
        result.encoding = enc
        return result


READER = GetCounterReader()
