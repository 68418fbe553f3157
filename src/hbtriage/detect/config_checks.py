"""Judge configuration facts (netsh, systeminfo, ndis.sys version, NIC properties) per host.

The texts, titles and references live in ``catalog/config_checks.toml``; this module only
decides *whether* a finding applies and fills the template placeholders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hbtriage.catalog import Catalog, ConfigText, load_catalog
from hbtriage.findings import ConfigFinding
from hbtriage.sources.base import ConfigFact

_ARCH_NAMES = {"x86": "x86", "x64": "x64", "ia64": "IA-64"}

#: Kept for old imports: the words of a finding are :class:`hbtriage.catalog.ConfigText`.
FindingText = ConfigText


def load_texts() -> dict[str, ConfigText]:
    """Finding texts by id, from the bundled catalog."""
    return load_catalog().config_texts


def version_tuple(text: str) -> tuple[int, ...] | None:
    """``"5.2.3790.3959"`` -> ``(5, 2, 3790, 3959)``; None when it is not a dotted number."""
    parts = text.strip().split(".")
    if not parts or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def _values(facts: list[ConfigFact], key: str) -> list[ConfigFact]:
    return [f for f in facts if f.key == key]


def _first(facts: list[ConfigFact], key: str) -> str | None:
    found = _values(facts, key)
    return found[0].value if found else None


def _join(items: list[str]) -> str:
    return "; ".join(dict.fromkeys(items))


def _rss_disabled(facts: list[ConfigFact], params: dict[str, str]) -> dict[str, str] | None:
    off = [f for f in _values(facts, "rss") if f.value == "disabled"]
    if not off:
        return None
    return {"sources": _join([f.detail or "rss=disabled" for f in off])}


def _chimney_enabled(facts: list[ConfigFact], params: dict[str, str]) -> dict[str, str] | None:
    on = [f for f in _values(facts, "chimney") if f.value in {"enabled", "automatic"}]
    if not on:
        return None
    value = "enabled" if any(f.value == "enabled" for f in on) else "automatic"
    return {"value": value, "sources": _join([f.detail or f"chimney={f.value}" for f in on])}


def _tcp_offload_enabled(facts: list[ConfigFact], params: dict[str, str]) -> dict[str, str] | None:
    on = [f for f in _values(facts, "tcp_offload") if f.value == "enabled"]
    if not on:
        return None
    return {"items": _join([f.detail or "offload enabled" for f in on])}


def _is_server_2003(facts: list[ConfigFact]) -> bool:
    os_name = (_first(facts, "os") or "").lower()
    os_version = _first(facts, "os_version") or ""
    return "2003" in os_name or os_version.startswith("5.2.")


def _ndis_hotfix_missing(facts: list[ConfigFact], params: dict[str, str]) -> dict[str, str] | None:
    if not _is_server_2003(facts) or _first(facts, "service_pack") != "2":
        return None
    required = params.get("fixed_version", "")
    fixed = version_tuple(required)
    if fixed is None:
        return None
    versions = [
        (v, f.value)
        for f in _values(facts, "ndis_version")
        if (v := version_tuple(f.value)) is not None
    ]
    # Only versions of the Server 2003 line are comparable with the hotfix build.
    versions = [(v, raw) for v, raw in versions if v[:3] == fixed[:3]]
    if not versions:
        return None
    newest, raw = max(versions)
    if newest >= fixed:
        return None
    arch = _first(facts, "arch")
    return {
        "os": _first(facts, "os") or "Windows Server 2003",
        "arch": _ARCH_NAMES.get(arch or "", "architecture not stated"),
        "ndis_version": raw,
        "required": required,
    }


#: A check: the host's facts and its catalog entry's ``params`` -> the template values of a
#: finding, or None when the host is fine.
Check = Callable[[list[ConfigFact], dict[str, str]], dict[str, str] | None]


def _ndis_kb_not_listed(facts: list[ConfigFact], params: dict[str, str]) -> dict[str, str] | None:
    """Server 2003 SP2 whose complete hotfix list lacks the NDIS hotfix, when no Ndis.sys
    version tells otherwise (that case is ``ndis_hotfix_missing``'s, with the version)."""
    if not _is_server_2003(facts) or _first(facts, "service_pack") != "2":
        return None
    kb = params.get("kb", "").upper()
    if not kb or _first(facts, "hotfix_list") != "complete" or _values(facts, "ndis_version"):
        return None
    listed = [f.value.upper() for f in _values(facts, "hotfix")]
    if kb in listed:
        return None
    return {
        "os": _first(facts, "os") or "Windows Server 2003",
        "kb": kb,
        "count": str(len(listed)),
        "arch": _ARCH_NAMES.get(_first(facts, "arch") or "", "architecture not stated"),
    }


_CHECKS: dict[str, Check] = {
    "rss_disabled": _rss_disabled,
    "chimney_enabled": _chimney_enabled,
    "tcp_offload_enabled": _tcp_offload_enabled,
    "ndis_hotfix_missing": _ndis_hotfix_missing,
    "ndis_hotfix_not_listed": _ndis_kb_not_listed,
}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


#: The checks this module runs: each needs an entry in ``config_checks.toml``.
CHECK_IDS = tuple(_CHECKS)


def check_config(
    facts: dict[str, list[ConfigFact]],
    *,
    texts: dict[str, ConfigText] | None = None,
    catalog: Catalog | None = None,
) -> list[ConfigFinding]:
    """Configuration findings for every host (``host -> facts``), in host then catalog order.

    A healthy host yields nothing; a Windows Server 2003 SP2 host whose Ndis.sys already has the
    hotfix (5.2.3790.4524 or later) yields nothing about NDIS either.
    """
    if texts is None:
        texts = (catalog or load_catalog()).config_texts
    out: list[ConfigFinding] = []
    for host in sorted(facts):
        host_facts = facts[host]
        for fid, check in _CHECKS.items():
            text = texts[fid]
            values = check(host_facts, text.params)
            if values is None:
                continue
            fill = _Blank(values)
            out.append(
                ConfigFinding(
                    id=fid,
                    host=host,
                    title=text.title,
                    detail=text.detail.format_map(fill),
                    title_ja=text.title_ja,
                    detail_ja=text.detail_ja.format_map(fill),
                    references=list(text.references),
                )
            )
    return out
