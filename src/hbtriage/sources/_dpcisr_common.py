"""What the Windows DPC/ISR report readers share: numbers as Windows tools print them, duration
histograms, module names and shares.

Histograms (xperf ``-a dpcisr``, tracerpt, LatencyMon) give counts per duration bucket, never
single durations. From them:

* ``longest_us`` is the *upper* bound of the highest non-empty bucket: the longest execution
  was at most that long (and more than the bucket's lower bound). An open-ended top bucket
  ("> 2048 usecs", ">= 4000 µs") has no upper bound: its *lower* bound is taken, so the value
  is then a floor ("longer than"), never an invented number.
* ``over_long`` counts executions in buckets that lie wholly above ``long_us``. The threshold is
  moved to the report's own bucket edge nearest above 4000 µs (xperf: 4096) so that the count
  is exact; the :class:`~hbtriage.sources.base.DpcTrace` says which threshold was used. When a
  non-empty bucket straddles the threshold (no edge at or above 4000 µs, e.g. only "> 2048"),
  the count is not knowable and ``over_long`` is None for that module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from hbtriage.sources.base import InputFile, ModuleUse, ReadResult
from hbtriage.sources.encoding import read_text
from hbtriage.sources.options import DEFAULT, ReadOptions
from hbtriage.warning_text import warn

#: The threshold the project cares about (a DPC of 4 ms or more starves NDIS receive).
LONG_US = 4000.0

_SPACES = re.compile(r"[\s\u00a0\u202f']+")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)*|[.,]\d+)([eE][+-]?\d+)?$")


def parse_num(text: str | None) -> float | None:
    """A number as a Windows tool printed it, in any locale: ``1234.5``, ``1234,5`` (decimal
    comma), ``1,234.5`` / ``1.234,5`` (grouping), ``1 234,5`` (spaces). When both separators
    occur the last one is the decimal mark; a lone comma is a decimal comma unless it repeats
    (``1,234,567``). None when it is not a finite number."""
    if text is None:
        return None
    s = _SPACES.sub("", text.strip().strip('"').strip())
    s = s.rstrip("%")
    if not s or not _NUMBER.match(s):
        return None
    dot, comma = s.rfind("."), s.rfind(",")
    if dot >= 0 and comma >= 0:
        s = s.replace(".", "").replace(",", ".") if comma > dot else s.replace(",", "")
    elif comma >= 0:
        s = s.replace(",", "") if s.count(",") > 1 else s.replace(",", ".")
    elif s.count(".") > 1:
        s = s.replace(".", "")  # 1.234.567: dots as grouping (German counts)
    try:
        value = float(s)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_count(text: str | None) -> int | None:
    """A count: every separator is grouping (``1.234`` and ``1,234`` are 1234)."""
    if text is None:
        return None
    s = _SPACES.sub("", text.strip().strip('"'))
    if not s or not re.fullmatch(r"\d+([.,]\d+)*", s):
        return None
    digits = re.sub(r"[.,]", "", s)
    return int(digits) if len(digits) <= 18 else None


def norm_module(name: str) -> str:
    """A driver's name the way the project compares them: no quotes, no path, lower case
    (``"NDIS.SYS"`` -> ``ndis.sys``). Empty when nothing is left."""
    s = name.strip().strip('"').strip()
    s = s.rsplit("\\", 1)[-1]
    return s.lower()


@dataclass
class Bucket:
    """Executions whose duration d satisfies ``lo < d <= hi`` (``hi`` None: open-ended)."""

    lo: float
    hi: float | None
    count: int


def pick_long_us(edges: Iterable[float], wanted: float = LONG_US) -> float:
    """The smallest bucket edge at or above ``wanted`` (an exact ``over_long``), else
    ``wanted``."""
    above = [e for e in edges if e >= wanted and math.isfinite(e)]
    return min(above) if above else wanted


def hist_stats(buckets: Sequence[Bucket], long_us: float) -> tuple[int, float | None, int | None]:
    """(count, longest_us, over_long) of one histogram (see the module docstring)."""
    count = sum(b.count for b in buckets)
    full = [b for b in buckets if b.count > 0]
    longest: float | None = None
    if full:
        top = max(full, key=lambda b: (b.hi if b.hi is not None else math.inf, b.lo))
        longest = top.hi if top.hi is not None else top.lo
    over: int | None = 0
    for b in full:
        if b.lo >= long_us:
            over = None if over is None else over + b.count
        elif b.hi is None or b.hi > long_us:
            over = None
            break
    return count, longest, over


def fill_shares(modules: list[ModuleUse]) -> None:
    """Each module's share of its kind: of the time when every module of that kind has one,
    else of the count. Modules with neither keep None."""
    by_kind: dict[str, list[ModuleUse]] = {}
    for m in modules:
        by_kind.setdefault(m.kind, []).append(m)
    for group in by_kind.values():
        if all(m.time_us is not None for m in group):
            total = sum(m.time_us or 0.0 for m in group)
            for m in group:
                m.share = (m.time_us or 0.0) / total if total > 0 else 0.0
        elif all(m.count is not None for m in group):
            total_n = sum(m.count or 0 for m in group)
            for m in group:
                m.share = (m.count or 0) / total_n if total_n > 0 else 0.0


def ordered(modules: Iterable[ModuleUse]) -> list[ModuleUse]:
    """Modules by kind (DPC first), then largest time (else count) first, then name."""
    kind_rank = {"dpc": 0, "isr": 1}
    return sorted(
        modules,
        key=lambda m: (
            kind_rank.get(m.kind, 9),
            -(m.time_us if m.time_us is not None else -1.0),
            -(m.count if m.count is not None else -1),
            m.module,
        ),
    )


_STAMP_IN_NAME = re.compile(
    r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})[T_ -]?(\d{2})[-:.h]?(\d{2})[-:.m]?(\d{2})"
    r"(?:[.,](\d{1,9}))?(?!\d)"
)


def stamp_in_name(name: str) -> datetime | None:
    """A trace start written into a file name (``2013-03-30T19-36-40_DPC.csv``,
    ``trace_20130330_193640.csv``): local naive time, None when there is none or it is not
    a real date."""
    m = _STAMP_IN_NAME.search(name)
    if not m:
        return None
    y, mo, d, h, mi, s, frac = m.groups()
    try:
        t = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s))
    except ValueError:
        return None
    if frac:
        t += timedelta(microseconds=int(frac[:6].ljust(6, "0")))
    return t


_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%m/%d/%Y %I:%M:%S.%f %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S.%f",
    "%m/%d/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S.%f",
    "%d.%m.%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
)
_FRACTION = re.compile(r"([.,])(\d{7,})")


def parse_datetime(text: str) -> datetime | None:
    """A date and time as Windows tools print them (ISO, US with AM/PM, German, Japanese
    order); fractions past microseconds are cut. None when none fits."""
    s = " ".join(text.strip().strip('"').split())
    if not s or len(s) > 40:
        return None
    s = _FRACTION.sub(lambda m: "." + m.group(2)[:6], s)
    s = re.sub(r"(\d{2}:\d{2}:\d{2}),(\d)", r"\1.\2", s)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            continue
    return None


def cut_warning(display: str, text: str) -> list[str]:
    """A warning when the text ends in the middle of a line (a report cut off while copied)."""
    if text and not text.endswith(("\n", "\r")):
        return [cut_off(display, text.count("\n") + 1)]
    return []


def cut_off(display: str, line: int) -> str:
    """The warning of a text that ends in the middle of its line ``line`` (1-based)."""
    return warn("at_line", path=display, line=line, reason=warn("report_cut"))


def read_report(
    item: InputFile, text_encoding: str, parse: Callable[[str, str], ReadResult]
) -> ReadResult:
    """``parse(text, display)`` of a whole file, with the encoding it was read in."""
    text, enc = read_text(item.path, text_encoding or None)
    result = parse(text, item.display)
    result.encoding = enc
    return result


@dataclass(frozen=True)
class ReportReader:
    """The reader of one report layout read whole (xperf, tracerpt, LatencyMon): its kind, its
    sniff and its ``parse(text, display)``."""

    kind: str
    sniffer: Callable[[str, str], bool]
    parse: Callable[[str, str], ReadResult]

    def sniff(self, head: str, name: str) -> bool:
        return self.sniffer(head, name)

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        return read_report(item, text_encoding, self.parse)


# ---------------------------------------------------------------------------------------------
# The parsers above on a whole column of cells at once (the WPA reader's fast path). Each
# ``*_series`` equals the scalar function mapped over the cells, exactly: polars expressions
# where they provably read a cell alike, the scalar function for the other cells only (see
# _IRREGULAR). Python's whitespace (``str.isspace``, ``\s``) and Rust's differ only on
# U+001C-U+001F: a caller that says ``ascii_only`` (no cell to check) vouches that the cells
# are ASCII without those (the WPA reader leaves a file with them to its line loop).

#: A cell with a character other than printable ASCII, tab and the no-break spaces of number
#: grouping: read by the scalar function (``\d`` there is any Unicode digit).
_IRREGULAR = "[^\t\x20-\x7e\u00a0\u202f]"
_NUMBER_RS = r"^[+-]?([0-9]+([.,][0-9]*)*|[.,][0-9]+)([eE][+-]?[0-9]+)?$"
_SPACES_RS = "[\\s\u00a0\u202f']+"
#: Numbers and counts as WPA writes them (no sign, space, grouping or exponent): cast directly.
_PLAIN_NUMBER = r"^-?[0-9]+([.,][0-9]+)?$"
_PLAIN_COUNT = r"^[0-9]{1,18}$"
#: Every character :func:`parse_num` can accept (spaces and ``'`` grouping, quotes, %).
_NUMBER_CHARS = "^[-+0-9.,eE'%\"\\s\u00a0\u202f]*$"
#: ``round(x, n)`` is computed exactly while |x * 10**n| is below this.
_ROUND_EXACT = 2.0**50
_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's splitter of a double into two halves


def _each(cells: pl.Series, fn: Callable[[Any], Any], dtype: pl.DataType) -> pl.Series:
    """``fn`` of every cell, one by one (null stays null)."""
    return pl.Series(
        cells.name, [None if c is None else fn(c) for c in cells.to_list()], dtype=dtype
    )


def map_unique(cells: pl.Series, fn: Callable[[str], Any], dtype: pl.DataType) -> pl.Series:
    """``fn`` of every cell, called once per distinct cell (module names, kinds)."""
    distinct = cells.unique(maintain_order=True)
    return cells.replace_strict(
        distinct, _each(distinct, fn, dtype), default=None, return_dtype=dtype
    )


def _split_by(
    cells: pl.Series,
    other: pl.Series,
    common: Callable[[pl.Series], pl.Series],
    rest: Callable[[pl.Series], pl.Series],
    dtype: pl.DataType,
) -> pl.Series:
    """``common`` of the cells where ``other`` is false, ``rest`` of the others."""
    other = other.fill_null(False)
    if not other.any() or not cells.len():
        return common(cells).cast(dtype)
    if other.all():
        return rest(cells).cast(dtype)
    out = pl.Series(cells.name, [None], dtype=dtype).extend_constant(None, cells.len() - 1)
    on = (~other).arg_true()
    out = out.scatter(on, common(cells.gather(on)).cast(dtype))
    off = other.arg_true()
    return out.scatter(off, rest(cells.gather(off)).cast(dtype))


def _irregular(cells: pl.Series, ascii_only: bool) -> pl.Series:
    if ascii_only:
        return pl.repeat(False, cells.len(), eager=True)
    return cells.str.contains(_IRREGULAR)


def parse_num_series(cells: pl.Series, ascii_only: bool = False) -> pl.Series:
    """:func:`parse_num` of every cell (Float64). ``ascii_only``: the caller knows every cell
    is ASCII."""
    scalar = lambda c: _each(c, parse_num, pl.Float64())  # noqa: E731
    return _split_by(cells, _irregular(cells, ascii_only), _num_regular, scalar, pl.Float64())


def _num_regular(cells: pl.Series) -> pl.Series:
    plain = cells.str.contains(_PLAIN_NUMBER)
    return _split_by(cells, ~plain, _num_direct, _num_other, pl.Float64())


def _num_other(cells: pl.Series) -> pl.Series:
    """A cell with a character no number has (a date, a name) is None without more ado."""
    possible = cells.str.contains(_NUMBER_CHARS)
    return _split_by(cells, ~possible, _num_general, _nulls, pl.Float64())


def _nulls(cells: pl.Series) -> pl.Series:
    return pl.repeat(None, cells.len(), dtype=pl.Null(), eager=True)


def _num_direct(cells: pl.Series) -> pl.Series:
    value = cells.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    return (
        value.to_frame("v").select(pl.when(pl.col("v").is_finite()).then(pl.col("v"))).to_series()
    )


def _num_general(cells: pl.Series) -> pl.Series:
    s = pl.col("s")
    no_dots, no_commas = (
        s.str.replace_all(".", "", literal=True),
        s.str.replace_all(",", "", literal=True),
    )
    commas, dots = s.str.count_matches(",", literal=True), s.str.count_matches(".", literal=True)
    text = (
        pl.when((dots > 0) & (commas > 0))
        .then(
            pl.when(s.str.contains(r",[^.]*$"))  # the last separator is the decimal one
            .then(no_dots.str.replace_all(",", ".", literal=True))
            .otherwise(no_commas)
        )
        .when(commas > 1)
        .then(no_commas)
        .when(commas == 1)
        .then(s.str.replace(",", ".", literal=True))
        .when(dots > 1)
        .then(no_dots)
        .otherwise(s)
    )
    value = pl.when(s.str.contains(_NUMBER_RS)).then(text.cast(pl.Float64, strict=False))
    return (
        cells.to_frame("c")
        .select(
            s=pl.col("c")
            .str.strip_chars()
            .str.strip_chars('"')
            .str.replace_all(_SPACES_RS, "")
            .str.strip_chars_end("%")
        )
        .select(v=value)
        .select(pl.when(pl.col("v").is_finite()).then(pl.col("v")))
        .to_series()
    )


def parse_count_series(cells: pl.Series, ascii_only: bool = False) -> pl.Series:
    """:func:`parse_count` of every cell (Int64)."""
    scalar = lambda c: _each(c, parse_count, pl.Int64())  # noqa: E731
    return _split_by(cells, _irregular(cells, ascii_only), _count_regular, scalar, pl.Int64())


def _count_regular(cells: pl.Series) -> pl.Series:
    plain = cells.str.contains(_PLAIN_COUNT)
    direct = lambda c: c.cast(pl.Int64, strict=False)  # noqa: E731
    return _split_by(cells, ~plain, direct, _count_general, pl.Int64())


def _count_general(cells: pl.Series) -> pl.Series:
    s = pl.col("c").str.strip_chars().str.strip_chars('"').str.replace_all(_SPACES_RS, "")
    digits = s.str.replace_all("[.,]", "")
    ok = s.str.contains(r"^[0-9]+([.,][0-9]+)*$") & (digits.str.len_bytes() <= 18)
    return (
        cells.to_frame("c")
        .select(pl.when(ok).then(digits.cast(pl.Int64, strict=False)))
        .to_series()
    )


def round_series(values: pl.Series, ndigits: int) -> pl.Series:
    """``round(v, ndigits)`` of every value, bit for bit (ties to even on the exact binary
    value, a zero keeps the sign of ``v``): the product by 10**ndigits is split into its
    rounded value and its exact error (Dekker), and the integer found is divided by 10**ndigits
    in one IEEE division. Values too large for that go through ``round`` itself."""
    scale = float(10**ndigits)
    big = ~((values * scale).abs() < _ROUND_EXACT)
    scalar = lambda v: _each(v, lambda x: round(x, ndigits), pl.Float64())  # noqa: E731
    return _split_by(values, big, lambda v: _round_exact(v, scale), scalar, pl.Float64())


def _round_exact(values: pl.Series, scale: float) -> pl.Series:
    x = pl.col("x")
    q = x * scale
    t = x * _SPLIT
    hi = t - (t - x)
    lo = x - hi
    t_s = scale * _SPLIT
    s_hi = t_s - (t_s - scale)
    s_lo = scale - s_hi
    err = ((hi * s_hi - q) + hi * s_lo + lo * s_hi) + lo * s_lo  # x * scale == q + err exactly
    floor = q.floor()
    frac = q - floor
    up = (frac > 0.5) | ((frac == 0.5) & ((err > 0) | ((err == 0) & (floor % 2 != 0))))
    k = pl.when(up).then(floor + 1.0).otherwise(floor)
    # ``x * 0.0 + scale``: a column, so that polars divides instead of multiplying by 1/scale.
    out = pl.when(k == 0).then(x * 0.0).otherwise(k / (x * 0.0 + scale))
    return values.to_frame("x").select(out).to_series()


#: Python's strptime directives (``_strptime.TimeRE``) with ASCII digits.
_DIRECTIVES = {
    "Y": "(?P<Y>[0-9][0-9][0-9][0-9])",
    "m": "(?P<m>1[0-2]|0[1-9]|[1-9])",
    "d": "(?P<d>3[0-1]|[1-2][0-9]|0[1-9]|[1-9]| [1-9])",
    "H": "(?P<H>2[0-3]|[0-1][0-9]|[0-9])",
    "I": "(?P<I>1[0-2]|0[1-9]|[1-9])",
    "M": "(?P<M>[0-5][0-9]|[0-9])",
    "S": "(?P<S>6[0-1]|[0-5][0-9]|[0-9])",
    "f": "(?P<f>[0-9]{1,6})",
    "p": "(?P<p>am|pm)",
}
_LITERALS = {".": r"\.", " ": r"\s+", "-": "-", ":": ":", "/": "/", "T": "T"}
#: WPA's date-time display of the enter time (ISO, space or T, fraction after . or ,).
_ISO_SHAPE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ Tt][0-9]{2}:[0-9]{2}:[0-9]{2}([.,][0-9]+)?$"


def _format_regex(fmt: str) -> str:
    """The regex Python's strptime matches ``fmt`` with (case-insensitive, whole text): every
    field between fixed separators, so the first match Python finds is whole exactly when the
    whole-text match exists."""
    out, i = "(?i)^", 0
    while i < len(fmt):
        if fmt[i] == "%":
            out += _DIRECTIVES[fmt[i + 1]]
            i += 2
        else:
            out += _LITERALS[fmt[i]]
            i += 1
    return out + "$"


def _am_pm_is_english() -> bool:
    """strptime's ``%p`` is AM/PM (the C and English locales): the vectorised formats assume it."""
    try:
        return (
            datetime.strptime("1 PM", "%I %p").hour == 13
            and datetime.strptime("1 am", "%I %p").hour == 1
        )
    except ValueError:
        return False


