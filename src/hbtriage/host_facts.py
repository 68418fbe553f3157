"""What a host's configuration snapshots say about it, put on its :class:`HostInfo`: the OS
(name, version, build, service pack), the hotfix list, the addresses of its network cards and
its last boot; and what the OS means for the remedies (:func:`ndis_hotfix_state`).

The facts come from :mod:`hbtriage.sources.config_snapshot` (``systeminfo``). A boot time is
written in the machine's local time; it is put on UTC with, in this order, the host's own zone
(perfmon header, ``--tz``, offsets in its logs, inferred), the zone systeminfo names when it is a
Windows zone the catalog knows by its display name, or the standard offset systeminfo states
when every zone with that offset was at the same UTC offset at that date. Otherwise it stays
local time, and ``boot_time_note`` says why.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hbtriage.findings import HostInfo, iso
from hbtriage.sources.base import ConfigFact
from hbtriage.sources.systeminfo import zone_offset
from hbtriage.zones import catalog_zones, fmt_offset

#: The NDIS receive-DPC hotfix for Windows Server 2003 SP2 (Ndis.sys 5.2.3790.4524).
NDIS_HOTFIX = "KB972071"
#: Set on ``HostInfo.zone_source`` when the zone is a guess (see :mod:`hbtriage.timeline`).
_ASSUMED = "assumed"
#: ``HostInfo.zone_source`` of a host whose zone is the one its systeminfo names (the timeline
#: takes it when nothing else states one); its boot time is then said as that zone's.
ZONE_SYSTEMINFO = "the Time Zone its systeminfo names"


def apply(hosts: list[HostInfo], config: dict[str, list[ConfigFact]]) -> None:
    """Fill ``os``, ``hotfixes``, ``hotfixes_complete``, ``addresses`` and ``boot_time`` of each
    host from its configuration facts (``host -> facts``, as the timeline holds them). Hosts
    without a systeminfo keep the defaults. Call it once the hosts' zones are settled."""
    owners: dict[str, set[str]] = {}
    for h in hosts:
        for a in h.addresses:
            owners.setdefault(a, set()).add(h.name)
    for host in hosts:
        facts = config.get(host.name, [])
        if not facts:
            continue
        os_info = _os(facts)
        if os_info is not None:
            host.os = os_info
        kbs = [f.value for f in facts if f.key == "hotfix"]
        if kbs:
            host.hotfixes = list(dict.fromkeys(kbs))
        states = [f.value for f in facts if f.key == "hotfix_list"]
        if states:
            # A complete list (Get-HotFix, wmic qfe, a whole systeminfo) makes the union of the
            # KB numbers complete, whatever a systeminfo that cut its own list short says.
            host.hotfixes_complete = (
                True if "complete" in states else False if "incomplete" in states else None
            )
        for a in (f.value for f in facts if f.key == "address"):
            # An address another host holds stays there (the identity graph left it out here).
            if a not in host.addresses and not (owners.get(a, set()) - {host.name}):
                host.addresses.append(a)
        host.boot_time, host.boot_time_note = _boot(host, facts)


def _first(facts: list[ConfigFact], key: str) -> str | None:
    return next((f.value for f in facts if f.key == key), None)


def _os(facts: list[ConfigFact]) -> dict[str, object] | None:
    name, version = _first(facts, "os"), _first(facts, "os_version")
    if name is None and version is None:
        return None
    build = _first(facts, "os_build")
    sp = _first(facts, "service_pack")
    return {
        "name": name,
        "version": version,
        "build": int(build) if build and build.isdigit() else None,
        "service_pack": int(sp) if sp and sp.isdigit() else None,
    }


# --------------------------------------------------------------------------- boot time


