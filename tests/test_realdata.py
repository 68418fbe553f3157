"""Every real file of ../shared/realdata (copied byte for byte under tests/fixtures/) through
``analyze`` and the CLI: what is read (counters, times, zone), what is refused and how."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from hbtriage.api import Analysis, run
from hbtriage.cli import app

ROOT = Path(__file__).resolve().parent.parent
FIX = Path(__file__).parent / "fixtures"
PERFMON = {
    # file -> (samples, first, last) as written (local, no zone in the header)
    "ja-cp932_TIERRA_excel-resaved-of-61rows.csv": (
        61,
        "2017-12-30 20:56:30.873",
        "2017-12-30 20:57:30.878",
    ),
    "ja-cp932_TIERRA_gpu-dpc-netif_1s_527rows.csv": (
        527,
        "2018-12-15 20:04:30.076",
        "2018-12-15 20:13:16.058",
    ),
    "ja-cp932_TIERRA_proc-dpc-mem_1s_440rows.csv": (
        440,
        "2018-01-07 21:05:56.624",
        "2018-01-07 21:13:15.622",
    ),
    "ja-cp932_TIERRA_proc-dpc-mem_1s_61rows.csv": (
        61,
        "2017-12-30 20:56:30.873",
        "2017-12-30 20:57:30.878",
    ),
}
LOGHUB = {
    # file -> (stream, records, first, last); Linux syslog has no year (checked apart)
    "Windows_2k.log": ("cbs", 2000, "2016-09-28 04:30:30", "2016-09-29 02:04:40"),
    "Zookeeper_2k.log": ("zookeeper", 2000, "2015-07-29 17:41:44.747", "2015-08-25 11:26:28.145"),
    "Linux_2k.log": ("syslog", 2000, None, None),
}
DPC_FIVE = {"Interrupts/sec", "% DPC Time", "% Interrupt Time", "DPCs Queued/sec", "DPC Rate"}
NIC = {
    "Bytes Total/sec",
    "Packets Received/sec",
    "Packets Received Discarded",
    "Packets Received Errors",
    "Packets Outbound Discarded",
    "Packets Outbound Errors",
    "Output Queue Length",
}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _bundle(dst: Path) -> Path:
    """All of realdata in one folder: 4 perfmon CSVs, the .blg, CounterLang.xml, 3 loghub logs."""
    dst.mkdir()
    for name in PERFMON:
        shutil.copy2(FIX / "perfmon" / name, dst / name)
    shutil.copy2(FIX / "perfmon" / "SampleLog.blg", dst / "SampleLog.blg")
    shutil.copy2(FIX / "pal" / "CounterLang.xml", dst / "CounterLang.xml")
    for name in LOGHUB:
        shutil.copy2(FIX / "loghub" / name, dst / name)
    return dst


@pytest.fixture(scope="module")
def realdata(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Analysis]:
    root = _bundle(tmp_path_factory.mktemp("rd") / "realdata")
    return root, run([root])


def test_fixtures_are_byte_copies_of_the_pal_files() -> None:
    """sha256 of ../shared/realdata/pal/{CounterLang.xml,SampleLog.blg} (PAL commit 7cfe6d8)."""
    xml = (FIX / "pal" / "CounterLang.xml").read_bytes()
    blg = (FIX / "perfmon" / "SampleLog.blg").read_bytes()
    assert (len(xml), len(blg)) == (1_619_085, 458_752)
    assert hashlib.sha256(xml).hexdigest() == (
        "f1bf74ac090c5a58c3c1ac7d066b9e8460b5255f006bd499d83c828dc2d5c3fe"
    )
    assert hashlib.sha256(blg).hexdigest() == (
        "9517de275a6b8be51ae3b388149039f92b7b6a10c68a6101c54b8f7e8e24757a"
    )
    assert "MIT" in (FIX / "pal" / "LICENSE").read_text(encoding="utf-8")


def test_no_incident_no_crash_and_every_file_accounted_for(realdata: tuple[Path, Analysis]) -> None:
    _root, a = realdata
    f = a.findings
    assert f.incidents == []
    kinds = {Path(i.path).name: i.kind for i in f.inputs}
    assert kinds == {
        **{n: "perfmon_csv" for n in PERFMON},
        **{n: "generic_log" for n in LOGHUB},
        "SampleLog.blg": "unreadable",
        "CounterLang.xml": "unsupported",
    }


def test_perfmon_counters_times_and_assumed_zone(realdata: tuple[Path, Analysis]) -> None:
    _root, a = realdata
    by_name = {Path(i.path).name: i for i in a.findings.inputs}
    ct = a.timeline.counters
    assert ct["host"].unique().to_list() == ["TIERRA"]
    for name, (samples, first, last) in PERFMON.items():
        info = by_name[name]
        assert (info.host, info.host_reason) == ("TIERRA", "perfmon \\\\MACHINE prefix")
        # The gpu file's header is 68,057 bytes, its CP932 cells past the first 64 KiB.
        assert info.encoding == "cp932"
        # The header has no bias: times are taken as UTC and the report says so.
        assert info.zone == "UTC"
        assert info.zone_source == "assumed UTC (no zone found; use --tz)"
        assert (info.first, info.last) == (_utc(first), _utc(last)), name
        n_counters = 17 if "gpu" in name else 10
        assert info.records == samples * n_counters, name
    proc = ct.filter(pl.col("object") == "Processor")
    assert set(proc["counter"].unique()) == DPC_FIVE | {"% Processor Time", "% Privileged Time"}
    assert set(proc["instance"].unique()) == {"_Total"}
    nic = ct.filter(pl.col("object") == "Network Interface")
    assert set(nic["counter"].unique()) == NIC
    assert set(nic["instance"].unique()) == {"Intel[R] 82579V Gigabit Network Connection"}
    # Discards are cumulative: differenced (475 -> 475 is an increase of 0), first sample null.
    disc = nic.filter(pl.col("counter") == "Packets Received Discarded").sort("ts")["value"]
    assert disc[0] is None and disc[1] == 0.0
    assert set(ct.filter(pl.col("object") == "Memory")["counter"].unique()) >= {"Available MBytes"}
    (host,) = [h for h in a.findings.hosts if h.name == "TIERRA"]
    assert host.has_perfmon and not host.has_logs and host.inputs == 4
    assert host.zone_source.startswith("assumed UTC")
    tell = [w for w in a.findings.warnings if w.startswith("host TIERRA:")]
    assert len(tell) == 1 and "--tz TIERRA=" in tell[0]


def test_blg_is_one_line_with_the_relog_command(realdata: tuple[Path, Analysis]) -> None:
    _root, a = realdata
    blg = [w for w in a.findings.warnings if "SampleLog.blg" in w]
    assert len(blg) == 1 and "\n" not in blg[0]
    assert blg[0].startswith("realdata/SampleLog.blg: ")
    assert "`relog file.blg -f csv -o file.csv`" in blg[0]
    info = next(i for i in a.findings.inputs if i.path.endswith(".blg"))
    assert info.note == blg[0] and info.records == 0


def test_counterlang_xml_is_unsupported_with_a_note(realdata: tuple[Path, Analysis]) -> None:
    _root, a = realdata
    info = next(i for i in a.findings.inputs if i.path.endswith("CounterLang.xml"))
    assert info.kind == "unsupported" and info.encoding == "utf-8"
    assert info.note == (
        "realdata/CounterLang.xml: not a format hbtriage reads (no known timestamp or header); "
        "skipped"
    )
    assert info.note in a.findings.warnings


def test_loghub_logs_are_generic_logs_with_their_times(realdata: tuple[Path, Analysis]) -> None:
    _root, a = realdata
    by_name = {Path(i.path).name: i for i in a.findings.inputs}
    for name, (stream, records, first, last) in LOGHUB.items():
        info = by_name[name]
        assert (info.kind, info.stream, info.records) == ("generic_log", stream, records), name
        if first is not None:
            assert (info.first, info.last) == (_utc(first), _utc(last)), name
    linux = by_name["Linux_2k.log"]
    assert (linux.host, linux.host_reason) == ("combo", "syslog host name")
    assert linux.first is not None and linux.last is not None
    assert linux.first.strftime("%m-%d %H:%M:%S") == "06-14 15:16:01"
    assert linux.last.strftime("%m-%d %H:%M:%S") == "07-27 14:42:00"
    assert any("Linux_2k.log: syslog time stamps carry no year" in w for w in a.findings.warnings)
    # Nothing names the writer of the CBS and ZooKeeper logs: a stand-in host, said in a warning,
    # and never TIERRA (whose perfmon is in the same folder but names its machine).
    # (its folder holds the files of two other machines: given to neither, said so)
    for name in ("Windows_2k.log", "Zookeeper_2k.log"):
        assert by_name[name].host == "UNNAMED", name
        assert any(
            w.startswith(f"realdata/{name}: names no computer, and its folder holds the files of ")
            for w in a.findings.warnings
        )
    ev = a.timeline.events
    assert ev.height == 6000 and ev["signature"].null_count() == 6000


def test_tz_for_tierra_moves_its_times_and_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "rd"
    root.mkdir()
    name = "ja-cp932_TIERRA_proc-dpc-mem_1s_61rows.csv"
    shutil.copy2(FIX / "perfmon" / name, root / name)
    a = run([root], tz=["TIERRA=Asia/Tokyo"])
    (info,) = a.findings.inputs
    assert (info.zone, info.zone_source) == ("Asia/Tokyo", "--tz")
    assert info.first == _utc("2017-12-30 20:56:30.873") - timedelta(hours=9)
    assert not any("no time zone found" in w for w in a.findings.warnings)


def test_cli_on_all_realdata_one_line_warnings_and_the_blg_said_with_exit_2(
    tmp_path: Path,
) -> None:
    root = _bundle(tmp_path / "realdata")
    res = CliRunner().invoke(
        app, ["analyze", str(root), "--out", str(tmp_path / "o")], env={"COLUMNS": "400"}
    )
    # The binary .blg cannot be read (bad input): the rest is analysed, exit code 2, and the
    # command's one line on stderr names it and how to convert it.
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    (error,) = res.stderr.splitlines()
    assert error.startswith("hbtriage: error: ") and "SampleLog.blg" in error, error
    assert "relog file.blg -f csv -o file.csv" in error
    lines = res.stdout.splitlines()
    blg = [ln for ln in lines if "SampleLog.blg" in ln and ln.lstrip().startswith("!")]
    assert len(blg) == 1 and "relog file.blg -f csv -o file.csv" in blg[0]
    assert any("CounterLang.xml" in ln and "not a format hbtriage reads" in ln for ln in lines)
    assert any("--tz TIERRA=ZONE" in ln for ln in lines)
    doc = json.loads((tmp_path / "o" / "findings.json").read_text(encoding="utf-8"))
    assert doc["incidents"] == []
    tierra = next(h for h in doc["hosts"] if h["name"] == "TIERRA")
    assert tierra["zone_source"] == "assumed UTC (no zone found; use --tz)"


def test_regenerating_counters_toml_from_counterlang_gives_the_committed_file(
    tmp_path: Path,
) -> None:
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "gen_counter_names.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    committed = ROOT / "src" / "hbtriage" / "catalog" / "counters.toml"
    out = tmp_path / "counters.toml"
    shutil.copy(committed, out)  # the hand-maintained section is carried over
    assert gen.main([str(FIX / "pal" / "CounterLang.xml"), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")


def test_loghub_logs_in_a_server_folder_one_line_each_not_counted(tmp_path: Path) -> None:
    """The three loghub logs dropped into CVP3/ of a simulated bundle: each gets one warning line
    (another capture, read as which host), no '--tz' advice for the machines that wrote them
    (their times play no part in the heartbeat), and the headline counts the two servers with the
    others apart; the verdict is the one without them."""
    from hbtriage.simulate import generate

    root = tmp_path / "b"
    generate("dpc_storm_cvp", root, seed=7)
    (root / "truth.json").unlink(missing_ok=True)
    for name in LOGHUB:
        shutil.copy2(FIX / "loghub" / name, root / "CVP3" / name)
    out = tmp_path / "o"
    res = CliRunner().invoke(app, ["analyze", str(root), "--out", str(out)], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    assert (
        "1 heartbeat-loss incident(s) found across 2 host(s) (+2 other machine(s))." in res.output
    )
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    warnings = doc["warnings"]
    for name in LOGHUB:
        mine = [w for w in warnings if f"CVP3/{name}" in w]
        assert len(mine) == 1, mine
        assert "another capture" in mine[0] and "read as host " in mine[0], mine
    assert not any("--tz" in w or "could not tell which host" in w for w in warnings), warnings
    (linux,) = [w for w in warnings if "Linux_2k.log" in w]
    assert "read as host 'combo'" in linux and "syslog time stamps carry no year" in linux
    (inc,) = doc["incidents"]
    assert sorted(inc["hosts"]) == ["CVP3", "PG3A"]
    assert inc["causes"][0]["id"] == "dpc_storm"
    assert {h["name"] for h in doc["hosts"]} == {"CVP3", "PG3A", "UNNAMED", "combo"}
