"""Linux sysstat output: ``sadf -d`` (semicolon CSV, UTC) and plain ``sar`` text reports.

Counters keep their Linux meaning under Windows-like object names so that the detectors see them
next to their perfmon look-alikes (the Linux-only names are in the hand-maintained section of
``catalog/counters.toml``):

==========================  ======================  =====================================
sar column                  object                  counter
==========================  ======================  =====================================
``-u``  100 - %idle         Processor (CPU/_Total)  % Processor Time
``-u ALL`` %irq             Processor               % Interrupt Time
``-u ALL`` %soft            Processor               % Soft IRQ Time  (softirq, not DPC)
``-q`` runq-sz              System                  Processor Queue Length
``-n DEV`` rxpck/s          Network Interface       Packets Received/sec
``-n DEV`` rxkB/s+txkB/s    Network Interface       Bytes Total/sec  (x 1024)
``-n EDEV`` rxerr/s ...     Network Interface       Packets Received Errors/sec ...
``-n UDP`` idgmerr/s        UDPv4                   Datagrams Received Errors/sec
``-n UDP`` idgm/s+odgm/s    UDPv4                   Datagrams/sec
``-n UDP6`` idgmer6/s       UDPv6                   Datagrams Received Errors/sec
``-n ETCP`` retrans/s       TCPv4                   Segments Retransmitted/sec
``-r`` kbavail / 1024       Memory                  Available MBytes
``-W`` pswpin/s+pswpout/s   Memory                  Pages/sec  (pages swapped: hard paging)
``-n SOFT`` dropd/s ...     Linux Net (CPU)         Softnet Dropped/sec, Softnet Squeezed/sec
==========================  ======================  =====================================

``sadf -d`` prints UTC timestamps (``2024-01-15 08:10:01 UTC``): ``offset_min = 0``. Plain
``sar`` prints local wall-clock times and the date once in its banner: ``offset_min`` is None.

Interrupt blocks (``sar -I``: ``INTR intr/s``; ``mpstat -I CPU``/``SCPU``, which has the same
banner) also fill ``ReadResult.dpc`` with per-interval rows per interrupt line or softirq
(:mod:`hbtriage.sources.irq_sysstat`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable

import polars as pl

from hbtriage.errors import InputError
from hbtriage.sources import _lines as L
from hbtriage.sources import _sniffs, irq_sysstat
from hbtriage.sources import _sysstat_time as T
from hbtriage.sources._sniffs import SADF_HEADER_RE as _SADF_HEADER_RE
from hbtriage.sources._sniffs import SAR_BANNER_RE as _SAR_BANNER_RE
from hbtriage.sources.base import COUNTER_SCHEMA, InputFile, ReadResult, empty_counters
from hbtriage.sources.encoding import read_head, read_text
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn

KIND = "sar"
MAX_WARNINGS = 20


# column -> (object, counter, scale). Sums and "100 - x" are handled in _derived().
_DIRECT: dict[str, tuple[str, str, float]] = {
    "%irq": ("Processor", "% Interrupt Time", 1.0),
    "%soft": ("Processor", "% Soft IRQ Time", 1.0),
    "runq-sz": ("System", "Processor Queue Length", 1.0),
    "rxpck/s": ("Network Interface", "Packets Received/sec", 1.0),
    "rxerr/s": ("Network Interface", "Packets Received Errors/sec", 1.0),
    "txerr/s": ("Network Interface", "Packets Outbound Errors/sec", 1.0),
    "rxdrop/s": ("Network Interface", "Packets Received Discarded/sec", 1.0),
    "txdrop/s": ("Network Interface", "Packets Outbound Discarded/sec", 1.0),
    "rxfifo/s": ("Network Interface", "Receive FIFO Overruns/sec", 1.0),
    "idgmerr/s": ("UDPv4", "Datagrams Received Errors/sec", 1.0),
    "idgmer6/s": ("UDPv6", "Datagrams Received Errors/sec", 1.0),
    "retrans/s": ("TCPv4", "Segments Retransmitted/sec", 1.0),
    "kbavail": ("Memory", "Available MBytes", 1.0 / 1024.0),
    "dropd/s": ("Linux Net", "Softnet Dropped/sec", 1.0),
    "squeezd/s": ("Linux Net", "Softnet Squeezed/sec", 1.0),
}
_INSTANCE_COLUMNS = ("CPU", "IFACE")


def _num(name: str) -> pl.Expr:
    return (
        pl.col(name)
        .str.strip_chars()
        .str.replace(",", ".", literal=True)  # LC_NUMERIC=de_DE sysstat writes 2,51
        .cast(pl.Float64, strict=False)
    )


def _derived(columns: list[str]) -> list[tuple[str, str, pl.Expr]]:
    """(object, counter, value expression) for every mapped column present in a block."""
    out: list[tuple[str, str, pl.Expr]] = []
    if "%idle" in columns:
        out.append(("Processor", "% Processor Time", 100.0 - _num("%idle")))
    for col, (obj, ctr, scale) in _DIRECT.items():
        if col == "retrans/s" and "call/s" in columns:
            continue  # sar -n NFS: the NFS client's RPC retransmissions, not TCP segments
        if col in columns:
            out.append((obj, ctr, _num(col) * scale))
    if "rxkB/s" in columns and "txkB/s" in columns:
        out.append(
            ("Network Interface", "Bytes Total/sec", (_num("rxkB/s") + _num("txkB/s")) * 1024.0)
        )
    if "pswpin/s" in columns and "pswpout/s" in columns:  # sar -W: hard paging
        out.append(("Memory", "Pages/sec", _num("pswpin/s") + _num("pswpout/s")))
    if "idgm/s" in columns and "odgm/s" in columns:
        out.append(("UDPv4", "Datagrams/sec", _num("idgm/s") + _num("odgm/s")))
    if "idgm6/s" in columns and "odgm6/s" in columns:
        out.append(("UDPv6", "Datagrams/sec", _num("idgm6/s") + _num("odgm6/s")))
    return out


def _to_long(block: pl.DataFrame, host_expr: pl.Expr, offset: int | None) -> pl.DataFrame:
    """Wide sar block (Utf8 columns + ts_local) -> COUNTER_SCHEMA rows."""
    parts = _long_parts(block, host_expr, offset)
    return pl.concat(parts) if parts else empty_counters()


def _long_parts(block: pl.DataFrame, host_expr: pl.Expr, offset: int | None) -> list[pl.DataFrame]:
    """:func:`_to_long`'s rows, one frame per counter made (in :func:`_derived` order)."""
    cols = block.columns
    inst_col = next((c for c in _INSTANCE_COLUMNS if c in cols), None)
    if inst_col is None:
        instance = pl.lit("")
    elif inst_col == "CPU":
        cpu = pl.col("CPU").str.strip_chars()
        instance = pl.when(cpu.is_in(["-1", "all"])).then(pl.lit("_Total")).otherwise(cpu)
    else:
        instance = pl.col(inst_col).str.strip_chars()
    return [
        block.select(
            host=host_expr,
            object=pl.lit(obj),
            instance=instance,
            counter=pl.lit(ctr),
            ts_local=pl.col("ts_local"),
            offset_min=pl.lit(offset, dtype=pl.Int32),
            value=expr,
        ).cast(COUNTER_SCHEMA)  # type: ignore[arg-type]
        for obj, ctr, expr in _derived(cols)
    ]