def _boot(host: HostInfo, facts: list[ConfigFact]) -> tuple[str | None, str]:
    boots = sorted(t for f in facts if f.key == "boot_time" and (t := _local(f.value)) is not None)
    if not boots:
        up = next((f for f in facts if f.key == "uptime_s"), None)
        if up is not None:
            shown = up.detail.split(": ", 1)[-1]
            return None, (
                f"systeminfo states no boot time, only how long the host had been up when it "
                f"ran ({shown}); the time it ran is not in the file"
            )
        return None, ""
    local = boots[-1]
    if (
        host.zone_source != ZONE_SYSTEMINFO
        and not host.zone_source.startswith(_ASSUMED)
        and (host.tz_iana is not None or host.utc_offset_min is not None)
    ):
        utc = _to_utc(local, host.tz_iana, host.utc_offset_min)
        return iso(utc), (
            f"systeminfo says {local.isoformat(sep=' ')} local time; put on UTC with the host's "
            f"zone {host.zone} ({host.zone_source})"
        )
    stated = _first(facts, "time_zone")
    if stated is None:
        return local.isoformat(), (
            "local time of the host: no time zone is known for it (pass --tz HOST=ZONE)"
        )
    iana = display_zone(stated)
    if iana is not None:
        utc = _to_utc(local, iana, None)
        return iso(utc), (
            f"systeminfo says {local.isoformat(sep=' ')} local time; put on UTC with the zone "
            f"systeminfo names, {stated} ({iana})"
        )
    std = zone_offset(stated)
    if std is not None:
        offsets = offsets_with_standard(std, local)
        if len(offsets) == 1:
            (off,) = offsets
            utc = _to_utc(local, None, off)
            return iso(utc), (
                f"systeminfo says {local.isoformat(sep=' ')} local time in {stated}; every zone "
                f"of standard offset UTC{fmt_offset(std)} was at UTC{fmt_offset(off)} then"
            )
        shown = " or ".join(f"UTC{fmt_offset(o)}" for o in sorted(offsets)) or "unknown"
        return local.isoformat(), (
            f"local time of the host: systeminfo names the zone {stated}, whose daylight-saving "
            f"rules are not known here ({shown} at that date); pass --tz HOST=ZONE"
        )
    return local.isoformat(), (
        f"local time of the host: the time zone systeminfo names ({stated}) is not understood"
    )


