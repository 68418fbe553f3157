"""Write synthetic data in the exact formats real servers produce.

Every writer takes *displayed local* times as int64 milliseconds since 1970-01-01 of the
wall clock the file shows (``true UTC + zone offset + clock skew``); the caller does the
time arithmetic. Formatting is vectorised with polars so that a benchmark bundle of a few
hundred MB is written in seconds.

Formats:

- perfmon CSV (``PDH-CSV 4.0``) as ``relog``/a Data Collector Set writes it, in any of the
  Windows UI languages the catalog knows, any common encoding, optionally re-saved by a
  German/French Excel (``;``, comma decimals, no quotes);
- ICM ``dumplog ... /ms /o`` text (``Events from March 30, 2013`` + ``HH:MM:SS:mmm node-proc ...``);
- CVP Call Server logs (``Mar 30 2013 19:36:46.531 -0500: %CVP_8_5_...``), optionally with the
  ``NNNN: 192.0.2.20: `` prefix;
- configuration snapshots (``netsh int tcp show global``, ``systeminfo``, ``wmic datafile``).
"""

from __future__ import annotations

import codecs
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl

#: Rows (or log lines) formatted and encoded per chunk; bounds memory on big outputs.
CHUNK_ROWS = 200_000

#: Short locale -> PAL/catalog language code.
LOCALES: dict[str, str] = {
    "en": "enUS",
    "de": "deDE",
    "fr": "frFR",
    "es": "esES",
    "ja": "jaJP",
    "pl": "plPL",
    "ru": "ruRU",
}

ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "utf-16", "cp932", "cp1252", "cp1250", "cp1251")


@dataclass
class PerfmonColumn:
    """One perfmon column: canonical English object/counter, instance (None = no instance).

    ``values`` holds one float per row; NaN is written as perfmon's blank cell ``" "``.
    """

    object: str
    counter: str
    instance: str | None
    values: np.ndarray


_NAMES_CACHE: dict[tuple[str, str, str], str] = {}


def _load_names() -> dict[tuple[str, str, str], str]:
    """(lang, object, counter) -> "LocalizedObject\\LocalizedCounter" from the catalog."""
    if _NAMES_CACHE:
        return _NAMES_CACHE
    try:
        from hbtriage import counter_names

        for info in counter_names.all_counters():
            for lang, name in info.names.items():
                _NAMES_CACHE[(lang, info.object, info.counter)] = name
        return _NAMES_CACHE
    except ImportError:  # fall back to reading the catalog file directly
        pass
    text = resources.files("hbtriage").joinpath("catalog/counters.toml").read_text("utf-8")
    for entry in tomllib.loads(text).get("counter", []):
        for lang, name in entry.get("names", {}).items():
            _NAMES_CACHE[(lang, entry["object"], entry["counter"])] = name
    return _NAMES_CACHE


def localized_names(obj: str, counter: str, locale: str) -> tuple[str, str]:
    """Object and counter names as a Windows of ``locale`` (en/de/fr/es/ja) writes them.

    Counters the catalog does not list keep their English names (as they would on a
    Windows whose language pack lacks them).
    """
    lang = LOCALES.get(locale, locale)
    name = _load_names().get((lang, obj, counter))
    if name is None or "\\" not in name:
        return obj, counter
    lobj, lcounter = name.split("\\", 1)
    return lobj, lcounter


def perfmon_header_cell(zone_name: str, bias_min: int) -> str:
    """First header cell, e.g. ``(PDH-CSV 4.0) (Eastern Standard Time)(300)``.

    ``bias_min`` is minutes WEST of UTC (UTC = local + bias), as Windows stores it.
    """
    return f"(PDH-CSV 4.0) ({zone_name})({bias_min})"


def counter_path(host: str, col: PerfmonColumn, locale: str = "en") -> str:
    """``\\\\HOST\\Object(instance)\\Counter`` with localized names."""
    obj, counter = localized_names(col.object, col.counter, locale)
    inst = f"({col.instance})" if col.instance is not None else ""
    return f"\\\\{host}\\{obj}{inst}\\{counter}"