def _warn(warnings: list[str], display: str, bad: pl.DataFrame, reason: str) -> None:
    """``display:n: reason`` for each bad row (``reason`` ends "row skipped")."""
    for (n,) in bad.select("n").iter_rows():
        if len(warnings) >= MAX_WARNINGS:
            break
        warnings.append(warn("at_line", path=display, line=n, reason=reason))


def _cap(warnings: list[str], total_bad: int) -> list[str]:
    shown = sum(1 for w in warnings if w.endswith("row skipped"))
    if total_bad > shown:
        warnings.append(warn("more", count=total_bad - shown))
    return warnings


def parse_sadf(text: str, display: str) -> ReadResult:
    """``sadf -d`` output: one or more blocks, each with its ``# hostname;...`` header."""
    lines = pl.DataFrame({"l": pl.Series(text.split("\n"), dtype=pl.Utf8).str.strip_suffix("\r")})
    return _sadf([lines.with_row_index("n", offset=1)], display)


def read_sadf(path: str, encoding: str, display: str, options: ReadOptions = DEFAULT) -> ReadResult:
    """:func:`parse_sadf` of a file, read in pieces (:func:`_lines.line_chunks`): a day at one
    second over many interfaces runs to hundreds of MB."""
    pieces = (
        L.shift_lines(frame, before).select(
            pl.col("line").cast(pl.UInt32).alias("n"), pl.col("text").alias("l")
        )
        for frame, _unterminated, before, _last in L.line_chunks(path, encoding, None, options)
    )
    return _sadf(pieces, display)


