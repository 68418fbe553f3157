"""A perfmon CSV that holds several machines' counters (a Data Collector Set on the PG that
also collects the CVP's counters remotely, or ``relog pg.blg cvp.blg -f csv -o both.csv``) is
read as one input per machine: each machine is its own host by its other files, the time
stamps are the collecting machine's (its header's zone), and the verdict is the one the two
servers' own perfmon files give."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage.api import run
from hbtriage.simulate.collected import collected_perfmon
from hbtriage.simulate.scenarios import generate
from hbtriage.sources import perfmon_machines, read_all
from hbtriage.sources.base import InputFile, ReadResult, empty_counters


def _merged(
    sim: Path,
    out: Path,
    collector: str,
    truth: dict[str, Any],
    extra: str | None = None,
    how: Literal["remote", "relog"] = "remote",
) -> Path:
    """``sim``'s servers' files in ``out/<host>/``, their perfmon files replaced by one CSV in
    the collector's folder, as real collection writes it (:mod:`hbtriage.simulate.collected`):
    a Data Collector Set on the collector reading the others remotely, or ``relog`` of the
    separate captures. ``extra``: a third machine that no other file names, with counters that
    stay flat."""
    files = {h: sim / h / f"{h}_perfmon.csv" for h in truth["hosts"]}
    data = collected_perfmon(files, truth["hosts"], collector, how)
    if extra is not None:
        mark, alias = "\\\\" + collector + "\\", "\\\\" + extra + "\\"
        rows = list(csv.reader(io.StringIO(data.decode("utf-16"))))
        ours = [c.replace(mark, alias) for c in rows[0] if c.startswith(mark)]
        rows[0] += ours
        for row in rows[1:]:
            row += ["1"] * len(ours)
        text = io.StringIO()
        csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
        data = b"\xff\xfe" + text.getvalue().encode("utf-16-le")
    for host in truth["hosts"]:
        (out / host).mkdir(parents=True)
        for f in (sim / host).iterdir():
            if "perfmon" not in f.name:
                shutil.copy(f, out / host / f.name)
    merged = out / collector / "DataCollector01.csv"
    merged.write_bytes(data)
    return merged


def _analyze(out: Path, *paths: Path) -> dict[str, Any]:
    """What findings.json says of ``paths`` (``out``: where the reports would go)."""
    doc: dict[str, Any] = json.loads(json.dumps(run(list(paths), out=out).findings.to_dict()))
    return doc


def _inputs(doc: dict[str, Any]) -> dict[str, list[str]]:
    """Each host's inputs, by file name (and the machine a part is of)."""
    out: dict[str, list[str]] = {}
    for i in doc["inputs"]:
        if i["host"]:
            out.setdefault(i["host"], []).append(i["path"].rsplit("/", 1)[-1])
    return {h: sorted(v) for h, v in out.items()}


def _verdict(doc: dict[str, Any]) -> list[tuple[list[str], str, str | None]]:
    return [(i["hosts"], i["causes"][0]["id"], i["causes"][0]["host"]) for i in doc["incidents"]]


