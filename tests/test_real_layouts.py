"""Bundles as users really hand them over: a server's folder that also holds files of another
machine (an old perfmon export, the real logs of other systems, another server's perfmon).
Such a file must not rename the server, give it its zone, split its incident in two, or take
the server's own unnamed files (netsh, ndis.sys version) away from it.

The simulated bundles are generated here (same seed, same bytes); the real files are the byte
copies under tests/fixtures/ (perfmon/ from a Japanese Windows PC, loghub/)."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hbtriage.cli import app
from hbtriage.simulate.scenarios import generate

FIX = Path(__file__).parent / "fixtures"
TIERRA = FIX / "perfmon" / "ja-cp932_TIERRA_proc-dpc-mem_1s_440rows.csv"
LOGHUB = [FIX / "loghub" / n for n in ("Linux_2k.log", "Windows_2k.log", "Zookeeper_2k.log")]


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dpc_storm_cvp seed 7 (PG3A in Chicago, CVP3 in Berlin, 2013-09-06) and two_incidents
    seed 7 (CVP1 in Kiev, 2013-06-25), generated once."""
    root = tmp_path_factory.mktemp("sim")
    generate("dpc_storm_cvp", root / "storm", 7)
    generate("two_incidents", root / "other", 7)
    return root


def _bundle(sources: Path, dst: Path) -> Path:
    shutil.copytree(sources / "storm", dst)
    (dst / "truth.json").unlink()
    return dst


def _analyze(tmp_path: Path, *paths: str | Path) -> tuple[dict[str, Any], str]:
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app, ["analyze", *map(str, paths), "--out", str(out), "--quiet", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    return json.loads((out / "findings.json").read_text()), res.stdout


def _text_report(out: Path, *args: str | Path) -> str:
    """The terminal report of ``analyze *args`` (which must succeed), spaces collapsed: rich
    folds long lines wherever it likes."""
    res = CliRunner().invoke(app, ["analyze", *map(str, args), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return " ".join(res.stdout.split())


def _host_of(doc: dict[str, Any], tail: str) -> str:
    return next(i["host"] for i in doc["inputs"] if i["path"].endswith(tail))


def _verdict(doc: dict[str, Any]) -> list[tuple[list[str], str, str | None]]:
    return [
        (inc["hosts"], inc["causes"][0]["id"], inc["causes"][0]["host"]) for inc in doc["incidents"]
    ]


def test_another_machines_old_perfmon_in_the_pg_folder_keeps_one_incident(
    sources: Path, tmp_path: Path
) -> None:
    """PG3A's folder holds its PIM log and, instead of its own perfmon, a capture of machine
    CVP1 taken 72 days earlier in another zone. Taken as PG3A's, it renamed the PG "CVP1",
    read the PIM log in Kiev time and split the incident in two (one of them "unknown")."""
    bundle = _bundle(sources, tmp_path / "case")
    (bundle / "PG3A" / "PG3A_perfmon.csv").unlink()
    shutil.copy(sources / "other" / "CVP1" / "CVP1_perfmon.csv", bundle / "PG3A" / "old.csv")
    doc, _ = _analyze(tmp_path, bundle)
    assert _verdict(doc) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]
    assert _host_of(doc, "PG3A/pim1.txt") == "PG3A"
    assert _host_of(doc, "PG3A/old.csv") == "CVP1"
    pg = next(h for h in doc["hosts"] if h["name"] == "PG3A")
    assert pg["utc_offset_min"] == -360 and "inferred" in pg["zone_source"]
    assert any(
        w.startswith("case/PG3A/old.csv: its times (2013-06-25 to 2013-06-25) are 72 days away")
        for w in doc["warnings"]
    ), doc["warnings"]


def test_real_perfmon_of_another_pc_in_the_pg_folder_does_not_rename_the_pg(
    sources: Path, tmp_path: Path
) -> None:
    """The real TIERRA export (2018, no zone in its header) beside PG3A's PIM log: the PG
    stayed "TIERRA" with a 2013-2018 span before."""
    bundle = _bundle(sources, tmp_path / "case")
    (bundle / "PG3A" / "PG3A_perfmon.csv").unlink()
    shutil.copy(TIERRA, bundle / "PG3A" / TIERRA.name)
    doc, _ = _analyze(tmp_path, bundle)
    assert _verdict(doc) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]
    assert _host_of(doc, "PG3A/pim1.txt") == "PG3A"
    assert _host_of(doc, TIERRA.name) == "TIERRA"
    pg = next(h for h in doc["hosts"] if h["name"] == "PG3A")
    assert pg["aliases"] == [] and pg["first"].startswith("2013-09-06")
    assert pg["last"].startswith("2013-09-06")


@pytest.mark.parametrize("layout", ["parent", "per_host", "zip_per_host"])
def test_real_logs_of_other_systems_in_the_cvp_folder_change_nothing(
    sources: Path, tmp_path: Path, layout: str
) -> None:
    """loghub's Linux syslog (host "combo"), Windows CBS and ZooKeeper logs dropped into CVP3's
    folder made it hold "two computers": its netsh and ndis.sys snapshots went to a host
    'UNNAMED' ("its file name names UNNAMED"), the configuration findings left CVP3 and the
    verdict's confidence fell from 0.95 to 0.85."""
    clean, _ = _analyze(tmp_path / "clean", _bundle(sources, tmp_path / "clean" / "case"))
    bundle = _bundle(sources, tmp_path / "case")
    for f in LOGHUB:
        shutil.copy(f, bundle / "CVP3" / f.name)
    paths = [bundle]
    if layout != "parent":
        paths = [bundle / "PG3A", bundle / "CVP3"]
    if layout == "zip_per_host":
        paths = [
            Path(shutil.make_archive(str(tmp_path / p.name), "zip", root_dir=p)) for p in paths
        ]
    doc, _ = _analyze(tmp_path, *paths)
    assert _verdict(doc) == _verdict(clean) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]
    assert [c["confidence"] for c in doc["incidents"][0]["causes"]] == [
        c["confidence"] for c in clean["incidents"][0]["causes"]
    ]
    for tail in ("netsh_int_tcp_show_global.txt", "ndis_version.txt"):
        assert _host_of(doc, tail) == "CVP3"
    assert {f["host"] for f in doc["config_findings"]} == {"CVP3"}
    for f in LOGHUB:
        assert _host_of(doc, f.name) != "CVP3"
    assert all("its file name names UNNAMED" not in i["host_reason"] for i in doc["inputs"])


