"""Time zones as admins type them and as Windows writes them.

Three spellings reach hbtriage:

* what an admin types in ``--tz``: an IANA name (``Asia/Tokyo``), a Windows zone name in
  English, standard or daylight form (``Central Standard Time``, ``Central Daylight Time``) or
  a fixed offset (``UTC-05:00``, ``+09:00``, ``-0500``, ``UTC``, ``Z``);
* what a perfmon header states: the zone name Windows shows in its own language
  (``Hora de verano romance``, ``東京 (標準時)``) and the bias in minutes WEST of UTC;
* what the report shows: :attr:`Zone.label`.

Windows names map to IANA zones through the CLDR ``windowsZones`` table that the ``tzlocal``
package ships and keeps up to date; the names Windows writes in other languages come from
``catalog/zones.toml``. A Windows zone is followed as an IANA zone (so a capture across a
daylight-saving change stays right) only when its UTC offset agrees with the offset the file
states; otherwise the stated offset is used as a fixed one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from tzlocal.windows_tz import win_tz

from hbtriage.catalog import bundled_text, entries_of
from hbtriage.errors import CatalogError
from hbtriage.warning_text import warn

_CATALOG_FILE = "zones.toml"
#: Largest UTC offset accepted, in minutes (the zones in use span UTC-12:00 .. UTC+14:00).
MAX_OFFSET_MIN = 14 * 60


@dataclass(frozen=True)
class Zone:
    """A time zone: an IANA zone (``iana``) or a fixed offset (``fixed_min``), exactly one.

    ``fixed_min`` is minutes EAST of UTC (UTC-05:00 is -300). ``label`` is what the report
    shows: ``America/Chicago``, ``Central Daylight Time (America/Chicago)``, ``UTC-05:00``.
    """

    label: str
    iana: str | None
    fixed_min: int | None

    def __post_init__(self) -> None:
        if (self.iana is None) == (self.fixed_min is None):
            raise ValueError("a Zone has exactly one of iana and fixed_min")


def fmt_offset(minutes: int) -> str:
    """Minutes east of UTC as ``+09:00`` / ``-05:00``."""
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def zone_label(name: str | None, offset_min: int, iana: str | None) -> str:
    """How a stated zone is shown: ``Central Daylight Time (UTC-05:00, America/Chicago)``."""
    inner = f"UTC{fmt_offset(offset_min)}" + (f", {iana}" if iana else "")
    return f"{name} ({inner})" if name else inner


def utc_offset_at(zone: Zone, when_utc: datetime) -> int:
    """The zone's UTC offset (minutes east) at the instant ``when_utc`` (naive means UTC)."""
    if zone.fixed_min is not None:
        return zone.fixed_min
    assert zone.iana is not None
    instant = when_utc.replace(tzinfo=UTC) if when_utc.tzinfo is None else when_utc
    off = instant.astimezone(ZoneInfo(zone.iana)).utcoffset()
    return round((off or timedelta(0)).total_seconds() / 60)


# --------------------------------------------------------------------------- admin input

_FIXED_RE = re.compile(
    r"^(?:(?:UTC|GMT)\s*)?([+-])\s*(?:(\d{1,2})(?::(\d{2}))?|(\d{2})(\d{2}))$", re.IGNORECASE
)
_ZERO = frozenset({"utc", "z"})


def parse_zone_text(text: str) -> Zone:
    """The zone an admin means by ``text`` (a ``--tz`` value). Raises ValueError otherwise."""
    s = " ".join(text.split())
    fixed = _fixed(s)
    if fixed is not None:
        return fixed
    hit = _named(s)
    if hit is not None:
        shown, iana = hit
        return Zone(iana if shown == iana else f"{shown} ({iana})", iana, None)
    shown = s if len(s) <= 60 else s[:57] + "..."
    raise ValueError(warn("zone_unknown_value", shown=shown))


def _fixed(s: str) -> Zone | None:
    if s.casefold() in _ZERO:
        return Zone("UTC", None, 0)
    m = _FIXED_RE.match(s)
    if not m:
        return None
    sign, hh, mm, hh4, mm4 = m.groups()
    hours, mins = (int(hh), int(mm or 0)) if hh is not None else (int(hh4), int(mm4))
    if mins >= 60 or hours * 60 + mins > MAX_OFFSET_MIN:
        raise ValueError(warn("zone_offset_out_of_range", shown=s))
    total = (hours * 60 + mins) * (-1 if sign == "-" else 1)
    return Zone(f"UTC{fmt_offset(total)}", None, total)


