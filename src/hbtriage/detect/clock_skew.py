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
