"""``hbtriage watch``: a heartbeat probe pair that records what the path between two hosts does.

Run it on both ends (``--listen`` = this end, ``--peer`` = the other end). Each end

* sends a heartbeat every ``interval`` over UDP and over TCP (its own outbound connection),
* answers the peer's heartbeats with acks (the sender measures the round-trip time),
* tracks the peer's heartbeats per transport with a phi accrual detector (:mod:`.phi`),
* notices a peer restart (the random session id inside every heartbeat changes),
* reconnects TCP with exponential backoff when the connection breaks or goes silent,
* records everything to ``<out>/watch-<host>.log`` (format: :mod:`hbtriage.sources.watch_log`,
  rotated, bounded) and, unless disabled, counters to ``<out>/counters-<host>.csv``
  (:mod:`.sampler`),
* stops cleanly on SIGINT/SIGTERM: says goodbye to the peer (which then logs ``peer_stopped``
  instead of raising an alarm), writes ``stopped`` and flushes.

Wire format (ASCII, one message per UDP datagram or per TCP line)::

    HB1 <type> <session> <boot> <seq> <t_ns> <host>

``type`` is ``hb`` (heartbeat), ``ack`` (echoes seq and t_ns of the heartbeat) or ``bye``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import secrets
import signal
import socket
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hbtriage.live.phi import PhiAccrualDetector, PhiParams
from hbtriage.live.sampler import CounterRecorder, RotatingFile
from hbtriage.sources.watch_log import format_record, header_line

PROTOS = ("udp", "tcp")
_MAGIC = "HB1"
_MAX_MSG = 512
MISS_GRACE_S = 0.25  # a heartbeat is "missed" once it is max(interval, this) late


def parse_addr(text: str, *, default_host: str | None = "0.0.0.0") -> tuple[str, int]:
    """``"192.0.2.1:7000"``, ``"[2001:db8::1]:7000"``, ``":7000"`` -> (host, port)."""
    m = re.fullmatch(r"\[(?P<h6>[^\]]+)\]:(?P<p6>\d+)|(?P<h>[^:]*):(?P<p>\d+)", text.strip())
    if not m:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    host = m.group("h6") or m.group("h") or ""
    port = int(m.group("p6") or m.group("p"))
    if not host:
        if default_host is None:
            raise ValueError(f"a host is needed in {text!r}")
        host = default_host
    if not 0 < port < 65536:
        raise ValueError(f"port out of range in {text!r}")
    return host, port


def parse_interval(text: str | float) -> float:
    """``"1s"``, ``"200ms"``, ``"0.2"`` -> seconds."""
    if isinstance(text, int | float):
        value = float(text)
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s)?\s*", text)
        if not m:
            raise ValueError(f"expected an interval like 1s or 200ms, got {text!r}")
        value = float(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)
    if not 0.01 <= value <= 60:
        raise ValueError("interval must be between 10ms and 60s")
    return value


def boot_id() -> str:
    """Identifier of this boot of the machine (Linux boot_id, else the boot time)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")[:12]
    except OSError:
        try:
            import psutil

            return f"t{int(psutil.boot_time())}"
        except Exception:  # pragma: no cover - psutil is a dependency
            return "unknown"


@dataclass
class ProtoState:
    """What one end knows about the peer's heartbeats on one transport."""

    detector: PhiAccrualDetector
    last_seq: int | None = None
    last_rx: float | None = None
    rx: int = 0  # heartbeats received since the last hb_rx line
    lost: int = 0  # sequence numbers skipped since the last hb_rx line
    rtts_ms: deque[float] = field(default_factory=lambda: deque(maxlen=4096))
    missed_reported: int = 0
    last_missed_log: float = 0.0
    suspected: bool = False
    phi_max: float = 0.0
    peer_stopped: bool = False
    sent: int = 0
    received_total: int = 0

    def forget(self) -> None:
        self.detector.reset()
        self.last_seq = None
        self.last_rx = None
        self.missed_reported = 0
        self.suspected = False
        self.phi_max = 0.0


@dataclass
class WatchSummary:
    """Totals returned by :func:`run_watch` when it stops."""

    host: str
    session: str
    records: int
    sent: dict[str, int]
    received: dict[str, int]
    log_path: Path
    counters_path: Path | None


