"""One model of everything that was read: events, counters and streams on UTC, per host.

Readers give local times plus whatever they know of the zone.  Here each input is
assigned to a host (:mod:`hbtriage.hosts`), each host gets a zone (``--tz`` > the host's
perfmon header > offsets written in its logs > UTC, listed in ``Timeline.unzoned`` for
:mod:`hbtriage.api` to infer from the peer), and every row is put on UTC.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import polars as pl

from hbtriage.counter_names import CounterIndex, default_index
from hbtriage.errors import UsageError
from hbtriage.findings import HostInfo, InputInfo
from hbtriage.hosts import Identity, clues_of, identify
from hbtriage.sources.base import ConfigFact, InputFile, ReadResult
from hbtriage.zones import Zone, fmt_offset, parse_zone_text

UTC_TS = pl.Datetime("ns", "UTC")
#: ``zone_source`` of a host whose zone is written nowhere (until the peer tells, see api).
ZONE_ASSUMED = "assumed UTC (no zone found; use --tz)"
#: Repeated names (host, stream, source, severity, component, signature; counter paths) are
#: categorical: 4 bytes a row instead of 16 on millions of rows, and they group, join and sort
#: (lexically) like the text. Compare them with plain strings as usual.
CAT = pl.Categorical()

EVENTS_SCHEMA: dict[str, pl.DataType] = {
    "host": CAT,
    "stream": CAT,
    "ts": UTC_TS,
    "line": pl.Int64(),
    "severity": CAT,
    "component": CAT,
    "message": pl.Utf8(),
    "signature": CAT,
    "source": CAT,
}
COUNTERS_SCHEMA: dict[str, pl.DataType] = {
    "host": CAT,
    "object": CAT,
    "instance": CAT,
    "counter": CAT,
    "ts": UTC_TS,
    "value": pl.Float64(),
}


@dataclass
class Timeline:
    events: pl.DataFrame
    counters: pl.DataFrame
    streams: pl.DataFrame
    config: dict[str, list[ConfigFact]] = field(default_factory=dict)
    restarts: list[dict[str, object]] = field(default_factory=list)  # sequence resets etc.
    #: Hosts whose logs carry no zone and for which none was found (times taken as UTC).
    unzoned: list[str] = field(default_factory=list)

    @property
    def hosts(self) -> list[str]:
        names = set(self.events["host"].unique().to_list()) | set(
            self.counters["host"].unique().to_list()
        )
        names |= set(self.config)
        return sorted(n for n in names if n)

    def shift_host(self, host: str, seconds: float) -> Timeline:
        """The same timeline with ``host``'s clock moved by ``-seconds`` (skew correction)."""
        delta = pl.duration(microseconds=int(round(seconds * 1e6)))
        ev = self.events.with_columns(
            pl.when(pl.col("host") == host).then(pl.col("ts") - delta).otherwise(pl.col("ts"))
        )
        ct = self.counters.with_columns(
            pl.when(pl.col("host") == host).then(pl.col("ts") - delta).otherwise(pl.col("ts"))
        )
        st = self.streams.with_columns(
            [
                pl.when(pl.col("host") == host).then(pl.col(c) - delta).otherwise(pl.col(c))
                for c in ("first", "last")
            ]
        )
        moved = [
            {**r, "ts": ts - timedelta(seconds=seconds)}
            if r.get("host") == host and isinstance(ts := r.get("ts"), datetime)
            else r
            for r in self.restarts
        ]
        return replace(self, events=ev, counters=ct, streams=st, restarts=moved)


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


#: Reader columns the timeline keeps nothing of.
_UNUSED_EVENT_COLUMNS = ("node",)


