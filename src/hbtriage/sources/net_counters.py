"""Snapshots of NIC and UDP/TCP error counters, as engineers take them to "rule out NIC errors".

One file may hold one snapshot or several (before and after the loss), of any of:

* Windows ``netstat -s`` (``Receive Errors``, ``Reset Connections``, ``Segments Retransmitted``
  under their section titles; another language is known by its layout and its labels named in
  a warning) and ``netstat -e`` (``Discards`` and ``Errors``, received and sent);
* PowerShell ``Get-NetAdapterStatistics | Format-List`` (``ReceivedDiscardedPackets`` ...,
  per adapter ``Name``, the computer from ``SystemName``);
* Linux ``/proc/net/snmp`` and ``/proc/net/netstat`` (``Udp: InErrors RcvbufErrors`` ...),
  ``nstat -az``, net-tools ``netstat -s`` / ``-su`` / ``-st``, ``ethtool -S <nic>``,
  ``ip -s link`` and ``ip -s -s link``.

Which label gives which catalog counter is data (``catalog/netcounters.toml``). Every value is a
count since boot. A snapshot's time is the nearest time line above it (``date``, ``date -R``,
ISO 8601, seconds since 1970, cmd's ``%date% %time%``, ``Get-Date``); a snapshot with no time
line above it has no time. A snapshot ends where a time line starts the next one, or where a
label it already holds comes again (two outputs pasted one after the other).

What a snapshot can say: a count since boot alone (one snapshot, or snapshots without times)
is no evidence of the incident, only of the server's life: the note says its counts and that.
Snapshots with times are counter samples (cumulative: the timeline takes their differences), so
two that bracket an incident show whether a count rose in between
(:mod:`hbtriage.detect.counter_snapshots`), and a timestamped series is read like perfmon's.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from hbtriage.catalog import cached_bundled, entries_of
from hbtriage.errors import CatalogError, InputError
from hbtriage.findings import MAX_YEAR, MIN_YEAR
from hbtriage.sources import irq_proc
from hbtriage.sources.base import InputFile, ReadResult, empty_counters
from hbtriage.sources.encoding import read_text
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn

KIND = "net_counters"

#: Formats of ``netcounters.toml`` whose labels are plain lists (not per language).
_PLAIN = ("snmp", "netstat_linux", "adapter_stats", "ethtool", "iplink")
_LANG = ("windows_netstat", "windows_ethernet")
FORMAT_NAMES = {
    "snmp": "/proc/net/snmp",
    "nstat": "nstat",
    "netstat_linux": "netstat -s (Linux)",
    "windows_netstat": "netstat -s",
    "windows_ethernet": "netstat -e",
    "adapter_stats": "Get-NetAdapterStatistics",
    "ethtool": "ethtool -S",
    "iplink": "ip -s link",
}

Key = tuple[str, str, str]  # object, instance, counter


@dataclass(frozen=True)
class NetWords:
    """``catalog/netcounters.toml``, indexed: per format, folded label -> its counters."""

    #: format -> folded label -> [(rank, object, counter, column)]
    labels: dict[str, dict[str, list[tuple[int, str, str, int]]]]
    #: Windows netstat -s section title (folded) -> object
    sections: dict[str, str]


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _build(text: str, path: str) -> NetWords:
    labels: dict[str, dict[str, list[tuple[int, str, str, int]]]] = {}
    for doc in entries_of(text, path, "counter")[0]:
        name = doc.get("counter")
        if not isinstance(name, str) or "\\" not in name or not doc.get("reference"):
            raise CatalogError(path, str(name or ""), warn("catalog_snapshot_fields"))
        obj, ctr = name.split("\\", 1)
        for fmt in (*_PLAIN, *_LANG):
            got = doc.get(fmt)
            if got is None:
                continue
            column = 0
            if isinstance(got, dict):
                column = int(got.get("column", 0))
                words = [w for lang, ws in got.items() if lang != "column" for w in ws]
            else:
                words = list(got)
            if not words or not all(isinstance(w, str) and w for w in words):
                raise CatalogError(path, name, warn("catalog_snapshot_words", key=fmt))
            for rank, word in enumerate(words):
                # netstat -s has the same label in several sections: its key names the object
                word = f"{obj}:{word}" if fmt == "windows_netstat" else word
                labels.setdefault(fmt, {}).setdefault(_fold(word), []).append(
                    (rank, obj, ctr, column)
                )
    sections: dict[str, str] = {}
    for doc in entries_of(text, path, "section")[0]:
        for titles in (doc.get("titles") or {}).values():
            for title, obj in titles.items():
                sections[_fold(title)] = str(obj)
    return NetWords(labels, sections)


@functools.cache
def net_words() -> NetWords:
    """The bundled ``catalog/netcounters.toml``, checked."""
    return cached_bundled("netcounters.toml", _build)


# --- sniffing -------------------------------------------------------------------------------

_SNMP_HEADER = re.compile(r"^([A-Z][A-Za-z0-9]*):((?:[ \t]+[A-Za-z][A-Za-z0-9]*)+)[ \t\r]*$")
_SNMP_VALUES = re.compile(r"^([A-Z][A-Za-z0-9]*):((?:[ \t]+-?\d+)+)[ \t\r]*$")
_NSTAT = re.compile(r"^([A-Z][A-Za-z0-9]+)[ \t]+(\d+)[ \t]+[\d.]+[ \t\r]*$")
_LINUX_SECTION = re.compile(r"^(Ip|Icmp|IcmpMsg|Tcp|Udp|UdpLite|TcpExt|IpExt|MPTcpExt):[ \t\r]*$")
_LINUX_ITEM = re.compile(r"^[ \t]+(\d+) ([A-Za-z].*?)[ \t\r]*$")
_WIN_ITEM = re.compile(r"^[ \t]+(\S.*?)[ \t]+=[ \t]+(\d+)[ \t\r]*$")
_WIN_ETH = re.compile(r"^(\S.*?)[ \t]{2,}(\d+)(?:[ \t]+(\d+))?[ \t\r]*$")
_FL = re.compile(r"^([A-Za-z][A-Za-z0-9]*)[ \t]*:[ \t]?(.*?)[ \t\r]*$")
_ETHTOOL_ITEM = re.compile(r"^[ \t]+([A-Za-z0-9_.\[\]-]+):[ \t]+(\d+)[ \t\r]*$")
_ETHTOOL_NIC = re.compile(r"ethtool[ _]+-S[ _]+([A-Za-z0-9_.:@-]+)")
_IP_LINK = re.compile(r"^\d+:[ \t]+([^:@ \t]+)(?:@\S+)?:[ \t]+<")
_IP_HEADER = re.compile(r"^[ \t]+(RX|TX)(?: errors)?:[ \t]+([a-z].*?)[ \t\r]*$")
_NUMBERS = re.compile(r"^[ \t]+(-?\d+(?:[ \t]+-?\d+)*)[ \t\r]*$")

_MARKS = (
    re.compile(r"^Udp: InDatagrams", re.M),
    re.compile(r"^TcpExt: [A-Z]", re.M),
    re.compile(r"^#kernel[ \t\r]*$", re.M),
    re.compile(r"^NIC statistics:[ \t\r]*$", re.M),
    re.compile(r"^[ \t]+RX:[ \t]+bytes[ \t]+packets", re.M),
    re.compile(r"^ReceivedDiscardedPackets[ \t]*:", re.M),
    re.compile(r"^Udp:[ \t\r]*\n[ \t]+\d+ packets received", re.M),
    re.compile(r"^(?:UDP|TCP) Statistics for IPv[46][ \t\r]*$", re.M),
    re.compile(r"^Interface Statistics[ \t\r]*\n", re.M),
)


def sniff(head: str, name: str = "") -> bool:
    """One of the snapshot formats: a mark of one, or Windows netstat -s in any language (at
    least 12 ``label = number`` lines, indented, under titles)."""
    if any(m.search(head) for m in _MARKS):
        return True
    lines = head.splitlines()
    items = sum(1 for ln in lines[:400] if _WIN_ITEM.match(ln))
    return items >= 12 and items * 3 >= sum(1 for ln in lines[:400] if ln.strip())


# --- reading --------------------------------------------------------------------------------

_WIN_DATE = re.compile(  # cmd %date% %time%, Get-Date: 12/06/2026  9:47:00.12, 2026/12/06 9:47:00
    r"^(?:[A-Za-z]+,?[ \t]+)?(?:(\d{1,2})/(\d{1,2})/(\d{4})|(\d{4})/(\d{1,2})/(\d{1,2}))"
    r"[ \t]+(\d{1,2}):(\d{2}):(\d{2})(?:[.,]\d+)?(?:[ \t]+([AP]M))?[ \t\r]*$"
)
_LONG_DATE = re.compile(  # Get-Date en-US: Sunday, December 6, 2026 9:47:00 AM
    r"^[A-Za-z]+,[ \t]+([A-Za-z]+)[ \t]+(\d{1,2}),[ \t]+(\d{4})[ \t]+(\d{1,2}):(\d{2}):(\d{2})"
    r"(?:[ \t]+([AP]M))?[ \t\r]*$"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        1,
    )
}


def parse_time(line: str) -> tuple[dt.datetime, int | None] | None:
    """The time a short line between snapshots writes (local, minutes east of UTC or None);
    None for a year no log's time can have (past 2262 no nanosecond time holds it)."""
    got = _parse_time(line)
    return got if got is None or MIN_YEAR <= got[0].year <= MAX_YEAR else None


