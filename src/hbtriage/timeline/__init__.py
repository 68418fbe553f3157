"""One model of everything that was read: events, counters and streams on UTC, per host.

Readers give local times plus whatever they know of the zone. :func:`build` composes three
steps: who wrote each input (:mod:`hbtriage.hosts`), which zone each host's clock is in
(:mod:`.clocks`; hosts with none are listed in ``Timeline.unzoned`` for :mod:`hbtriage.api` to
infer from the peer), and every row on UTC in the timeline's frames (:mod:`.frames`), held in
the :class:`~.model.Timeline`.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Mapping, Sequence

import polars as pl

from hbtriage.counter_names import CounterIndex, default_index
from hbtriage.errors import UsageError
from hbtriage.findings import HostInfo, InputInfo
from hbtriage.hosts import Identity, clues_of, identify, remote_parts
from hbtriage.sources.base import ConfigFact, InputFile, ReadResult, column_bounds
from hbtriage.timeline.clocks import (
    MAX_OFFSET_MIN,
    HostZone,
    _restart_times,
    host_zones,
    parse_aliases,
    parse_tz_options,
    tz_conflicts,
    zone_label,
)
from hbtriage.timeline.frames import (
    _combine,
    _counter_part,
    _difference_cumulative,
    _event_part,
    _streams,
    compact,
    dpc_part,
    event_names,
)
from hbtriage.timeline.model import (
    CAT,
    COUNTERS_SCHEMA,
    EVENTS_SCHEMA,
    MAX_RUNS,
    UTC_TS,
    ZONE_ASSUMED,
    HostDpc,
    Timeline,
    runs,
)
from hbtriage.warning_text import warn
from hbtriage.zones import Zone


def build(
    items: list[tuple[InputFile, ReadResult]],
    *,
    tz: dict[str | None, Zone] | None = None,
    aliases: dict[str, str] | None = None,
    counter_index: CounterIndex | None = None,
    signatures: Sequence[str] = (),
) -> tuple[Timeline, list[InputInfo], list[HostInfo], list[str]]:
    """Assign hosts, resolve zones, convert to UTC; returns the timeline and what was read.
    ``signatures``: the ids the events' ``signature`` may take (the catalog's, which tags the
    timeline later): an enum of them, else a categorical.

    Takes ownership of the readers' frames: each ``ReadResult.events`` / ``.counters`` is set to
    None as soon as it is folded into the timeline, so the raw and the converted copy of a file
    are never both held for long (memory on large bundles)."""
    tz = tz or {}
    for _item, res in items:
        if res.events is not None and res.events.width:
            # The reader's chunks as they are: the steps below read a few columns' figures
            # (min, max, a sample), and the timeline keeps them (see frames._event_part).
            res.events = _clock_offsets(res.events)
    ident, assigned, host_tz = _who_wrote(items, tz, aliases)
    # Parts of a perfmon CSV of several machines that another machine collected: their times
    # are that machine's, in its header's zone, which says nothing of their own host's zone.
    remote = remote_parts([item for item, _res in items], [host for host, _why in ident.assigned])
    host_zone = host_zones(items, assigned, ident, tz, host_tz, remote)
    return _fold(
        items, assigned, ident, host_zone, counter_index or default_index(), signatures, remote
    )


def _clock_offsets(events: pl.DataFrame) -> pl.DataFrame:
    """``events`` with each UTC offset of a day or more (``+99:59``) taken as not written:
    no clock's (only that column is rebuilt, and only when there is such an offset)."""
    if "offset_min" not in events.columns:
        return events
    offset = events.get_column("offset_min")
    lo, hi = offset.min(), offset.max()
    if not (isinstance(lo, int) and isinstance(hi, int)) or (
        lo >= -MAX_OFFSET_MIN and hi <= MAX_OFFSET_MIN
    ):
        return events
    fixed = offset.set(~offset.is_between(-MAX_OFFSET_MIN, MAX_OFFSET_MIN).fill_null(True), None)  # type: ignore[arg-type]
    return pl.DataFrame([fixed if c.name == "offset_min" else c for c in events.get_columns()])


