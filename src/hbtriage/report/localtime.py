"""A host's local wall-clock time beside UTC, as its own logs write it.

A TAC engineer greps a server's logs in that server's local time: every report shows an
incident's window and a signal's time in UTC *and* in the local time of the host concerned.
The host's zone is :attr:`HostInfo.tz_iana` (an IANA zone, so daylight saving time is followed
at each instant) or :attr:`HostInfo.utc_offset_min` (a fixed offset); with neither, the local
time is unknown and nothing is made up.

Times on the report's timeline have the host's clock skew taken out when it was corrected
(:attr:`HostInfo.clock_offset_s` of at least :data:`~hbtriage.detect.clock_skew.MIN_APPLIED_S`);
the local time puts it back, so it is what the host's own log lines say.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hbtriage.detect.clock_skew import MIN_APPLIED_S
from hbtriage.findings import HostInfo, Incident
from hbtriage.report.i18n import t
from hbtriage.zones import fmt_offset


def _host_tz(host: HostInfo | None) -> tzinfo | None:
    """The host's zone as a tzinfo, None when unknown (or an IANA name that does not load)."""
    if host is None:
        return None
    if host.tz_iana:
        try:
            return ZoneInfo(host.tz_iana)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            return None
    if host.utc_offset_min is not None and abs(host.utc_offset_min) < 24 * 60:
        m = host.utc_offset_min  # a fixed offset, named by itself ("UTC-05:00")
        return timezone(timedelta(minutes=m), f"UTC{fmt_offset(m)}")
    return None


def _skew(host: HostInfo | None) -> timedelta:
    """How far the host's clock runs ahead of the report's timeline: the skew the analysis
    corrected (it corrects one of at least ``MIN_APPLIED_S``), else nothing."""
    if host is None or abs(host.clock_offset_s) < MIN_APPLIED_S:
        return timedelta(0)
    return timedelta(seconds=host.clock_offset_s)


def _local(ts_utc: datetime, tz: tzinfo, skew: timedelta) -> tuple[datetime, str]:
    """(local wall time, zone suffix) of the instant ``ts_utc`` (naive means UTC) on a clock
    running ``skew`` ahead."""
    instant = ts_utc.replace(tzinfo=UTC) if ts_utc.tzinfo is None else ts_utc
    local = (instant + skew).astimezone(tz)
    if isinstance(tz, timezone):
        return local, local.tzname() or ""
    off = local.utcoffset() or timedelta(0)
    offset = f"UTC{fmt_offset(round(off.total_seconds() / 60))}"
    abbr = local.tzname() or ""
    # zones without a letter abbreviation write "+04": the offset alone says it
    if not abbr or abbr[0] in "+-" or abbr[0].isdigit():
        return local, offset
    return local, f"{abbr} ({offset})"


def _clock(local: datetime) -> str:
    return local.strftime("%H:%M:%S.") + f"{local.microsecond // 1000:03d}"


def local_time(ts_utc: datetime, host: HostInfo) -> str | None:
    """The instant ``ts_utc`` on ``host``'s wall clock, as its logs would write it.

    ``"2013-03-30 19:36:46.531 CDT (UTC-05:00)"`` for a host with an IANA zone (its
    abbreviation and offset at that instant, so daylight saving time is followed),
    ``"2013-03-31 09:36:46.531 UTC+09:00"`` for a fixed offset, None when the host's zone is
    unknown (neither ``tz_iana`` nor ``utc_offset_min``). ``ts_utc`` is a time on the report's
    timeline (naive means UTC); a clock skew the analysis corrected is put back, so the result
    is what the host's log says. Milliseconds are truncated as in :func:`hbtriage.findings.iso`.
    """
    tz = _host_tz(host)
    if tz is None:
        return None
    local, zone = _local(ts_utc, tz, _skew(host))
    return f"{local:%Y-%m-%d} {_clock(local)} {zone}"


def local_span(
    start: datetime, end: datetime, host: HostInfo | None, *, with_date: bool = True
) -> str | None:
    """A window on ``host``'s wall clock: ``"2013-03-30 19:36:46.531 → 19:36:57.328 CDT
    (UTC-05:00)"`` (the end's date only when it is another day; the zone once, unless it
    changes inside the window, e.g. at a daylight-saving change). ``with_date=False`` leaves
    the date out when the window is within one local day (a table row under a header that
    gives it). None when the host's zone is unknown."""
    tz = _host_tz(host)
    if tz is None:
        return None
    a, zone_a = _local(start, tz, _skew(host))
    b, zone_b = _local(end, tz, _skew(host))
    same_day = b.date() == a.date()
    first = f"{a:%Y-%m-%d} {_clock(a)}" if with_date or not same_day else _clock(a)
    if start == end:
        return f"{first} {zone_a}"
    last = _clock(b) if same_day else f"{b:%Y-%m-%d} {_clock(b)}"
    if zone_a == zone_b:
        return f"{first} → {last} {zone_a}"
    return f"{first} {zone_a} → {last} {zone_b}"


def hosts_by_name(hosts: Iterable[HostInfo]) -> dict[str, HostInfo]:
    """The findings' hosts by name (signals and incidents name their host)."""
    return {h.name: h for h in hosts}


def incident_local_windows(
    incident: Incident, hosts: dict[str, HostInfo], lang: str
) -> list[tuple[str, str]]:
    """(host, its local window) for each host of ``incident``, in the incident's order; a host
    whose zone is unknown gets the words saying so (and how to fix it), never a made-up time."""
    return [
        (
            name,
            local_span(incident.start, incident.end, hosts.get(name)) or t("local_unknown", lang),
        )
        for name in incident.hosts
    ]