def test_another_servers_perfmon_in_the_cvp_folder_leaves_its_snapshots_with_it(
    sources: Path, tmp_path: Path
) -> None:
    """A copy of PG3A's perfmon (same hours) in CVP3's folder: the folder holds two computers,
    yet it is named after CVP3, so CVP3's netsh and ndis.sys snapshots, which name no host,
    are CVP3's (they went to 'UNNAMED', and the warning told the user to put them in a folder
    named after the host, where they were)."""
    bundle = _bundle(sources, tmp_path / "case")
    shutil.copy(bundle / "PG3A" / "PG3A_perfmon.csv", bundle / "CVP3" / "pg_side.csv")
    doc, _ = _analyze(tmp_path, bundle)
    assert _verdict(doc) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]
    assert doc["incidents"][0]["causes"][0]["confidence"] == 0.95
    for tail in ("netsh_int_tcp_show_global.txt", "ndis_version.txt"):
        assert _host_of(doc, tail) == "CVP3"
        reason = next(i["host_reason"] for i in doc["inputs"] if i["path"].endswith(tail))
        assert reason == "its folder 'CVP3' is named after CVP3"
    assert _host_of(doc, "CVP3/pg_side.csv") == "PG3A"
    assert not any("UNNAMED" in w for w in doc["warnings"])
    assert sorted(h["name"] for h in doc["hosts"]) == ["CVP3", "PG3A"]


def test_flat_folder_with_other_systems_logs_warns_nothing_new(
    sources: Path, tmp_path: Path
) -> None:
    """Every file in one folder (the host in the file name) with loghub's logs beside them:
    that folder names no host anyway, so nothing is said about how far apart their times are."""
    flat = tmp_path / "flat"
    flat.mkdir()
    for host in ("PG3A", "CVP3"):
        for f in (sources / "storm" / host).iterdir():
            shutil.copy(f, flat / f"{host}_{f.name}")
    for f in LOGHUB:
        shutil.copy(f, flat / f.name)
    doc, _ = _analyze(tmp_path, flat)
    assert _verdict(doc) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]
    assert not any("days away" in w for w in doc["warnings"]), doc["warnings"]
    assert _host_of(doc, "CVP3_netsh_int_tcp_show_global.txt") == "CVP3"


