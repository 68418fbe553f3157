"""The watch probe when someone else talks to it, when it cannot start, and on Windows.

Each test states what a user sees: records in the two watch files, the exit code and the
lines on stderr. Messages are built here from the documented wire format (not with the
probe's own encoder), so the format itself is under test too. Addresses: 192.0.2.2:7000 is
the peer, anything else (198.51.100.0/24, 203.0.113.0/24, other ports) is an impostor.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import hashlib
import hmac
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil  # imported under the real platform, before a test pretends to be Windows
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_live_probe import FakeClock, _free_port  # the same fake clock and free port

from hbtriage.cli import main as cli_main
from hbtriage.live.probe import Probe, _cli, _UdpProtocol, run_watch
from hbtriage.sources import sniff
from hbtriage.sources.base import InputFile
from hbtriage.sources.watch_log import READER, parse_fields

ME = ("192.0.2.1", 7000)
PEER = ("192.0.2.2", 7000)
KEY = b"0123456789abcdef0123456789abcdef"
OTHER_KEY = b"fedcba9876543210fedcba9876543210"
INTERVAL = 0.2

assert psutil.boot_time() > 0


def _msg(
    kind: str,
    session: str,
    seq: int | str,
    t_ns: int | str = 0,
    *,
    key: bytes | None = None,
    proto: str = "udp",
) -> bytes:
    """``HB1 <type> <session> <boot> <seq> <t_ns> <host> [<mac>]``; the MAC is HMAC-SHA256 of
    ``<transport>|`` and the first seven fields."""
    body = f"HB1 {kind} {session} boot1 {seq} {t_ns} peerhost"
    if key is not None:
        body += " " + hmac.new(key, f"{proto}|{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode()


def _probe(tmp_path: Path, clock: FakeClock, key: bytes | None = None, **kw: Any) -> Probe:
    if key is not None:
        kw["key"] = key
    return Probe(ME, PEER, INTERVAL, tmp_path, "a", clock=clock, wall=clock.wall, **kw)


def _udp(probe: Probe, data: bytes, src: tuple[str, int] = PEER) -> None:
    """A datagram as the socket hands it over."""
    _UdpProtocol(probe).datagram_received(data, src)


def _each_second(probe: Probe) -> None:
    """What run_watch does once a second (probes before the rx file had flush_rx only)."""
    getattr(probe, "flush", probe.flush_rx)()


def _done(probe: Probe) -> None:
    """Stop as close() does for the files: the pending rejection summary, then close them."""
    getattr(probe, "flush_rejected", lambda force: None)(force=True)
    getattr(probe, "close_files", probe.log.close)()


def _records(path: Path) -> list[tuple[str, dict[str, str]]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        _ts, _host, event, *rest = line.split(" ", 3)
        out.append((event, parse_fields(rest[0] if rest else "")))
    return out


def _files(folder: Path, host: str = "a") -> tuple[list[tuple[str, dict[str, str]]], ...]:
    """(outage log, heartbeat stream) records."""
    return _records(folder / f"watch-{host}.log"), _records(folder / f"watch-{host}.rx.log")


def _of(records: list[tuple[str, dict[str, str]]], event: str) -> list[dict[str, str]]:
    return [f for e, f in records if e == event]


def _reasons(stream: list[tuple[str, dict[str, str]]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in _of(stream, "rejected"):
        for item in f["reasons"].split(","):
            reason, _, n = item.rpartition(":")
            out[reason] = out.get(reason, 0) + int(n)
    return out


def _healthy(probe: Probe, clock: FakeClock, seqs: range, *, key: bytes | None = None) -> None:
    for seq in seqs:
        _udp(probe, _msg("hb", "s1", seq, key=key))
        for _ in range(2):
            probe.check()
            clock.t += INTERVAL / 2
        if seq % 5 == 0:
            _each_second(probe)


def test_datagrams_from_another_sender_cannot_hide_an_outage(tmp_path: Path) -> None:
    """While the peer is frozen for 6 s, made-up sessions from another port and another host
    arrive: the outage is still recorded, nobody is taken for a restarted peer."""
    clock = FakeClock()
    probe = _probe(tmp_path, clock)
    _healthy(probe, clock, range(1, 21))
    _udp(probe, _msg("hb", "s1", 21))
    # the same address and port as the peer, while the peer is alive: a second sender
    _udp(probe, _msg("hb", "intruder0", 1))
    for step in range(60):  # the peer is frozen: 6 s, checked every 0.1 s
        _udp(probe, _msg("hb", f"fake{step}", 1), src=("192.0.2.2", 7001))
        _udp(probe, _msg("hb", f"other{step}", 1), src=("203.0.113.9", 7000))
        clock.t += 0.1
        probe.check()
        if step % 10 == 9:
            _each_second(probe)
    _udp(probe, _msg("hb", "s1", 52))  # the peer is back
    _each_second(probe)
    _done(probe)
    log, stream = _files(tmp_path)
    assert _of(log, "peer_restarted") == []
    missed = _of(log, "hb_missed")
    assert sum(int(f["count"]) for f in missed) >= 25
    raised = _of(log, "suspicion_raised")
    assert [f["proto"] for f in raised] == ["udp"]
    cleared = _of(log, "suspicion_cleared")
    assert [f["proto"] for f in cleared] == ["udp"] and float(cleared[0]["silent_s"]) >= 6
    assert _of(log + stream, "hb_rx")[-1]["lost"] == "30"
    assert _reasons(stream) == {"session_flap": 1, "addr": 120}
    assert len(_of(stream, "rejected")) <= 2  # summaries, never a record per datagram
    senders: dict[str, int] = {}
    for f in _of(stream, "rejected"):
        for item in f["top"].split(","):
            who, _, n = item.rpartition("*")
            senders[who] = senders.get(who, 0) + int(n)
    assert senders == {"192.0.2.2:7000": 1, "192.0.2.2:7001": 60, "203.0.113.9:7000": 60}


def test_goodbye_from_another_sender_is_not_believed(tmp_path: Path) -> None:
    clock = FakeClock()
    probe = _probe(tmp_path, clock)
    _healthy(probe, clock, range(1, 11))
    _udp(probe, _msg("bye", "s1", 0), src=("198.51.100.7", 7000))
    _udp(probe, _msg("bye", "s1", 0), src=("192.0.2.2", 7001))
    for _ in range(30):
        clock.t += 0.1
        probe.check()
    _each_second(probe)
    _done(probe)
    log, stream = _files(tmp_path)
    assert _of(log, "peer_stopped") == []
    assert _of(log, "suspicion_raised") and _of(log, "hb_missed")
    assert _reasons(stream) == {"addr": 2}


def test_a_signed_probe_takes_restarts_and_goodbyes_only_when_signed(tmp_path: Path) -> None:
    clock = FakeClock()
    probe = _probe(tmp_path, clock, key=KEY)
    _healthy(probe, clock, range(1, 11), key=KEY)
    # from the peer's own address, but not signed with the key: no restart, no goodbye
    _udp(probe, _msg("hb", "spoof1", 1))
    _udp(probe, _msg("hb", "spoof2", 1, key=OTHER_KEY))
    _udp(probe, _msg("hb", "spoof3", 1, key=KEY, proto="tcp"))  # signed for the other transport
    _udp(probe, _msg("bye", "s1", 10))
    _udp(probe, _msg("bye", "s1", 3, key=KEY))  # a goodbye older than the last heartbeat
    for _ in range(20):  # the peer is silent for 2 s: the outage is recorded
        clock.t += 0.1
        probe.check()
    _udp(probe, _msg("hb", "s2", 1, key=KEY))  # the peer really restarted
    _udp(probe, _msg("hb", "s1", 11, key=KEY))  # its old session replayed
    _udp(probe, _msg("hb", "s2", 2, key=KEY))
    _udp(probe, _msg("bye", "s2", 2, key=KEY))  # and now it really stops
    _udp(probe, _msg("hb", "s2", 3, key=KEY))  # replayed after the goodbye: ignored
    for _ in range(20):
        clock.t += 0.1
        probe.check()
    _done(probe)
    log, stream = _files(tmp_path)
    events = [e for e, _ in log if e != "hb_missed"]
    assert events == ["suspicion_raised", "suspicion_cleared", "peer_restarted", "peer_stopped"]
    assert _of(log, "peer_restarted")[0]["old_session"] == "s1"
    assert _of(log, "peer_restarted")[0]["session"] == "s2"
    assert _reasons(stream) == {"unsigned": 2, "bad_mac": 2, "old_seq": 1, "old_session": 1}


def test_huge_sequence_numbers_are_not_loss(tmp_path: Path) -> None:
    clock = FakeClock()
    probe = _probe(tmp_path, clock)
    _healthy(probe, clock, range(1, 61))
    _udp(probe, _msg("hb", "s1", 999_999_999_999))
    _udp(probe, _msg("hb", "s1", "9" * 400))
    _udp(probe, _msg("hb", "s1", 61, "9" * 30))
    _udp(probe, _msg("hb", "s1", 61))
    _each_second(probe)
    _done(probe)
    log, stream = _files(tmp_path)
    rx = _of(log + stream, "hb_rx")
    assert rx and all(f["lost"] == "0" for f in rx), rx
    assert rx[-1]["seq"] == "61"
    assert _reasons(stream) == {"seq_jump": 1, "number": 2}
    assert _of(log, "hb_missed") == []


class _Wire:
    """Stands in for the UDP socket: keeps what the probe sends."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def is_closing(self) -> bool:
        return False

    def sendto(self, data: bytes, _addr: Any = None) -> None:
        self.sent.append(data)


