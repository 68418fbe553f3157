"""Group loss signals across hosts into incidents and attach the signals around them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from hbtriage.catalog import INCIDENT_ROLES
from hbtriage.findings import Incident, Signal

MERGE_GAP = timedelta(seconds=60)  # loss events closer than this are one incident
LEAD = timedelta(seconds=15)  # a silence that began this long before the first loss event belongs
MAX_EXTEND = timedelta(minutes=5)  # longer silences do not stretch the incident window
PAD = timedelta(seconds=10)  # evidence window around the incident


def related(host: str, hosts: set[str], peers: Mapping[str, set[str]]) -> bool:
    """Whether ``host`` can share an incident with ``hosts``: always, unless the logs name the
    GED-125 peers of ``host`` and of each of ``hosts`` and none of them is the other's (a site:
    another PIM <-> CVP pair's session). ``peers``: see ``clock_skew.peers_of``."""
    if host in hosts:
        return True
    mine = peers.get(host)
    if not mine or mine & hosts:
        return True
    return any(not peers.get(h) or host in peers[h] for h in hosts)


def find_incidents(
    signals: list[Signal], peers: Mapping[str, set[str]] | None = None
) -> list[Incident]:
    """Loss signals within :data:`MERGE_GAP` of each other are one incident, widened to the log
    and sample gaps around it; with ``peers`` known (a site), only the sessions' own ends."""
    peers = peers or {}
    loss = sorted(
        (s for s in signals if s.kind == "signature" and s.data.get("role") in INCIDENT_ROLES),
        key=lambda s: s.start,
    )
    clusters: list[list[Signal]] = []
    for s in loss:
        home = next(
            (
                c
                for c in reversed(clusters)
                if s.start - c[-1].start <= MERGE_GAP
                and related(s.host, {x.host for x in c}, peers)
            ),
            None,
        )
        if home is not None:
            home.append(s)
        else:
            clusters.append([s])
    clusters.sort(key=lambda c: c[0].start)
    gaps = [s for s in signals if s.kind in ("log_gap", "sample_gap")]
    incidents = []
    for n, cluster in enumerate(clusters, 1):
        start = min(s.start for s in cluster)
        end = max(s.end for s in cluster)
        members = {s.host for s in cluster}
        for g in gaps:
            if g.end - g.start > MAX_EXTEND or not related(g.host, members, peers):
                continue
            if g.start <= end + timedelta(seconds=1) and g.end >= start - LEAD:
                start, end = min(start, g.start), max(end, g.end)
        hosts = sorted({s.host for s in cluster})
        incidents.append(Incident(id=f"INC-{n:03d}", start=start, end=end, hosts=hosts))
    return incidents


def window(incident: Incident, pad: timedelta = PAD) -> tuple[datetime, datetime]:
    return incident.start - pad, incident.end + pad


def attach(
    incidents: list[Incident],
    signals: list[Signal],
    pads: dict[str, timedelta],
    peers: Mapping[str, set[str]] | None = None,
) -> None:
    """Put every signal that overlaps an incident's (host-padded) window into it (with
    ``peers`` known, only signals of hosts :func:`related` to the incident's)."""
    peers = peers or {}
    for inc in incidents:
        members = set(inc.hosts)
        for s in signals:
            if not related(s.host, members, peers):
                continue
            pad = pads.get(s.host, PAD)
            lo, hi = window(inc, pad)
            if s.start <= hi and s.end >= lo:
                inc.signals.append(s)
        inc.signals.sort(key=lambda s: (s.start, s.host, s.kind))
        inc.hosts = sorted(set(inc.hosts) | {s.host for s in inc.signals if s.kind != "config"})