def test_tz_an_hour_off_the_peer_says_which_tz_joins_the_incident(
    sources: Path, tmp_path: Path
) -> None:
    """PG3A has no perfmon; the admin passes the Windows zone it shows, "Central Standard
    Time", which follows daylight saving time (UTC-05:00 in September) while the PIM log was
    written at UTC-06:00. The disconnect is then an hour apart at the two ends: two incidents,
    one "unknown", and not a word about it. Then a warning said so and which --tz joins them;
    now the PG's times (a --tz, against CVP3's lines that state their offset) are moved onto
    CVP3's clock by the disconnect: one incident, at the time the right --tz gives."""
    bundle = _bundle(sources, tmp_path / "case")
    (bundle / "PG3A" / "PG3A_perfmon.csv").unlink()
    doc, _ = _analyze(tmp_path / "a", bundle, "--tz", "PG3A=Central Standard Time")
    assert _verdict(doc) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]
    moved = doc["incidents"][0]["start"]
    hint = [w for w in doc["warnings"] if w.startswith("hosts CVP3 and PG3A:")]
    assert len(hint) == 1, doc["warnings"]
    assert "the same disconnect is logged 1.00 h apart" in hint[0]
    assert "PG3A: Central Standard Time (America/Chicago) from --tz" in hint[0]
    # CVP3's lines write +0100, which no --tz moves: only PG3A's --tz is named.
    assert "CVP3: UTC+01:00 written in the lines of case/CVP3/CVP.2013-09-06.log" in hint[0]
    assert hint[0].endswith(
        "pass --tz PG3A=UTC-06:00; else look at CVP3's clock and zone setting"
    ), hint[0]
    assert "--tz CVP3=" not in hint[0]
    assert "PG3A's times were moved onto CVP3's clock by the disconnect" in hint[0]
    doc, _ = _analyze(tmp_path / "b", bundle, "--tz", "PG3A=UTC-06:00")
    assert _verdict(doc) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]
    # The same moment, up to the clock skew between the two (7 s): the one is on CVP3's clock,
    # the other on PG3A's.
    apart = datetime.fromisoformat(doc["incidents"][0]["start"][:19]) - datetime.fromisoformat(
        moved[:19]
    )
    assert abs(apart.total_seconds()) < 15
    assert not any(w.startswith("hosts ") for w in doc["warnings"])
    # Without --tz the zone is inferred from the same disconnect: nothing to say either.
    doc, _ = _analyze(tmp_path / "c", bundle)
    assert _verdict(doc) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]
    assert not any(w.startswith("hosts ") for w in doc["warnings"])


def test_tz_that_contradicts_the_files_is_said_and_their_own_zone_kept(
    sources: Path, tmp_path: Path
) -> None:
    """--tz CVP3=UTC+02:00 while CVP3's perfmon header says W. Europe Standard Time (-60) and
    its CVP log lines carry +0100: the --tz moved the perfmon an hour away from the log lines,
    the DPC rise left the incident window and the verdict became "unknown", without a word.
    What the files state is kept, and one warning names the host, the --tz and what they say."""
    bundle = _bundle(sources, tmp_path / "case")
    clean, _ = _analyze(tmp_path / "clean", bundle)
    doc, _ = _analyze(tmp_path / "a", bundle, "--tz", "CVP3=UTC+02:00")
    assert _verdict(doc) == _verdict(clean) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]
    said = [w for w in doc["warnings"] if w.startswith("host CVP3: --tz")]
    assert said == [
        "host CVP3: --tz gives UTC+02:00, but its files state their own zone ("
        "case/CVP3/CVP.2013-09-06.log, case/CVP3/Error.2013-09-06.log: UTC offset +01:00 "
        "written in the lines; case/CVP3/CVP3_perfmon.csv: perfmon header W. Europe Standard "
        "Time (UTC+01:00)): they keep the times they state; --tz converts only times written "
        "without a zone, in none of its logs or perfmon"
    ], doc["warnings"]
    zones = {i["path"]: (i["zone"], i["zone_source"]) for i in doc["inputs"] if i["zone"]}
    assert zones["case/CVP3/CVP3_perfmon.csv"] == (
        "W. Europe Standard Time (UTC+01:00)",
        "perfmon header",
    )
    assert zones["case/CVP3/CVP.2013-09-06.log"] == (
        "offsets in each line",
        "the file's own UTC offsets",
    )
    # The text report says it too.
    text = _text_report(tmp_path / "t", bundle, "--tz", "CVP3=UTC+02:00")
    assert "host CVP3: --tz gives UTC+02:00, but its files state" in text
    # A --tz that contradicts PG3A's perfmon header still converts its PIM log (no offsets),
    # and the warning says which file took it; the perfmon keeps its header's zone.
    doc, _ = _analyze(tmp_path / "b", bundle, "--tz", "PG3A=UTC-05:00")
    said = [w for w in doc["warnings"] if w.startswith("host PG3A: --tz")]
    assert len(said) == 1 and said[0].endswith(
        "--tz converts only times written without a zone (case/PG3A/pim1.txt)"
    ), doc["warnings"]
    assert "perfmon header Central Standard Time (UTC-06:00)" in said[0]
    zones = {i["path"]: (i["zone"], i["zone_source"]) for i in doc["inputs"] if i["zone"]}
    assert zones["case/PG3A/pim1.txt"] == ("UTC-05:00", "--tz")
    assert zones["case/PG3A/PG3A_perfmon.csv"][1] == "perfmon header"
    # A --tz that agrees with what the files state says nothing.
    doc, _ = _analyze(tmp_path / "c", bundle, "--tz", "CVP3=+01:00")
    assert _verdict(doc) == _verdict(clean)
    assert not any("--tz gives" in w for w in doc["warnings"]), doc["warnings"]


