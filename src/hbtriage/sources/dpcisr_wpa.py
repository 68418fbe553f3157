"""Windows Performance Analyzer (WPA) DPC/ISR tables, exported as CSV by ``wpaexporter`` or
copied out of WPA (tab-separated, Ctrl+C on the table).

Two layouts, told apart by their columns (names as in WPA's DPC/ISR table; any order, extra
columns ignored, ``,`` ``;`` or tab between cells, decimal commas accepted):

* Raw rows, one per DPC/ISR execution: ``Type`` (DPC / Interrupt), ``Module``, ``CPU``,
  ``DPC/ISR Enter Time (s)`` (or ``Enter Time``), a duration (``Exclusive Duration (ms)``,
  ``Inclusive Duration (ms)``, ``Duration (ms)`` or ``Duration (Fragmented) (ms)``) and
  optionally ``Count (DPCs/ISRs)``. -> ``DpcTrace.rows`` (``count`` 1, ``time_us`` and
  ``max_us`` the duration, ``span_us`` the duration) and the modules' totals. When only the
  fragmented duration is there, every fragment is a row and ``count`` is its ``Count
  (DPCs/ISRs)`` (1 on the last fragment of an execution, else 0).
* Summary ("DPC/ISR Duration by Module"): ``Module``, ``Count``, a duration sum and optionally
  a column whose name says ``Max`` (the longest execution). Rows grouped by function are added
  up per module; rows without a module (group headers, totals) are skipped.

Reading: the table is read by polars a few MiB at a time (:func:`read_fast`), with the same
result as the line loop (:func:`parse_wpa_dpcisr`, the reference) and about a tenth of its
time; a file polars could read otherwise than the loop (stray quotes, odd line breaks) is read
by the loop. ``HBTRIAGE_WPA_LOOP=1`` forces the loop.

Time: WPA writes enter times as seconds since the trace started. Rows get an absolute
``ts_local`` only when the start is known: either the enter-time column holds dates (WPA's
date-time display of a timestamp column), or the file name holds the trace start (``wpaexporter -prefix 2013-03-30T19-36-40_ ...``). Otherwise
``rows`` stays None, the relative rows are kept in ``extra["relative_rows"]``, and the
attribution stage falls back to the whole-trace totals. Without a ``Type`` column every row is
taken as a DPC (said in a warning).

The profile shipped with hbtriage exports the raw rows::

    wpaexporter -i trace.etl -profile dpcisr-raw.wpaProfile -outputfolder out
    wpaexporter -i trace.etl -profile dpcisr-raw.wpaProfile -outputfolder out -prefix 2013-03-30T19-36-40_

(``hbtriage/catalog/wpa/dpcisr-raw.wpaProfile``; the second form names the trace start. The
profile's graph and column GUIDs could not be checked against a WPA install: it says how to
complete them from a profile WPA exports if wpaexporter does not accept it.)
"""

from __future__ import annotations

import codecs
import csv
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from hbtriage.errors import InputError
from hbtriage.sources._dpcisr_common import (
    LONG_US,
    cut_off,
    cut_warning,
    fill_shares,
    map_unique,
    norm_module,
    ordered,
    parse_count,
    parse_count_series,
    parse_datetime,
    parse_datetime_series,
    parse_num,
    parse_num_series,
    read_report,
    round_series,
    stamp_in_name,
)
from hbtriage.sources.base import DPC_SCHEMA, DpcTrace, InputFile, ModuleUse, ReadResult
from hbtriage.sources.encoding import Utf8Stream, detect_encoding
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn

KIND = "wpa_dpcisr"
MAX_WARNINGS = 20

#: Times outside these are not a trace's (and would not fit nanoseconds): such rows are dropped.
_EARLIEST, _LATEST = datetime(1980, 1, 1), datetime(2200, 1, 1)
_MAX_ENTER_S = 1e8  # seconds since the trace start (three years)

_DURATIONS = (
    "exclusive duration",
    "inclusive duration",
    "duration",
    "duration (fragmented)",
)


def _split(line: str, sep: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=sep), [])
    except csv.Error:  # a field past the csv module's limit: no WPA cell is that long
        return line.split(sep)