def _local(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _to_utc(local: datetime, iana: str | None, fixed: int | None) -> datetime:
    if iana is not None:
        return local.replace(tzinfo=ZoneInfo(iana)).astimezone(UTC)
    return (local - timedelta(minutes=fixed or 0)).replace(tzinfo=UTC)


def _fold_display(text: str) -> str:
    # NFKC: Chinese Windows writes full-width commas and parentheses ("，", "（").
    text = unicodedata.normalize("NFKC", text).strip()
    text = re.sub(r"^\(\s*GMT", "(UTC", text)
    text = re.sub(r"^\(UTC\)", "(UTC+00:00)", text)
    return " ".join(text.split()).casefold()


@functools.cache
def _displays() -> dict[str, str]:
    """Folded display name -> IANA zone: the English ``title`` of every catalog zone and the
    ``titles`` localized Windows show (Japanese, Chinese ...)."""
    out: dict[str, str] = {}
    for z in catalog_zones():
        for title in (z.title, *(t for ts in z.titles.values() for t in ts)):
            out.setdefault(_fold_display(title), z.iana)
    return out


def display_zone(stated: str) -> str | None:
    """The IANA zone of a Windows zone display name that ``catalog/zones.toml`` lists: the
    English one (``(UTC-08:00) Pacific Time (US & Canada)``, the ``(GMT+01:00) ...`` of Windows
    Server 2003 too) or a localized one of its ``titles`` (``(UTC+09:00) 大阪、札幌、東京``), or a
    translation that keeps at least two of the city names of one of them (``(UTC+01:00)
    Amsterdam, Berlijn, Bern, Rome, Stockholm, Wenen``) and shares more of them with that zone
    than with any other zone of that offset. Else None."""
    folded = _fold_display(stated)
    exact = _displays().get(folded)
    if exact is not None:
        return exact
    off = zone_offset(stated)
    words = _cities(folded)
    shared: dict[str, int] = {}  # IANA zone -> most cities shared with one of its titles
    for title, iana in _displays().items():
        if zone_offset(title) == off:
            shared[iana] = max(shared.get(iana, 0), len(words & _cities(title)))
    best = sorted(((n, iana) for iana, n in shared.items()), reverse=True)
    if best and best[0][0] >= 2 and (len(best) == 1 or best[1][0] < best[0][0]):
        return best[0][1]
    return None


def _cities(folded_display: str) -> set[str]:
    names = folded_display.split(")", 1)[-1]
    # Japanese lists its cities with "、"; a city there is often two characters (東京).
    words = re.split(r"[\s,()&.:;、-]+", names)
    return {w for w in words if len(w) >= 4 or (len(w) >= 2 and not w.isascii() and _cjk(w))}


def _cjk(word: str) -> bool:
    return all(unicodedata.east_asian_width(ch) in ("W", "F") for ch in word)


@functools.cache
def _windows_ianas() -> tuple[str, ...]:
    from tzlocal.windows_tz import win_tz

    return tuple(sorted(set(win_tz.values())))


def offsets_with_standard(std_min: int, local: datetime) -> set[int]:
    """UTC offsets (minutes east) at the wall time ``local`` of every Windows zone whose
    standard offset that year is ``std_min`` (the lower of its January and July offsets)."""
    out: set[int] = set()
    for name in _windows_ianas():
        try:
            zone = ZoneInfo(name)
        except (KeyError, ValueError, OSError):
            continue
        jan = datetime(local.year, 1, 15, 12, tzinfo=zone).utcoffset()
        jul = datetime(local.year, 7, 15, 12, tzinfo=zone).utcoffset()
        if jan is None or jul is None or _minutes(min(jan, jul)) != std_min:
            continue
        for fold in (0, 1):
            off = local.replace(tzinfo=zone, fold=fold).utcoffset()
            if off is not None:
                out.add(_minutes(off))
    return out


def _minutes(delta: timedelta) -> int:
    return round(delta.total_seconds() / 60)


# --------------------------------------------------------------------------- remedies


@dataclass(frozen=True)
class NdisHotfixState:
    """What a host's systeminfo says about the Windows Server 2003 SP2 NDIS hotfix.

    ``applies``: the host runs Windows Server 2003 with Service Pack 2 (None: no OS known).
    ``installed``: KB972071 is in its hotfix list (True), is not in a complete list (False), or
    cannot be told (None: no list, or a list systeminfo cut short without it).
    """

    applies: bool | None
    installed: bool | None
    detail: str


def is_server_2003_sp2(host: HostInfo) -> bool | None:
    """True when the host's OS is Windows Server 2003 (R2 too) with Service Pack 2; None when its
    OS is not known. Windows XP x64 shares version 5.2.3790 and is not a server."""
    if host.os is None:
        return None
    name = str(host.os.get("name") or "").lower()
    version = str(host.os.get("version") or "")
    server_2003 = version.startswith("5.2.") and ("server" in name or "2003" in name)
    if not version and "2003" in name:
        server_2003 = True
    return server_2003 and host.os.get("service_pack") == 2


def has_hotfix(host: HostInfo, kb: str) -> bool | None:
    """True when ``kb`` is in the host's hotfix list; False when it is not and the list is
    complete; None when there is no list or a list cut short lacks it."""
    if kb.upper() in (h.upper() for h in host.hotfixes):
        return True
    if host.hotfixes_complete:
        return False
    return None


def ndis_hotfix_state(host: HostInfo) -> NdisHotfixState:
    """Whether the NDIS hotfix (KB972071) concerns the host and whether it is installed."""
    applies = is_server_2003_sp2(host)
    installed = has_hotfix(host, NDIS_HOTFIX) if applies else None
    if applies is None:
        detail = "no systeminfo for this host: its OS is not known"
    elif not applies:
        detail = f"{host.os.get('name') if host.os else 'the OS'} is not Windows Server 2003 SP2"
    elif installed:
        detail = f"{NDIS_HOTFIX} is in the hotfix list"
    elif installed is False:
        detail = f"{NDIS_HOTFIX} is not among the {len(host.hotfixes)} hotfixes systeminfo lists"
    elif host.hotfixes_complete is False:
        detail = (
            f"{NDIS_HOTFIX} is not among the {len(host.hotfixes)} hotfix KB numbers shown, but "
            "systeminfo cut its list short: it may be among those not shown"
        )
    else:
        detail = "no hotfix list for this host"
    return NdisHotfixState(applies, installed, detail)
