"""The wording real Cisco and Windows systems write, in the layouts they write it, beyond the
one support note the catalog started from. Every line here is written for this test (own hosts,
addresses, numbers) in the documented format; where the wording is documented is in the
catalog entry's ``reference``:

* CVP's ICM subsystem events by name (LOGMSG_ICM_SS_HEARTBEAT_FAILURE, LOGMSG_ICM_SS_PIM_SHUTDOWN)
  and its start-up / shutdown audit events (CVP 12.5 Operations Guide, SNMP raise/clear table);
* the ICM Node Manager's process-down and restart lines (UCCE Serviceability Guide; the texts
  a monitoring tool matches, Cisco Community);
* NDIS 10400/10401 adapter resets and Broadcom's link-up event 11 in a System event log export;
* the configuration a PIM prints at start-up, which names heartbeat timeouts without losing any.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hbtriage.cli import app


def _analyze(tmp_path: Path, files: dict[str, str]) -> dict[str, Any]:
    root = tmp_path / "bundle"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app, ["analyze", str(root), "--out", str(out), "--quiet", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    return json.loads((out / "findings.json").read_text())


def _details(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["host"], s["detail"]) for inc in doc["incidents"] for s in inc["signals"]]


def _cvp_calls(start_s: int, n: int, seq: int = 500) -> str:
    """A chatty CVP log: a call trace every second from 10:20:<start_s>, CiscoLog prefix."""
    lines = []
    for i in range(n):
        t = start_s + i
        lines.append(
            f"{seq + i}: 198.51.100.31: Jul 14 2016 10:{20 + t // 60:02d}:{t % 60:02d}.250 +0000: "
            f"%CVP_11_5_IVR-7-CALL: {{Thrd=http-8000-{i % 9}}} VXMLManager:generateVXML: "
            f"CALLGUID=7C0FFEE{i:025d} template 'Menu.template' for client: 198.51.100.40"
        )
    return "\n".join(lines) + "\n"


def _cvp_around(tmp_path: Path, name: str, middle: str) -> tuple[dict[str, Any], str]:
    """Analyse host CVPQ7's log ``name``: 20 s of call traces, ``middle``, 10 s more; the
    findings and the details of their signals, joined."""
    log = _cvp_calls(0, 20) + middle + _cvp_calls(32, 10, seq=900)
    doc = _analyze(tmp_path, {f"CVPQ7/{name}": log})
    return doc, " | ".join(d for _, d in _details(doc))


def test_cvp_icm_subsystem_events_named_by_their_mnemonic_open_an_incident(
    tmp_path: Path,
) -> None:
    """CVP writes the ICM subsystem's heartbeat failure and PIM shutdown as events whose name is
    the header's mnemonic, with text of their own; the catalog knew only the 'Missed 2 VRU PIM
    heartbeats' / 'Shutting down VRU PIM connection' sentences, so such a log gave no incident."""
    doc, details = _cvp_around(
        tmp_path,
        "Error.2016-07-14.log",
        "600: 198.51.100.31: Jul 14 2016 10:20:31.420 +0000: "
        "%CVP_11_5_ICM-3-LOGMSG_ICM_SS_HEARTBEAT_FAILURE: No heartbeat answer from the PIM "
        "at 203.0.113.12 on its session. [id:2005]\n"
        "601: 198.51.100.31: Jul 14 2016 10:20:31.431 +0000: "
        "%CVP_11_5_ICM-1-LOGMSG_ICM_SS_PIM_SHUTDOWN: Session with PIM 203.0.113.12 closed. "
        "[id:2002]\n",
    )
    assert [inc["hosts"] for inc in doc["incidents"]] == [["CVPQ7"]]
    assert "CVP missed VRU PIM heartbeats and closed the session" in details
    assert "CVP shut down the VRU PIM connection (partial service)" in details


def _pim_ciscolog(node: str, tail: list[str]) -> str:
    lines = [
        f"{40 + i // 5}: {node}: Jul 14 2016 10:20:{i:02d}.100 +0000: %ICM_PG_PIM-6-10300001: "
        f"[comp=PG-A][pname=pim1][iid=qa][mid=10300001][sev=info]: VRU heartbeat request sent."
        for i in range(0, 30, 5)
    ]
    lines.append(
        f"47: {node}: Jul 14 2016 10:20:31.400 +0000: %ICM_PG_PIM-3-103000B7: "
        "[comp=PG-A][pname=pim1][iid=qa][mid=103000B7][sev=error]: Error receiving data from "
        "VRU. Last API Error [10054]: An existing connection was forcibly closed by the remote "
        "host."
    )
    return "\n".join(lines + tail) + "\n"