def _sep(header: str) -> str:
    counts = {s: header.count(s) for s in ("\t", ";", ",")}
    return max(counts, key=lambda s: counts[s])


def _base(name: str) -> str:
    """Column name without its unit and aggregation: ``Max:Inclusive Duration (ms)`` ->
    ``inclusive duration``; ``Duration (Fragmented) (ms)`` keeps ``(fragmented)``."""
    s = name.strip().strip('"').lower()
    s = re.sub(r"^(sum|max|min|avg|count)\s*[:]\s*", "", s)
    s = re.sub(r"\s*\((ms|s|us|µs|μs|ns|sec)\)\s*$", "", s)
    return s.strip()


def _unit_us(name: str) -> float:
    """Microseconds per unit of a duration column (ms when the name gives none, WPA's default)."""
    m = re.search(r"\((ms|s|us|µs|μs|ns|sec)\)\s*$", name.strip().lower())
    unit = m.group(1) if m else "ms"
    return {"ms": 1e3, "s": 1e6, "sec": 1e6, "us": 1.0, "µs": 1.0, "μs": 1.0, "ns": 1e-3}[unit]


@dataclass
class _Columns:
    module: int
    kind: int | None
    cpu: int | None
    enter: int | None
    duration: int | None
    duration_us: float
    fragmented: bool
    count: int | None
    max_col: int | None
    max_us: float


def _columns(names: list[str]) -> _Columns | None:
    base = [_base(n) for n in names]
    if "module" not in base:
        return None

    def find(*wanted: str) -> int | None:
        for w in wanted:
            if w in base:
                return base.index(w)
        return None

    raw_max = [i for i, n in enumerate(names) if re.search(r"\bmax\b", n, re.I)]
    duration = find(*_DURATIONS)
    if duration is not None and duration in raw_max:
        others = [i for i, b in enumerate(base) if b in _DURATIONS and i not in raw_max]
        duration = others[0] if others else None
    enter = find("dpc/isr enter time", "enter time", "fragment enter time")
    return _Columns(
        module=base.index("module"),
        kind=find("type", "dpc/isr"),
        cpu=find("cpu"),
        enter=enter,
        duration=duration,
        duration_us=_unit_us(names[duration]) if duration is not None else 1e3,
        fragmented=duration is not None and base[duration] == "duration (fragmented)",
        count=find("count (dpcs/isrs)", "count"),
        max_col=raw_max[0] if raw_max else None,
        max_us=_unit_us(names[raw_max[0]]) if raw_max else 1e3,
    )


def _kind(text: str) -> str | None:
    t = text.strip().lower()
    if "isr" in t or "interrupt" in t:
        return "isr"
    if "dpc" in t:
        return "dpc"
    return None


