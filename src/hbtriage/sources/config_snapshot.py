"""Configuration snapshots: the command outputs a support engineer collects from a Windows server.

One file may hold any mix of these, concatenated by a snapshot script:

* ``netsh int tcp show global`` (labels of the languages in ``catalog/snapshots.toml``; another
  language is still known by its shape, and its labels named in a warning): RSS and Chimney state;
* ``systeminfo`` (list or ``/fo csv``, any UI language and code page: :mod:`.systeminfo`): host
  name, OS, version, build, service pack, architecture, dates, hotfixes, network cards;
* ``Get-HotFix`` / ``wmic qfe`` (table, list, CSV): the complete hotfix list and the computer;
* ndis.sys file version: PowerShell ``VersionInfo`` table or list, ``wmic datafile``, ``filever``;
* ``Get-NetAdapterRss`` (Format-List): RSS per adapter;
* ``Get-NetAdapterAdvancedProperty`` (table): RSS and offload properties per adapter;
* ``reg query ...\\Tcpip\\Parameters`` (Windows Server 2003 keeps RSS/Chimney in the registry).

The reader emits :class:`ConfigFact` rows only; :mod:`hbtriage.detect.config_checks` judges them.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from hbtriage.catalog import cached_bundled, entries_of, string_list
from hbtriage.errors import CatalogError, InputError
from hbtriage.sources import systeminfo as SI
from hbtriage.sources.base import ConfigFact, InputFile, ReadResult
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import Joined, warn

KIND = "config_snapshot"

_VERSION = r"\d+\.\d+\.\d+\.\d+"

#: The rule of dashes under netsh's title, and a "label : value" line with one of its values
#: (netsh writes its values in English whatever the UI language): netsh int tcp show global is
#: known by this shape in any language, its labels by ``catalog/snapshots.toml``.
_NETSH_RULE = re.compile(r"^-{30,}[ \t\r]*$", re.M)
_NETSH_VALUE = re.compile(
    r"^[ \t]*\S[^:\n]{0,80}?[ \t]*:[ \t]*(?:enabled|disabled|automatic|default|normal|none"
    r"|allowed|off|on|restricted|highlyrestricted|experimental|ctcp|dctcp|cubic|\d+)[ \t\r]*$",
    re.M | re.I,
)


@dataclass(frozen=True)
class NetshLanguage:
    """``[[netsh]]`` of ``snapshots.toml``: netsh's words in one UI language."""

    id: str
    code_page: str
    titles: tuple[str, ...]
    rss: tuple[str, ...]
    chimney: tuple[str, ...]


@dataclass(frozen=True)
class SnapshotWords:
    """``catalog/snapshots.toml``: the netsh languages and the hotfix lists' property names."""

    netsh: tuple[NetshLanguage, ...]
    hotfix_marks: tuple[str, ...]
    hotfix_id_fields: tuple[str, ...]
    hotfix_host_fields: tuple[str, ...]

    def netsh_key(self, label: str) -> str | None:
        """``rss`` or ``chimney`` for a netsh label of a known language, else None."""
        low = label.casefold()
        for lang in self.netsh:
            if any(w.casefold() in low for w in lang.rss):
                return "rss"
            if any(w.casefold() in low for w in lang.chimney):
                return "chimney"
        return None

    def netsh_title(self, line: str) -> bool:
        low = line.strip().casefold()
        return any(low == t.casefold() for lang in self.netsh for t in lang.titles)


def _words_of(doc: dict[str, object], key: str, path: str, entry: str) -> tuple[str, ...]:
    words = string_list(doc.get(key))
    if words is None:
        raise CatalogError(path, entry, warn("catalog_snapshot_words", key=key))
    return words