def _parse_time(line: str) -> tuple[dt.datetime, int | None] | None:
    text = line.strip()
    if not text or len(text) > 64 or "=" in text:
        return None
    try:
        if m := _WIN_DATE.match(text):
            if m[3]:
                month, day, year = int(m[1]), int(m[2]), int(m[3])
                if month > 12 and day <= 12:  # d/m/yyyy written by an en-GB, fr-FR console
                    month, day = day, month
            else:
                year, month, day = int(m[4]), int(m[5]), int(m[6])
            return dt.datetime(
                year, month, day, irq_proc._hour(m[7], m[10]), int(m[8]), int(m[9])
            ), None
        if m := _LONG_DATE.match(text):
            named = _MONTHS.get(m[1].casefold())
            if named is None:
                return None
            ts = dt.datetime(
                int(m[3]), named, int(m[2]), irq_proc._hour(m[4], m[7]), int(m[5]), int(m[6])
            )
            return ts, None
    except ValueError:
        return None
    if re.search(r"[A-Za-z]{2,}[ \t]*:", text) and not re.search(r"\d:\d\d", text):
        return None
    return irq_proc.parse_time(text)


@dataclass
class Snapshot:
    """One snapshot: its time line (if any), its values, the formats it held."""

    ts: dt.datetime | None
    offset: int | None
    line: int
    values: dict[Key, float] = field(default_factory=dict)
    ranks: dict[Key, int] = field(default_factory=dict)
    raw: set[tuple[str, str, str]] = field(default_factory=set)  # (format, instance, label)
    formats: list[str] = field(default_factory=list)