def _sadf(pieces: Iterable[pl.DataFrame], display: str) -> ReadResult:
    """The blocks of ``sadf -d`` lines (``n`` line number, ``l`` text) given piece by piece; a
    block may run across pieces. Rows come out as one pass over the whole text gives them: per
    block, per counter, in line order."""
    names_of: dict[int, list[str]] = {}  # block number -> its header's column names
    parts: dict[int, list[list[pl.DataFrame]]] = {}  # block -> per counter -> pieces' rows
    warnings: list[str] = []
    total_bad = 0
    block = 0  # the block the next line belongs to (0: before any header)
    intr: list[pl.DataFrame] = []  # INTR blocks (sar -I), for the interrupt rows
    for piece in pieces:
        lines = piece.with_columns(hdr=pl.col("l").str.starts_with("# hostname;"))
        lines = lines.with_columns(block=pl.col("hdr").cum_sum().cast(pl.Int64) + block)
        for block_id, header in lines.filter(pl.col("hdr")).select("block", "l").iter_rows():
            names_of[block_id] = header[2:].split(";")
        if lines.height:
            block = int(lines["block"][-1])
        lines = lines.filter(pl.col("block") > 0, pl.col("l").str.strip_chars() != "")
        for block_id in lines["block"].unique(maintain_order=True).to_list():
            names = names_of[block_id]
            data = lines.filter(
                pl.col("block") == block_id,
                ~pl.col("hdr"),
                ~pl.col("l").str.starts_with("#"),
                ~pl.col("l").str.contains("LINUX-RESTART|LINUX-COUNTERS", literal=False),
            ).with_columns(
                cnt=pl.col("l").str.count_matches(";"),
                ts_local=pl.col("l")
                .str.extract(r"^[^;]*;[^;]*;([^;]*)", 1)
                .str.strip_chars()
                .str.strip_suffix(" UTC")
                .pipe(L.strptime_ns, "%Y-%m-%d %H:%M:%S"),
            )
            ok = (pl.col("cnt") == len(names) - 1) & pl.col("ts_local").is_not_null()
            bad = data.filter(~ok)
            if bad.height:
                total_bad += bad.height
                _warn(
                    warnings,
                    display,
                    bad,
                    warn("sar_fields", count=len(names)),
                )
            data = data.filter(ok)
            if not data.height:
                continue
            wide = pl.read_csv(
                io.BytesIO((data["l"].str.join("\n").item() or "").encode("utf-8")),
                has_header=False,
                separator=";",
                new_columns=names,
                infer_schema=False,
                quote_char=None,
            ).with_columns(ts_local=data["ts_local"])
            if "INTR" in names and "intr/s" in names:
                intr.append(wide)
            got = _long_parts(wide, pl.col("hostname").str.strip_chars(), 0)
            acc = parts.setdefault(block_id, [[] for _ in got])
            for k, rows in enumerate(got):
                acc[k].append(rows)
    if not names_of:
        raise InputError(display, None, warn("expect_sadf"))
    frames = [rows for b in sorted(parts) for per_counter in parts[b] for rows in per_counter]
    counters = pl.concat(frames) if frames else empty_counters()
    hosts = counters["host"].unique(maintain_order=True).to_list()
    return ReadResult(
        kind=KIND,
        encoding=None,
        host=hosts[0] if len(hosts) == 1 else None,
        host_reason=warn("host_reason_sadf") if len(hosts) == 1 else "",
        zone="UTC",
        offset_min=0,
        stream="sar",
        counters=counters,
        warnings=_cap(warnings, total_bad),
        extra={"format": "sadf -d", "hosts": hosts},
        dpc=irq_sysstat.sadf_trace(intr) if intr else None,
    )


#: How far a table may start before the one above it and still be of the same day.
_TABLE_SLACK = dt.timedelta(hours=1)


def _banner_day(text: str, banner: re.Match[str], display: str) -> tuple[dt.date, list[str]]:
    """The banner's date in the LC_TIME sar ran under (``catalog/sysstat.toml``), told apart
    by the rows' clock when d/m and m/d both read (and a warning when the clock does not)."""
    date_text = banner.group("date")
    rows = (T.row_re().match(ln.strip()) for ln in text[banner.end() :].split("\n", 400)[:400])
    clocks = [m["ampm"] is not None for m in rows if m is not None]
    got = T.banner_date(date_text, any(clocks) if clocks else None)
    line = text.count("\n", 0, banner.start()) + 1
    if got is None:
        layouts = ", ".join(d.layout for d in T.words().dates)
        raise InputError(display, line, warn("expect_sar_date", layouts=layouts, date=date_text))
    warnings: list[str] = []
    if got.other is not None:
        day, lay = got.other
        warnings.append(
            warn(
                "sar_date_ambiguous",
                date=date_text,
                taken=got.day.isoformat(),
                locales=got.layout.locales,
                other=day.isoformat(),
                other_locales=lay.locales,
            )
        )
    return got.day, warnings