def _start(doc: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(doc["incidents"][0]["start"].replace("Z", "+00:00"))


def _said(doc: dict[str, Any], wid: str) -> list[str]:
    return [w for w, i in zip(doc["warnings"], doc["warning_ids"], strict=True) if i == wid]


def test_a_pg_collecting_the_cvps_counters_gives_two_hosts_and_the_storm_on_the_pg(
    tmp_path: Path,
) -> None:
    truth = generate("dpc_storm_pg", tmp_path / "sim", 3)
    _merged(tmp_path / "sim", tmp_path / "L", "PG2A", truth)
    doc = _analyze(tmp_path / "o", tmp_path / "L" / "PG2A", tmp_path / "L" / "CVP2")
    alone = _analyze(tmp_path / "o2", tmp_path / "sim" / "PG2A", tmp_path / "sim" / "CVP2")

    assert {h["name"]: h["aliases"] for h in doc["hosts"]} == {"CVP2": [], "PG2A": []}
    mine = _inputs(doc)
    assert "DataCollector01.csv [PG2A]" in mine["PG2A"]
    assert "DataCollector01.csv [CVP2]" in mine["CVP2"]
    assert "pim1.txt" in mine["PG2A"] and "CVP.2013-11-16.log" in mine["CVP2"]
    assert _verdict(doc) == [(["CVP2", "PG2A"], "dpc_storm", "PG2A")] == _verdict(alone)
    assert abs(_start(doc) - _start(alone)) < timedelta(seconds=1)
    (said,) = _said(doc, "perfmon_machines")
    assert said.startswith("PG2A/DataCollector01.csv: holds the counters of 2 machines")
    (said_ja,) = [w for w in doc["warnings_ja"] if "2 台のマシン" in w]
    assert "マシンごとに 1 つの入力" in said_ja
    # no host merged, no name refused: the PIM log and the CVP logs stay on their servers
    assert not [i for i in doc["warning_ids"] if i and i.startswith("host_")]


def test_a_pg_in_chicago_collecting_a_cvp_in_berlin_gives_the_cvp_no_chicago_zone(
    tmp_path: Path,
) -> None:
    truth = generate("dpc_storm_cvp", tmp_path / "sim", 7)
    assert truth["hosts"]["PG3A"]["tz"] == "America/Chicago"
    assert truth["hosts"]["CVP3"]["tz"] == "Europe/Berlin"
    _merged(tmp_path / "sim", tmp_path / "L", "PG3A", truth)
    doc = _analyze(tmp_path / "o", tmp_path / "L")
    alone = _analyze(tmp_path / "o2", tmp_path / "sim" / "PG3A", tmp_path / "sim" / "CVP3")

    hosts = {h["name"]: h for h in doc["hosts"]}
    assert set(hosts) == {"PG3A", "CVP3"}
    assert hosts["PG3A"]["zone_source"] == "perfmon header"
    assert hosts["PG3A"]["utc_offset_min"] == -360
    assert hosts["CVP3"]["zone_source"] != "perfmon header"
    assert hosts["CVP3"]["utc_offset_min"] == 60  # its logs' offsets, not the PG's header
    parts = {
        i["path"].rsplit(" ", 1)[-1]: i for i in doc["inputs"] if "DataCollector01" in i["path"]
    }
    # both machines' samples were stamped by the PG, in Chicago: the same UTC times
    assert parts["[CVP3]"]["first"] == parts["[PG3A]"]["first"]
    assert parts["[CVP3]"]["zone"].startswith("Central Standard Time")
    assert _verdict(doc) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")] == _verdict(alone)
    assert abs(_start(doc) - _start(alone)) < timedelta(seconds=1)


def test_a_cvp_collecting_a_pg_whose_zone_is_inferred_keeps_the_pgs_counters_in_place(
    tmp_path: Path,
) -> None:
    """The PG's zone (Tokyo), written nowhere, is inferred from the disconnect; its counters,
    stamped by the CVP in Kyiv's header zone, are on UTC already and must not move with it."""
    truth = generate("dpc_storm_pg", tmp_path / "sim", 11)
    _merged(tmp_path / "sim", tmp_path / "L", "CVP2", truth)
    (tmp_path / "L" / "PG2B" / "systeminfo.txt").unlink()
    doc = _analyze(tmp_path / "o", tmp_path / "L")

    hosts = {h["name"]: h for h in doc["hosts"]}
    assert hosts["PG2B"]["zone_source"].startswith("inferred")
    assert hosts["PG2B"]["utc_offset_min"] == 540
    assert _verdict(doc) == [(["CVP2", "PG2B"], "dpc_storm", "PG2B")]
    start = datetime.fromisoformat(truth["incidents"][0]["start"].replace("Z", "+00:00"))
    assert abs(_start(doc) - start) < timedelta(seconds=5)


def test_the_merged_file_in_a_zip_or_a_flat_folder_gives_the_same(tmp_path: Path) -> None:
    truth = generate("dpc_storm_pg", tmp_path / "sim", 3)
    _merged(tmp_path / "sim", tmp_path / "L", "PG2A", truth)
    bundle = tmp_path / "case.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        for f in sorted((tmp_path / "L").rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(tmp_path / "L").as_posix())
    flat = tmp_path / "flat"
    flat.mkdir()
    for f in (tmp_path / "L").rglob("*"):
        if f.is_file():
            shutil.copy(f, flat / f.name)
    for n, layout in enumerate((bundle, flat)):
        doc = _analyze(tmp_path / f"o{n}", layout)
        assert sorted(h["name"] for h in doc["hosts"]) == ["CVP2", "PG2A"], layout
        assert _verdict(doc) == [(["CVP2", "PG2A"], "dpc_storm", "PG2A")], layout
        assert any(p.endswith("DataCollector01.csv [CVP2]") for p in _paths(doc, "CVP2"))
        assert len(_said(doc, "perfmon_machines")) == 1


def _paths(doc: dict[str, Any], host: str) -> list[str]:
    return [i["path"] for i in doc["inputs"] if i["host"] == host]


def test_a_third_machine_no_other_file_names_is_its_own_host(tmp_path: Path) -> None:
    truth = generate("dpc_storm_pg", tmp_path / "sim", 3)
    _merged(tmp_path / "sim", tmp_path / "L", "PG2A", truth, extra="SQL9")
    doc = _analyze(tmp_path / "o", tmp_path / "L")

    assert sorted(h["name"] for h in doc["hosts"]) == ["CVP2", "PG2A", "SQL9"]
    assert _paths(doc, "SQL9") == ["L/PG2A/DataCollector01.csv [SQL9]"]
    assert _verdict(doc) == [(["CVP2", "PG2A"], "dpc_storm", "PG2A")]
    (said,) = _said(doc, "perfmon_machines")
    assert "3 machines (PG2A, CVP2, SQL9)" in said


def test_a_perfmon_csv_of_one_machine_is_one_input_as_before(tmp_path: Path) -> None:
    generate("dpc_storm_pg", tmp_path / "sim", 3)
    item = tmp_path / "sim" / "PG2A" / "PG2A_perfmon.csv"
    (outcome,) = read_all(InputFile(display="PG2A_perfmon.csv", path=str(item)))
    assert outcome.item.display == "PG2A_perfmon.csv" and outcome.item.whole is None
    assert outcome.result is not None and outcome.result.host == "PG2A"
    doc = _analyze(tmp_path / "o", tmp_path / "sim" / "PG2A", tmp_path / "sim" / "CVP2")
    assert "PG2A/PG2A_perfmon.csv" in _paths(doc, "PG2A")
    assert not _said(doc, "perfmon_machines")


_NAMES = st.sampled_from(["PG1A", "pg1a", "PG1A.example.com", "CVP1", "cvp1", "SQL9", "192.0.2.7"])


@settings(max_examples=60, deadline=None)
@given(columns=st.lists(_NAMES, min_size=1, max_size=8), rows=st.integers(1, 5))
def test_the_split_keeps_every_row_once_in_the_part_of_its_machine(
    columns: list[str], rows: int
) -> None:
    """Whatever machines the columns name, in whatever spelling: each machine (case ignored, a
    DNS name by its first label) is one part holding exactly its columns' rows; one machine is
    no split."""
    n = len(columns)
    counters = pl.DataFrame(
        {
            "host": [h for h in columns for _ in range(rows)],
            "object": ["Processor"] * n * rows,
            "instance": ["_Total"] * n * rows,
            "counter": [f"c{k}" for k in range(n) for _ in range(rows)],
            "ts_local": [datetime(2013, 3, 30, 19, 36, r) for _ in range(n) for r in range(rows)],
            "offset_min": [None] * n * rows,
            "value": [float(k * 10 + r) for k in range(n) for r in range(rows)],
        },
        schema=empty_counters().schema,
    )
    result = ReadResult(kind="perfmon_csv", counters=counters, offset_min=-300, zone="EST")
    keys = {h.split(".")[0].upper() for h in columns}
    parts = perfmon_machines.split(InputFile(display="x.csv", path="x.csv"), result)
    if len(keys) == 1:
        assert parts is None
        return
    assert parts is not None and len(parts) == len(keys)
    seen: list[tuple[str, float]] = []
    for item, res in parts:
        assert res.counters is not None and item.whole == "x.csv"
        assert item.display == f"x.csv [{res.host}]"
        assert {h.split(".")[0].upper() for h in res.counters["host"].to_list()} == {
            str(res.host).split(".")[0].upper()
        }
        assert (res.offset_min, res.zone) == (-300, "EST")
        seen += list(zip(res.counters["counter"].cast(pl.Utf8), res.counters["value"], strict=True))
    assert sorted(seen) == sorted(
        zip(counters["counter"].cast(pl.Utf8), counters["value"], strict=True)
    )
    assert sum(len(r.warnings) for _, r in parts) == 1


@pytest.mark.parametrize(
    ("scenario", "seed", "collector"),
    [
        ("dpc_storm_cvp", 7, "PG3A"),  # the PG collects; the CVP's clock is 6.7 s ahead
        ("dpc_storm_pg", 8, "CVP3"),  # the CVP collects, its clock 20 s behind the PG's
    ],
)
def test_counters_another_machine_collected_move_with_its_clock(
    tmp_path: Path, scenario: str, seed: int, collector: str
) -> None:
    """The skew found for a machine moves the counters its clock stamped: a remote machine's
    part of the collector's file moves with the collector's clock, not with its own."""
    truth = generate(scenario, tmp_path / "sim", seed)
    (storm,) = {i["host"] for i in truth["incidents"]}
    _merged(tmp_path / "sim", tmp_path / "L", collector, truth)
    hosts = list(truth["hosts"])
    doc = _analyze(tmp_path / "o", *(tmp_path / "L" / h for h in hosts))
    alone = _analyze(tmp_path / "o2", *(tmp_path / "sim" / h for h in hosts))
    assert _verdict(doc) == _verdict(alone) == [(sorted(hosts), "dpc_storm", storm)]
    skewed = next(h for h in hosts if truth["hosts"][h]["skew_s"])
    assert [h["clock_offset_s"] for h in doc["hosts"] if h["name"] == skewed] == [
        h["clock_offset_s"] for h in alone["hosts"] if h["name"] == skewed
    ]

    def rise(d: dict[str, Any]) -> datetime:
        starts = [
            s["start"]
            for s in d["incidents"][0]["signals"]
            if s["kind"] == "counter_anomaly" and s["host"] == storm
        ]
        return datetime.fromisoformat(min(starts).replace("Z", "+00:00"))

    # The collector's samples see the rise at its first sample after it: never before, and
    # at most one of its sample intervals later.
    late = (rise(doc) - rise(alone)).total_seconds()
    assert 0 <= late <= truth["hosts"][collector]["perfmon_interval_s"] + 0.5


def test_the_peers_counters_in_the_collectors_file_join_the_peers_logs_named_by_nothing_else(
    tmp_path: Path,
) -> None:
    """The PG collected the CVP's counters; the CVP's own folder, named by its address, holds
    its logs and nothing that writes its computer name: the CVP's part of the file and its
    logs are one server, which the storm is on (found by bench/layout_fuzz.py)."""
    truth = generate("dpc_storm_cvp", tmp_path / "sim", 3)
    _merged(tmp_path / "sim", tmp_path / "L", "PG1A", truth)
    (tmp_path / "L" / "CVP1" / "systeminfo.txt").unlink()
    (tmp_path / "L" / "CVP1").rename(tmp_path / "L" / "192.0.2.20")
    doc = _analyze(tmp_path / "o", tmp_path / "L")

    assert {h["name"]: h["addresses"] for h in doc["hosts"]} == {
        "CVP1": ["192.0.2.20"],
        "PG1A": ["192.0.2.16"],  # from the CVP log's "connection from VRU PIM at" line
    }
    assert "DataCollector01.csv [CVP1]" in _inputs(doc)["CVP1"]
    assert "CVP.2013-02-22.log" in _inputs(doc)["CVP1"]
    assert _verdict(doc) == [(["CVP1", "PG1A"], "dpc_storm", "CVP1")]
    (part,) = [i for i in doc["inputs"] if i["path"].endswith("[CVP1]")]
    assert part["host_reason"].startswith("perfmon names this machine CVP1 and no other file")
    assert part["host_reason_ja"].startswith("このマシン CVP1 を示すのは perfmon だけ")


def _gaps(doc: dict[str, Any]) -> list[str]:
    """The hosts of the incidents' perfmon sample gaps."""
    return sorted(
        s["host"] for i in doc["incidents"] for s in i["signals"] if s["kind"] == "sample_gap"
    )


def test_a_remote_machine_stunned_leaves_blank_cells_read_as_its_samples_missing(
    tmp_path: Path,
) -> None:
    """The PG's collector set kept writing rows while the CVP's VM was stunned, with " " in
    the CVP's cells: that run of blanks is the CVP's samples stopping, as its own perfmon
    would show (before, the rows' time stamps counted as the CVP's samples: cause unknown)."""
    truth = generate("vm_stun_cvp", tmp_path / "sim", 1)
    assert [(i["cause"], i["host"]) for i in truth["incidents"]] == [("vm_stun", "CVP3")]
    merged = _merged(tmp_path / "sim", tmp_path / "L", "PG3B", truth)
    text = merged.read_bytes().decode("utf-16")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text[:200] else ","))
    cvp = rows[0].index(next(c for c in rows[0] if c.startswith("\\\\CVP3\\")))
    assert sum(r[cvp] == " " for r in rows[1:]) > 20  # the CVP's cells blank during the stun
    doc = _analyze(tmp_path / "o", tmp_path / "L" / "PG3B", tmp_path / "L" / "CVP3")
    alone = _analyze(tmp_path / "o2", tmp_path / "sim" / "PG3B", tmp_path / "sim" / "CVP3")
    assert _verdict(doc) == _verdict(alone) == [(["CVP3", "PG3B"], "vm_stun", "CVP3")]
    assert _gaps(doc) == ["CVP3"]
    evidence = doc["incidents"][0]["causes"][0]["evidence"]
    assert any("perfmon samples stopped" in e for e in evidence), evidence


