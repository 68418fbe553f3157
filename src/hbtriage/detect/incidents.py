"""Group loss signals across hosts into incidents and attach the signals around them."""

from __future__ import annotations

from datetime import datetime, timedelta

from hbtriage.catalog import INCIDENT_ROLES
from hbtriage.findings import Incident, Signal

MERGE_GAP = timedelta(seconds=60)  # loss events closer than this are one incident
LEAD = timedelta(seconds=15)  # a silence that began this long before the first loss event belongs
MAX_EXTEND = timedelta(minutes=5)  # longer silences do not stretch the incident window
PAD = timedelta(seconds=10)  # evidence window around the incident


def find_incidents(signals: list[Signal]) -> list[Incident]:
    loss = sorted(
        (s for s in signals if s.kind == "signature" and s.data.get("role") in INCIDENT_ROLES),
        key=lambda s: s.start,
    )
    clusters: list[list[Signal]] = []
    for s in loss:
        if clusters and s.start - clusters[-1][-1].start <= MERGE_GAP:
            clusters[-1].append(s)
        else:
            clusters.append([s])
    gaps = [s for s in signals if s.kind in ("log_gap", "sample_gap")]
    incidents = []
    for n, cluster in enumerate(clusters, 1):
        start = min(s.start for s in cluster)
        end = max(s.end for s in cluster)
        for g in gaps:
            if g.end - g.start > MAX_EXTEND:
                continue
            if g.start <= end + timedelta(seconds=1) and g.end >= start - LEAD:
                start, end = min(start, g.start), max(end, g.end)
        hosts = sorted({s.host for s in cluster})
        incidents.append(Incident(id=f"INC-{n:03d}", start=start, end=end, hosts=hosts))
    return incidents


def window(incident: Incident, pad: timedelta = PAD) -> tuple[datetime, datetime]:
    return incident.start - pad, incident.end + pad


def attach(incidents: list[Incident], signals: list[Signal], pads: dict[str, timedelta]) -> None:
    """Put every signal that overlaps an incident's (host-padded) window into it."""
    for inc in incidents:
        for s in signals:
            pad = pads.get(s.host, PAD)
            lo, hi = window(inc, pad)
            if s.start <= hi and s.end >= lo:
                inc.signals.append(s)
        inc.signals.sort(key=lambda s: (s.start, s.host, s.kind))
        inc.hosts = sorted(set(inc.hosts) | {s.host for s in inc.signals if s.kind != "config"})