class _Parser:
    """One pass over the lines: time lines, then each format's lines by their shape."""

    def __init__(self, words: NetWords, name: str) -> None:
        self.words = words
        self.snaps: list[Snapshot] = []
        self.cur = Snapshot(None, None, 1)
        #: titles of a Windows netstat -s language not known -> their labels
        self.unknown: dict[str, list[str]] = {}
        self.title = ""
        self.host: str | None = None
        m = _ETHTOOL_NIC.search(name.replace("-S", " -S"))
        self.file_nic = m[1] if m else ""
        self.pending_ts: tuple[dt.datetime, int | None] | None = None

    def flush(self, line: int) -> None:
        if self.cur.values or self.cur.raw:
            self.snaps.append(self.cur)
        ts, off = self.pending_ts if self.pending_ts else (None, None)
        self.cur = Snapshot(ts, off, line)

    def timed(self, ts: dt.datetime, off: int | None, line: int) -> None:
        self.pending_ts = (ts, off)
        self.flush(line)
        self.cur.ts, self.cur.offset = ts, off

    def _begin(self, fmt: str, instance: str, label: str, line: int) -> None:
        """``label`` of ``fmt`` seen: a label the snapshot already holds starts the next one
        (the same output pasted again, without a time of its own)."""
        raw = (fmt, instance, label.casefold())
        if raw in self.cur.raw:
            self.pending_ts = None
            self.flush(line)
        self.cur.raw.add(raw)
        if fmt not in self.cur.formats:
            self.cur.formats.append(fmt)

    def put(self, fmt: str, instance: str, label: str, value: float, line: int) -> None:
        """``label`` of ``fmt`` read as its catalog counters (per ``column`` for netstat -e)."""
        self._begin(fmt, instance, label, line)
        for rank, obj, ctr, _column in self.words.labels.get(fmt, {}).get(_fold(label), []):
            key = (obj, _instance(instance, fmt), ctr)
            if key not in self.cur.values or rank < self.cur.ranks[key]:
                self.cur.values[key] = value
                self.cur.ranks[key] = rank

    def put_columns(self, fmt: str, label: str, values: list[float], line: int) -> None:
        """A netstat -e row: received in column 1, sent in column 2."""
        self._begin(fmt, "", label, line)
        for _rank, obj, ctr, column in self.words.labels.get(fmt, {}).get(_fold(label), []):
            if 1 <= column <= len(values):
                key = (obj, _instance("", fmt), ctr)
                self.cur.values[key] = values[column - 1]
                self.cur.ranks[key] = 0

    def run(self, lines: list[str]) -> None:
        mode = ""  # the format of the block being read
        section = ""  # Linux netstat section, Windows netstat object, or "?" (unknown title)
        nic = self.file_nic
        header: tuple[str, list[str]] | None = None  # /proc/net/snmp or ip -s link header
        adapter: dict[str, str] = {}
        n = 0

        def end_adapter() -> None:
            if adapter:
                inst = adapter.get("Name") or adapter.get("InterfaceAlias") or ""
                for k, v in adapter.items():
                    if v.isdigit():
                        self.put("adapter_stats", inst, k, float(v), n)
                if adapter.get("SystemName") and self.host is None:
                    self.host = adapter["SystemName"].split(".")[0]
                adapter.clear()

        for n, raw_line in enumerate(lines, 1):
            line = raw_line.rstrip("\r")
            if not line.strip():
                if mode == "adapter_stats":
                    end_adapter()
                header = None if mode != "iplink" else header
                continue
            if header is not None:
                prefix, names = header
                header = None
                if mode == "snmp":
                    m = _SNMP_VALUES.match(line)
                    if m and m[1] == prefix:
                        for nm, v in zip(names, m[2].split(), strict=False):
                            self.put("snmp", "", prefix + nm, float(v), n)
                        continue
                elif mode == "iplink":
                    m = _NUMBERS.match(line)
                    if m:
                        for nm, v in zip(names, m[1].split(), strict=False):
                            self.put("iplink", nic, f"{prefix}:{nm}", float(v), n)
                        continue
            got = parse_time(line)
            if got is not None:
                end_adapter()
                self.timed(got[0], got[1], n)
                mode, section = "", ""
                continue
            if m := _SNMP_HEADER.match(line):
                mode, header = "snmp", (m[1], m[2].split())
                continue
            if line.startswith("#kernel"):
                mode = "nstat"
                continue
            if mode == "nstat" and (m := _NSTAT.match(line)):
                self.put("snmp", "", m[1], float(m[2]), n)
                continue
            if line.startswith("NIC statistics:"):
                mode = "ethtool"
                prev = lines[n - 2] if n >= 2 else ""
                if pm := _ETHTOOL_NIC.search(prev):
                    nic = pm[1]
                continue
            if mode == "ethtool" and (m := _ETHTOOL_ITEM.match(line)):
                self.put("ethtool", nic, m[1], float(m[2]), n)
                continue
            if pm := _ETHTOOL_NIC.search(line):
                nic = pm[1]
                continue
            if m := _IP_LINK.match(line):
                mode, nic = "iplink", m[1]
                continue
            if mode == "iplink" and (m := _IP_HEADER.match(line)):
                header = (m[1], m[2].split())
                continue
            if m := _LINUX_SECTION.match(line):
                mode, section = "netstat_linux", m[1]
                continue
            if mode == "netstat_linux" and (m := _LINUX_ITEM.match(line)):
                self.put("netstat_linux", "", f"{section}:{m[2]}", float(m[1]), n)
                continue
            if line.strip() == "Interface Statistics":
                mode = "windows_ethernet"
                continue
            if mode == "windows_ethernet" and (m := _WIN_ETH.match(line)):
                vals = [float(m[2])] + ([float(m[3])] if m[3] else [])
                self.put_columns("windows_ethernet", m[1].strip(), vals, n)
                continue
            if (m := _FL.match(line)) and (mode == "adapter_stats" or m[1] in _ADAPTER_START):
                mode = "adapter_stats"
                if m[1] in adapter and m[1] in _ADAPTER_START:
                    end_adapter()
                adapter[m[1]] = m[2]
                continue
            if m := _WIN_ITEM.match(line):
                if section == "?":
                    seen = self.unknown.setdefault(self.title, [])
                    if m[1] not in seen:
                        seen.append(m[1])
                    self.cur.raw.add(("windows_netstat", "", m[1].casefold()))
                elif section:
                    self.put("windows_netstat", "", f"{section}:{m[1]}", float(m[2]), n)
                continue
            if not line[:1].isspace() and mode in ("", "windows_netstat"):
                title = _fold(line)
                obj = self.words.sections.get(title)
                mode = "windows_netstat"
                section = obj if obj is not None else ("?" if _looks_title(line) else "")
                self.title = line.strip()
                continue
        end_adapter()
        self.flush(len(lines) + 1)