def _pim_log_with_offsets(bundle: Path, offset: str) -> None:
    """PG3A's dumplog rewritten as an ISO 8601 log whose every line writes ``offset``."""
    dumplog = bundle / "PG3A" / "pim1.txt"
    lines = []
    for line in dumplog.read_text().splitlines():
        if line[:2].isdigit() and line[2] == ":":  # 00:48:12:232 pg3A-pim1 text
            stamp, text = line.split(" ", 1)
            lines.append(f"2013-09-06 {stamp[:8]}.{stamp[9:]}{offset} [INFO] {text}")
        elif not line.startswith("Events from"):
            lines.append(line)  # a record's continuation
    (bundle / "PG3A" / "pim1.log").write_text("\n".join(lines) + "\n")
    dumplog.unlink()


def test_tz_hint_names_no_tz_for_times_the_files_state(sources: Path, tmp_path: Path) -> None:
    """--tz UTC+02:00 for every host: CVP3's CVP lines write +0100 and keep it, PG3A's dumplog
    (no zone) takes +02:00, so the disconnect is 8 h apart. The hint told the user to pass
    --tz CVP3=UTC+10:00, which moves nothing. It now names only PG3A's --tz (which joins the
    incident) and, when both ends' lines write their own offsets, no --tz at all."""
    bundle = _bundle(sources, tmp_path / "case")
    doc, _ = _analyze(tmp_path / "a", bundle, "--tz", "UTC+02:00")
    hint = [w for w in doc["warnings"] if w.startswith("hosts ")]
    assert hint == [
        "hosts CVP3 and PG3A: the same disconnect is logged 8.00 h apart once their zones are "
        "applied (CVP3: UTC+01:00 written in the lines of case/CVP3/CVP.2013-09-06.log; PG3A: "
        "UTC+02:00 from --tz); PG3A's times were moved onto CVP3's clock by the disconnect "
        "to make it one incident; CVP3's lines write their own UTC "
        "offset, which no --tz moves: if PG3A's zone is wrong, pass --tz PG3A=UTC-06:00; else "
        "look at CVP3's clock and zone setting"
    ], doc["warnings"]
    assert not any("--tz CVP3=" in w for w in doc["warnings"])
    # The text report shows the same hint.
    text = _text_report(tmp_path / "t", bundle, "--tz", "UTC+02:00")
    assert hint[0] in text, text
    # Following it joins the incident, and the hint is gone.
    doc, _ = _analyze(tmp_path / "b", bundle, *["--tz", "UTC+02:00", "--tz", "PG3A=UTC-06:00"])
    assert _verdict(doc) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]
    assert not any(w.startswith("hosts ") for w in doc["warnings"]), doc["warnings"]

    # Both ends write their offsets and disagree (PG3A's lines say -05:00 for a clock at
    # -06:00): no --tz can join them, so none is named; the files and their offsets are.
    both = _bundle(sources, tmp_path / "both")
    _pim_log_with_offsets(both, "-05:00")
    doc, _ = _analyze(tmp_path / "c", both)
    assert _verdict(doc) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]
    hint = [w for w in doc["warnings"] if w.startswith("hosts ")]
    assert hint == [
        "hosts CVP3 and PG3A: the same disconnect is logged 1.00 h apart once their zones are "
        "applied (CVP3: UTC+01:00 written in the lines of both/CVP3/CVP.2013-09-06.log; PG3A: "
        "UTC-05:00 written in the lines of both/PG3A/pim1.log); CVP3's times were moved onto "
        "PG3A's clock by the disconnect to make it one incident; their files disagree, and no --tz moves times a file states: look at the two "
        "servers' clocks and zone settings, not at --tz"
    ], doc["warnings"]
    assert hint[0] in _text_report(tmp_path / "t2", both)

    # Both ends take their host's zone (CVP lines without offsets, read in the perfmon
    # header's zone): either --tz moves its host, and both are named, as before.
    free = _bundle(sources, tmp_path / "free")
    for log in (free / "CVP3").glob("*.log"):
        log.write_text(log.read_text().replace(" +0100:", ":"))
    doc, _ = _analyze(tmp_path / "d", free, "--tz", "PG3A=Central Standard Time")
    hint = [w for w in doc["warnings"] if w.startswith("hosts ")]
    assert len(hint) == 1 and hint[0].endswith(
        "if CVP3's zone is wrong, pass --tz CVP3=UTC+02:00; if PG3A's, --tz PG3A=UTC-06:00"
    ), doc["warnings"]