def test_the_collector_stunned_writes_no_rows_and_only_the_collector_is_said_to_stop(
    tmp_path: Path,
) -> None:
    """The PG collected both machines and its VM was stunned: the file has no rows then, for
    the CVP's columns too. The gap is the PG's; the CVP (whose counters the PG's clock
    stamped) is not said to have stopped as well."""
    truth = generate("vm_stun_pg", tmp_path / "sim", 1)
    assert [(i["cause"], i["host"]) for i in truth["incidents"]] == [("vm_stun", "PG1A")]
    _merged(tmp_path / "sim", tmp_path / "L", "PG1A", truth)
    doc = _analyze(tmp_path / "o", tmp_path / "L" / "PG1A", tmp_path / "L" / "CVP1")
    assert _verdict(doc) == [(["CVP1", "PG1A"], "vm_stun", "PG1A")]
    assert _gaps(doc) == ["PG1A"]


def test_a_relog_of_two_captures_gives_each_machine_its_own_samples(tmp_path: Path) -> None:
    """``relog cvp.blg pg.blg -f csv``: rows at both captures' time stamps (the CVP's every
    second, the PG's every 5 s), each machine's cells blank at the other's. The PG's VM stun
    is a gap in the PG's own samples, not hidden by the CVP's rows between them."""
    truth = generate("vm_stun_pg", tmp_path / "sim", 1)
    assert {h: v["perfmon_interval_s"] for h, v in truth["hosts"].items()} == {
        "PG1A": 5,
        "CVP1": 1,
    }
    _merged(tmp_path / "sim", tmp_path / "L", "CVP1", truth, how="relog")
    doc = _analyze(tmp_path / "o", tmp_path / "L" / "PG1A", tmp_path / "L" / "CVP1")
    alone = _analyze(tmp_path / "o2", tmp_path / "sim" / "PG1A", tmp_path / "sim" / "CVP1")
    assert _verdict(doc) == _verdict(alone) == [(["CVP1", "PG1A"], "vm_stun", "PG1A")]
    assert _gaps(doc) == ["PG1A"]
    (gap,) = [s for s in doc["incidents"][0]["signals"] if s["kind"] == "sample_gap"]
    assert "sampling interval 5.0 s" in gap["detail"]