@functools.cache
def _iana_index() -> tuple[frozenset[str], dict[str, str]]:
    names = frozenset(available_timezones())
    return names, {n.casefold(): n for n in sorted(names)}


def _named(s: str) -> tuple[str, str] | None:
    """(name as shown, IANA zone) for a zone name: an IANA name in its own spelling, a Windows
    name (English or localized, any case), else an IANA name in another case ("est" is French
    Windows' Eastern, not the IANA zone EST)."""
    names, folded = _iana_index()
    if s in names:
        name: str | None = s
    else:
        hit = _windows_name(s)
        if hit is not None:
            return hit
        name = folded.get(s.casefold())
    if name is None or not _loads(name):
        return None
    return name, name


# --------------------------------------------------------------------------- Windows names


def _fold(text: str) -> str:
    """Spelling-insensitive form: case, runs of spaces, typographic apostrophes, full-width
    parentheses (Windows versions differ in all of these)."""
    text = _PAREN_SPACE_RE.sub(r"\1", text.translate(_FOLD_TABLE))
    return " ".join(text.split()).casefold()


_FOLD_TABLE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'", "（": "(", "）": ")"})
_PAREN_SPACE_RE = re.compile(r"\s*([()])\s*")
_DAYLIGHT_RE = re.compile(r"\b(?:daylight|summer) time\b", re.IGNORECASE)


@dataclass(frozen=True)
class CatalogZone:
    """One entry of ``catalog/zones.toml``: a Windows zone and how Windows names it per
    language (standard and daylight names)."""

    id: str  # the Windows zone key, e.g. "Romance Standard Time"
    iana: str
    title: str
    reference: str
    standard: dict[str, tuple[str, ...]]  # language -> names
    daylight: dict[str, tuple[str, ...]]
    #: language -> the display name ``title`` has in that Windows (systeminfo's "Time Zone")
    titles: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Index:
    zones: tuple[CatalogZone, ...]
    keys: dict[str, tuple[str, str]]  # folded English Windows name -> (spelling, IANA)
    localized: dict[str, str]  # folded localized name -> IANA