def test_forged_acks_give_no_round_trip_time(tmp_path: Path) -> None:
    clock = FakeClock()
    probe = _probe(tmp_path, clock)
    wire = _Wire()
    probe.udp = wire  # type: ignore[assignment]
    _udp(probe, _msg("hb", "s1", 1))
    wire.sent.clear()
    probe.send_heartbeats()
    probe.send_heartbeats()
    _, _, _, _, seq, t_ns, *_ = wire.sent[-1].decode().split()
    # an ack for a heartbeat sent "50 minutes ago", one for a heartbeat never sent, a real one
    then = max(time.monotonic_ns() - 3_000 * 10**9, 1)
    _udp(probe, _msg("ack", "s1", 1, then))
    _udp(probe, _msg("ack", "s1", 77, t_ns))
    _udp(probe, _msg("ack", "s1", seq, t_ns))
    _udp(probe, _msg("ack", "s1", seq, t_ns))  # the same ack again
    _each_second(probe)
    _done(probe)
    log, stream = _files(tmp_path)
    udp = [f for f in _of(log + stream, "hb_rx") if f["proto"] == "udp"]
    assert udp and float(udp[-1]["rtt_max_ms"]) < 60_000, udp
    assert _reasons(stream) == {"unknown_ack": 3}


def test_a_flood_cannot_rotate_the_outage_out(tmp_path: Path) -> None:
    """The adversary's flood: 54,432 made-up sessions in 10 s while the peer is silent, with
    a small disk budget. The outage is still in what analyze reads; the flood is a few lines."""
    clock = FakeClock()
    probe = _probe(tmp_path, clock, max_bytes=20_000, backups=2)
    _healthy(probe, clock, range(1, 16))
    n = 0
    for step in range(100):  # 10 s
        for i in range(544 if step < 99 else 576):
            port = 20000 + (n % 40000)  # never the peer's own port
            src = ("198.51.100.7", port) if i % 2 else ("192.0.2.2", port)
            _udp(probe, _msg("hb", f"made{n}", 1), src=src)
            n += 1
        clock.t += 0.1
        probe.check()
        if step % 10 == 9:
            _each_second(probe)
    assert n == 54_432
    _udp(probe, _msg("hb", "s1", 66))
    _each_second(probe)
    _done(probe)

    files = sorted(tmp_path.glob("watch-a*"))
    assert sum(p.stat().st_size for p in files) < 20_000
    events: list[str] = []
    for path in files:
        item = InputFile(display=path.name, path=str(path))
        reader, _enc, _note = sniff(item)
        assert reader is READER, path.name
        res = READER.read(item, "utf-8")
        assert res.events is not None and not res.warnings
        events += res.events.get_column("message").str.extract(r"^(\S+)").to_list()
    assert {"hb_missed", "suspicion_raised", "suspicion_cleared"} <= set(events)
    assert "peer_restarted" not in events
    _, stream = _files(tmp_path)
    rejected = _of(stream, "rejected")
    assert sum(int(f["count"]) for f in rejected) == 54_432
    assert len(rejected) <= 3  # one at once, then at most one per 10 s
    assert rejected[0]["senders"] == "16+"  # distinct senders tracked are capped
    assert len(events) < 100