def test_node_manager_process_down_lines_make_the_restart_the_cause(tmp_path: Path) -> None:
    """The Node Manager says a process went down and that it restarts it, naming the process and
    its node; with a node name of usual length the 'Exit code' fell outside the 40 characters
    the pattern allowed after 'process', and a 'down after running' line matched nothing: the
    PIM crash was 'unknown'."""
    node = "pgq7a-icm-side-a.example.test"
    said = [
        (
            32,
            "3",
            "error",
            f"Process pim1 on {node} went down for unknown reason. Exit code 3. "
            "It will be automatically restarted.",
        ),
        (
            33,
            "4",
            "warning",
            f"Process pim1 on {node} is down after running for 5400 seconds. "
            "It will restart after delaying 1 seconds for related operations.",
        ),
        (
            35,
            "4",
            "warning",
            "Node restarting process pim1 after having delayed restart for 1 seconds.",
        ),
    ]
    tail = [
        f"{900 + i}: {node}: Jul 14 2016 10:20:{s}.200 +0000: %ICM_PG_NodeManager-{sev}-1050000: "
        f"[comp=PG-A][pname=nm][iid=qa][sev={word}]: {text}"
        for i, (s, sev, word, text) in enumerate(said)
    ]
    doc = _analyze(tmp_path, {"PGQ7A/pim1_ciscolog.txt": _pim_ciscolog(node, tail)})
    (inc,) = doc["incidents"]
    assert (inc["causes"][0]["id"], inc["causes"][0]["host"]) == ("peer_restart", "PGQ7A")
    details = " | ".join(d for _, d in _details(doc))
    assert f"An ICM process was stopped or exited: Process pim1 on {node} went down" in details
    assert f"Process pim1 on {node} is down after running" in details
    assert "Node Manager restarting it" in details


@pytest.mark.parametrize(
    "started",
    [
        "INFRA-5-AUDIT: The system has started up. [id:1003]",
        "INFRA-5-START: All Subsystems have been started. [id:1026]",
    ],
)
def test_cvp_audit_shutdown_and_start_up_make_the_restart_the_cause(
    tmp_path: Path, started: str
) -> None:
    """A CVP server that shuts down and starts again writes its audit events 'The system has
    completely shutdown.' and 'The system has started up.' (and that all its subsystems have
    been started); none was known, and the PIM session it dropped was left without a cause."""
    doc, details = _cvp_around(
        tmp_path,
        "CVP.2016-07-14.log",
        "700: 198.51.100.31: Jul 14 2016 10:20:30.010 +0000: %CVP_11_5_ICM-1-LOGMSG_ICM_SS_STATE: "
        "Shutting down VRU PIM connection. Transition to partial service. [id:2006]\n"
        "701: 198.51.100.31: Jul 14 2016 10:20:31.900 +0000: %CVP_11_5_INFRA-5-AUDIT: "
        "The system has completely shutdown. [id:1004]\n"
        f"0: 198.51.100.31: Jul 14 2016 10:20:40.000 +0000: %CVP_11_5_{started}\n",
    )
    (inc,) = doc["incidents"]
    assert (inc["causes"][0]["id"], inc["causes"][0]["host"]) == ("peer_restart", "CVPQ7")
    assert "The CVP server shut down (its shutdown audit event)" in details
    assert (
        f"The CVP server started (its start-up audit event): {started.split('-', 2)[2]}" in details
    )


def test_ndis_reset_and_broadcom_link_up_events_are_signals(tmp_path: Path) -> None:
    """NDIS 10400 ('has begun resetting') and 10401 ('has completed resetting'), and Broadcom's
    event 11 ('Network controller configured for ... link') after its link-down event 4: only
    the link-down was known, so the adapter reset at the PIM's disconnect was not shown."""
    events = (
        "Level,Date and Time,Source,Event ID,Task Category\n"
        'Information,7/14/2016 10:20:34 AM,b57nd60a,11,None,"Broadcom NetXtreme Gigabit '
        'Ethernet #3: Network controller configured for 1Gb full-duplex link."\n'
        'Information,7/14/2016 10:20:33 AM,Microsoft-Windows-NDIS,10401,None,"The network '
        'interface ""Intel(R) I350 Gigabit Network Connection #2"" has completed resetting."\n'
        'Warning,7/14/2016 10:20:32 AM,b57nd60a,4,None,"Broadcom NetXtreme Gigabit Ethernet #3: '
        'The network link is down."\n'
        'Warning,7/14/2016 10:20:30 AM,Microsoft-Windows-NDIS,10400,None,"The network '
        'interface ""Intel(R) I350 Gigabit Network Connection #2"" has begun resetting. Reason: '
        'its hardware no longer answers the driver. Resets since start: 2."\n'
    )
    doc = _analyze(
        tmp_path,
        {
            "PGQ7A/System.csv": events,
            "PGQ7A/pim1_ciscolog.txt": _pim_ciscolog("PGQ7A", []),
        },
    )
    got = _details(doc)
    assert any(
        h == "PGQ7A" and d.startswith("The network adapter was reset or hung: EventID 10400")
        for h, d in got
    ), got
    assert any(d.startswith("The network adapter's link came back: EventID 10401") for _, d in got)
    assert any(d.startswith("The network adapter's link came back: EventID 11") for _, d in got)