def build_index(text: str, path: str) -> _Index:
    """Parse and validate the zone catalog (exposed for tests of the validation)."""
    entries, data = entries_of(text, path, "zone")
    keys: dict[str, tuple[str, str]] = {_fold(k): (k, v) for k, v in win_tz.items()}
    localized: dict[str, str] = {}
    owner: dict[str, str] = {}
    zones: list[CatalogZone] = []
    for entry in entries:
        zid = entry.get("id")
        if not isinstance(zid, str) or not zid:
            raise CatalogError(path, None, warn("catalog_no_id"))
        if any(z.id == zid for z in zones):
            raise CatalogError(path, zid, warn("catalog_duplicate_id"))
        iana = win_tz.get(zid)
        if iana is None:
            raise CatalogError(path, zid, warn("zones_not_a_key"))
        for key in ("title", "reference"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise CatalogError(path, zid, warn("catalog_missing_field", field=key))
        names = entry.get("names")
        if not isinstance(names, dict) or not names:
            raise CatalogError(path, zid, warn("zones_no_names"))
        standard: dict[str, tuple[str, ...]] = {}
        daylight: dict[str, tuple[str, ...]] = {}
        for lang, forms in names.items():
            if not isinstance(forms, dict) or not set(forms) <= {"standard", "daylight"}:
                raise CatalogError(path, zid, warn("zones_names_forms", lang=lang))
            for form, out in (("standard", standard), ("daylight", daylight)):
                values = forms.get(form, [])
                if not isinstance(values, list) or not all(
                    isinstance(v, str) and v.strip() for v in values
                ):
                    said = warn("zones_names_list", field=f"names.{lang}.{form}")
                    raise CatalogError(path, zid, said)
                out[lang] = tuple(values)
                for v in values:
                    folded = _fold(v)
                    if owner.get(folded, zid) != zid:
                        said = warn("zones_name_taken", name=repr(v), other=repr(owner[folded]))
                        raise CatalogError(path, zid, said)
                    if folded in keys and keys[folded][1] != iana:
                        raise CatalogError(path, zid, warn("zones_name_is_key", name=repr(v)))
                    owner[folded] = zid
                    localized[folded] = iana
        listed = {
            _fold(v) for by_lang in (standard, daylight) for vs in by_lang.values() for v in vs
        }
        seen = entry.get("seen", [])
        if not isinstance(seen, list) or not all(isinstance(v, str) for v in seen):
            raise CatalogError(path, zid, warn("zones_names_list", field="seen"))
        for v in seen:
            if _fold(v) not in listed:
                raise CatalogError(path, zid, warn("zones_seen_unknown", name=repr(v)))
        titles = _titles(entry, path, zid)
        zones.append(
            CatalogZone(zid, iana, entry["title"], entry["reference"], standard, daylight, titles)
        )
    return _Index(tuple(zones), keys, localized)


_TITLE_OFFSET_RE = re.compile(r"^\(\s*(?:UTC|GMT)\s*([+-]\d{2}:\d{2})?\s*\)")


def _titles(entry: dict[str, object], path: str, zid: str) -> dict[str, tuple[str, ...]]:
    """The ``[zone.titles]`` of an entry, checked: lists of display names that state the
    offset the English ``title`` states (``(UTC+01:00) ...``)."""
    titles = entry.get("titles", {})
    if not isinstance(titles, dict):
        raise CatalogError(path, zid, warn("zones_titles_table"))
    english = _TITLE_OFFSET_RE.match(str(entry["title"]))
    out: dict[str, tuple[str, ...]] = {}
    for lang, values in titles.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise CatalogError(path, zid, warn("zones_titles_list", lang=lang))
        for v in values:
            m = _TITLE_OFFSET_RE.match(v.strip())
            if m is None or english is None or m.group(1) != english.group(1):
                said = warn(
                    "zones_title_offset", lang=lang, title=repr(v), english=repr(entry["title"])
                )
                raise CatalogError(path, zid, said)
        out[lang] = tuple(values)
    return out


@functools.cache
def _index() -> _Index:
    return build_index(*bundled_text(_CATALOG_FILE))


def catalog_zones() -> tuple[CatalogZone, ...]:
    """The entries of ``catalog/zones.toml``."""
    return _index().zones


def _windows_name(s: str) -> tuple[str, str] | None:
    """(name as shown, IANA zone) for a Windows zone name in any form, else None."""
    idx = _index()
    folded = _fold(s)
    hit = idx.keys.get(folded)
    if hit is not None:
        return hit
    m = _DAYLIGHT_RE.search(folded)
    std = _DAYLIGHT_RE.sub("standard time", folded)
    if m is not None and std in idx.keys:
        key, iana = idx.keys[std]
        word = "Summer Time" if m.group(0).startswith("summer") else "Daylight Time"
        return key.replace("Standard Time", word), iana
    local = idx.localized.get(folded)
    return (s, local) if local is not None else None


def windows_zone_iana(name: str) -> str | None:
    """The IANA zone of a Windows zone name (English key, its daylight form, or a localized
    name from the catalog), else None."""
    hit = _windows_name(" ".join(name.split()))
    return hit[1] if hit is not None else None


# --------------------------------------------------------------------------- perfmon header


def perfmon_zone(
    name: str | None, bias_min: int | None, first_local: datetime | None
) -> Zone | None:
    """The zone a perfmon header states: ``(<name>)(<bias>)``, bias in minutes WEST of UTC
    (``(Central Daylight Time)(300)`` is UTC-05:00).

    When the name maps to an IANA zone whose offset at ``first_local`` (the first sample's
    naive local time) is the stated one, that IANA zone (so a daylight-saving change inside the
    capture is followed); with no bias, the named IANA zone; otherwise the stated offset as a
    fixed zone labelled ``<name> (UTC-05:00)``. None when neither tells anything.
    """
    name = " ".join(name.split()) if name else None
    hit = _named(name) if name else None
    iana = hit[1] if hit is not None else None
    if bias_min is not None and abs(bias_min) >= 24 * 60:
        bias_min = None  # not an offset any clock has
    if iana is not None and (
        bias_min is None
        or (first_local is not None and -bias_min in _offsets_at_local(iana, first_local))
    ):
        return Zone(name if name == iana else f"{name} ({iana})", iana, None)
    if bias_min is None:
        return None
    own = f"UTC{fmt_offset(-bias_min)}"
    return Zone(f"{name} ({own})" if name else own, None, -bias_min)


def _offsets_at_local(iana: str, local: datetime) -> set[int]:
    """The UTC offsets (minutes east) the zone has at the naive wall time ``local`` (two in the
    repeated hour after a daylight-saving change, both folds in the skipped one)."""
    tz = ZoneInfo(iana)
    out = set()
    for fold in (0, 1):
        off = local.replace(tzinfo=tz, fold=fold).utcoffset()
        out.add(round((off or timedelta(0)).total_seconds() / 60))
    return out


# --------------------------------------------------------------------------- zone rules


@functools.cache
def server_zones() -> tuple[str, ...]:
    """The IANA zones a Windows server's clock can follow, best first: those of the catalog's
    Windows zones (the contact-centre zones, in the catalog's order), then every other zone of
    CLDR's windowsZones (by Windows key). The candidates when a host's zone rule is inferred
    (:func:`fitting_zones`)."""
    names = dict.fromkeys(z.iana for z in catalog_zones())
    names.update(dict.fromkeys(win_tz[k] for k in sorted(win_tz)))
    return tuple(n for n in names if _loads(n))


def _loads(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # a listed name that will not load (damaged tzdata)
        return False
    return True


def _offset_min(iana: str, when_utc: datetime) -> int:
    return utc_offset_at(Zone(iana, iana, None), when_utc)


def fitting_zones(
    samples: Iterable[tuple[datetime, int]], candidates: Iterable[str] | None = None
) -> list[str]:
    """The ``candidates`` (default :func:`server_zones`), in their order, whose UTC offset is
    the sample's at each sample: ``(instant, minutes east of UTC)``, the instant in UTC (naive
    means UTC) - what a log line that writes its offset tells of its server's zone."""
    points = sorted(set(samples))
    return [
        z
        for z in (server_zones() if candidates is None else candidates)
        if all(_offset_min(z, at) == off for at, off in points)
    ]


#: A zone's offset over a span: its offset at the start and each change after it (the first
#: instant of the new offset, to the minute, and the new offset).
Profile = tuple[int, tuple[tuple[datetime, int], ...]]


def offset_changes(iana: str, start: datetime, end: datetime) -> Profile:
    """``iana``'s UTC offset at ``start`` and each change of it up to ``end`` (UTC instants;
    naive means UTC). Found by sampling every 6 hours (longer over spans of years: no zone
    changes twice within weeks) and halving the step to the minute where the offset moved."""
    lo, hi = _minute(start), _minute(end)
    step = max(6 * 60, (hi - lo) // 2000)
    changes: list[tuple[datetime, int]] = []
    first = last = _offset_min(iana, _instant(lo))
    at = lo
    while at < hi:
        nxt = min(at + step, hi)
        off = _offset_min(iana, _instant(nxt))
        if off != last:
            a, b = at, nxt  # a has the old offset, b the new one
            while b - a > 1:
                mid = (a + b) // 2
                if _offset_min(iana, _instant(mid)) == last:
                    a = mid
                else:
                    b = mid
            changes.append((_instant(b), off))
            last = off
        at = nxt
    return first, tuple(changes)


def _minute(t: datetime) -> int:
    instant = t.replace(tzinfo=UTC) if t.tzinfo is None else t
    return int(instant.timestamp() // 60)


def _instant(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, tz=UTC)


@dataclass(frozen=True)
class RuleChoice:
    """What :func:`choose_rule` decided for a host whose zone was inferred as a fixed offset."""

    iana: str | None  # the zone to follow; None: the fixed offset stays
    #: When the fixed offset stays although the span may cross a daylight-saving change: two
    #: zones that fit but put part of the span differently (or one that changes, when no other
    #: fits), each with its first change in the span (instant, new offset), None for none.
    apart: tuple[tuple[str, tuple[datetime, int] | None], ...] = ()


def choose_rule(
    candidates: Sequence[str], start: datetime, end: datetime, *, told: bool
) -> RuleChoice:
    """The zone rule of a host known only by a fixed offset over ``start``..``end`` (UTC).

    ``candidates``: the zones that fit what is known (the offset at the disconnects, the
    peer's zone or the offsets it writes), best first. ``told``: the evidence tells a rule
    (the peer's IANA zone, or its written offsets changing over time): the first candidate is
    followed when every candidate gives the same offsets over the span; where they differ
    there, nothing is guessed. Not ``told``: the fixed offset stays, and ``apart`` is set when
    a candidate's offset changes within the span (one side of that change may be off)."""
    profiles = {z: offset_changes(z, start, end) for z in candidates}
    if told and candidates:
        best = profiles[candidates[0]]
        other = next((z for z in candidates if profiles[z] != best), None)
        if other is None:
            return RuleChoice(candidates[0])
        pair = [candidates[0], other]
    else:
        moving = next((z for z in candidates if profiles[z][1]), None)
        if moving is None:
            return RuleChoice(None)
        still = next((z for z in candidates if not profiles[z][1]), None) or next(
            (z for z in candidates if profiles[z] != profiles[moving]), None
        )
        pair = [moving] + ([still] if still else [])
    pair.sort(key=lambda z: not profiles[z][1])  # the one that changes first
    return RuleChoice(None, tuple((z, profiles[z][1][0] if profiles[z][1] else None) for z in pair))