def compact(res: ReadResult) -> None:
    """Shrink a reader's frames to what :func:`build` needs, in place, as soon as the file is
    read (other files are still being read then, so this is what the reading stage holds):
    counter names become categorical (4 bytes a row instead of a 16-byte view plus text),
    mostly-null message text holds no memory for its null rows (see :func:`_sparse_text`),
    and columns the timeline does not keep are dropped. The values are unchanged."""
    if res.events is not None:
        ev = res.events
        res.events = pl.DataFrame(
            [
                _sparse_text(ev[c]) if c == "message" else ev[c]
                for c in ev.columns
                if c not in _UNUSED_EVENT_COLUMNS
            ]
        )
        del ev
    if res.counters is not None:
        ct = res.counters
        res.counters = pl.DataFrame(
            [
                ct[c].cast(CAT) if c in ("host", "object", "instance", "counter") else ct[c]
                for c in ct.columns
            ]
        )
        del ct


def build(
    items: list[tuple[InputFile, ReadResult]],
    *,
    tz: dict[str | None, Zone] | None = None,
    aliases: dict[str, str] | None = None,
    counter_index: CounterIndex | None = None,
) -> tuple[Timeline, list[InputInfo], list[HostInfo], list[str]]:
    """Assign hosts, resolve zones, convert to UTC; returns the timeline and what was read.

    Takes ownership of the readers' frames: each ``ReadResult.events`` / ``.counters`` is set to
    None as soon as it is folded into the timeline, so the raw and the converted copy of a file
    are never both held for long (memory on large bundles)."""
    tz = tz or {}
    warnings: list[str] = []

    # 1. Who wrote what (see hbtriage.hosts).
    ident = identify([clues_of(item, res) for item, res in items], aliases)
    warnings.extend(ident.warnings)
    assigned = dict(enumerate(ident.assigned))
    unknown = [f"--tz {name}" for name in tz if name is not None and not ident.host_for(name)]
    unknown += [
        f"--host-alias {name}={target}"
        for name, target in (aliases or {}).items()
        if not ident.host_for(target)
    ]
    if unknown:
        raise UsageError(
            f"{', '.join(unknown)}: no such host in the bundle; hosts found: "
            + ", ".join(sorted(ident.hosts) or ["none"])
        )
    host_tz = {ident.host_for(k): z for k, z in tz.items() if k is not None}

    def machine(name: str) -> str:
        return ident.host_for(name) or name

    # 2. Zones per host.
    host_zone: dict[str, tuple[str | None, str, str | None, int | None]] = {}
    # host -> (zone label, source, iana zone or None, fixed offset or None)
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
                log_offsets.setdefault(host, Tally()).update(
                    offs.to_list()[:: max(1, offs.len() // 500)]
                )
    for host in sorted(ident.hosts):
        zone = host_tz.get(host) or tz.get(None)
        if zone:
            host_zone[host] = (zone.label, "--tz", zone.iana, zone.fixed_min)
        elif host in perf_offsets:
            off, label, iana = perf_offsets[host]
            shown = zone_label(label, off, iana)
            host_zone[host] = (shown, "perfmon header", iana, None if iana else off)
        elif host in log_offsets:
            off = log_offsets[host].most_common(1)[0][0]
            host_zone[host] = (f"UTC{fmt_offset(off)}", "offsets written in its logs", None, off)
        else:
            host_zone[host] = ("UTC", ZONE_ASSUMED, None, 0)

    # 3. Convert and collect.
    ev_parts: list[pl.DataFrame] = []
    ct_parts: list[pl.DataFrame] = []
    stream_kinds: dict[tuple[str, str], str] = {}  # (host, stream) -> reader kind
    config: dict[str, list[ConfigFact]] = {}
    restarts: list[dict[str, object]] = []
    inputs: list[InputInfo] = []
    needs_zone_warning: set[str] = set()
    # Files per (host, stream): only a stream of several files can hold rotated copies, and only
    # then is the identity of each message (``_digest``) kept for _merge_rotated.
    files_per = Tally(
        (assigned[idx][0], res.stream or res.kind)
        for idx, (_item, res) in enumerate(items)
        if res.events is not None and res.events.height
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
            note=res.extra.get("note", "") if isinstance(res.extra.get("note"), str) else "",
        )
        if res.events is not None:
            stream_kinds[(host, res.stream or res.kind)] = res.kind
        if res.events is not None and res.events.height:
            zlabel, zsource, iana, fixed = host_zone[host]
            src, res.events = res.events, None  # the timeline owns the rows now (see above)
            stated = src["offset_min"].null_count() < src.height
            stream = res.stream or res.kind
            ev = _event_part(
                src, host, stream, item.display, iana, fixed, digest=files_per[(host, stream)] > 1
            )
            del src
            info.zone = zlabel if not stated or zsource == "--tz" else "offsets in each line"
            info.zone_source = zsource if not stated else "the file's own UTC offsets"
            if not stated and zsource.startswith("assumed"):
                needs_zone_warning.add(host)
            info.records = ev.height
            if ev.height:
                info.first, info.last = ev["ts"].min(), ev["ts"].max()  # type: ignore[assignment]
            ev_parts.append(ev)
            del ev  # _combine frees each part as it goes: no other reference
        if res.counters is not None and res.counters.height:
            if res.counters["host"].n_unique() > 1:
                rows = res.counters.with_columns(
                    pl.col("host").map_elements(machine, return_dtype=pl.Utf8)
                )
                groups = [(str(h[0]), p) for h, p in rows.group_by("host", maintain_order=True)]
                del rows
            else:  # one host (every perfmon export): no split, no copy
                groups = [(machine(str(res.counters["host"][0])), res.counters)]
            res.counters = None  # the timeline owns the rows now
            per_host = []
            while groups:
                hname, part = groups.pop(0)
                zlabel, zsource, iana, fixed = host_zone[hname]
                if res.kind != "perfmon_csv" and part["offset_min"].null_count() == 0:
                    # sadf -d, watch recordings: every row states its offset (UTC) and wins.
                    zlabel, zsource = (
                        res.zone or "offsets in each line",
                        "the file's own UTC offsets",
                    )
                elif zsource != "--tz" and res.offset_min is not None:
                    iana = res.tz_iana
                    fixed = None if iana else res.offset_min
                    zlabel = zone_label(res.zone, res.offset_min, iana)
                    zsource = "perfmon header"
                per_host.append(_counter_part(part, hname, iana, fixed))
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
        found = res.extra.get("restarts", []) or []
        if found:
            _zl, _zs, iana, fixed = host_zone[host]
            for r, ts in zip(found, _restart_times(found, iana, fixed), strict=True):
                restarts.append({**r, "ts": ts, "host": host, "source": item.display})
        inputs.append(info)
        warnings.extend(res.warnings)
    events = _combine(ev_parts)  # consumes ev_parts
    index = counter_index or default_index()
    counters = _difference_cumulative(ct_parts, index)  # consumes ct_parts
    streams = _streams(events, stream_kinds)
    hosts = _host_infos(ident, host_zone, inputs, events, counters)
    tl = Timeline(events, counters, streams, config, restarts, sorted(needs_zone_warning))
    return tl, inputs, hosts, warnings


def _one_chunk(s: pl.Series) -> pl.Series:
    """``s`` in one contiguous chunk (a copy only when it is in several)."""
    return s.rechunk() if s.n_chunks() > 1 else s


def _frame(columns: list[pl.Series]) -> pl.DataFrame:
    """A frame of ``columns`` whose chunks line up: as they are when they already do, else each
    in one chunk.

    Columns whose chunks do not line up make every expression on the frame (``select``,
    ``with_columns``, ``filter`` by expression, sorts, joins) copy *all* its columns into one
    chunk first. So the timeline's frames keep one chunk per column, narrow frames are built
    from reader columns before any expression runs on them, and frames whose chunks differ
    (a file's part before :func:`_concat_columns`) are only taken apart column by column."""
    if len({tuple(c._s.chunk_lengths()) for c in columns}) > 1:
        columns = [_one_chunk(c) for c in columns]
    return pl.DataFrame(columns)


def _sparse_text(s: pl.Series) -> pl.Series:
    """Text column ``s`` in one chunk; when most rows are null (messages that cannot match a
    signature are dropped by the readers) it is rebuilt from an all-null column and the few
    values, so the null rows hold no memory (a text column otherwise costs 16 bytes a row even
    for nulls)."""
    n = s.len()
    kept = n - s.null_count()
    if kept > n // 8:
        return _one_chunk(s)
    out = pl.repeat(None, n, dtype=pl.Utf8, eager=True).alias(s.name)
    if kept:
        at = s.is_not_null().arg_true()
        out.scatter(at, pl.Series(s.name, s.gather(at).to_list(), dtype=pl.Utf8))
    return out


def _event_part(
    src: pl.DataFrame,
    host: str,
    stream: str,
    source: str,
    iana: str | None,
    fixed: int | None,
    *,
    digest: bool,
) -> pl.DataFrame:
    """One reader's events on UTC in the timeline's columns, rows without a time dropped.
    ``digest``: keep ``_digest``, the identity of each full message (readers may have dropped
    the text, see sources._lines.slim), for recognising rotated copies.

    The columns keep the reader's chunks (no copy here; :func:`_concat_columns` makes one chunk
    of each later), so use the part column by column until then (see :func:`_frame`)."""
    ts = _to_utc(_frame([src["ts_local"], src["offset_min"]]), iana, fixed)["ts"]
    cols = [
        ts,
        src["line"],
        src["severity"].cast(CAT),
        src["component"].cast(CAT),
        src["message"],
    ]
    if digest:
        cols.append(
            (src["digest"] if "digest" in src.columns else src["message"].hash()).alias("_digest")
        )
    if ts.null_count():
        keep = ts.is_not_null()
        cols = [c.filter(keep) for c in cols]
    cols[4] = _sparse_text(cols[4])
    n = cols[0].len()
    return pl.DataFrame(
        [
            pl.repeat(host, n, dtype=CAT, eager=True).alias("host"),
            pl.repeat(stream, n, dtype=CAT, eager=True).alias("stream"),
            *cols[:5],
            pl.repeat(None, n, dtype=CAT, eager=True).alias("signature"),
            pl.repeat(source, n, dtype=CAT, eager=True).alias("source"),
            *cols[5:],
        ]
    )


def _counter_part(
    src: pl.DataFrame, host: str, iana: str | None, fixed: int | None
) -> pl.DataFrame:
    """One host's counters of one reader on UTC, in the timeline's columns (one chunk each)."""
    names = [src[c].cast(CAT) for c in ("object", "instance", "counter")]
    when = [src["ts_local"]] + ([src["offset_min"]] if "offset_min" in src.columns else [])
    if iana:  # the DST fold is resolved per series
        when += [src["host"].cast(CAT), *names]
    ts = _to_utc(_frame(when), iana, fixed)["ts"]
    del when
    return _frame([*names, ts, src["value"]]).select(
        pl.lit(host, CAT).alias("host"), "object", "instance", "counter", "ts", "value"
    )


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
    if "offset_min" in df.columns:
        expr = pl.when(pl.col("offset_min").is_not_null()).then(stated).otherwise(by_zone)
    else:
        expr = by_zone
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


def _combine(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The events of every file, as ``_merge_rotated(pl.concat(parts))`` gives them (without
    ``_digest``), with less copying: each part holds one file (one host, stream and source), so
    parts are put in (host, stream) order and only the files of one stream that overlap in time
    are merged and sorted together; a file already in (ts, line) order is not sorted at all.

    Consumes ``parts`` (the list is emptied) so that a part sorted or merged here is not held
    twice."""
    if not parts:
        return pl.DataFrame(schema=EVENTS_SCHEMA)
    keyed: dict[tuple[str, str], list[tuple[object, object, str, pl.DataFrame]]] = {}
    parts.reverse()
    while parts:
        part = parts.pop()
        if part.is_empty():
            continue
        host, stream, source = (str(part[c][0]) for c in ("host", "stream", "source"))
        # Column by column: the part's columns may be chunked differently (see _frame).
        ts, line = part["ts"], part["line"]
        ordered = bool(
            (ts.diff().dt.total_nanoseconds().fill_null(0) >= 0).all()
            and (line.diff().fill_null(1) > 0).all()
        )
        del ts, line
        if not ordered:
            part = _concat_columns([part]).sort(["ts", "line"])
            part = part.with_columns(_sparse_text(part["message"]))
        keyed.setdefault((host, stream), []).append((part["ts"][0], part["ts"][-1], source, part))
        del part
    if not keyed:
        return pl.DataFrame(schema=EVENTS_SCHEMA)
    out: list[pl.DataFrame] = []
    for key in sorted(keyed):
        files = sorted(keyed.pop(key), key=lambda f: (f[0], f[2]))
        disjoint = all(a[1] < b[0] for a, b in zip(files, files[1:], strict=False))  # type: ignore[operator]
        if disjoint:  # no copies possible, and one file after the other is time order
            out.extend(f[3].drop("_digest", strict=False) for f in files)
            del files
        else:
            frames = [f[3] for f in files]
            del files
            merged = _merge_rotated(_concat_columns(frames))
            out.append(
                merged.with_columns(_sparse_text(merged["message"])).drop("_digest", strict=False)
            )
            del merged
            del frames
    return _concat_columns(out)


def _concat_columns(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """``pl.concat(frames)`` with every column in one chunk (see :func:`_frame`; message text
    by :func:`_sparse_text`), built one column at a time and taking that column out of
    ``frames`` (consumed) as it goes, so the copy never holds more than one column twice."""
    names = frames[0].columns
    cols: list[pl.Series] = []
    for name in names:
        pieces = [f.get_column(name) for f in frames]
        for i, f in enumerate(frames):
            frames[i] = f.drop(name)
        col = pl.concat(pieces, rechunk=False) if len(pieces) > 1 else pieces[0]
        del pieces
        cols.append(_sparse_text(col) if name == "message" else _one_chunk(col))
        del col
    frames.clear()
    return pl.DataFrame(cols)


def _merge_rotated(events: pl.DataFrame) -> pl.DataFrame:
    """Rotated files of one stream: sort by time and drop lines present in two files.

    A record is a duplicate only when another *file* of the stream holds it too (the overlap of
    rotated files); a record repeated within one file (syslog writes the same line several
    times a second) is kept every time."""
    if events.is_empty():
        return events
    if events["source"].n_unique() > 1:
        key = ["host", "stream", "ts", "_digest" if "_digest" in events.columns else "message"]
        # Only rows inside the time span of another file of their stream can be copies: the
        # window runs on those alone (every row of one key shares host, stream and ts, so a key
        # is either wholly among them or not at all).
        ts = pl.col("ts")
        spans = events.group_by(["host", "stream", "source"]).agg(
            ts.min().alias("lo"), ts.max().alias("hi")
        )
        both = spans.join(spans, on=["host", "stream"], suffix="_o").filter(
            (pl.col("source") < pl.col("source_o"))
            & (pl.col("lo") <= pl.col("hi_o"))
            & (pl.col("lo_o") <= pl.col("hi"))
        )
        if both.height:
            inside = pl.lit(False)
            for h, st, lo, hi in both.select(
                "host", "stream", pl.max_horizontal("lo", "lo_o"), pl.min_horizontal("hi", "hi_o")
            ).iter_rows():
                inside = inside | (
                    (pl.col("host") == h) & (pl.col("stream") == st) & ts.is_between(lo, hi)
                )
            events = events.with_row_index("_i")
            copies = (
                events.filter(inside)
                .filter(pl.col("source") != pl.col("source").first().over(key))
                .select("_i")
            )
            events = events.join(copies, on="_i", how="anti", maintain_order="left").drop("_i")
    return events.sort(["host", "stream", "ts", "source", "line"])


def _series_in_place(
    held: list[pl.DataFrame], keys: list[str], semantics: Callable[[str, str], str | None]
) -> pl.DataFrame | None:
    """:func:`_difference_cumulative` without a sort, for counters as perfmon files give them:
    every series one stretch of rows in strictly increasing time (so no sample repeats). The
    stretches are put in name order one column at a time, from zero-copy slices; None when the
    counters (``held[0]``; taken out of ``held`` once used) are not laid out so."""
    counters = held[0]
    spans = runs(counters, keys)
    if spans is None:
        return None
    ts = counters.get_column("ts")
    for offset, length in spans:
        part = ts.slice(offset, length)
        if part.null_count():
            return None
        step = part.diff().dt.total_nanoseconds().min() if length > 1 else 1
        if not isinstance(step, int) or step <= 0:
            return None
    starts = counters.select(keys)[[offset for offset, _ in spans]].with_row_index("_run")
    order = starts.sort(keys, maintain_order=True)
    spans = [spans[i] for i in order["_run"].to_list()]
    cumulative = [
        semantics(str(o), str(c)) == "cumulative"
        for o, c in order.select("object", "counter").iter_rows()
    ]
    cols: list[pl.Series] = []
    held.clear()  # each column is released once it has been put in order
    for name in counters.columns:
        col = counters.get_column(name)
        counters = counters.drop(name)
        pieces = [col.slice(offset, length) for offset, length in spans]
        if name == "value":
            for i, cum in enumerate(cumulative):
                if cum:
                    diff = pieces[i].diff()
                    pieces[i] = pl.select(
                        pl.when(diff >= 0).then(diff).otherwise(None).alias(name)
                    ).to_series()
        del col
        cols.append(pl.concat(pieces, rechunk=True))
        del pieces
    return pl.DataFrame(cols)


def _difference_cumulative(parts: list[pl.DataFrame], index: CounterIndex) -> pl.DataFrame:
    """The counters of every file (``parts``, consumed) in (series, time) order, one sample per
    series and time (the first file's); raw counts since boot -> increase per sample, and a
    decrease (reboot) gives null."""
    counters = pl.concat(parts, rechunk=False) if parts else pl.DataFrame(schema=COUNTERS_SCHEMA)
    parts.clear()
    if counters.is_empty():
        return counters
    def semantics(obj: str, counter: str) -> str | None:
        hit = index.canonical(obj, counter)
        return hit[2] if hit else None

    keys = ["host", "object", "instance", "counter"]
    held = [counters]
    del counters
    fast = _series_in_place(held, keys, semantics)
    if fast is not None:
        return fast
    counters = held.pop()
    # Dedup and sort on one small integer series id rather than four name columns: the same
    # result (series in name order, then time), several times faster on millions of samples.
    # The id is the rank of the series among the distinct (sorted) names, found by one join
    # on the categorical codes.
    series = counters.select(keys).unique().sort(keys).with_row_index("_sid")
    cumulative = [
        semantics(str(o), str(c)) == "cumulative"
        for o, c in series.select("object", "counter").iter_rows()
    ]
    sid = counters.select(keys).join(
        series, on=keys, how="left", maintain_order="left", nulls_equal=True
    )["_sid"]
    # A stable sort keeps samples of one series and time in file order: the first is kept.
    counters = counters.with_columns(sid).sort(["_sid", "ts"], maintain_order=True)
    repeat = (pl.col("_sid") == pl.col("_sid").shift(1)) & (pl.col("ts") == pl.col("ts").shift(1))
    if counters.select(repeat.any()).item():
        counters = counters.filter(~repeat.fill_null(False))
    if not any(cumulative):
        return counters.drop("_sid")
    cum_ids = pl.Series([i for i, c in enumerate(cumulative) if c], dtype=sid.dtype)
    diff = pl.col("value").diff().over("_sid")
    return counters.with_columns(
        pl.when(pl.col("_sid").is_in(cum_ids.implode()))
        .then(pl.when(diff >= 0).then(diff).otherwise(None))
        .otherwise(pl.col("value"))
        .alias("value")
    ).drop("_sid")


#: Above this many stretches :func:`runs` gives up (a loop per stretch would be slow).
MAX_RUNS = 20_000


def runs(frame: pl.DataFrame, keys: list[str]) -> list[tuple[int, int]] | None:
    """``(offset, length)`` of each stretch of rows with equal ``keys``, in row order, when
    every combination of ``keys`` is one stretch; else (or beyond :data:`MAX_RUNS` stretches)
    None. The timeline keeps each host's stream and each counter series together, so work per
    stream or series can run on zero-copy slices instead of a group_by or window, which gathers
    every group's rows into new memory first."""
    n = frame.height
    if n == 0:
        return []
    bounds = {0, n}
    for k in keys:
        col = frame.get_column(k)
        if col.dtype == pl.Categorical:
            col = col.to_physical()
        lengths = col.rle().struct.field("len")
        if lengths.len() > MAX_RUNS:
            return None
        bounds.update(lengths.cum_sum().to_list())
    edges = sorted(bounds)
    if len(edges) - 1 > MAX_RUNS:
        return None
    starts = edges[:-1]
    if frame.select(keys)[starts].n_unique() != len(starts):
        return None
    return [(a, b - a) for a, b in zip(starts, edges[1:], strict=False)]


def _streams(events: pl.DataFrame, kinds: dict[tuple[str, str], str]) -> pl.DataFrame:
    """Per (host, stream): kind of reader, first and last time, lines, median spacing."""
    if events.is_empty():
        return pl.DataFrame(
            schema={
                "host": CAT,
                "stream": CAT,
                "kind": pl.Utf8,
                "first": UTC_TS,
                "last": UTC_TS,
                "lines": pl.Int64,
                "cadence_s": pl.Float64,
            }
        )
    cadence = (pl.col("ts").diff().dt.total_nanoseconds().median() / 1e9).alias("cadence_s")
    spans = runs(events, ["host", "stream"])
    if spans is not None:
        # The timeline's own order: one stretch of rows per stream, summarised slice by slice
        # (a group_by gathers every group's rows into new memory first).
        st = pl.concat(
            [
                events.slice(offset, length).select(
                    pl.col("host").first(),
                    pl.col("stream").first(),
                    pl.col("ts").min().alias("first"),
                    pl.col("ts").max().alias("last"),
                    pl.len().cast(pl.Int64).alias("lines"),
                    cadence,
                )
                for offset, length in spans
            ]
        )
    else:
        st = (
            events.select("host", "stream", "ts")
            .group_by(["host", "stream"], maintain_order=True)
            .agg(
                pl.col("ts").min().alias("first"),
                pl.col("ts").max().alias("last"),
                pl.len().cast(pl.Int64).alias("lines"),
                cadence,
            )
        )
    return st.with_columns(
        pl.struct("host", "stream")
        .map_elements(lambda s: kinds.get((s["host"], s["stream"]), "log"), return_dtype=pl.Utf8)
        .alias("kind")
    ).select("host", "stream", "kind", "first", "last", "lines", "cadence_s")


def _host_infos(
    ident: Identity,
    host_zone: dict[str, tuple[str | None, str, str | None, int | None]],
    inputs: list[InputInfo],
    events: pl.DataFrame,
    counters: pl.DataFrame,
) -> list[HostInfo]:
    out = []
    perf_hosts = set(counters["host"].unique().to_list()) if counters.height else set()
    log_hosts = set(events["host"].unique().to_list()) if events.height else set()
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