@pytest.mark.timeout(30)
def test_tcp_from_another_address_is_closed_without_an_answer(tmp_path: Path) -> None:
    port = _free_port()

    async def scenario() -> bytes:
        probe = Probe(("127.0.0.1", port), PEER, INTERVAL, tmp_path, "a")
        await probe.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_msg("hb", "s1", 1) + b"\n")
        await writer.drain()
        try:
            data = await asyncio.wait_for(reader.read(), timeout=3)
        except ConnectionResetError:  # closed with our heartbeat unread: a reset
            data = b""
        except TimeoutError:
            data = b"(kept open)"
        writer.close()
        await probe.close("test")
        return data

    assert asyncio.run(scenario()) == b""
    log, stream = _files(tmp_path)
    assert _reasons(stream) == {"addr": 1}
    assert _of(stream, "rejected")[0]["top"].startswith("127.0.0.1:")
    assert _of(stream, "hb_rx") == []


def _fake_peer(first_ack: Callable[[str, str], bytes] | None = None) -> Any:
    """A TCP peer that acks every heartbeat (the first one with ``first_ack`` if given)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        special = first_ack
        try:
            while line := await reader.readline():
                parts = line.decode().split()
                if len(parts) >= 7 and parts[1] == "hb":
                    if special is not None:
                        writer.write(special(parts[4], parts[5]) + b"\n")
                        special = None
                    writer.write(_msg("ack", "peer1", parts[4], parts[5], proto="tcp") + b"\n")
        except ConnectionError:
            pass
        finally:
            writer.close()

    return handle


def _run_against(
    tmp_path: Path, handler: Any, seconds: float = 1.5
) -> tuple[Any, list[tuple[str, dict[str, str]]], list[tuple[str, dict[str, str]]]]:
    pa, pb = _free_port(), _free_port()

    async def scenario() -> Any:
        server = await asyncio.start_server(handler, "127.0.0.1", pb)
        try:
            return await run_watch(f"127.0.0.1:{pa}", f"127.0.0.1:{pb}", 0.05, tmp_path, "a",
                                   counters=False, install_signals=False,
                                   duration=seconds)  # fmt: skip
        finally:
            server.close()

    summary = asyncio.run(scenario())
    log, stream = _files(tmp_path)
    return summary, log, stream


@pytest.mark.timeout(60)
def test_an_ack_with_a_400_digit_number_does_not_stop_tcp(tmp_path: Path) -> None:
    huge = _fake_peer(lambda seq, _t: _msg("ack", "peer1", seq, "9" * 400, proto="tcp"))
    summary, log, stream = _run_against(tmp_path, huge)
    # acks were read until the end: round-trip times in the second after the start and at the stop
    tcp = [f for f in _of(log + stream, "hb_rx") if f["proto"] == "tcp" and "rtt_ms" in f]
    assert len(tcp) >= 2 and max(float(f["rtt_max_ms"]) for f in tcp) < 1000, tcp
    assert summary.sent["tcp"] >= 15
    assert _reasons(stream).get("number") == 1
    assert _of(log, "tcp_client_error") == []


@pytest.mark.timeout(60)
def test_the_tcp_client_logs_any_error_and_reconnects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = asyncio.open_connection
    calls = {"n": 0}

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("injected\x1b[2J fault")
        return await real(*args, **kwargs)

    monkeypatch.setattr(asyncio, "open_connection", flaky)
    summary, log, _stream = _run_against(tmp_path, _fake_peer())
    (err,) = _of(log, "tcp_client_error")
    assert err["error"] == "RuntimeError" and err["detail"] == "injected?[2J_fault"
    assert summary.sent["tcp"] >= 10 and calls["n"] >= 2


@pytest.mark.timeout(60)
def test_keys_that_differ_are_rejected_and_the_same_key_works(tmp_path: Path) -> None:
    ports = [_free_port() for _ in range(4)]

    async def pair(i: int, key_a: bytes, key_b: bytes) -> tuple[Any, Any]:
        pa, pb = ports[2 * i], ports[2 * i + 1]
        out = tmp_path / f"pair{i}"
        kw: dict[str, Any] = {"counters": False, "install_signals": False, "duration": 1.5}
        return await asyncio.gather(
            run_watch(f"127.0.0.1:{pa}", f"127.0.0.1:{pb}", 0.05, out, "a", key=key_a, **kw),
            run_watch(f"127.0.0.1:{pb}", f"127.0.0.1:{pa}", 0.05, out, "b", key=key_b, **kw),
        )

    async def both() -> list[tuple[Any, Any]]:
        return list(await asyncio.gather(pair(0, KEY, KEY), pair(1, KEY, OTHER_KEY)))

    (same_a, same_b), (diff_a, diff_b) = asyncio.run(both())
    for host in ("a", "b"):
        log, stream = _files(tmp_path / "pair0", host)
        assert _of(log, "started")[0]["auth"] == "hmac-sha256"
        assert _of(log, "unauthenticated") == []
        assert _of(stream, "rejected") == [] and _of(log, "hb_missed") == []
        assert sum(int(f["n"]) for f in _of(stream, "hb_rx")) >= 40
    ids = {_of(_files(tmp_path / "pair1", h)[0], "started")[0]["key_id"] for h in "ab"}
    assert len(ids) == 2  # the log shows that the keys differ
    for summary, host in ((diff_a, "a"), (diff_b, "b")):
        log, stream = _files(tmp_path / "pair1", host)
        assert summary.received == {"udp": 0, "tcp": 0}
        assert _reasons(stream).get("bad_mac", 0) >= 20
        assert _of(log, "stopped")[0]["rejected"] != "0"
    assert same_a.received["udp"] >= 20 and same_b.received["tcp"] >= 20


@pytest.fixture
def argv(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    def set_argv(*args: str) -> None:
        monkeypatch.setattr(sys, "argv", ["hbtriage", *args])

    monkeypatch.delenv("HBTRIAGE_WATCH_KEY", raising=False)
    yield set_argv


@pytest.mark.timeout(30)
@pytest.mark.parametrize("busy", ["tcp", "udp", "metrics"])
def test_a_busy_port_is_one_line_and_exit_2(
    tmp_path: Path, busy: str, argv: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    port, other, listen = _free_port(), _free_port(), _free_port()
    kind = socket.SOCK_DGRAM if busy == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as holder:
        holder.bind(("127.0.0.1", port))
        if kind == socket.SOCK_STREAM:
            holder.listen()
        args = ["--listen", f"127.0.0.1:{port if busy != 'metrics' else listen}",
                "--peer", f"127.0.0.1:{other}", "--out", str(tmp_path)]  # fmt: skip
        if busy == "metrics":
            args += ["--metrics-port", str(port)]
        argv("watch", *args)
        with pytest.raises(SystemExit) as exc:
            cli_main()
        err = capsys.readouterr().err
        assert exc.value.code == 2
        if busy == "metrics":
            expected = f"cannot serve --metrics-port on 127.0.0.1:{port}: address already in use"
        else:
            expected = f"cannot listen on 127.0.0.1:{port} ({busy.upper()}): address already in use"
        assert err == f"hbtriage: error: {expected}\n"
        if busy == "tcp":  # the module entry the namespace tests and the soak bench run
            assert _cli(args) == 2
            assert capsys.readouterr().err == f"hbtriage watch: error: {expected}\n"


def test_a_key_file_that_cannot_be_used_is_one_line_and_exit_2(
    tmp_path: Path, argv: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    short = tmp_path / "short.key"
    short.write_text("secret\n")
    # A log named by mistake was taken whole as the key (and /dev/zero was read until the
    # memory ran out).
    log = tmp_path / "pim1.log"
    log.write_text("19:56:33:206 pg3A-pim1 Trace: VRU heartbeat confirm received\n" * 20_000)
    for key_file, expected in (
        (tmp_path / "missing.key", "cannot read --key-file"),
        (short, "has 6 bytes; at least 16 are needed"),
        (log, f"cannot read --key-file {log}: more than 65,536 bytes (expected a key of a few"),
    ):
        argv("watch", "--listen", "127.0.0.1:7000", "--peer", "192.0.2.2:7000",
             "--out", str(tmp_path), "--key-file", str(key_file), "--duration", "1")  # fmt: skip
        with pytest.raises(SystemExit) as exc:
            cli_main()
        err = capsys.readouterr().err
        assert exc.value.code == 2 and err.count("\n") == 1 and expected in err, err


def _wait_for(path: Path, text: str, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.timeout(60)
def test_watch_runs_on_the_windows_code_path(
    tmp_path: Path,
    argv: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As on Windows: no os.uname, no loop.add_signal_handler (Ctrl+C through signal.signal),
    no /proc, the psutil counters. The host name comes from socket.gethostname()."""
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delattr(os, "uname", raising=False)
    monkeypatch.setattr(socket, "gethostname", lambda: "WINSRV01.corp.example")
    monkeypatch.setenv("HBTRIAGE_WATCH_KEY", KEY.decode())
    pa, pb = _free_port(), _free_port()

    # the other end, in its own thread and loop
    peer_loop: dict[str, Any] = {}

    async def other_end() -> None:
        peer_loop["loop"] = asyncio.get_running_loop()
        peer_loop["stop"] = stop = asyncio.Event()
        await run_watch(f"127.0.0.1:{pb}", f"127.0.0.1:{pa}", 0.05, tmp_path / "b", "peer",
                        counters=False, install_signals=False, stop=stop, key=KEY)  # fmt: skip

    peer = threading.Thread(target=asyncio.run, args=(other_end(),), daemon=True)
    peer.start()
    log = tmp_path / "a" / "watch-WINSRV01.log"
    stream = tmp_path / "a" / "watch-WINSRV01.rx.log"

    def press_ctrl_c() -> None:  # once heartbeats flow (or 10 s after the start), only once
        if _wait_for(log, " started "):
            _wait_for(stream, "proto=tcp", timeout=10)
            if "stopped" not in log.read_text():
                os.kill(os.getpid(), signal.SIGINT)

    ctrl_c = threading.Thread(target=press_ctrl_c, daemon=True)
    ctrl_c.start()
    before = signal.getsignal(signal.SIGINT)
    argv("watch", "--listen", f"127.0.0.1:{pa}", "--peer", f"127.0.0.1:{pb}",
         "--interval", "50ms", "--out", str(tmp_path / "a"))  # fmt: skip
    try:
        with pytest.raises(SystemExit) as exc:
            cli_main()
    finally:
        ctrl_c.join(timeout=20)
        if "loop" in peer_loop:
            with contextlib.suppress(RuntimeError):  # its loop may be gone already
                peer_loop["loop"].call_soon_threadsafe(peer_loop["stop"].set)
        peer.join(timeout=20)
    err = capsys.readouterr().err
    assert exc.value.code == 0, err
    assert signal.getsignal(signal.SIGINT) is before  # the handler was put back
    assert "signed with key" in err and "records in" in err
    records = _records(log)
    started, stopped = _of(records, "started")[0], _of(records, "stopped")[0]
    assert stopped["reason"] == "SIGINT"
    assert started["boot"].startswith("t")  # the boot time from psutil, not /proc
    assert int(stopped["rx_udp"]) > 0 and int(stopped["rx_tcp"]) > 0
    assert {line.split(" ")[1] for line in log.read_text().splitlines()[1:]} == {"WINSRV01"}
    counters = (tmp_path / "a" / "counters-WINSRV01.csv").read_text()
    assert counters.startswith('"(PDH-CSV 4.0)') and "WINSRV01" in counters