def test_a_relog_of_a_cvp_whose_clock_runs_behind_moves_its_part_with_its_own_clock(
    tmp_path: Path,
) -> None:
    """``relog pg.blg cvp.blg -f csv`` keeps each capture's time stamps: the CVP's cells were
    stamped by the CVP's clock, 38 s behind the PG's. Each machine fills its own rows (almost
    none holds both), which no collector writes: the file is read as a relog, the CVP's part
    moves with the CVP's clock, and its VM stun is found where its own perfmon puts it (before,
    its part stayed on the PG's clock, 38 s early: cause unknown)."""
    truth = generate("vm_stun_cvp", tmp_path / "sim", 2)
    assert {h: round(v["skew_s"]) for h, v in truth["hosts"].items()} == {"PG2B": 0, "CVP2": -38}
    _merged(tmp_path / "sim", tmp_path / "L", "PG2B", truth, how="relog")
    doc = _analyze(tmp_path / "o", tmp_path / "L" / "PG2B", tmp_path / "L" / "CVP2")
    alone = _analyze(tmp_path / "o2", tmp_path / "sim" / "PG2B", tmp_path / "sim" / "CVP2")
    assert _verdict(doc) == _verdict(alone) == [(["CVP2", "PG2B"], "vm_stun", "CVP2")]
    assert _gaps(doc) == _gaps(alone) == ["CVP2"]
    (said,) = _said(doc, "perfmon_machines_relog")
    assert "relog" in said and "its own clock" in said
    assert "Romance Standard Time" in said and "the only zone written" in said
    assert not _said(doc, "perfmon_machines")
    i = doc["warning_ids"].index("perfmon_machines_relog")
    assert "relog" in doc["warnings_ja"][i] and "時計" in doc["warnings_ja"][i]