def parse_datetime_series(cells: pl.Series, ascii_only: bool = False) -> pl.Series:
    """:func:`parse_datetime` of every cell (Datetime µs)."""
    dtype = pl.Datetime("us")
    scalar = lambda c: _each(c, parse_datetime, dtype)  # noqa: E731
    if not cells.len():
        return pl.Series(cells.name, [], dtype=dtype)
    iso = cells.str.contains(_ISO_SHAPE) & (cells.str.len_bytes() <= 40)
    general = _dates_general if _am_pm_is_english() else scalar
    rest = lambda c: _split_by(c, _irregular(c, ascii_only), general, scalar, dtype)  # noqa: E731
    return _split_by(cells, ~iso, _dates_iso, rest, dtype)


def _dates_iso(cells: pl.Series) -> pl.Series:
    """Cells of :data:`_ISO_SHAPE` (every field two digits, the year four): polars' strptime
    refuses the same impossible dates, hours, minutes as Python's; it takes second 60 (a leap
    second) and year 0, which Python refuses."""
    c = pl.col("c")
    whole = (
        c.str.slice(0, 19)
        .str.replace("t", " ", literal=True)
        .str.replace("T", " ", literal=True)
        .str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    )
    micros = c.str.slice(20, 6).str.pad_end(6, "0").cast(pl.Int64)
    python_takes = (c.str.slice(17, 2) != "60") & (c.str.slice(0, 4) != "0000")
    return (
        cells.to_frame("c")
        .select(pl.when(python_takes).then(whole + pl.duration(microseconds=micros)))
        .to_series()
    )


