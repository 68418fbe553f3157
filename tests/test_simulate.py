"""The simulator writes what real servers write, and says in truth.json what happened.

Every file is read back with the project's own readers (hbtriage.sources), so these tests
also prove that the synthetic bundles parse like real ones.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage.catalog import load_catalog
from hbtriage.simulate import SCENARIOS, generate, generate_large, reference_dir, write_reference
from hbtriage.simulate import writers as W
from hbtriage.sources import perfmon_csv, read_one
from hbtriage.sources.base import InputFile, ReadResult

REF = reference_dir()


def read(path: Path) -> ReadResult:
    out = read_one(InputFile(display=str(path), path=str(path)))
    assert out.result is not None, f"{path}: {out.kind} {out.message}"
    assert out.result.warnings == [], out.result.warnings
    return out.result


def local(h: int, m: int, s: int, ms: int) -> datetime:
    return datetime(2013, 3, 30, h, m, s, ms * 1000)


def big_gaps(ts: pl.Series, seconds: float) -> list[tuple[datetime, datetime]]:
    """(last before, first after) for every silence longer than ``seconds``."""
    t = ts.sort().to_list()
    return [(a, b) for a, b in zip(t, t[1:], strict=False) if (b - a).total_seconds() > seconds]


def num(x: object) -> float:
    """A polars aggregate as a float (fails loudly on null)."""
    assert isinstance(x, int | float), x
    return float(x)


def series(r: ReadResult, counter: str) -> pl.DataFrame:
    assert r.counters is not None
    return r.counters.filter(pl.col("counter") == counter).sort("ts_local")


# --- the reference case ------------------------------------------------------------------


def test_reference_folder_holds_exactly_the_five_real_format_files() -> None:
    files = sorted(str(p.relative_to(REF)) for p in REF.rglob("*") if p.is_file())
    assert files == [
        "CVP1/CVP.2013-03-30.log",
        "CVP1/CVP1_perfmon.csv",
        "CVP1/Error.2013-03-30.log",
        "PG1A/PG1A_perfmon.csv",
        "PG1A/pim1.txt",
    ]
    assert sum((REF / f).stat().st_size for f in files) < 6_000_000


def test_reference_is_rebuilt_byte_for_byte(tmp_path: Path) -> None:
    for p in write_reference(tmp_path):
        rel = p.relative_to(tmp_path)
        assert p.read_bytes() == (REF / rel).read_bytes(), rel


def test_reference_cvp_log_goes_silent_for_11_seconds() -> None:
    r = read(REF / "CVP1" / "CVP.2013-03-30.log")
    assert r.kind == "cvp_log" and r.stream == "CVP"
    ev = r.events
    assert ev is not None
    assert set(ev["offset_min"].unique().to_list()) == {-300}
    # Busy: several records per second, no other pause longer than 2 s in the hour.
    assert ev.height > 3600 * 2
    first_ts, last_ts = ev["ts_local"].to_list()[0], ev["ts_local"].to_list()[-1]
    assert first_ts < local(19, 5, 2, 0) and last_ts > local(20, 4, 58, 0)
    assert big_gaps(ev["ts_local"], 2.0) == [(local(19, 36, 46, 531), local(19, 36, 57, 328))]
    last = ev.filter(pl.col("ts_local") == local(19, 36, 46, 531)).row(0, named=True)
    assert "VXMLManager:generateVXML: CALLGUID=" in last["message"]
    assert "Generated VXML from template 'PlayMediaIOS.template'" in last["message"]
    first = ev.filter(pl.col("ts_local") == local(19, 36, 57, 328)).row(0, named=True)
    assert "Missed 2 VRU PIM heartbeats" in first["message"]
    after = ev.filter(pl.col("ts_local") > local(19, 36, 57, 328)).head(40)
    assert after["message"].str.contains("ICM Service is now In Service").any()


def test_reference_error_log_has_the_three_loss_records() -> None:
    r = read(REF / "CVP1" / "Error.2013-03-30.log")
    assert r.stream == "Error"
    ev = r.events
    assert ev is not None
    at = {row["ts_local"]: row["message"] for row in ev.iter_rows(named=True)}
    assert (
        "Shutting down VRU PIM connection. Transition to partial service."
        in at[local(19, 36, 46, 105)]
    )
    assert "terminateConnection on plugin(GED125)" in at[local(19, 36, 46, 136)]
    assert "Socket[addr=/192.0.2.16,port=4335,localport=5000]" in at[local(19, 36, 46, 136)]
    assert "Missed 2 VRU PIM heartbeats" in at[local(19, 36, 57, 328)]
    assert ev["severity"].to_list().count("1") == 1


def test_reference_pim_log_goes_silent_at_the_same_moment() -> None:
    path = REF / "PG1A" / "pim1.txt"
    assert path.read_bytes().startswith(b"Events from March 30, 2013\r\n")
    r = read(path)
    assert r.kind == "icm_dumplog" and r.host == "pg1A" and r.stream == "pim1"
    ev = r.events
    assert ev is not None
    gaps = big_gaps(ev["ts_local"], 2.0)
    assert len(gaps) == 1
    before, after = gaps[0]
    assert local(19, 36, 46, 500) <= before < local(19, 36, 46, 600)
    assert local(19, 36, 57, 300) <= after < local(19, 36, 57, 400)
    rows = ev.filter(pl.col("ts_local") >= after).head(2)["message"].to_list()
    assert rows[0].startswith("Error receiving data from VRU.")
    assert "Last API Error [10054]: An existing connection was forcibly closed" in rows[0]
    assert rows[1] == "TCP connection to VRU has been broken."
    later = ev.filter(pl.col("ts_local") > after).head(20)["message"].to_list()
    assert "Trying to connect to VRU at 192.0.2.20 port 5000" in later
    assert "VRU connection established" in later


@pytest.mark.parametrize("host", ["CVP1", "PG1A"])
def test_reference_perfmon_header_zone_and_cadence(host: str) -> None:
    path = REF / host / f"{host}_perfmon.csv"
    raw = path.read_bytes()
    # -0500 on 30 March 2013 is US daylight time: the servers were on US Central (CDT).
    assert raw.startswith(
        b'"(PDH-CSV 4.0) (Central Daylight Time)(300)","\\\\' + host.encode() + b"\\Processor"
    )
    assert raw.count(b"\r\n") == raw.count(b"\n")
    r = read(path)
    assert (r.host, r.zone, r.offset_min) == (host, "Central Daylight Time", -300)
    assert r.tz_iana == "America/Chicago" and r.warnings == []
    dpc = series(r, "DPC Rate")
    assert 3590 <= dpc.height <= 3610
    steps = dpc["ts_local"].diff().drop_nulls().dt.total_milliseconds()
    assert num(steps.min()) > 950 and num(steps.max()) < 1050
    # Rate counters are blank in the first row; DPC Rate (instantaneous) is not.
    assert series(r, "% DPC Time")["value"][0] is None
    assert dpc["value"][0] is not None


def test_reference_dpc_rate_rises_on_cvp1_only_inside_the_gap() -> None:
    cvp = read(REF / "CVP1" / "CVP1_perfmon.csv")
    inside = (pl.col("ts_local") >= local(19, 36, 46, 0)) & (
        pl.col("ts_local") < local(19, 36, 58, 0)
    )
    rate = series(cvp, "DPC Rate")
    assert rate.filter(inside)["value"].to_list() == [10.0] * 12
    assert set(rate.filter(~inside)["value"].drop_nulls().to_list()) <= {0.0, 1.0}
    for counter in ("% DPC Time", "DPCs Queued/sec"):
        s = series(cvp, counter)
        assert num(s.filter(inside)["value"].min()) > 10 * num(s.filter(~inside)["value"].median())
    pg = read(REF / "PG1A" / "PG1A_perfmon.csv")
    assert set(series(pg, "DPC Rate")["value"].to_list()) <= {0.0, 1.0}
    assert num(series(pg, "% DPC Time")["value"].max()) < 3
    # Nothing else happens in the hour: cumulative error counts stay flat on both hosts.
    for r in (cvp, pg):
        for counter in (
            "Packets Received Discarded",
            "Packets Received Errors",
            "Datagrams Received Errors",
            "Connections Reset",
        ):
            assert series(r, counter)["value"].n_unique() == 1, (r.host, counter)
        assert num(series(r, "% Processor Time")["value"].max()) < 70
        assert num(series(r, "Available MBytes")["value"].min()) > 500


# --- scenarios ---------------------------------------------------------------------------

LOSS = "Missed 2 VRU PIM heartbeats"


def to_utc(ts: datetime, host: dict[str, Any]) -> datetime:
    """A host's displayed local time back to true UTC (zone offset and clock skew removed)."""
    return ts - timedelta(minutes=host["offset_min"], seconds=host["skew_s"])


