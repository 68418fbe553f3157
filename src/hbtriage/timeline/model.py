"""The timeline's model: events, counters and streams on UTC, per host, and the helpers
every later stage uses on it (:func:`runs`)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from hbtriage.sources.base import ConfigFact, DpcTrace

UTC_TS = pl.Datetime("ns", "UTC")

#: ``zone_source`` of a host whose zone is written nowhere (until the peer tells, see api).
ZONE_ASSUMED = "assumed UTC (no zone found; use --tz)"

#: Repeated names (host, stream, source, severity, component, signature; counter paths) are
#: categorical: 4 bytes a row instead of 16 on millions of rows, and they group, join and sort
#: (lexically) like the text. Compare them with plain strings as usual. In a timeline built
#: from files, host, stream and source are enums of the bundle's values instead (1 byte a row,
#: lexical order: see ``frames.event_names``); frames built by hand may use either, or text.
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
class HostDpc:
    """One DPC/ISR or IRQ/softirq report of one host, on UTC (see :class:`DpcTrace`)."""

    host: str
    source: str  # the input's display path
    kind: str  # reader kind
    trace: DpcTrace
    #: ``trace.rows`` with ``ts`` (UTC) in place of ``ts_local``/``offset_min``; None when the
    #: report has no time (whole-report totals only).
    rows: pl.DataFrame | None = None
    start: datetime | None = None  # UTC bounds of the report, when it says when it was taken
    end: datetime | None = None

    def shifted(self, seconds: float) -> HostDpc:
        delta = timedelta(seconds=seconds)
        rows = self.rows
        if rows is not None:
            rows = rows.with_columns(pl.col("ts") - pl.duration(microseconds=round(seconds * 1e6)))
        return replace(
            self,
            rows=rows,
            start=self.start - delta if self.start else None,
            end=self.end - delta if self.end else None,
        )


@dataclass
class Timeline:
    events: pl.DataFrame
    counters: pl.DataFrame
    streams: pl.DataFrame
    config: dict[str, list[ConfigFact]] = field(default_factory=dict)
    restarts: list[dict[str, object]] = field(default_factory=list)  # sequence resets etc.
    #: Hosts whose logs carry no zone and for which none was found (times taken as UTC).
    unzoned: list[str] = field(default_factory=list)
    #: DPC/ISR and IRQ/softirq reports, per host (:mod:`hbtriage.detect.drivers` reads them).
    dpc: list[HostDpc] = field(default_factory=list)
    #: Hosts whose counters all came on UTC by a zone of their own (the perfmon header of a
    #: file another machine collected): a zone found for the host later leaves them be.
    zoned_counters: frozenset[str] = frozenset()
    #: Hosts whose counters were all stamped by another host's clock (the machine that collected
    #: them: see :func:`hbtriage.hosts.remote_parts`) -> that host: they move with its clock.
    counter_clock: dict[str, str] = field(default_factory=dict)

    @property
    def hosts(self) -> list[str]:
        names = set(present(self.events, "host")) | set(present(self.counters, "host"))
        names |= set(self.config)
        return sorted(n for n in names if n)

    def shift_host(self, host: str, seconds: float, *, zone: bool = False) -> Timeline:
        """The same timeline with ``host``'s clock moved by ``-seconds`` (skew correction);
        ``zone``: a zone found for it (its counters stay when in :attr:`zoned_counters`)."""
        # To the microsecond, kept in the timeline's unit (ns) on every row.
        delta = pl.duration(nanoseconds=int(round(seconds * 1e6)) * 1000, time_unit="ns")
        ev = _shift_rows(self.events, host, delta)
        if zone:
            ct = (
                self.counters
                if host in self.zoned_counters
                else _shift_rows(self.counters, host, delta)
            )
        else:
            # A clock moved: the counters its clock stamped, whichever host they are of.
            ct = self.counters
            for of in {host, *self.counter_clock}:
                if self.counter_clock.get(of, of) == host:
                    ct = _shift_rows(ct, of, delta)
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
        dpc = [d.shifted(seconds) if d.host == host else d for d in self.dpc]
        return replace(self, events=ev, counters=ct, streams=st, restarts=moved, dpc=dpc)


def _shift_rows(frame: pl.DataFrame, host: str, delta: pl.Expr) -> pl.DataFrame:
    """``frame`` with ``ts`` moved by ``-delta`` on the rows of ``host``. The timeline keeps
    each host's rows together: only those stretches are computed, the others are sliced as
    they are, and the column is put in place without an expression on the whole frame."""
    spans = runs(frame, ["host"]) if frame.height else None
    if spans is None:
        return frame.with_columns(
            pl.when(pl.col("host") == host).then(pl.col("ts") - delta).otherwise(pl.col("ts"))
        )
    ts, names = frame.get_column("ts"), frame.get_column("host")
    starts = [offset for offset, _ in spans]  # in row order
    mine = [names[offset] == host for offset in starts]
    if not any(mine):
        return frame  # none of the host's rows: nothing moves
    # The column chunk by chunk of the frame (see put_column): a chunk of other hosts' rows
    # is kept as it is (no copy), one of the host's computed, and only a chunk holding both
    # is put together from its pieces.
    chunks: list[pl.Series] = []
    at = 0
    for length in chunk_lengths(ts):
        end, k = at + length, bisect.bisect_right(starts, at) - 1  # k: the stretch at ``at``
        pieces = [ts.slice(at, 0)]
        while at < end:
            upto = min(end, starts[k + 1] if k + 1 < len(starts) else end)
            piece = ts.slice(at, upto - at)
            pieces.append(pl.select(piece - delta).to_series() if mine[k] else piece)
            at, k = upto, k + 1
        chunks.append(pieces[-1] if len(pieces) <= 2 else pl.concat(pieces[1:], rechunk=True))
    return put_column(frame, pl.concat(chunks, rechunk=False).alias("ts"))


def put_column(frame: pl.DataFrame, column: pl.Series) -> pl.DataFrame:
    """``frame`` with ``column`` in place of its column of that name, without copying the
    others, and chunked as they are (the timeline keeps the chunks each file was read in, the
    same in every column: see :func:`hbtriage.timeline.frames._frame` on why they must line
    up): cut at the frame's chunk boundaries (zero-copy slices of one chunk)."""
    column = chunked_as(column, chunk_lengths(frame.get_column(column.name)))
    return pl.DataFrame([column if c.name == column.name else c for c in frame.get_columns()])


