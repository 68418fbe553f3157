"""The WPA DPC/ISR reader's fast path (polars over pieces of the file) gives the line loop's
result exactly: rows, modules, warnings and extras, on generated tables of every shape the
loop reads (column order, extra columns, separators, decimal commas, quotes, dates or seconds,
fragments, group and total rows, short and blank lines, CRLF, units) and on every fixture; the
vectorised parsers equal the scalar ones cell for cell. Files the fast path cannot prove alike
go to the loop (``read_fast`` is None), never to a different result."""

from __future__ import annotations

import codecs
import itertools
import math
import random
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hbtriage.sources._dpcisr_common as common
from hbtriage.errors import InputError
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.dpcisr_wpa import (
    LOOP_ENV,
    READER,
    parse_fast,
    parse_wpa_dpcisr,
    read_fast,
)
from hbtriage.sources.encoding import detect_encoding, read_text

DPC = Path(__file__).parent / "fixtures" / "dpcisr"
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


# ------------------------------------------------------------------------------ comparison


def _rows(frame: pl.DataFrame) -> tuple[object, list[str]]:
    """A frame's schema and its rows written out (``repr`` tells -0.0 from 0.0)."""
    return dict(frame.schema), [repr(r) for r in frame.rows()]


def assert_same(fast: ReadResult, loop: ReadResult) -> None:
    assert fast.kind == loop.kind
    assert fast.note == loop.note
    assert fast.encoding == loop.encoding
    assert fast.warnings == loop.warnings
    assert fast.extra.keys() == loop.extra.keys()
    for key, value in loop.extra.items():
        if isinstance(value, pl.DataFrame):
            assert _rows(fast.extra[key]) == _rows(value), key
        else:
            assert fast.extra[key] == value, key
    a, b = fast.dpc, loop.dpc
    assert a is not None and b is not None
    assert repr(a.modules) == repr(b.modules)
    assert (a.rows is None) == (b.rows is None)
    if a.rows is not None and b.rows is not None:
        assert _rows(a.rows) == _rows(b.rows)
    for field in ("tool", "start_local", "end_local", "offset_min", "long_us", "cpus"):
        assert getattr(a, field) == getattr(b, field), field
    assert repr(a.span_s) == repr(b.span_s)


def loop_of(path: Path, display: str) -> ReadResult:
    """The line loop's result, as the reader's loop reads the file."""
    text, enc = read_text(str(path))
    result = parse_wpa_dpcisr(text, display, path.name)
    result.encoding = enc
    return result


def fast_of(path: Path, display: str) -> ReadResult | None:
    enc = detect_encoding(path.read_bytes()[:65536])
    result = read_fast(str(path), enc, display, path.name)
    if result is not None:
        result.encoding = enc
    return result


def both(path: Path, *, fast_expected: bool) -> None:
    """The file read both ways: the same result, or the same InputError from the loop."""
    display = f"bundle!{path.name}"
    try:
        loop = loop_of(path, display)
    except InputError:
        assert fast_of(path, display) is None
        return
    fast = fast_of(path, display)
    if fast_expected:
        assert fast is not None, "the fast path left a plain table to the loop"
    if fast is not None:
        assert_same(fast, loop)


# ------------------------------------------------------------------------------ generated tables

TYPES = ["DPC", "Interrupt", "dpc", "ISR", "DPC/ISR", "", "Other", " DPC ", "interrupt"]
MODULES = [
    "NDIS.SYS",
    "ndis.sys",
    "b57nd60a.sys",
    "\\SystemRoot\\system32\\drivers\\tcpip.sys",
    "storport.sys",
    "Total",
    "totals",
    "",
    " ",
    "Ünïcode.sys",
    "  usbport.sys ",
    "a_very_long_driver_name.sys",
]
RAW_DURATIONS = [
    "Exclusive Duration (ms)",
    "Inclusive Duration (ms)",
    "Duration (ms)",
    "Duration (Fragmented) (ms)",
    "Duration (us)",
    "Duration (s)",
    "Exclusive Duration",
]
ENTERS = ["DPC/ISR Enter Time (s)", "Enter Time", "Fragment Enter Time"]
DATE_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
]