def _fmt_values(*, excel: bool) -> pl.Expr:
    """Expression turning float column ``v`` into perfmon cell text."""
    v = pl.col("v")
    rounded = v.round(6) if excel else v.round(9)
    is_int = (rounded == rounded.round(0)) & (rounded.abs() < 9e15)
    text = (
        pl.when(v.is_null() | v.is_nan())
        .then(pl.lit(" "))
        .when(is_int)
        .then(rounded.cast(pl.Int64).cast(pl.Utf8))
        .otherwise(rounded.cast(pl.Utf8))
    )
    if excel:
        text = text.str.replace(".", ",", literal=True)
    return text


def _encode(text: str, encoding: str, first: bool) -> bytes:
    """Encode a chunk; the BOM (utf-8-sig / utf-16) only on the first chunk."""
    if encoding == "utf-16":
        data = text.encode("utf-16-le")
        return codecs.BOM_UTF16_LE + data if first else data
    if encoding == "utf-8-sig":
        data = text.encode("utf-8")
        return codecs.BOM_UTF8 + data if first else data
    return text.encode(encoding)


def format_local_ms(t_local_ms: np.ndarray, fmt: str) -> pl.Series:
    """Format displayed-local epoch milliseconds with a chrono ``fmt``."""
    s = pl.Series("t", np.asarray(t_local_ms, dtype=np.int64))
    return pl.from_epoch(s, time_unit="ms").dt.strftime(fmt)


def write_perfmon_csv(
    path: Path,
    host: str,
    t_local_ms: np.ndarray,
    columns: Sequence[PerfmonColumn],
    *,
    zone_name: str,
    bias_min: int,
    locale: str = "en",
    encoding: str = "utf-8",
    excel: bool = False,
) -> int:
    """Write a perfmon CSV export; returns the number of bytes written.

    ``excel=True`` writes what a German/French Excel saves: ``;`` separators, comma
    decimals, no quotes. Otherwise every cell is quoted and ``,``-separated, as perfmon does.
    Lines end in CRLF.
    """
    sep = ";" if excel else ","
    q = "" if excel else '"'
    header_cells = [perfmon_header_cell(zone_name, bias_min)]
    header_cells += [counter_path(host, c, locale) for c in columns]
    header = sep.join(f"{q}{h}{q}" for h in header_cells) + "\r\n"
    ts = format_local_ms(t_local_ms, "%m/%d/%Y %H:%M:%S%.3f")
    n = len(ts)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(path, "wb") as fh:
        data = _encode(header, encoding, True)
        fh.write(data)
        written += len(data)
        for lo in range(0, n, CHUNK_ROWS):
            hi = min(n, lo + CHUNK_ROWS)
            cells: list[pl.Series] = [ts[lo:hi]]
            for i, col in enumerate(columns):
                frame = pl.DataFrame({"v": np.asarray(col.values[lo:hi], dtype=np.float64)})
                cells.append(frame.select(_fmt_values(excel=excel).alias(f"c{i}")).to_series())
            frame = pl.DataFrame(cells)
            joined = frame.select(
                pl.concat_str(pl.all(), separator=f"{q}{sep}{q}").alias("row")
            ).to_series()
            body = joined.str.join(f"{q}\r\n{q}").item()
            text = f"{q}{body}{q}\r\n"
            data = _encode(text, encoding, False)
            fh.write(data)
            written += len(data)
    return written