class _Metrics:
    """Prometheus gauges/counters when prometheus-client is installed (optional)."""

    def __init__(self, port: int, addr: str) -> None:
        try:
            import prometheus_client as pc
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise RuntimeError(
                "--metrics-port needs prometheus-client (pip install prometheus-client)"
            ) from exc
        reg = pc.CollectorRegistry()
        self.phi = pc.Gauge("hbtriage_watch_phi", "phi suspicion level", ["proto"], registry=reg)
        self.rtt = pc.Gauge(
            "hbtriage_watch_rtt_ms", "last round-trip time", ["proto"], registry=reg
        )
        self.rx = pc.Counter("hbtriage_watch_heartbeats_received", "", ["proto"], registry=reg)
        self.missed = pc.Counter("hbtriage_watch_heartbeats_missed", "", ["proto"], registry=reg)
        self.up = pc.Gauge(
            "hbtriage_watch_peer_up", "1 when not suspected", ["proto"], registry=reg
        )
        pc.start_http_server(port, addr=addr, registry=reg)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, probe: Probe) -> None:
        self.probe = probe

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.probe.on_message("udp", data, reply=lambda msg: self.probe.udp_send(msg, addr))

    def error_received(self, exc: Exception) -> None:  # ICMP unreachable etc.: keep going
        pass