def _who_wrote(
    items: list[tuple[InputFile, ReadResult]],
    tz: dict[str | None, Zone],
    aliases: dict[str, str] | None,
) -> tuple[Identity, dict[int, tuple[str, str]], dict[str | None, Zone]]:
    """The host of every input, and ``--tz`` by host (UsageError for a host not found)."""
    ident = identify([clues_of(item, res) for item, res in items], aliases)
    assigned = dict(enumerate(ident.assigned))
    unknown = [f"--tz {name}" for name in tz if name is not None and not ident.host_for(name)]
    unknown += [
        f"--host-alias {name}={target}"
        for name, target in (aliases or {}).items()
        if not ident.host_for(target)
    ]
    if unknown:
        found = ", ".join(sorted(ident.hosts)) or warn("usage_hosts_none")
        raise UsageError(warn("usage_no_such_host", options=", ".join(unknown), hosts=found))
    host_tz = {ident.host_for(k): z for k, z in tz.items() if k is not None}
    return ident, assigned, host_tz


def _last_line(items: list[tuple[InputFile, ReadResult]]) -> int:
    """The largest line number of the files' rows (a negative one counts as too large: such
    rows keep the readers' 64-bit numbers, see ``frames.event_names``)."""
    last = 0
    for _item, res in items:
        if res.events is None or not res.events.height:
            continue
        lo, hi = column_bounds(res.events, "line")
        if isinstance(lo, int) and lo < 0:
            return 1 << 63
        if isinstance(hi, int):
            last = max(last, hi)
    return last