def _write_lines(path: Path, lines: pl.Series, encoding: str, append: bool = False) -> int:
    """Write already formatted records (may hold ``\\n`` for continuation lines) with CRLF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(path, "ab" if append else "wb") as fh:
        for lo in range(0, len(lines), CHUNK_ROWS):
            chunk = lines[lo : lo + CHUNK_ROWS]
            text = chunk.str.join("\n").item() + "\n"
            text = text.replace("\n", "\r\n")
            data = _encode(text, encoding, lo == 0 and not append)
            fh.write(data)
            written += len(data)
    return written


def dumplog_day_header(day: int) -> str:
    """``Events from March 30, 2013`` for a day number since 1970-01-01."""
    d = datetime.fromtimestamp(day * 86400, tz=UTC)
    return f"Events from {d:%B} {d.day}, {d.year}"


def write_dumplog(
    path: Path,
    t_local_ms: np.ndarray,
    messages: pl.Series,
    *,
    node: str,
    process: str,
    encoding: str = "cp1252",
) -> int:
    """Write an ICM ``dumplog /ms /o`` text file.

    ``messages`` are the text after ``node-process `` (``Trace: ...`` for traces, the bare
    EMS text for events); continuation lines are embedded as ``\\n\\t...``. A day header
    ``Events from <Month d, yyyy>`` opens the file and every new local day.
    """
    t = np.asarray(t_local_ms, dtype=np.int64)
    if len(t) == 0:
        return _write_lines(path, pl.Series([dumplog_day_header(0)]), encoding)
    day = t // 86_400_000
    first = np.ones(len(t), dtype=bool)
    first[1:] = day[1:] != day[:-1]
    headers = {int(d): dumplog_day_header(int(d)) for d in np.unique(day[first])}
    frame = pl.DataFrame(
        {
            "ts": format_local_ms(t, "%H:%M:%S:%3f"),
            "msg": messages,
            "first": first,
            "day": day,
        }
    )
    body = pl.concat_str([pl.col("ts"), pl.lit(f" {node}-{process} "), pl.col("msg")])
    head = pl.col("day").replace_strict(headers, return_dtype=pl.Utf8)
    line = pl.when(pl.col("first")).then(pl.concat_str([head, pl.lit("\n"), body])).otherwise(body)
    return _write_lines(path, frame.select(line.alias("l")).to_series(), encoding)


def cvp_offset(offset_min: int) -> str:
    """``-0500`` for minutes east of UTC = -300."""
    sign = "-" if offset_min < 0 else "+"
    m = abs(offset_min)
    return f"{sign}{m // 60:02d}{m % 60:02d}"


def write_cvp_log(
    path: Path,
    t_local_ms: np.ndarray,
    messages: pl.Series,
    *,
    offset_min: int,
    prefix_ip: str | None = None,
    first_seq: int = 1,
    encoding: str = "utf-8",
) -> int:
    """Write a CVP Call Server log (``CVP.<date>.log`` / ``Error.<date>.log``).

    ``messages`` start at ``%CVP_...``; continuation lines are embedded after ``\\n``.
    With ``prefix_ip`` every record starts ``NNNN: <ip>: `` (the syslog-style variant).
    """
    t = np.asarray(t_local_ms, dtype=np.int64)
    frame = pl.DataFrame({"ts": format_local_ms(t, "%b %d %Y %H:%M:%S%.3f"), "msg": messages})
    parts: list[pl.Expr] = []
    if prefix_ip is not None:
        seq = pl.int_range(first_seq, first_seq + len(t), dtype=pl.Int64).cast(pl.Utf8)
        parts += [seq, pl.lit(f": {prefix_ip}: ")]
    parts += [pl.col("ts"), pl.lit(f" {cvp_offset(offset_min)}: "), pl.col("msg")]
    return _write_lines(path, frame.select(pl.concat_str(parts).alias("l")).to_series(), encoding)


def split_by_local_day(t_local_ms: np.ndarray) -> list[tuple[str, slice]]:
    """(``yyyy-mm-dd``, row slice) per local day of sorted displayed times."""
    t = np.asarray(t_local_ms, dtype=np.int64)
    if len(t) == 0:
        return []
    day = t // 86_400_000
    cuts = np.flatnonzero(day[1:] != day[:-1]) + 1
    bounds = [0, *cuts.tolist(), len(t)]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        d = datetime.fromtimestamp(int(day[lo]) * 86400, tz=UTC)
        out.append((f"{d:%Y-%m-%d}", slice(lo, hi)))
    return out


# --- configuration snapshots -------------------------------------------------------------


def netsh_tcp_global(rss: str = "enabled", chimney: str = "disabled") -> str:
    """What ``netsh int tcp show global`` prints."""
    rows = [
        ("Receive-Side Scaling State", rss),
        ("Chimney Offload State", chimney),
        ("NetDMA State", "enabled"),
        ("Direct Cache Access (DCA)", "disabled"),
        ("Receive Window Auto-Tuning Level", "normal"),
        ("Add-On Congestion Control Provider", "none"),
        ("ECN Capability", "disabled"),
        ("RFC 1323 Timestamps", "disabled"),
    ]
    lines = ["Querying active state...", "", "TCP Global Parameters", "-" * 46]
    lines += [f"{k:<36}: {v}" for k, v in rows]
    return "\r\n".join(lines) + "\r\n\r\n"


def systeminfo(
    host: str,
    hotfixes: Sequence[str],
    *,
    time_zone: str = "(GMT-05:00) Eastern Time (US & Canada)",
    boot: str = "3/2/2013, 4:12:51 AM",
) -> str:
    """What ``systeminfo`` prints on a Windows Server 2003 SP2 x86 machine."""
    rows = [
        ("Host Name", host),
        ("OS Name", "Microsoft(R) Windows(R) Server 2003, Enterprise Edition"),
        ("OS Version", "5.2.3790 Service Pack 2 Build 3790"),
        ("OS Manufacturer", "Microsoft Corporation"),
        ("OS Configuration", "Member Server"),
        ("OS Build Type", "Multiprocessor Free"),
        ("Registered Owner", "Contact Center Operations"),
        ("Registered Organization", "Example Corp"),
        ("Product ID", "69713-640-0000000-45000"),
        ("Original Install Date", "6/11/2011, 2:03:37 PM"),
        ("System Up Time", "28 Days, 15 Hours, 24 Minutes, 9 Seconds"),
        ("System Boot Time", boot),
        ("System Manufacturer", "VMware, Inc."),
        ("System Model", "VMware Virtual Platform"),
        ("System Type", "X86-based PC"),
        ("Processor(s)", "2 Processor(s) Installed."),
    ]
    out = [f"{k + ':':<27}{v}" for k, v in rows]
    out.append(f"{'':<27}[01]: x86 Family 6 Model 44 Stepping 2 GenuineIntel ~2660 Mhz")
    out.append(f"{'':<27}[02]: x86 Family 6 Model 44 Stepping 2 GenuineIntel ~2660 Mhz")
    rows2 = [
        ("BIOS Version", "INTEL  - 6040000"),
        ("Windows Directory", "C:\\WINDOWS"),
        ("System Directory", "C:\\WINDOWS\\system32"),
        ("Boot Device", "\\Device\\HarddiskVolume1"),
        ("System Locale", "en-us;English (United States)"),
        ("Input Locale", "en-us;English (United States)"),
        ("Time Zone", time_zone),
        ("Total Physical Memory", "4,095 MB"),
        ("Available Physical Memory", "2,311 MB"),
        ("Page File: Max Size", "5,996 MB"),
        ("Page File: Available", "4,870 MB"),
        ("Page File: In Use", "1,126 MB"),
        ("Page File Location(s)", "C:\\pagefile.sys"),
        ("Domain", "example.com"),
        ("Logon Server", "\\\\DC1"),
        ("Hotfix(s)", f"{len(hotfixes)} Hotfix(s) Installed."),
    ]
    out += [f"{k + ':':<27}{v}" for k, v in rows2]
    out += [f"{'':<27}[{i:02d}]: {kb}" for i, kb in enumerate(hotfixes, 1)]
    out.append(f"{'Network Card(s):':<27}1 NIC(s) Installed.")
    out.append(f"{'':<27}[01]: Intel(R) PRO/1000 MT Network Connection")
    return "\r\n".join(out) + "\r\n"


def wmic_file_version(version: str) -> str:
    """``wmic datafile where name="...ndis.sys" get Version`` output."""
    width = max(len("Version"), len(version)) + 2
    return f"{'Version':<{width}}\r\n{version:<{width}}\r\n\r\n"


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write a config snapshot as the console/redirect would (text already has CRLF)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_encode(text, encoding, True))
