"""A server's own fault written by Linux or by the hypervisor reaches the ranked causes.

A Linux server's kernel log (syslog ``messages``) with its adapter hung, reset and its link
lost, or the VM's ``vmware.log`` with the stun that froze it, sits beside the simulated
``network_path`` bundle (PG3B and CVP3: both keep logging, their counters stay quiet): the
verdict is the host's fault, not the path between them.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hbtriage import analyze
from hbtriage.catalog import load_catalog
from hbtriage.detect.signatures import _began
from hbtriage.simulate.scenarios import generate

FIXTURES = Path(__file__).parent / "fixtures" / "generic_log"
#: The fixtures' times are this bundle's: its heartbeat loss at 07:36:11 EST (12:36:11 UTC).
SEED = 1


def _bundle(tmp_path: Path, fixture: str | None, name: str) -> Path:
    truth = generate("network_path", tmp_path, seed=SEED)
    assert truth["incidents"][0]["start"] == "2013-01-23T12:35:55.864Z"
    if fixture is not None:
        dest = tmp_path / "CVP3" / name
        shutil.copyfile(FIXTURES / fixture, dest)
        # syslog writes no year: it is the file's (the day the log was collected)
        day = datetime(2013, 1, 23, 13, 0, tzinfo=UTC).timestamp()
        os.utime(dest, (day, day))
    return tmp_path


def test_without_the_host_log_the_path_is_blamed(tmp_path: Path) -> None:
    f = analyze([_bundle(tmp_path, None, "")])
    assert [c.id for c in f.incidents[0].causes][:1] == ["network_path"]


def test_a_linux_adapter_reset_is_nic_errors_of_that_host(tmp_path: Path) -> None:
    f = analyze([_bundle(tmp_path, "cvp3_messages_e1000e.log", "messages")])
    (inc,) = f.incidents
    top = inc.causes[0]
    assert (top.id, top.host) == ("nic_errors", "CVP3"), [(c.id, c.host) for c in inc.causes]
    said = "\n".join(top.evidence)
    assert "NETDEV WATCHDOG: eth0 (e1000e): transmit queue 0 timed out" in said
    assert "NIC Link is Down" in said
    # the path is not blamed with "both hosts kept logging" while one's adapter was reset
    assert "network_path" not in [c.id for c in inc.causes]
    hits = {s.data["signature"] for s in inc.signals if s.kind == "signature"}
    assert {"linux.nic_tx_timeout", "linux.nic_link_down", "linux.nic_link_up"} <= hits


@pytest.mark.parametrize("fixture", ["vmware.log", "vmware_esxi8.log"])
def test_a_vm_stun_in_vmware_log_is_vm_stun_of_that_host(fixture: str, tmp_path: Path) -> None:
    f = analyze([_bundle(tmp_path, fixture, "vmware.log")])
    (inc,) = f.incidents
    top = inc.causes[0]
    assert (top.id, top.host) == ("vm_stun", "CVP3"), [(c.id, c.host) for c in inc.causes]
    (stun,) = [s for s in inc.signals if s.data.get("signature") == "vmware.vm_unstun"]
    # the line is written as the VM runs again; the signal spans the 11.28 s it was stopped
    assert stun.end == datetime(2013, 1, 23, 12, 36, 7, 202000, tzinfo=UTC)
    assert stun.end - stun.start == timedelta(microseconds=11283702)
    assert "12:35:55.918Z" in "\n".join(top.evidence)


def test_the_signatures_keep_to_their_examples_and_stay_silent_on_other_lines() -> None:
    sigs = {s.id: s for s in load_catalog().signatures}

    quiet = [
        "Jul 25 23:23:13 combo xinetd[26482]: warning: can't get client address: Connection reset by peer",
        "Jan 23 07:35:50 cvp3 kernel: [ 9327.470501]   TDH                  <13>",
        "2013-01-23T12:35:55.626Z In(05) vcpu-0 - Migrate: VM successfully stunned",
    ]
    for sid in ("linux.nic_tx_timeout", "linux.nic_link_down", "linux.nic_link_up"):
        assert re.search(sigs[sid].pattern, sigs[sid].example, re.I)
        assert not any(re.search(sigs[sid].pattern, q, re.I) for q in quiet), sid
    for line in (
        "[ 1649.015145] igb 0000:02:00.1: Detected Tx Unit Hang",
        "ixgbe 0000:03:00.0 eth2: tx hang 1 detected on queue 0, resetting adapter",
        "vmxnet3 0000:0b:00.0 ens192: tx hang",
        "[ 1356.296930] r8125 0000:22:04.0 eth4: NETDEV WATCHDOG: CPU: 3: transmit queue 0 timed out 5010 ms",
    ):
        assert re.search(sigs["linux.nic_tx_timeout"].pattern, line, re.I), line


@given(us=st.integers(min_value=0, max_value=10**12))
def test_a_stun_signal_begins_what_its_line_says_before_it(us: int) -> None:
    sig = next(s for s in load_catalog().signatures if s.id == "vmware.vm_unstun")
    end = datetime(2013, 1, 23, 12, 36, 7, 202000, tzinfo=UTC)
    began = _began(sig, end, f"Checkpoint_Unstun: vm stopped for {us} us")
    if us <= 86_400 * 10**6:
        assert end - began == timedelta(microseconds=us)
    else:  # no stun lasts a day: the number is not one, the line's time is kept
        assert began == end
    assert _began(sig, end, "Checkpoint_Unstun: vm stopped") == end
