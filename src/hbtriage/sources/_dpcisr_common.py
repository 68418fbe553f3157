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

from hbtriage.sources.base import InputFile, ModuleUse, ReadResult
from hbtriage.sources.encoding import read_text
from hbtriage.sources.options import DEFAULT, ReadOptions

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
        n = text.count("\n") + 1
        return [f"{display}:{n}: the file ends in the middle of a line (cut off?); read up to it"]
    return []


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
