"""Windows DPC/ISR reports (xperf -a dpcisr, tracerpt, WPA exports, LatencyMon) name the driver
whose DPCs or ISRs used the CPUs: what a user sees from each layout, round trips through the
simulator's writers, and no crash on cut, mangled or hostile files."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbtriage.errors import InputError
from hbtriage.simulate import dpc_writers as W
from hbtriage.sources import READERS, sniff
from hbtriage.sources.base import DPC_SCHEMA, InputFile, ModuleUse, Reader, ReadResult
from hbtriage.sources.dpcisr_latencymon import READER as LATENCYMON
from hbtriage.sources.dpcisr_tracerpt import READER as TRACERPT
from hbtriage.sources.dpcisr_wpa import READER as WPA
from hbtriage.sources.dpcisr_xperf import READER as XPERF
from hbtriage.sources.encoding import detect_encoding, read_head

FIX = Path(__file__).parent / "fixtures"
DPC = FIX / "dpcisr"
LAYOUTS: dict[str, Reader] = {
    "xperf": XPERF,
    "tracerpt": TRACERPT,
    "wpa": WPA,
    "latencymon": LATENCYMON,
}
MINE = {r.kind for r in LAYOUTS.values()}


def read(path: Path, name: str | None = None) -> ReadResult:
    head, enc = read_head(str(path))
    return _reader_of(head, name or path.name).read(
        InputFile(display=name or path.name, path=str(path)), enc
    )


def _reader_of(head: str, name: str) -> Reader:
    for reader in LAYOUTS.values():
        if reader.sniff(head, name):
            return reader
    raise AssertionError(f"{name}: no DPC/ISR reader claims it")


def top(r: ReadResult, kind: str = "dpc") -> ModuleUse:
    assert r.dpc is not None
    return next(m for m in r.dpc.modules if m.kind == kind)


def by_name(r: ReadResult, module: str, kind: str = "dpc") -> ModuleUse:
    assert r.dpc is not None
    return next(m for m in r.dpc.modules if m.module == module and m.kind == kind)


# ------------------------------------------------------------------- what a user sees


def test_xperf_names_ndis_with_its_share_longest_and_the_dpcs_over_4_ms() -> None:
    r = read(DPC / "xperf" / "dpcisr_ndis_culprit.txt")
    assert r.kind == "xperf_dpcisr" and r.host is None and r.warnings == []
    assert r.events is None and r.counters is None
    t = r.dpc
    assert t is not None and (t.tool, t.span_s, t.cpus) == ("xperf dpcisr", 120.0, 4)
    assert t.long_us == 4096  # xperf's bucket edge: over_long counts DPCs > 4096 µs exactly
    ndis = top(r)
    assert ndis.module == "ndis.sys"  # written NDIS.SYS
    assert ndis.count == 912_345 and ndis.time_us == 5_264_527
    assert ndis.share == pytest.approx(0.8904, abs=1e-4)
    assert (ndis.longest_us, ndis.over_long) == (8192, 5)
    assert top(r, "isr").module == "b57nd60a.sys"
    assert by_name(r, "usbport.sys").count == 1900
    assert t.rows is None  # no absolute start in an xperf report: intervals stay in extra
    assert [iv["usec"] for iv in r.extra["intervals"]][2] == 612_000 + 430 + 360 + 420


def test_xperf_healthy_report_is_read_like_any_other() -> None:
    r = read(DPC / "xperf" / "dpcisr_healthy_dpc_only.txt")
    t = r.dpc
    assert t is not None and {m.kind for m in t.modules} == {"dpc"}
    assert max(m.share or 0 for m in t.modules) < 0.5  # spread: no module dominates
    assert all(m.over_long == 0 and (m.longest_us or 0) <= 16 for m in t.modules)
    assert t.long_us == 4000  # no bucket edge above 4 ms in this report


def test_tracerpt_2003_adds_routines_up_per_driver_and_reads_the_latency() -> None:
    r = read(DPC / "tracerpt" / "dpcisr_2003_ndis_culprit.txt")
    assert (r.kind, r.host) == ("tracerpt_dpcisr", "PG1A")
    t = r.dpc
    assert t is not None and t.cpus == 2 and t.span_s == 900
    assert t.start_local == datetime(2013, 3, 30, 19, 30)
    ndis = top(r)
    assert ndis.module == "ndis.sys"
    assert ndis.count == 1_077_299  # two routines
    assert ndis.share == pytest.approx(7.25 / 7.95, abs=1e-6)
    assert (ndis.longest_us, ndis.over_long, t.long_us) == (10_000, 3, 5000)
    assert ndis.latency_max_us == 5000
    assert by_name(r, "storport.sys").latency_max_us == 25
    assert top(r, "isr").module == "b57nd60a.sys"


def test_wpa_raw_rows_with_the_trace_start_in_the_name_become_timed_rows() -> None:
    r = read(DPC / "wpa" / "2013-03-30T19-36-40_DPC_ISR_Raw_Rows.csv")
    t = r.dpc
    assert t is not None and t.rows is not None and t.rows.schema == pl.Schema(DPC_SCHEMA)
    assert t.rows.height == 60 and t.rows["count"].unique().to_list() == [1]
    assert t.start_local == datetime(2013, 3, 30, 19, 36, 40)
    assert t.rows["ts_local"].min() == datetime(2013, 3, 30, 19, 36, 40, 1500)
    ndis = top(r)
    assert (ndis.module, ndis.count, ndis.over_long) == ("ndis.sys", 14, 2)
    assert ndis.longest_us == pytest.approx(5123.456)
    assert ndis.share is not None and ndis.share > 0.95
    assert (t.rows["time_us"] == t.rows["max_us"]).all()


def test_wpa_raw_rows_without_a_start_stay_relative() -> None:
    r = read(DPC / "wpa" / "DPC_ISR_Raw_Rows_relative.csv")
    assert r.dpc is not None and r.dpc.rows is None and r.dpc.start_local is None
    assert r.extra["relative_rows"].height == 60
    assert top(r).module == "ndis.sys"


def test_wpa_dated_enter_times_with_decimal_commas() -> None:
    r = read(DPC / "wpa" / "dpcisr_dated_semicolon.csv")
    t = r.dpc
    assert r.encoding == "utf-8-sig" and t is not None and t.rows is not None
    assert t.start_local == datetime(2013, 3, 30, 19, 36, 40, 250000)
    ndis = top(r)
    assert (ndis.module, ndis.longest_us, ndis.over_long) == ("ndis.sys", 6250.0, 1)


def test_wpa_duration_by_module_copied_from_wpa() -> None:
    r = read(DPC / "wpa" / "dpcisr_duration_by_module_copy.txt")
    assert r.extra["format"] == "wpa summary"
    ndis = top(r)
    assert ndis.module == "ndis.sys"
    assert ndis.count == 812_345 + 1_200  # two functions; German thousands dots
    assert ndis.time_us == pytest.approx(5_213_542.1)  # 5.210,4421 ms + 3,1 ms
    assert ndis.longest_us == pytest.approx(6012.345)
    assert ndis.share == pytest.approx(0.9022, abs=1e-4)
    assert top(r, "isr").module == "b57nd60a.sys"


def test_latencymon_utf16_report_with_localized_drivers_table() -> None:
    r = read(DPC / "latencymon" / "latencymon_ndis_culprit_utf16.txt")
    assert (r.kind, r.host, r.encoding) == ("latencymon", "PG1A", "utf-16")
    t = r.dpc
    assert t is not None and t.verdict.startswith("Your system appears to be having trouble")
    assert (t.span_s, t.cpus) == (600, 4)
    assert t.end_local == datetime(2013, 3, 30, 19, 47, 12)
    assert t.start_local == datetime(2013, 3, 30, 19, 37, 12)
    ndis = top(r)
    assert ndis.module == "ndis.sys" and ndis.description.startswith("NDIS (Netzwerktreiber")
    assert ndis.longest_us == pytest.approx(8190.662)  # 8,190662 ms
    assert ndis.count == 912_345 and ndis.share == pytest.approx(0.9678, abs=1e-4)
    assert r.extra["buckets"]["dpc"][">=4000"] == 5
    assert top(r, "isr").module == "b57nd60a.sys"


def test_latencymon_healthy_report_without_a_drivers_table() -> None:
    r = read(DPC / "latencymon" / "latencymon_healthy_utf8.txt")
    t = r.dpc
    assert r.host == "CVP1" and t is not None
    assert t.verdict.startswith("Your system appears to be suitable")
    ndis = by_name(r, "ndis.sys")
    assert ndis.share == pytest.approx(0.0102 / 0.0320)
    assert ndis.time_us == pytest.approx(0.0192e6 * 0.0102 / 0.0320)
    assert by_name(r, "tcpip.sys").longest_us == pytest.approx(61.88)
    assert by_name(r, "storport.sys", "isr").description.startswith("Microsoft Storage Port")


# ------------------------------------------------------------------ found by content


def _layout_files() -> list[tuple[str, Path]]:
    return [
        (layout, p) for layout in LAYOUTS for p in sorted((DPC / layout).iterdir()) if p.is_file()
    ]


@pytest.mark.parametrize(("layout", "path"), _layout_files(), ids=lambda v: getattr(v, "name", v))
def test_each_fixture_is_found_by_content(layout: str, path: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "upload.dat"
    renamed.write_bytes(path.read_bytes())
    reader, _enc, note = sniff(InputFile(display="upload.dat", path=str(renamed)))
    assert reader is not None, note
    assert reader.kind == LAYOUTS[layout].kind


def test_no_dpcisr_sniffer_claims_another_format() -> None:
    for path in sorted(FIX.rglob("*")):
        if not path.is_file() or DPC in path.parents:
            continue
        head, _enc = read_head(str(path))
        claims = [r.kind for r in READERS if r.kind in MINE and r.sniff(head, path.name)]
        assert claims == [], path


# --------------------------------------------------------------------------- round trips


def _mods(kind: str, specs: list[tuple[str, int, float, float, int]]) -> list[ModuleUse]:
    return [ModuleUse(n, kind, c, t, None, lo, ov) for n, c, t, lo, ov in specs]


def test_xperf_writer_round_trip(tmp_path: Path) -> None:
    mods = _mods("dpc", [("ndis.sys", 9000, 4_100_000, 8192, 7), ("tcpip.sys", 500, 900, 16, 0)])
    mods += _mods("isr", [("b57nd60a.sys", 4000, 6000, 4, 0)])
    path = tmp_path / "r.txt"
    path.write_text(W.xperf_dpcisr(mods, 60, 2), newline="")
    r = read(path)
    assert r.dpc is not None and (r.dpc.span_s, r.dpc.cpus, r.dpc.long_us) == (60, 2, 4096)
    _same(r.dpc.modules, mods, ("count", "time_us", "longest_us", "over_long"))


def test_tracerpt_writer_round_trip(tmp_path: Path) -> None:
    mods = _mods("dpc", [("ndis.sys", 9000, 4_100_000, 8000, 7), ("tcpip.sys", 500, 900, 25, 0)])
    mods[0].latency_max_us = 2000
    mods += _mods("isr", [("b57nd60a.sys", 4000, 6000, 4, 0)])
    path = tmp_path / "r.txt"
    path.write_text(W.tracerpt_dpcisr(mods, computer="PG1B", cpus=2), newline="")
    r = read(path)
    assert r.host == "PG1B" and r.dpc is not None and r.dpc.long_us == 4000
    _same(r.dpc.modules, mods, ("count", "longest_us", "over_long", "latency_max_us"))
    assert by_name(r, "ndis.sys").share == pytest.approx(4_100_000 / 4_100_900)


def test_latencymon_writer_round_trip_in_utf16(tmp_path: Path) -> None:
    mods = _mods("dpc", [("ndis.sys", 9000, 4_100_000, 8100, 0), ("tcpip.sys", 500, 900, 60, 0)])
    mods += _mods("isr", [("b57nd60a.sys", 4000, 6000, 4, 0)])
    mods[0].description = "NDIS-Treiber, Microsoft Corporation"
    taken = datetime(2013, 3, 30, 19, 47, 12)
    path = tmp_path / "r.txt"
    text = W.latencymon(mods, "Your system appears to be having trouble.", taken, "PG1A")
    path.write_bytes(text.encode("utf-16"))
    r = read(path)
    assert r.host == "PG1A" and r.dpc is not None and r.dpc.end_local == taken
    assert r.dpc.verdict == "Your system appears to be having trouble."
    _same(r.dpc.modules, mods, ("count", "time_us", "longest_us", "description"))


def test_wpa_writer_round_trip(tmp_path: Path) -> None:
    start = datetime(2013, 3, 30, 19, 36, 40, 125000)
    rows = _rows(start, [("ndis.sys", "dpc", 0.5, 5000.0), ("b57nd60a.sys", "isr", 0.75, 3.5)])
    path = tmp_path / W.wpa_export_name(start)
    path.write_text(W.wpa_raw_csv(rows, start))
    r = read(path)
    assert r.dpc is not None and r.dpc.rows is not None
    assert r.dpc.rows.select("ts_local", "module", "kind", "time_us").equals(
        rows.select("ts_local", "module", "kind", "time_us")
    )
    assert by_name(r, "ndis.sys").over_long == 1


def _rows(start: datetime, specs: list[tuple[str, str, float, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ts_local": [start + timedelta(seconds=s) for _, _, s, _ in specs],
            "offset_min": [None] * len(specs),
            "span_us": [d for *_, d in specs],
            "module": [m for m, *_ in specs],
            "kind": [k for _, k, *_ in specs],
            "cpu": [0] * len(specs),
            "count": [1] * len(specs),
            "time_us": [d for *_, d in specs],
            "max_us": [d for *_, d in specs],
        },
        schema=DPC_SCHEMA,
    )


def _same(got: list[ModuleUse], want: list[ModuleUse], fields: tuple[str, ...]) -> None:
    index = {(m.module, m.kind): m for m in got}
    assert set(index) == {(m.module, m.kind) for m in want}
    for m in want:
        for f in fields:
            assert getattr(index[(m.module, m.kind)], f) == pytest.approx(getattr(m, f)), (m, f)


# --------------------------------------------------------------------------- properties

NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,9}\.(sys|exe)", fullmatch=True)


@st.composite
def histogram_modules(draw: st.DrawFn, edges: list[int], long_us: float) -> list[ModuleUse]:
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    out = []
    for i, name in enumerate(names):
        kind = "dpc" if i % 3 else "isr"
        edge = draw(st.sampled_from(edges[1:-1]))
        count = draw(st.integers(1, 2_000_000))
        over = draw(st.integers(1, count)) if edge > long_us else 0
        time = draw(st.integers(0, 10**9))
        out.append(ModuleUse(name, kind, count, float(time), None, float(edge), over))
    return out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mods=histogram_modules(W.XPERF_EDGES, 4096), cpus=st.integers(1, 64))
def test_xperf_property_round_trip(mods: list[ModuleUse], cpus: int, tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text(W.xperf_dpcisr(mods, 3600, cpus), newline="")
    r = read(path)
    assert r.dpc is not None
    _same(r.dpc.modules, mods, ("count", "time_us", "longest_us", "over_long"))
    _shares_add_up(r)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mods=histogram_modules(W.TRACERPT_EDGES, 4000))
def test_tracerpt_property_round_trip(mods: list[ModuleUse], tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text(W.tracerpt_dpcisr(mods), newline="")
    r = read(path)
    assert r.dpc is not None
    _same(r.dpc.modules, mods, ("count", "longest_us", "over_long"))
    _shares_add_up(r)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(NAMES, min_size=1, max_size=6, unique=True),
    data=st.data(),
    decimal=st.sampled_from([",", "."]),
    encoding=st.sampled_from(["utf-16", "utf-8", "utf-8-sig"]),
)
def test_latencymon_property_round_trip(
    names: list[str], data: st.DataObject, decimal: str, encoding: str, tmp_path: Path
) -> None:
    mods = [
        ModuleUse(
            n,
            "dpc",
            data.draw(st.integers(1, 10**7)),
            float(data.draw(st.integers(0, 10**9))),
            None,
            float(data.draw(st.integers(1, 10**6))),
            None,
            None,
            data.draw(st.sampled_from(["", "Pilote réseau", "ネットワーク ドライバー"])),
        )
        for n in names
    ]
    path = tmp_path / "l.txt"
    path.write_bytes(W.latencymon(mods, "ok", None, "HOST1", decimal=decimal).encode(encoding))
    r = read(path)
    assert r.dpc is not None
    _same(r.dpc.modules, mods, ("count", "time_us", "longest_us", "description"))
    _shares_add_up(r)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    specs=st.lists(
        st.tuples(
            NAMES,
            st.sampled_from(["dpc", "isr"]),
            st.integers(0, 3_600_000_000),
            st.integers(0, 10**8),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_wpa_property_round_trip(specs: list[tuple[str, str, int, int]], tmp_path: Path) -> None:
    start = datetime(2024, 1, 15, 8, 0, 0)
    rows = _rows(start, [(m, k, us / 1e6, ns / 1e3) for m, k, us, ns in specs])
    path = tmp_path / W.wpa_export_name(start)
    path.write_text(W.wpa_raw_csv(rows, start))
    r = read(path)
    assert r.dpc is not None and r.dpc.rows is not None
    got = r.dpc.rows.sort("ts_local", "module", "time_us")
    want = rows.sort("ts_local", "module", "time_us")
    assert got["ts_local"].to_list() == want["ts_local"].to_list()
    assert got["time_us"].to_list() == pytest.approx(want["time_us"].to_list())
    assert sum(m.count or 0 for m in r.dpc.modules) == len(specs)
    _shares_add_up(r)


def _shares_add_up(r: ReadResult) -> None:
    """Shares of a kind never pass 1, and are 1 together when the report lists every module
    (a LatencyMon report without its drivers table names only the top drivers)."""
    assert r.dpc is not None
    every_module = not (r.kind == "latencymon" and not r.extra.get("drivers_table"))
    for kind in {m.kind for m in r.dpc.modules}:
        shares = [m.share for m in r.dpc.modules if m.kind == kind]
        assert sum(s or 0.0 for s in shares) <= 1.0 + 1e-9
        if every_module and all(s is not None for s in shares) and any(shares):
            assert sum(s or 0.0 for s in shares) == pytest.approx(1.0)


FIXTURE_TEXTS = [(p.name, p.read_bytes()) for _layout, p in _layout_files()]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fixture=st.sampled_from(FIXTURE_TEXTS),
    cut=st.floats(0.0, 1.0),
    commas=st.booleans(),
    junk=st.text(max_size=30),
    at=st.floats(0.0, 1.0),
)
def test_cut_or_mangled_reports_never_crash(
    fixture: tuple[str, bytes],
    cut: float,
    commas: bool,
    junk: str,
    at: float,
    tmp_path: Path,
) -> None:
    name, data = fixture
    text = data.decode(detect_encoding(data[:65536]), errors="replace").lstrip("\ufeff")
    text = text[: int(len(text) * cut)]
    if commas:
        text = re.sub(r"(\d)\.(\d)", r"\1,\2", text)
    pos = int(len(text) * at)
    text = text[:pos] + junk + text[pos:]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    for reader in LAYOUTS.values():
        try:
            r = reader.read(InputFile(display=name, path=str(path)), "utf-8")
        except InputError as exc:
            assert name in exc.one_line()
            continue
        assert r.kind == reader.kind and r.dpc is not None
        for m in r.dpc.modules:
            assert m.module and m.kind in ("dpc", "isr")
            assert m.count is None or m.count >= 0
            assert m.share is None or 0.0 <= m.share <= 1.0 + 1e-9
        _shares_add_up(r)


# ------------------------------------------------------------------------------ refusals

HOSTILE = {
    "empty": b"",
    "prose": b"Nothing to see here.\nJust text about DPCs and ISRs.\n",
    "binary": bytes(range(256)) * 4,
    "csv without module": b"Type,CPU,Duration (ms)\nDPC,0,1.0\n",
}


@pytest.mark.parametrize("reader", list(LAYOUTS.values()), ids=lambda r: r.kind)
@pytest.mark.parametrize("what", list(HOSTILE))
def test_hostile_input_is_an_input_error_naming_the_file(reader, what: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "suspicious-report.txt"
    path.write_bytes(HOSTILE[what])
    with pytest.raises(InputError) as err:
        reader.read(InputFile(display="suspicious-report.txt", path=str(path)), "utf-8")
    assert "suspicious-report.txt" in err.value.one_line()


def test_a_cut_off_xperf_report_reads_what_is_there_with_a_warning(tmp_path: Path) -> None:
    text = (DPC / "xperf" / "dpcisr_ndis_culprit.txt").read_text()
    path = tmp_path / "cut.txt"
    path.write_text(text[: text.index("Total = 140120 for module b57nd60a.sys") + 60], newline="")
    r = read(path)
    assert r.dpc is not None and top(r).module == "ndis.sys"
    assert any("cut off" in w or "lists" in w for w in r.warnings)


def test_wpa_rows_with_impossible_dates_are_left_out_with_a_warning(tmp_path: Path) -> None:
    # found by bench/fuzz.py: a digit changed in a date made a year no nanosecond time holds
    text = (DPC / "wpa" / "dpcisr_dated_semicolon.csv").read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    lines[3] = lines[3].replace("2013-", "2313-")
    lines[5] = lines[5].replace("2013-", "1013-")
    path = tmp_path / "dated.csv"
    path.write_text("\n".join(lines) + "\n")
    r = read(path)
    assert r.dpc is not None and r.dpc.rows is not None and r.dpc.rows.height == 28
    assert any("2 rows with a time before 1980 or after 2200" in w for w in r.warnings)