def _instance(nic: str, fmt: str) -> str:
    """The series' instance: the adapter (if any) and the command, ``eth0 (ethtool -S)``,
    ``netstat -s``. A snapshot's counts are a series of their own, never set among perfmon's
    samples of the same counter (or another command's): they count from other starts."""
    what = FORMAT_NAMES.get(fmt, fmt)
    return f"{nic} ({what})" if nic else what


#: Property names that start a Get-NetAdapterStatistics Format-List block.
_ADAPTER_START = frozenset(
    {"ifAlias", "Name", "ReceivedDiscardedPackets", "ReceivedBytes", "InterfaceAlias"}
)


def _looks_title(line: str) -> bool:
    """A netstat -s section title of a language the catalog lacks: a line of words, no colon
    or equals sign, naming a protocol (TCP, UDP, IPv4, ICMP ...)."""
    return bool(re.search(r"(?i)\b(tcp|udp|ipv[46]|icmpv?[46]?)\b", line)) and "=" not in line


def _counters(snaps: list[Snapshot], host: str) -> pl.DataFrame:
    rows: dict[str, list[Any]] = {k: [] for k in ("object", "instance", "counter", "ts", "off")}
    vals: list[float] = []
    for s in snaps:
        if s.ts is None:
            continue
        for (obj, inst, ctr), v in s.values.items():
            rows["object"].append(obj)
            rows["instance"].append(inst)
            rows["counter"].append(ctr)
            rows["ts"].append(s.ts)
            rows["off"].append(s.offset)
            vals.append(v)
    if not vals:
        return empty_counters()
    return pl.DataFrame(
        {
            "host": pl.Series([host] * len(vals), dtype=pl.Categorical),
            "object": pl.Series(rows["object"], dtype=pl.Categorical),
            "instance": pl.Series(rows["instance"], dtype=pl.Categorical),
            "counter": pl.Series(rows["counter"], dtype=pl.Categorical),
            "ts_local": pl.Series(rows["ts"], dtype=pl.Datetime("ns")),
            "offset_min": pl.Series(rows["off"], dtype=pl.Int32),
            "value": pl.Series(vals, dtype=pl.Float64),
        }
    )