def test_a_collectors_file_is_not_taken_for_a_relog(tmp_path: Path) -> None:
    """The same servers' counters collected by the PG's Data Collector Set: one row holds
    both machines' cells, so the file stays a collector's (its warning says so)."""
    truth = generate("vm_stun_cvp", tmp_path / "sim", 2)
    _merged(tmp_path / "sim", tmp_path / "L", "PG2B", truth)
    doc = _analyze(tmp_path / "o", tmp_path / "L" / "PG2B", tmp_path / "L" / "CVP2")
    assert len(_said(doc, "perfmon_machines")) == 1
    assert not _said(doc, "perfmon_machines_relog")


@pytest.mark.parametrize(
    ("scenario", "seed", "cause", "host"),
    [("nic_errors_cvp", 2, "nic_errors", "CVP3"), ("tcp_offload_pg", 3, "tcp_offload", "PG1B")],
)
def test_a_relog_keeps_the_rise_of_counts_since_boot_across_the_other_machines_rows(
    tmp_path: Path, scenario: str, seed: int, cause: str, host: str
) -> None:
    """In a relog every sample of a machine follows a row of the other's, blank in its cells:
    a count since boot (Packets Received Errors, Connections Reset) rises by its difference
    from the machine's previous sample, not from the blank (before, every difference was
    blank: no rise, and the verdict fell to network_path)."""
    truth = generate(scenario, tmp_path / "sim", seed)
    hosts = list(truth["hosts"])
    _merged(tmp_path / "sim", tmp_path / "L", hosts[0], truth, how="relog")
    doc = _analyze(tmp_path / "o", *(tmp_path / "L" / h for h in hosts))
    alone = _analyze(tmp_path / "o2", *(tmp_path / "sim" / h for h in hosts))
    assert _verdict(doc) == _verdict(alone) == [(sorted(hosts), cause, host)]


