"""Error-counter snapshots taken to "rule out NIC errors" are read and used as evidence.

Each fixture (``tests/fixtures/net_counters``, formats in its SOURCES.md) is read as
``net_counters``: one snapshot, or snapshots without times, is said to be counts since boot and
no evidence of the incident; snapshots with times are a series whose rises between two of them
become a ``counter_anomaly`` spanning the two, which ranks ``nic_errors`` of that host over
``network_path`` in the simulated ``network_path`` bundle (both hosts keep logging).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage import analyze
from hbtriage.simulate.scenarios import generate
from hbtriage.sources import read_one
from hbtriage.sources.base import InputFile
from hbtriage.sources.net_counters import parse_time

FIXTURES = Path(__file__).parent / "fixtures" / "net_counters"
SEED = 1  # network_path: the loss at 12:35:55Z, CVP3's clock EST (07:35:55)


def _read(path: Path, display: str | None = None):  # type: ignore[no-untyped-def]
    out = read_one(
        InputFile(display=display or str(path), path=str(path), size=path.stat().st_size)
    )
    assert out.kind == "net_counters", out.message
    assert out.result is not None
    return out.result


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("netstat_s_before_after.txt", "UDPv4(netstat -s)\\Datagrams Received Errors +37"),
        ("netstat_s_once.txt", "UDPv4(netstat -s)\\Datagrams Received Errors 6"),
        ("netstat_e.txt", "every error count 0"),
        (
            "get_netadapterstatistics_fl.txt",
            "Network Interface(Ethernet0 (Get-NetAdapterStatistics))\\Packets Received Discarded 1,174",
        ),
        ("proc_net_snmp_before_after.txt", "UDPv4(/proc/net/snmp)\\Datagrams Received Errors +212"),
        ("nstat_az.txt", "Linux Net(/proc/net/snmp)\\UDP Rcvbuf Errors +209"),
        ("netstat_su.txt", "Linux Net(netstat -s (Linux))\\UDP Rcvbuf Errors 3"),
        (
            "ethtool_S_eth0.txt",
            "Network Interface(eth0 (ethtool -S))\\Packets Received Missed +388",
        ),
        ("ip_s_s_link.txt", "Network Interface(eth0 (ip -s link))\\Packets Received Missed +388"),
    ],
)
def test_each_format_says_its_counts(name: str, said: str) -> None:
    res = _read(FIXTURES / name)
    assert said in res.note
    if "+" in said:
        assert "2 snapshots with times" in res.note
        assert "lies somewhere in the time between them" in res.note
        assert res.counters is not None and res.counters.height > 0
    else:
        # a count since boot is no evidence of the incident, and no sample of any counter
        assert "no evidence of the incident" in res.note
        assert res.counters is not None and res.counters.height == 0


def test_adapter_statistics_name_their_computer() -> None:
    assert _read(FIXTURES / "get_netadapterstatistics_fl.txt").host == "CVP1"


def test_netstat_in_another_language_names_its_labels(tmp_path: Path) -> None:
    text = (
        (FIXTURES / "netstat_s_once.txt")
        .read_text()
        .replace("UDP Statistics for IPv4", "UDP-Statistik für IPv4")
    )
    text = text.replace("TCP Statistics for IPv4", "TCP-Statistik für IPv4").replace(
        "IPv4 Statistics", "IPv4-Statistik"
    )
    text = text.replace("Receive Errors", "Empfangsfehler")
    p = tmp_path / "netstat_de.txt"
    p.write_text(text)
    res = _read(p)
    assert any(
        "netstat -s in a language hbtriage has no labels" in w and "Empfangsfehler" in w
        for w in res.warnings
    )


def _bundle(tmp_path: Path, fixture: str, first: str, second: str) -> Path:
    truth = generate("network_path", tmp_path, seed=SEED)
    assert truth["incidents"][0]["start"] == "2013-01-23T12:35:55.864Z"
    text = (FIXTURES / fixture).read_text()
    text = text.replace("Sun 12/06/2026  9:31:02.45", first).replace(
        "Sun 12/06/2026  9:52:40.11", second
    )
    (tmp_path / "CVP3" / "netstat_s.txt").write_text(text)
    return tmp_path


def test_a_rise_between_snapshots_around_the_loss_is_nic_errors(tmp_path: Path) -> None:
    f = analyze(
        [
            _bundle(
                tmp_path,
                "netstat_s_before_after.txt",
                "Wed 01/23/2013  7:25:02.45",
                "Wed 01/23/2013  7:46:40.11",
            )
        ]
    )
    (inc,) = f.incidents
    top = inc.causes[0]
    assert (top.id, top.host) == ("nic_errors", "CVP3"), [(c.id, c.host) for c in inc.causes]
    said = "\n".join(top.evidence)
    assert "UDPv4(netstat -s)\\Datagrams Received Errors rose by 37 between the snapshots" in said
    assert "22 min apart" in said


def test_snapshots_that_do_not_bracket_the_loss_say_nothing_of_it(tmp_path: Path) -> None:
    f = analyze(
        [
            _bundle(
                tmp_path,
                "netstat_s_before_after.txt",
                "Wed 01/23/2013  8:25:02.45",
                "Wed 01/23/2013  8:46:40.11",
            )
        ]
    )
    assert [c.id for c in f.incidents[0].causes][:1] == ["network_path"]


def test_one_snapshot_is_no_evidence(tmp_path: Path) -> None:
    generate("network_path", tmp_path, seed=SEED)
    shutil.copyfile(FIXTURES / "netstat_s_once.txt", tmp_path / "CVP3" / "netstat_s.txt")
    f = analyze([tmp_path])
    assert [c.id for c in f.incidents[0].causes][:1] == ["network_path"]
    (inp,) = [i for i in f.inputs if i.path.endswith("netstat_s.txt")]
    assert "no evidence of the incident" in inp.note


# --- properties -------------------------------------------------------------------------------

_COUNT = st.integers(min_value=0, max_value=2**40)


def _windows(udp: int, resets: int, stamp: str) -> str:
    return (
        f"{stamp}\r\n\r\nTCP Statistics for IPv4\r\n\r\n  Active Opens                        = 5\r\n"
        f"  Reset Connections                   = {resets}\r\n"
        f"  Segments Retransmitted              = 9\r\n\r\nUDP Statistics for IPv4\r\n\r\n"
        f"  Datagrams Received    = 100\r\n  No Ports              = 1\r\n"
        f"  Receive Errors        = {udp}\r\n  Datagrams Sent        = 80\r\n"
    )


def _snmp(udp: int, resets: int, stamp: str) -> str:
    return (
        f"{stamp}\nTcp: RtoAlgorithm EstabResets RetransSegs\nTcp: 1 {resets} 9\n"
        f"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors\nUdp: 100 1 {udp} 80 0\n"
    )


def _linux_netstat(udp: int, resets: int, stamp: str) -> str:
    return (
        f"{stamp}\nTcp:\n    5 active connection openings\n    {resets} connection resets received\n"
        f"    9 segments retransmitted\nUdp:\n    100 packets received\n    {udp} packet receive errors\n"
        f"    0 receive buffer errors\n"
    )


def _nstat(udp: int, resets: int, stamp: str) -> str:
    return f"{stamp}\n#kernel\nTcpEstabResets {resets} 0.0\nUdpInErrors {udp} 0.0\n"


@pytest.mark.parametrize("render", [_windows, _snmp, _linux_netstat, _nstat])
@settings(max_examples=25, deadline=None)
@given(a=_COUNT, b=_COUNT, r=_COUNT)
def test_two_timed_snapshots_give_their_rise(
    render, a: int, b: int, r: int, tmp_path_factory
) -> None:  # type: ignore[no-untyped-def]
    lo, hi = min(a, b), max(a, b)
    text = render(lo, r, "2013-05-09 10:20:01") + "\n" + render(hi, r, "2013-05-09 10:41:01")
    p = tmp_path_factory.mktemp("nc") / "snap.txt"
    p.write_bytes(text.encode())
    res = _read(p)
    ct = res.counters
    udp = ct.filter(ct["counter"].cast(str) == "Datagrams Received Errors")["value"].to_list()
    assert udp == [float(lo), float(hi)]
    if hi > lo:
        assert f"Datagrams Received Errors +{hi - lo:,}" in res.note
    else:
        assert "Datagrams Received Errors +" not in res.note


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_line_is_a_time_or_not_never_an_error(line: str) -> None:
    parse_time(line)


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(
        st.sampled_from(
            [
                "Udp: InDatagrams NoPorts InErrors",
                "Udp: 1 2 3",
                "NIC statistics:",
                "     rx_missed_errors: 4",
                "#kernel",
                "UdpInErrors 5 0.0",
                "Udp:",
                "    7 packet receive errors",
                "UDP Statistics for IPv4",
                "  Receive Errors        = 9",
                "2013-05-09 10:20:01",
                "2: eth0: <UP> mtu 1500",
                "    RX:  bytes packets errors dropped  missed   mcast",
                "    1 2 3 4 5 6",
                "",
                "garbage = x",
                "ReceivedDiscardedPackets : 3",
                "Name : Ethernet",
            ]
        ),
        min_size=1,
        max_size=40,
    )
)
def test_any_mix_of_lines_reads_or_says_what_it_expected(
    lines: list[str], tmp_path_factory
) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path_factory.mktemp("nc") / "mix.txt"
    p.write_text("Udp: InDatagrams NoPorts InErrors\nUdp: 1 2 3\n" + "\n".join(lines) + "\n")
    from hbtriage.sources.net_counters import READER

    res = READER.read(InputFile(display=str(p), path=str(p), size=p.stat().st_size), "utf-8")
    assert res.kind == "net_counters" and res.note


@pytest.mark.parametrize("year", [1969, 2263, 7013, 9999])
def test_a_time_line_no_log_can_have_is_no_time(year: int) -> None:
    """A snapshot's time line in a year no log's time can have (past 2262 no nanosecond time
    holds it) is no time: the fuzz bench's '7013' stopped the file with polars' internal
    conversion error."""
    from hbtriage.sources.net_counters import parse_time

    assert parse_time(f"Thu 05/09/{year} 10:20:01.00") is None
    assert parse_time(f"{year}-05-09T10:20:01+09:00") is None
    assert parse_time("Thu 05/09/2013 10:20:01.00") is not None
