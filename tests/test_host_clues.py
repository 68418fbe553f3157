"""Hosts from every clue: the VRU address a PIM's log connects to names the CVP Call Server
that nothing else names, joins CVP logs to the host whose systeminfo lists it, and picks the
syslog server's CVP sender that is the PIM's peer; a PG known only by its Cisco Log feed is a
PG (its CVP logs are never taken for its own)."""

from __future__ import annotations

import shutil
from pathlib import Path

from test_relay import _bundles, _pim_feed, _relayed

from hbtriage.api import run
from hbtriage.findings import Findings
from hbtriage.simulate.scenarios import generate

SYSINFO = Path(__file__).parent / "fixtures" / "systeminfo"


def _verdict(f: Findings) -> list[tuple[tuple[str, ...], str, str | None]]:
    return [
        (tuple(sorted(i.hosts)), i.causes[0].id, i.causes[0].host) for i in f.incidents if i.causes
    ]


def _split(tmp: Path, scenario: str, seed: int) -> tuple[Path, dict]:
    """The simulated PG's and CVP's logs (no perfmon, no snapshot) in ``case/1/logs`` and
    ``case/2/logs``: nothing names the Call Server."""
    truth = generate(scenario, tmp / "sim", seed)
    pg, cvp = (next(h for h, v in truth["hosts"].items() if v["role"] == r) for r in ("pg", "cvp"))
    case = tmp / "case"
    for n, host, glob in ((1, pg, "pim*.txt"), (2, cvp, "*.log")):
        (case / str(n) / "logs").mkdir(parents=True)
        for f in (tmp / "sim" / host).glob(glob):
            shutil.copy(f, case / str(n) / "logs")
    return case, truth


def _systeminfo(name: str, address: str) -> str:
    """A Server 2003 systeminfo (a real one, from tests/fixtures) of computer ``name`` whose
    network card has ``address``."""
    text = (SYSINFO / "srv_2003_sp1_x64_standard_en-us_systeminfo.txt").read_text()
    return text.replace("WINSRV2K3SP1X64", name).replace("192.168.159.215", address)


def test_each_server_s_logs_folder_names_the_cvp_by_the_address_its_pim_connects_to(
    tmp_path: Path,
) -> None:
    case, truth = _split(tmp_path, "dpc_storm_cvp", 1)
    cvp_ip = next(v["ip"] for v in truth["hosts"].values() if v["role"] == "cvp")
    a = run([case / "1" / "logs", case / "2" / "logs"]).findings
    assert sorted(h.name for h in a.hosts) == sorted([cvp_ip, "pg2A"])  # no UNNAMED-CVP
    (cvp_log, *_) = (i for i in a.inputs if i.path.endswith(".log"))
    assert cvp_log.host == cvp_ip
    assert f"1/logs/pim1.txt connects to its VRU at {cvp_ip}" in cvp_log.host_reason
    assert not [w for w in a.warnings if "could not tell which host" in w]
    assert len(a.incidents) == 1 == len(truth["incidents"])
    assert _verdict(a) == _verdict(run([case]).findings)  # the parent folder's verdict


def test_cvp_logs_join_the_host_whose_systeminfo_lists_the_pim_s_vru_address(
    tmp_path: Path,
) -> None:
    case, truth = _split(tmp_path, "network_path", 3)
    cvp_ip = next(v["ip"] for v in truth["hosts"].values() if v["role"] == "cvp")
    for n, name, address in ((3, "CALLSRV07", cvp_ip), (4, "BACKUP01", "198.51.100.9")):
        (case / str(n)).mkdir()
        (case / str(n) / "systeminfo.txt").write_text(_systeminfo(name, address))
    a = run([case]).findings
    by_input = {Path(i.path).name: i.host for i in a.inputs}
    assert by_input["pim1.txt"] == "pg1A"
    assert {h for n, h in by_input.items() if n.endswith(".log")} == {"CALLSRV07"}
    assert sorted(h.name for h in a.hosts) == ["BACKUP01", "CALLSRV07", "pg1A"]
    assert len(a.incidents) == 1
    # The verdict of the same files with the CVP logs in CALLSRV07's folder.
    ref = tmp_path / "ref"
    shutil.copytree(case, ref)
    for f in (ref / "2" / "logs").glob("*.log"):
        f.rename(ref / "3" / f.name)
    assert _verdict(a) == _verdict(run([ref]).findings)
    assert _verdict(a)[0][0] == ("CALLSRV07", "pg1A")


