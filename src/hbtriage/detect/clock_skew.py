"""Clock skew between hosts, estimated from the same event seen at both ends.

Signatures that share a ``pair`` key (CVP "Missed 2 VRU PIM heartbeats" and the PIM's
"connection forcibly closed", both the moment the session is torn down) happen within
milliseconds of each other in reality; the median difference of their timestamps is
the offset of one host's clock against the other's.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from hbtriage.findings import Signal

MAX_PAIR_DISTANCE_S = 300.0  # events further apart than this are not the same event
MIN_APPLIED_S = 1.0  # below this, the difference is network latency and logging jitter


@dataclass
class Skew:
    host: str
    reference: str
    offset_s: float  # host clock minus reference clock
    pairs: int
    keys: list[str]

    @property
    def applied(self) -> bool:
        return abs(self.offset_s) >= MIN_APPLIED_S


def estimate(signals: list[Signal], reference: str) -> list[Skew]:
    """Offsets of every other host against ``reference`` (hosts without pairs are absent)."""
    paired = [s for s in signals if s.kind == "signature" and s.data.get("pair")]
    ref = [s for s in paired if s.host == reference]
    others = sorted({s.host for s in paired} - {reference})
    out = []
    for host in others:
        diffs: list[float] = []
        keys: set[str] = set()
        for s in (x for x in paired if x.host == host):
            cands = [r for r in ref if r.data["pair"] == s.data["pair"]]
            if not cands:
                continue
            nearest = min(cands, key=lambda r: abs((s.start - r.start).total_seconds()))
            d = (s.start - nearest.start).total_seconds()
            if abs(d) <= MAX_PAIR_DISTANCE_S:
                diffs.append(d)
                keys.add(str(s.data["pair"]))
        if diffs:
            out.append(Skew(host, reference, median(diffs), len(diffs), sorted(keys)))
    return out


def pick_reference(signals: list[Signal], hosts: list[str]) -> str | None:
    """The host the others are compared with: a PG/ICM host when there is one (ICM nodes keep
    time with their central controller), else the first host by name."""
    icm_hosts = sorted(
        {s.host for s in signals if str(s.data.get("signature", "")).startswith(("pim.", "icm."))}
    )
    if icm_hosts:
        return icm_hosts[0]
    return sorted(hosts)[0] if hosts else None


#: The same disconnect at both ends, when one host's zone is unknown: its time (taken as UTC)
#: minus the peer's is its UTC offset plus its clock skew, within this window.
MAX_ZONE_OFFSET_S = 15 * 3600.0
#: Pairs agreeing on one offset within this many seconds are the same offset.
ZONE_PAIR_TOLERANCE_S = 120.0


@dataclass
class ZoneGuess:
    host: str
    reference: str
    zone_min: int  # whole quarter hours east of UTC
    skew_s: float  # what is left: the host's clock error
    pairs: int
    keys: list[str]


def infer_zones(signals: list[Signal], unzoned: list[str], zoned: list[str]) -> list[ZoneGuess]:
    """UTC offsets of ``unzoned`` hosts (their local times taken as UTC) from the disconnects they
    share with a host whose zone is known: the offset most pairs agree on, its whole quarter
    hours the zone and the rest clock skew. Hosts with no such pair are absent."""
    paired = [s for s in signals if s.kind == "signature" and s.data.get("pair")]
    out: list[ZoneGuess] = []
    for host in unzoned:
        mine = [s for s in paired if s.host == host]
        best: tuple[int, float, str, list[float], set[str]] | None = None
        for ref in zoned:
            theirs = [s for s in paired if s.host == ref]
            diffs = [
                ((a.start - b.start).total_seconds(), str(a.data["pair"]))
                for a in mine
                for b in theirs
                if a.data["pair"] == b.data["pair"]
                and abs((a.start - b.start).total_seconds()) <= MAX_ZONE_OFFSET_S
            ]
            for d, _key in diffs:
                near = [(x, k) for x, k in diffs if abs(x - d) <= ZONE_PAIR_TOLERANCE_S]
                score = (len(near), -abs(d))
                if best is None or score > (best[0], best[1]):
                    best = (len(near), -abs(d), ref, [x for x, _ in near], {k for _, k in near})
        if best is None:
            continue
        offset = median(best[3])
        zone_min = int(round(offset / 900.0)) * 15
        out.append(
            ZoneGuess(
                host, best[2], zone_min, offset - zone_min * 60, len(best[3]), sorted(best[4])
            )
        )
    return out
