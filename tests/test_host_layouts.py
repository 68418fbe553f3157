"""Hosts as real people hand them over: folders named the way Windows copies and ticket tools
name them, a duplex PG's sides beside two CVP servers, a server's folder named by its address,
and a long DNS name beside the NetBIOS name Windows cuts it to. Each layout must give the
hosts the servers' own names, one host per server, and the verdict of the plain layout.

The bundles are generated here (same seed, same bytes): dpc_storm_cvp seed 7 (PG3A and CVP3,
2013-09-06, DPC storm on CVP3) and, as the site's other pair, healthy seed 2 renamed."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from layouts import second_pair
from typer.testing import CliRunner

from hbtriage.cli import app
from hbtriage.simulate.scenarios import generate

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``storm/`` (PG3A, CVP3) and ``other/`` (healthy seed 2: PG2A and CVP2, 2013-02-24)."""
    root = tmp_path_factory.mktemp("sim")
    generate("dpc_storm_cvp", root / "storm", 7)
    generate("healthy", root / "other", 2)
    return root


def _analyze(out: Path, *paths: Path) -> dict[str, Any]:
    res = CliRunner().invoke(
        app, ["analyze", *map(str, paths), "--out", str(out), "--quiet", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    doc: dict[str, Any] = json.loads((out / "findings.json").read_text())
    return doc


def _verdict(doc: dict[str, Any]) -> list[tuple[list[str], str, str | None]]:
    return [
        (inc["hosts"], inc["causes"][0]["id"], inc["causes"][0]["host"]) for inc in doc["incidents"]
    ]


def _hosts(doc: dict[str, Any]) -> dict[str, list[str]]:
    return {h["name"]: h["aliases"] for h in doc["hosts"]}


def _copy(src: Path, dst: Path, *, logs_only: bool = False) -> Path:
    """Copy a server's folder; ``logs_only`` leaves out its perfmon and systeminfo (so only
    the folder and the logs can name it)."""
    skip = shutil.ignore_patterns("*perfmon.csv", "systeminfo.txt") if logs_only else None
    return Path(shutil.copytree(src, dst, ignore=skip))


def test_windows_copies_of_a_server_folder_are_that_server(sources: Path, tmp_path: Path) -> None:
    """'SR 612345678/From customer/' holding 'Copy of PG3A/', 'CVP3/' and 'CVP3 (2)/' (the
    same folder pasted twice), logs and snapshots only. 'CVP3 (2)' was a host of its own, shown
    as 'CVP3 (2' (the name cut at its last word), beside CVP3: one server split in two, and the
    incident named three hosts. A copy mark is no part of a name."""
    storm = sources / "storm"
    plain = tmp_path / "plain"
    for name in ("PG3A", "CVP3"):
        _copy(storm / name, plain / name, logs_only=True)
    case = tmp_path / "SR 612345678"
    given = case / "From customer"
    _copy(storm / "PG3A", given / "Copy of PG3A", logs_only=True)
    _copy(storm / "CVP3", given / "CVP3", logs_only=True)
    _copy(storm / "CVP3", given / "CVP3 (2)", logs_only=True)
    doc = _analyze(tmp_path / "out", case)
    want = _analyze(tmp_path / "plain-out", plain)
    assert _hosts(doc) == _hosts(want) == {"CVP3": [], "PG3A": []}
    assert _verdict(doc) == _verdict(want)
    assert [inc["hosts"] for inc in doc["incidents"]] == [["CVP3", "PG3A"]]
    reasons = {i["path"].split("From customer/")[1]: i["host_reason"] for i in doc["inputs"]}
    assert reasons["CVP3 (2)/CVP.2013-09-06.log"] == (
        "folder 'CVP3 (2)' (in the bundle) holds only CVP3's files"
    )
    assert not any("(2" in w.replace("'CVP3 (2)'", "") for w in doc["warnings"]), doc["warnings"]


def test_a_servers_folder_named_by_its_address_names_it(sources: Path, tmp_path: Path) -> None:
    """The CVP server's logs in '192.0.2.20/' (the way a collection script names a folder per
    server it reached): an address was a generic folder name like a date, so nothing named
    the server; it was 'UNNAMED-CVP', with a 'could not tell which host wrote it' warning for
    each of its files."""
    storm = sources / "storm"
    _copy(storm / "PG3A", tmp_path / "case" / "PG3A", logs_only=True)
    _copy(storm / "CVP3", tmp_path / "case" / "192.0.2.20", logs_only=True)
    doc = _analyze(tmp_path / "out", tmp_path / "case")
    assert _hosts(doc) == {"192.0.2.20": [], "PG3A": []}
    assert [inc["hosts"] for inc in doc["incidents"]] == [["192.0.2.20", "PG3A"]]
    assert not any("could not tell" in w for w in doc["warnings"]), doc["warnings"]


@pytest.mark.parametrize(
    ("pg_folder", "cvp_folder", "shown"),
    [
        # the name and the address, as a site's inventory writes them
        ("PG3A_192.0.2.16", "CVP3 (192.0.2.20)", {"PG3A": ["192.0.2.16"], "CVP3": ["192.0.2.20"]}),
        # the address and the port a collection script connected to
        ("192.0.2.16_8000", "192.0.2.20 port 8000", {"pg3A": ["192.0.2.16"], "192.0.2.20": []}),
        ("logs 192.0.2.16", "Server 192.0.2.20", {"pg3A": ["192.0.2.16"], "192.0.2.20": []}),
    ],
    ids=["name-and-address", "address-and-port", "generic-word-and-address"],
)
def test_a_folder_named_by_an_address_and_more_names_the_server(
    sources: Path, tmp_path: Path, pg_folder: str, cvp_folder: str, shown: dict[str, list[str]]
) -> None:
    """Each server's folder named by its address with more around it, given on its own, logs
    only. 'PG3A_192.0.2.16' and 'CVP3 (192.0.2.20)' were hosts 'PG3A_192' and 'CVP3 (192' (the
    whole folder name, cut at its first dot as a DNS name is); '192.0.2.16_8000' was no name at
    all, and '192.0.2.16 port 8000' beside '192.0.2.20 port 8000' made hosts 'port' and
    'port-2'. The words beside the address name the server when they are a server's name,
    else the address does, and a host is shown by its ICM node over an address."""
    storm = sources / "storm"
    pg = _copy(storm / "PG3A", tmp_path / "case" / pg_folder, logs_only=True)
    cvp = _copy(storm / "CVP3", tmp_path / "case" / cvp_folder, logs_only=True)
    plain = tmp_path / "plain"
    for name in ("PG3A", "CVP3"):
        _copy(storm / name, plain / name, logs_only=True)
    want = _analyze(tmp_path / "plain-out", plain)
    doc = _analyze(tmp_path / "out", pg, cvp)
    assert {h["name"]: h["addresses"] for h in doc["hosts"]} == shown
    assert all(not aliases for aliases in _hosts(doc).values()), doc["hosts"]
    # the same incident and cause, on the same server, as the plain folders give
    as_shown = dict(zip(("PG3A", "CVP3"), shown, strict=True))
    assert [(sorted(h), c, ch) for h, c, ch in _verdict(doc)] == [
        (sorted(as_shown[n] for n in h), c, as_shown.get(ch or "")) for h, c, ch in _verdict(want)
    ]
    assert _hosts(want) == {"PG3A": [], "CVP3": []}
    assert not any("also named" in w or "port" in w for w in doc["warnings"]), doc["warnings"]


@pytest.mark.parametrize("logs_only", [False, True], ids=["with-perfmon", "logs-only"])
def test_each_file_of_a_pgs_folder_named_by_its_address_given_alone_is_the_parents_verdict(
    sources: Path, tmp_path: Path, logs_only: bool
) -> None:
    """The PG's files in '192.0.2.16/' (a collection script's folder per server reached) and
    the CVP's in 'CVP3/', each file named on its own on the command line. 'analyze' of the
    parent gave the PG its address (the folder's name), each file alone did not: a folder
    around a file named on its own is no name its logs contradict (the PIM's node 'pg3A'). The
    CVP's logs name the PIM connected to them ('Accepted connection from VRU PIM at
    192.0.2.16', the GED-125 socket's peer): the PG's address, in every layout."""
    storm = sources / "storm"
    case = tmp_path / "case"
    _copy(storm / "PG3A", case / "192.0.2.16", logs_only=logs_only)
    _copy(storm / "CVP3", case / "CVP3", logs_only=logs_only)
    parent = _analyze(tmp_path / "parent", case)
    files = sorted(p for p in case.rglob("*") if p.is_file())
    alone = _analyze(tmp_path / "alone", *files)
    pg = "pg3A" if logs_only else "PG3A"
    addresses = {h["name"]: h["addresses"] for h in parent["hosts"]}
    assert addresses == {"CVP3": [], pg: ["192.0.2.16"]}
    assert {h["name"]: h["addresses"] for h in alone["hosts"]} == addresses
    assert _hosts(alone) == _hosts(parent)
    assert _verdict(alone) == _verdict(parent)
    assert [inc["hosts"] for inc in alone["incidents"]] == [["CVP3", pg]]


def test_a_cvp_log_in_the_pgs_folder_is_not_said_to_be_named_by_it(
    sources: Path, tmp_path: Path
) -> None:
    """The CVP's log copied into the PG's folder ('PG3A/CVP.2013-09-06.log', beside the PIM
    log), each server's folder given on its own. The log went to CVP3, rightly, but its reason
    read "its folder 'PG3A' is named after CVP3": the folder's name was refused as the log's
    (a PIM's and a CVP's logs are two servers) and still given as the reason."""
    storm = sources / "storm"
    pg = _copy(storm / "PG3A", tmp_path / "PG3A")
    cvp = _copy(storm / "CVP3", tmp_path / "CVP3")
    (cvp / "CVP.2013-09-06.log").rename(pg / "CVP.2013-09-06.log")
    doc = _analyze(tmp_path / "out", pg, cvp)
    assert _hosts(doc) == {"PG3A": [], "CVP3": []}
    moved = next(i for i in doc["inputs"] if i["path"].endswith("PG3A/CVP.2013-09-06.log"))
    assert moved["host"] == "CVP3"
    assert "PG3A" not in moved["host_reason"], moved["host_reason"]
    assert _verdict(doc) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]


def test_a_servers_files_in_numbered_parts_are_that_server(sources: Path, tmp_path: Path) -> None:
    """The CVP's logs in two folders the user numbered, 'CVP3_1/' (the Call Server log) and
    'CVP3_2/' (its Error log), and the PG's in 'PG3A_1/' and 'PG3A_2/' (its PIM log, cut in
    two), each folder given on its own, logs only. 'CVP3_2' was a host of its own beside CVP3
    (one server split in two, the incident naming three hosts), and PG3A was 'also named
    PG3A_1, PG3A_2' in a warning: a short number after a name that has its number already,
    joined by an underscore or a space, numbers the user's parts."""
    storm = sources / "storm"
    pg1 = _copy(storm / "PG3A", tmp_path / "PG3A_1", logs_only=True)
    pg2 = tmp_path / "PG3A_2"
    pg2.mkdir()
    lines = (pg1 / "pim1.txt").read_bytes().splitlines(keepends=True)
    (pg1 / "pim1.txt").write_bytes(b"".join(lines[: len(lines) // 2]))
    (pg2 / "pim1.txt").write_bytes(b"".join(lines[len(lines) // 2 :]))
    cvp1 = _copy(storm / "CVP3", tmp_path / "CVP3_1", logs_only=True)
    cvp2 = tmp_path / "CVP3 2"
    cvp2.mkdir()
    for error in cvp1.glob("Error.*"):
        error.rename(cvp2 / error.name)
    doc = _analyze(tmp_path / "out", pg1, pg2, cvp1, cvp2)
    assert _hosts(doc) == {"PG3A": [], "CVP3": []}
    assert [inc["hosts"] for inc in doc["incidents"]] == [["CVP3", "PG3A"]]
    assert not any("also named" in w for w in doc["warnings"]), doc["warnings"]


def _duplex(sources: Path, root: Path, folders: dict[str, str], *, logs_only: bool) -> Path:
    """The storm's pair (PG3A, CVP3) and the other pair renamed PG3B and CVP4 (its addresses
    192.0.2.17 and .21), in ``folders`` by server name, under ``root``."""
    other = second_pair(sources / "other", root / ".other", "PG3B", "CVP4")
    assert {h.folder for h in other.values()} == {"PG3B", "CVP4"}
    for name, where in folders.items():
        src = sources / "storm" / name if name in ("PG3A", "CVP3") else root / ".other" / name
        _copy(src, root / "case" / where, logs_only=logs_only)
    shutil.rmtree(root / ".other")
    return root / "case"


@pytest.mark.parametrize("logs_only", [False, True], ids=["with-perfmon", "logs-only"])
def test_a_duplex_pg_in_side_folders_and_two_cvp_servers_are_four_hosts(
    sources: Path, tmp_path: Path, logs_only: bool
) -> None:
    """'PG3/Side A/' and 'PG3/Side B/' (a duplex PG's two sides) beside 'CVP/CVP3/' and
    'CVP/CVP4/': four servers, and the incident is the pair that lost the heartbeat. A side
    folder was a host's name: with logs only, the PG's sides were shown as 'Side A' and 'Side
    B' (not by their ICM nodes pg3A and pg3B), and with perfmon each PG was 'also named Side
    A' in a warning."""
    folders = {"PG3A": "PG3/Side A", "PG3B": "PG3/Side B", "CVP3": "CVP/CVP3", "CVP4": "CVP/CVP4"}
    case = _duplex(sources, tmp_path, folders, logs_only=logs_only)
    doc = _analyze(tmp_path / "out", case)
    pg = ["pg3A", "pg3B"] if logs_only else ["PG3A", "PG3B"]
    assert _hosts(doc) == {"CVP3": [], "CVP4": [], pg[0]: [], pg[1]: []}
    assert [inc["hosts"] for inc in doc["incidents"]] == [["CVP3", pg[0]]]
    if not logs_only:
        assert _verdict(doc) == [(["CVP3", "PG3A"], "dpc_storm", "CVP3")]
    assert not any("Side" in w for w in doc["warnings"]), doc["warnings"]


@pytest.mark.parametrize("sides", [("A側ログ", "B側ログ"), ("A系", "B系")], ids=["側", "系"])
def test_a_duplex_pgs_sides_named_in_japanese_are_its_two_sides(
    sources: Path, tmp_path: Path, sides: tuple[str, str]
) -> None:
    """'PG3/A側ログ/' and 'PG3/B側ログ/' (side A's logs, side B's logs), or 'PG3/A系/' and
    'PG3/B系/' (system A, system B), logs only: each side is shown by its ICM node, as 'PG3/Side
    A/' is. 'B側ログ' was a host of its own ('also named pg3B'); a name cut where Latin letters
    meet Japanese would make hosts 'A' and 'B'."""
    folders = {"PG3A": f"PG3/{sides[0]}", "PG3B": f"PG3/{sides[1]}", "CVP3": "CVP/CVP3"}
    folders["CVP4"] = "CVP/CVP4"
    case = _duplex(sources, tmp_path, folders, logs_only=True)
    doc = _analyze(tmp_path / "out", case)
    assert _hosts(doc) == {"CVP3": [], "CVP4": [], "pg3A": [], "pg3B": []}
    assert [inc["hosts"] for inc in doc["incidents"]] == [["CVP3", "pg3A"]]
    assert not any("also named" in w for w in doc["warnings"]), doc["warnings"]


def test_side_a_folders_of_two_pgs_are_two_hosts(sources: Path, tmp_path: Path) -> None:
    """'PG3/Side A/' and 'PG5/Side A/' hold the PIM logs of two PGs (ICM nodes pg3A and pg3B):
    their folders' one name 'Side A' made them one host, 'Side A', which held both PIM logs
    and took a zone over seven months. A side's folder names a server only with the folder
    above it."""
    folders = {"PG3A": "PG3/Side A", "PG3B": "PG5/Side A", "CVP3": "CVP/CVP3", "CVP4": "CVP/CVP4"}
    case = _duplex(sources, tmp_path, folders, logs_only=True)
    doc = _analyze(tmp_path / "out", case)
    assert sorted(_hosts(doc)) == ["CVP3", "CVP4", "pg3A", "pg3B"]
    by_path = {i["path"].split("case/")[1]: i["host"] for i in doc["inputs"]}
    assert by_path["PG3/Side A/pim1.txt"] == "pg3A"
    assert by_path["PG5/Side A/pim1.txt"] == "pg3B"
    assert [inc["hosts"] for inc in doc["incidents"]] == [["CVP3", "pg3A"]]


_EVENT = """Event[0]:
  Log Name: System
  Source: Microsoft-Windows-Time-Service
  Date: 2013-09-06T07:40:00.000
  Event ID: 37
  Task: N/A
  Level: Information
  Opcode: N/A
  Keyword: N/A
  User: N/A
  User Name: N/A
  Computer: {computer}
  Description:{space}
The time provider NtpClient is currently receiving valid time data from 192.0.2.1.
"""


@pytest.mark.parametrize("flat", [False, True], ids=["host-folders", "flat"])
def test_a_long_dns_name_and_its_netbios_name_are_one_computer(
    sources: Path, tmp_path: Path, flat: bool
) -> None:
    """The CVP server is 'cvpcallserver03a.example.com': its event log names it so, while its
    perfmon and systeminfo write the NetBIOS name Windows cuts that to, 'CVPCALLSERVER03' (15
    characters). Two computer names in one folder made the folder nobody's: the server was
    three hosts (CVPCALLSERVER03 with the perfmon, cvpcallserver03a with the event log, and
    UNNAMED-CVP with the CVP logs)."""
    storm = sources / "storm"
    case = tmp_path / "case"
    shutil.copytree(storm / "PG3A", case / "PG3A")
    cvp = shutil.copytree(storm / "CVP3", case / "CVP3")
    perfmon = cvp / "CVP3_perfmon.csv"
    perfmon.write_bytes(perfmon.read_bytes().replace(b"\\\\CVP3\\", b"\\\\CVPCALLSERVER03\\"))
    info = cvp / "systeminfo.txt"
    info.write_bytes(info.read_bytes().replace(b"CVP3", b"CVPCALLSERVER03", 1))
    event = _EVENT.format(computer="cvpcallserver03a.example.com", space=" ")
    (cvp / "System.txt").write_text(event, encoding="utf-8")
    if flat:
        for folder in (case / "PG3A", cvp):
            for f in folder.iterdir():
                prefixed = f.name if f.name.startswith(folder.name) else f"{folder.name}_{f.name}"
                f.rename(case / prefixed)
            folder.rmdir()
    doc = _analyze(tmp_path / "out", case)
    assert sorted(_hosts(doc)) == ["CVPCALLSERVER03", "PG3A"]
    cvp_host = next(h for h in doc["hosts"] if h["name"] == "CVPCALLSERVER03")
    assert "cvpcallserver03a" in cvp_host["aliases"]
    assert _verdict(doc) == [(["CVPCALLSERVER03", "PG3A"], "dpc_storm", "CVPCALLSERVER03")]
    assert {i["host"] for i in doc["inputs"] if "CVP3" in i["path"]} == {"CVPCALLSERVER03"}


def test_each_servers_logs_folder_given_on_its_own_keeps_the_servers_apart(
    tmp_path: Path,
) -> None:
    """Each server's files copied into a folder called 'logs' ('1/logs', '2/logs') and both
    folders named on the command line. Both were shown and keyed as 'logs/...', one folder of
    two servers: the DPC/ISR reports, which name no computer, went to a host called '22T02'
    (a piece of the WPA export's time stamp in its file name), and the culprit driver was not
    named. The verdict must be the parent folder's, with the driver, and every file its
    server's."""
    generate("dpc_storm_cvp", tmp_path / "b", 3)
    traces = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").glob("*/*DPC_ISR*"))
    assert len(traces) == 2  # one WPA export per server, named by its time stamp only
    for n, server in enumerate(("PG1A", "CVP1"), 1):
        _copy(tmp_path / "b" / server, tmp_path / str(n) / "logs")
    (tmp_path / "b" / "truth.json").unlink()
    want = _analyze(tmp_path / "want", tmp_path / "b")
    doc = _analyze(tmp_path / "out", tmp_path / "1" / "logs", tmp_path / "2" / "logs")
    assert _hosts(doc) == _hosts(want) == {"CVP1": [], "PG1A": []}
    assert _verdict(doc) == _verdict(want) == [(["CVP1", "PG1A"], "dpc_storm", "CVP1")]
    culprit = [inc["causes"][0]["driver"]["module"] for inc in doc["incidents"]]
    assert culprit == ["e1q62x64.sys"]
    hosts = {i["path"]: i["host"] for i in doc["inputs"]}
    for trace in traces:
        n = 1 if trace.parts[0] == "PG1A" else 2
        assert hosts[f"{n}/logs/{trace.name}"] == trace.parts[0]
    assert not any("could not tell" in w for w in doc["warnings"]), doc["warnings"]


@pytest.mark.parametrize("logs_only", [False, True], ids=["with-perfmon", "logs-only"])
def test_side_a_folders_of_two_pgs_given_one_by_one_are_two_hosts(
    sources: Path, tmp_path: Path, logs_only: bool
) -> None:
    """The same two PGs, their 'Side A' folders named on the command line ('analyze "PG3/Side
    A" "PG5/Side A" CVP/CVP3 CVP/CVP4'). The folders above an argument were not looked at:
    both were shown as 'Side A/...' and read as one folder, so the two PGs were one host (with
    perfmon, one of them also named the other's computer in a 'refused' warning). The hosts
    and the incident must be those of the parent folder."""
    folders = {"PG3A": "PG3/Side A", "PG3B": "PG5/Side A", "CVP3": "CVP/CVP3", "CVP4": "CVP/CVP4"}
    case = _duplex(sources, tmp_path, folders, logs_only=logs_only)
    want = _analyze(tmp_path / "want", case)
    doc = _analyze(tmp_path / "out", *(case / f for f in folders.values()))
    pg = ["pg3A", "pg3B"] if logs_only else ["PG3A", "PG3B"]
    assert _hosts(doc) == _hosts(want) == {"CVP3": [], "CVP4": [], pg[0]: [], pg[1]: []}
    assert _verdict(doc) == _verdict(want)
    assert [inc["hosts"] for inc in doc["incidents"]] == [["CVP3", pg[0]]]
    by_path = {i["path"]: i["host"] for i in doc["inputs"]}
    assert by_path["PG3/Side A/pim1.txt"] == pg[0]
    assert by_path["PG5/Side A/pim1.txt"] == pg[1]
    assert not any("refused" in w for w in doc["warnings"]), doc["warnings"]


@pytest.mark.parametrize(
    "where",
    [
        {"CVP.2013-09-06.log": "11.6.1.2", "Error.2013-09-06.log": "11.6.1.2"},
        {"CVP.2013-09-06.log": "11.6.1.2", "Error.2013-09-06.log": "12.5.1.3"},
        {"CVP.2013-09-06.log": "Cisco/CVP/12.5.1.3/logs", "*": "Cisco/CVP/12.5.1.3"},
    ],
    ids=["one-version", "two-versions", "install-folder"],
)
def test_a_version_folder_in_a_servers_folder_is_no_address(
    sources: Path, tmp_path: Path, where: dict[str, str]
) -> None:
    """The CVP server's files in 'CVP3/11.6.1.2/' (the release they were collected on), or
    split between 'CVP3/11.6.1.2/' and 'CVP3/12.5.1.3/' (before and after an upgrade), or as
    copied from the install, 'CVP3/Cisco/CVP/12.5.1.3/logs/'. A version looks like an address:
    the server was shown as '11.6.1.2' (CVP3 was no name of it), or was two hosts named by
    the versions. A folder named like an address inside a folder of one server's files is a
    version: the hosts and the verdict are those of the plain layout."""
    storm = sources / "storm"
    plain = tmp_path / "plain"
    for name in ("PG3A", "CVP3"):
        _copy(storm / name, plain / name, logs_only=True)
    case = tmp_path / "case"
    _copy(storm / "PG3A", case / "PG3A", logs_only=True)
    for f in (plain / "CVP3").iterdir():
        dst = case / "CVP3" / where.get(f.name, where.get("*", "")) / f.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dst)
    want = _analyze(tmp_path / "want", plain)
    doc = _analyze(tmp_path / "out", case)
    assert _hosts(doc) == _hosts(want) == {"CVP3": [], "PG3A": []}
    assert _verdict(doc) == _verdict(want)
    cvp = next(h for h in doc["hosts"] if h["name"] == "CVP3")
    assert not {"11.6.1.2", "12.5.1.3"} & set(cvp["addresses"])


@pytest.mark.parametrize("name", ["logs.zip", "logs.tar.gz"])
def test_each_servers_archive_of_one_generic_name_is_named_by_its_folder(
    sources: Path, tmp_path: Path, name: str
) -> None:
    """Each server's logs packed as 'logs.zip' in a folder named after it ('PG3A/logs.zip',
    'CVP3/logs.zip'), both archives named on the command line, logs only. An archive
    argument was its own outermost folder: 'logs' names nothing, so the CVP server, whose
    logs write no name of it, was 'UNNAMED-CVP' and the PG its ICM node 'pg3A'. A generic
    archive is named by the folder it sits in, as a file named on its own is."""
    storm = sources / "storm"
    plain = tmp_path / "plain"
    args = []
    for server in ("PG3A", "CVP3"):
        folder = _copy(storm / server, plain / server, logs_only=True)
        archive = tmp_path / "case" / server / name
        archive.parent.mkdir(parents=True)
        shutil.make_archive(
            str(archive).removesuffix("." + name.split(".", 1)[1]),
            "zip" if name.endswith("zip") else "gztar",
            folder,
        )
        args.append(archive)
    want = _analyze(tmp_path / "want", plain)
    doc = _analyze(tmp_path / "out", *args)
    assert _hosts(doc) == _hosts(want) == {"CVP3": [], "PG3A": []}
    assert _verdict(doc) == _verdict(want)
    assert not any("could not tell" in w for w in doc["warnings"]), doc["warnings"]


def _inner(sources: Path, case: Path, where: dict[str, str], *, logs_only: bool = True) -> Path:
    """The storm's servers copied into ``case`` at ``where`` (server -> folder)."""
    for server, folder in where.items():
        _copy(sources / "storm" / server, case / folder, logs_only=logs_only)
    return case


@pytest.mark.parametrize(
    "where",
    [
        {"PG3A": "PG3A/logs", "CVP3": "CVP3/Logs"},
        {"PG3A": "PG3A/logs", "CVP3": "CVP3/cvp/Logs"},
        {"PG3A": "PG3A/logs", "CVP3": "CVP3/cvp/logs"},
        {"PG3A": "PG3A/PerfLogs", "CVP3": "CVP3/2013-09-06"},
    ],
    ids=["logs-Logs", "under-a-generic-parent", "same-name-under-a-generic-parent", "perf-date"],
)
def test_each_servers_generic_folder_given_is_named_by_the_servers_folder(
    sources: Path, tmp_path: Path, where: dict[str, str]
) -> None:
    """Each server's logs in a generic folder inside its own ('PG3A/logs', 'CVP3/Logs'), each
    generic folder named on the command line. The folders above an argument were not looked
    at: the hosts were 'pg3A' (the ICM node) and '198.51.100.x' (the address the PIM connects
    to), not the servers' folders. A generic folder named is named by the nearest folder
    above it that is not generic, as a file named on its own is."""
    want = _analyze(tmp_path / "want", _inner(sources, tmp_path / "plain", {s: s for s in where}))
    case = _inner(sources, tmp_path / "case", where)
    doc = _analyze(tmp_path / "out", *(case / f for f in where.values()))
    assert _hosts(doc) == _hosts(want) == {"CVP3": [], "PG3A": []}
    assert _verdict(doc) == _verdict(want)
    assert [inc["hosts"] for inc in doc["incidents"]] == [["CVP3", "PG3A"]]
    assert {i["host"] for i in doc["inputs"] if i["path"].endswith(".log")} == {"CVP3"}
    # The reason says where that folder is: around what was named, not in it.
    cvp = next(i for i in doc["inputs"] if i["path"].endswith("CVP.2013-09-06.log"))
    assert cvp["host_reason"] == (
        "folder 'CVP3' (around what was named on the command line) holds only CVP3's files"
    )


def test_one_servers_generic_folder_given_alone_is_named_by_its_folder(
    sources: Path, tmp_path: Path
) -> None:
    """Only the CVP's 'CVP3/Logs' named: the host is CVP3 (it was UNNAMED-CVP)."""
    case = _inner(sources, tmp_path / "case", {"CVP3": "CVP3/Logs"})
    doc = _analyze(tmp_path / "out", case / "CVP3" / "Logs")
    assert _hosts(doc) == {"CVP3": []}
    assert "folder 'CVP3'" in doc["inputs"][0]["host_reason"]


def _flat_home(sources: Path, logs: Path, *, logs_only: bool) -> Path:
    """Both servers' files flat in ``logs``; the perfmon exports renamed so that only the
    machine they write (``\\\\PG3A``, ``\\\\CVP3``) names them."""
    for server in ("PG3A", "CVP3"):
        for f in _copy(
            sources / "storm" / server, logs.parent / server, logs_only=logs_only
        ).iterdir():
            name = (
                f"{server[:-1].lower()}_perfmon.csv" if f.name.endswith("perfmon.csv") else f.name
            )
            logs.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, logs / name)
        shutil.rmtree(logs.parent / server)
    return logs


@pytest.mark.parametrize("logs_only", [False, True], ids=["with-perfmon", "logs-only"])
def test_a_users_logs_folder_with_both_servers_flat_names_neither_by_the_user(
    sources: Path, tmp_path: Path, logs_only: bool
) -> None:
    """'/home/alice/logs' holding both servers' files flat, named on the command line: the
    folder above ('alice') holds two servers' files, so it names neither, merges nothing and
    renames nothing: the hosts are those of the same files in a folder of no generic name."""
    want = _analyze(
        tmp_path / "want", _flat_home(sources, tmp_path / "w" / "flat", logs_only=logs_only)
    )
    logs = _flat_home(sources, tmp_path / "home" / "alice" / "logs", logs_only=logs_only)
    doc = _analyze(tmp_path / "out", logs)
    assert _hosts(doc) == _hosts(want)
    assert _verdict(doc) == _verdict(want)
    if not logs_only:
        assert _hosts(doc) == {"CVP3": [], "PG3A": []}
    assert "alice" not in json.dumps(doc["hosts"]) + json.dumps(doc["warnings"])


def test_a_users_logs_folder_and_a_file_beside_it_name_nothing_by_the_user(
    sources: Path, tmp_path: Path
) -> None:
    """'alice/logs' (the PG's logs) named, and the CVP's logs named one by one from 'alice/':
    'alice' holds both servers' files and names neither (the CVP was called 'alice'; its
    Error log, which names no server, is still told apart only by its role)."""
    alice = tmp_path / "home" / "alice"
    _copy(sources / "storm" / "PG3A", alice / "logs", logs_only=True)
    cvp = [f for f in _copy(sources / "storm" / "CVP3", tmp_path / "c", logs_only=True).iterdir()]
    for f in cvp:
        shutil.copyfile(f, alice / f.name)
    doc = _analyze(tmp_path / "out", alice / "logs", *(alice / f.name for f in cvp))
    by_path = {i["path"]: i["host"] for i in doc["inputs"]}
    assert by_path["logs/pim1.txt"] == "pg3A"  # the ICM node: no better name
    assert "pg3A" not in {h for p, h in by_path.items() if p.endswith(".log")}
    assert "alice" not in json.dumps(doc["hosts"]) + json.dumps(list(by_path.values()))


def test_a_users_logs_folder_holding_the_servers_folders_is_named_by_them(
    sources: Path, tmp_path: Path
) -> None:
    """'alice/logs' holding 'PG3A/' and 'CVP3/', named: the hosts are PG3A and CVP3."""
    want = _analyze(
        tmp_path / "want", _inner(sources, tmp_path / "plain", {"PG3A": "PG3A", "CVP3": "CVP3"})
    )
    logs = _inner(sources, tmp_path / "home" / "alice" / "logs", {"PG3A": "PG3A", "CVP3": "CVP3"})
    doc = _analyze(tmp_path / "out", logs)
    assert _hosts(doc) == _hosts(want) == {"CVP3": [], "PG3A": []}
    assert _verdict(doc) == _verdict(want)


def test_archives_in_and_of_generic_folders(sources: Path, tmp_path: Path) -> None:
    """Inside an archive nothing changes: 'alice/logs.zip' holding both servers' files flat
    names neither by 'alice'; a zip inside a generic folder named ('CVP3/Logs/cvp.zip') is
    that server's, as the folder's other files are."""
    flat = _flat_home(sources, tmp_path / "w" / "logs", logs_only=False)
    want = _analyze(tmp_path / "want", flat)
    (tmp_path / "home" / "alice").mkdir(parents=True)
    zipped = shutil.make_archive(str(tmp_path / "home" / "alice" / "logs"), "zip", flat)
    doc = _analyze(tmp_path / "out", Path(zipped))
    assert _hosts(doc) == _hosts(want) == {"CVP3": [], "PG3A": []}
    assert "alice" not in json.dumps(doc["hosts"]) + json.dumps(doc["warnings"])
    case = _inner(sources, tmp_path / "case", {"PG3A": "PG3A/logs", "CVP3": "c/CVP3"})
    want = _analyze(
        tmp_path / "want2", _inner(sources, tmp_path / "plain", {"PG3A": "PG3A", "CVP3": "CVP3"})
    )
    (case / "CVP3" / "Logs").mkdir(parents=True)
    shutil.make_archive(str(case / "CVP3" / "Logs" / "cvp"), "zip", case / "c" / "CVP3")
    doc = _analyze(tmp_path / "out2", case / "PG3A" / "logs", case / "CVP3" / "Logs")
    assert _hosts(doc) == _hosts(want) == {"CVP3": [], "PG3A": []}
    assert _verdict(doc) == _verdict(want)


@pytest.mark.parametrize(
    ("cwd", "args"),
    [
        ("PG3A/logs", ["."]),
        ("PG3A/logs", ["./"]),
        ("PG3A/logs", ["../logs"]),
        ("PG3A/logs/sub", [".."]),
        ("PG3A/logs", [".", "../../CVP3/Logs"]),
        ("CVP3/Logs", ["../../PG3A/logs", "."]),
    ],
    ids=["dot", "dot-slash", "dot-dot-logs", "dot-dot", "dot-and-cvp", "cvp-dot"],
)
def test_analyze_run_inside_a_servers_generic_folder_is_named_by_the_servers_folder(
    sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cwd: str, args: list[str]
) -> None:
    """'cd PG3A/logs && analyze .' (logs only): '.' is shown by no name, so the folders above
    it were never looked at and the PG was 'pg3A' (its ICM node), its netsh and ndis.sys
    snapshots 'UNNAMED' beside the CVP's folder. The same hosts as 'analyze PG3A/logs'."""
    case = _inner(sources, tmp_path / "case", {"PG3A": "PG3A/logs", "CVP3": "CVP3/Logs"})
    (case / "PG3A" / "logs" / "sub").mkdir()
    named = [case / "PG3A" / "logs", *([case / "CVP3" / "Logs"] if len(args) > 1 else [])]
    want = _analyze(tmp_path / "want", *named)
    monkeypatch.chdir(case / cwd)
    doc = _analyze(tmp_path / "out", *map(Path, args))
    assert _hosts(doc) == _hosts(want)
    assert set(_hosts(doc)) == ({"PG3A", "CVP3"} if len(args) > 1 else {"PG3A"})
    assert {i["path"].rsplit("/", 1)[-1]: i["host"] for i in doc["inputs"]} == {
        i["path"].rsplit("/", 1)[-1]: i["host"] for i in want["inputs"]
    }
    assert _verdict(doc) == _verdict(want)


def _flat_logs(sources: Path, logs: Path, *, cvp_perfmon: bool = False, days: int = 1) -> Path:
    """The storm's PIM log, the CVP's logs and its netsh and ndis.sys snapshots (as generated:
    no server in their names), flat in ``logs``; ``cvp_perfmon``: the CVP's perfmon
    too; ``days``: the CVP log of the day before too (its lines a day earlier)."""
    logs.mkdir(parents=True)
    pg, cvp = sources / "storm" / "PG3A", sources / "storm" / "CVP3"
    shutil.copyfile(pg / "pim1.txt", logs / "pim1.txt")
    snapshots = [cvp / "netsh_int_tcp_show_global.txt", cvp / "ndis_version.txt"]
    for f in [*cvp.glob("*.log"), *snapshots, *(cvp.glob("*perfmon.csv") if cvp_perfmon else ())]:
        shutil.copyfile(f, logs / f.name)
    if days > 1:
        (log,) = cvp.glob("CVP.*.log")
        text = log.read_text(encoding="utf-8")
        (logs / "CVP.2013-09-05.log").write_text(
            text.replace("Sep 06 2013 ", "Sep 05 2013 "), "utf-8"
        )
    return logs


@pytest.mark.parametrize(
    ("kwargs", "given"),
    [
        ({}, "folder"),
        ({}, "files"),
        ({"days": 2}, "folder"),
        ({"cvp_perfmon": True}, "folder"),
    ],
    ids=["folder", "one-by-one", "two-days", "cvp-perfmon"],
)
def test_one_cvps_logs_flat_beside_the_pim_log_are_one_host(
    sources: Path, tmp_path: Path, kwargs: dict[str, Any], given: str
) -> None:
    """Logs only, both servers' files flat in one folder: the CVP log went to the address the
    PIM connects to and the Error log beside it to 'UNNAMED-CVP' (one Call Server split in two
    hosts, three hosts in the incident); the netsh and ndis.sys snapshots, which name no
    server, went to the PG as 'the only host in the bundle'. Now the CVP's logs are one host,
    and the snapshots are kept apart with a warning that says why."""
    logs = _flat_logs(sources, tmp_path / "case" / "logs", **kwargs)
    args = sorted(logs.iterdir()) if given == "files" else [logs]
    doc = _analyze(tmp_path / "out", *args)
    by_file = {i["path"].rsplit("/", 1)[-1]: i["host"] for i in doc["inputs"]}
    cvp = {h for f, h in by_file.items() if f.endswith(".log")}
    assert len(cvp) == 1 and not next(iter(cvp)).startswith("UNNAMED")
    assert by_file["pim1.txt"] == "pg3A"
    assert by_file["ndis_version.txt"] == by_file["netsh_int_tcp_show_global.txt"] == "UNNAMED"
    assert sorted(_hosts(doc)) == sorted([*cvp, "UNNAMED", "pg3A"])
    # (the day before, a copy of the day, has its own incident: the CVP's alone)
    assert sorted([*cvp, "pg3A"]) in [inc["hosts"] for inc in doc["incidents"]]
    assert {h for inc in doc["incidents"] for h in inc["hosts"]} == {*cvp, "pg3A"}
    said = [w for w in doc["warnings"] if w.split(":")[0].endswith("ndis_version.txt")]
    assert len(said) == 1
    assert f"its folder holds the files of {', '.join(sorted([*cvp, 'pg3A']))}" in said[0]
    example = next(h for h in sorted(cvp) + ["pg3A"] if not h[0].isdigit())
    assert f"as in {example}_ndis_version.txt)" in said[0]
    assert "the only host in the bundle" not in json.dumps(doc["inputs"])


def test_a_snapshot_named_as_the_warning_says_joins_that_server(
    sources: Path, tmp_path: Path
) -> None:
    """Renamed as the warning suggests ('pg3A_ndis_version.txt'), the snapshot is that
    server's, and so is the netsh snapshot beside it (its server's other snapshot there)."""
    logs = _flat_logs(sources, tmp_path / "case" / "logs")
    (logs / "ndis_version.txt").rename(logs / "pg3A_ndis_version.txt")
    doc = _analyze(tmp_path / "out", logs)
    by_file = {i["path"].rsplit("/", 1)[-1]: i["host"] for i in doc["inputs"]}
    assert by_file["pg3A_ndis_version.txt"] == by_file["netsh_int_tcp_show_global.txt"] == "pg3A"
    assert "UNNAMED" not in _hosts(doc)


def test_logs_gzipped_one_by_one_and_named_one_by_one_are_their_servers(
    sources: Path, tmp_path: Path
) -> None:
    """Every file of both servers named on the command line, the logs gzipped as rotated logs
    are: 'CVP3/Error.2013-...log.gz' was a folder named by the user, so its name made a host
    'Error' (found by bench/layout_fuzz.py)."""
    storm = sources / "storm"
    args: list[Path] = []
    for name in ("PG3A", "CVP3"):
        folder = _copy(storm / name, tmp_path / "case" / name)
        for f in sorted(folder.iterdir()):
            if f.suffix in (".log", ".txt") and f.name.startswith(("pim", "CVP.", "Error.")):
                gz = f.with_name(f.name + ".gz")
                gz.write_bytes(gzip.compress(f.read_bytes(), mtime=0))
                f.unlink()
                f = gz
            args.append(f)
    doc = _analyze(tmp_path / "out", *args)
    assert sorted(_hosts(doc)) == ["CVP3", "PG3A"]
    hosts = {i["path"].rsplit("/", 1)[-1]: i["host"] for i in doc["inputs"]}
    assert {p.split("!")[0]: h for p, h in hosts.items() if ".gz!" in p} == {
        "pim1.txt.gz": "PG3A",
        f"{next(storm.glob('CVP3/CVP.*.log')).name}.gz": "CVP3",
        f"{next(storm.glob('CVP3/Error.*.log')).name}.gz": "CVP3",
    }


def test_a_folder_around_files_named_on_their_own_is_no_name_their_contents_contradict(
    sources: Path, tmp_path: Path
) -> None:
    """'ACME export/' holds both servers' files flat (and a log of another system), and the
    user names the PG's perfmon and PIM log one by one. The folder around them was taken as
    the PG's: the host PG3A was 'also named ACME' in a warning. It is not a name of the
    server they name; with the CVP's logs named alone from 'CVP3/', whose lines name only
    an address, the folder still names the server."""
    storm = sources / "storm"
    flat = tmp_path / "ACME export"
    flat.mkdir()
    for server in ("PG3A", "CVP3"):
        for f in (storm / server).iterdir():
            shutil.copyfile(f, flat / f.name)
    shutil.copyfile(FIX / "loghub" / "Linux_2k.log", flat / "Linux_2k.log")
    cvp = _copy(storm / "CVP3", tmp_path / "CVP3", logs_only=True)
    named = [flat / "PG3A_perfmon.csv", flat / "pim1.txt", *sorted(cvp.glob("*.log"))]
    doc = _analyze(tmp_path / "out", *named)
    assert _hosts(doc) == {"PG3A": [], "CVP3": []}
    assert not any("also named" in w for w in doc["warnings"]), doc["warnings"]
    alone = _analyze(tmp_path / "alone", FIX / "loghub" / "Thunderbird_2k.log")
    assert _hosts(alone) == {"tbird-admin1": []}
    assert not any("also named" in w for w in alone["warnings"]), alone["warnings"]


def test_an_archive_that_names_a_host_is_called_an_archive(sources: Path, tmp_path: Path) -> None:
    """A zip's name names its files' host as a folder's does ('mz.zip': 'mz'); the warnings
    called it a folder ("... because their files sit in folder 'mz'", "folder 'mz' (named on
    the command line) holds only PG3A's files"), a folder the user looks for in vain."""
    import zipfile

    case = tmp_path / "case"
    case.mkdir()
    with zipfile.ZipFile(case / "mz.zip", "w") as zf:
        zf.write(sources / "storm" / "PG3A" / "pim1.txt", "pim1.txt")
    shutil.copy(sources / "storm" / "PG3A" / "PG3A_perfmon.csv", case)
    _copy(sources / "storm" / "CVP3", case / "CVP3")
    doc = _analyze(tmp_path / "out", case / "mz.zip", case / "PG3A_perfmon.csv", case / "CVP3")
    assert _hosts(doc)["PG3A"] == ["mz"]
    merged = "host PG3A: also named mz; taken as one server because their files are in archive"
    assert f"{merged} 'mz.zip'" in doc["warnings"]
    assert any("アーカイブ 'mz.zip' にあるため" in w for w in doc["warnings_ja"])
    (pim,) = [i for i in doc["inputs"] if i["path"].endswith("mz.zip!pim1.txt")]
    assert pim["host_reason"].startswith(
        "archive 'mz.zip' (named on the command line) holds only PG3A's files"
    )
    assert pim["host_reason_ja"].startswith("アーカイブ 'mz.zip' (コマンド ラインで指定)")
    assert "folder 'mz'" not in json.dumps(doc, ensure_ascii=False)