def _number(rng: random.Random, decimal: str) -> str:
    k = rng.randrange(12)
    if k == 0:
        return ""
    if k == 1:
        return rng.choice(["x", "n/a", "-", "1e5", "1,234.5", "1.234,5", " 0,5 ", "5%", "1 234,5"])
    if k == 2:
        return f"-{rng.random() / 10:.6f}".replace(".", decimal)
    if k == 3:
        return rng.choice(["-0.0001", "0.0005", "1.0005", "2.675", "0,0625"])
    if k == 4:
        return f"{rng.random() * 10 ** rng.randint(0, 7):.{rng.randint(0, 9)}f}".replace(
            ".", decimal
        )
    return f"{rng.expovariate(1 / 0.05):.6f}".replace(".", decimal)


def _date(rng: random.Random, start: datetime) -> str:
    t = start + timedelta(seconds=rng.random() * 100)
    fmt = rng.choice(DATE_FORMATS)
    text = t.strftime(fmt)
    if rng.random() < 0.7 and "%p" not in fmt:
        digits = rng.randint(1, 9)
        frac = f"{t.microsecond:06d}{rng.randint(0, 999):03d}"[:digits]
        text += rng.choice(".,") + frac
    if rng.random() < 0.1:
        text = text.replace(text[5:7], rng.choice(["13", "00", "02"]), 1)
    if rng.random() < 0.1:
        text = rng.choice(["0000", "1970", "2300"]) + text[4:]
    if rng.random() < 0.1:
        text = text.replace(":", ":6", 1)
    return text


def _cell(rng: random.Random, role: str, decimal: str, dated: bool, start: datetime) -> str:
    if role == "type":
        return rng.choice(TYPES)
    if role == "module":
        return rng.choice(MODULES)
    if role == "cpu":
        return rng.choice([str(rng.randrange(64))] * 6 + ["", "x", "2147483648", "1,024"])
    if role == "enter":
        if dated and rng.random() < 0.95:
            return _date(rng, start)
        return f"{rng.random() * 100:.9f}".replace(".", decimal)
    if role == "count":
        return rng.choice(["1"] * 6 + ["0", "0", "", "1.200", "x", "12345678901234567890", "3"])
    if role in ("duration", "max"):
        return _number(rng, decimal)
    return rng.choice(["ndisInterruptDpc", "f(a,b)", 'say "hi"', "", "x;y", "t\tu", "é"])


def _quote(cell: str, sep: str, rng: random.Random) -> str:
    if sep in cell or '"' in cell or rng.random() < 0.1:
        return '"' + cell.replace('"', '""') + '"'
    return cell


@st.composite
def tables(draw: st.DrawFn) -> tuple[bytes, str]:
    """A WPA table as bytes (UTF-8, quoting well formed) and its file name."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    decimal = draw(st.sampled_from([".", ","]))
    raw = draw(st.booleans())
    roles: dict[str, str] = {"Module": "module"}
    if draw(st.booleans()):
        roles["Type"] = "type"
    if draw(st.booleans()):
        roles["CPU"] = "cpu"
    if raw:
        roles[draw(st.sampled_from(ENTERS))] = "enter"
        roles[draw(st.sampled_from(RAW_DURATIONS))] = "duration"
        if draw(st.booleans()):
            roles["Count (DPCs/ISRs)"] = "count"
    else:
        roles["Count"] = "count"
        if draw(st.booleans()):
            roles["Inclusive Duration (ms)"] = "duration"
        if draw(st.booleans()):
            roles[draw(st.sampled_from(["Max:Inclusive Duration (ms)", "Max Duration (us)"]))] = (
                "max"
            )
    for extra in draw(st.lists(st.sampled_from(["Line", "Function", "Exit Time", "Note"]))):
        roles.setdefault(extra, "extra")
    names = list(roles)
    rng.shuffle(names)
    dated = draw(st.booleans())
    start = datetime(2013, 3, 30, 19, 36, 40)
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [sep.join(_quote(n, sep, rng) for n in names)]
    for _ in range(draw(st.integers(0, 40))):
        k = rng.random()
        if k < 0.05:
            lines.append(rng.choice(["", " ", "\t", "  \t "]))
            continue
        cells = [_quote(_cell(rng, roles[n], decimal, dated, start), sep, rng) for n in names]
        if k < 0.12:
            cells = cells[: rng.randrange(len(cells))]  # a short row (or a blank one)
        elif k < 0.16:
            cells += ["extra"]
        lines.append(sep.join(cells))
    text = rng.choice(["", "\n", " \n"]) + eol.join(lines) + rng.choice([eol, "", eol + eol])
    bom = codecs.BOM_UTF8 if draw(st.booleans()) else b""
    name = draw(st.sampled_from(["2013-03-30T19-36-40_DPC_ISR_Raw_Rows.csv", "table.csv"]))
    return bom + text.encode("utf-8"), name


@SETTINGS
@given(table=tables())
def test_fast_path_equals_the_loop_on_generated_tables(
    tmp_path: Path, table: tuple[bytes, str]
) -> None:
    data, name = table
    path = tmp_path / name
    path.write_bytes(data)
    both(path, fast_expected=True)


@SETTINGS
@given(table=tables(), seed=st.integers(0, 2**32), size_hint=st.integers(1, 400))
def test_any_pieces_give_the_same_result(
    table: tuple[bytes, str], seed: int, size_hint: int
) -> None:
    """Pieces cut at any line ends, columns sized too small at first: the same result."""
    data, name = table
    text = data.decode("utf-8-sig")
    try:
        loop = parse_wpa_dpcisr(text, "x", name)
    except InputError:
        return
    rng = random.Random(seed)
    payload = text.encode("utf-8")
    ends = [i + 1 for i, b in enumerate(payload) if b == 0x0A]
    cuts = sorted(rng.sample(ends, min(len(ends), rng.randint(0, 6))))
    pieces = [payload[a:b] for a, b in itertools.pairwise([0, *cuts, len(payload)])]
    fast = parse_fast([p for p in pieces if p], "x", name, size_hint)
    assert fast is not None
    assert_same(fast, loop)


#: Stray quotes, line breaks only the loop knows, control characters, BOMs, non-ASCII.
HOSTILE = ['"', "\r", "\x0b", "\x00", "\x1f", "\u2028", "\x85", "\ufeff", "é", "١", "\xa0", "\n"]


@SETTINGS
@given(table=tables(), seed=st.integers(0, 2**32))
def test_damaged_tables_read_alike_or_go_to_the_loop(
    tmp_path: Path, table: tuple[bytes, str], seed: int
) -> None:
    """Stray quotes, odd line breaks, control characters, BOMs inside: the fast path either
    gives the loop's result or leaves the file to it."""
    data, name = table
    rng = random.Random(seed)
    text = data.decode("utf-8-sig")
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(text))
        text = text[:at] + rng.choice(HOSTILE) + text[at:]
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    both(path, fast_expected=False)