def parse_wpa_dpcisr(text: str, display: str, name: str = "") -> ReadResult:
    """The :class:`ReadResult` of one exported table; ``name`` is the file name (it may hold
    the trace start)."""
    warnings = cut_warning(display, text)
    lines = text.splitlines()
    start_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start_at is None:
        raise InputError(display, None, warn("expect_wpa"))
    sep = _sep(lines[start_at])
    names = _split(lines[start_at], sep)
    cols = _columns(names)
    if cols is None or (cols.duration is None and cols.count is None):
        raise InputError(
            display,
            start_at + 1,
            warn("expect_wpa_header"),
            lines[start_at][:80],
        )
    raw = cols.enter is not None and cols.duration is not None
    trace_start = stamp_in_name(name) if name else None
    skipped = 0
    no_type = cols.kind is None
    out: dict[str, list[object]] = {
        k: [] for k in ("enter_s", "ts", "module", "kind", "cpu", "count", "dur_us", "max_us")
    }
    for i in range(start_at + 1, len(lines)):
        cells = _split(lines[i], sep) if lines[i].strip() else []
        if not cells:
            continue
        if len(cells) < len(names):
            skipped += 1
            if len(warnings) < MAX_WARNINGS:
                reason = warn("wpa_cells", count=len(names))
                warnings.append(warn("at_line", path=display, line=i + 1, reason=reason))
            continue
        module = norm_module(cells[cols.module])
        if not module or module in ("total", "totals"):
            continue
        kind = _kind(cells[cols.kind]) if cols.kind is not None else "dpc"
        if kind is None:
            continue  # a group row ("DPC/ISR") or a kind WPA adds later
        dur = parse_num(cells[cols.duration]) if cols.duration is not None else None
        count = parse_count(cells[cols.count]) if cols.count is not None else None
        enter_s: float | None = None
        ts: datetime | None = None
        if raw and cols.enter is not None:
            cell = cells[cols.enter]
            enter_s = parse_num(cell)
            if enter_s is None:
                ts = parse_datetime(cell)
            if enter_s is None and ts is None:
                skipped += 1
                continue
        if dur is None and count is None:
            skipped += 1
            continue
        if raw and cols.count is not None and not cols.fragmented and count == 0:
            continue  # not the last fragment: its execution is counted on its last one
        cpu = parse_count(cells[cols.cpu]) if cols.cpu is not None else None
        max_v = parse_num(cells[cols.max_col]) if cols.max_col is not None else None
        dur_us = round(dur * cols.duration_us, 3) if dur is not None else None
        if dur_us is not None and dur_us < 0:
            skipped += 1
            continue
        out["enter_s"].append(enter_s)
        out["ts"].append(ts)
        out["module"].append(module)
        out["kind"].append(kind)
        out["cpu"].append(cpu if cpu is not None and cpu < 2**31 else None)
        out["count"].append((count if cols.fragmented else 1) if raw else count)
        out["dur_us"].append(dur_us)
        out["max_us"].append(round(max_v * cols.max_us, 3) if max_v is not None else None)
    _summary_warnings(warnings, display, skipped, no_type)
    frame = pl.DataFrame(
        {
            "enter_s": pl.Series(out["enter_s"], dtype=pl.Float64),
            "ts": pl.Series(out["ts"], dtype=pl.Datetime("us")),
            "module": pl.Series(out["module"], dtype=pl.Utf8),
            "kind": pl.Series(out["kind"], dtype=pl.Utf8),
            "cpu": pl.Series(out["cpu"], dtype=pl.Int32),
            "count": pl.Series(out["count"], dtype=pl.Int64),
            "dur_us": pl.Series(out["dur_us"], dtype=pl.Float64),
            "max_us": pl.Series(out["max_us"], dtype=pl.Float64),
        }
    )
    return _finish(frame, raw, trace_start, warnings, display)


def _summary_warnings(warnings: list[str], display: str, skipped: int, no_type: bool) -> None:
    if skipped:
        reason = warn("wpa_unusable", count=skipped)
        warnings.append(warn("at_file", path=display, reason=reason))
    if no_type:
        warnings.append(warn("at_file", path=display, reason=warn("wpa_no_type")))