def _build_words(text: str, path: str) -> SnapshotWords:
    netsh: list[NetshLanguage] = []
    for doc in entries_of(text, path, "netsh")[0]:
        lid = str(doc.get("id") or "")
        cp = doc.get("code_page")
        if not lid or not isinstance(cp, str) or not isinstance(doc.get("reference"), str):
            raise CatalogError(path, lid or None, warn("catalog_snapshot_fields"))
        SI.check_codec(cp, path, lid)
        netsh.append(
            NetshLanguage(
                lid,
                cp,
                _words_of(doc, "titles", path, lid),
                _words_of(doc, "rss", path, lid),
                _words_of(doc, "chimney", path, lid),
            )
        )
    marks: list[str] = []
    ids: list[str] = []
    hosts: list[str] = []
    for doc in entries_of(text, path, "hotfix_list")[0]:
        lid = str(doc.get("id") or "")
        if not lid or not isinstance(doc.get("id_field"), str) or not doc.get("reference"):
            raise CatalogError(path, lid or None, warn("catalog_snapshot_fields"))
        marks += _words_of(doc, "marks", path, lid)
        ids.append(str(doc["id_field"]))
        hosts += _words_of(doc, "host_fields", path, lid)
    return SnapshotWords(
        tuple(netsh),
        tuple(dict.fromkeys(marks)),
        tuple(dict.fromkeys(ids)),
        tuple(dict.fromkeys(hosts)),
    )


@functools.cache
def snapshot_words() -> SnapshotWords:
    """The bundled ``catalog/snapshots.toml``, checked (CatalogError naming the entry)."""
    return cached_bundled("snapshots.toml", _build_words)


def _netsh_shaped(text: str) -> bool:
    """netsh int tcp show global in any language: a title naming TCP just above a rule of
    dashes, then at least three "label : value" lines with netsh's values."""
    for m in _NETSH_RULE.finditer(text[:65536]):
        above = text[max(0, m.start() - 200) : m.start()].splitlines()[-2:]
        if not any("TCP" in line or snapshot_words().netsh_title(line) for line in above):
            continue
        below = text[m.end() : m.end() + 4000]
        if len(_NETSH_VALUE.findall(below)) >= 3:
            return True
    return False


def _netsh_labelled(text: str) -> bool:
    """Some line holds a netsh label of a known language (RSS or Chimney) and a value."""
    words = snapshot_words()
    for m in _NETSH_VALUE.finditer(text[:65536]):
        label = m.group(0).split(":", 1)[0]
        if words.netsh_key(label) is not None:
            return True
    return False


_NDIS_SAME_LINE = re.compile(
    rf"(?i)^(?:.*?\s)?(?P<v>{_VERSION})\S*(?:\s.*)?\s(?:[A-Za-z]:\\\S*\\)?ndis\.sys\s*$"
    rf"|^\s*[A-Za-z]:\\+\S*ndis\.sys\s+(?P<w>{_VERSION})\s*$"
)
_NDIS_LIST_FILE = re.compile(r"(?i)^\s*(?:VersionInfo\s*:\s*)?File(?:Name)?\s*:\s*(\S.*?)\s*$")
_NDIS_LIST_VERSION = re.compile(
    rf"(?i)^\s*(?P<which>File|Product)Version\s*:\s*(?P<ver>{_VERSION})"
)
_NDIS_WMIC_CMD = re.compile(r"(?i)wmic\s+datafile\s+where.*ndis\.sys")

_RSS_BLOCK_KEYS = ("numberofreceivequeues", "rssprocessorarray", "baseprocessor", "maxprocessors")
_ADV_HEADER = re.compile(
    r"^[ \t]*Name\s+DisplayName\s+DisplayValue(\s+RegistryKeyword)?(\s+RegistryValue)?\s*$", re.M
)
_REG_MARK = re.compile(
    r"(?i)^\s*(EnableRSS|EnableTCPChimney|DisableTaskOffload)\s+REG_DWORD\s+0x[0-9a-f]+", re.M
)
_OFFLOAD_NAME = re.compile(r"(?i)offload|large send|\blso\b|checksum|segment coalescing|\brsc\b")
_OFFLOAD_KEYWORD = re.compile(
    r"(?i)^\*?(lso|tcpchecksum|udpchecksum|ipchecksum|tcpudpchecksum|tcpconnectionoffload|rsc|pmarp|pmns)"
)