def iso(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", ""))


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("scenarios")
    for name in SCENARIOS:
        generate(name, root / name, seed=7)
    return {name: root / name for name in SCENARIOS}


def load(bundle: Path) -> tuple[dict[str, Any], dict[str, dict[str, ReadResult]]]:
    truth = json.loads((bundle / "truth.json").read_text("utf-8"))
    results: dict[str, dict[str, ReadResult]] = {}
    for host, info in truth["hosts"].items():
        results[host] = {f: read(bundle / f) for f in info["files"]}
    return truth, results


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_writes_parseable_files_and_truth(name: str, bundles: dict[str, Path]) -> None:
    truth, results = load(bundles[name])
    assert truth["scenario"] == name
    roles = sorted(h["role"] for h in truth["hosts"].values())
    assert roles == ["cvp", "pg"]
    on_disk = sorted(
        str(p.relative_to(bundles[name])) for p in bundles[name].rglob("*") if p.is_file()
    )
    listed = sorted(f for h in truth["hosts"].values() for f in h["files"])
    assert on_disk == sorted([*listed, "truth.json"])
    for host, files in results.items():
        kinds = {r.kind for r in files.values()}
        assert {"perfmon_csv"} <= kinds
        role = truth["hosts"][host]["role"]
        assert ("icm_dumplog" if role == "pg" else "cvp_log") in kinds
        perf = next(r for r in files.values() if r.kind == "perfmon_csv")
        assert perf.host == host
        assert perf.offset_min == truth["hosts"][host]["offset_min"]
        assert perf.counters is not None
        n_counters = perf.counters["counter"].n_unique()
        assert n_counters == 18
    expect_incidents = name not in ("healthy", "dpc_no_loss")
    assert bool(truth["incidents"]) == expect_incidents
    assert len(truth["incidents"]) == (2 if name == "two_incidents" else int(expect_incidents))
    for inc in truth["incidents"]:
        assert iso(inc["start"]) < iso(inc["end"])
        assert inc["cause"] in set(load_catalog().cause_ids) - {"unknown"}


def cvp_events(truth: dict[str, Any], results: dict[str, dict[str, ReadResult]]) -> pl.DataFrame:
    host = next(h for h, i in truth["hosts"].items() if i["role"] == "cvp")
    frames = [r.events for f, r in results[host].items() if r.kind == "cvp_log" and "/CVP." in f]
    return pl.concat([f for f in frames if f is not None])


@pytest.mark.parametrize("name", SCENARIOS)
def test_loss_messages_appear_in_the_incident_window(name: str, bundles: dict[str, Path]) -> None:
    truth, results = load(bundles[name])
    hosts = {i["role"]: (h, i) for h, i in truth["hosts"].items()}
    cvp_name, cvp_info = hosts["cvp"]
    pg_name, pg_info = hosts["pg"]
    ev = cvp_events(truth, results)
    cvp_loss = [
        to_utc(t, cvp_info) for t in ev.filter(pl.col("message").str.contains(LOSS))["ts_local"]
    ]
    pim = results[pg_name][f"{pg_name}/pim1.txt"].events
    assert pim is not None
    pim_loss = [
        to_utc(t, pg_info)
        for t in pim.filter(pl.col("message").str.contains("Error receiving data from VRU"))[
            "ts_local"
        ]
    ]
    # A Call Server restart closes the socket itself: only the PIM reports the loss then.
    restarts_cvp = sum(
        i["cause"] == "peer_restart" and i["host"] == cvp_name for i in truth["incidents"]
    )
    restarts_pg = sum(
        i["cause"] == "peer_restart" and i["host"] == pg_name for i in truth["incidents"]
    )
    assert len(cvp_loss) == len(truth["incidents"]) - restarts_cvp
    assert len(pim_loss) == len(truth["incidents"]) - restarts_pg
    for inc in truth["incidents"]:
        lo, hi = iso(inc["start"]), iso(inc["end"]) + timedelta(seconds=1)
        assert any(lo < t <= hi for t in cvp_loss + pim_loss), inc


@pytest.mark.parametrize("name", [n for n in SCENARIOS if n.startswith("dpc_storm_")])
def test_dpc_storm_raises_dpc_rate_on_its_host_only(name: str, bundles: dict[str, Path]) -> None:
    truth, results = load(bundles[name])
    inc = truth["incidents"][0]
    for host, files in results.items():
        perf = next(r for r in files.values() if r.kind == "perfmon_csv")
        peak = num(series(perf, "DPC Rate")["value"].max())
        assert (peak >= 4) == (host == inc["host"]), (host, peak)
    assert (bundles[name] / inc["host"] / "ndis_version.txt").exists()


@pytest.mark.parametrize("name", ["vm_stun_pg", "vm_stun_cvp"])
def test_vm_stun_stops_the_samples(name: str, bundles: dict[str, Path]) -> None:
    truth, results = load(bundles[name])
    inc = truth["incidents"][0]
    info = truth["hosts"][inc["host"]]
    perf = next(r for r in results[inc["host"]].values() if r.kind == "perfmon_csv")
    t = series(perf, "DPC Rate")["ts_local"]
    gaps = big_gaps(t, info["perfmon_interval_s"] * 1.5)
    assert len(gaps) == 1
    a, b = (to_utc(x, info) for x in gaps[0])
    assert a <= iso(inc["start"]) and b >= iso(inc["end"])


def test_dpc_without_loss_has_a_spike_but_no_loss(bundles: dict[str, Path]) -> None:
    truth, results = load(bundles["dpc_no_loss"])
    peaks = [
        num(
            series(next(r for r in f.values() if r.kind == "perfmon_csv"), "DPC Rate")[
                "value"
            ].max()
        )
        for f in results.values()
    ]
    assert max(peaks) >= 4
    assert not cvp_events(truth, results)["message"].str.contains(LOSS).any()


def test_pim_restart_shows_the_startup_lines(bundles: dict[str, Path]) -> None:
    truth, results = load(bundles["peer_restart_pg"])
    pg = next(h for h, i in truth["hosts"].items() if i["role"] == "pg")
    pim = results[pg][f"{pg}/pim1.txt"].events
    assert pim is not None
    assert pim["message"].str.contains("Initializing Event Management System").sum() == 1


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    def snapshot(d: Path) -> dict[str, bytes]:
        return {str(p.relative_to(d)): p.read_bytes() for p in d.rglob("*") if p.is_file()}

    generate("two_incidents", tmp_path / "a", seed=11)
    generate("two_incidents", tmp_path / "b", seed=11)
    generate("two_incidents", tmp_path / "c", seed=12)
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    assert snapshot(tmp_path / "a") != snapshot(tmp_path / "c")


def test_unknown_scenario_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        generate("nope", tmp_path, seed=1)


def test_generate_large_hits_its_size_and_columns(tmp_path: Path) -> None:
    truth = generate_large(tmp_path, log_bytes=4_000_000, hours=0.5, counters_per_host=40, seed=1)
    logs = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.suffix in (".txt", ".log"))
    assert 3_400_000 < logs < 4_600_000
    path = tmp_path / "CVP1" / "CVP1_perfmon.csv"
    header = path.read_bytes().decode("utf-8").split("\r\n", 1)[0].split('","')
    assert len(header) == 1 + 40
    assert "\\\\CVP1\\Process(smss)\\% Processor Time" in header
    perf = read(path)  # the reader keeps the counters it knows; the padding must not upset it
    assert perf.extra["dropped_columns"] == 40 - 18
    assert [i["cause"] for i in truth["incidents"]] == ["dpc_storm"]