def _fold(
    items: list[tuple[InputFile, ReadResult]],
    assigned: dict[int, tuple[str, str]],
    ident: Identity,
    host_zone: dict[str, HostZone],
    index: CounterIndex,
    signatures: Sequence[str] = (),
    remote: Mapping[int, str | None] | None = None,
) -> tuple[Timeline, list[InputInfo], list[HostInfo], list[str]]:
    """Every input's rows on UTC, folded into the timeline, and what was read of each.
    ``remote``: inputs whose header's zone converts them whatever their host's zone, with
    the host whose clock stamped them when known (see :func:`hbtriage.hosts.remote_parts`)."""
    remote = remote or {}
    warnings: list[str] = list(ident.warnings)
    conflicts = tz_conflicts(items, assigned, ident, host_zone, remote)  # before the rows go
    warnings.extend(conflicts.warnings)

    def machine(name: str) -> str:
        return ident.host_for(name) or name

    ev_parts: list[pl.DataFrame] = []
    later: dict[str, Callable[[], pl.DataFrame]] = {}  # digests a reader gives on demand
    ct_parts: list[pl.DataFrame] = []
    stream_kinds: dict[tuple[str, str], str] = {}  # (host, stream) -> reader kind
    config: dict[str, list[ConfigFact]] = {}
    restarts: list[dict[str, object]] = []
    dpc: list[HostDpc] = []
    inputs: list[InputInfo] = []
    needs_zone_warning: set[str] = set()
    own_zone: dict[str, bool] = {}  # host -> every counter part came on UTC by its own zone
    clocks: dict[str, set[str]] = {}  # host -> the hosts whose clocks stamped its counters
    # Files per (host, stream): only a stream of several files can hold rotated copies, and only
    # then is the identity of each message (``_digest``) kept for _merge_rotated.
    files_per = Tally(
        (assigned[idx][0], res.stream or res.kind)
        for idx, (_item, res) in enumerate(items)
        if res.events is not None and res.events.height
    )
    names = event_names(
        [
            (assigned[idx][0], res.stream or res.kind, item.display)
            for idx, (item, res) in enumerate(items)
            if res.events is not None and res.events.height
        ],
        signatures,
        last_line=_last_line(items),
    )
    for idx, (item, res) in enumerate(items):
        host, reason = assigned[idx]
        info = InputInfo(
            path=item.display,
            kind=res.kind,
            encoding=res.encoding,
            host=host,
            host_reason=reason,
            stream=res.stream,
            note=res.note,
        )
        if res.events is not None:
            stream_kinds[(host, res.stream or res.kind)] = res.kind
        if res.events is not None and res.events.height:
            zlabel, zsource, iana, fixed = _events_zone(res, host, host_zone, remote.get(idx))
            src, res.events = res.events, None  # the timeline owns the rows now (see above)
            stated = src["offset_min"].null_count() < src.height
            stream = res.stream or res.kind
            if res.digests is not None:
                later[item.display] = res.digests
            ev = _event_part(
                src,
                host,
                stream,
                item.display,
                iana,
                fixed,
                digest=files_per[(host, stream)] > 1,
                later=res.digests is not None,
                names=names,
            )
            del src
            info.zone = zlabel if not stated else warn("zone_in_each_line")
            info.zone_source = zsource if not stated else "the file's own UTC offsets"
            if not stated and zsource.startswith("assumed"):
                needs_zone_warning.add(host)
            info.records = ev.height
            if ev.height:
                info.first, info.last = column_bounds(ev, "ts")
            ev_parts.append(ev)
            del ev  # _combine frees each part as it goes: no other reference
        if res.counters is not None and res.counters.height:

            def owner(name: str | None, host: str = host) -> str:
                return machine(name) if name else host  # rows naming none: the file's host

            if res.counters["host"].n_unique() > 1:
                named = res.counters["host"].cast(pl.Utf8).fill_null("")
                seen = named.unique(maintain_order=True).to_list()  # no Python inside polars
                rows = res.counters.with_columns(
                    named.replace_strict(seen, [owner(h) for h in seen], return_dtype=pl.Utf8)
                )
                del named
                groups = [(str(h[0]), p) for h, p in rows.group_by("host", maintain_order=True)]
                del rows
            else:  # one host (every perfmon export): no split, no copy
                groups = [(owner(res.counters["host"][0]), res.counters)]
            res.counters = None  # the timeline owns the rows now
            per_host = []
            while groups:
                hname, part = groups.pop(0)
                zlabel, zsource, iana, fixed = host_zone[hname]
                if res.kind != "perfmon_csv" and part["offset_min"].null_count() == 0:
                    # sadf -d, watch recordings: every row states its offset (UTC) and wins.
                    zlabel, zsource = (
                        res.zone or warn("zone_in_each_line"),
                        "the file's own UTC offsets",
                    )
                elif res.offset_min is not None and (
                    zsource != "--tz" or (idx, hname) in conflicts.headers_kept or idx in remote
                ):
                    iana = res.tz_iana
                    fixed = None if iana else res.offset_min
                    zlabel = zone_label(res.zone, res.offset_min, iana)
                    zsource = "perfmon header"
                per_host.append(_counter_part(part, hname, iana, fixed))
                clocks.setdefault(hname, set()).add(remote.get(idx) or hname)
                own = zsource in ("perfmon header", "the file's own UTC offsets")
                own_zone[hname] = own_zone.get(hname, True) and own
                del part
                info.zone, info.zone_source = zlabel, zsource
                if zsource.startswith("assumed"):
                    needs_zone_warning.add(hname)
            ct = pl.concat(per_host)
            info.records = ct.height
            info.first, info.last = ct["ts"].min(), ct["ts"].max()  # type: ignore[assignment]
            ct_parts.append(ct)
            del ct, per_host
        if res.config:
            config.setdefault(host, []).extend(res.config)
            info.records = len(res.config)
        found = res.restarts
        if found:
            _zl, _zs, iana, fixed = host_zone[host]
            for r, ts in zip(found, _restart_times(found, iana, fixed), strict=True):
                restarts.append({**r, "ts": ts, "host": host, "source": item.display})
        if res.dpc is not None:
            _zl, _zs, iana, fixed = host_zone[host]
            dpc.append(dpc_part(res.dpc, host, item.display, res.kind, iana, fixed))
            info.records = info.records or len(res.dpc.modules)
        inputs.append(info)
        warnings.extend(res.warnings)
    events = _combine(ev_parts, later)  # consumes ev_parts
    counters = _difference_cumulative(ct_parts, index)  # consumes ct_parts
    streams = _streams(events, stream_kinds)
    hosts = _host_infos(ident, host_zone, inputs, streams, counters)
    tl = Timeline(
        events,
        counters,
        streams,
        config,
        restarts,
        sorted(needs_zone_warning),
        dpc=dpc,
        zoned_counters=frozenset(h for h, own in own_zone.items() if own),
        counter_clock={h: c for h, (c, *more) in clocks.items() if c != h and not more},
    )
    return tl, inputs, hosts, _one_line_each(warnings, {items[i][0].display for i in ident.aside})