def _state(raw: str) -> str:
    """Normalise a state word of any of the tools to enabled / disabled / automatic / raw."""
    v = raw.strip().strip(".").lower()
    if v in {"enabled", "true", "1", "on", "aktiviert", "有効", "activé", "habilitado"}:
        return "enabled"
    if v in {"disabled", "false", "0", "off", "deaktiviert", "無効", "désactivé", "deshabilitado"}:
        return "disabled"
    if v in {"automatic", "automatisch", "自動", "automatique", "automático"}:
        return "automatic"
    if "disabled" in v or v.startswith("deaktiv"):
        return "disabled"
    if "enabled" in v or v.startswith("aktiv"):
        return "enabled"
    return v


def _lines(text: str) -> pl.Series:
    return pl.Series("line", text.splitlines(), dtype=pl.Utf8)


def _netsh(lines: pl.Series) -> tuple[list[ConfigFact], list[str]]:
    """The RSS and Chimney facts of netsh int tcp show global, and the labels of the lines
    with netsh's values when none of them is a label the catalog knows."""
    kv = lines.str.extract_groups(r"^\s*([^:]{3,80}?)\s*:\s*(\S.*?)\s*$").struct.unnest()
    kv.columns = ["label", "value"]
    kv = kv.with_columns(lines.alias("raw")).drop_nulls("label")
    words = snapshot_words()
    out: list[ConfigFact] = []
    seen: list[str] = []
    for label, value, raw in zip(kv["label"], kv["value"], kv["raw"], strict=True):
        key = words.netsh_key(label)
        if key is not None:
            detail = f"netsh int tcp show global: {label.strip()} = {value}"
            out.append(ConfigFact(key, _state(value), detail))
        elif _NETSH_VALUE.match(raw):
            seen.append(label.strip())
    return out, ([] if out else seen)


def _netsh_decode(data: bytes, text: str, enc: str) -> tuple[str, str]:
    """``(text, enc)``, or the netsh output decoded in the OEM code page of a catalog language
    under which its labels are known (a Chinese netsh redirected from cmd is cp936: read as
    cp1252 it shows no label). Text from a BOM, UTF-16 or UTF-8 is kept."""
    if enc.lower().startswith(("utf-", "utf_")) or _netsh_labelled(text):
        return text, enc
    for lang in snapshot_words().netsh:
        try:
            other = data.decode(lang.code_page)
        except UnicodeDecodeError:
            continue
        if _netsh_labelled(other):
            return other, lang.code_page
    return text, enc


def _arch(system_type: str) -> str | None:
    low = system_type.lower()
    if "itanium" in low or "ia64" in low or "ia-64" in low:
        return "ia64"
    if "x64" in low or "amd64" in low:
        return "x64"
    if "x86" in low:
        return "x86"
    return None