def test_the_syslog_server_s_sender_at_the_pim_s_vru_address_is_the_cvp_host(
    tmp_path: Path,
) -> None:
    """Two Call Servers' feeds by address in one syslog file, one CVP host collected: the
    PIM's feed connects to one of them, which is that host; the other stays apart."""
    one, _two, truth = _bundles("network_path", 3, tmp_path, by_name=False)
    cvp = next(h for h, v in truth["hosts"].items() if v["role"] == "cvp")
    cvp_ip, other = truth["hosts"][cvp]["ip"], "198.51.100.29"
    messages = one / "SYSLOG01" / "messages"
    lines = messages.read_text().splitlines()
    calls = [s for s in lines if f" {cvp_ip}: " in s and "IVR-7-CALL" in s][:50]
    assert calls
    messages.write_text("\n".join(lines + [s.replace(cvp_ip, other) for s in calls]) + "\n")
    a = run([one]).findings
    hosts = {h.name: h for h in a.hosts}
    assert cvp in hosts and cvp_ip in hosts[cvp].addresses and cvp_ip not in hosts
    assert other in hosts  # another Call Server: not the bundle's CVP
    (feed,) = (i for i in a.inputs if i.path.endswith(f"messages [{cvp_ip}]"))
    assert feed.host == cvp
    # One incident, between the PG and the CVP host: the other Call Server is no part of it.
    pg = next(h for h, v in truth["hosts"].items() if v["role"] == "pg")
    assert [h for h, _c, _h in _verdict(a)] == [tuple(sorted((cvp, pg)))]


def test_a_pg_known_by_its_cisco_log_feed_is_a_pg_and_its_cvp_stays_apart(
    tmp_path: Path,
) -> None:
    """The PG's Cisco Log feed (a PIM's lines) in one folder, the Call Server's logs in
    another: two hosts, the PG by its HOST field and the CVP by the VRU address it connects
    to, with the parent folder's verdict."""
    case, truth = _split(tmp_path, "network_path", 3)
    pg = next(h for h, v in truth["hosts"].items() if v["role"] == "pg")
    pim = case / "1" / "logs" / "pim1.txt"
    feed = _relayed(_pim_feed(pim, pg, truth["hosts"][pg]["offset_min"]), "198.51.100.7")
    (case / "1" / "logs" / "pg.log").write_text("".join(f"{s}\n" for _, s in feed))
    pim.unlink()
    cvp_ip = next(v["ip"] for v in truth["hosts"].values() if v["role"] == "cvp")
    a = run([case / "1" / "logs", case / "2" / "logs"]).findings
    assert sorted(h.name for h in a.hosts) == sorted([pg, cvp_ip])
    assert {i.host for i in a.inputs if i.path.endswith("pg.log")} == {pg}
    assert {i.host for i in a.inputs if "CVP" in i.path or "Error" in i.path} == {cvp_ip}
    assert len(a.incidents) == 1
    assert _verdict(a) == _verdict(run([case]).findings)


def test_a_server_outside_the_incident_without_perfmon_does_not_hide_a_network_path(
    tmp_path: Path,
) -> None:
    """The case above: the PG and its CVP host, both with perfmon and quiet, lost the
    heartbeat; a second Call Server of the bundle (its feed only, no perfmon) has no part in
    it. network_path needs every host's perfmon to show they were healthy, and 'every host'
    counted that second server too: the verdict was 'unknown'. It is the incident's hosts."""
    one, _two, truth = _bundles("network_path", 3, tmp_path, by_name=False)
    cvp = next(h for h, v in truth["hosts"].items() if v["role"] == "cvp")
    cvp_ip = truth["hosts"][cvp]["ip"]
    messages = one / "SYSLOG01" / "messages"
    lines = messages.read_text().splitlines()
    calls = [s for s in lines if f" {cvp_ip}: " in s and "IVR-7-CALL" in s][:50]
    messages.write_text(
        "\n".join(lines + [s.replace(cvp_ip, "198.51.100.29") for s in calls]) + "\n"
    )
    a = run([one]).findings
    assert "198.51.100.29" in {h.name for h in a.hosts}
    (inc,) = a.incidents
    assert (inc.causes[0].id, truth["incidents"][0]["cause"]) == ("network_path", "network_path")
