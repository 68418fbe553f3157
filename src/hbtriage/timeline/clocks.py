"""Clocks: which zone each host's local times are in, and putting local times on UTC.

A host's zone is, in order: ``--tz``; the zone in its perfmon header; the UTC offsets written in
its logs; the Windows zone its ``systeminfo`` names (by its display name, in any language the
catalog knows, with its daylight-saving rules); else UTC, marked :data:`ZONE_ASSUMED`
(``hbtriage.api`` then infers it from the peer).

What a file states about its own times is kept over the host's zone, ``--tz`` included: a line's
written UTC offset converts that line, a perfmon header converts its file (``--tz`` applies to a
perfmon only when it gives the header's offset at the first sample: it then adds its DST rules).
Where ``--tz`` contradicts them, :func:`tz_conflicts` says so in one warning per host.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime, timedelta
from typing import NamedTuple

import polars as pl

from hbtriage.errors import UsageError
from hbtriage.host_facts import ZONE_SYSTEMINFO, display_zone, offsets_with_standard
from hbtriage.hosts import Identity
from hbtriage.sources.base import InputFile, ReadResult, column_bounds
from hbtriage.sources.systeminfo import zone_offset
from hbtriage.timeline.model import (
    ZONE_ASSUMED,
    HostDpc,
    Timeline,
    chunk_lengths,
    put_column,
    runs,
)
from hbtriage.warning_text import Joined, warn
from hbtriage.zones import Zone, _offsets_at_local, fmt_offset, parse_zone_text, zone_label


class HostZone(NamedTuple):
    """One host's zone: how it is shown, where it came from, and how times convert."""

    label: str | None
    source: str
    iana: str | None  # IANA zone with its DST rules, when known
    fixed: int | None  # else a fixed offset, minutes east of UTC


def parse_tz_options(options: list[str]) -> dict[str | None, Zone]:
    """``["HOST=zone", "zone"]`` -> {"HOST": Zone, None: default Zone}. A zone is what an admin
    writes: an IANA name, a Windows zone name (standard or daylight, English or localized) or
    a fixed offset (``UTC-05:00``, ``+09:00``)."""
    out: dict[str | None, Zone] = {}
    for opt in options:
        host, sep, zone = opt.partition("=")
        key: str | None = host.strip() if sep else None
        text = (zone if sep else host).strip()
        if sep and not key:
            raise UsageError(warn("usage_tz_empty_host", opt=opt))
        try:
            out[key] = parse_zone_text(text)
        except ValueError as exc:
            raise UsageError(warn("usage_tz_bad", opt=opt, reason=exc.args[0])) from None
    return out


def parse_aliases(options: list[str]) -> dict[str, str]:
    """``["CVP1-OLD=CVP1"]`` -> {"CVP1-OLD": "CVP1"} (upper-cased keys)."""
    out: dict[str, str] = {}
    for opt in options:
        a, sep, b = opt.partition("=")
        if not sep or not a.strip() or not b.strip():
            raise UsageError(warn("usage_alias_bad", opt=opt))
        out[a.strip().upper()] = b.strip()
    return out