def _sysinfo_facts(info: SI.SystemInfo) -> list[ConfigFact]:
    """The facts of one systeminfo output. Keys the configuration checks read (host, os,
    os_version, service_pack, arch, hotfix, time_zone, address) keep their meaning; the
    others say what else it states (build, dates, the hotfix count, network cards)."""

    def said(fld: str, value: str) -> str:
        label = info.labels_found.get(fld)
        shown = (
            SI.TITLES[fld]
            if label is None or label == SI.TITLES[fld]
            else (f"{SI.TITLES[fld]} ({label})")
        )
        how = " (found by its place)" if fld in info.by_place else ""
        return f"systeminfo {shown}{how}: {value}"

    out: list[ConfigFact] = []
    if info.host:
        out.append(ConfigFact("host", info.host, warn("host_reason_systeminfo")))
    if info.os_name:
        out.append(ConfigFact("os", info.os_name, said("os_name", info.os_name)))
    raw = info.os_version_raw or ""
    if info.version:
        out.append(ConfigFact("os_version", info.version, said("os_version", raw)))
        out.append(ConfigFact("os_build", str(info.build), said("os_version", raw)))
    if info.service_pack is not None:
        out.append(ConfigFact("service_pack", str(info.service_pack), said("os_version", raw)))
    if info.system_type and (arch := _arch(info.system_type)):
        out.append(ConfigFact("arch", arch, said("system_type", info.system_type)))
    if info.time_zone:
        out.append(ConfigFact("time_zone", info.time_zone, said("time_zone", info.time_zone)))
    if info.system_locale:
        out.append(ConfigFact("system_locale", info.system_locale, "systeminfo System Locale"))
    note = f" ({info.date_note})" if info.date_note else ""
    for key, fld, when, text in (
        ("install_date", "install_date", info.install_date, info.install_raw),
        ("boot_time", "boot_time", info.boot_time, info.boot_raw),
    ):
        if when is not None and text:
            out.append(ConfigFact(key, when.isoformat(), said(fld, text) + note))
    if info.uptime_s is not None and info.uptime_raw:
        out.append(ConfigFact("uptime_s", str(info.uptime_s), said("uptime", info.uptime_raw)))
    for kb in info.hotfixes:
        out.append(ConfigFact("hotfix", kb, "systeminfo Hotfix(s)"))
    if info.hotfixes_declared is not None or info.hotfix_items:
        complete = info.hotfixes_complete
        state = "complete" if complete else "unknown" if complete is None else "incomplete"
        out.append(
            ConfigFact(
                "hotfix_list",
                state,
                f"systeminfo Hotfix(s): {info.hotfix_items} item(s) listed, "
                f"{info.hotfixes_declared if info.hotfixes_declared is not None else 'no'} "
                f"counted, {len(info.hotfixes)} KB number(s)"
                + ("; the list is cut short" if info.hotfix_list_cut else ""),
            )
        )
    for card in info.network_cards:
        where = f"connection {card.connection}; " if card.connection else ""
        addrs = ", ".join(card.addresses) or "no address"
        out.append(ConfigFact("nic", card.name, f"systeminfo Network Card(s): {where}{addrs}"))
    if info.host:  # an address names the host only when the host name is known
        out += [ConfigFact("address", a, "systeminfo network card address") for a in info.addresses]
    if info.language:
        out.append(ConfigFact("systeminfo_language", info.language, "labels of the catalog"))
    return out


def _ndis(lines: pl.Series, name: str) -> list[ConfigFact]:
    out: list[ConfigFact] = []
    df = pl.DataFrame({"raw": lines}).with_row_index("i")
    same = df.with_columns(
        pl.col("raw").str.extract_groups(_NDIS_SAME_LINE.pattern).alias("g")
    ).unnest("g")
    same = same.with_columns(pl.coalesce("v", "w").alias("ver")).drop_nulls("ver")
    for ver, raw in zip(same["ver"], same["raw"], strict=True):
        out.append(ConfigFact("ndis_version", ver, f"ndis.sys file version: {raw.strip()[:120]}"))
    # Format-List: "File: ...\ndis.sys" then "FileVersion: 5.2.3790.3959 (...)" lines below it.
    lst = df.with_columns(
        pl.col("raw").str.extract(_NDIS_LIST_FILE.pattern, 1).alias("file"),
        pl.col("raw").str.extract_groups(_NDIS_LIST_VERSION.pattern).alias("g"),
        pl.col("raw").str.contains(r"^\s*$").cum_sum().alias("block"),
    ).unnest("g")
    lst = lst.with_columns(pl.col("file").forward_fill().over("block").alias("file_ff"))
    hits = lst.filter(
        pl.col("ver").is_not_null() & pl.col("file_ff").str.contains(r"(?i)ndis\.sys")
    )
    # FileVersion is the file's own version; prefer it over ProductVersion within a block.
    hits = hits.sort(["block", "which"]).unique("block", keep="first", maintain_order=True)
    out.extend(
        ConfigFact("ndis_version", v, f"ndis.sys {w}Version (list form)")
        for v, w in zip(hits["ver"], hits["which"], strict=True)
    )
    # wmic datafile ... get Version: a bare "Version" header then the number, no file name.
    wmic = df.with_columns(
        pl.col("raw").str.contains(r"^\s*Version\s*$").alias("hdr"),
        pl.col("raw").str.extract(rf"^\s*({_VERSION})\s*$", 1).alias("ver"),
        pl.col("raw").str.contains(_NDIS_WMIC_CMD.pattern).alias("cmd"),
    ).with_columns(pl.col("hdr").shift(1).fill_null(False).alias("after_hdr"))
    context_ndis = bool(wmic["cmd"].any()) or "ndis" in name.lower()
    if context_ndis:
        bare = wmic.filter(pl.col("after_hdr") & pl.col("ver").is_not_null())
        out.extend(
            ConfigFact("ndis_version", v, "wmic datafile ndis.sys get Version") for v in bare["ver"]
        )
    return out