# --- writers round-trip through the readers ------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    locale=st.sampled_from(sorted(W.LOCALES)),
    encoding=st.sampled_from(W.ENCODINGS),
    excel=st.booleans(),
    bias=st.sampled_from([300, 240, 0, -60, -540]),
    values=st.lists(
        st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda v: round(v, 3)),
        min_size=2,
        max_size=30,
    ),
)
def test_perfmon_writer_round_trips(
    tmp_path_factory: pytest.TempPathFactory,
    locale: str,
    encoding: str,
    excel: bool,
    bias: int,
    values: list[float],
) -> None:
    if encoding.startswith("cp"):  # a Windows writes its own ANSI code page, not another's
        encoding = {"ja": "cp932", "pl": "cp1250", "ru": "cp1251"}.get(locale, "cp1252")
    path = tmp_path_factory.mktemp("pm") / "x.csv"
    n = len(values)
    t = np.int64(1364670000000) + np.arange(n, dtype=np.int64) * 1000
    cols = [
        W.PerfmonColumn("Processor", "DPC Rate", "_Total", np.array(values)),
        W.PerfmonColumn(
            "Network Interface",
            "Packets Received Discarded",
            "Intel[R] PRO_1000 MT Network Connection",
            np.arange(n, dtype=np.float64),
        ),
    ]
    zone = "" if locale == "ja" else "Eastern Standard Time"
    W.write_perfmon_csv(
        path,
        "HOST1",
        t,
        cols,
        zone_name=zone,
        bias_min=bias,
        locale=locale,
        encoding=encoding,
        excel=excel,
    )
    # The writer's bytes, read with the encoding it used (detection is tested below).
    r = perfmon_csv.READER.read(InputFile(display=str(path), path=str(path)), encoding)
    assert r.warnings == []
    assert r.offset_min == -bias
    got = series(r, "DPC Rate")
    assert got["instance"].unique().to_list() == ["_Total"]
    assert got["value"].to_list() == pytest.approx(values, abs=1e-6)
    assert got["ts_local"][0] == datetime(2013, 3, 30, 19, 0, 0)
    assert series(r, "Packets Received Discarded")["value"].to_list() == list(range(n))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=3 * 86_400_000), min_size=1, max_size=40),
)
def test_dumplog_and_cvp_writers_round_trip(
    tmp_path_factory: pytest.TempPathFactory, offsets: list[int]
) -> None:
    t = np.int64(1364601600000) + np.sort(np.array(offsets, dtype=np.int64))
    msgs = pl.Series([f"Trace: line {i}" for i in range(len(t))])
    d = tmp_path_factory.mktemp("logs")
    W.write_dumplog(d / "pim1.txt", t, msgs, node="pg1A", process="pim1")
    W.write_cvp_log(
        d / "CVP.log",
        t,
        pl.Series([f"%CVP_8_5_IVR-7-CALL: line {i}" for i in range(len(t))]),
        offset_min=540,
        prefix_ip="192.0.2.20",
    )
    expected = [datetime(1970, 1, 1) + timedelta(milliseconds=int(x)) for x in t]
    for name in ("pim1.txt", "CVP.log"):
        ev = read(d / name).events
        assert ev is not None
        assert ev["ts_local"].to_list() == expected
        assert ev["message"].str.ends_with(f"line {0}").sum() == 1


