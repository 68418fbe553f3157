"""``hbtriage fleet``: many bundles on a real Dask cluster (a LocalCluster, and a separately
started ``dask scheduler`` + ``dask worker`` pair), with a broken bundle, a worker killed in
the middle, a site split into its PIM <-> CVP pairs, and every bundle's findings the same as
a lone ``analyze``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from hbtriage.api import analyze
from hbtriage.cli import app
from hbtriage.fleet import SCHEMA, run_fleet
from hbtriage.fleet.bundles import digest, find_bundles
from hbtriage.fleet.pairs import Mention, find_pairs, incident_pairs, mentions
from hbtriage.fleet.sitegen import write_site
from hbtriage.fleet.summary import INCIDENT_SCHEMA
from hbtriage.fleet.task import analyse_bundle
from hbtriage.simulate.scenarios import generate

BIN = Path(sys.executable).parent
runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six bundles: three simulated pairs (one of them zipped), a site of 2 PGs x 2 CVPs with
    two sessions lost, and one bundle nothing can be read from."""
    r = tmp_path_factory.mktemp("fleet") / "root"
    generate("dpc_storm_cvp", r / "b1", 3)
    generate("healthy", r / "b2", 2)
    generate("nic_errors_pg", r / "z3", 4)
    with zipfile.ZipFile(r / "b3.zip", "w") as z:
        for f in sorted((r / "z3").rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(r / "z3").as_posix())
    shutil.rmtree(r / "z3")
    write_site(r / "site", pgs=2, cvps_per_pg=2, broken=[(0, 1), (1, 0)], minutes=8)
    (r / "broken").mkdir()
    (r / "broken" / "notes.txt").write_text("nothing with a time stamp\n", encoding="utf-8")
    return r