def _rss_blocks(lines: pl.Series) -> list[ConfigFact]:
    df = pl.DataFrame({"raw": lines}).with_columns(
        pl.col("raw").str.contains(r"^\s*$").cum_sum().alias("block"),
        pl.col("raw")
        .str.extract(r"^\s*([A-Za-z][\w \[\]:/]*?)\s*:\s", 1)
        .str.to_lowercase()
        .alias("key"),
        pl.col("raw").str.extract(r"^\s*[A-Za-z][\w \[\]:/]*?\s*:\s*(.*?)\s*$", 1).alias("value"),
    )
    df = df.filter(pl.col("key").is_not_null())
    rss_blocks = df.filter(pl.col("key").is_in(list(_RSS_BLOCK_KEYS)))["block"].unique()
    df = df.filter(pl.col("block").is_in(rss_blocks.implode()))
    out: list[ConfigFact] = []
    for _, grp in df.group_by("block", maintain_order=True):
        vals = dict(zip(grp["key"], grp["value"], strict=False))
        if "enabled" not in vals:
            continue
        adapter = vals.get("name") or "?"
        desc = vals.get("interfacedescription")
        where = f"Get-NetAdapterRss adapter {adapter}" + (f" ({desc})" if desc else "")
        out.append(ConfigFact("rss", _state(vals["enabled"] or ""), where))
    return out


def _advanced(text: str, lines: pl.Series) -> list[ConfigFact]:
    out: list[ConfigFact] = []
    raw = lines.to_list()
    for m in _ADV_HEADER.finditer(text):
        hdr_idx = text.count("\n", 0, m.start())
        if hdr_idx + 1 >= len(raw):
            continue
        dashes = raw[hdr_idx + 1]
        # Five columns at most: extra dash runs (a mangled rule) belong to the last one.
        starts = [d.start() for d in re.finditer(r"-+", dashes)][:5]
        if len(starts) < 3:
            continue
        body: list[str] = []
        for ln in raw[hdr_idx + 2 :]:
            if not ln.strip() or ln.lstrip().startswith(("PS ", "C:\\", "Name ")):
                break
            body.append(ln)
        if not body:
            continue
        bounds = [*starts[1:], None]
        cols = [
            pl.Series(body).str.slice(s, (e - s) if e is not None else None).str.strip_chars()
            for s, e in zip(starts, bounds, strict=True)
        ]
        names = ["name", "display", "value", "keyword", "regvalue"][: len(cols)]
        frame = pl.DataFrame(dict(zip(names, cols, strict=True)))
        for row in frame.iter_rows(named=True):
            display = row.get("display") or ""
            keyword = (row.get("keyword") or "").rstrip(".")
            value = row.get("value") or ""
            regv = (row.get("regvalue") or "").strip("{}")
            state = _state(value)
            if state not in {"enabled", "disabled"} and regv:
                state = "disabled" if regv == "0" else "enabled"
            adapter = row.get("name") or "?"
            if "receive side scaling" in display.lower() or keyword.upper() == "*RSS":
                out.append(
                    ConfigFact(
                        "rss",
                        state,
                        f"Get-NetAdapterAdvancedProperty {adapter}: {display} = {value}",
                    )
                )
            elif _OFFLOAD_NAME.search(display) or _OFFLOAD_KEYWORD.search(keyword):
                out.append(
                    ConfigFact(
                        "tcp_offload",
                        state,
                        f"Get-NetAdapterAdvancedProperty {adapter}: {display} = {value}",
                    )
                )
    return out