def _finish(
    frame: pl.DataFrame,
    raw: bool,
    trace_start: datetime | None,
    warnings: list[str],
    display: str,
) -> ReadResult:
    """The :class:`ReadResult` of the kept rows (the loop's and the fast path's alike):
    ``frame`` has ``enter_s``, ``ts`` (µs), ``module``, ``kind``, ``cpu``, ``count``,
    ``dur_us`` and ``max_us``."""
    modules = _modules(frame, raw)
    rows: pl.DataFrame | None = None
    extra: dict[str, object] = {"format": "wpa raw rows" if raw else "wpa summary"}
    start_local = end_local = None
    if raw and frame.height:
        dated = frame["ts"].null_count() < frame.height
        if not dated and trace_start is not None:
            frame = _keep(frame, pl.col("enter_s").abs() < _MAX_ENTER_S).with_columns(
                ts=pl.lit(trace_start).cast(pl.Datetime("us"))
                + pl.duration(microseconds=(pl.col("enter_s") * 1e6).round(0).cast(pl.Int64))
            )
        if dated or trace_start is not None:
            kept = _keep(frame, pl.col("ts").is_between(_EARLIEST, _LATEST))
            if kept.height < frame.height:
                reason = warn(
                    "wpa_out_of_range",
                    count=frame.height - kept.height,
                    earliest=f"{_EARLIEST:%Y}",
                    latest=f"{_LATEST:%Y}",
                )
                warnings.append(warn("at_file", path=display, reason=reason))
            frame = kept
            rows = frame.select(
                ts_local=pl.col("ts").cast(pl.Datetime("ns")),
                offset_min=pl.lit(None, dtype=pl.Int32),
                span_us=pl.col("dur_us"),
                module=pl.col("module"),
                kind=pl.col("kind"),
                cpu=pl.col("cpu"),
                count=pl.col("count"),
                time_us=pl.col("dur_us"),
                max_us=pl.col("dur_us"),
            ).cast(DPC_SCHEMA)  # type: ignore[arg-type]
            if rows.height:
                first, last = rows["ts_local"].min(), rows["ts_local"].max()
                start_local = trace_start or (first if isinstance(first, datetime) else None)
                if isinstance(last, datetime):
                    end_local = last
        else:
            extra["relative_rows"] = frame.select(
                "enter_s", "module", "kind", "cpu", "count", "dur_us"
            )
    span_s = None
    if raw and frame.height and frame["enter_s"].null_count() < frame.height:
        top = frame.select((pl.col("enter_s") + pl.col("dur_us").fill_null(0) / 1e6).max()).item()
        span_s = float(top) if top is not None else None
    cpus = frame["cpu"].max() if frame.height else None
    trace = DpcTrace(
        tool="wpa",
        modules=ordered(modules),
        rows=rows,
        start_local=start_local,
        end_local=end_local,
        span_s=span_s,
        long_us=LONG_US,
        cpus=int(cpus) + 1 if isinstance(cpus, int) else None,
    )
    return ReadResult(
        kind=KIND,
        dpc=trace,
        warnings=warnings,
        note=warn("note_wpa"),
        extra=extra,
    )


def _keep(frame: pl.DataFrame, condition: pl.Expr) -> pl.DataFrame:
    """``frame.filter(condition)``, the frame itself when every row passes (no copy)."""
    mask = frame.select(condition.fill_null(False)).to_series()
    return frame if mask.all() else frame.filter(mask)


def _modules(frame: pl.DataFrame, raw: bool) -> list[ModuleUse]:
    if not frame.height:
        return []
    longest = pl.col("dur_us").max() if raw else pl.col("max_us").max()
    # One integer a (module, kind) pair: grouping by two text columns encodes every row's
    # pair first (some 50 MB on 1 M rows); the groups, their order and sums are the same.
    pair = pl.col("module").cast(pl.Categorical).to_physical().cast(pl.UInt64) * 2 + (
        pl.col("kind") == "isr"
    ).cast(pl.UInt64)
    agg = frame.group_by(pair.alias("_pair"), maintain_order=True).agg(
        module=pl.col("module").first(),
        kind=pl.col("kind").first(),
        count=pl.col("count").sum(),
        any_count=pl.col("count").is_not_null().any(),
        time_us=pl.col("dur_us").sum(),
        any_time=pl.col("dur_us").is_not_null().any(),
        longest=longest,
        over=(pl.col("dur_us") > LONG_US).sum() if raw else pl.lit(None, dtype=pl.UInt32),
    )
    modules = [
        ModuleUse(
            module=r["module"],
            kind=r["kind"],
            count=int(r["count"]) if r["any_count"] and r["count"] is not None else None,
            time_us=float(r["time_us"]) if r["any_time"] else None,
            longest_us=r["longest"],
            over_long=int(r["over"]) if r["over"] is not None else None,
        )
        for r in agg.iter_rows(named=True)
    ]
    fill_shares(modules)
    return modules