def chunk_lengths(column: pl.Series) -> list[int]:
    """The lengths of ``column``'s chunks (polars' public API: a zero-copy Series per chunk)."""
    return [chunk.len() for chunk in column.get_chunks()]


def chunked_as(column: pl.Series, lengths: list[int]) -> pl.Series:
    """``column`` in chunks of ``lengths``: as it is when it is so already, else in one chunk
    (a copy only when it is in several) cut into zero-copy slices of it."""
    if chunk_lengths(column) != lengths:
        column = column.rechunk()
        if len(lengths) > 1:
            pieces, at = [], 0
            for n in lengths:
                pieces.append(column.slice(at, n))
                at += n
            column = pl.concat(pieces, rechunk=False)
    return column


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
        ends = _run_ends(col)
        if ends is None:
            return None
        bounds.update(ends)
    edges = sorted(bounds)
    if len(edges) - 1 > MAX_RUNS:
        return None
    starts = edges[:-1]
    if frame.select(keys)[starts].n_unique() != len(starts):
        return None
    return [(a, b - a) for a, b in zip(starts, edges[1:], strict=False)]


def present(frame: pl.DataFrame, column: str) -> list[Any]:
    """The values ``column`` of ``frame`` takes (null too), as ``unique()`` finds them but in
    no set order: one per stretch when each value is one stretch of rows (the timeline's hosts:
    known from its chunks' least and greatest, with no hash of every row), else ``unique()``."""
    spans = runs(frame, [column])
    col = frame.get_column(column)
    if spans is None:
        return col.unique().to_list()
    return [col[offset] for offset, _length in spans]


def _run_ends(col: pl.Series) -> list[int] | None:
    """Where each stretch of equal values of ``col`` ends (as ``rle()`` finds them; a null
    equals a null), or None beyond :data:`MAX_RUNS` stretches. A column in several chunks
    (the timeline's: the pieces each file was read in) is taken chunk by chunk: a chunk of one
    value (most: a piece of one file) is one stretch, known by its least and greatest value,
    with no rle over its rows; stretches that go on across a chunk's end are joined."""
    if col.n_chunks() == 1:
        lengths = col.rle().struct.field("len")
        return None if lengths.len() > MAX_RUNS else lengths.cum_sum().to_list()
    ends: list[int] = []
    last: object = None
    at = 0
    for length in chunk_lengths(col):
        chunk = col.slice(at, length)
        if not length:
            continue
        if not chunk.null_count() and chunk.min() == chunk.max():
            found = [(chunk[0], length)]
        else:
            rle = chunk.rle()
            if rle.len() > MAX_RUNS:
                return None
            found = list(zip(rle.struct.field("value"), rle.struct.field("len"), strict=True))
        for value, span in found:
            if ends and value == last:
                ends[-1] += span  # the stretch goes on from the chunk before
            else:
                ends.append(at + span if not ends else ends[-1] + span)
                last = value
            if len(ends) > MAX_RUNS:
                return None
        at += length
    return ends


def steps(values: pl.Series) -> pl.Series | None:
    """The step from each of ``values`` (integers; the integers under times) to the next, as
    ``diff()`` gives them without its first null, in one chunk; None when a value is null
    (``diff()`` as it is serves then). Their quantiles and median are ``diff()``'s (nulls play
    no part in them), taken by selection on one contiguous array where polars sorts a copy
    of a column that holds a null (a third of the time on a stream of millions of lines),
    and no column of the values shifted is made first."""
    if values.null_count():
        return None
    values = values.rechunk()  # (no copy when in one chunk: the two slices below line up)
    n = values.len()
    return values.slice(1) - values.slice(0, max(0, n - 1))