_KB = re.compile(r"^(?:KB|Q)\d{5,8}$", re.I)
_LIST_PAIR = re.compile(r"^[ \t]*([A-Za-z_][\w]*)[ \t]*[:=][ \t]*(.*?)[ \t]*$")


def _hotfix_lists(lines: list[str]) -> tuple[list[str], list[str]]:
    """(KB numbers, computer names) of the hotfix lists in ``lines``: Get-HotFix as a table,
    Format-List or Export-Csv, wmic qfe as ``list full`` (Name=value), a table (``list
    brief``, ``get HotFixID``) or ``/format:csv``. Property names from ``snapshots.toml``."""
    words = snapshot_words()
    id_fields = {f.casefold() for f in words.hotfix_id_fields}
    host_fields = {f.casefold() for f in words.hotfix_host_fields}
    marks = [m.casefold() for m in words.hotfix_marks]
    kbs: list[str] = []
    hosts: list[str] = []

    def take(field: str, value: str) -> None:
        f, v = field.strip().strip('"').casefold(), value.strip().strip('"').strip()
        if f in id_fields and _KB.match(v):
            kbs.append(v.upper())
        elif f in host_fields and v:
            hosts.append(v)

    i = 0
    while i < len(lines):
        line = lines[i]
        low = line.casefold()
        if not any(m in low for m in marks):
            i += 1
            continue
        pair = _LIST_PAIR.match(line)
        if pair is not None and pair.group(1).casefold() in id_fields:
            # Format-List / list full: the pairs of this block (up to a blank line either side)
            start = i
            while start > 0 and lines[start - 1].strip():
                start -= 1
            end = i
            while end < len(lines) and lines[end].strip():
                end += 1
            for ln in lines[start:end]:
                if (m := _LIST_PAIR.match(ln)) is not None:
                    take(m.group(1), m.group(2))
            i = end
            continue
        if "," in line:  # Export-Csv / wmic /format:csv: a header naming the properties
            names = next(csv.reader([line]))
            if any(n.strip().casefold() in id_fields for n in names):
                i += 1
                while i < len(lines) and lines[i].strip() and not lines[i].startswith("#"):
                    for name, value in zip(names, next(csv.reader([lines[i]])), strict=False):
                        take(name, value)
                    i += 1
                continue
        tokens = list(re.finditer(r"\S+", line))
        if len(tokens) >= 1 and any(t.group(0).casefold() in id_fields for t in tokens):
            # A table: each column's values start under its name (a rule of dashes may follow).
            starts = [t.start() for t in tokens]
            names = [t.group(0) for t in tokens]
            i += 1
            if i < len(lines) and re.fullmatch(r"[ \t]*-[- \t]*", lines[i]):
                i += 1
            while i < len(lines) and lines[i].strip():
                row = lines[i]
                for k, name in enumerate(names):
                    end_col = starts[k + 1] if k + 1 < len(starts) else None
                    cell = row[starts[k] : end_col].strip()
                    # a value longer than its column runs on: take its first word only
                    take(name, cell.split()[0] if cell.split() else "")
                i += 1
            continue
        i += 1
    return list(dict.fromkeys(kbs)), list(dict.fromkeys(hosts))


def _hotfix_facts(lines: list[str]) -> tuple[list[ConfigFact], str | None]:
    """The hotfix facts of Get-HotFix / wmic qfe output (a complete list of the host's
    Win32_QuickFixEngineering entries), and the computer it names when it names one."""
    kbs, hosts = _hotfix_lists(lines)
    if not kbs:
        return [], None
    out = [ConfigFact("hotfix", kb, "Get-HotFix / wmic qfe HotFixID") for kb in kbs]
    out.append(
        ConfigFact("hotfix_list", "complete", f"Get-HotFix / wmic qfe: {len(kbs)} KB number(s)")
    )
    host = hosts[0] if len(hosts) == 1 else None
    if host is not None:
        out.append(ConfigFact("host", host, warn("host_reason_hotfix_list")))
    return out, host