# ---------------------------------------------------------------------------------------------
# The fast path: the same result as parse_wpa_dpcisr, by polars over pieces of the file.
#
# The file is read as UTF-8 pieces of PIECE_BYTES that end at a line end (decoded block by
# block when it is not UTF-8, errors replaced as the loop's read does). The header is found and
# split as the loop does; each piece's cells are read by polars' CSV reader (every column as
# text, only the needed ones) and converted by the ``*_series`` counterparts of the loop's
# parsers (which read the cells they cannot prove alike with the scalar parser itself); the
# kept rows go into columns sized once for the whole file (_Rows), then the loop's own ending
# (_finish) makes the result.
#
# What the loop does per line and polars cannot be trusted to do alike sends the whole file
# back to the loop (``None``): a line break splitlines() knows and polars does not (a lone CR,
# VT, FF, U+001C-U+001E, NEL, U+2028/9) or a cell with U+001F or NUL; a quote that is not a
# whole quoted cell (``"a"b``, ``a"b``, ``"a`` or a cell over lines) or a quoted line longer
# than 100 000 bytes (the csv module's field limit); a BOM at the start of a piece's rows;
# anything polars refuses or reads as another number of rows than the piece has lines; a
# header the loop refuses (it says why). Rows polars reads but the loop finds short (fewer
# cells than the header: skipped with a warning) or blank are found on the piece's lines (the
# piece read once more, one text cell a line) when the piece has quotes or a row's last cell
# is empty (as a short row's is).