def _events_zone(
    res: ReadResult, host: str, host_zone: dict[str, HostZone], exporter: str | None
) -> HostZone:
    """The zone the times of ``res``'s events (of ``host``) are written in: the host's own,
    but for one computer's part of an event log export of several computers that another
    host exported (``exporter``, see :func:`hbtriage.hosts.remote_parts`): that host's, as
    Export-Csv and Event Viewer write every time in the exporting machine's zone. Only when
    both zones are known: a zone inferred later for a host moves all its rows by its own."""
    own = host_zone[host]
    if res.kind != "eventlog" or exporter is None or exporter not in host_zone:
        return own
    theirs = host_zone[exporter]
    if ZONE_ASSUMED in (own.source, theirs.source):
        return own
    return HostZone(theirs.label, warn("zone_source_exporter", host=exporter), *theirs[2:])


def _one_line_each(warnings: list[str], displays: set[str]) -> list[str]:
    """``warnings`` with those of each file in ``displays`` (another capture) joined into its
    first line: a file that is not the servers' gets one line, not one per thing said of it
    (each part worded in the report's language)."""
    from hbtriage.warning_text import one_line_per_path

    return one_line_per_path(warnings, displays)


def _host_infos(
    ident: Identity,
    host_zone: dict[str, HostZone],
    inputs: list[InputInfo],
    streams: pl.DataFrame,
    counters: pl.DataFrame,
) -> list[HostInfo]:
    """Each host's figures; ``streams``: the events' (a row per host and stream that has
    any: the hosts with logs, without a pass over the events)."""
    out = []
    perf_hosts = set(counters["host"].unique().to_list()) if counters.height else set()
    log_hosts = set(streams["host"].to_list())
    for host in sorted(ident.hosts):
        mine = [i for i in inputs if i.host == host]
        firsts = [i.first for i in mine if i.first is not None]
        lasts = [i.last for i in mine if i.last is not None]
        out.append(
            HostInfo(
                name=host,
                zone=host_zone[host][0],
                zone_source=host_zone[host][1],
                inputs=len(mine),
                has_perfmon=host in perf_hosts,
                has_logs=host in log_hosts,
                first=min(firsts) if firsts else None,
                last=max(lasts) if lasts else None,
                aliases=list(ident.hosts[host].aliases),
                addresses=list(ident.hosts[host].addresses),
                tz_iana=host_zone[host][2],
                utc_offset_min=host_zone[host][3] if host_zone[host][1] != ZONE_ASSUMED else None,
            )
        )
    return out


__all__ = [
    "CAT",
    "COUNTERS_SCHEMA",
    "EVENTS_SCHEMA",
    "MAX_RUNS",
    "UTC_TS",
    "ZONE_ASSUMED",
    "HostDpc",
    "HostZone",
    "Timeline",
    "build",
    "compact",
    "parse_aliases",
    "parse_tz_options",
    "runs",
    "zone_label",
]