def test_snapshots_named_like_the_logs_a_folder_placed_join_that_server(tmp_path: Path) -> None:
    """The CVP collected both machines' counters into 'cvp/DataCollector01.csv' (so 'cvp/'
    holds two machines' files and names no one server); its logs sit in
    'cvp/C$/Cisco/CVP/logs/' as 'CALLSRV_CVP.<date>.log' (the user's name for the server, a
    folder of that server's logs), and beside the perfmon, 'CALLSRV_ndis_version.txt' and
    'CALLSRV_netsh_int_tcp_show_global.txt'; every file named on its own. The snapshots were a
    host 'CALLSRV' of their own beside CVP1 (one server split in two); the word their names
    start with leads the names of CVP1's logs (found by bench/layout_fuzz.py, seed 19)."""
    truth = generate("dpc_storm_cvp", tmp_path / "sim", 3)
    _merged(tmp_path / "sim", tmp_path / "L", "CVP1", truth)
    cvp = (tmp_path / "L" / "CVP1").rename(tmp_path / "L" / "cvp")
    logs = cvp / "C$" / "Cisco" / "CVP" / "logs"
    logs.mkdir(parents=True)
    for f in list(cvp.iterdir()):
        if f.name.endswith(".log"):
            f.rename(logs / f"CALLSRV_{f.name}")
        elif f.name.startswith(("ndis", "netsh")):
            f.rename(cvp / f"CALLSRV_{f.name}")
        elif f.is_file() and f.name != "DataCollector01.csv":
            f.unlink()  # systeminfo (it would name the computer), the DPC/ISR report
    named = sorted(p for p in (tmp_path / "L").rglob("*") if p.is_file())
    doc = _analyze(tmp_path / "o", *named)

    assert sorted(h["name"] for h in doc["hosts"]) == ["CVP1", "PG1A"]
    assert _inputs(doc)["CVP1"] == [
        "CALLSRV_CVP.2013-02-22.log",
        "CALLSRV_Error.2013-02-22.log",
        "CALLSRV_ndis_version.txt",
        "CALLSRV_netsh_int_tcp_show_global.txt",
        "DataCollector01.csv [CVP1]",
    ]
    assert _verdict(doc) == [(["CVP1", "PG1A"], "dpc_storm", "CVP1")]