def test_cp1252_spanish_perfmon_is_detected_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "es.csv"
    t = np.array([1364670000000, 1364670001000], dtype=np.int64)
    cols = [
        W.PerfmonColumn("Processor", "% Interrupt Time", "_Total", np.array([np.nan, 1.0])),
        W.PerfmonColumn("Memory", "Pages/sec", None, np.array([np.nan, 2.0])),
    ]
    W.write_perfmon_csv(
        path,
        "PG2A",
        t,
        cols,
        zone_name="Romance Standard Time",
        bias_min=-60,
        locale="es",
        encoding="cp1252",
    )
    r = read(path)
    assert r.counters is not None
    assert sorted(r.counters["counter"].unique().to_list()) == ["% Interrupt Time", "Pages/sec"]


def test_a_readdressed_pgs_cvp_names_the_pgs_own_address(tmp_path: Path) -> None:
    """A plan whose PG was given another address (a site's second pair): its CVP's GED-125
    lines name that address, never the first pair's PG's (192.0.2.16)."""
    from hbtriage.simulate.scenarios import Plan, generate

    def readdress(plan: Plan) -> None:
        plan.pg.ip = "192.0.2.17"

    truth = generate("dpc_storm_pg", tmp_path, 1, adjust=readdress)
    cvp = next(n for n, h in truth["hosts"].items() if h["role"] == "cvp")
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / cvp).glob("*.log"))
    assert "VRU PIM at 192.0.2.17" in text and "addr=/192.0.2.17," in text
    assert "192.0.2.16" not in text