def test_pim_start_up_configuration_lines_are_no_heartbeat_loss(tmp_path: Path) -> None:
    """A PIM that starts prints its settings: a heartbeat timeout, how many missed heartbeats it
    allows. The heartbeat-timeout signature fired on those words and made a healthy restart of
    the log an incident."""
    lines = ["Events from July 14, 2016"]
    lines += [
        "10:20:00:010 pgq7a-pim1 Trace: Initializing Event Management System (EMS) Library.",
        "10:20:00:120 pgq7a-pim1 Trace: VRU heartbeat timeout is 10 seconds; heartbeat "
        "interval 5 seconds.",
        "10:20:00:121 pgq7a-pim1 Trace: Peripheral 5007 heartbeat settings: missed heartbeats "
        "allowed 2, timeout 10000 ms.",
    ]
    lines += [
        f"10:{20 + s // 60:02d}:{s % 60:02d}:200 pgq7a-pim1 Trace: VRU heartbeat request sent "
        f"to 203.0.113.12 (GED-125 HEARTBEAT_REQ, InvokeID {100 + s})."
        for s in range(1, 120)
    ]
    doc = _analyze(tmp_path, {"PGQ7A/pim1.txt": "\n".join(lines) + "\n"})
    assert doc["incidents"] == []


def test_a_calls_trace_saying_cvp_started_or_stopped_something_is_no_restart(
    tmp_path: Path,
) -> None:
    """Per-call traces name CVP or the Call Server doing things ('CVP SIP service started the
    transfer', 'Call Server stopped the prompt'): the start/stop signatures took them for the
    server restarting, and a session loss beside them was put down to a restart."""
    doc, details = _cvp_around(
        tmp_path,
        "CVP.2016-07-14.log",
        "800: 198.51.100.31: Jul 14 2016 10:20:29.100 +0000: %CVP_11_5_SIP-7-CALL: "
        "{Thrd=DIALOG_CALLBACK.4} CVP SIP service started the transfer of CALLGUID=ABC to 9100.\n"
        "801: 198.51.100.31: Jul 14 2016 10:20:29.300 +0000: %CVP_11_5_IVR-7-CALL: "
        "{Thrd=http-8000-2} Call Server stopped the prompt for CALLGUID=ABC on a caller digit.\n"
        "802: 198.51.100.31: Jul 14 2016 10:20:30.010 +0000: %CVP_11_5_ICM-1-LOGMSG_ICM_SS_STATE: "
        "Shutting down VRU PIM connection. Transition to partial service. [id:2006]\n",
    )
    (inc,) = doc["incidents"]
    assert inc["causes"][0]["id"] != "peer_restart"
    assert "The CVP Call Server (or its ICM subsystem)" not in details


def test_logs_copied_with_their_long_lines_wrapped_are_read_and_matched(tmp_path: Path) -> None:
    """Logs copied out of an e-mail or a web page (the tech notes show them so): every CVP
    header below its time stamp, long messages broken across lines. The CVP file was not
    recognised at all ('not a format hbtriage reads'), and the wrapped sentences matched no
    signature."""
    cvp = (
        "Jul 14 2016 10:20:01.100 +0000:\n"
        "%CVP_11_5_ICM-1-LOGMSG_ICM_SS_STATE:\n"
        "Shutting down VRU PIM\nconnection. Transition to partial service. [id:2006]\n\n"
        "Jul 14 2016 10:20:01.130 +0000:\n"
        "%CVP_11_5_MSGBUS-3-MESSAGING_LAYER:\n"
        "ConnectionServer(GED125)::\nterminateConnection on plugin(GED125)\n"
        "with connection(Socket[addr=/203.0.113.12,\nport=4411,localport=5000])\n"
        "due to: Plugin was stopped by the application [id:1]\n\n"
        "Jul 14 2016 10:20:12.400 +0000:\n"
        "%CVP_11_5_ICM-6-LOGMSG_ICM_SS_GENERAL_INFO: Missed 2 VRU\n"
        "PIM heartbeats. Closing the session; a new PIM connection is awaited. [id:2007]\n"
    )
    pim = (
        "Events from July 14, 2016\n"
        "10:20:00:300 pgq7a-pim1 Trace: VRU heartbeat request sent to 203.0.113.12.\n"
        "10:20:12:410 pgq7a-pim1 Error receiving data from\n\tVRU. Last API Error [10054].\n"
        "10:20:12:411 pgq7a-pim1 TCP connection to VRU has been\n\tbroken.\n"
    )
    doc = _analyze(tmp_path, {"CVPQ7/Error.2016-07-14.log": cvp, "PGQ7A/pim1.txt": pim})
    assert {i["path"].rsplit("/", 1)[-1]: i["kind"] for i in doc["inputs"]} == {
        "Error.2016-07-14.log": "cvp_log",
        "pim1.txt": "icm_dumplog",
    }
    got = {(h, d.split(":", 1)[0]) for h, d in _details(doc)}
    assert got >= {
        ("CVPQ7", "CVP shut down the VRU PIM connection (partial service)"),
        ("CVPQ7", "CVP missed VRU PIM heartbeats and closed the session"),
        ("PGQ7A", "PIM could not receive from the VRU (socket reset by the peer)"),
        ("PGQ7A", "PIM's TCP connection to the VRU broke"),
    }, got