@pytest.mark.parametrize("create_system", [0, 3])
def test_zip_with_backslash_member_names_names_hosts_by_their_folders(
    sources: Path, tmp_path: Path, create_system: int
) -> None:
    """A zip made by a Windows tool that stores ``Case 123\\PGSIDE_A\\pim1.txt``: each name was
    read as one flat file name, so its folders did not count: the hosts got clipped aliases
    ("PGSIDE" for "PGSIDE_A") and were named by their file names. Read as folders (the zip
    says it was made on Windows, or the names have no "/"), it is the same bundle as a zip
    with "/" names."""
    bundle = _bundle(sources, tmp_path / "src")
    (bundle / "PG3A").rename(bundle / "PGSIDE_A")
    (bundle / "CVP3").rename(bundle / "CVPSIDE_B")
    files = sorted(p for p in bundle.rglob("*") if p.is_file())
    zips = {}
    for sep, system in (("\\", create_system), ("/", 3)):
        path = tmp_path / f"sep{ord(sep)}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for folder in ("", "PGSIDE_A", "CVPSIDE_B"):  # folder entries, as Windows writes
                info = zipfile.ZipInfo(sep.join(["Case 123", folder]).rstrip(sep) + sep)
                info.create_system = system
                zf.writestr(info, b"")
            for f in files:
                info = zipfile.ZipInfo(sep.join(["Case 123", *f.relative_to(bundle).parts]))
                info.create_system = system
                zf.writestr(info, f.read_bytes())
        zips[sep] = path
    doc, _ = _analyze(tmp_path / "bs", zips["\\"])
    slash, _ = _analyze(tmp_path / "fw", zips["/"])
    assert _verdict(doc) == _verdict(slash) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]
    hosts = {h["name"]: h["aliases"] for h in doc["hosts"]}
    assert hosts == {h["name"]: h["aliases"] for h in slash["hosts"]}
    assert hosts == {"CVP3": ["CVPSIDE_B"], "PG3A": ["PGSIDE_A"]}
    assert _host_of(doc, "!Case 123/PGSIDE_A/pim1.txt") == "PG3A"
    assert [(i["path"].split("!")[1], i["host_reason"]) for i in doc["inputs"]] == [
        (i["path"].split("!")[1], i["host_reason"]) for i in slash["inputs"]
    ]
    assert [w.replace(str(zips["\\"]), "Z") for w in doc["warnings"]] == [
        w.replace(str(zips["/"]), "Z") for w in slash["warnings"]
    ]


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dpc_storm_cvp seed 424200002 (PG4A, CVP4 with a LatencyMon report) as the layouts
    bench's ``renamed`` file set: PGSIDE_A/ (machine ICMPGA01, node pgsite7a) and CALLSRV/
    (machine CVPSRV02, CVP sender 203.0.113.24, named nowhere else)."""
    from layouts import prepare

    root = tmp_path_factory.mktemp("renamed")
    truth = generate("dpc_storm_cvp", root / "bundle", 424200002)
    return prepare(root / "bundle", "renamed", root / "set", truth).data


def _inputs(doc: dict[str, Any], folder: str) -> dict[str, tuple[str, str]]:
    return {
        i["path"].rsplit(f"{folder}/", 1)[1].rsplit("/", 1)[-1]: (i["host"], i["host_reason"])
        for i in doc["inputs"]
        if f"{folder}/" in i["path"]
    }


def test_renamed_servers_are_two_hosts_with_their_snapshots(renamed: Path, tmp_path: Path) -> None:
    """Every name of both servers differs from the folder's: the CVP server is one host,
    CVPSRV02, known by its folder and its CVP sender address, and its netsh and ndis.sys
    snapshots are its own. (Its LatencyMon report kept the old computer name CVP4, so the
    folder named two computers: three hosts 203.0.113.24, CVP4 and CVPSRV02, and the snapshots
    on a stand-in host 'UNNAMED' that lost the server's configuration findings.)"""
    bundle = shutil.copytree(renamed, tmp_path / "case")
    doc, _ = _analyze(tmp_path, bundle)
    hosts = {h["name"]: (h["aliases"], h["addresses"]) for h in doc["hosts"]}
    assert hosts == {
        "CVPSRV02": (["CALLSRV"], ["203.0.113.24"]),
        # (its address, which the CVP's logs name as their VRU PIM's)
        "ICMPGA01": (["PGSIDE_A", "pgsite7a"], ["192.0.2.16"]),
    }
    assert _verdict(doc) == [(["CVPSRV02", "ICMPGA01"], "dpc_storm", "CVPSRV02")]
    one = "folder 'CALLSRV' (in the bundle) holds only CVPSRV02's files"
    cvp = _inputs(doc, "CALLSRV")
    assert {f: h for f, (h, _) in cvp.items()} == dict.fromkeys(cvp, "CVPSRV02")
    assert cvp["netsh_int_tcp_show_global.txt"] == ("CVPSRV02", one)
    assert cvp["ndis_version.txt"] == ("CVPSRV02", one)
    assert not any("UNNAMED" in w for w in doc["warnings"])


def test_a_cvp_log_named_by_its_address_joins_the_one_computer_of_its_folder(
    renamed: Path, tmp_path: Path
) -> None:
    """CALLSRV/ holds the CVP logs (named only by their sender address 203.0.113.24) and the
    snapshots that name nobody at its top, the perfmon in HostCounters/ and the systeminfo and
    LatencyMon report (computer CVPSRV02) in HostReports/: two named sub-folders, so the
    folder rule does not make CALLSRV one server's. Its files name one computer and nothing
    names the address elsewhere, so the logs are CVPSRV02's, the address its address, and the
    snapshots go with them (the logs were a host '203.0.113.24' and the snapshots 'UNNAMED')."""
    bundle = shutil.copytree(renamed, tmp_path / "case")
    cvp = bundle / "CALLSRV"
    for sub, names in (
        ("HostCounters", ["CALLSRV_perfmon.csv"]),
        ("HostReports", ["systeminfo.txt", "CALLSRV_latencymon.txt"]),
    ):
        (cvp / sub).mkdir()
        for n in names:
            (cvp / n).rename(cvp / sub / n)
    for args in ([bundle], [bundle / "PGSIDE_A", cvp]):
        doc, _ = _analyze(tmp_path / str(len(args)), *args)
        hosts = {h["name"]: h["addresses"] for h in doc["hosts"]}
        assert hosts == {"CVPSRV02": ["203.0.113.24"], "ICMPGA01": ["192.0.2.16"]}, args
        assert _verdict(doc) == [(["CVPSRV02", "ICMPGA01"], "dpc_storm", "CVPSRV02")]
        how = "in the bundle" if len(args) == 1 else "named on the command line"
        one = f"folder 'CALLSRV' ({how}) holds only CVPSRV02's files"
        got = _inputs(doc, "CALLSRV")
        assert got["CVP.2013-06-22.log"] == (
            "CVPSRV02",
            f"{one}; CVP log sender address 203.0.113.24",
        )
        assert got["Error.2013-06-22.log"][0] == "CVPSRV02"
        assert got["netsh_int_tcp_show_global.txt"] == ("CVPSRV02", one)
        assert got["ndis_version.txt"] == ("CVPSRV02", one)
        assert {h for h, _ in got.values()} == {"CVPSRV02"}
        assert not any("UNNAMED" in w for w in doc["warnings"])
        assert any(f["host"] == "CVPSRV02" for f in doc["config_findings"]), doc["config_findings"]


@pytest.mark.parametrize(
    "subs",
    [
        {"pim": "logfiles", "pg_csv": "PerfLogs/Admin/DataCollector01", "cvp_log": "CVPLogs"},
        {"pim": "PG logs", "pg_csv": "Perf Data", "cvp_log": "Cisco/CVP/logs"},
    ],
    ids=["joined", "spaced"],
)
def test_folders_named_for_their_contents_inside_a_server_folder_are_no_hosts(
    renamed: Path, tmp_path: Path, subs: dict[str, str]
) -> None:
    """PGSIDE_A/logfiles/pim1.txt beside PGSIDE_A/PerfLogs/Admin/DataCollector01/*.csv, and
    CALLSRV/CVPLogs/CVP.*.log beside CALLSRV/PerfData/*.csv: 'CVPLogs', 'logfiles' and
    'PG logs' were hosts of their own (the incident on three hosts 'CVPLogs', 'CVPSRV02',
    'logfiles'), and CALLSRV's netsh and ndis.sys snapshots went to 'UNNAMED'. Such folders
    are no host, so each server's folder is one host, whichever way it is passed. Every file
    named on its own: a file's generic parent folder said nothing and the one above it was not
    looked at, so the PG was two hosts, pgsite7a (PIM log) and ICMPGA01 (perfmon)."""
    bundle = shutil.copytree(renamed, tmp_path / "case")
    pg, cvp = bundle / "PGSIDE_A", bundle / "CALLSRV"
    moves = [
        (pg / "pim1.txt", pg / subs["pim"] / "pim1.txt"),
        (pg / "PGSIDE_A_perfmon.csv", pg / subs["pg_csv"] / "DataCollector01.csv"),
        (cvp / "CALLSRV_perfmon.csv", cvp / "PerfData" / "CALLSRV_perfmon.csv"),
        *((log, cvp / subs["cvp_log"] / log.name) for log in cvp.glob("*.log")),
    ]
    for src, dst in moves:
        dst.parent.mkdir(parents=True, exist_ok=True)
        src.rename(dst)
    zips = [Path(shutil.make_archive(str(tmp_path / p.name), "zip", root_dir=p)) for p in (pg, cvp)]
    files = sorted(p for p in bundle.rglob("*") if p.is_file())
    for n, args in enumerate(([bundle], [pg, cvp], zips, files)):
        doc, _ = _analyze(tmp_path / f"out{n}", *args)
        assert _verdict(doc) == [(["CVPSRV02", "ICMPGA01"], "dpc_storm", "CVPSRV02")], args
        assert sorted(h["name"] for h in doc["hosts"]) == ["CVPSRV02", "ICMPGA01"], args
        for i in doc["inputs"]:
            server = "CVPSRV02" if "CALLSRV" in i["path"] else "ICMPGA01"
            assert i["host"] == server, (args, i["path"], i["host_reason"])
        assert not any("UNNAMED" in w for w in doc["warnings"]), doc["warnings"]


@pytest.mark.parametrize(
    ("scenario", "seed", "server", "verdict"),
    [
        ("dpc_storm_cvp", 7, "CVP3", [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]),
        ("dpc_storm_pg", 11, "PG2B", [(["CVP2", "PG2B"], "dpc_storm", "PG2B")]),
    ],
)
def test_flat_folder_snapshots_that_name_nobody_go_with_the_systeminfo_beside_them(
    tmp_path: Path, scenario: str, seed: int, server: str, verdict: list[Any]
) -> None:
    """Both servers' files in one folder under their own names (pim1.txt, CVP.*.log,
    systeminfo.txt, netsh_int_tcp_show_global.txt, ndis_version.txt), with loghub's logs of
    other systems beside them: the netsh and ndis.sys snapshots went to 'UNNAMED' with the
    foreign logs, and the server's configuration findings with them. They were collected with
    the one systeminfo in that folder, so they are its server's."""
    generate(scenario, tmp_path / "sim", seed)
    flat = tmp_path / "flat"
    flat.mkdir()
    for f in (tmp_path / "sim").glob("*/*"):
        shutil.copy(f, flat / f.name)
    for f in LOGHUB:
        shutil.copy(f, flat / f.name)
    doc, _ = _analyze(tmp_path, flat)
    assert _verdict(doc) == verdict
    for tail in ("netsh_int_tcp_show_global.txt", "ndis_version.txt", "systeminfo.txt"):
        assert _host_of(doc, tail) == server
    assert {f["host"] for f in doc["config_findings"]} == {server}
    assert not any("netsh" in w or "ndis" in w for w in doc["warnings"]), doc["warnings"]


def test_a_case_folder_above_generic_server_folders_names_neither_server(
    renamed: Path, tmp_path: Path
) -> None:
    """'ACME case/pg/' (PGSIDE_A's files) beside 'ACME case/cvp/' (CALLSRV's): each generic
    folder holds one server's files, and the name looked for above it reached the case folder,
    which holds both: the CVP server got the alias 'ACME case', its files' reason said "folder
    'ACME case' (named on the command line) holds only CVPSRV02's files", and a warning said
    the case folder 'belongs to another host'. A group is named by folders up to its own."""
    case = tmp_path / "ACME case"
    for src, sub in (("PGSIDE_A", "pg"), ("CALLSRV", "cvp")):
        shutil.copytree(renamed / src, case / sub)
    doc, _ = _analyze(tmp_path, case)
    assert _verdict(doc) == [(["CVPSRV02", "ICMPGA01"], "dpc_storm", "CVPSRV02")]
    hosts = {h["name"]: h["aliases"] for h in doc["hosts"]}
    assert hosts == {"CVPSRV02": [], "ICMPGA01": ["pgsite7a"]}
    assert _inputs(doc, "cvp")["CVP.2013-06-22.log"] == (
        "CVPSRV02",
        "folder 'cvp' (in the bundle) holds only CVPSRV02's files; CVP log sender address "
        "203.0.113.24",
    )
    assert not any("ACME case" in w for w in doc["warnings"]), doc["warnings"]


def test_a_servers_files_in_folders_named_after_it_and_their_contents_are_one_host(
    renamed: Path, tmp_path: Path
) -> None:
    """PGSIDE_A's PIM log in 'SR 123456789 - PGSIDE_A logs 2013-06-22/' and its perfmon in
    'SR 123456789 - PGSIDE_A perf 2013-06-22/' (machine ICMPGA01, node pgsite7a: nothing in the
    files links them): the folders' whole names differed, so the PG was two hosts, 'SR
    123456789 - PGSIDE_A logs 2013-06-22' with the PIM log and ICMPGA01 with the perfmon, and
    the incident lost the PG's counters. A folder names the host by its words that are not
    generic: both are PGSIDE_A's. The same for zips 'PGSIDE_A_logs_20130622.zip' and
    'PGSIDE_A_perfmon_20130622.zip'."""
    case = tmp_path / "case"
    pg, cvp = renamed / "PGSIDE_A", renamed / "CALLSRV"
    for sub, names in (
        ("SR 123456789 - PGSIDE_A logs 2013-06-22", ["pim1.txt"]),
        ("SR 123456789 - PGSIDE_A perf 2013-06-22", ["PGSIDE_A_perfmon.csv"]),
    ):
        (case / sub).mkdir(parents=True)
        for n in names:
            shutil.copy(pg / n, case / sub / n)
    shutil.copytree(cvp, case / "SR 123456789 - CALLSRV logs 2013-06-22")
    zips = tmp_path / "zips"
    zips.mkdir()
    for stem, name in (
        ("PGSIDE_A_logs_20130622", "pim1.txt"),
        ("PGSIDE_A_perfmon_20130622", "PGSIDE_A_perfmon.csv"),
    ):
        with zipfile.ZipFile(zips / f"{stem}.zip", "w") as zf:
            zf.write(pg / name, name)
    shutil.make_archive(str(zips / "CALLSRV_logs_20130622"), "zip", root_dir=cvp)
    for n, args in enumerate(([case], [zips])):
        doc, _ = _analyze(tmp_path / f"out{n}", *args)
        assert _verdict(doc) == [(["CVPSRV02", "ICMPGA01"], "dpc_storm", "CVPSRV02")], args
        assert sorted(h["name"] for h in doc["hosts"]) == ["CVPSRV02", "ICMPGA01"], args
        pg_host = next(h for h in doc["hosts"] if h["name"] == "ICMPGA01")
        assert pg_host["has_perfmon"] and pg_host["has_logs"]
        assert "PGSIDE_A" in pg_host["aliases"]
