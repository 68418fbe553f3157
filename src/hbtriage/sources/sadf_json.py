"""sysstat's JSON export, ``sadf -j`` (any activities: ``-- -A``, ``-u ALL -P ALL``, ``-q``,
``-r``, ``-W``, ``-n DEV``, ``-n EDEV``, ``-n UDP``, ``-n SOFT`` ...), into the counter series
the ``sar`` text reader gives (:mod:`hbtriage.sources.sar`).

Which value gives which counter is data (``catalog/sadf_json.toml``). The host is each host
block's ``nodename``; each record's ``timestamp`` says whether its time is UTC (``"utc": 1``,
sadf's default: ``offset_min = 0``) or local (``-T``/``-t``: ``offset_min`` None, the zone from
``--tz`` or the host's other files, as for a plain ``sar`` report).

sadf writes one record per line group at a fixed indentation: records are read one at a time
(a day at one second of ``-A`` runs to a gigabyte); text laid out otherwise (``jq -c``) is read
whole.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl

from hbtriage.catalog import cached_bundled, entries_of, string_list
from hbtriage.errors import CatalogError, InputError
from hbtriage.findings import MAX_YEAR, MIN_YEAR
from hbtriage.sources.base import COUNTER_SCHEMA, ReadResult, empty_counters
from hbtriage.warning_text import warn

KIND = "sar"
MAX_WARNINGS = 20
OPS = ("sum", "100-")

#: The first thing sadf -j writes (``{"sysstat": {``), spaces allowed after a re-indent.
SNIFF_RE = re.compile(r'^\ufeff?\s*\{\s*"sysstat"\s*:\s*\{')
_HEADER_RE = re.compile(r'^\s*"(nodename|timezone|file-date|file-utc-time)"\s*:\s*"([^"]*)"')
_TOTALS = ("all", "-1")


@dataclass(frozen=True)
class Metric:
    """``[[metric]]`` of ``sadf_json.toml``."""

    id: str
    activity: tuple[tuple[str, ...], ...]  # alternatives, each a key path
    instance: str
    fields: tuple[str, ...]
    op: str
    scale: float
    object: str
    counter: str


def build(text: str, path: str) -> tuple[Metric, ...]:
    """Parse and check ``sadf_json.toml`` (CatalogError naming the entry)."""
    entries, _doc = entries_of(text, path, "metric")
    out: list[Metric] = []
    for e in entries:
        mid = e.get("id")
        activity = string_list(e.get("activity"))
        fields = string_list(e.get("fields"))
        counter = e.get("counter")
        scale = e.get("scale", 1.0)
        ok = (
            isinstance(mid, str)
            and mid
            and activity is not None
            and fields is not None
            and isinstance(counter, str)
            and counter.count("\\") == 1
            and isinstance(e.get("instance", ""), str)
            and e.get("op", "sum") in OPS
            and isinstance(scale, (int, float))
            and isinstance(e.get("reference"), str)
        )
        if not ok:
            raise CatalogError(
                path,
                mid if isinstance(mid, str) else None,
                warn(
                    "catalog_sysstat",
                    what="id, activity and fields (lists), counter (Object\\Counter), "
                    "instance, op (sum, 100-), scale, reference",
                ),
            )
        obj, ctr = str(counter).split("\\")
        out.append(
            Metric(
                id=str(mid),
                activity=tuple(tuple(a.split("/")) for a in activity or ()),
                instance=str(e.get("instance", "")),
                fields=fields or (),
                op=str(e.get("op", "sum")),
                scale=float(scale),
                object=obj,
                counter=ctr,
            )
        )
    return tuple(out)


@functools.cache
def metrics() -> tuple[Metric, ...]:
    """The bundled ``catalog/sadf_json.toml``, checked."""
    return cached_bundled("sadf_json.toml", build)


def sniff(head: str) -> bool:
    return SNIFF_RE.match(head[:256]) is not None


@dataclass
class _Host:
    name: str | None = None
    zone: str | None = None


def _records(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str | _Host, str]]:
    """Per statistics record: (its first line number, the host block it is in, its text). A
    host block's header fields come before its records; the records are the objects of its
    ``"statistics": [`` list, one group of lines each."""
    host = _Host()
    inside = False  # in a statistics list
    depth = 0
    start = 0
    buf: list[str] = []
    for n, line in lines:
        if not inside:
            m = _HEADER_RE.match(line)
            if m is not None:
                if m[1] == "nodename":
                    host = _Host(name=m[2])
                elif m[1] == "timezone":
                    host.zone = m[2]
            elif '"statistics"' in line and line.rstrip().endswith("["):
                inside = True
            continue
        if not buf:
            stripped = line.strip()
            if stripped.startswith("]"):
                inside = False
                continue
            if not stripped.startswith("{"):
                continue
            start = n
        buf.append(line)
        depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
        if depth <= 0:
            text = "".join(buf).strip().rstrip(",")
            buf, depth = [], 0
            yield start, host, text


def _activity(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = record
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _value(item: dict[str, Any], m: Metric) -> float | None:
    total = 0.0
    for f in m.fields:
        v = item.get(f)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return None
        total += float(v)
    if m.op == "100-":
        total = 100.0 - total
    return total * m.scale


class _Rows:
    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {k: [] for k in COUNTER_SCHEMA}

    def add(
        self, host: str, m: Metric, inst: str, ts: dt.datetime, off: int | None, v: float
    ) -> None:
        c = self.cols
        c["host"].append(host)
        c["object"].append(m.object)
        c["instance"].append(inst)
        c["counter"].append(m.counter)
        c["ts_local"].append(ts)
        c["offset_min"].append(off)
        c["value"].append(v)

    def frame(self) -> pl.DataFrame:
        if not self.cols["host"]:
            return empty_counters()
        return pl.DataFrame(self.cols).cast(COUNTER_SCHEMA)  # type: ignore[arg-type]


def _stamp(record: dict[str, Any]) -> tuple[dt.datetime, bool] | None:
    ts = record.get("timestamp")
    if not isinstance(ts, dict):
        return None
    try:
        when = dt.datetime.strptime(f"{ts.get('date')} {ts.get('time')}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    if not MIN_YEAR <= when.year <= MAX_YEAR:  # no time a log's times can be (nor a ns time)
        return None
    return when, ts.get("utc") == 1


def _take(record: dict[str, Any], host: str, rows: _Rows, table: tuple[Metric, ...]) -> bool:
    """The record's values into ``rows``; False when it has no readable time stamp."""
    got = _stamp(record)
    if got is None:
        return False
    when, utc = got
    off = 0 if utc else None
    for m in table:
        node = next((a for a in (_activity(record, p) for p in m.activity) if a is not None), None)
        items = node if isinstance(node, list) else [node] if isinstance(node, dict) else []
        for item in items:
            if not isinstance(item, dict):
                continue
            v = _value(item, m)
            if v is None:
                continue
            inst = str(item.get(m.instance, "")).strip() if m.instance else ""
            rows.add(host, m, "_Total" if inst in _TOTALS else inst, when, off, v)
    return True


def _whole(text: str) -> Iterator[tuple[int, str | _Host, dict[str, Any]]]:
    """The records of a whole document (laid out as sadf does not: ``jq -c`` ...)."""
    doc = json.loads(text)
    for h in doc["sysstat"]["hosts"]:
        host = _Host(name=h.get("nodename"), zone=h.get("timezone"))
        for rec in h.get("statistics", []):
            yield 1, host, rec


def parse_lines(lines: Iterable[tuple[int, str]], display: str) -> ReadResult:
    """``sadf -j`` output given as (line number, line with its end) pairs."""
    table = metrics()
    rows = _Rows()
    warnings: list[str] = []
    bad = 0
    count = 0
    hosts: list[str] = []
    zones: set[bool] = set()
    seen: list[str] = []  # the text, kept only while no record was found (for _whole)
    for n, host, text in _records(_keep(lines, seen)):
        count += 1
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        assert isinstance(host, _Host)
        name = (host.name or "").strip()
        if not isinstance(record, dict) or not name or not _take(record, name, rows, table):
            bad += 1
            if len(warnings) < MAX_WARNINGS:
                warnings.append(
                    warn("at_line", path=display, line=n, reason=warn("sadf_json_record"))
                )
            continue
        if name not in hosts:
            hosts.append(name)
        stamp = _stamp(record)
        zones.add(bool(stamp and stamp[1]))
        seen.clear()
    if count == 0:
        text = "".join(seen)
        try:
            whole = list(_whole(text))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(display, None, warn("expect_sadf_json")) from exc
        for _n, host, record in whole:
            assert isinstance(host, _Host)
            name = (host.name or "").strip()
            if isinstance(record, dict) and name and _take(record, name, rows, table):
                if name not in hosts:
                    hosts.append(name)
                stamp = _stamp(record)
                zones.add(bool(stamp and stamp[1]))
            else:
                bad += 1
    if bad > len(warnings):
        warnings.append(warn("more", count=bad - len(warnings)))
    utc = zones == {True}
    return ReadResult(
        kind=KIND,
        encoding=None,
        host=hosts[0] if len(hosts) == 1 else None,
        host_reason=warn("host_reason_sadf_json") if len(hosts) == 1 else "",
        zone="UTC" if utc else None,
        offset_min=0 if utc else None,
        stream="sar",
        counters=rows.frame(),
        warnings=warnings,
        extra={"format": "sadf -j", "hosts": hosts, "records": count},
    )


def _keep(lines: Iterable[tuple[int, str]], seen: list[str]) -> Iterator[tuple[int, str]]:
    """``lines``, each also kept in ``seen`` (which the caller clears once a record read)."""
    for n, line in lines:
        seen.append(line)
        yield n, line


def parse(text: str, display: str) -> ReadResult:
    """:func:`parse_lines` of a whole text."""
    return parse_lines(enumerate(text.splitlines(keepends=True), start=1), display)


def read(path: str, encoding: str, display: str) -> ReadResult:
    """:func:`parse_lines` of a file, read line by line."""
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    with open(path, encoding=enc, errors="replace", newline="") as fh:
        result = parse_lines(enumerate(fh, start=1), display)
    result.encoding = encoding
    return result