def test_a_pim_receive_error_with_another_winsock_code_is_a_disconnect(tmp_path: Path) -> None:
    """The PIM writes its receive error with whatever WinSock code the socket gave: an abort on
    its own host (10053) or a time-out (10060) is as much a lost session as the peer's reset
    (10054), the only code the catalog knew: the PIM's log showed no incident."""
    pim = (
        "Events from July 14, 2016\n"
        + "".join(
            f"10:20:{s:02d}:300 pgq7a-pim1 Trace: VRU heartbeat request sent to 203.0.113.12.\n"
            for s in range(0, 30, 5)
        )
        + "10:20:31:410 pgq7a-pim1 Error receiving data from VRU.\n"
        "\tLast API Error [10053]: The connection was aborted on this host.\n"
        "10:20:36:100 pgq7a-pim1 Error receiving data from VRU.\n"
        "\tLast API Error [10060]: The peer did not answer in time.\n"
    )
    doc = _analyze(tmp_path, {"PGQ7A/pim1.txt": pim})
    assert [inc["hosts"] for inc in doc["incidents"]] == [["PGQ7A"]]
    said = [d for _, d in _details(doc) if "a socket error other than a reset" in d]
    assert len(said) == 2, said


def test_node_manager_events_in_the_application_event_log_make_the_restart_the_cause(
    tmp_path: Path,
) -> None:
    """ICM writes the Node Manager's events to the Windows Application log as well; an export of
    that log beside the PIM's own lines said nothing (the Node Manager's wording was known only
    in ICM logs): the PIM crash was 'unknown'."""
    app_log = (
        "Level,Date and Time,Source,Event ID,Task Category\n"
        "Warning,7/14/2016 10:20:35 AM,Cisco ICM,1050006,None,Node restarting process pim1 "
        "after having delayed restart for 1 seconds.\n"
        "Error,7/14/2016 10:20:32 AM,Cisco ICM,1050004,None,Process pim1 on PGQ7A went down for "
        "unknown reason. Exit code 3. It will be automatically restarted.\n"
    )
    doc = _analyze(
        tmp_path,
        {"PGQ7A/Application.csv": app_log, "PGQ7A/pim1_ciscolog.txt": _pim_ciscolog("PGQ7A", [])},
    )
    (inc,) = doc["incidents"]
    assert (inc["causes"][0]["id"], inc["causes"][0]["host"]) == ("peer_restart", "PGQ7A")
    details = " | ".join(d for _, d in _details(doc))
    assert "The ICM Node Manager reported a process down (Windows Application event log)" in details


def test_the_linux_stop_trigger_stops_on_the_icm_subsystems_heartbeat_failure_event() -> None:
    """The plan's Linux stop trigger is the heartbeat-loss signatures given to grep -E: with
    white space that may be a line break in the catalog (``\\s``), the plan refused to print
    ('cannot be given to grep -E', exit 2); it now matches the CVP heartbeat-failure event and
    the one-line sentence, and no configuration line."""
    res = CliRunner().invoke(app, ["plan", "--linux"])
    assert res.exit_code == 0, res.output
    ere = re.search(r"grep -m1 -i -E '([^']*)'", res.output)
    assert ere is not None
    rx = re.compile(ere.group(1), re.IGNORECASE)
    assert rx.search(
        "%CVP_11_5_ICM-3-LOGMSG_ICM_SS_HEARTBEAT_FAILURE: No heartbeat answer from the PIM."
    )
    assert rx.search("LOGMSG_ICM_SS_GENERAL_INFO: Missed 2 VRU PIM heartbeats. Closing session.")
    assert not rx.search("Trace: VRU heartbeat timeout is 10 seconds; heartbeat interval 5 s.")
