"""The watch probe: detection logic on a fake clock, and a real pair on loopback."""

from __future__ import annotations

import asyncio
import socket
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hbtriage.live.probe import Probe, parse_addr, parse_interval, run_watch
from hbtriage.sources.watch_log import parse_fields


def _free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (other test runs may be going on)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def wall(self) -> datetime:
        return datetime(2026, 11, 27, tzinfo=UTC) + timedelta(seconds=self.t - 1000.0)


def _hb(session: str, seq: int) -> bytes:
    return f"HB1 hb {session} boot1 {seq} 0 peerhost".encode()


def _records(path: Path) -> list[tuple[str, str, dict[str, str]]]:
    """The records of one file (``watch-<host>.log``: outages; ``.rx.log``: hb_rx, rejected)."""
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        ts, _host, event, *rest = line.split(" ", 3)
        out.append((ts, event, parse_fields(rest[0] if rest else "")))
    return out


def test_silence_then_recovery_then_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    probe = Probe(("192.0.2.1", 7000), ("192.0.2.2", 7000), 0.2, tmp_path, "a",
                  clock=clock, wall=clock.wall)  # fmt: skip
    replies: list[bytes] = []
    for seq in range(1, 21):  # 4 s of healthy heartbeats
        probe.on_message("udp", _hb("s1", seq), replies.append)
        probe.check()
        clock.t += 0.2
    assert len(replies) == 20 and replies[0].startswith(b"HB1 ack ")
    for _ in range(50):  # 5 s of silence, checked every 0.1 s
        clock.t += 0.1
        probe.check()
    probe.on_message("udp", _hb("s1", 46), replies.append)  # 25 heartbeats lost on the way
    probe.flush_rx()
    clock.t += 0.2  # a restarted peer speaks no sooner than an interval after its last heartbeat
    probe.on_message("udp", _hb("s2", 1), replies.append)  # the peer restarted
    probe.close_files()
    recs = _records(tmp_path / "watch-a.log")
    stream = _records(tmp_path / "watch-a.rx.log")
    events = [e for _, e, _ in recs]
    missed = [f for _, e, f in recs if e == "hb_missed"]
    assert missed[0]["seq"] == "21" and missed[0]["count"] == "1"
    # 5.2 s of silence = 25 heartbeats due, one interval of grace; lines at most 1/s, so the
    # last second may not be reported yet when the next heartbeat arrives
    assert 20 <= sum(int(f["count"]) for f in missed) <= 25
    assert len(missed) <= 7  # aggregated: at most one line a second after the first
    raised = [f for _, e, f in recs if e == "suspicion_raised"]
    assert len(raised) == 1 and raised[0]["proto"] == "udp" and raised[0]["last_seq"] == "20"
    assert 0.6 <= float(raised[0]["silent_s"]) <= 1.2  # phi crosses 8 after ~1 s at 0.2 s
    cleared = [f for _, e, f in recs if e == "suspicion_cleared"]
    assert cleared[0]["silent_s"] == "5.2" and float(cleared[0]["phi_max"]) > 8
    assert "hb_rx" not in events  # the heartbeat stream has its own file
    rx = [f for _, e, f in stream if e == "hb_rx"][-1]
    assert rx["lost"] == "25" and rx["seq"] == "46"
    restarted = [f for _, e, f in recs if e == "peer_restarted"]
    assert restarted == [
        {"proto": "udp", "peer": "192.0.2.2:7000", "old_session": "s1", "session": "s2"}
    ]
    assert events.index("suspicion_raised") < events.index("suspicion_cleared")


def test_goodbye_silences_the_alarm(tmp_path: Path) -> None:
    clock = FakeClock()
    probe = Probe(("192.0.2.1", 7000), ("192.0.2.2", 7000), 0.2, tmp_path, "a",
                  clock=clock, wall=clock.wall)  # fmt: skip
    for seq in range(1, 11):
        probe.on_message("tcp", _hb("s1", seq), lambda _m: None)
        clock.t += 0.2
    probe.on_message("udp", b"HB1 bye s1 boot1 0 0 peerhost", lambda _m: None)
    for _ in range(50):
        clock.t += 0.1
        probe.check()
    probe.close_files()
    assert [e for _, e, _ in _records(tmp_path / "watch-a.log")] == ["peer_stopped"]
    assert [e for _, e, _ in _records(tmp_path / "watch-a.rx.log")] == ["hb_rx"]  # the last second


@pytest.mark.parametrize(
    ("text", "expected"),
    [("192.0.2.1:7000", ("192.0.2.1", 7000)), (":7000", ("0.0.0.0", 7000)),
     ("[2001:db8::1]:9", ("2001:db8::1", 9))],
)  # fmt: skip
def test_parse_addr(text: str, expected: tuple[str, int]) -> None:
    assert parse_addr(text) == expected