def _registry(lines: pl.Series) -> list[ConfigFact]:
    g = lines.str.extract_groups(
        r"(?i)^\s*(EnableRSS|EnableTCPChimney|DisableTaskOffload)\s+REG_DWORD\s+0x([0-9a-f]+)"
    ).struct.unnest()
    g.columns = ["name", "value"]
    out: list[ConfigFact] = []
    for name, value in zip(g["name"], g["value"], strict=True):
        if name is None:
            continue
        n = int(value, 16)
        low = name.lower()
        detail = f"registry Tcpip\\Parameters {name} = 0x{value}"
        if low == "enablerss":
            out.append(ConfigFact("rss", "enabled" if n else "disabled", detail))
        elif low == "enabletcpchimney":
            out.append(ConfigFact("chimney", "enabled" if n else "disabled", detail))
        else:
            out.append(
                ConfigFact("tcp_offload", "disabled" if n else "enabled", detail + " (stack-wide)")
            )
    return out


class ConfigSnapshotReader:
    """Reads netsh / systeminfo / driver version / NIC property outputs into :class:`ConfigFact` s."""

    kind = KIND

    def sniff(self, head: str, name: str) -> bool:
        if _netsh_shaped(head):
            return True
        if SI.looks_like(head):
            return True
        if "hotfixid" in head.casefold() and _hotfix_lists(head[:65536].splitlines())[0]:
            return True
        if _ADV_HEADER.search(head) or _REG_MARK.search(head):
            return True
        low = head.lower()
        if "interfacedescription" in low and any(k in low for k in _RSS_BLOCK_KEYS):
            return True
        if "ndis.sys" in low:
            lines = _lines(head[:65536])
            return bool(_ndis(lines, name))
        return False

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        with open(item.path, "rb") as fh:
            data = fh.read()
        # The codec is chosen here, from all the bytes: the sniffed one saw only the head, and
        # systeminfo labels tell one OEM code page from another (cp850 / cp852 / cp866 ...).
        text, enc = SI.decode(data)
        if _netsh_shaped(text):
            text, enc = _netsh_decode(data, text, enc)
        del data
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        # A file cut in the middle of a character (a UTF-16 one cut at an odd byte) ends in
        # U+FFFD: left out of the last value ("Pacific T\ufffd"), and said below.
        cut_char = text.endswith("\ufffd")
        text = text.rstrip("\ufffd")
        lines = _lines(text)
        facts: list[ConfigFact] = []
        host: str | None = None
        warnings: list[str] = []
        note = ""
        info: SI.SystemInfo | None = None
        netsh_unread = False  # netsh output whose labels are in a language the catalog lacks
        if lines.len():
            if _netsh_shaped(text) or _netsh_labelled(text):
                netsh, unknown = _netsh(lines)
                facts += netsh
                if unknown:
                    netsh_unread = True
                    reason = warn("netsh_labels_unknown", labels=", ".join(unknown[:4]))
                    warnings.append(warn("at_file", path=item.display, reason=reason))
            info = SI.parse(text)
            if info is not None:
                facts += _sysinfo_facts(info)
                host = info.host
                note, warnings = _sysinfo_note(info, item.display, enc)
                if cut_char:
                    last = SI.last_field(info)
                    reason = warn("sysinfo_cut_char", field=last or "?")
                    warnings.append(
                        warn("at_line", path=item.display, line=lines.len(), reason=reason)
                    )
            if "ndis" in text.lower() or "ndis" in Path(item.display).name.lower():
                facts += _ndis(lines, Path(item.display).name)
            facts += _rss_blocks(lines)
            if "hotfixid" in text.casefold():
                hotfix_facts, named = _hotfix_facts(text.split("\n"))
                facts += hotfix_facts
                host = host or named
            if _ADV_HEADER.search(text):
                facts += _advanced(text, lines)
            if _REG_MARK.search(text):
                facts += _registry(lines)
        if not facts and not netsh_unread:
            raise InputError(
                item.display,
                None,
                warn("expect_snapshot"),
                text[:60].strip() or warn("empty_file"),
            )
        facts = _dedupe(facts)
        return ReadResult(
            kind=KIND,
            encoding=enc,
            host=host,
            host_reason=(
                ""
                if not host
                else warn("host_reason_systeminfo")
                if info is not None and info.host
                else warn("host_reason_hotfix_list")
            ),
            config=facts,
            warnings=warnings,
            note=note,
            restarts=_boot(info),
        )


