"""Clocks: which zone each host's local times are in, and putting local times on UTC.

A host's zone is, in order: ``--tz``; the zone in its perfmon header; the UTC offsets written in
its logs; else UTC, marked :data:`ZONE_ASSUMED` (``hbtriage.api`` then infers it from the peer).

What a file states about its own times is kept over the host's zone, ``--tz`` included: a line's
written UTC offset converts that line, a perfmon header converts its file (``--tz`` applies to a
perfmon only when it gives the header's offset at the first sample: it then adds its DST rules).
Where ``--tz`` contradicts them, :func:`tz_conflicts` says so in one warning per host.
"""

from __future__ import annotations

from collections import Counter as Tally
from datetime import datetime
from typing import NamedTuple

import polars as pl

from hbtriage.errors import UsageError
from hbtriage.hosts import Identity
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.timeline.model import ZONE_ASSUMED
from hbtriage.zones import Zone, _offsets_at_local, fmt_offset, parse_zone_text


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
            raise UsageError(f"--tz {opt}: expected HOST=ZONE or ZONE, got an empty host name")
        try:
            out[key] = parse_zone_text(text)
        except ValueError as exc:
            raise UsageError(f"--tz {opt}: {exc}") from None
    return out


def parse_aliases(options: list[str]) -> dict[str, str]:
    """``["CVP1-OLD=CVP1"]`` -> {"CVP1-OLD": "CVP1"} (upper-cased keys)."""
    out: dict[str, str] = {}
    for opt in options:
        a, sep, b = opt.partition("=")
        if not sep or not a.strip() or not b.strip():
            raise UsageError(f"--host-alias {opt}: expected NAME=CANONICAL_NAME")
        out[a.strip().upper()] = b.strip()
    return out


def host_zones(
    items: list[tuple[InputFile, ReadResult]],
    assigned: dict[int, tuple[str, str]],
    ident: Identity,
    tz: dict[str | None, Zone],
    host_tz: dict[str | None, Zone],
) -> dict[str, HostZone]:
    """The zone of every host of ``ident`` (see the module doc)."""

    def machine(name: str) -> str:
        return ident.host_for(name) or name

    host_zone: dict[str, HostZone] = {}
    perf_offsets: dict[str, tuple[int, str | None, str | None]] = {}
    log_offsets: dict[str, Tally[int]] = {}
    for idx, (_item, res) in enumerate(items):
        host = assigned[idx][0]
        has_counters = res.counters is not None and res.counters.height > 0
        if res.offset_min is not None and res.kind == "perfmon_csv" and has_counters:
            assert res.counters is not None
            iana = res.tz_iana
            for h in res.counters["host"].unique().to_list():
                perf_offsets.setdefault(machine(h), (res.offset_min, res.zone, iana))
        if res.events is not None and res.events.height:
            offs = res.events["offset_min"].drop_nulls()
            if offs.len():
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
        else:
            host_zone[host] = HostZone("UTC", ZONE_ASSUMED, None, 0)
    return host_zone


class TzConflicts(NamedTuple):
    """Where ``--tz`` contradicts what a host's files state (see :func:`tz_conflicts`)."""

    warnings: list[str]  # one per host
    headers_kept: set[tuple[int, str]]  # (input index, host): its perfmon header is kept


