"""`hbtriage plan`: the commands people paste on their servers."""

from __future__ import annotations

import re

import pytest

from hbtriage.errors import UsageError
from hbtriage.live.plan import plan_counters, render_plan

NEEDED = [
    r"\Processor(*)\% DPC Time",
    r"\Processor(*)\DPC Rate",
    r"\Processor(*)\DPCs Queued/sec",
    r"\Processor(*)\% Interrupt Time",
    r"\Processor(*)\Interrupts/sec",
    r"\Processor(*)\% Processor Time",
    r"\Network Interface(*)\Packets Received Discarded",
    r"\Network Interface(*)\Packets Received Errors",
    r"\Network Interface(*)\Packets Outbound Discarded",
    r"\Network Interface(*)\Output Queue Length",
    r"\UDPv4\Datagrams Received Errors",
    r"\UDPv6\Datagrams Received Errors",
    r"\TCPv4\Segments Retransmitted/sec",
    r"\TCPv4\Connections Reset",
    r"\System\Processor Queue Length",
    r"\Memory\Pages/sec",
    r"\Memory\Available MBytes",
]


def _logman_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip().startswith("logman create")]


def test_windows_plan_has_a_logman_line_with_every_counter() -> None:
    text = render_plan("windows", ["pg1a"], "en")
    circular, csv = _logman_lines(text)
    for line in (circular, csv):
        for counter in NEEDED:
            assert f'"{counter}"' in line, counter
    assert "-si 00:00:01 -f bincirc -max 500" in circular
    assert '-o "C:\\PerfLogs\\hbtriage\\hbtriage_pg1a"' in circular
    assert "-f csv -max 500" in csv
    assert sorted(plan_counters()) == sorted(NEEDED)


def test_windows_plan_converts_dumps_and_snapshots() -> None:
    text = render_plan("windows", ["pg1a"], "en")
    assert (
        'relog "C:\\PerfLogs\\hbtriage\\hbtriage_pg1a.blg" -f csv '
        '-o "C:\\PerfLogs\\hbtriage\\hbtriage_pg1a.csv"'
    ) in text
    assert re.search(r"dumplog pim1 /bd \S+ /bt \S+ /ed \S+ /et \S+ /ms /of \S+pg1a_pim1.txt", text)
    assert "CVP.*.log,Error.*.log" in text
    for snippet in (
        "netsh int tcp show global >",
        "systeminfo >",
        "ndis.sys",
        "Get-NetAdapterRss",
        "Get-NetAdapterAdvancedProperty",
    ):
        assert snippet in text, snippet


def test_one_block_per_host_and_the_peer_filled_in() -> None:
    text = render_plan("windows", ["pg1a", "cvp1"], "en")
    assert text.count("logman start hbtriage") == 2
    assert "On pg1a:" in text and "On cvp1:" in text
    assert "--peer cvp1:7000" in text and "--peer pg1a:7000" in text


def test_without_hosts_the_machine_name_is_used() -> None:
    assert "hbtriage_%COMPUTERNAME%.blg" in render_plan("windows", [], "en")
    assert "sa_$(hostname)" in render_plan("linux", [], "en")


def test_linux_plan_uses_sadc_and_sadf() -> None:
    text = render_plan("linux", ["cvp1"], "en")
    assert "sadc -S XALL 1 86400 /var/tmp/hbtriage/sa_cvp1" in text
    assert "sadf -d /var/tmp/hbtriage/sa_cvp1 -- -u -n DEV,EDEV,UDP > " in text
    assert "logman" not in text


def test_japanese_plan_translates_texts_and_keeps_commands() -> None:
    en = render_plan("windows", ["pg1a"], "en")
    ja = render_plan("windows", ["pg1a"], "ja")
    assert "採取手順" in ja and "パフォーマンスカウンター" in ja
    assert "Performance counters" not in ja
    commands = [ln for ln in en.splitlines() if ln.startswith("    ")]
    assert commands == [ln for ln in ja.splitlines() if ln.startswith("    ")]
    assert "{" not in en + ja  # every placeholder was filled


@pytest.mark.parametrize(("os_", "lang"), [("solaris", "en"), ("windows", "fr")])
def test_unknown_os_or_language_is_a_usage_error(os_: str, lang: str) -> None:
    with pytest.raises(UsageError):
        render_plan(os_, [], lang)


@pytest.mark.parametrize(("os_", "key_path"), [("windows", "C:\\PerfLogs\\hbtriage\\watch.key"),
                                               ("linux", "/var/tmp/hbtriage/watch.key")])  # fmt: skip
def test_the_watch_commands_sign_with_a_shared_key(os_: str, key_path: str) -> None:
    for lang in ("en", "ja"):
        text = render_plan(os_, ["pg1a", "cvp1"], lang)
        watch = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("hbtriage watch")]
        assert len(watch) == 2 and all(f"--key-file {key_path} " in ln for ln in watch)
        assert "HBTRIAGE_WATCH_KEY" in text and "key_id" in text and "secrets.token_hex" in text
