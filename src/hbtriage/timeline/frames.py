"""Frames: each reader's rows on UTC in the timeline's columns, combined per stream (rotated
copies merged), counters differenced, streams summarised. Memory matters here: see
:func:`_frame` on chunks, and :func:`_combine` on consuming its parts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import polars as pl

from hbtriage.counter_names import CounterIndex
from hbtriage.sources.base import DpcTrace, ReadResult
from hbtriage.timeline import spacing
from hbtriage.timeline.clocks import _to_utc
from hbtriage.timeline.model import (
    CAT,
    COUNTERS_SCHEMA,
    EVENTS_SCHEMA,
    UTC_TS,
    HostDpc,
    chunk_lengths,
    chunked_as,
    runs,
    steps,
)


def _one_chunk(s: pl.Series) -> pl.Series:
    """``s`` in one contiguous chunk (a copy only when it is in several)."""
    return s.rechunk() if s.n_chunks() > 1 else s


def _frame(columns: list[pl.Series]) -> pl.DataFrame:
    """A frame of ``columns`` whose chunks line up: as they are when they already do, else each
    in one chunk.

    Columns whose chunks do not line up make every expression on the frame (``select``,
    ``with_columns``, ``filter`` by expression, sorts, joins) copy *all* its columns into one
    chunk first. So the timeline's frames keep their chunks lined up (one chunk per column;
    the events the chunks each file was read in, the same in every column, see
    :func:`_event_part` and :func:`_combine`), a column replaced later is cut at those chunks
    (:func:`hbtriage.timeline.model.put_column`), narrow frames are built from reader columns
    before any expression runs on them, and frames whose chunks differ (a reader's frame) are
    only taken apart column by column."""
    if not _lined_up(columns):
        columns = [_one_chunk(c) for c in columns]
    return pl.DataFrame(columns)


#: Up to this many rows, :func:`_never_down` compares them in Python and :func:`_sparse_text`
#: leaves the text as it is.
_FEW = 256


def _sparse_text(s: pl.Series) -> pl.Series:
    """Text column ``s`` in one chunk; when most rows are null (messages that cannot match a
    signature are dropped by the readers) it is rebuilt from an all-null column and the few
    values, so the null rows hold no memory (a text column otherwise costs 16 bytes a row even
    for nulls). A short column (a small file's) is kept as it is: rebuilding it costs five
    polars steps (~0.5 ms) to save a few hundred bytes."""
    if not _mostly_null(s):
        return _one_chunk(s)
    out = pl.repeat(None, s.len(), dtype=pl.Utf8, eager=True).alias(s.name)
    if s.null_count() < s.len():
        at = s.is_not_null().arg_true()
        out.scatter(at, pl.Series(s.name, s.gather(at).to_list(), dtype=pl.Utf8))
    return out


def matching_rows(text: pl.Series, pattern: str) -> pl.Series:
    """The places of the rows whose text matches the regex ``pattern``, as
    ``text.str.contains(pattern).fill_null(False).arg_true()`` gives them. On mostly-null text
    (see :func:`_sparse_text`) the regex runs on the few values alone, and no column of a
    boolean per row is made: polars goes through every row of the column, null or not (50 ms
    on the 8 million rows of a 1 GB bundle's timeline that held 10 messages)."""
    if not _mostly_null(text):
        return text.str.contains(pattern).fill_null(False).arg_true()
    at = text.is_not_null().arg_true()
    return at.filter(text.gather(at).str.contains(pattern))


def _mostly_null(text: pl.Series) -> bool:
    """Whether at most an eighth of ``text``'s rows hold a value, and it has more than
    :data:`_FEW` rows: the text :func:`_sparse_text` rebuilds and :func:`matching_rows` looks
    into value by value."""
    n = text.len()
    return not (n - text.null_count() > n // 8 or n <= _FEW)


#: The timeline's name columns that hold one value per file: their values are known when the
#: timeline is built (see :func:`event_names`).
NAME_COLUMNS = ("host", "stream", "source")


#: Line numbers of a file below this fit the timeline's ``line`` as 32-bit integers.
_LINE_32 = 1 << 32


def event_names(
    parts: list[tuple[str, str, str]], signatures: Sequence[str] = (), last_line: int = 0
) -> dict[str, pl.DataType]:
    """The dtype of each of :data:`NAME_COLUMNS` in a timeline built from files of ``parts``
    (host, stream, source), and of ``signature`` (an enum of ``signatures``, the catalog ids
    that may tag a row, when given; else categorical): an enum of the values they take, in
    lexical order (so they sort as the text does, like the categoricals of ``EVENTS_SCHEMA``).

    An enum of fewer than 256 values takes one byte a row where a categorical takes four: these
    four were 16 of the 40 bytes each log line held (950 MB of a 10 GB bundle's timeline). The
    line number (``line``) is 32-bit when every file's fits (``last_line``).
    Severity and component stay categorical: they come per line from the readers, and putting
    them in an enum cost a pass over every row (0.3 s a GB)."""
    values: dict[str, set[str]] = {c: set() for c in NAME_COLUMNS}
    for part in parts:
        for c, v in zip(NAME_COLUMNS, part, strict=True):
            values[c].add(v)
    names: dict[str, pl.DataType] = {c: pl.Enum(sorted(v)) for c, v in values.items()}
    names["signature"] = pl.Enum(sorted(set(signatures))) if signatures else CAT
    # ``last_line``: the largest line number of any file (``1 << 63`` when one is negative);
    # 4 bytes a row instead of 8 below 2**32 (a file of 400 GB), else as the readers give
    # them. _event_part casts to it unchecked: every line number fits.
    names["line"] = pl.UInt32() if last_line < _LINE_32 else pl.Int64()
    return names


def _event_part(
    src: pl.DataFrame,
    host: str,
    stream: str,
    source: str,
    iana: str | None,
    fixed: int | None,
    *,
    digest: bool,
    later: bool = False,
    names: dict[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """One reader's events on UTC in the timeline's columns, rows without a time dropped.
    ``digest``: keep ``_digest``, the identity of each full message (readers may have dropped
    the text, see sources._lines.slim), for recognising rotated copies; ``later``: the
    reader left its digests out and gives them on demand (``ReadResult.digests``):
    :func:`_combine` asks for them only when the file overlaps another of its stream.

    The part keeps the reader's chunks (a chunk per piece of the file read), lined up in every
    column (see :func:`_frame`): the times are computed chunk by chunk from the reader's, the
    columns of the reader's in those same chunks are taken as they are (no copy), and a
    column in one chunk (the message text, the names) is cut into zero-copy slices of it.
    ``names``: the dtypes of the name columns (see :func:`event_names`; categorical when not
    given; a 32-bit ``line`` only when every line number fits it, as :func:`event_names` makes
    it: the cast is not checked, a third of the time of a checked one)."""
    dtype = names or {**dict.fromkeys((*NAME_COLUMNS, "signature"), CAT), "line": pl.Int64()}
    offsets = src["offset_min"]
    # A column of no offset (a log that writes none) plays no part in the times: left out,
    # it is not put in the chunks of the times (a copy of both) to be read by nothing.
    when = [src["ts_local"]] + ([offsets] if offsets.null_count() < offsets.len() else [])
    ts = _to_utc(_frame(when), iana, fixed)["ts"]
    del when, offsets
    cols = [
        ts,
        src["line"].cast(dtype["line"], wrap_numerical=dtype["line"] == pl.UInt32),
        src["severity"].cast(CAT),
        src["component"].cast(CAT),
        src["message"],
    ]
    if digest and not (later and "digest" not in src.columns):
        cols.append(
            (src["digest"] if "digest" in src.columns else src["message"].hash()).alias("_digest")
        )
    if ts.null_count():
        keep = ts.is_not_null()
        cols = [c.filter(keep) for c in cols]
    cols[4] = _sparse_text(cols[4])
    n = cols[0].len()
    lengths = chunk_lengths(cols[0])
    return pl.DataFrame(
        [
            chunked_as(c, lengths)
            for c in (
                _repeat(host, n, dtype["host"], "host"),
                _repeat(stream, n, dtype["stream"], "stream"),
                *cols[:5],
                _repeat(None, n, dtype["signature"], "signature"),
                _repeat(source, n, dtype["source"], "source"),
                *cols[5:],
            )
        ]
    )


#: id(enum) -> (the enum, its values and a null in one Series, value -> place in it)
_REPEATERS: dict[int, tuple[pl.DataType, pl.Series, dict[str | None, int]]] = {}


def _repeat(value: str | None, n: int, dtype: pl.DataType, name: str) -> pl.Series:
    """``pl.repeat(value, n, dtype=dtype, eager=True)`` named ``name``. For an enum, taken
    from a Series of its values made once per enum: handing polars the enum's dtype converts
    all its values each time (a folder of 2,000 small files has 2,000 sources: quadratic)."""
    if not isinstance(dtype, pl.Enum):
        return pl.repeat(value, n, dtype=dtype, eager=True).alias(name)
    entry = _REPEATERS.get(id(dtype))
    if entry is None or entry[0] is not dtype:
        values = dtype.categories.to_list()
        places: dict[str | None, int] = {v: i for i, v in enumerate(values)}
        places[None] = len(values)
        if len(_REPEATERS) >= 16:
            _REPEATERS.clear()
        entry = (dtype, pl.Series([*values, None], dtype=pl.Utf8).cast(dtype), places)
        _REPEATERS[id(dtype)] = entry
    at = entry[2].get(value)
    if at is None:  # not a value of the enum: whatever polars makes of it
        return pl.repeat(value, n, dtype=dtype, eager=True).alias(name)
    return entry[1].new_from_index(at, n).alias(name)


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
    value = src["value"]
    if not value.is_finite().fill_null(True).all():  # any reader: NaN and inf are no sample
        value = value.set(~value.is_finite().fill_null(True), None)  # type: ignore[arg-type]
    return _frame([*names, ts, value]).select(
        pl.lit(host, CAT).alias("host"), "object", "instance", "counter", "ts", "value"
    )


def _combine(
    parts: list[pl.DataFrame],
    later: dict[str, Callable[[], pl.DataFrame]] | None = None,
) -> pl.DataFrame:
    """The events of every file, as ``_merge_rotated(pl.concat(parts))`` gives them (without
    ``_digest``), with less copying: each part holds one file (one host, stream and source), so
    parts are put in (host, stream) order and only the files of one stream that overlap in time
    are merged and sorted together; a file already in (ts, line) order is not sorted at all.
    ``later``: per source, how to get the digests of a part made without them (see
    :func:`_event_part`), asked for only when the part is merged.

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
        # In (ts, line) order: times never go back, line numbers always go up (the parts
        # have no row without a time). On the integers under the times: no temporary column
        # of durations, then of their nanoseconds, at a moment the whole bundle is held.
        ts, line = part["ts"].to_physical(), part["line"]
        ordered = _never_down(ts, strict=False) and _never_down(line, strict=True)
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
            out.extend(_without_digest(f[3]) for f in files)
            del files
        else:
            frames = [_with_digest(f[3], f[2], later or {}) for f in files]
            del files
            merged = _merge_rotated(_concat_columns(frames))
            out.append(
                merged.with_columns(_sparse_text(merged["message"])).drop("_digest", strict=False)
            )
            del merged
            del frames
    if all(_lined_up(f.get_columns()) for f in out):
        # Chunks that line up in every column (the reader's pieces of each file) need no copy
        # into one: every step works on them as they are (see _frame). Joining them copied
        # the whole timeline at the moment it is largest.
        return out[0] if len(out) == 1 else pl.concat(out, rechunk=False)
    return _concat_columns(out)


def _without_digest(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` without its ``_digest`` column, its columns' chunks as they are (polars'
    ``drop`` merges small chunks of some columns and not of others: chunks that no longer line
    up, which the next step would copy into one)."""
    if "_digest" not in frame.columns:
        return frame
    return pl.DataFrame([c for c in frame.get_columns() if c.name != "_digest"])


def _lined_up(columns: Iterable[pl.Series]) -> bool:
    """Whether ``columns`` (a frame's) are all in the same chunks."""
    return len({tuple(chunk_lengths(c)) for c in columns}) <= 1


def _never_down(values: pl.Series, *, strict: bool) -> bool:
    """Whether each of ``values`` (integers, no null) is at least (``strict``: more than)
    the one before. A few values (a small file's) are compared in Python: two polars steps
    cost ~0.2 ms however few they are."""
    if values.len() <= _FEW and not values.null_count():
        got = values.to_list()
        return all(_up(a, b, strict) for a, b in zip(got, got[1:], strict=False))
    # The least step, from the compiled core (a run that loaded it: one pass over the chunks).
    measured = spacing.measure(values) if values.dtype == pl.Int64 else None
    if measured is not None:
        return measured.least > 0 if strict else measured.least >= 0
    if _steps_fit(values):
        # Each value against the one before, without a column of differences (as ``diff``
        # gives them: no difference of these overflows 64 bits; a null is no step), chunk by
        # chunk (zero-copy slices of one chunk each) and across their ends.
        last, at = None, 0
        for n in chunk_lengths(values):
            chunk, at = values.slice(at, n), at + n
            if not n:
                continue
            first = chunk[0]
            if last is not None and first is not None and not _up(last, first, strict):
                return False
            later, earlier = chunk.slice(1), chunk.slice(0, n - 1)
            if not (later > earlier if strict else later >= earlier).all():
                return False
            last = chunk[-1]
        return True
    step = values.diff().min()
    if not isinstance(step, int):  # one value (or none)
        return True
    return step > 0 or (not strict and step == 0)


#: Integers no difference of two of which overflows 64 bits (the timeline's 32-bit lines).
_NARROW = (pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16, pl.UInt32)


def _steps_fit(values: pl.Series) -> bool:
    """Whether no step between two of ``values`` (integers) overflows 64 bits: so for 32-bit
    ones (no pass over them to know it), else when the greatest less the least fits (none
    does when every value is null)."""
    if values.dtype in _NARROW:
        return True
    lo, hi = values.min(), values.max()
    return isinstance(lo, int) and isinstance(hi, int) and hi - lo < 1 << 63


def _up(a: int, b: int, strict: bool) -> bool:
    return b > a if strict else b >= a


def _with_digest(
    part: pl.DataFrame, source: str, later: dict[str, Callable[[], pl.DataFrame]]
) -> pl.DataFrame:
    """``part`` with ``_digest``: as it is when it has one, else from its reader's
    ``digests`` (matched on the record's first line, one per record of a file). When the file
    cannot be read again, each record gets a digest of its own: nothing of it is taken for a
    copy."""
    if "_digest" in part.columns or source not in later:
        return part
    part = _concat_columns([part])
    try:
        found = later[source]()
    except Exception:  # noqa: BLE001 - gone or changed since: keep every record
        found = None
    if found is None or found["line"].n_unique() != found.height:
        digest = pl.struct(pl.lit(source), pl.col("line")).hash().alias("_digest")
        return part.with_columns(digest)
    table = found.select(
        pl.col("line").cast(part.schema["line"]), pl.col("digest").alias("_digest")
    )
    return part.join(table, on="line", how="left", maintain_order="left")


def _concat_columns(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """``pl.concat(frames)`` with every column in one chunk (see :func:`_frame`; message text
    by :func:`_sparse_text`), built one column at a time and taking that column out of
    ``frames`` (consumed) as it goes, so the copy never holds more than one column twice."""
    names = frames[0].columns
    # The frames' columns as lists (the same Series, no copy), each column let go of once
    # copied: dropping it from every frame instead made a frame per file and column (12,000
    # for a folder of 1,000 small logs: 1.8 s).
    held: list[list[pl.Series | None]] = [[f.get_column(name) for name in names] for f in frames]
    frames.clear()
    cols: list[pl.Series] = []
    for k, name in enumerate(names):
        pieces = [c for columns in held if (c := columns[k]) is not None]
        for columns in held:
            columns[k] = None
        col = pl.concat(pieces, rechunk=False) if len(pieces) > 1 else pieces[0]
        del pieces
        cols.append(_sparse_text(col) if name == "message" else _one_chunk(col))
        del col
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
        shared = _covered_twice(spans)
        if shared.height:
            events = events.with_row_index("_i")
            # Each row against the last shared span of its stream that starts at or before
            # it (they are disjoint): inside when it ends at or after the row.
            probe = (
                events.select("_i", "host", "stream", "ts")
                .drop_nulls("ts")
                .sort("ts")
                .join_asof(
                    shared,
                    left_on="ts",
                    right_on="lo",
                    by=["host", "stream"],
                    strategy="backward",
                    check_sortedness=False,  # sorted by time, across the groups too
                )
                .filter(ts <= pl.col("hi"))
                .select("_i")
            )
            copies = (
                events.join(probe, on="_i", how="semi")
                .filter(pl.col("source") != pl.col("source").first().over(key))
                .select("_i")
            )
            events = events.join(copies, on="_i", how="anti", maintain_order="left").drop("_i")
    return events.sort(["host", "stream", "ts", "source", "line"])


def _covered_twice(spans: pl.DataFrame) -> pl.DataFrame:
    """The times two files or more of one stream both cover: from ``spans`` (``host``,
    ``stream``, ``source``, and each file's first and last time ``lo`` and ``hi``, both in),
    the disjoint spans ``host``, ``stream``, ``lo``, ``hi`` (both in), sorted by ``lo``, that
    are the union of every two files' overlaps. One sweep over the spans' ends per stream:
    5,000 rotated files of one stream are 10,000 steps, where pairing them made 25 million
    pairs and a filter of one term per overlap (1.5 s a filter)."""
    ns = spans.drop_nulls(["lo", "hi"]).with_columns(pl.col("lo", "hi").cast(pl.Int64))
    rows = ns.sort(["host", "stream", "lo"]).rows()  # times as ns: no rounding to µs
    out: list[tuple[Any, ...]] = []
    i = 0
    while i < len(rows):
        j = i
        while j < len(rows) and rows[j][:2] == rows[i][:2]:
            j += 1
        # Starts before ends at one time: the spans hold both their ends.
        edges = sorted([(r[3], 0) for r in rows[i:j]] + [(r[4], 1) for r in rows[i:j]])
        depth, began = 0, None
        for at, end in edges:
            if not end:
                depth += 1
                if depth == 2:
                    began = at
            else:
                if depth == 2:
                    last = out[-1] if out else None
                    if last is not None and last[:2] == rows[i][:2] and began <= last[3]:
                        out[-1] = (*last[:3], max(last[3], at))
                    else:
                        out.append((rows[i][0], rows[i][1], began, at))
                depth -= 1
        i = j
    schema = {c: ns.schema[c] for c in ("host", "stream", "lo", "hi")}
    frame = pl.DataFrame(out, schema=schema, orient="row")
    return frame.with_columns(pl.col("lo", "hi").cast(spans.schema["lo"])).sort("lo")


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
                    pieces[i] = pl.select(_increase(pl.lit(pieces[i])).alias(name)).to_series()
        del col
        cols.append(pl.concat(pieces, rechunk=True))
        del pieces
    return pl.DataFrame(cols)


def _increase(value: pl.Expr) -> pl.Expr:
    """A count since boot as its rise since the series' previous value (a blank cell skipped:
    a relog of two captures leaves each machine's cells blank at the other's time stamps, a
    collector while a remote machine does not answer); a decrease (reboot) gives null."""
    diff = value - value.shift(1).forward_fill()
    return pl.when(diff >= 0).then(diff).otherwise(None)


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
    return counters.with_columns(
        pl.when(pl.col("_sid").is_in(cum_ids.implode()))
        .then(_increase(pl.col("value")).over("_sid"))
        .otherwise(pl.col("value"))
        .alias("value")
    ).drop("_sid")


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
    # The spacing's nanoseconds straight from the integers under the times (one temporary
    # column fewer than through durations, at the moment the whole bundle is held).
    cadence = (pl.col("ts").to_physical().diff().median() / 1e9).alias("cadence_s")
    spans = runs(events, ["host", "stream"])
    if spans is not None:
        # The timeline's own order: one stretch of rows per stream, summarised slice by slice
        # (a group_by gathers every group's rows into new memory first); the spacing's median
        # as ``cadence`` gives it, taken by selection (see _summary).
        st = pl.concat([_summary(events, offset, length) for offset, length in spans])
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
    # The kind of each stream, looked up in Python on the few (host, stream) rows: a Python
    # function inside a polars expression (map_elements) runs on polars' threads and needs the
    # GIL, which an analysis in another thread may hold while it waits for those same threads
    # (a deadlock seen with four analyses at once).
    names = st.select(pl.col("host").cast(pl.Utf8), pl.col("stream").cast(pl.Utf8)).rows()
    kind = pl.Series("kind", [kinds.get(key, "log") for key in names], dtype=pl.Utf8)
    return st.with_columns(kind).select(
        "host", "stream", "kind", "first", "last", "lines", "cadence_s"
    )


def _summary(events: pl.DataFrame, offset: int, length: int) -> pl.DataFrame:
    """:func:`_streams`' row of the stream whose rows are ``length`` from ``offset``: its
    first and last time and its spacing from the compiled core in one pass when the run
    loaded it (see :mod:`hbtriage.timeline.spacing`), else from polars."""
    part = events.slice(offset, length)
    ts = part.get_column("ts")
    measured = spacing.measure(ts.to_physical())
    if measured is None:
        return part.select(
            pl.col("host").first(),
            pl.col("stream").first(),
            pl.col("ts").min().alias("first"),
            pl.col("ts").max().alias("last"),
            pl.len().cast(pl.Int64).alias("lines"),
            pl.lit(_cadence(ts), pl.Float64).alias("cadence_s"),
        )
    ends = pl.Series("ends", [measured.lowest, measured.highest], dtype=pl.Int64).cast(ts.dtype)
    return part.head(1).select(
        "host",
        "stream",
        pl.lit(ends.slice(0, 1)).alias("first"),
        pl.lit(ends.slice(1, 1)).alias("last"),
        pl.lit(length, pl.Int64).alias("lines"),
        pl.lit(spacing.middle_value(spacing.middle(measured)) / 1e9, pl.Float64).alias("cadence_s"),
    )


def _cadence(ts: pl.Series) -> float | None:
    """The median spacing (seconds) of one stream's times ``ts``, exactly as ``cadence`` in
    :func:`_streams` gives it (None for fewer than two), by polars (:func:`_summary` takes it
    from the compiled core when the run loaded it)."""
    found = steps(ts.to_physical())
    median = (ts.to_physical().diff() if found is None else found).median()
    return None if median is None else float(median) / 1e9  # type: ignore[arg-type]


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


#: A DPC/ISR time or span (µs) from this on (31 years) is no measurement but a damaged report
#: (1e308 ms is inf µs): dropped, as NaN and inf are, before sums and durations overflow.
MAX_DPC_US = 1e15


def dpc_part(
    trace: DpcTrace, host: str, source: str, kind: str, iana: str | None, fixed: int | None
) -> HostDpc:
    """A reader's DPC/ISR report of ``host`` on UTC: its rows' times (each row's own offset
    when written, else the host's zone) and the report's bounds; times and shares that are no
    measurement (:data:`MAX_DPC_US`) left out."""
    modules = [
        replace(
            m,
            time_us=_measured(m.time_us),
            share=_measured(m.share),
            longest_us=_measured(m.longest_us),
            latency_max_us=_measured(m.latency_max_us),
        )
        for m in trace.modules
    ]
    rows = None
    if trace.rows is not None and trace.rows.height:
        src = trace.rows.with_columns(
            pl.when(pl.col(c).abs() < MAX_DPC_US).then(pl.col(c)).alias(c)
            for c in ("span_us", "time_us", "max_us")
        )
        if trace.offset_min is not None and "offset_min" in src.columns:
            src = src.with_columns(pl.col("offset_min").fill_null(trace.offset_min))
        rows = (
            _to_utc(src, iana, fixed)
            .drop("ts_local", "offset_min")
            .filter(pl.col("ts").is_not_null())
            .sort("ts")
        )
    bounds = pl.DataFrame(
        {
            "ts_local": [trace.start_local, trace.end_local],
            "offset_min": [trace.offset_min, trace.offset_min],
        },
        schema={"ts_local": pl.Datetime("ns"), "offset_min": pl.Int32()},
    )
    start, end = _to_utc(bounds, iana, fixed)["ts"].to_list()
    # The rows live on in UTC only: the reader's copy is dropped.
    return HostDpc(host, source, kind, replace(trace, rows=None, modules=modules), rows, start, end)


def _measured(value: float | None) -> float | None:
    return value if value is not None and abs(value) < MAX_DPC_US else None  # (None for NaN)