class Probe:
    """One end of the heartbeat pair. Use :func:`run_watch`; this class holds its state."""

    def __init__(
        self,
        listen: tuple[str, int],
        peer: tuple[str, int],
        interval: float,
        out_dir: Path,
        host: str,
        *,
        phi: PhiParams | None = None,
        max_bytes: int = 5_000_000,
        backups: int = 5,
        dead_after: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] | None = None,
    ) -> None:
        self.listen = listen
        self.peer = peer
        self.peer_text = f"{peer[0]}:{peer[1]}" if ":" not in peer[0] else f"[{peer[0]}]:{peer[1]}"
        self.interval = interval
        self.host = host
        self.session = secrets.token_hex(6)
        self.boot = boot_id()
        self.phi_params = phi or PhiParams(
            min_std_dev_s=max(0.1, interval / 4),
            acceptable_pause_s=interval,
            first_interval_s=interval,
        )
        self.dead_after = dead_after if dead_after is not None else max(2.0, 10 * interval)
        self.clock = clock
        self.wall = wall or (lambda: datetime.now(UTC))
        self.log = RotatingFile(
            Path(out_dir) / f"watch-{host}.log", max_bytes, backups, header_line(host)
        )
        self.records = 0
        self.states = {p: ProtoState(PhiAccrualDetector(self.phi_params)) for p in PROTOS}
        self.seq = dict.fromkeys(PROTOS, 0)
        self.peer_session: str | None = None
        self.udp: asyncio.DatagramTransport | None = None
        self.tcp_writer: asyncio.StreamWriter | None = None
        self.stop = asyncio.Event()
        self.metrics: _Metrics | None = None
        self._server: asyncio.Server | None = None
        self._inbound: set[asyncio.StreamWriter] = set()

    # -- recording -------------------------------------------------------------------------
    def emit(self, event: str, **fields: object) -> None:
        self.log.write_line(format_record(self.wall(), self.host, event, fields))
        self.records += 1

    # -- messages --------------------------------------------------------------------------
    def _msg(self, kind: str, seq: int = 0, t_ns: int = 0) -> bytes:
        return f"{_MAGIC} {kind} {self.session} {self.boot} {seq} {t_ns} {self.host}".encode()

    def udp_send(self, data: bytes, addr: Any = None) -> None:
        if self.udp is not None and not self.udp.is_closing():
            with contextlib.suppress(OSError):
                self.udp.sendto(data, addr or self.peer)

    def on_message(self, proto: str, data: bytes, reply: Callable[[bytes], None]) -> None:
        parts = data[:_MAX_MSG].decode("ascii", "replace").split()
        if len(parts) != 7 or parts[0] != _MAGIC:
            return
        _, kind, session, _boot, seq_s, t_s, _host = parts
        try:
            seq, t_ns = int(seq_s), int(t_s)
        except ValueError:
            return
        if session == self.session:
            return  # our own heartbeat looped back (peer address = our address)
        now = self.clock()
        if kind == "bye":
            self._on_bye(proto, session)
            return
        self._check_session(proto, session, now)
        st = self.states[proto]
        if kind == "ack":
            rtt_ms = (time.monotonic_ns() - t_ns) / 1e6
            if 0 <= rtt_ms < 3_600_000:
                st.rtts_ms.append(rtt_ms)
                if self.metrics:
                    self.metrics.rtt.labels(proto).set(rtt_ms)
            return
        if kind != "hb":
            return
        reply(self._msg("ack", seq, t_ns))
        self._on_heartbeat(proto, st, seq, now)

    def _check_session(self, proto: str, session: str, now: float) -> None:
        if self.peer_session is None:
            self.peer_session = session
            return
        if session == self.peer_session:
            return
        old = self.peer_session
        self.peer_session = session
        self.flush_rx()
        for p, st in self.states.items():
            if st.suspected:
                self.emit(
                    "suspicion_cleared",
                    proto=p,
                    peer=self.peer_text,
                    reason="peer_restarted",
                    silent_s=round(now - st.last_rx, 3) if st.last_rx else 0,
                )
            st.forget()
            st.peer_stopped = False
        self.emit(
            "peer_restarted", proto=proto, peer=self.peer_text, old_session=old, session=session
        )

    def _on_bye(self, proto: str, session: str) -> None:
        if session != self.peer_session or all(s.peer_stopped for s in self.states.values()):
            return
        self.flush_rx()
        for p, st in self.states.items():
            if st.suspected:
                self.emit("suspicion_cleared", proto=p, peer=self.peer_text, reason="peer_stopped")
            st.forget()
            st.peer_stopped = True
        self.emit("peer_stopped", proto=proto, peer=self.peer_text, session=session)

    def _on_heartbeat(self, proto: str, st: ProtoState, seq: int, now: float) -> None:
        st.peer_stopped = False
        if st.last_seq is not None and seq > st.last_seq + 1:
            st.lost += seq - st.last_seq - 1
        if st.suspected and st.last_rx is not None:
            self.emit(
                "suspicion_cleared",
                proto=proto,
                peer=self.peer_text,
                seq=seq,
                silent_s=round(now - st.last_rx, 3),
                phi_max=round(st.phi_max, 1),
            )
            st.suspected = False
        st.phi_max = 0.0
        st.missed_reported = 0
        if st.last_seq is None or seq > st.last_seq:
            st.last_seq = seq
        st.last_rx = now
        st.detector.heartbeat(now)
        st.rx += 1
        st.received_total += 1
        if self.metrics:
            self.metrics.rx.labels(proto).inc()
            self.metrics.up.labels(proto).set(1)

    # -- periodic work ---------------------------------------------------------------------
    def check(self) -> None:
        """Missed heartbeats and suspicion, per transport (called every half interval)."""
        now = self.clock()
        for proto, st in self.states.items():
            if st.last_rx is None or st.peer_stopped:
                continue
            silent = now - st.last_rx
            phi = st.detector.phi(now)
            st.phi_max = max(st.phi_max, phi)
            if self.metrics:
                self.metrics.phi.labels(proto).set(phi)
            # Heartbeat k after the last one is due at last_rx + k*interval; it counts as
            # missed once it is a whole interval (and at least MISS_GRACE_S) late, so that
            # scheduling jitter at very short intervals is not reported as loss.
            grace = max(self.interval, MISS_GRACE_S)
            missed = max(int((silent - grace) / self.interval), 0)
            if missed > st.missed_reported and (
                st.missed_reported == 0 or now - st.last_missed_log >= 1.0
            ):
                first = (st.last_seq or 0) + st.missed_reported + 1
                self.emit(
                    "hb_missed",
                    proto=proto,
                    peer=self.peer_text,
                    seq=first,
                    count=missed - st.missed_reported,
                    silent_s=round(silent, 3),
                    phi=round(phi, 1),
                )
                if self.metrics:
                    self.metrics.missed.labels(proto).inc(missed - st.missed_reported)
                st.missed_reported = missed
                st.last_missed_log = now
            if not st.suspected and phi >= self.phi_params.threshold:
                st.suspected = True
                self.emit(
                    "suspicion_raised",
                    proto=proto,
                    peer=self.peer_text,
                    phi=round(phi, 1),
                    silent_s=round(silent, 3),
                    last_seq=st.last_seq if st.last_seq is not None else "-",
                )
                if self.metrics:
                    self.metrics.up.labels(proto).set(0)

    def flush_rx(self) -> None:
        """One ``hb_rx`` line per transport per second, with round-trip times."""
        for proto, st in self.states.items():
            if st.rx == 0 and not st.rtts_ms:
                continue
            fields: dict[str, object] = {"proto": proto, "peer": self.peer_text, "n": st.rx}
            fields["lost"] = st.lost
            fields["seq"] = st.last_seq if st.last_seq is not None else "-"
            if st.rtts_ms:
                fields["rtt_ms"] = round(statistics.median(st.rtts_ms), 3)
                fields["rtt_max_ms"] = round(max(st.rtts_ms), 3)
            self.emit("hb_rx", **fields)
            st.rx = st.lost = 0
            st.rtts_ms.clear()

    def send_heartbeats(self) -> None:
        t_ns = time.monotonic_ns()
        self.seq["udp"] += 1
        self.udp_send(self._msg("hb", self.seq["udp"], t_ns))
        self.states["udp"].sent += 1
        w = self.tcp_writer
        # A stalled path must not grow memory: drop heartbeats while the buffer is full.
        if w is not None and not w.is_closing() and w.transport.get_write_buffer_size() < 64 * 1024:
            self.seq["tcp"] += 1
            w.write(self._msg("hb", self.seq["tcp"], t_ns) + b"\n")
            self.states["tcp"].sent += 1

    async def _every(self, period: float, fn: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not self.stop.is_set():
            fn()
            next_at += period
            delay = next_at - loop.time()
            if delay < -period:  # the loop was frozen: do not burst to catch up
                next_at = loop.time()
                delay = 0.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=max(delay, 0.0))

    # -- TCP -------------------------------------------------------------------------------
    async def _read_lines(
        self,
        proto: str,
        reader: asyncio.StreamReader,
        reply: Any,
        on_first: Callable[[], None] | None = None,
    ) -> str:
        while not self.stop.is_set():
            try:
                line = await asyncio.wait_for(reader.readline(), timeout=self.dead_after)
            except TimeoutError:
                return "silent"
            except (ConnectionError, OSError) as exc:
                return type(exc).__name__
            except (asyncio.LimitOverrunError, ValueError):
                return "garbage"
            if not line:
                return "eof"
            if on_first is not None:
                on_first()
                on_first = None
            self.on_message(proto, line.strip(), reply)
        return "stopping"

    async def _tcp_client(self) -> None:
        loop = asyncio.get_running_loop()
        base = min(max(self.interval, 0.1), 1.0)
        # Back off up to five heartbeat intervals (at most 5 s): a peer that comes back is
        # reconnected within a few heartbeats, and a dead one costs one connect per interval.
        cap = min(max(5 * self.interval, 1.0), 5.0)
        backoff = base
        attempts = 0
        connected_once = False
        down_since: float | None = None

        async def failed_attempt() -> None:
            nonlocal attempts, backoff
            attempts += 1
            delay = backoff * random.uniform(0.8, 1.2)
            backoff = min(backoff * 2, cap)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=delay)

        while not self.stop.is_set():
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(*self.peer),
                    timeout=max(1.0, 5 * self.interval),
                )
            except (OSError, TimeoutError):
                await failed_attempt()
                continue
            # A connection counts once the peer has answered on it: a dying peer's kernel can
            # still accept a connection and then reset it, which is one more failed attempt, not
            # a reconnect followed by a second disconnect.
            heard = False

            def confirmed() -> None:
                nonlocal heard, connected_once, attempts, backoff, down_since
                heard = True
                if connected_once and down_since is not None:
                    self.emit(
                        "tcp_reconnect",
                        peer=self.peer_text,
                        attempts=attempts + 1,
                        down_s=round(loop.time() - down_since, 3),
                    )
                connected_once = True
                down_since = None
                attempts = 0
                backoff = base

            self.tcp_writer = writer
            reason = await self._read_lines("tcp", reader, lambda _m: None, confirmed)
            self.tcp_writer = None
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), timeout=1.0)
            if self.stop.is_set():
                break
            if all(s.peer_stopped for s in self.states.values()):
                # The peer said goodbye: its next connection is a fresh start, not a reconnect.
                connected_once = False
                down_since = None
                continue
            if not heard:
                await failed_attempt()
                continue
            down_since = loop.time()
            self.emit("tcp_disconnect", peer=self.peer_text, reason=reason)

    async def _tcp_inbound(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._inbound.add(writer)

        def reply(msg: bytes) -> None:
            if not writer.is_closing() and writer.transport.get_write_buffer_size() < 64 * 1024:
                writer.write(msg + b"\n")

        try:
            await self._read_lines("tcp", reader, reply)
        except asyncio.CancelledError:
            pass  # shutting down: asyncio cancels connection handlers last
        finally:
            self._inbound.discard(writer)
            writer.close()

    # -- life cycle ------------------------------------------------------------------------
    async def start(self, metrics_port: int | None = None) -> None:
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in self.listen[0] else socket.AF_INET
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(self), local_addr=self.listen, family=family
        )
        self.udp = transport
        self._server = await asyncio.start_server(
            self._tcp_inbound, self.listen[0], self.listen[1], reuse_address=True
        )
        if metrics_port is not None:
            self.metrics = _Metrics(metrics_port, "127.0.0.1")
        p = self.phi_params
        self.emit(
            "started",
            listen=f"{self.listen[0]}:{self.listen[1]}",
            peer=self.peer_text,
            interval_s=self.interval,
            session=self.session,
            boot=self.boot,
            pid=os.getpid(),
            phi_threshold=p.threshold,
            phi_window=p.window,
            min_std_dev_s=p.min_std_dev_s,
            acceptable_pause_s=p.acceptable_pause_s,
        )

    async def say_goodbye(self) -> None:
        bye = self._msg("bye")
        for _ in range(3):
            self.udp_send(bye)
        await asyncio.sleep(0.05)  # let the UDP goodbye arrive before the TCP connections close
        for w in [self.tcp_writer, *self._inbound]:
            if w is not None and not w.is_closing():
                with contextlib.suppress(Exception):
                    w.write(bye + b"\n")
                    await asyncio.wait_for(w.drain(), timeout=0.3)

    async def close(self, reason: str) -> None:
        await self.say_goodbye()
        if self._server is not None:
            self._server.close()
        for w in list(self._inbound):
            w.close()
        if self.tcp_writer is not None:
            self.tcp_writer.close()
        if self.udp is not None:
            self.udp.close()
        self.emit(
            "stopped",
            reason=reason,
            sent_udp=self.states["udp"].sent,
            sent_tcp=self.states["tcp"].sent,
            rx_udp=self.states["udp"].received_total,
            rx_tcp=self.states["tcp"].received_total,
        )
        self.log.close()