#: Bytes of the file parsed at a time by the fast path.
PIECE_BYTES = 4 << 20
#: Set (to anything but 0) to read every table with the line loop (the reference).
LOOP_ENV = "HBTRIAGE_WPA_LOOP"
#: Never in a piece the fast path reads (see above): NUL, VT, FF, U+001C-U+001F.
_ODD_ASCII = (b"\x00", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f")
#: NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR in UTF-8.
_ODD_UTF8 = (b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")
#: A line with a quote longer than this may hold a cell past the csv module's field limit.
_LONG_QUOTED_LINE = 100_000


def read_fast(
    path: str, encoding: str, display: str, name: str = "", piece_bytes: int = PIECE_BYTES
) -> ReadResult | None:
    """The :class:`ReadResult` of the file at ``path`` (in ``encoding``), equal to
    :func:`parse_wpa_dpcisr`'s of its text; None when the file is one to leave to the loop."""
    try:
        stream = Utf8Stream(path, encoding, block=max(piece_bytes, 1 << 16))
        size = os.path.getsize(path)
    except (LookupError, OSError):
        return None
    codec = codecs.lookup(encoding).name
    size //= 4 if codec.startswith("utf-32") else 2 if codec.startswith("utf-16") else 1
    with stream:
        return parse_fast(stream.pieces(piece_bytes), display, name, size)


@dataclass
class _Table:
    """What the header says, for every piece."""

    names: list[str]
    sep: str
    cols: _Columns
    raw: bool
    read: list[int]  # the columns polars reads: the needed ones and the last


def parse_fast(
    pieces: Iterable[bytes], display: str, name: str = "", size_hint: int | None = None
) -> ReadResult | None:
    """:func:`parse_wpa_dpcisr` of the text whose UTF-8 bytes are ``pieces`` (each ending at a
    line end, but the last), or None when the loop must read it. ``size_hint``: about how many
    bytes the pieces hold in all (to size the columns once)."""
    it = iter(pieces)
    first, found = b"", None
    for piece in it:  # blank lines before the header may fill pieces
        if not _plain(piece):
            return None
        first += piece
        found = _header(first)
        if found is not None:
            break
    if found is None:
        return None
    table, line0, start = found
    if table is None:
        return None
    newlines, last_byte = first.count(b"\n"), first[-1:]
    lines_per_byte = (newlines + 1) / len(first)
    rows = _Rows(int((size_hint or len(first)) * lines_per_byte * 1.05) + 64)
    shorts: list[int] = []
    skipped = 0
    data: bytes | None = first[start:]
    ends = first.count(b"\n", start)
    while data is not None:
        if data:
            done = _piece(data, ends, table, line0, rows, shorts)
            if done is None:
                return None
            skipped += done
            line0 += ends
        data = next(it, None)
        if data is not None:
            if not _plain(data):
                return None
            ends = data.count(b"\n")
            newlines += ends
            last_byte = data[-1:] or last_byte
    warnings: list[str] = []
    if last_byte not in (b"\n", b"\r"):
        warnings.append(cut_off(display, newlines + 1))
    for line in shorts[: max(0, MAX_WARNINGS - len(warnings))]:
        reason = warn("wpa_cells", count=len(table.names))
        warnings.append(warn("at_line", path=display, line=line, reason=reason))
    _summary_warnings(warnings, display, skipped + len(shorts), table.cols.kind is None)
    trace_start = stamp_in_name(name) if name else None
    return _finish(rows.frame(), table.raw, trace_start, warnings, display)


#: The columns of the kept rows (as the loop builds them).
_FRAME: dict[str, pl.DataType] = {
    "enter_s": pl.Float64(),
    "ts": pl.Datetime("us"),
    "module": pl.Utf8(),
    "kind": pl.Utf8(),
    "cpu": pl.Int32(),
    "count": pl.Int64(),
    "dur_us": pl.Float64(),
    "max_us": pl.Float64(),
}
_NAMES = ("module", "kind")


class _Rows:
    """The kept rows, written piece after piece into columns allocated once for the whole file
    (``capacity`` rows; more columns when that runs out). Columns put together from one chunk
    a piece would be copied at the end while the allocator keeps the chunks' memory. Module
    and kind are kept as codes of their distinct names; a column no piece writes stays
    unallocated."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(capacity, 1)
        self.used = 0
        self.cols: dict[str, pl.Series | None] = dict.fromkeys(_FRAME)
        self.full: list[tuple[int, dict[str, pl.Series | None]]] = []
        self.names: dict[str, int] = {}

    def add(self, out: pl.DataFrame) -> None:
        n = out.height
        if not n:
            return
        if self.used + n > self.capacity:
            self.full.append((self.used, self.cols))
            self.cols = dict.fromkeys(_FRAME)
            self.capacity, self.used = max(n, self.capacity // 4), 0
        at = pl.int_range(self.used, self.used + n, eager=True)
        for k in _FRAME:
            values = out[k]
            if k in _NAMES:
                values = self._codes(values)
            elif values.null_count() == n:
                continue  # the column holds nulls already
            col = self.cols[k]
            if col is None:
                col = pl.repeat(None, self.capacity, dtype=values.dtype, eager=True)
            self.cols[k] = col.scatter(at, values)
        self.used += n

    def _codes(self, names: pl.Series) -> pl.Series:
        distinct = names.unique(maintain_order=True)
        codes = [self.names.setdefault(v, len(self.names)) for v in distinct.to_list()]
        return names.replace_strict(distinct, codes, return_dtype=pl.UInt32())

    def frame(self) -> pl.DataFrame:
        """The rows as the loop's frame (the store is emptied)."""
        slabs = [*self.full, (self.used, self.cols)]
        self.full, self.cols, self.used = [], dict.fromkeys(_FRAME), 0
        names = pl.Series(list(self.names), dtype=pl.Utf8())
        columns = []
        for k, dtype in _FRAME.items():
            coded = k in _NAMES
            chunks = []
            for used, cols in slabs:
                col = cols.pop(k)
                if col is None:
                    col = pl.repeat(None, used, dtype=pl.UInt32() if coded else dtype, eager=True)
                chunks.append(col.head(used))
            col = chunks[0] if len(chunks) == 1 else pl.concat(chunks, rechunk=True)
            del chunks
            columns.append((names.gather(col) if coded else col).alias(k).cast(dtype))
        return pl.DataFrame(columns)


def _plain(piece: bytes) -> bool:
    """No byte in ``piece`` that the loop and polars would read differently (see above)."""
    if any(b in piece for b in _ODD_ASCII):
        return False
    if not piece.isascii() and any(b in piece for b in _ODD_UTF8):
        return False
    return b"\r" not in piece or piece.count(b"\r") == piece.count(b"\r\n")


def _header(first: bytes) -> tuple[_Table | None, int, int] | None:
    """The table's header as the loop reads it from the first pieces, the index of the line
    after it and the offset of that line; None for the table when the loop is to say what is
    wrong with the header; None when ``first`` holds blank lines only."""
    pos, index = 0, 0
    while pos < len(first):
        end = first.find(b"\n", pos)
        stop = len(first) if end < 0 else end + 1
        line = first[pos:stop].decode("utf-8").removesuffix("\n").removesuffix("\r")
        if line.strip():
            sep = _sep(line)
            names = _split(line, sep)
            cols = _columns(names)
            if cols is None or (cols.duration is None and cols.count is None):
                return None, index + 1, stop
            raw = cols.enter is not None and cols.duration is not None
            wanted = [cols.module, cols.kind, cols.cpu, cols.duration, cols.count]
            wanted += [cols.enter] if raw else [cols.max_col]
            read = sorted({i for i in wanted if i is not None} | {len(names) - 1})
            return _Table(names, sep, cols, raw, read), index + 1, stop
        pos, index = stop, index + 1
    return None


def _piece(
    data: bytes, ends: int, table: _Table, line0: int, rows: _Rows, shorts: list[int]
) -> int | None:
    """Reads the lines ``data`` (``ends`` line ends; the first line is the file's line
    ``line0``, 0-based) into ``rows``, the line numbers of short rows into ``shorts``; returns
    the rows skipped for no module, time or duration, None when the loop must read the file."""
    if data.startswith(codecs.BOM_UTF8):
        return None  # polars would drop it, the loop keeps it in the first cell
    lines = ends + (0 if data.endswith(b"\n") else 1)
    ncols = len(table.names)
    cells = _read_lines(
        data,
        lines,
        separator=table.sep,
        quote_char='"',
        schema={f"c{i}": pl.String() for i in range(ncols)},
        columns=table.read,
        empty_string_is_null=False,
        extra_columns="ignore",
        missing_columns="insert",
    )
    if cells is None:
        return None
    quoted = b'"' in data
    if quoted or (cells[f"c{ncols - 1}"] == "").any():
        flags = _line_flags(data, table, quoted, lines)
        if flags is None:
            return None
        shorts.extend((flags.filter(~pl.col("blank"))["i"] + line0 + 1).to_list())
        left_out = pl.repeat(False, cells.height, eager=True).scatter(flags["i"], True)
        cells = cells.filter(~left_out)
    out, skipped = _convert(cells, table, data.isascii())
    rows.add(out)
    return skipped


def _read_lines(data: bytes, lines: int, **options: Any) -> pl.DataFrame | None:
    """polars' CSV reader on ``data`` (no header, every cell text), None when it refuses it or
    reads another number of rows than ``data`` has ``lines``."""
    try:
        frame = pl.read_csv(
            data,
            has_header=False,
            infer_schema=False,
            truncate_ragged_lines=True,
            raise_if_empty=False,
            **options,
        )
    except pl.exceptions.PolarsError:
        return None
    return frame if frame.height == lines else None


def _line_flags(data: bytes, table: _Table, quoted: bool, lines: int) -> pl.DataFrame | None:
    """The rows (``i``, ``blank``) of ``data`` the loop leaves out for fewer cells than the
    header (silently when the line is blank); None when a line's quotes are not whole quoted
    cells (the loop's csv module and polars could split it differently)."""
    # U+001F is in no piece: one text cell a line
    text = _read_lines(data, lines, separator="\x1f", quote_char=None, new_columns=["l"])
    if text is None:
        return None
    sep = {"\t": r"\t"}.get(table.sep, table.sep)
    line = pl.col("l").fill_null("")
    if quoted:
        cell = f'(?:"(?:[^"]|"")*"|[^"{sep}]*)'
        whole = f"^{cell}(?:{sep}{cell})*$"
        bad = line.str.contains('"', literal=True) & (
            ~line.str.contains(whole) | (line.str.len_bytes() > _LONG_QUOTED_LINE)
        )
        unquoted = line.str.replace_all(r'"(?:[^"]|"")*"', "")
    else:
        bad, unquoted = pl.lit(False), line
    n = unquoted.str.count_matches(table.sep, literal=True) + 1
    flags = (
        text.with_row_index("i")
        .select("i", bad=bad, blank=line.str.strip_chars() == "", short=n < len(table.names))
        .filter(pl.col("bad") | pl.col("short"))
    )
    return None if flags["bad"].any() else flags.select("i", "blank")


def _convert(cells: pl.DataFrame, table: _Table, ascii_only: bool) -> tuple[pl.DataFrame, int]:
    """The kept rows of ``cells`` (columns ``c<i>``) as the loop builds them, and how many rows
    it counts as skipped. Every row is converted and one filter keeps the loop's rows."""
    cols, raw, n = table.cols, table.raw, cells.height

    def col(i: int | None) -> pl.Series:
        assert i is not None
        return cells[f"c{i}"]

    def nulls(dtype: pl.DataType) -> pl.Series:
        return pl.repeat(None, n, dtype=dtype, eager=True)

    module = map_unique(col(cols.module), norm_module, pl.Utf8())
    keep = (module != "") & ~module.is_in(["total", "totals"])
    if cols.kind is not None:
        kind = map_unique(col(cols.kind), _kind, pl.Utf8())
        keep &= kind.is_not_null()  # a group row ("DPC/ISR") or a kind WPA adds later
    else:
        kind = pl.repeat("dpc", n, dtype=pl.Utf8(), eager=True)
    dur_us = nulls(pl.Float64())
    if cols.duration is not None:
        dur_us = round_series(
            parse_num_series(col(cols.duration), ascii_only) * cols.duration_us, 3
        )
    count = (
        parse_count_series(col(cols.count), ascii_only)
        if cols.count is not None
        else nulls(pl.Int64())
    )
    enter_s, ts = nulls(pl.Float64()), nulls(pl.Datetime("us"))
    skip = pl.repeat(False, n, eager=True)
    if raw:
        enter_s = parse_num_series(col(cols.enter), ascii_only)
        dates = keep & enter_s.is_null()
        if dates.any():
            at = dates.arg_true()
            ts = ts.scatter(at, parse_datetime_series(col(cols.enter).gather(at), ascii_only))
        untimed = keep & enter_s.is_null() & ts.is_null()
        skip |= untimed
        keep &= ~untimed
    unusable = keep & dur_us.is_null() & count.is_null()
    skip |= unusable
    keep &= ~unusable
    if raw and cols.count is not None and not cols.fragmented:
        keep &= (count != 0).fill_null(True)  # not the last fragment: counted on its last one
    negative = keep & (dur_us < 0).fill_null(False)
    skip |= negative
    keep &= ~negative
    cpu = nulls(pl.Int64())
    if cols.cpu is not None:
        cpu = parse_count_series(col(cols.cpu), ascii_only)
        cpu = pl.select(pl.when(cpu < 2**31).then(cpu)).to_series()
    max_us = nulls(pl.Float64())
    if not raw and cols.max_col is not None:
        max_us = round_series(parse_num_series(col(cols.max_col), ascii_only) * cols.max_us, 3)
    if raw:
        count = count if cols.fragmented else pl.repeat(1, n, dtype=pl.Int64(), eager=True)
    out = (
        pl.DataFrame(
            {
                "enter_s": enter_s,
                "ts": ts,
                "module": module,
                "kind": kind,
                "cpu": cpu,
                "count": count,
                "dur_us": dur_us,
                "max_us": max_us,
            }
        )
        .filter(keep)
        .cast(_FRAME)  # type: ignore[arg-type]
    )
    return out, int(skip.sum())


_SNIFF_HEADER = re.compile(r"(^|[,;\t\"])\s*Module\s*\"?([,;\t]|$)", re.I)


class WpaDpcIsrReader:
    """Reads WPA DPC/ISR tables exported as CSV (wpaexporter) or copied as text."""

    kind = KIND

    def sniff(self, head: str, name: str) -> bool:
        first = next((line for line in head.splitlines() if line.strip()), "")
        if not _SNIFF_HEADER.search(first):
            return False
        cols = _columns(_split(first, _sep(first)))
        if cols is None:
            return False
        low = first.lower()
        return ("duration" in low or "enter time" in low) and (
            cols.duration is not None or cols.enter is not None
        )

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        name = os.path.basename(item.display)
        if os.environ.get(LOOP_ENV, "0") in ("", "0"):
            encoding = text_encoding or _detect(item.path)
            result = read_fast(item.path, encoding, item.display, name)
            if result is not None:
                result.encoding = encoding
                return result
        return read_report(item, text_encoding, lambda text, d: parse_wpa_dpcisr(text, d, name))


def _detect(path: str) -> str:
    """The encoding the loop's read would take (from the first 64 KiB)."""
    try:
        with open(path, "rb") as fh:
            return detect_encoding(fh.read(65536))
    except OSError:
        return "utf-8"


READER = WpaDpcIsrReader()
