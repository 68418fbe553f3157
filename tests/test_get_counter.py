"""PowerShell counters as users hand them over: ``Get-Counter`` printed (the table, ``|
Format-List``, German and Japanese Windows) and ``Get-Counter | Export-Counter -FileFormat
csv|tsv`` (a PDH CSV whose paths are Get-Counter's, lowercase). The files follow the layouts
in tests/fixtures/get_counter/SOURCES.md."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage import analyze
from hbtriage.errors import InputError
from hbtriage.simulate.scenarios import generate
from hbtriage.sources import sniff
from hbtriage.sources.base import InputFile
from hbtriage.sources.get_counter import parse_text

FIX = Path(__file__).parent / "fixtures"
GC = FIX / "get_counter"


def _read(path: Path):  # type: ignore[no-untyped-def]
    reader, enc, note = sniff(InputFile(display=path.name, path=str(path)))
    assert reader is not None, note
    return reader.kind, reader.read(InputFile(display=path.name, path=str(path)), enc)


def _dpc_rate(path: Path) -> list[tuple[datetime, float]]:
    _kind, r = _read(path)
    c = r.counters.filter(r.counters["counter"] == "DPC Rate").sort("ts_local")
    return list(c.select("ts_local", "value").iter_rows())


@pytest.mark.parametrize(
    ("name", "layout"),
    [
        ("get_counter_dpc_rate_en-US_utf16.txt", "en-US"),
        ("get_counter_dpc_3_en-US.txt", "en-US"),
        ("get_counter_dpc_format_list_en-US.txt", "en-US"),
        ("get_counter_dpc_de-DE_utf16.txt", "dotted"),
        ("get_counter_dpc_ja-JP_utf16.txt", "year-first"),
    ],
)
def test_every_get_counter_print_gives_the_same_series(name: str, layout: str) -> None:
    kind, r = _read(GC / name)
    assert (kind, r.host, r.offset_min, r.extra["date_layout"]) == (
        "get_counter",
        "PG3B",
        None,
        layout,
    )
    assert r.warnings == []
    assert {(o, i) for o, i in r.counters.select("object", "instance").unique().iter_rows()} == {
        ("Processor", "_Total")
    }
    series = _dpc_rate(GC / name)
    assert series == _dpc_rate(GC / "get_counter_dpc_3_en-US.txt")
    assert series[0] == (datetime(2013, 1, 23, 7, 35, 20), 0.0) and len(series) == 60
    assert max(v for _t, v in series) == 14.0


def test_german_decimal_commas_and_names() -> None:
    _kind, r = _read(GC / "get_counter_dpc_de-DE_utf16.txt")
    pct = r.counters.filter(r.counters["counter"] == "% DPC Time")["value"]
    _kind, en = _read(GC / "get_counter_dpc_3_en-US.txt")
    assert (
        pct.to_list()
        == en.counters.filter(en.counters["counter"] == "% DPC Time")["value"].to_list()
    )


def _bundle(tmp_path: Path, files: list[Path], *, keep_perfmon: bool) -> list[tuple[str, str]]:
    truth = generate("network_path", tmp_path, seed=1)
    assert truth["incidents"][0]["start"] == "2013-01-23T12:35:55.864Z"
    if not keep_perfmon:
        (tmp_path / "PG3B" / "PG3B_perfmon.csv").unlink()
    for f in files:
        shutil.copyfile(f, tmp_path / "PG3B" / f.name)
    (inc,) = analyze([tmp_path]).incidents
    return [(c.id, c.host or "") for c in inc.causes], inc.causes[0].evidence  # type: ignore[return-value]


def test_get_counter_dpc_rise_at_the_loss_is_a_dpc_storm(tmp_path: Path) -> None:
    # instead of perfmon, Get-Counter's table: its zone found from the peer's same disconnect
    causes, evidence = _bundle(tmp_path, [GC / "get_counter_dpc_3_en-US.txt"], keep_perfmon=False)
    assert causes[0] == ("dpc_storm", "PG3B"), causes
    assert "PG3B Processor(_Total)\\DPC Rate 0 → 14" in "\n".join(evidence)


@pytest.mark.parametrize(
    "name",
    [
        "get_counter_dpc_rate_en-US_utf16.txt",
        "get_counter_dpc_format_list_en-US.txt",
        "get_counter_dpc_de-DE_utf16.txt",
        "get_counter_dpc_ja-JP_utf16.txt",
    ],
)
def test_get_counter_beside_perfmon_is_a_dpc_storm(tmp_path: Path, name: str) -> None:
    causes, evidence = _bundle(tmp_path, [GC / name], keep_perfmon=True)
    assert causes[0] == ("dpc_storm", "PG3B"), causes
    assert "PG3B Processor(_Total)\\DPC Rate 0 → 14" in "\n".join(evidence)


@pytest.mark.parametrize("name", ["export_counter_pg3b.csv", "export_counter_pg3b.tsv"])
def test_export_counter_csv_is_read_as_the_perfmon_csv_it_is(tmp_path: Path, name: str) -> None:
    # Get-Counter's lowercase paths (\\pg3b\processor(_total)\dpc rate) kept by Export-Counter:
    # the computer PG3B, as its other files name it, and its _Total
    kind, r = _read(FIX / "perfmon" / name)
    assert (kind, r.host, r.offset_min, r.extra["lowercase_paths"]) == (
        "perfmon_csv",
        "PG3B",
        -300,
        True,
    )
    assert set(r.counters["instance"].cast(str)) == {"_Total"}
    causes, evidence = _bundle(tmp_path, [FIX / "perfmon" / name], keep_perfmon=False)
    assert causes[0] == ("dpc_storm", "PG3B"), causes
    assert "PG3B Processor(_Total)\\DPC Rate 0 → 14" in "\n".join(evidence)


def _print(host: str, start: datetime, values: list[float], listed: bool) -> str:
    """Get-Counter's table or Format-List print of one counter (en-US)."""
    out = [
        "",
        "Timestamp                 CounterSamples",
        "---------                 --------------",
    ]
    if listed:
        out = [""]
    for i, v in enumerate(values):
        t = start + timedelta(seconds=i)
        stamp = f"{t.month}/{t.day}/{t.year} {(t.hour % 12) or 12}:{t:%M:%S} {'AM' if t.hour < 12 else 'PM'}"
        path = f"\\\\{host}\\processor(_total)\\dpc rate :"
        if listed:
            out += [
                f"Readings       : {path}",
                f"                 {v:.15g}",
                "",
                "",
                f"Timestamp      : {stamp}",
                "CounterSamples : {_total}",
                "",
            ]
        else:
            out += [stamp.ljust(26) + path, " " * 26 + f"{v:.15g}", ""]
    return "\r\n".join(out + ["", ""])


