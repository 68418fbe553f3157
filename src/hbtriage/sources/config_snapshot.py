"""Configuration snapshots: the command outputs a support engineer collects from a Windows server.

One file may hold any mix of these, concatenated by a snapshot script:

* ``netsh int tcp show global`` (English, German, Japanese labels): RSS and TCP Chimney state;
* ``systeminfo`` (list or ``/fo csv``): host name, OS, version, service pack, architecture, hotfixes;
* ndis.sys file version: PowerShell ``VersionInfo`` table or list, ``wmic datafile``, ``filever``;
* ``Get-NetAdapterRss`` (Format-List): RSS per adapter;
* ``Get-NetAdapterAdvancedProperty`` (table): RSS and offload properties per adapter;
* ``reg query ...\\Tcpip\\Parameters`` (Windows Server 2003 keeps RSS/Chimney in the registry).

The reader emits :class:`ConfigFact` rows only; :mod:`hbtriage.detect.config_checks` judges them.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from pathlib import Path

import polars as pl

from hbtriage.errors import InputError
from hbtriage.sources.base import ConfigFact, InputFile, ReadResult
from hbtriage.sources.encoding import read_text
from hbtriage.sources.options import DEFAULT, ReadOptions

KIND = "config_snapshot"

_VERSION = r"\d+\.\d+\.\d+\.\d+"

# netsh labels (English / German / Japanese) -> fact key; matched as substrings, case-insensitive.
_NETSH_LABELS: tuple[tuple[str, str], ...] = (
    ("receive-side scaling", "rss"),
    ("empfangsseitige", "rss"),
    ("empfangsseitigen", "rss"),
    ("chimney", "chimney"),
)
_NETSH_HEADER = re.compile(
    r"^\s*(TCP Global Parameters|Globale TCP-Parameter|TCP-Globalparameter|TCP グローバル パラメーター"
    r"|Querying active state\.*|Abfragen des aktiven Status\.*)\s*$",
    re.M,
)
_NETSH_RSS_LINE = re.compile(
    r"^[^:\n]*(Receive-Side Scaling|empfangsseitige)[^:\n]*:\s*\S", re.M | re.I
)
_NETSH_CHIMNEY_LINE = re.compile(r"^[^:\n]*Chimney[^:\n]*:\s*\S", re.M | re.I)

# systeminfo labels -> canonical label.
_SYSINFO_LABELS: dict[str, str] = {
    "host name": "host",
    "hostname": "host",
    "ホスト名": "host",
    "os name": "os",
    "betriebssystemname": "os",
    "os 名": "os",
    "os version": "os_version",
    "betriebssystemversion": "os_version",
    "os バージョン": "os_version",
    "system type": "arch",
    "systemtyp": "arch",
    "システムの種類": "arch",
    "time zone": "time_zone",
    "zeitzone": "time_zone",
    "タイム ゾーン": "time_zone",
    "hotfix(s)": "hotfix",
    "hotfix(es)": "hotfix",
    "ホットフィックス": "hotfix",
    "修正プログラム": "hotfix",
}
_SYSINFO_MARK = re.compile(
    r"^(Host Name|Hostname|ホスト名):\s+\S.*$[\s\S]{0,400}^(OS Name|Betriebssystemname|OS 名):",
    re.M,
)
_SYSINFO_CSV_MARK = re.compile(
    r'^"(Host Name|Hostname|ホスト名)","(OS Name|Betriebssystemname|OS 名)"', re.M
)
_KB = re.compile(r"\b(KB\d{5,8}|Q\d{6})\b", re.I)

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


def _netsh(lines: pl.Series) -> list[ConfigFact]:
    kv = lines.str.extract_groups(r"^\s*([^:]{3,80}?)\s*:\s*(\S.*?)\s*$").struct.unnest()
    kv.columns = ["label", "value"]
    kv = kv.with_columns(lines.alias("raw")).drop_nulls("label")
    out: list[ConfigFact] = []
    for label, value in zip(kv["label"], kv["value"], strict=True):
        low = label.lower()
        for needle, key in _NETSH_LABELS:
            if needle in low:
                detail = f"netsh int tcp show global: {label.strip()} = {value}"
                out.append(ConfigFact(key, _state(value), detail))
                break
    return out


def _sysinfo_pairs(lines: pl.Series) -> list[tuple[str, str]]:
    """(canonical label, value) pairs of a systeminfo list; hotfix list lines carry label 'hotfix'."""
    df = pl.DataFrame({"raw": lines}).with_columns(
        pl.col("raw").str.extract(r"^([^\s\[][^:]{1,60}):", 1).alias("label"),
        pl.col("raw").str.extract(r"^[^\s\[][^:]{1,60}:\s*(.*?)\s*$", 1).alias("value"),
        pl.col("raw").str.extract(r"^\s+\[\d+\]:\s*(.*?)\s*$", 1).alias("item"),
    )
    df = df.with_columns(
        pl.col("label")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(_SYSINFO_LABELS, default=None)
        .alias("canon")
    )
    df = df.with_columns(
        pl.when(pl.col("label").is_not_null())
        .then(pl.col("canon"))
        .otherwise(None)
        .alias("section")
    ).with_columns(
        pl.col("section").forward_fill().alias("section_ff"),
        pl.col("label").forward_fill().alias("label_ff"),
    )
    pairs: list[tuple[str, str]] = []
    heads = df.filter(pl.col("canon").is_not_null())
    pairs.extend(zip(heads["canon"], heads["value"].fill_null(""), strict=True))
    # Hotfix items are continuation lines "   [01]: KB968389" under the Hotfix(s) label only.
    items = df.filter(pl.col("item").is_not_null() & pl.col("label").is_null())
    items = items.filter(
        pl.col("label_ff")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(_SYSINFO_LABELS, default=None)
        == "hotfix"
    )
    pairs.extend(("hotfix_item", str(v)) for v in items["item"])
    return pairs


def _sysinfo_csv(text: str) -> list[tuple[str, str]]:
    m = _SYSINFO_CSV_MARK.search(text)
    if m is None:
        return []
    try:  # the header and the one data row; a damaged file may hold a 128 KiB+ "field"
        rows = list(itertools.islice(csv.reader(io.StringIO(text[m.start() :])), 2))
    except csv.Error:
        return []
    if len(rows) < 2:
        return []
    pairs: list[tuple[str, str]] = []
    for name, value in zip(rows[0], rows[1], strict=False):
        canon = _SYSINFO_LABELS.get(name.strip().lower())
        if canon == "hotfix":
            pairs.extend(("hotfix_item", kb) for kb in _KB.findall(value))
        elif canon is not None:
            pairs.append((canon, value.strip()))
    return pairs


#: An address line under systeminfo's network cards ("    [01]: 192.0.2.20"): the only lines
#: that are an item number and an address alone, in every language (DHCP servers have a label).
_SYSINFO_ADDRESS = re.compile(
    r"^[ \t]+\[\d+\]:[ \t]*(\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:]+(?:%\d+)?)[ \t]*$",
    re.MULTILINE,
)


def _arch(system_type: str) -> str | None:
    low = system_type.lower()
    if "itanium" in low or "ia64" in low or "ia-64" in low:
        return "ia64"
    if "x64" in low or "amd64" in low:
        return "x64"
    if "x86" in low:
        return "x86"
    return None


def _sysinfo_facts(pairs: list[tuple[str, str]]) -> tuple[list[ConfigFact], str | None]:
    facts: list[ConfigFact] = []
    host: str | None = None
    seen_kb: set[str] = set()
    for canon, value in pairs:
        if canon == "host" and value:
            host = value.strip()
            facts.append(ConfigFact("host", host, "systeminfo Host Name"))
        elif canon == "os" and value:
            facts.append(ConfigFact("os", value.strip(), "systeminfo OS Name"))
        elif canon == "os_version" and value:
            ver = re.match(r"\s*(\d+\.\d+\.\d+)", value)
            if ver:
                facts.append(
                    ConfigFact(
                        "os_version", ver.group(1), f"systeminfo OS Version: {value.strip()}"
                    )
                )
            sp = re.search(r"(?i)Service Pack\s+(\d+)", value)
            if sp:
                facts.append(
                    ConfigFact(
                        "service_pack", sp.group(1), f"systeminfo OS Version: {value.strip()}"
                    )
                )
        elif canon == "arch" and value:
            arch = _arch(value)
            if arch:
                facts.append(ConfigFact("arch", arch, f"systeminfo System Type: {value.strip()}"))
        elif canon == "time_zone" and value:
            facts.append(ConfigFact("time_zone", value.strip(), "systeminfo Time Zone"))
        elif canon == "hotfix_item":
            for kb in _KB.findall(value):
                key = kb.upper()
                if key not in seen_kb:
                    seen_kb.add(key)
                    facts.append(ConfigFact("hotfix", key, "systeminfo Hotfix(s)"))
    return facts, host


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
        rss_line = _NETSH_RSS_LINE.search(head)
        chimney_line = _NETSH_CHIMNEY_LINE.search(head)
        if (rss_line or chimney_line) and (
            _NETSH_HEADER.search(head) or (rss_line and chimney_line)
        ):
            return True
        if _SYSINFO_MARK.search(head) or _SYSINFO_CSV_MARK.search(head):
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
        text, enc = read_text(item.path, text_encoding or None)
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        lines = _lines(text)
        facts: list[ConfigFact] = []
        if lines.len():
            if _NETSH_RSS_LINE.search(text) or _NETSH_CHIMNEY_LINE.search(text):
                facts += _netsh(lines)
            pairs = _sysinfo_csv(text) if _SYSINFO_CSV_MARK.search(text) else []
            if _SYSINFO_MARK.search(text):
                pairs += _sysinfo_pairs(lines)
            sys_facts, host = _sysinfo_facts(pairs)
            facts += sys_facts
            if host:
                facts += [
                    ConfigFact("address", a, "systeminfo network card address")
                    for a in dict.fromkeys(_SYSINFO_ADDRESS.findall(text))
                ]
            if "ndis" in text.lower() or "ndis" in Path(item.display).name.lower():
                facts += _ndis(lines, Path(item.display).name)
            facts += _rss_blocks(lines)
            if _ADV_HEADER.search(text):
                facts += _advanced(text, lines)
            if _REG_MARK.search(text):
                facts += _registry(lines)
        else:
            host = None
        if not facts:
            raise InputError(
                item.display,
                None,
                "netsh int tcp show global, systeminfo, ndis.sys version, Get-NetAdapterRss or "
                "Get-NetAdapterAdvancedProperty output",
                text[:60].strip() or "empty file",
            )
        facts = _dedupe(facts)
        return ReadResult(
            kind=KIND,
            encoding=enc,
            host=host,
            host_reason="systeminfo Host Name" if host else "",
            config=facts,
        )


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