def host_zones(
    items: list[tuple[InputFile, ReadResult]],
    assigned: dict[int, tuple[str, str]],
    ident: Identity,
    tz: dict[str | None, Zone],
    host_tz: dict[str | None, Zone],
    remote: Collection[int] = frozenset(),
) -> dict[str, HostZone]:
    """The zone of every host of ``ident`` (see the module doc). The perfmon header of an
    input in ``remote`` (another machine collected its counters) is no clue."""

    def machine(name: str) -> str:
        return ident.host_for(name) or name

    host_zone: dict[str, HostZone] = {}
    perf_offsets: dict[str, tuple[int, str | None, str | None]] = {}
    log_offsets: dict[str, Tally[int]] = {}
    named: dict[str, tuple[str, str]] = {}  # host -> (systeminfo's zone as written, IANA)
    unplaced: dict[str, str] = {}  # host -> a systeminfo zone name no catalog entry matches
    years: dict[str, set[int]] = {}  # host -> the years its records' local times fall in
    for idx, (_item, res) in enumerate(items):
        host = assigned[idx][0]
        for fact in res.config or ():
            if fact.key == "time_zone" and host not in named:
                iana = display_zone(fact.value)
                if iana is not None:
                    named[host] = (fact.value, iana)
                else:
                    unplaced.setdefault(host, fact.value)
        if res.events is not None and res.events.height:
            low, high = column_bounds(res.events, "ts_local")
            if isinstance(low, datetime) and isinstance(high, datetime):
                years.setdefault(host, set()).update(range(low.year, high.year + 1))
        has_counters = res.counters is not None and res.counters.height > 0
        if (
            res.offset_min is not None
            and res.kind == "perfmon_csv"
            and has_counters
            and idx not in remote
        ):
            assert res.counters is not None
            iana = res.tz_iana
            for h in res.counters["host"].unique().to_list():
                perf_offsets.setdefault(machine(h), (res.offset_min, res.zone, iana))
        if res.events is not None and res.events.height:
            offs = res.events["offset_min"]
            if offs.len() > offs.null_count():
                offs = offs.drop_nulls()
                # Every n-th offset, about 500 of them (not the whole column as a list).
                log_offsets.setdefault(host, Tally()).update(
                    offs.gather_every(max(1, offs.len() // 500)).to_list()
                )
    for host in sorted(ident.hosts):
        zone = host_tz.get(host) or tz.get(None)
        if zone:
            host_zone[host] = HostZone(zone.label, "--tz", zone.iana, zone.fixed_min)
        elif host in perf_offsets:
            off, label, iana = perf_offsets[host]
            shown = zone_label(label, off, iana)
            host_zone[host] = HostZone(shown, "perfmon header", iana, None if iana else off)
        elif host in log_offsets:
            off = log_offsets[host].most_common(1)[0][0]
            host_zone[host] = HostZone(
                f"UTC{fmt_offset(off)}", "offsets written in its logs", None, off
            )
        elif host in named:
            written, iana = named[host]
            host_zone[host] = HostZone(f"{written} ({iana})", ZONE_SYSTEMINFO, iana, None)
        elif host in unplaced and (fixed := _no_dst_offset(unplaced[host], years.get(host))):
            written = unplaced[host]
            shown = f"{written} (UTC{fmt_offset(fixed)})"
            host_zone[host] = HostZone(shown, ZONE_SYSTEMINFO, None, fixed)
        else:
            host_zone[host] = HostZone("UTC", ZONE_ASSUMED, None, 0)
    return host_zone


def _no_dst_offset(stated: str, years: set[int] | None) -> int | None:
    """The UTC offset of a systeminfo zone name whose cities no catalog entry matches (Japanese,
    Chinese, Korean Windows: "(UTC+09:00) 大阪、札幌、東京") when its offset alone settles it:
    every Windows zone of that standard offset keeps it all year in each of the ``years`` the
    host's records fall in. None when some of them change for daylight saving, or the name
    gives no offset."""
    std = zone_offset(stated)
    if std is None or not years or len(years) > 3:
        return None
    for year in sorted(years):
        for month in (1, 7):
            if offsets_with_standard(std, datetime(year, month, 15, 12)) != {std}:
                return None
    return std


class TzConflicts(NamedTuple):
    """Where ``--tz`` contradicts what a host's files state (see :func:`tz_conflicts`)."""

    warnings: list[str]  # one per host
    headers_kept: set[tuple[int, str]]  # (input index, host): its perfmon header is kept


def tz_conflicts(
    items: list[tuple[InputFile, ReadResult]],
    assigned: dict[int, tuple[str, str]],
    ident: Identity,
    host_zone: dict[str, HostZone],
    remote: Collection[int] = frozenset(),
) -> TzConflicts:
    """The hosts whose ``--tz`` gives another UTC offset than their files state: a perfmon
    header's offset at its first sample, or the offsets written in log lines. Those files keep
    their own times (they are what the host wrote); ``--tz`` still converts the times written
    without a zone. Each such host gets one warning naming the ``--tz``, what the files state
    and which files took the ``--tz``. Called before the rows are folded (it reads them)."""
    given = {h: z for h, z in host_zone.items() if z.source == "--tz"}
    if not given:
        return TzConflicts([], set())
    stated: dict[str, dict[str, list[str]]] = {}  # host -> what is stated -> files
    took_tz: dict[str, list[str]] = {}
    kept: set[tuple[int, str]] = set()
    for idx, (item, res) in enumerate(items):
        host = assigned[idx][0]
        if (
            res.counters is not None
            and res.counters.height
            and res.kind == "perfmon_csv"
            and idx not in remote  # another machine's clock: its header always converts it
        ):
            named = res.counters["host"].unique().to_list()
            owners = {(ident.host_for(h) or h) if h else host for h in named}
            for owner in sorted(owners & given.keys()):
                if res.offset_min is None:
                    took_tz.setdefault(owner, []).append(item.display)
                    continue
                first = res.counters["ts_local"].min()
                zone = given[owner]
                if isinstance(first, datetime) and not _fits(zone, res.offset_min, first):
                    kept.add((idx, owner))
                    label = zone_label(res.zone, res.offset_min, res.tz_iana)
                    what = warn("tz_stated_header", zone=label)
                    stated.setdefault(owner, {}).setdefault(what, []).append(item.display)
        if host not in given or res.events is None or not res.events.height:
            continue
        offs = res.events.get_column("offset_min")
        if offs.null_count():
            took_tz.setdefault(host, []).append(item.display)
        if offs.null_count() == offs.len():
            continue
        sample = _offset_sample(_stated(res.events))
        wrong = sorted(
            {
                off
                for local, off in sample.iter_rows()
                if isinstance(local, datetime) and not _fits(given[host], off, local)
            }
        )
        if wrong:
            shown = ", ".join(fmt_offset(o) for o in wrong)
            what = warn(
                "tz_stated_offsets" if len(wrong) > 1 else "tz_stated_offset", offsets=shown
            )
            stated.setdefault(host, {}).setdefault(what, []).append(item.display)
    warnings: list[str] = []
    for host, whats in sorted(stated.items()):
        said = Joined(warn("tz_stated", files=_names(fs), what=w) for w, fs in whats.items())
        rest = took_tz.get(host)
        head = {"host": host, "zone": given[host].label, "stated": said}
        warnings.append(
            warn("tz_conflict", **head, files=_names(rest))
            if rest
            else warn("tz_conflict_unused", **head)
        )
    return TzConflicts(warnings, kept)


#: The largest UTC offset a clock can have, in minutes: an offset of a day or more (a line
#: written ``+99:59``) is no clock's and taken as not written (the timeline, and here).
MAX_OFFSET_MIN = 24 * 60 - 1


def written_offsets(samples: dict[str, list[tuple[datetime, int]]]) -> dict[str, list[int]]:
    """The UTC offsets written in each log's lines, by the input's display path, from what
    :func:`written_samples` kept of them; a log that writes none is absent. Those lines keep
    the times they state whatever the host's zone, ``--tz`` included (``hbtriage.api`` names no
    ``--tz`` that cannot move them)."""
    return {path: sorted({off for _ts, off in rows}) for path, rows in samples.items()}


def written_samples(
    items: list[tuple[InputFile, ReadResult]],
) -> dict[str, list[tuple[datetime, int]]]:
    """What each log that writes UTC offsets in its lines tells of its server's zone, by the
    input's display path: ``(UTC instant, offset)`` of about 500 of its lines, and, where the
    offset changes, of the last line before and the first line after each change (a
    daylight-saving change its server followed, to the line: see
    :func:`hbtriage.zones.fitting_zones`). Offsets of a day or more are no clock's and left
    out, as the timeline does. Called before the timeline takes the rows."""
    out: dict[str, list[tuple[datetime, int]]] = {}
    for item, res in items:
        events = res.events
        if events is None or not events.height or "offset_min" not in events.columns:
            continue
        offs = events.get_column("offset_min")
        if offs.null_count() == offs.len():
            continue
        # The two columns taken out first: an expression on the reader's frame, whose columns
        # are chunked differently (the message text is in one chunk, see frames._sparse_text),
        # copies every column into one chunk first (four times the time of the rest here).
        stated = _stated(events)
        rows = [_offset_sample(stated)]
        if offs.min() != offs.max():  # changes: the lines on both sides of each
            stated = stated.drop_nulls()
            moved = stated.get_column("offset_min").diff().fill_null(0) != 0
            rows.append(stated.filter(moved | moved.shift(-1).fill_null(False)).head(400))
            del stated
        seen = {
            (local - timedelta(minutes=off), off)
            for local, off in pl.concat(rows).iter_rows()
            if isinstance(local, datetime) and abs(off) <= MAX_OFFSET_MIN
        }
        if seen:
            out[item.display] = sorted(seen)
    return out


def _stated(events: pl.DataFrame) -> pl.DataFrame:
    """``events.select("ts_local", "offset_min")`` built from the two columns alone, each as it
    is when their chunks line up, else in one chunk (only these two are copied then)."""
    cols = [events.get_column("ts_local"), events.get_column("offset_min")]
    if chunk_lengths(cols[0]) != chunk_lengths(cols[1]):
        cols = [c.rechunk() for c in cols]
    return pl.DataFrame(cols)


def _offset_sample(stated: pl.DataFrame) -> pl.DataFrame:
    """About 500 rows of ``stated`` (a log's ``ts_local`` and ``offset_min``, see
    :func:`_stated`) that write a UTC offset."""
    sample = stated.gather_every(max(1, stated.height // 500)).drop_nulls()
    if not sample.height:  # offsets written on few lines: take those
        sample = stated.drop_nulls().head(500)
    return sample


def _fits(zone: HostZone, offset_min: int, local: datetime) -> bool:
    """Whether ``zone`` has the UTC offset ``offset_min`` at the naive wall time ``local``."""
    if zone.iana:
        return offset_min in _offsets_at_local(zone.iana, local)
    return offset_min == zone.fixed


def _names(files: list[str], most: int = 3) -> str:
    shown = ", ".join(files[:most])
    if len(files) > most:
        return warn("names_and_more", names=shown, count=len(files) - most)
    return shown


def zone_source_text(source: str) -> str:
    """A host's ``zone_source`` worded by id where it is one of the fixed ones (``--tz`` and an
    inferred zone's, worded already, are as they are)."""
    if source == "perfmon header":
        return warn("zone_source_perfmon")
    if source == "offsets written in its logs":
        return warn("zone_source_logs")
    if source == "the file's own UTC offsets":
        return warn("zone_source_own_offsets")
    if source == ZONE_ASSUMED:
        return warn("zone_source_assumed")
    if source == ZONE_SYSTEMINFO:
        return warn("zone_source_systeminfo")
    return source


def _to_utc(df: pl.DataFrame, iana: str | None, fixed: int | None) -> pl.DataFrame:
    """Local naive ``ts_local`` (+ optional per-row ``offset_min``) -> ``ts`` in UTC."""
    # Nanosecond times (every reader's) are moved on the integers under them, in microseconds
    # (as the times less a duration are): floored by a division, a third of the time of
    # polars' cast_time_unit, which floors them too.
    micros = pl.col("ts_local").to_physical() // 1000
    if iana:
        by_zone = _zone_to_utc(df, iana)
    elif df.schema.get("ts_local") == pl.Datetime("ns") and abs(fixed or 0) < _SAFE_MIN:
        by_zone = (micros - (fixed or 0) * _US_PER_MIN).cast(pl.Datetime("us", "UTC"))
    else:
        by_zone = (pl.col("ts_local") - pl.duration(minutes=fixed or 0)).dt.replace_time_zone("UTC")
    if _minutes_to_move(df):
        # As below, on the integers under the times: no column of durations made first
        # (half the time).
        moved = micros - pl.col("offset_min").cast(pl.Int64) * _US_PER_MIN
        stated = moved.cast(pl.Datetime("us", "UTC"))
    else:
        stated = (
            pl.col("ts_local") - pl.duration(minutes=pl.col("offset_min"))
        ).dt.replace_time_zone("UTC")
    # Rows whose offset is written take it, the others the host's zone; a column that is all
    # one or the other (most files) computes only that one.
    nulls = df["offset_min"].null_count() if "offset_min" in df.columns else df.height
    if nulls == df.height:
        expr = by_zone
    elif nulls == 0:
        expr = stated
    else:
        expr = pl.when(pl.col("offset_min").is_not_null()).then(stated).otherwise(by_zone)
    return df.with_columns(expr.dt.cast_time_unit("ns").alias("ts"))


#: Microseconds in a minute.
_US_PER_MIN = 60_000_000
#: Offsets (minutes) below this size are moved on the integers under the times (see
#: :func:`_to_utc`): far inside 64 bits, as through durations.
_SAFE_MIN = 10**8


def _minutes_to_move(df: pl.DataFrame) -> bool:
    """Whether ``df`` holds naive local times in nanoseconds (every reader's) and integer
    offsets below :data:`_SAFE_MIN` minutes."""
    if df.schema.get("ts_local") != pl.Datetime("ns") or "offset_min" not in df.columns:
        return False
    offsets = df.get_column("offset_min")
    if not offsets.dtype.is_integer():
        return False
    lo, hi = offsets.min(), offsets.max()
    if not (isinstance(lo, int) and isinstance(hi, int)):
        return lo is None  # every offset null
    return lo > -_SAFE_MIN and hi < _SAFE_MIN


def _zone_to_utc(df: pl.DataFrame, iana: str) -> pl.Expr:
    """Local wall-clock ``ts_local`` in ``iana`` -> UTC, across DST changes.

    The repeated hour when clocks fall back is told apart by file order: a record whose local
    time is 10 min or more behind an earlier record of the same series (same day) is in the second
    pass, and so is every ambiguous record after it. A time in the spring-forward gap (a clock
    that had not changed yet) is read with the offset from before the gap.
    """
    local = pl.col("ts_local")
    earliest = local.dt.replace_time_zone(iana, ambiguous="earliest", non_existent="null")
    latest = local.dt.replace_time_zone(iana, ambiguous="latest", non_existent="null")
    ambiguous = earliest != latest
    keys: list[pl.Expr] = [local.dt.date()]
    keys += [pl.col(c) for c in ("host", "object", "instance", "counter") if c in df.columns]
    behind = (local.cum_max().shift(1).over(keys) - local) >= pl.duration(minutes=10)
    second = (ambiguous & behind).fill_null(False).cast(pl.Int32).cum_sum().over(keys) > 0
    in_gap = (
        (local - pl.duration(hours=1))
        .dt.replace_time_zone(iana, ambiguous="earliest", non_existent="null")
        .dt.offset_by("1h")
    )
    chosen = pl.when(ambiguous & second).then(latest).otherwise(earliest)
    return pl.coalesce(chosen, in_gap).dt.convert_time_zone("UTC")


def _restart_times(
    found: list[dict[str, object]], iana: str | None, fixed: int | None
) -> list[datetime | None]:
    """UTC time of each restart a reader listed (``ts_local`` ISO text or naive datetime, plus
    an optional ``offset_min``), converted exactly like the events of its host."""
    local = [r.get("ts_local") for r in found]
    frame = pl.DataFrame(
        {
            "ts_local": [v if isinstance(v, str) else None for v in local],
            "offset_min": [o if isinstance(o := r.get("offset_min"), int) else None for r in found],
        },
        schema={"ts_local": pl.Utf8(), "offset_min": pl.Int32()},
    ).with_columns(pl.col("ts_local").str.strptime(pl.Datetime("ns"), strict=False))
    naive = pl.Series(
        [v if isinstance(v, datetime) else None for v in local], dtype=pl.Datetime("ns")
    )
    frame = frame.with_columns(pl.coalesce(pl.col("ts_local"), naive).alias("ts_local"))
    out: list[datetime | None] = _to_utc(frame, iana, fixed)["ts"].to_list()
    return [
        given if isinstance(given := r.get("ts"), datetime) else ts
        for r, ts in zip(found, out, strict=True)
    ]


def local_to_utc(times: list[datetime | None], iana: str) -> list[datetime | None]:
    """Wall-clock ``times`` in ``iana`` on UTC, as :func:`_to_utc` converts a host's rows. A
    time with a zone (a local time the timeline took as UTC while the host's zone was not
    known) is read by its wall clock."""
    frame = pl.DataFrame(
        {
            "ts_local": [t.replace(tzinfo=None) if t is not None else None for t in times],
            "offset_min": [None] * len(times),
        },
        schema={"ts_local": pl.Datetime("ns"), "offset_min": pl.Int32()},
    )
    out: list[datetime | None] = _to_utc(frame, iana, None)["ts"].to_list()
    return out


def rezone_host(timeline: Timeline, host: str, iana: str) -> Timeline:
    """``timeline`` with ``host``'s times, its wall clock taken as UTC while its zone was not
    known (:data:`ZONE_ASSUMED`), put on UTC in ``iana``: every row :meth:`Timeline.shift_host`
    moves, by the conversion a host whose zone is known gets at build (:func:`_to_utc`). Its
    log lines are converted file by file in line order, so the hour repeated when clocks fall
    back is told apart as at build, and re-sorted where that reorders them; its counters are
    in time order already (the second pass of that hour cannot be told apart any more: the
    samples were sorted on their wall clock)."""
    events = _rezone_rows(
        timeline.events,
        host,
        lambda part: _events_to_utc(part, iana),
        ["stream"],
        ["source", "line"],
    )
    counters = timeline.counters
    if host not in timeline.zoned_counters:
        counters = _rezone_counters(counters, host, iana)
    spans = {
        (str(h), str(s)): (lo, hi)
        for h, s, lo, hi in events.filter(pl.col("host") == host)
        .group_by("host", "stream")
        .agg(pl.col("ts").min(), pl.col("ts").max().alias("hi"))
        .iter_rows()
    }
    rows = [
        {**r, "first": spans[key][0], "last": spans[key][1]}
        if (key := (str(r["host"]), str(r["stream"]))) in spans
        else r
        for r in timeline.streams.iter_rows(named=True)
    ]
    streams = pl.DataFrame(rows, schema=timeline.streams.schema)
    restarts = list(timeline.restarts)
    mine = [
        (i, ts)
        for i, r in enumerate(restarts)
        if r.get("host") == host and isinstance(ts := r.get("ts"), datetime)
    ]
    for (i, _), ts in zip(mine, local_to_utc([t for _, t in mine], iana), strict=True):
        restarts[i] = {**restarts[i], "ts": ts}
    dpc = [_rezone_dpc(d, iana) if d.host == host else d for d in timeline.dpc]
    return replace(
        timeline, events=events, counters=counters, streams=streams, restarts=restarts, dpc=dpc
    )


def _rezone_counters(counters: pl.DataFrame, host: str, iana: str) -> pl.DataFrame:
    """``host``'s counters, taken as UTC so far, put on UTC in ``iana`` (see :func:`rezone_host`)."""
    return _rezone_rows(
        counters,
        host,
        lambda part: _to_utc(
            part.select(
                pl.col("ts").dt.replace_time_zone(None).alias("ts_local"),
                pl.lit(None, pl.Int32).alias("offset_min"),
                "host",
                "object",
                "instance",
                "counter",
            ),
            iana,
            None,
        )["ts"],
        ["object", "instance", "counter"],
        [],
    )


def _events_to_utc(part: pl.DataFrame, iana: str) -> pl.Series:
    """The UTC times of one host's log lines (``ts``: wall clock taken as UTC), each file
    converted on its own in line order (as :func:`hbtriage.timeline.frames._event_part` does)."""
    local = part.select(
        pl.int_range(part.height, dtype=pl.UInt32).alias("_i"),
        pl.col("ts").dt.replace_time_zone(None).alias("ts_local"),
        pl.lit(None, pl.Int32).alias("offset_min"),
        pl.col("source").cast(pl.Utf8),
        "line",
    ).sort(["source", "line"], maintain_order=True)
    files = [
        _to_utc(f.select("_i", "ts_local", "offset_min"), iana, None).select("_i", "ts")
        for f in local.partition_by("source", maintain_order=True)
    ]
    return pl.concat(files).sort("_i").get_column("ts")


def _rezone_rows(
    frame: pl.DataFrame,
    host: str,
    convert: Callable[[pl.DataFrame], pl.Series],
    groups: list[str],
    ties: list[str],
) -> pl.DataFrame:
    """``frame`` with the ``ts`` of ``host``'s rows replaced by ``convert`` of them; those rows
    re-sorted by ``groups``, ``ts``, ``ties`` where the new times go back within a group (the
    timeline's order), the others left as they are."""
    if frame.is_empty():
        return frame
    spans = runs(frame, ["host"])
    names = frame.get_column("host")
    if spans is None:  # not in one stretch per host: take the rows apart, and sort them all
        mine = names == host
        part = frame.filter(mine)
        part = put_column(part, convert(part).alias("ts"))
        return pl.concat([frame.filter(~mine), part]).sort(["host", *groups, "ts", *ties])
    pieces = []
    for offset, length in spans:
        piece = frame.slice(offset, length)
        if names[offset] == host:
            piece = put_column(piece, convert(piece).alias("ts"))
            back = piece.select(
                (
                    (pl.col("ts").to_physical().diff() < 0)
                    & pl.all_horizontal(pl.col(g) == pl.col(g).shift(1) for g in groups)
                ).any()
            ).item()
            if back:
                piece = piece.sort([*groups, "ts", *ties], maintain_order=True)
        pieces.append(piece)
    return pl.concat(pieces, rechunk=False)


def _rezone_dpc(report: HostDpc, iana: str) -> HostDpc:
    """A DPC/ISR report of a host whose zone became known, on UTC in ``iana``."""
    rows = report.rows
    if rows is not None and rows.height:
        local = rows.select(
            pl.col("ts").dt.replace_time_zone(None).alias("ts_local"),
            pl.lit(None, pl.Int32).alias("offset_min"),
        )
        rows = put_column(rows, _to_utc(local, iana, None)["ts"])
    start, end = local_to_utc([report.start, report.end], iana)
    return replace(report, rows=rows, start=start, end=end)


#: A host's logs hold a stretch of at least this long with no line at all, and at least
#: :data:`UNRECORDED_CADENCES` times their usual spacing, where their lines before and after
#: it say they were being written: that stretch of its logs is not in the bundle (cut out, a
#: rolled file not collected). A stall before a disconnect silences a log for seconds.
UNRECORDED_S = 120.0
UNRECORDED_CADENCES = 20.0


def unrecorded(timeline: Timeline, host: str, at: datetime) -> bool:
    """Whether ``host``'s logs miss the stretch around ``at`` (UTC): they hold lines before
    and after it, none within a hole :data:`UNRECORDED_S` long and :data:`UNRECORDED_CADENCES`
    times their most frequent cadence. A disconnect its peer logged then may simply be
    missing from them; it need not be on another clock. False when ``at`` lies outside their
    span (nothing says they were being written then)."""
    ts = timeline.events.filter(pl.col("host") == host).get_column("ts")
    if ts.is_empty():
        return False
    before, after = ts.filter(ts <= at).max(), ts.filter(ts >= at).min()
    if not isinstance(before, datetime) or not isinstance(after, datetime):
        return False
    cadence = (
        timeline.streams.filter(pl.col("host") == host).get_column("cadence_s").drop_nulls().min()
    )
    spacing = float(cadence) if isinstance(cadence, int | float) else 0.0
    hole = max(UNRECORDED_S, UNRECORDED_CADENCES * spacing)
    return (after - before).total_seconds() >= hole