@settings(max_examples=50, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1)),
    values=st.lists(
        st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1, max_size=15
    ),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,14}", fullmatch=True),
    listed=st.booleans(),
)
def test_get_counter_roundtrip_property(
    start: datetime, values: list[float], host: str, listed: bool
) -> None:
    start = start.replace(microsecond=0)
    r = parse_text(_print(host, start, values, listed), "p")
    assert r.host == host.upper()
    assert r.counters["ts_local"].to_list() == [
        start + timedelta(seconds=i) for i in range(len(values))
    ]
    assert r.counters["value"].to_list() == pytest.approx([float(f"{v:.15g}") for v in values])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="\\:.,/ ()_%-0123456789AMPTimestapRedingsCountrS\r\n", max_size=400))
def test_hostile_get_counter_text_never_crashes(text: str) -> None:
    try:
        r = parse_text("Timestamp                 CounterSamples\n" + text, "h")
    except InputError:
        return
    assert r.counters is not None


def test_no_other_fixture_is_taken_for_get_counter_output() -> None:
    from hbtriage.sources.get_counter import READER

    others = [p for p in FIX.rglob("*") if p.is_file() and GC not in p.parents]
    assert len(others) > 100
    for p in others:
        head = p.read_bytes()[:65536].decode("utf-8", errors="replace")
        assert not READER.sniff(head, p.name), p


@pytest.mark.parametrize("year", [1969, 2263, 2313, 9999])
def test_a_timestamp_no_log_can_have_is_one_line_naming_it(tmp_path: Path, year: int) -> None:
    """A Timestamp in a year no time stamp can have (past 2262 no nanosecond time holds it)
    is the one-line error naming the file, the line and the layouts expected, never an internal
    conversion error."""
    text = (GC / "get_counter_dpc_3_en-US.txt").read_text(encoding="utf-8")
    bad = tmp_path / "gc.txt"
    bad.write_text(text.replace("/2013 ", f"/{year} "), encoding="utf-8")
    reader, enc, _note = sniff(InputFile(display=bad.name, path=str(bad)))
    assert reader is not None and reader.kind == "get_counter"
    with pytest.raises(InputError) as exc:
        reader.read(InputFile(display=bad.name, path=str(bad)), enc)
    said = str(exc.value)
    assert "gc.txt:" in said and "Timestamp" in said and str(year) in said
