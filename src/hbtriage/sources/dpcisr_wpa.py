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

import csv
import os
import re
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from hbtriage.errors import InputError
from hbtriage.sources._dpcisr_common import (
    LONG_US,
    cut_warning,
    fill_shares,
    norm_module,
    ordered,
    parse_count,
    parse_datetime,
    parse_num,
    read_report,
    stamp_in_name,
)
from hbtriage.sources.base import DPC_SCHEMA, DpcTrace, InputFile, ModuleUse, ReadResult
from hbtriage.sources.options import DEFAULT, ReadOptions

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
        raise InputError(display, None, "a WPA DPC/ISR table with a 'Module' column")
    sep = _sep(lines[start_at])
    names = _split(lines[start_at], sep)
    cols = _columns(names)
    if cols is None or (cols.duration is None and cols.count is None):
        raise InputError(
            display,
            start_at + 1,
            "a WPA DPC/ISR table header with 'Module' and a count or duration column",
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
                warnings.append(f"{display}:{i + 1}: {len(names)} cells expected; row skipped")
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
    if skipped:
        warnings.append(f"{display}: {skipped} rows without a usable module, time or duration")
    if no_type:
        warnings.append(f"{display}: no 'Type' column: every row taken as a DPC")
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
    modules = _modules(frame, raw)
    rows: pl.DataFrame | None = None
    extra: dict[str, object] = {"format": "wpa raw rows" if raw else "wpa summary"}
    start_local = end_local = None
    if raw and frame.height:
        dated = frame["ts"].null_count() < frame.height
        if not dated and trace_start is not None:
            frame = frame.filter(pl.col("enter_s").abs() < _MAX_ENTER_S).with_columns(
                ts=pl.lit(trace_start).cast(pl.Datetime("us"))
                + pl.duration(microseconds=(pl.col("enter_s") * 1e6).round(0).cast(pl.Int64))
            )
        if dated or trace_start is not None:
            kept = frame.filter(pl.col("ts").is_between(_EARLIEST, _LATEST))
            if kept.height < frame.height:
                warnings.append(
                    f"{display}: {frame.height - kept.height} rows with a time before "
                    f"{_EARLIEST:%Y} or after {_LATEST:%Y} (or no time); left out"
                )
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
        note="WPA DPC/ISR table: DPC/ISR time by driver",
        extra=extra,
    )


def _modules(frame: pl.DataFrame, raw: bool) -> list[ModuleUse]:
    if not frame.height:
        return []
    longest = pl.col("dur_us").max() if raw else pl.col("max_us").max()
    agg = frame.group_by("module", "kind", maintain_order=True).agg(
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
        return read_report(item, text_encoding, lambda text, d: parse_wpa_dpcisr(text, d, name))


READER = WpaDpcIsrReader()