def _count(v: float) -> str:
    return f"{v:,.0f}"


def _path(key: Key) -> str:
    obj, inst, ctr = key
    return f"{obj}({inst})\\{ctr}" if inst else f"{obj}\\{ctr}"


def _note(snaps: list[Snapshot]) -> tuple[str, list[str]]:
    """The input's note (what the snapshots say, in the words a single one allows) and its
    warnings."""
    formats = list(dict.fromkeys(FORMAT_NAMES.get(f, f) for s in snaps for f in s.formats))
    what = ", ".join(formats) or "error counters"
    timed = [s for s in snaps if s.ts is not None]
    if len(timed) >= 2:
        first, last = timed[0], timed[-1]
        rises = []
        for key in sorted({k for s in timed for k in s.values}):
            seq = [s.values[key] for s in timed if key in s.values]
            if len(seq) >= 2 and seq[-1] > seq[0]:
                rises.append(f"{_path(key)} +{_count(seq[-1] - seq[0])}")
        assert first.ts is not None and last.ts is not None
        span = f"{first.ts:%Y-%m-%d %H:%M:%S} → {last.ts:%Y-%m-%d %H:%M:%S}"
        said = "; ".join(rises) if rises else "no error count rose"
        return warn("net_snapshots_series", what=what, count=len(timed), span=span, rises=said), []
    shown = snaps[-1] if snaps else None
    counts = (
        "; ".join(f"{_path(k)} {_count(v)}" for k, v in sorted(shown.values.items()) if v)
        if shown
        else ""
    )
    when = (
        f"{shown.ts:%Y-%m-%d %H:%M:%S}" if shown is not None and shown.ts is not None else "no time"
    )
    note = warn(
        "net_snapshot_single",
        what=what,
        count=len(snaps),
        when=when,
        counts=counts or "every error count 0",
    )
    return note, []