async def run_watch(
    listen: str,
    peer: str,
    interval: float,
    out_dir: Path,
    host: str | None = None,
    *,
    counters: bool = True,
    counter_interval: float = 1.0,
    metrics_port: int | None = None,
    max_bytes: int = 5_000_000,
    backups: int = 5,
    phi: PhiParams | None = None,
    duration: float | None = None,
    stop: asyncio.Event | None = None,
    install_signals: bool = True,
) -> WatchSummary:
    """Run one end of the heartbeat pair until SIGINT/SIGTERM, ``stop`` is set or ``duration``.

    ``listen``/``peer`` are ``HOST:PORT`` (``:PORT`` listens on every address); ``interval`` in
    seconds; ``host`` defaults to this machine's name. Files go to ``out_dir``:
    ``watch-<host>.log`` (+ ``.1`` … ``.<backups>``) and, with ``counters``,
    ``counters-<host>.csv`` sampled every ``counter_interval`` seconds. Each file is at most
    ``max_bytes``. Raises ``OSError`` when the listen address cannot be bound.
    """
    host = host or socket.gethostname().split(".")[0] or "localhost"
    out_dir = Path(out_dir)
    probe = Probe(
        parse_addr(listen),
        parse_addr(peer, default_host=None),
        interval,
        out_dir,
        host,
        phi=phi,
        max_bytes=max_bytes,
        backups=backups,
    )
    if stop is not None:
        probe.stop = stop
    loop = asyncio.get_running_loop()
    reason = {"why": "duration" if duration else "stop"}

    def on_signal(name: str) -> None:
        reason["why"] = name
        probe.stop.set()

    installed: list[signal.Signals] = []
    if install_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, on_signal, sig.name)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not main thread
                with contextlib.suppress(ValueError):
                    signal.signal(
                        sig,
                        lambda s, _f: loop.call_soon_threadsafe(on_signal, signal.Signals(s).name),
                    )
    recorder: CounterRecorder | None = None
    try:
        await probe.start(metrics_port)
    except BaseException:
        probe.log.close()
        raise
    tasks = [
        asyncio.create_task(probe._every(interval, probe.send_heartbeats)),
        asyncio.create_task(probe._every(max(interval / 2, 0.02), probe.check)),
        asyncio.create_task(probe._every(1.0, probe.flush_rx)),
        asyncio.create_task(probe._tcp_client()),
    ]
    if counters:
        recorder = CounterRecorder(out_dir, host, max_bytes=max_bytes, backups=backups)
        tasks.append(asyncio.create_task(recorder.run(counter_interval, probe.stop)))
    try:
        if duration is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(probe.stop.wait(), timeout=duration)
        else:
            await probe.stop.wait()
    except asyncio.CancelledError:
        reason["why"] = "cancelled"
    finally:
        probe.stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await probe.close(reason["why"])
        if recorder is not None:
            recorder.close()
        for sig in installed:
            loop.remove_signal_handler(sig)
    return WatchSummary(
        host=host,
        session=probe.session,
        records=probe.records,
        sent={p: s.sent for p, s in probe.states.items()},
        received={p: s.received_total for p, s in probe.states.items()},
        log_path=probe.log.path,
        counters_path=recorder.file.path if recorder else None,
    )