def tz_conflicts(
    items: list[tuple[InputFile, ReadResult]],
    assigned: dict[int, tuple[str, str]],
    ident: Identity,
    host_zone: dict[str, HostZone],
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
        if res.counters is not None and res.counters.height and res.kind == "perfmon_csv":
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
                    what = "perfmon header " + zone_label(res.zone, res.offset_min, res.tz_iana)
                    stated.setdefault(owner, {}).setdefault(what, []).append(item.display)
        if host not in given or res.events is None or not res.events.height:
            continue
        offs = res.events.get_column("offset_min")
        if offs.null_count():
            took_tz.setdefault(host, []).append(item.display)
        if offs.null_count() == offs.len():
            continue
        sample = _offset_sample(res.events)
        wrong = sorted(
            {
                off
                for local, off in sample.iter_rows()
                if isinstance(local, datetime) and not _fits(given[host], off, local)
            }
        )
        if wrong:
            what = "UTC offset" + ("s " if len(wrong) > 1 else " ")
            what += ", ".join(fmt_offset(o) for o in wrong) + " written in the lines"
            stated.setdefault(host, {}).setdefault(what, []).append(item.display)
    warnings = []
    for host, whats in sorted(stated.items()):
        said = "; ".join(f"{_names(files)}: {what}" for what, files in whats.items())
        rest = took_tz.get(host)
        warnings.append(
            f"host {host}: --tz gives {given[host].label}, but its files state their own zone"
            f" ({said}): they keep the times they state; --tz converts only times written"
            " without a zone"
            + (f" ({_names(rest)})" if rest else ", in none of its logs or perfmon")
        )
    return TzConflicts(warnings, kept)


#: The largest UTC offset a clock can have, in minutes: an offset of a day or more (a line
#: written ``+99:59``) is no clock's and taken as not written (the timeline, and here).
MAX_OFFSET_MIN = 24 * 60 - 1


def written_offsets(items: list[tuple[InputFile, ReadResult]]) -> dict[str, list[int]]:
    """The UTC offsets written in each log's lines (a sample of them), by the input's display
    path; a log that writes none is absent. Those lines keep the times they state whatever the
    host's zone, ``--tz`` included (``hbtriage.api`` names no ``--tz`` that cannot move them).
    Offsets of a day or more are no clock's and left out, as the timeline does. Called before
    the timeline takes the rows."""
    out: dict[str, list[int]] = {}
    for item, res in items:
        if res.events is None or not res.events.height or "offset_min" not in res.events.columns:
            continue
        offs = res.events.get_column("offset_min")
        if offs.null_count() == offs.len():
            continue
        seen = _offset_sample(res.events).get_column("offset_min")
        written = sorted({o for o in seen.to_list() if abs(o) <= MAX_OFFSET_MIN})
        if written:
            out[item.display] = written
    return out


def _offset_sample(events: pl.DataFrame) -> pl.DataFrame:
    """About 500 rows of ``events`` that write a UTC offset (``ts_local``, ``offset_min``)."""
    sample = (
        events.select("ts_local", "offset_min")
        .gather_every(max(1, events.height // 500))
        .drop_nulls()
    )
    if not sample.height:  # offsets written on few lines: take those
        sample = events.select("ts_local", "offset_min").drop_nulls().head(500)
    return sample


def _fits(zone: HostZone, offset_min: int, local: datetime) -> bool:
    """Whether ``zone`` has the UTC offset ``offset_min`` at the naive wall time ``local``."""
    if zone.iana:
        return offset_min in _offsets_at_local(zone.iana, local)
    return offset_min == zone.fixed


def _names(files: list[str], most: int = 3) -> str:
    shown = ", ".join(files[:most])
    return shown + (f" and {len(files) - most} more" if len(files) > most else "")


def zone_label(name: str | None, offset_min: int, iana: str | None) -> str:
    """How a stated zone is shown: ``Central Daylight Time (UTC-05:00, America/Chicago)``."""
    inner = f"UTC{fmt_offset(offset_min)}" + (f", {iana}" if iana else "")
    return f"{name} ({inner})" if name else inner


def _to_utc(df: pl.DataFrame, iana: str | None, fixed: int | None) -> pl.DataFrame:
    """Local naive ``ts_local`` (+ optional per-row ``offset_min``) -> ``ts`` in UTC."""
    if iana:
        by_zone = _zone_to_utc(df, iana)
    else:
        by_zone = (pl.col("ts_local") - pl.duration(minutes=fixed or 0)).dt.replace_time_zone("UTC")
    stated = (pl.col("ts_local") - pl.duration(minutes=pl.col("offset_min"))).dt.replace_time_zone(
        "UTC"
    )
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