class NetCountersReader:
    """Reads the error-counter snapshots listed in the module docstring."""

    kind = KIND

    def sniff(self, head: str, name: str) -> bool:
        return sniff(head, name)

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        text, enc = read_text(item.path, text_encoding or None)
        lines = text.lstrip("\ufeff").splitlines()
        parser = _Parser(net_words(), os.path.basename(item.display))
        parser.run(lines)
        snaps = parser.snaps
        if not snaps:
            raise InputError(item.display, None, warn("expect_net_counters"))
        warnings: list[str] = []
        if parser.unknown:
            shown = "; ".join(
                f"{title}: {', '.join(labels[:4])}"
                for title, labels in list(parser.unknown.items())[:6]
            )
            warnings.append(
                warn(
                    "at_file",
                    path=item.display,
                    reason=warn("net_netstat_language", labels=shown),
                )
            )
        note, more = _note(snaps)
        warnings += more
        offsets = {s.offset for s in snaps if s.ts is not None and s.offset is not None}
        offset = offsets.pop() if len(offsets) == 1 else None
        return ReadResult(
            kind=KIND,
            encoding=enc,
            host=parser.host,
            host_reason=warn("host_reason_adapter_stats") if parser.host else "",
            zone="UTC" if offset == 0 else None,
            offset_min=offset,
            stream="net_counters",
            counters=_counters(snaps, parser.host or ""),
            warnings=warnings,
            note=note,
            extra={
                "snapshots": len(snaps),
                "timed": sum(1 for s in snaps if s.ts is not None),
                "formats": sorted({f for s in snaps for f in s.formats}),
            },
        )


READER = NetCountersReader()