def test_parse_interval() -> None:
    assert parse_interval("1s") == 1.0 and parse_interval("200ms") == 0.2
    assert parse_interval("0.05") == 0.05
    with pytest.raises(ValueError):
        parse_interval("fast")
    with pytest.raises(ValueError):
        parse_addr("nohost", default_host=None)


@pytest.mark.timeout(60)
def test_pair_on_loopback_with_metrics(tmp_path: Path) -> None:
    pa, pb, pm = _free_port(), _free_port(), _free_port()

    async def scenario() -> tuple[object, object, str]:
        stop_a, stop_b = asyncio.Event(), asyncio.Event()
        a = asyncio.create_task(run_watch(f"127.0.0.1:{pa}", f"127.0.0.1:{pb}", 0.05,
                                          tmp_path / "a", "a", stop=stop_a, metrics_port=pm,
                                          install_signals=False))  # fmt: skip
        b = asyncio.create_task(run_watch(f"127.0.0.1:{pb}", f"127.0.0.1:{pa}", 0.05,
                                          tmp_path / "b", "b", stop=stop_b, counters=False,
                                          install_signals=False))  # fmt: skip
        await asyncio.sleep(2.5)
        body = await asyncio.to_thread(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{pm}/metrics", timeout=5).read()
        )
        stop_a.set()
        sa = await a
        await asyncio.sleep(0.3)
        stop_b.set()
        sb = await b
        return sa, sb, body.decode()

    sa, sb, metrics = asyncio.run(scenario())
    assert sa.received["udp"] >= 30 and sa.received["tcp"] >= 30  # type: ignore[attr-defined]
    assert 'hbtriage_watch_peer_up{proto="udp"} 1.0' in metrics
    assert "hbtriage_watch_heartbeats_received_total" in metrics
    rec_a = _records(tmp_path / "a" / "watch-a.log")
    rec_b = _records(tmp_path / "b" / "watch-b.log")
    said = ["started", "unauthenticated"]  # no key: said once
    assert [e for _, e, _ in rec_a] == [*said, "stopped"]
    assert [e for _, e, _ in rec_b] == [*said, "peer_stopped", "stopped"]
    assert rec_a[0][2]["auth"] == "none" and rec_a[-1][2]["rejected"] == "0"
    stream_a = _records(tmp_path / "a" / "watch-a.rx.log")
    assert {e for _, e, _ in stream_a} == {"hb_rx"}
    rtts = [float(f["rtt_ms"]) for _, e, f in stream_a if e == "hb_rx" and "rtt_ms" in f]
    assert rtts and max(rtts) < 100
    assert (tmp_path / "a" / "counters-a.csv").exists()
    assert not (tmp_path / "b" / "counters-b.csv").exists()


@pytest.mark.timeout(60)
def test_dying_peer_accepting_then_resetting_is_one_outage(tmp_path: Path) -> None:
    """A killed peer's kernel can still accept a connection and reset it: that is one more
    failed attempt of the same outage, not a reconnect followed by a second disconnect."""
    pa, pb = _free_port(), _free_port()
    mode = {"live": True}
    conns: set[asyncio.StreamWriter] = set()

    async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not mode["live"]:
            writer.close()  # accepted, then gone before a word
            return
        conns.add(writer)
        try:
            while line := await reader.readline():
                parts = line.decode().split()
                if len(parts) == 7 and parts[1] == "hb":
                    writer.write(f"HB1 ack fake1 boot1 {parts[4]} {parts[5]} fake\n".encode())
        except ConnectionError:
            pass
        finally:
            conns.discard(writer)
            writer.close()

    async def scenario() -> None:
        server = await asyncio.start_server(peer, "127.0.0.1", pb, reuse_address=True)
        stop = asyncio.Event()
        a = asyncio.create_task(run_watch(f"127.0.0.1:{pa}", f"127.0.0.1:{pb}", 0.05,
                                          tmp_path / "a", "a", stop=stop, counters=False,
                                          install_signals=False))  # fmt: skip
        await asyncio.sleep(1.0)
        mode["live"] = False
        for w in list(conns):
            w.close()
        await asyncio.sleep(1.5)
        mode["live"] = True
        await asyncio.sleep(1.5)
        stop.set()
        await a
        server.close()

    asyncio.run(scenario())
    events = [e for _, e, _ in _records(tmp_path / "a" / "watch-a.log")]
    assert events.count("tcp_disconnect") == 1, events
    assert events.count("tcp_reconnect") == 1, events
    reconnect = [f for _, e, f in _records(tmp_path / "a" / "watch-a.log") if e == "tcp_reconnect"]
    assert int(reconnect[0]["attempts"]) >= 2  # the accepted-and-reset tries were counted
    assert float(reconnect[0]["down_s"]) >= 1.0