def _boot(info: SI.SystemInfo | None) -> list[dict[str, object]]:
    """The boot systeminfo states, as a restart of the host: the timeline puts it on UTC with
    the host's zone, and a boot at an incident is evidence it restarted."""
    if info is not None and info.boot_time is not None:
        return [
            {
                "line": info.field_lines.get("boot_time"),
                "ts_local": info.boot_time.isoformat(timespec="milliseconds"),
                "offset_min": None,
                "component": "Windows",
                "signature": "systeminfo.boot",
                "detail": f"the host booted (systeminfo System Boot Time: {info.boot_raw})",
            }
        ]
    return []


def _sysinfo_note(info: SI.SystemInfo, display: str, enc: str) -> tuple[str, list[str]]:
    """One line on what the systeminfo says (the input's note), and warnings for what it
    leaves out (a hotfix list cut short, no boot time)."""
    version = "".join(
        ([f" {info.version}"] if info.version else [])
        + ([f" SP{info.service_pack}"] if info.service_pack is not None else [])
    )
    os_text = info.os_name + version if info.os_name else warn("note_sysinfo_no_os", more=version)
    labels = (
        warn("note_sysinfo_labels", language=info.language)
        if info.language
        else warn("note_sysinfo_labels_unknown")
    )
    if info.by_place:
        labels = warn("note_sysinfo_by_place", labels=labels, fields=", ".join(info.by_place))
    parts: list[str] = [os_text]
    if info.hotfixes_declared is not None or info.hotfix_items:
        parts.append(warn("note_sysinfo_hotfixes", count=len(info.hotfixes)))
    if info.boot_time is not None:
        parts.append(warn("note_sysinfo_booted", when=info.boot_time.isoformat(sep=" ")))
    elif info.uptime_raw:
        parts.append(warn("note_sysinfo_uptime", uptime=info.uptime_raw))
    if info.time_zone:
        parts.append(warn("note_sysinfo_zone", zone=info.time_zone))
    if info.domain:
        parts.append(warn("note_sysinfo_domain", domain=info.domain))
    warnings: list[str] = []
    if info.hotfixes_complete is False:
        # (the host row counts the KB numbers: said here how the two counts differ)
        reason = (
            warn(
                "hotfixes_cut_unnamed",
                listed=info.hotfix_items,
                declared=info.hotfixes_declared,
                unnamed=info.hotfix_unnamed,
                numbers=len(info.hotfixes),
            )
            if info.hotfix_unnamed
            else warn("hotfixes_cut", listed=info.hotfix_items, declared=info.hotfixes_declared)
        )
        warnings.append(warn("at_line", path=display, line=info.line, reason=reason))
    facts = Joined(parts, sep="; ", sep_ja="、")
    return warn("note_systeminfo", labels=labels, encoding=enc, facts=facts), warnings


def _dedupe(facts: list[ConfigFact]) -> list[ConfigFact]:
    seen: set[tuple[str, str, str]] = set()
    out: list[ConfigFact] = []
    for f in facts:
        k = (f.key, f.value, f.detail)
        if k not in seen:
            seen.add(k)
            out.append(f)
    return out


READER = ConfigSnapshotReader()