# ------------------------------------------------------------------------------ fixtures


@pytest.mark.parametrize(
    "path", sorted(p for p in DPC.rglob("*") if p.is_file()), ids=lambda p: p.name
)
def test_every_dpcisr_fixture_reads_alike(path: Path) -> None:
    both(path, fast_expected=path.parent.name == "wpa")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig", "cp1252"])
def test_the_reader_takes_the_fast_path_in_any_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    text = (DPC / "wpa" / "dpcisr_dated_semicolon.csv").read_text(encoding="utf-8-sig")
    text = text.replace("NDIS.SYS", "NDÏS.SYS")
    path = tmp_path / "2013-03-30T19-36-40_dpc.csv"
    path.write_bytes(text.encode(encoding))
    item = InputFile(display=path.name, path=str(path))
    enc = detect_encoding(path.read_bytes()[:65536])
    fast = READER.read(item, enc)
    monkeypatch.setenv(LOOP_ENV, "1")
    monkeypatch.setattr("hbtriage.sources.dpcisr_wpa.read_fast", _no_fast)
    loop = READER.read(item, enc)
    assert_same(fast, loop)
    assert fast.dpc is not None and fast.dpc.rows is not None and fast.dpc.rows.height > 5


def _no_fast(*args: object, **kwargs: object) -> None:
    raise AssertionError("the fast path ran with the loop forced")


def test_a_large_table_reads_alike_over_many_pieces(tmp_path: Path) -> None:
    rng = random.Random(11)
    lines = ["Line,Type,Module,CPU,DPC/ISR Enter Time (s),Exclusive Duration (ms),Count"]
    for i in range(30_000):
        mod = rng.choice(["ndis.sys", "tcpip.sys", "storport.sys", "Total", ""])
        lines.append(
            f"{i},{rng.choice(['DPC', 'Interrupt'])},{mod},{rng.randrange(8)},"
            f"{i * 0.0003:.9f},{rng.expovariate(20):.6f},{rng.choice([1, 1, 1, 0])}"
        )
    lines.insert(5000, "DPC,ndis.sys")  # a short row
    path = tmp_path / "2013-03-30T19-36-40_big.csv"
    path.write_text("\n".join(lines))  # and cut off: no line end at the end
    loop = loop_of(path, path.name)
    fast = read_fast(str(path), "utf-8", path.name, path.name, piece_bytes=1 << 16)
    assert fast is not None
    fast.encoding = loop.encoding
    assert_same(fast, loop)
    assert any("cells expected" in w for w in fast.warnings)