@pytest.fixture(scope="module")
def local_run(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local-out")
    run_fleet([root], out, workers=2, formats=["md"])
    return out


def _doc(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _rows(out: Path) -> dict[str, dict[str, Any]]:
    return {b["name"]: b for b in _doc(out / "fleet.json")["bundles"]}


# --- the local cluster -------------------------------------------------------------------


def test_local_cluster_run_has_one_row_per_bundle_and_the_broken_one_is_an_error(
    local_run: Path,
) -> None:
    doc = _doc(local_run / "fleet.json")
    assert doc["schema"] == SCHEMA and doc["generated_by"].startswith("hbtriage ")
    rows = _rows(local_run)
    assert sorted(rows) == ["b1", "b2", "b3.zip", "broken", "site"]
    bad = rows["broken"]
    assert bad["status"] == "error" and bad["findings"] is None and bad["incidents"] == []
    assert "no readable input" in bad["error"] and "\n" not in bad["error"]
    for name in ("b1", "b2", "b3.zip", "site"):
        assert rows[name]["status"] == "ok" and rows[name]["error"] is None
        assert (local_run / name / "findings.json").is_file()
        assert (local_run / name / "report.md").is_file()  # --format md per bundle
    inc = rows["b1"]["incidents"][0]
    assert set(inc) >= {"start", "end", "hosts", "cause", "host", "confidence"}
    assert inc["cause"] == "dpc_storm" and inc["host"] == rows["b1"]["pairs"][0]["cvp_host"]
    assert rows["b2"]["incidents"] == []


def test_every_bundle_has_the_findings_of_a_lone_analyze(root: Path, local_run: Path) -> None:
    for name, row in _rows(local_run).items():
        if row["status"] != "ok":
            continue
        alone = analyze([Path(row["path"])]).to_dict()
        assert _doc(local_run / name / "findings.json") == json.loads(json.dumps(alone)), name


def test_a_site_is_split_into_the_pairs_that_talk_with_incidents_per_pair(
    local_run: Path,
) -> None:
    site = _rows(local_run)["site"]
    assert site["split"] is True
    assert [p["id"] for p in site["pairs"]] == [
        "PG1A/pim1 <-> CVP1",
        "PG1A/pim2 <-> CVP2",
        "PG2A/pim1 <-> CVP3",
        "PG2A/pim2 <-> CVP4",
    ]
    assert all(p["cvp_address"] and p["pim_address"] for p in site["pairs"])
    assert sorted(tuple(i["pairs"]) for i in site["incidents"]) == [
        ("PG1A/pim2 <-> CVP2",),
        ("PG2A/pim1 <-> CVP3",),
    ]
    for i in site["incidents"]:
        assert len(i["hosts"]) == 2  # never one incident across two pairs
    for p in site["pairs"]:
        assert (local_run / p["findings"]).is_file()


def test_incidents_parquet_and_fleet_html(local_run: Path) -> None:
    table = pl.read_parquet(local_run / "incidents.parquet")
    assert dict(table.schema) == INCIDENT_SCHEMA
    rows = _rows(local_run)
    assert table.height == sum(len(r["incidents"]) for r in rows.values())
    per_cause = table.group_by("cause").len()
    assert per_cause.height >= 2
    page = (local_run / "fleet.html").read_text(encoding="utf-8")
    assert "Causes across the fleet" in page and "PG1A/pim2 &lt;-&gt; CVP2" in page
    assert "<script" not in page


def test_rerun_skips_unchanged_bundles_and_force_analyses_again(
    root: Path, local_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "again"
    shutil.copytree(local_run, out)
    before = _doc(out / "fleet.json")
    again = run_fleet([root], out, workers=1, formats=["md"])
    assert sorted(again.skipped) == ["b1", "b2", "b3.zip", "site"]  # the error is retried
    assert _doc(out / "fleet.json") == before
    target = next(p for p in sorted((root / "b2").rglob("*.txt")))
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    try:
        changed = run_fleet([root], out, workers=1, formats=["md"])
        assert "b2" not in changed.skipped and "b1" in changed.skipped
    finally:
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))


# --- faults stay local (the task, without a cluster) -------------------------------------------


def test_time_limit_is_an_error_row(root: Path, tmp_path: Path) -> None:
    row = analyse_bundle("b1", str(root / "b1"), str(tmp_path), timeout=0.001)
    assert row["status"] == "error" and row["error"] == "exceeded the time limit of 0.001 s"


def test_a_crash_is_an_error_row_with_its_reason(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hbtriage.api

    def boom(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("reader exploded\nsecond line")

    monkeypatch.setattr(hbtriage.api, "run", boom)
    row = analyse_bundle("b1", str(root / "b1"), str(tmp_path))
    assert row["status"] == "error" and row["error"] == "RuntimeError: reader exploded second line"


# --- a separately started scheduler and workers ---------------------------------------------


@pytest.fixture
def dask_cluster() -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        p = subprocess.Popen(
            [str(BIN / "dask"), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        procs.append(p)
        return p

    start("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
    workers = [
        start(
            "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", f"w{i}"
        )
        for i in range(2)
    ]
    from distributed import Client

    try:
        with Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=30)
        yield address, workers
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_scheduler_and_workers_survive_a_killed_worker_and_match_the_local_run(
    root: Path, local_run: Path, tmp_path: Path, dask_cluster: tuple[str, list[Any]]
) -> None:
    from distributed import Client

    address, workers = dask_cluster
    out = tmp_path / "remote"
    cmd = [str(BIN / "hbtriage"), "fleet", str(root), "--out", str(out), "--format", "md"]
    run = subprocess.Popen(
        [*cmd, "--scheduler", address, "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    victim = None
    with Client(address, timeout="30s") as c:
        pids = c.run(os.getpid)
        deadline = time.monotonic() + 60
        while victim is None and time.monotonic() < deadline and run.poll() is None:
            for addr, keys in c.processing().items():
                busy = [k for k in keys if str(k).startswith("hbtriage-fleet-")]
                if busy:
                    victim = (addr, str(busy[0]))
                    break
            time.sleep(0.01)
    assert victim is not None, "no task was seen running"
    os.kill(pids[victim[0]], signal.SIGKILL)
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == 0, stderr.decode()
    name = victim[1].removeprefix("hbtriage-fleet-").rsplit("-", 1)[0]
    assert sum(w.poll() is not None for w in workers) == 1  # one died, its task went on
    rows = _rows(out)
    assert rows[name]["status"] == ("error" if name == "broken" else "ok")
    assert _doc(out / "fleet.json") == _doc(local_run / "fleet.json")
    for n, row in rows.items():
        if row["status"] == "ok":
            assert _doc(out / n / "findings.json") == _doc(local_run / n / "findings.json")


# --- bundles, pairs, usage errors ---------------------------------------------------------------


def test_bundles_are_folders_and_archives_directly_under_root(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b.tar.gz").write_bytes(b"")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "loose.log").write_text("x", encoding="utf-8")
    (tmp_path / "out").mkdir()
    found = find_bundles([tmp_path], tmp_path / "out")
    assert [(b.name, b.path.name) for b in found] == [("a", "a"), ("b.tar.gz", "b.tar.gz")]
    d1 = digest(tmp_path / "a")
    (tmp_path / "a" / "f.txt").write_text("1", encoding="utf-8")
    assert digest(tmp_path / "a") != d1


def _findings(hosts: list[tuple[str, list[str]]], inputs: list[tuple[str, str, str]]) -> Any:
    return {
        "hosts": [{"name": h, "addresses": a} for h, a in hosts],
        "inputs": [{"host": h, "kind": k, "stream": s} for h, k, s in inputs],
    }


def test_pairs_from_addresses_named_in_the_logs() -> None:
    doc = _findings(
        [("PG1A", ["192.0.2.16"]), ("CVP1", ["198.51.100.20"]), ("CVP2", ["198.51.100.21"])],
        [
            ("PG1A", "icm_dumplog", "pim1"),
            ("PG1A", "icm_dumplog", "pim2"),
            ("CVP1", "cvp_log", "CVP"),
            ("CVP2", "cvp_log", "CVP"),
        ],
    )
    found = [
        Mention("PG1A", "pim1", "198.51.100.20"),
        Mention("PG1A", "pim2", "198.51.100.21"),
        Mention("CVP2", "CVP", "192.0.2.16"),
    ]
    pairs = find_pairs(doc, found)
    assert [p.id for p in pairs] == ["PG1A/pim1 <-> CVP1", "PG1A/pim2 <-> CVP2"]
    assert pairs[1].pim_address == "192.0.2.16" and len(pairs[1].basis) == 2
    inc = {"signals": [{"host": "CVP2", "data": {"stream": "CVP", "message": ""}}]}
    assert incident_pairs(inc, pairs) == ["PG1A/pim2 <-> CVP2"]


def test_a_peer_outside_the_bundle_and_the_only_two_left() -> None:
    doc = _findings([], [("PG1A", "icm_dumplog", "pim1"), ("PG1A", "icm_dumplog", "pim2")])
    pairs = find_pairs(doc, [Mention("PG1A", "pim1", "198.51.100.9")])
    assert [p.id for p in pairs] == ["PG1A/pim1 <-> 198.51.100.9 (not in the bundle)"]
    doc = _findings([], [("PG9B", "icm_dumplog", "pim1"), ("CALLSRV", "cvp_log", "CVP")])
    (pair,) = find_pairs(doc, [Mention("PG9B", "pim1", "203.0.113.5")])
    assert pair.id == "PG9B/pim1 <-> CALLSRV" and pair.cvp_address == "203.0.113.5"


def test_mentions_read_the_peer_lines_only() -> None:
    events = pl.DataFrame(
        {
            "host": ["PG1A", "PG1A", "CVP1", "CVP1"],
            "stream": ["pim1", "pim1", "CVP", "CVP"],
            "message": [
                "Trying to connect to VRU at 198.51.100.20 port 5000",
                "Trace: dialogue from 203.0.113.7 ended",
                "ConnectionServer(GED125)::terminateConnection on plugin(GED125) with "
                "connection(Socket[addr=/192.0.2.16,port=4335,localport=5000])",
                None,
            ],
        }
    )
    assert mentions(events) == [
        Mention("CVP1", "CVP", "192.0.2.16"),
        Mention("PG1A", "pim1", "198.51.100.20"),
    ]


@pytest.mark.parametrize(
    "args, says",
    [
        (["nope"], "no such folder"),
        (["EMPTY"], "no bundle in it"),
        (["ROOT", "--scheduler", "localhost:8786"], "expected an address such as tcp://"),
        (["ROOT", "--scheduler", "tcp://127.0.0.1:PORT"], "cannot reach the Dask scheduler"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    tmp_path: Path, root: Path, args: list[str], says: str
) -> None:
    (tmp_path / "empty").mkdir()
    subst = {"EMPTY": str(tmp_path / "empty"), "nope": str(tmp_path / "nope"), "ROOT": str(root)}
    argv = [subst.get(a, a.replace("PORT", str(_free_port()))) for a in args]
    res = subprocess.run(
        [str(BIN / "hbtriage"), "fleet", *argv, "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in res.stderr


def test_fleet_command_in_process(tmp_path: Path) -> None:
    res = runner.invoke(app, ["fleet", str(tmp_path / "missing"), "--out", str(tmp_path)])
    assert res.exit_code == 2