@pytest.mark.parametrize(
    ("collector", "folder"),
    [("PG2A", "192.0.2.16"), ("PG2A", "PGSIDE_A"), ("CVP2", "CALLSRV")],
)
def test_a_collectors_folder_named_by_nothing_its_files_write_keeps_its_snapshots(
    tmp_path: Path, collector: str, folder: str
) -> None:
    """The collector's folder, named by its address or by a name no file writes, holds its
    logs, its snapshots that name nobody (``netsh``, ``ndis.sys`` version, the DPC/ISR report)
    and the perfmon CSV of both machines; no systeminfo; every file named on its own. The
    other machine's part made the folder 'two servers', so the snapshots were a host
    'UNNAMED' (found by bench/layout_fuzz.py, seeds 14, 17 and 18); named as a folder, the
    same files were the collector's already."""
    truth = generate("dpc_storm_pg", tmp_path / "sim", 3)
    _merged(tmp_path / "sim", tmp_path / "L", collector, truth)
    mine = (tmp_path / "L" / collector).rename(tmp_path / "L" / folder)
    (mine / "systeminfo.txt").unlink(missing_ok=True)
    if (mine / "PG2A_dpcisr.txt").exists():
        (mine / "PG2A_dpcisr.txt").rename(mine / "dpcisr.txt")
    for snapshot in ("ndis_version.txt", "netsh_int_tcp_show_global.txt"):  # (the CVP's too)
        if not (mine / snapshot).exists():
            shutil.copy(tmp_path / "sim" / "PG2A" / snapshot, mine / snapshot)
    named = sorted(p for p in (tmp_path / "L").rglob("*") if p.is_file())
    doc = _analyze(tmp_path / "o", *named)

    assert sorted(h["name"] for h in doc["hosts"]) == ["CVP2", "PG2A"]
    snapshots = sorted(f.name for f in mine.iterdir() if f.suffix == ".txt" and "pim" not in f.name)
    theirs = _inputs(doc)[collector]
    assert set(snapshots) <= set(theirs), theirs
    assert f"DataCollector01.csv [{collector}]" in theirs
    other = "CVP2" if collector == "PG2A" else "PG2A"
    assert f"DataCollector01.csv [{other}]" in _inputs(doc)[other]
    assert not _said(doc, "host_unknown")
    assert _verdict(doc) == [(["CVP2", "PG2A"], "dpc_storm", "PG2A")]