def _stamp(
    y: pl.Expr, m: pl.Expr, d: pl.Expr, hh: pl.Expr, mi: pl.Expr, ss: pl.Expr, us: pl.Expr
) -> pl.Expr:
    """Datetime (µs) of the fields, null where ``datetime(...)`` would refuse them."""
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    days_in = (
        pl.when(m == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(m.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    valid = (
        (y >= 1)
        & m.is_between(1, 12)
        & (d >= 1)
        & (d <= days_in)
        & hh.is_between(0, 23)
        & mi.is_between(0, 59)
        & ss.is_between(0, 59)
    )
    # Days since 1970-01-01 of the civil date (H. Hinnant's days_from_civil).
    yy = y - (m <= 2).cast(pl.Int64)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    micros = ((days * 24 + hh) * 60 + mi) * 60_000_000 + ss * 1_000_000 + us
    return pl.when(valid).then(micros).cast(pl.Datetime("us"))


def _dates_general(cells: pl.Series) -> pl.Series:
    """:func:`parse_datetime` of regular cells in any of its formats."""
    prepared = (
        cells.to_frame("c")
        .select(
            s=pl.col("c")
            .str.strip_chars()
            .str.strip_chars('"')
            .str.strip_chars()
            .str.replace_all(r"\s+", " ")
        )
        .select(
            ok=(pl.col("s") != "") & (pl.col("s").str.len_chars() <= 40),
            s=pl.col("s")
            .str.replace_all(r"[.,]([0-9]{6})[0-9]+", ".${1}")
            .str.replace_all(r"([0-9]{2}:[0-9]{2}:[0-9]{2}),([0-9])", "${1}.${2}"),
        )
    )
    text = prepared["s"]
    pending = prepared["ok"]
    dtype = pl.Datetime("us")
    out = pl.Series(cells.name, [None], dtype=dtype).extend_constant(None, cells.len() - 1)
    for fmt in _DATE_FORMATS:
        rx = _format_regex(fmt)
        hit = pending & text.str.contains(rx)
        if not hit.any():
            continue
        at = hit.arg_true()
        fields = text.gather(at).str.extract_groups(rx).struct.unnest()
        f = {k: pl.col(k).str.strip_chars().cast(pl.Int64) for k in fields.columns if k != "p"}
        if "I" in f:
            pm = pl.col("p").str.to_lowercase() == "pm"
            hour = f["I"] % 12 + pl.when(pm).then(12).otherwise(0)
        else:
            hour = f["H"]
        us = pl.col("f").str.pad_end(6, "0").cast(pl.Int64) if "f" in f else pl.lit(0)
        stamps = fields.select(_stamp(f["Y"], f["m"], f["d"], hour, f["M"], f["S"], us)).to_series()
        good = stamps.is_not_null()
        out = out.scatter(at.filter(good), stamps.filter(good))
        pending = pending.scatter(at.filter(good), False)
    return out