def parse_sar_text(text: str, display: str) -> ReadResult:
    """Plain ``sar`` report: banner ``Linux ... (host) 01/15/2024 ...``, then sections whose
    first line names the columns (``08:10:01 AM  CPU  %user ... %idle``). Local times, the date
    and times in the LC_TIME sar ran under (``catalog/sysstat.toml``)."""
    banner = _SAR_BANNER_RE.search(text)
    if banner is None:
        raise InputError(display, 1, warn("expect_sar_banner"))
    host = banner.group("host")
    day, warnings = _banner_day(text, banner, display)
    lines = pl.DataFrame({"l": pl.Series(text.split("\n"), dtype=pl.Utf8).str.strip_suffix("\r")})
    lines = (
        lines.with_row_index("n", offset=1)
        .with_columns(parts=pl.col("l").str.strip_chars().str.extract_groups(T.row_pattern()))
        .unnest("parts")
        .filter(pl.col("h").is_not_null())
        .with_columns(first=pl.col("rest").str.extract(r"^(\S+)", 1))
    )
    # A column-header row: its first field is a name (CPU, IFACE, runq-sz, idgm/s, %user ...).
    # A column-header row names columns only: no field of it is a number.
    is_hdr = pl.col("first").str.contains(r"^[A-Za-z%]") & ~pl.col("rest").str.contains(
        r"(^|\s)-?\d+([.,]\d+)?(\s|$)"
    )
    lines = lines.with_columns(hdr=is_hdr).with_columns(block=pl.col("hdr").cum_sum())
    lines = lines.filter(pl.col("block") > 0)
    hour = pl.col("h").cast(pl.Int32)
    hour = (
        pl.when(pl.col("ampm").is_null())
        .then(hour)
        .otherwise(hour % 12 + pl.when(pl.col("ampm") == "PM").then(12).otherwise(0))
    )
    hms = pl.concat_str([hour.cast(pl.Utf8), pl.col("m"), pl.col("s")], separator=":")
    ts = L.make_ts(pl.lit(day.isoformat()), hms)
    frames: list[pl.DataFrame] = []
    previous: dt.datetime | None = None  # the first time of the table above
    for block_id, rest in lines.filter(pl.col("hdr")).select("block", "rest").iter_rows():
        names = rest.split()
        data = (
            lines.filter(pl.col("block") == block_id, ~pl.col("hdr"))
            .with_columns(
                f=pl.col("rest").str.strip_chars().str.replace_all(r"\s+", " ").str.split(" ")
            )
            .filter(pl.col("f").list.len() == len(names))
        )
        if not data.height:
            continue
        # The header's time is the table's start (the run's, or a LINUX RESTART's): rows go on
        # from it, a wrap past midnight (12:00:00 AM after 11:59:55 PM) to the next day.
        start = lines.filter(pl.col("block") == block_id, pl.col("hdr")).select(ts).item()
        wide = data.select(
            ts.alias("ts_local"),
            *[pl.col("f").list.get(i).alias(name) for i, name in enumerate(names)],
        )
        # Each activity's table starts where the run (or a restart) started, never before the
        # table above it: one after a restart past midnight is the next day's.
        shift = dt.timedelta(0)
        if start is not None and previous is not None and start < previous - _TABLE_SLACK:
            shift = dt.timedelta(days=-(-(previous - _TABLE_SLACK - start) // dt.timedelta(days=1)))
        if start is not None:
            previous = start + shift
        clock = pl.concat([pl.Series("ts_local", [start], pl.Datetime("ns")), wide["ts_local"]])
        wrap = (clock.diff() < dt.timedelta(hours=-12)).fill_null(False).cum_sum().slice(1)
        wide = wide.with_columns(
            ts_local=pl.col("ts_local") + pl.duration(days=1) * wrap.alias("w") + shift
        )
        frames.append(_to_long(wide, pl.lit(host), None))
    counters = pl.concat(frames) if frames else empty_counters()
    return ReadResult(
        kind=KIND,
        encoding=None,
        host=host,
        host_reason=warn("host_reason_sar_banner"),
        dpc=irq_sysstat.text_trace(text, day),
        zone=None,
        offset_min=None,
        stream="sar",
        counters=counters,
        warnings=warnings,
        extra={"format": "sar text"},
    )


class SarReader:
    """Reads sysstat's ``sadf -d`` CSV, ``sadf -j`` JSON (:mod:`hbtriage.sources.sadf_json`)
    and plain ``sar`` reports."""

    kind = KIND

    def sniff(self, head: str, name: str) -> bool:
        return _sniffs.sar(head, name)

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        head, enc = read_head(item.path)
        enc = text_encoding or enc
        if _sniffs.SADF_JSON_RE.match(head.lstrip("\ufeff")[:256]):
            from hbtriage.sources import sadf_json

            return sadf_json.read(item.path, enc, item.display)
        if _SADF_HEADER_RE.search(head.lstrip("\ufeff")):
            result = read_sadf(item.path, enc, item.display, options)
        else:
            text, enc = read_text(item.path, enc)
            result = parse_sar_text(text.lstrip("\ufeff"), item.display)
        result.encoding = enc
        return result


READER = SarReader()