def test_on_windows_the_listening_port_is_not_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SO_REUSEADDR lets another program bind the same port on Windows: not set there."""
    port = _free_port()

    async def options() -> list[int]:
        probe = Probe(("127.0.0.1", port), PEER, INTERVAL, tmp_path, "w")
        await probe.start()
        assert probe._server is not None
        opts = [s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) for s in probe._server.sockets]
        await probe.close("test")
        return opts

    monkeypatch.setattr(sys, "platform", "win32")
    assert asyncio.run(options()) == [0]


def test_restarts_an_impostor_can_provoke_are_rate_limited(tmp_path: Path) -> None:
    """Unsigned, a sender that fakes the peer's address and port can still change sessions
    (the log said so at start); it cannot fill the outage log: 10 records a minute, then a
    count."""
    clock = FakeClock()
    probe = _probe(tmp_path, clock)
    for n in range(30):  # a new session every 2 s for a minute
        _udp(probe, _msg("hb", f"s{n}", 1))
        clock.t += 2.0
        _each_second(probe)
    clock.t += 60
    _each_second(probe)
    _done(probe)
    log, _ = _files(tmp_path)
    assert len(_of(log, "peer_restarted")) == 10
    assert _of(log, "records_suppressed") == [
        {"record": "peer_restarted", "count": "19", "limit_per_min": "10"}
    ]


def test_a_long_silence_is_summarised_more_sparsely(tmp_path: Path) -> None:
    clock = FakeClock()
    probe = _probe(tmp_path, clock)
    _healthy(probe, clock, range(1, 11))
    for _ in range(1400):  # 700 s without a heartbeat, checked every 0.5 s
        clock.t += 0.5
        probe.check()
    _done(probe)
    missed = _of(_files(tmp_path)[0], "hb_missed")
    # once a second for a minute, every 10 s to ten minutes, then once a minute
    assert 110 <= len(missed) <= 125
    assert sum(int(f["count"]) for f in missed) >= (640 - 0.25) / INTERVAL


def test_load_key_from_a_file_or_the_environment(tmp_path: Path) -> None:
    from hbtriage.live.probe import WatchError, key_id, load_key

    text = KEY.decode()
    plain, utf16 = tmp_path / "plain.key", tmp_path / "ps.key"
    plain.write_text(text + "\n")
    plain.chmod(0o600)
    utf16.write_bytes(codecs.BOM_UTF16_LE + (text + "\r\n").encode("utf-16-le"))  # PowerShell >
    utf16.chmod(0o644)
    assert load_key(plain, {}) == (KEY, f"file {plain}", [])
    key, _src, warnings = load_key(utf16, {})
    assert key == KEY and warnings and "can be read by other users" in warnings[0]
    assert load_key(None, {"HBTRIAGE_WATCH_KEY": f" {text} "})[0] == KEY
    assert load_key(None, {"HBTRIAGE_WATCH_KEY": ""}) == (None, "none", [])
    assert key_id(KEY) == key_id(KEY) != key_id(OTHER_KEY)
    with pytest.raises(WatchError, match="at least 16"):
        load_key(None, {"HBTRIAGE_WATCH_KEY": "short"})


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=600),
        st.lists(
            st.one_of(
                st.sampled_from(["HB1", "hb", "ack", "bye", "s1", "boot1", "peerhost", "-1"]),
                st.integers(min_value=-(10**30), max_value=10**30).map(str),
                st.text(max_size=20),
            ),
            min_size=6,
            max_size=9,
        ).map(lambda parts: " ".join(parts).encode("utf-8", "replace")),
    ),
    signed=st.booleans(),
)
def test_any_message_is_handled_without_an_error(tmp_path: Path, data: bytes, signed: bool) -> None:
    clock = FakeClock()
    probe = _probe(tmp_path / "fuzz", clock, key=KEY if signed else None)
    _udp(probe, _msg("hb", "s1", 1, key=KEY if signed else None))
    _udp(probe, data)
    probe.on_message("tcp", data, lambda _m: None, ("192.0.2.2", 40000))
    probe.check()
    probe.flush()
    _done(probe)
    assert not any(r.startswith("error") for r in probe.rejected_total), probe.rejected_total
    events = {e for e, _ in _records(tmp_path / "fuzz" / "watch-a.log")}
    assert events <= {"peer_restarted", "peer_stopped", "hb_missed", "suspicion_raised"}


def test_a_host_name_with_control_characters_is_one_line_and_exit_2(
    tmp_path: Path, argv: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    """``--host`` names the files and the counters' columns: a newline in it broke the
    counters CSV header, and its ESC reached the terminal raw in the summary line."""
    out = tmp_path / "w"
    argv("watch", "--listen", "127.0.0.1:7000", "--peer", "192.0.2.2:7000",
         "--out", str(out), "--host", "PG1A\n\x1b[2J", "--duration", "1")  # fmt: skip
    with pytest.raises(SystemExit) as exc:
        cli_main()
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err == (
        "hbtriage: error: --host PG1A\\n\\x1b[2J: expected a host name, without spaces,"
        ' control characters or any of \\ / : * ? " < > |\n'
    )
    assert not out.exists()


@pytest.mark.parametrize("victim", ["counters-", "watch-"])
def test_a_full_disk_stops_the_watch_with_one_line_naming_the_file(
    tmp_path: Path,
    argv: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    victim: str,
) -> None:
    """The disk fills after the first line of a file: the watch used to print ``hbtriage sampler:
    [Errno 28] No space left on device`` every second and run on, or end with ``unexpected
    OSError ... (please report this)``. Now it stops and says which file, in one line."""
    import errno

    from hbtriage.live import sampler

    real = sampler.RotatingFile._write
    lines: dict[Path, int] = {}

    def filling(self: sampler.RotatingFile, line: str) -> None:
        lines[self.path] = lines.get(self.path, 0) + 1
        if self.path.name.startswith(victim) and lines[self.path] > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(self, line)

    monkeypatch.setattr(sampler.RotatingFile, "_write", filling)
    out = tmp_path / "w"
    port = _free_port()
    argv("watch", "--listen", f"127.0.0.1:{port}", "--peer", f"127.0.0.1:{_free_port()}",
         "--out", str(out), "--interval", "100ms", "--duration", "20")  # fmt: skip
    started = time.monotonic()
    with pytest.raises(SystemExit) as exc:
        cli_main()
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert time.monotonic() - started < 15  # (it stopped, not at the end of --duration)
    full = [p for p in lines if p.name.startswith(victim) and lines[p] > 1]
    what = "counters" if victim == "counters-" else "the watch log"
    assert err.splitlines()[-1] in [
        f"hbtriage: error: cannot write {what} in {p}: no space left on device" for p in full
    ]
    assert "Errno" not in err and "sampler" not in err