# ------------------------------------------------------------------------------ the parsers

NUMBER_CHARS = "0123456789" * 3 + ".,,+-eE '\"%\t\x0b\x1c\x1f\u00a0\u202f\u2007١５x"


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(st.text(alphabet=NUMBER_CHARS, max_size=14), max_size=60))
def test_number_and_count_columns_equal_the_scalar_parsers(cells: list[str]) -> None:
    series = pl.Series(cells, dtype=pl.Utf8)
    assert [repr(v) for v in common.parse_num_series(series).to_list()] == [
        repr(common.parse_num(c)) for c in cells
    ]
    assert common.parse_count_series(series).to_list() == [common.parse_count(c) for c in cells]


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.floats(allow_nan=False),
            st.decimals(-1e7, 1e7, places=7).map(float),
            st.integers(-(10**7), 10**7).map(lambda i: i / 2000),
        ),
        max_size=60,
    )
)
def test_rounding_equals_python_round(values: list[float]) -> None:
    got = common.round_series(pl.Series(values, dtype=pl.Float64), 3).to_list()
    assert [repr(v) for v in got] == [repr(round(v, 3)) for v in values]


@st.composite
def date_texts(draw: st.DrawFn) -> str:
    fields = [
        draw(st.sampled_from(["0000", "0001", "1900", "2000", "2013", "9999"])),
        draw(st.sampled_from(["00", "01", "02", "2", "09", "12", "13"])),
        draw(st.sampled_from(["00", "01", "28", "29", "30", "31", "32", " 5", "5"])),
        draw(st.sampled_from(["00", "0", "09", "12", "13", "23", "24"])),
        draw(st.sampled_from(["00", "5", "59", "60"])),
        draw(st.sampled_from(["00", "7", "59", "60", "61", "62"])),
    ]
    y, m, d, hh, mi, ss = fields
    fmt = draw(st.integers(0, 6))
    date = [f"{y}-{m}-{d}", f"{m}/{d}/{y}", f"{d}.{m}.{y}", f"{y}/{m}/{d}", f"{d}/{m}/{y}"][fmt % 5]
    join = draw(st.sampled_from([" ", "T", "t", "  ", "\t"]))
    text = f"{date}{join}{hh}:{mi}:{ss}"
    if draw(st.booleans()):
        text += draw(st.sampled_from([".", ","])) + draw(
            st.text("0123456789", min_size=1, max_size=9)
        )
    if draw(st.booleans()):
        text += draw(st.sampled_from([" AM", " pm", " PM", "am"]))
    if draw(st.booleans()):
        text = (
            draw(st.sampled_from(['"', " ", '" ', "\u00a0"]))
            + text
            + draw(st.sampled_from(['"', " ", "", "x"]))
        )
    return text


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(st.one_of(date_texts(), st.text(max_size=30)), max_size=40))
def test_date_columns_equal_the_scalar_parser(cells: list[str]) -> None:
    got = common.parse_datetime_series(pl.Series(cells, dtype=pl.Utf8)).to_list()
    assert got == [common.parse_datetime(c) for c in cells]


def test_iso_dates_on_every_edge_of_every_field() -> None:
    """WPA's own date form goes through polars' strptime: every field's edges, as Python."""
    cells = [
        f"{y}-{m:02d}-{d:02d}{t}{hh:02d}:{mi:02d}:{ss:02d}{frac}"
        for y, m, d, t, hh, mi, ss, frac in itertools.product(
            ["0000", "0001", "1900", "2000", "2012", "2013"],
            range(14),
            [0, 1, 28, 29, 30, 31, 32],
            [" ", "T", "t"],
            [0, 23, 24],
            [0, 59, 60],
            [0, 59, 60, 61],
            ["", ",5", ".123456", ",1234567", ".0000000009"],
        )
    ]
    got = common.parse_datetime_series(pl.Series(cells)).to_list()
    want = [common.parse_datetime(c) for c in cells]
    assert got == want
    assert sum(w is not None for w in want) > 1000


def test_large_values_round_exactly() -> None:
    values = [2.0**60 + 0.5, -(2.0**55), 1e300, 5e-324, -0.0004, math.ulp(1.0)]
    got = common.round_series(pl.Series(values), 3).to_list()
    assert [repr(v) for v in got] == [repr(round(v, 3)) for v in values]