def main_watch(
    listen: str,
    peer: str,
    interval: str | float = 1.0,
    out_dir: Path | str = Path("hbtriage-watch"),
    host: str | None = None,
    *,
    counters: bool = True,
    metrics_port: int | None = None,
    max_bytes: int = 5_000_000,
    backups: int = 5,
    duration: float | None = None,
) -> int:
    """Blocking entry for the CLI: runs :func:`run_watch`, returns the exit code (0 = clean stop).

    Raises ``ValueError`` for a bad address or interval (the CLI turns it into a usage error).
    """
    seconds = parse_interval(interval)
    parse_addr(listen)
    parse_addr(peer, default_host=None)
    summary = asyncio.run(
        run_watch(
            listen,
            peer,
            seconds,
            Path(out_dir),
            host,
            counters=counters,
            metrics_port=metrics_port,
            max_bytes=max_bytes,
            backups=backups,
            duration=duration,
        )
    )
    print(
        f"hbtriage watch: {summary.records} records in {summary.log_path}"
        + (f", counters in {summary.counters_path}" if summary.counters_path else ""),
        file=sys.stderr,
    )
    return 0


def _cli(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hbtriage.live.probe", description=__doc__)
    ap.add_argument("--listen", required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--interval", default="1s")
    ap.add_argument("--out", default="hbtriage-watch")
    ap.add_argument("--host")
    ap.add_argument("--duration", type=float)
    ap.add_argument("--no-counters", action="store_true")
    ap.add_argument("--metrics-port", type=int)
    ap.add_argument("--max-bytes", type=int, default=5_000_000)
    ap.add_argument("--backups", type=int, default=5)
    a = ap.parse_args(argv)
    try:
        return main_watch(
            a.listen,
            a.peer,
            a.interval,
            Path(a.out),
            a.host,
            counters=not a.no_counters,
            metrics_port=a.metrics_port,
            max_bytes=a.max_bytes,
            backups=a.backups,
            duration=a.duration,
        )
    except ValueError as exc:
        print(f"hbtriage watch: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(_cli())
