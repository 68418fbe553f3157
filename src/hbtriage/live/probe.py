"""``hbtriage watch``: a heartbeat probe pair that records what the path between two hosts does.

Run it on both ends (``--listen`` = this end, ``--peer`` = the other end). Each end

* sends a heartbeat every ``interval`` over UDP and over TCP (its own outbound connection),
* answers the peer's heartbeats with acks (the sender measures the round-trip time),
* tracks the peer's heartbeats per transport with a phi accrual detector (:mod:`.phi`),
* notices a peer restart (the random session id inside every heartbeat changes),
* reconnects TCP with exponential backoff when the connection breaks or goes silent,
* records outages and its own life cycle to ``<out>/watch-<host>.log`` and the once-a-second
  heartbeat stream (``hb_rx``) and summaries of rejected messages to
  ``<out>/watch-<host>.rx.log`` (format: :mod:`hbtriage.sources.watch_log`; each rotated and
  bounded on its own, so no amount of traffic can rotate an outage record out), and, unless
  disabled, counters to ``<out>/counters-<host>.csv`` (:mod:`.sampler`),
* stops cleanly on SIGINT/SIGTERM (SIGBREAK on Windows, SIGHUP elsewhere unless ignored): says
  goodbye to the peer (which then logs ``peer_stopped`` instead of raising an alarm), writes
  ``stopped`` and flushes.

Wire format (ASCII, one message per UDP datagram or per TCP line)::

    HB1 <type> <session> <boot> <seq> <t_ns> <host> [<mac>]

``type`` is ``hb`` (heartbeat), ``ack`` (echoes seq and t_ns of the heartbeat) or ``bye``
(carries the sender's latest seq on that transport). ``seq`` and ``t_ns`` are decimal numbers
below 2**63. With a shared key (``--key-file`` or the ``HBTRIAGE_WATCH_KEY`` environment
variable) ``mac`` is the lowercase hex HMAC-SHA256, under the key, of ``<transport>|`` (``udp|``
or ``tcp|``) followed by the first seven fields joined by single spaces; a keyed end drops
every message without a valid one. Without a key the seven-field form is sent (what earlier
versions send and accept) and the log says once that messages are unauthenticated.

What a message must pass before it counts (anything else is counted, never logged one by one,
and summarised in one ``rejected`` record at most every :data:`REJECT_SUMMARY_S` seconds):
the sender's address is the peer's (UDP: address and port of ``--peer``; TCP: its address;
``--peer`` is resolved once, at start), the format and number bounds hold, the MAC is valid
(with a key), a heartbeat's seq is above the last one and not implausibly far ahead, an ack
matches a heartbeat this end really sent, and (unsigned only) a new session (a restart) comes
at least one interval after the old one fell silent. A goodbye must name the current session;
signed, it must also carry a seq no lower than the last heartbeat's, and a session the peer left
(restart or goodbye) is never taken back.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import contextlib
import functools
import hashlib
import hmac
import ipaddress
import os
import platform
import random
import re
import secrets
import signal
import socket
import statistics
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hbtriage.errors import HbtriageError
from hbtriage.live.phi import PhiAccrualDetector, PhiParams
from hbtriage.live.sampler import CounterRecorder, RotatingFile
from hbtriage.sources.watch_log import format_record, header_line
from hbtriage.warning_text import render, warn

PROTOS = ("udp", "tcp")
_MAGIC = "HB1"
_MAX_MSG = 512
_LINE_LIMIT = 4096  # a TCP line longer than this ends the connection
MISS_GRACE_S = 0.25  # a heartbeat is "missed" once it is max(interval, this) late
KEY_ENV = "HBTRIAGE_WATCH_KEY"
MIN_KEY_BYTES = 16
MAX_NUMBER = 2**63 - 1
#: A summary of rejected messages is written at most this often (the first one at once).
REJECT_SUMMARY_S = 10.0
#: peer_restarted / peer_stopped / error records per event and minute; the rest are counted.
EVENT_LIMIT_PER_MIN = 10
#: Records that go to the heartbeat stream file (``watch-<host>.rx.log``), not the outage log.
STREAM_EVENTS = frozenset({"hb_rx", "rejected"})
_MAX_SOURCES = 16  # distinct senders tracked per rejection summary
_MAX_INBOUND = 8  # inbound TCP connections from the peer kept at once
_MAX_BAD_LINES = 64  # rejected lines in a row before a TCP connection is dropped
_SENT_KEPT = 1024  # heartbeats per transport remembered for matching acks
_BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")

_KINDS = frozenset({"hb", "ack", "bye"})
_ID_RE = re.compile(r"[A-Za-z0-9_.\-]{1,40}")
_HOST_RE = re.compile(r"[\x21-\x7e]{1,255}")
_NUM_RE = re.compile(r"[0-9]{1,19}")
_MAC_RE = re.compile(r"[0-9a-f]{64}")
_IGNORED = ""  # a verdict: drop the message without counting it as rejected


class WatchError(HbtriageError):
    """``watch`` cannot start or run as asked (port in use, bad key, unknown peer)."""


def is_windows() -> bool:
    """True on Windows (read at call time, so tests can take the Windows path anywhere)."""
    return sys.platform == "win32"


def default_host_name() -> str:
    """This machine's short name (no ``os.uname``: Windows does not have it)."""
    name = socket.gethostname() or platform.node()
    short = name.split(".")[0] if name and not name[0].isdigit() else name
    return short or "localhost"


def _wire_token(text: str, limit: int = 64) -> str:
    return re.sub(r"[^\x21-\x7e]", "_", text)[:limit] or "-"


#: What a host name (``--host``) may not hold: white space, control characters, and what a
#: file name or a perfmon counter path cannot.
_HOST_UNFIT = re.compile(r'[\\/:*?"<>|\s\x00-\x1f\x7f-\x9f]')


def _file_token(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s\x00-\x1f\x7f]', "_", text).lstrip(".") or "host"


def _printable(text: object, limit: int = 120) -> str:
    """Text from outside (exception messages, addresses) safe for one log value."""
    return re.sub(r"[^\x20-\x7e]", "?", str(text))[:limit] or "-"


def parse_addr(text: str, *, default_host: str | None = "0.0.0.0") -> tuple[str, int]:
    """``"192.0.2.1:7000"``, ``"[2001:db8::1]:7000"``, ``":7000"`` -> (host, port)."""
    m = re.fullmatch(
        r"\[(?P<h6>[^\]]+)\]:(?P<p6>\d{1,5})|(?P<h>[^:]*):(?P<p>\d{1,5})", text.strip()
    )
    if not m:
        raise ValueError(warn("watch_addr_expected", text=text))
    host = m.group("h6") or m.group("h") or ""
    port = int(m.group("p6") or m.group("p"))
    if not host:
        if default_host is None:
            raise ValueError(warn("watch_addr_no_host", text=text))
        host = default_host
    if not 0 < port < 65536:
        raise ValueError(warn("watch_port_range", text=text))
    return host, port


def parse_interval(text: str | float) -> float:
    """``"1s"``, ``"200ms"``, ``"0.2"`` -> seconds."""
    if isinstance(text, int | float):
        value = float(text)
    else:
        m = re.fullmatch(r"\s*([0-9]{1,9}\.?[0-9]{0,9}|\.[0-9]{1,9})\s*(ms|s)?\s*", text)
        if not m:
            raise ValueError(warn("watch_interval_expected", text=text))
        value = float(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)
    if not 0.01 <= value <= 60:
        raise ValueError(warn("watch_interval_range"))
    return value


@functools.lru_cache(maxsize=4096)
def norm_ip(text: str) -> str:
    """An address as the checks compare it: no IPv6 scope, IPv4-mapped IPv6 as IPv4."""
    text = text.split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def _fmt_addr(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def resolve_peer(host: str, port: int, family: int) -> tuple[tuple[str, int], frozenset[str]]:
    """The address to send to (of ``family``) and every address the peer may send from.

    Resolved once, at start. Raises :class:`WatchError` when the name does not resolve.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise WatchError(warn("watch_peer_unresolved", host=host, why=why)) from None
    ips = [norm_ip(str(info[4][0])) for info in infos]
    same = [str(info[4][0]) for info in infos if info[0] == family]
    if not same:
        kind = "IPv6" if family == socket.AF_INET6 else "IPv4"
        raise WatchError(warn("watch_peer_family", host=host, kind=kind))
    return (same[0], port), frozenset(ips)


# -- keys and messages ---------------------------------------------------------------------
def load_key(
    key_file: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[bytes | None, str, list[str]]:
    """The shared key: from ``key_file`` if given, else ``$HBTRIAGE_WATCH_KEY`` (empty = unset).

    Returns (key or None, where it came from, warnings). Leading and trailing whitespace is not
    part of the key. Raises :class:`WatchError` for an unreadable file or a key shorter than
    :data:`MIN_KEY_BYTES` bytes.
    """
    env = os.environ if environ is None else environ
    warnings: list[str] = []
    if key_file is not None:
        path = Path(key_file)
        try:
            raw = _read_key_file(path)
        except OSError as exc:
            raise WatchError(
                warn("watch_key_unreadable", path=path, error=exc.strerror or str(exc))
            ) from None
        source = warn("watch_key_from_file", path=path)
        raw = _key_text(raw)
        if not is_windows():
            with contextlib.suppress(OSError):
                if path.stat().st_mode & 0o077:
                    warnings.append(warn("watch_key_readable", path=path))
    elif env.get(KEY_ENV, "").strip():
        raw = env[KEY_ENV].encode("utf-8")
        source = warn("watch_key_from_env", name=KEY_ENV)
    else:
        return None, "none", warnings
    key = raw.strip()
    if len(key) < MIN_KEY_BYTES:
        raise WatchError(warn("watch_key_short", source=source, n=len(key), min=MIN_KEY_BYTES))
    return key, source, warnings


#: The most a key file may hold: a key is a few dozen characters, and ``/dev/zero`` never ends.
MAX_KEY_FILE_BYTES = 64 * 1024


def _read_key_file(path: Path) -> bytes:
    """The bytes of a key file (a pipe too: ``--key-file <(pass show hb)``), at most
    :data:`MAX_KEY_FILE_BYTES`; a :class:`WatchError` naming it when there are more."""
    with open(path, "rb") as fh:
        raw = fh.read(MAX_KEY_FILE_BYTES + 1)
    if len(raw) > MAX_KEY_FILE_BYTES:
        why = warn("watch_key_too_long", max=MAX_KEY_FILE_BYTES)
        raise WatchError(warn("watch_key_unreadable", path=path, error=why))
    return raw


def _key_text(raw: bytes) -> bytes:
    """A key file written by PowerShell's ``>`` is UTF-16 with a BOM, Notepad's may start with
    a UTF-8 BOM: the key is the text, the same bytes as the other end's."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):  # fmt: skip
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(codec).encode("utf-8")
            except UnicodeDecodeError:
                return raw
    return raw


def key_id(key: bytes) -> str:
    """8 hex digits that tell keys apart in the log (both ends must show the same)."""
    return hashlib.sha256(b"hbtriage-watch key id\x00" + key).hexdigest()[:8]


def sign(key: bytes, proto: str, body: bytes) -> str:
    """HMAC-SHA256 of ``<proto>|<body>`` in lowercase hex."""
    return hmac.new(key, proto.encode("ascii") + b"|" + body, hashlib.sha256).hexdigest()


def encode_message(
    kind: str,
    session: str,
    boot: str,
    seq: int,
    t_ns: int,
    host: str,
    *,
    proto: str,
    key: bytes | None = None,
) -> bytes:
    """One message (no line end); signed when ``key`` is given."""
    body = f"{_MAGIC} {kind} {session} {boot} {seq} {t_ns} {_wire_token(host)}".encode("ascii")
    if key is None:
        return body
    return body + b" " + sign(key, proto, body).encode("ascii")


@dataclass(frozen=True)
class Message:
    kind: str
    session: str
    boot: str
    seq: int
    t_ns: int
    host: str
    signed: bool


def parse_message(data: bytes, proto: str, key: bytes | None) -> Message | str:
    """A checked message, or the reason it is rejected (``format``, ``too_long``, ``number``,
    ``unsigned``, ``bad_mac``). Without ``key`` a MAC is accepted unchecked."""
    if len(data) > _MAX_MSG:
        return "too_long"
    try:
        parts = data.decode("ascii").split()
    except UnicodeDecodeError:
        return "format"
    if len(parts) not in (7, 8) or parts[0] != _MAGIC:
        return "format"
    _, kind, session, boot, seq_s, t_s, host = parts[:7]
    if (
        kind not in _KINDS
        or not _ID_RE.fullmatch(session)
        or not _ID_RE.fullmatch(boot)
        or not _HOST_RE.fullmatch(host)
    ):
        return "format"
    mac = parts[7] if len(parts) == 8 else None
    if mac is not None and not _MAC_RE.fullmatch(mac):
        return "format"
    signed = False
    if key is not None:
        if mac is None:
            return "unsigned"
        expected = sign(key, proto, " ".join(parts[:7]).encode("ascii"))
        if not hmac.compare_digest(expected, mac):
            return "bad_mac"
        signed = True
    if not (_NUM_RE.fullmatch(seq_s) and _NUM_RE.fullmatch(t_s)):
        return "number"
    seq, t_ns = int(seq_s), int(t_s)
    if seq > MAX_NUMBER or t_ns > MAX_NUMBER:
        return "number"
    return Message(kind, session, boot, seq, t_ns, host, signed)


def boot_id() -> str:
    """Identifier of this boot of the machine (Linux boot_id, else the boot time)."""
    if not is_windows():
        with contextlib.suppress(OSError):
            text = _BOOT_ID_PATH.read_text().strip().replace("-", "")[:12]
            if _ID_RE.fullmatch(text):
                return text
    try:
        import psutil

        return f"t{int(psutil.boot_time())}"
    except Exception:  # noqa: BLE001 - psutil is a dependency; never fail a start on this
        return "unknown"


# -- sockets -------------------------------------------------------------------------------
def _family(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _why(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def bind_udp(addr: tuple[str, int]) -> socket.socket:
    """The UDP socket on ``addr``. On Windows an ICMP port-unreachable must not end reading
    (SIO_UDP_CONNRESET off). Raises :class:`WatchError` naming the address."""
    sock = socket.socket(_family(addr[0]), socket.SOCK_DGRAM)
    try:
        if is_windows():
            code = getattr(socket, "SIO_UDP_CONNRESET", None)
            ioctl = getattr(sock, "ioctl", None)
            if code is not None and ioctl is not None:
                ioctl(code, False)
        sock.bind(addr)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise WatchError(
            warn("watch_cannot_listen", addr=_fmt_addr(*addr), proto="UDP", why=_why(exc))
        ) from None
    return sock


def bind_tcp(addr: tuple[str, int]) -> socket.socket:
    """The listening TCP socket on ``addr``. POSIX: SO_REUSEADDR (restart while old connections
    linger); Windows: never SO_REUSEADDR (there it lets another program take the port), and
    SO_EXCLUSIVEADDRUSE where available. Raises :class:`WatchError` naming the address."""
    sock = socket.socket(_family(addr[0]), socket.SOCK_STREAM)
    try:
        if is_windows():
            exclusive = getattr(socket, "SO_EXCLUSIVEADDRUSE", None)
            if exclusive is not None:
                sock.setsockopt(socket.SOL_SOCKET, exclusive, 1)
        else:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(16)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise WatchError(
            warn("watch_cannot_listen", addr=_fmt_addr(*addr), proto="TCP", why=_why(exc))
        ) from None
    return sock


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
    stream_path: Path | None = None
    rejected: dict[str, int] = field(default_factory=dict)


class _Metrics:
    """Prometheus gauges/counters when prometheus-client is installed (optional)."""

    def __init__(self, port: int, addr: str) -> None:
        try:
            import prometheus_client as pc
        except ImportError:  # pragma: no cover - depends on the environment
            raise WatchError(warn("watch_metrics_missing")) from None
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
        self.rejected = pc.Counter("hbtriage_watch_messages_rejected", "", ["reason"], registry=reg)
        try:
            started = pc.start_http_server(port, addr=addr, registry=reg)
        except OSError as exc:
            raise WatchError(
                warn("watch_metrics_cannot_serve", addr=_fmt_addr(addr, port), why=_why(exc))
            ) from None
        self._server: Any = started[0] if isinstance(started, tuple) else None

    def close(self) -> None:
        server = self._server
        self._server = None
        if server is not None:
            with contextlib.suppress(Exception):
                server.shutdown()
                server.server_close()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, probe: Probe) -> None:
        self.probe = probe

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            src: tuple[str, int] | None = (norm_ip(str(addr[0])), int(addr[1]))
        except (TypeError, ValueError, IndexError):
            src = None
        if src is None:
            self.probe.reject("addr", None)
            return
        self.probe.on_message(
            "udp", data, reply=lambda msg: self.probe.udp_send(msg, addr), src=src
        )

    def error_received(self, exc: Exception) -> None:  # ICMP unreachable etc.: keep going
        pass


class Probe:
    """One end of the heartbeat pair. Use :func:`run_watch`; this class holds its state.

    ``key`` (bytes, at least :data:`MIN_KEY_BYTES`) turns on signing and checking of every
    message. Two files are written in ``out_dir``: ``watch-<host>.log`` (life cycle and
    outages) and ``watch-<host>.rx.log`` (``hb_rx`` and ``rejected``), each ``max_bytes`` ×
    (``backups`` + 1) at most.
    """

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
        key: bytes | None = None,
    ) -> None:
        if key is not None and len(key) < MIN_KEY_BYTES:
            raise WatchError(warn("watch_key_too_short", min=MIN_KEY_BYTES))
        self.listen = listen
        self.peer = peer
        self.peer_text = _fmt_addr(*peer)
        self.peer_addr, self.peer_ips = resolve_peer(peer[0], peer[1], _family(listen[0]))
        self.interval = interval
        self.host = host
        self.key = key
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
        name = _file_token(host)
        self.log = RotatingFile(
            Path(out_dir) / f"watch-{name}.log", max_bytes, backups, header_line(host)
        )
        try:
            self.stream_log = RotatingFile(
                Path(out_dir) / f"watch-{name}.rx.log",
                max_bytes,
                backups,
                header_line(host, "rx"),
            )
        except BaseException:
            self.log.close()
            raise
        self.records = 0
        self.states = {p: ProtoState(PhiAccrualDetector(self.phi_params)) for p in PROTOS}
        self.seq = dict.fromkeys(PROTOS, 0)
        self.peer_session: str | None = None
        self.peer_heard: float | None = None  # last accepted message of the current session
        self._left_sessions: deque[str] = deque(maxlen=32)
        self._sent: dict[str, dict[int, int]] = {p: {} for p in PROTOS}
        self.rejected_total: Counter[str] = Counter()
        self._rej: Counter[str] = Counter()
        self._rej_from: Counter[str] = Counter()
        self._rej_untracked = 0
        self._rej_since: float | None = None
        self._rej_logged_at: float | None = None
        self._recent: dict[str, deque[float]] = {}
        self._suppressed: Counter[str] = Counter()
        self.udp: asyncio.DatagramTransport | None = None
        self.tcp_writer: asyncio.StreamWriter | None = None
        self.stop = asyncio.Event()
        self.metrics: _Metrics | None = None
        self._server: asyncio.Server | None = None
        self._inbound: dict[asyncio.StreamWriter, None] = {}

    # -- recording -------------------------------------------------------------------------
    def emit(self, event: str, **fields: object) -> None:
        line = format_record(self.wall(), self.host, event, fields)
        log = self.stream_log if event in STREAM_EVENTS else self.log
        log.write_line(line)
        if log.failed is not None:  # nothing more can be recorded: the watch stops
            self.stop.set()
            return
        self.records += 1

    def _allow(self, event: str, now: float) -> bool:
        """Rate limit for records a sender can provoke: :data:`EVENT_LIMIT_PER_MIN` a minute."""
        recent = self._recent.setdefault(event, deque())
        while recent and now - recent[0] >= 60.0:
            recent.popleft()
        if len(recent) >= EVENT_LIMIT_PER_MIN:
            self._suppressed[event] += 1
            return False
        recent.append(now)
        return True

    def reject(self, reason: str, src: tuple[str, int] | None) -> None:
        """Count one rejected message (summarised by :meth:`flush_rejected`)."""
        if self._rej_since is None:
            self._rej_since = self.clock()
        self.rejected_total[reason] += 1
        self._rej[reason] += 1
        who = _fmt_addr(*src) if src is not None else "-"
        if who in self._rej_from or len(self._rej_from) < _MAX_SOURCES:
            self._rej_from[who] += 1
        else:
            self._rej_untracked += 1  # memory stays bounded whatever the number of senders
        if self.metrics:
            self.metrics.rejected.labels(reason).inc()

    def flush_rejected(self, force: bool = False) -> None:
        """One ``rejected`` record for everything rejected since the last one, at most every
        :data:`REJECT_SUMMARY_S` seconds (the first at once); and the count of records held back
        by the rate limit."""
        now = self.clock()
        if self._rej and (
            force or self._rej_logged_at is None or now - self._rej_logged_at >= REJECT_SUMMARY_S
        ):
            since = self._rej_since if self._rej_since is not None else now
            self.emit(
                "rejected",
                count=sum(self._rej.values()),
                reasons=",".join(f"{r}:{n}" for r, n in self._rej.most_common()),
                senders=f"{len(self._rej_from)}{'+' if self._rej_untracked else ''}",
                top=",".join(f"{a}*{n}" for a, n in self._rej_from.most_common(3)),
                window_s=round(max(now - since, 0.0), 3),
            )
            self._rej.clear()
            self._rej_from.clear()
            self._rej_untracked = 0
            self._rej_since = None
            self._rej_logged_at = now
        for event, n in list(self._suppressed.items()):
            recent = self._recent.get(event)
            if n and (force or not recent or now - recent[0] >= 60.0):
                self.emit(
                    "records_suppressed", record=event, count=n, limit_per_min=EVENT_LIMIT_PER_MIN
                )
                del self._suppressed[event]

    # -- messages --------------------------------------------------------------------------
    def _msg(self, kind: str, proto: str, seq: int = 0, t_ns: int = 0) -> bytes:
        return encode_message(
            kind, self.session, self.boot, seq, t_ns, self.host, proto=proto, key=self.key
        )

    def udp_send(self, data: bytes, addr: Any = None) -> None:
        if self.udp is not None and not self.udp.is_closing():
            with contextlib.suppress(OSError):
                self.udp.sendto(data, addr or self.peer_addr)

    def _addr_ok(self, proto: str, src: tuple[str, int] | None) -> bool:
        if src is None:  # our own outbound TCP connection: the peer is whom we connected to
            return True
        if src[0] not in self.peer_ips:
            return False
        return proto != "udp" or src[1] == self.peer[1]

    def on_message(
        self,
        proto: str,
        data: bytes,
        reply: Callable[[bytes], None],
        src: tuple[str, int] | None = None,
    ) -> bool:
        """Handle one message from ``src`` (None: our outbound TCP connection). True when it was
        accepted; a rejected one is counted, never logged on its own. Never raises."""
        try:
            verdict = self._handle(proto, data, reply, src)
        except Exception as exc:  # noqa: BLE001 - one odd message must not stop the probe
            verdict = f"error_{type(exc).__name__}"
        if verdict is None:
            return True
        if verdict != _IGNORED:
            self.reject(verdict, src)
        return False

    def _handle(
        self,
        proto: str,
        data: bytes,
        reply: Callable[[bytes], None],
        src: tuple[str, int] | None,
    ) -> str | None:
        if not self._addr_ok(proto, src):
            return "addr"
        msg = parse_message(data, proto, self.key)
        if isinstance(msg, str):
            return msg
        if msg.session == self.session:
            return "own_session"  # our own heartbeat came back (peer address = our address?)
        if msg.session in self._left_sessions:
            # The peer said goodbye with this session, or left it for a new one: late or
            # replayed messages of it change nothing.
            return _IGNORED if msg.session == self.peer_session else "old_session"
        now = self.clock()
        if msg.kind == "ack" and self._sent[proto].get(msg.seq) != msg.t_ns:
            return "unknown_ack"  # not the echo of a heartbeat we sent (or a second echo)
        if msg.kind == "bye":
            verdict = self._on_bye(proto, msg, now)
        else:
            verdict = self._check_session(proto, msg.session, now)
            if verdict is None:
                st = self.states[proto]
                if msg.kind == "ack":
                    verdict = self._on_ack(proto, st, msg)
                else:
                    verdict = self._check_seq(st, msg.seq, now)
                    if verdict is None:
                        reply(self._msg("ack", proto, msg.seq, msg.t_ns))
                        self._on_heartbeat(proto, st, msg.seq, now)
        if verdict is None:
            self.peer_heard = now
        return verdict

    def _check_seq(self, st: ProtoState, seq: int, now: float) -> str | None:
        if st.last_seq is None:
            return None
        if seq <= st.last_seq:
            return "old_seq"  # a duplicate, a reordered datagram or a replay
        # The peer sends at most 100 heartbeats a second (interval >= 10 ms) and never
        # catches up after a pause: a larger jump is not its sequence.
        elapsed = max(now - st.last_rx, 0.0) if st.last_rx is not None else 0.0
        if seq - st.last_seq > 100 + 200 * elapsed:
            return "seq_jump"
        return None

    def _on_ack(self, proto: str, st: ProtoState, msg: Message) -> str | None:
        self._sent[proto].pop(msg.seq, None)  # matched in _handle; an echo counts once
        rtt_ms = (time.monotonic_ns() - msg.t_ns) / 1e6
        st.rtts_ms.append(rtt_ms)
        if self.metrics:
            self.metrics.rtt.labels(proto).set(rtt_ms)
        return None

    def _remember_sent(self, proto: str, seq: int, t_ns: int) -> None:
        sent = self._sent[proto]
        sent[seq] = t_ns
        while len(sent) > _SENT_KEPT:
            del sent[next(iter(sent))]

    def _check_session(self, proto: str, session: str, now: float) -> str | None:
        if self.peer_session is None:
            self.peer_session = session
            return None
        if session == self.peer_session:
            return None
        stopped = all(s.peer_stopped for s in self.states.values())
        recent = self.peer_heard is not None and now - self.peer_heard < self.interval
        if self.key is None and not stopped and recent:
            # Unsigned, and the current session spoke less than an interval ago: a restarted
            # peer hardly does that, a second sender does. The next heartbeat of a real restart
            # (one interval later) is taken.
            return "session_flap"
        old = self.peer_session
        self.peer_session = session
        if self.key is not None and old not in self._left_sessions:
            # Signed: the peer really left that session; a replay of it must not come back.
            # (Unsigned, an impostor may have taken the session over: the peer must be able to
            # come back, so nothing is remembered.)
            self._left_sessions.append(old)
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
        if self._allow("peer_restarted", now):
            self.emit(
                "peer_restarted",
                proto=proto,
                peer=self.peer_text,
                old_session=old,
                session=session,
            )
        return None

    def _on_bye(self, proto: str, msg: Message, now: float) -> str | None:
        if msg.session != self.peer_session:
            return "bye_session"  # a goodbye for a session that is not the peer's
        st = self.states[proto]
        if self.key is not None and st.last_seq is not None and msg.seq < st.last_seq:
            return "old_seq"  # signed goodbyes carry the latest seq: this one is replayed
        if all(s.peer_stopped for s in self.states.values()):
            return None  # the same goodbye again (it is sent several times)
        if self.key is not None:
            self._left_sessions.append(msg.session)  # its late or replayed messages: ignored
        self.flush_rx()
        for p, s in self.states.items():
            if s.suspected:
                self.emit("suspicion_cleared", proto=p, peer=self.peer_text, reason="peer_stopped")
            s.forget()
            s.peer_stopped = True
        if self._allow("peer_stopped", now):
            self.emit("peer_stopped", proto=proto, peer=self.peer_text, session=msg.session)
        return None

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
        """Missed heartbeats and suspicion, per transport (called every half interval).

        ``hb_missed`` is written at most once a second for the first minute of a silence, then
        every 10 s, and every minute after ten minutes (the counts stay exact)."""
        now = self.clock()
        for proto, st in self.states.items():
            if st.last_rx is None or st.peer_stopped:
                continue
            silent = now - st.last_rx
            phi = st.detector.phi(now)
            st.phi_max = max(st.phi_max, phi)
            if self.metrics:
                self.metrics.phi.labels(proto).set(phi)
            grace = max(self.interval, MISS_GRACE_S)
            missed = int((silent - grace) / self.interval) if silent > grace else 0
            every = 1.0 if silent < 60 else 10.0 if silent < 600 else 60.0
            if missed > st.missed_reported and (
                st.missed_reported == 0 or now - st.last_missed_log >= every
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

    def flush(self) -> None:
        """The once-a-second work: ``hb_rx`` lines and the rejection summary."""
        self.flush_rx()
        self.flush_rejected()

    def send_heartbeats(self) -> None:
        t_ns = time.monotonic_ns()
        self.seq["udp"] += 1
        self._remember_sent("udp", self.seq["udp"], t_ns)
        self.udp_send(self._msg("hb", "udp", self.seq["udp"], t_ns))
        self.states["udp"].sent += 1
        w = self.tcp_writer
        # A stalled path must not grow memory: drop heartbeats while the buffer is full.
        if w is not None and not w.is_closing() and w.transport.get_write_buffer_size() < 64 * 1024:
            self.seq["tcp"] += 1
            self._remember_sent("tcp", self.seq["tcp"], t_ns)
            w.write(self._msg("hb", "tcp", self.seq["tcp"], t_ns) + b"\n")
            self.states["tcp"].sent += 1

    async def _every(self, period: float, fn: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not self.stop.is_set():
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - a bug must not silently stop the probe
                if self._allow("probe_error", self.clock()):
                    self.emit(
                        "probe_error",
                        task=getattr(fn, "__name__", "task"),
                        error=type(exc).__name__,
                        detail=_printable(exc),
                    )
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
        reply: Callable[[bytes], None],
        on_first: Callable[[], None] | None = None,
        src: tuple[str, int] | None = None,
    ) -> str:
        """Read messages until the connection ends; "silent" when nothing acceptable came for
        ``dead_after`` seconds (rejected lines do not keep a connection alive)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.dead_after
        bad = 0
        while not self.stop.is_set():
            try:
                line = await asyncio.wait_for(
                    reader.readline(), timeout=max(deadline - loop.time(), 0.001)
                )
            except TimeoutError:
                return "silent"
            except (ConnectionError, OSError) as exc:
                return type(exc).__name__
            except (asyncio.LimitOverrunError, ValueError):
                self.reject("too_long", src)
                return "garbage"
            if not line:
                return "eof"
            if self.on_message(proto, line.strip(), reply, src):
                deadline = loop.time() + self.dead_after
                bad = 0
                if on_first is not None:
                    on_first()
                    on_first = None
            else:
                bad += 1
                if bad >= _MAX_BAD_LINES:
                    return "garbage"
        return "stopping"

    async def _tcp_client(self) -> None:
        """The outbound connection that carries this end's TCP heartbeats. Whatever ends an
        attempt (refused, reset, silent, a bug) is logged when it matters and retried."""
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
            writer: asyncio.StreamWriter | None = None
            # A connection counts once the peer has answered on it: a dying peer's kernel can
            # still accept a connection and then reset it, which is one more failed attempt,
            # not a reconnect followed by a second disconnect.
            heard = False
            try:
                try:
                    reader, w = await asyncio.wait_for(
                        asyncio.open_connection(*self.peer_addr, limit=_LINE_LIMIT),
                        timeout=max(1.0, 5 * self.interval),
                    )
                except (OSError, TimeoutError):
                    await failed_attempt()
                    continue
                writer = w

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

                self.tcp_writer = w
                reason = await self._read_lines("tcp", reader, lambda _m: None, confirmed)
                self.tcp_writer = None
                w.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(w.wait_closed(), timeout=1.0)
                if self.stop.is_set():
                    break
                if all(s.peer_stopped for s in self.states.values()):
                    # The peer said goodbye: its next connection is a fresh start.
                    connected_once = False
                    down_since = None
                    continue
                if not heard:
                    await failed_attempt()
                    continue
                down_since = loop.time()
                self.emit("tcp_disconnect", peer=self.peer_text, reason=reason)
            except Exception as exc:  # noqa: BLE001 - the client must never die in silence
                self.tcp_writer = None
                if writer is not None:
                    with contextlib.suppress(Exception):
                        writer.close()
                if self._allow("tcp_client_error", self.clock()):
                    self.emit(
                        "tcp_client_error",
                        peer=self.peer_text,
                        error=type(exc).__name__,
                        detail=_printable(exc),
                        connected=int(heard),
                    )
                if heard and down_since is None:
                    down_since = loop.time()
                if self.stop.is_set():
                    break
                await failed_attempt()

    async def _tcp_inbound(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            peername = writer.get_extra_info("peername")
            src = (norm_ip(str(peername[0])), int(peername[1])) if peername else None
        except (TypeError, ValueError, IndexError):
            src = None
        if src is None or src[0] not in self.peer_ips:
            self.reject("addr", src)
            writer.close()
            return
        if len(self._inbound) >= _MAX_INBOUND:  # keep the newest: it is the live one
            oldest = next(iter(self._inbound))
            self._inbound.pop(oldest, None)
            oldest.close()
        self._inbound[writer] = None

        def reply(msg: bytes) -> None:
            if not writer.is_closing() and writer.transport.get_write_buffer_size() < 64 * 1024:
                writer.write(msg + b"\n")

        try:
            await self._read_lines("tcp", reader, reply, src=src)
        except asyncio.CancelledError:
            pass  # shutting down: asyncio cancels connection handlers last
        finally:
            self._inbound.pop(writer, None)
            writer.close()

    # -- life cycle ------------------------------------------------------------------------
    async def start(self, metrics_port: int | None = None) -> None:
        """Bind UDP and TCP on ``listen`` (and the metrics port). Raises :class:`WatchError`
        naming what could not be bound; nothing stays open then."""
        loop = asyncio.get_running_loop()
        udp_sock = bind_udp(self.listen)
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), sock=udp_sock
            )
        except BaseException:
            udp_sock.close()
            raise
        self.udp = transport
        try:
            tcp_sock = bind_tcp(self.listen)
            try:
                self._server = await asyncio.start_server(
                    self._tcp_inbound, sock=tcp_sock, limit=_LINE_LIMIT
                )
            except BaseException:
                tcp_sock.close()
                raise
            if metrics_port is not None:
                self.metrics = _Metrics(metrics_port, "127.0.0.1")
        except BaseException:
            self.udp.close()
            self.udp = None
            if self._server is not None:
                self._server.close()
                self._server = None
            raise
        p = self.phi_params
        self.emit(
            "started",
            listen=_fmt_addr(*self.listen),
            peer=self.peer_text,
            interval_s=self.interval,
            session=self.session,
            boot=self.boot,
            pid=os.getpid(),
            phi_threshold=p.threshold,
            phi_window=p.window,
            min_std_dev_s=p.min_std_dev_s,
            acceptable_pause_s=p.acceptable_pause_s,
            auth="hmac-sha256" if self.key is not None else "none",
            key_id=key_id(self.key) if self.key is not None else "-",
        )
        if self.key is None:
            self.emit(
                "unauthenticated",
                peer=self.peer_text,
                detail="no key (--key-file or HBTRIAGE_WATCH_KEY): messages are not signed; "
                "any host that can send from the peer's address is believed",
            )

    async def say_goodbye(self) -> None:
        for _ in range(3):
            self.udp_send(self._msg("bye", "udp", self.seq["udp"]))
        await asyncio.sleep(0.05)  # let the UDP goodbye arrive before the TCP connections close
        bye = self._msg("bye", "tcp", self.seq["tcp"]) + b"\n"
        for w in [self.tcp_writer, *self._inbound]:
            if w is not None and not w.is_closing():
                with contextlib.suppress(Exception):
                    w.write(bye)
                    await asyncio.wait_for(w.drain(), timeout=0.3)

    async def close(self, reason: str) -> None:
        # The last counts first: the goodbye takes 50 ms, so "stopped" is the last record of
        # both files by time, not only by order.
        self.flush_rx()
        self.flush_rejected(force=True)
        with contextlib.suppress(Exception):
            await self.say_goodbye()
        if self._server is not None:
            self._server.close()
        for w in list(self._inbound):
            w.close()
        if self.tcp_writer is not None:
            self.tcp_writer.close()
        if self.udp is not None:
            self.udp.close()
        if self.metrics is not None:
            await asyncio.to_thread(self.metrics.close)
        self.emit(
            "stopped",
            reason=reason,
            sent_udp=self.states["udp"].sent,
            sent_tcp=self.states["tcp"].sent,
            rx_udp=self.states["udp"].received_total,
            rx_tcp=self.states["tcp"].received_total,
            rejected=sum(self.rejected_total.values()),
        )
        self.close_files()

    def close_files(self) -> None:
        self.log.close()
        self.stream_log.close()


def _install_signals(
    loop: asyncio.AbstractEventLoop, on_signal: Callable[[str], None]
) -> Callable[[], None]:
    """Stop on SIGINT and SIGTERM, SIGBREAK (Ctrl+Break) on Windows, and SIGHUP elsewhere unless
    it is ignored (``nohup``). Returns the function that puts the previous handlers back."""
    names = ["SIGINT", "SIGTERM"]
    names.append("SIGBREAK" if is_windows() else "SIGHUP")
    undo: list[Callable[[], object]] = []
    for name in names:
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        with contextlib.suppress(ValueError, OSError):
            if name == "SIGHUP" and signal.getsignal(sig) == signal.SIG_IGN:
                continue
        if not is_windows():
            try:
                loop.add_signal_handler(sig, on_signal, name)
                undo.append(functools.partial(loop.remove_signal_handler, sig))
                continue
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not the main thread: try the plain handler below

        # Windows has no loop.add_signal_handler: a plain handler wakes the loop instead.
        def handler(_signum: int, _frame: object, n: str = name) -> None:
            loop.call_soon_threadsafe(on_signal, n)

        try:
            previous = signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread
            continue
        undo.append(functools.partial(signal.signal, sig, previous))

    def restore() -> None:
        for fn in reversed(undo):
            with contextlib.suppress(Exception):
                fn()

    return restore


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
    key: bytes | None = None,
    on_start: Callable[[Probe], None] | None = None,
) -> WatchSummary:
    """Run one end of the heartbeat pair until a stop signal, ``stop`` is set or ``duration``.

    ``listen``/``peer`` are ``HOST:PORT`` (``:PORT`` listens on every address); ``interval`` in
    seconds; ``host`` defaults to this machine's name; ``key`` signs and checks every message;
    ``on_start`` is called once the addresses are bound.
    Files go to ``out_dir``: ``watch-<host>.log`` and ``watch-<host>.rx.log`` (each + ``.1`` …
    ``.<backups>``) and, with ``counters``, ``counters-<host>.csv`` sampled every
    ``counter_interval`` seconds. Each file is at most ``max_bytes``. Raises
    :class:`WatchError` when an address cannot be bound or the folder cannot be written.
    """
    host = host or default_host_name()
    if _HOST_UNFIT.search(host):
        # It names the files and is written in their headers and in the counters' column
        # names: a newline there broke the CSV, an ESC reached the terminal in the summary.
        raise WatchError(warn("watch_host_unfit", host=host))
    out_dir = Path(out_dir)
    try:
        probe = Probe(
            parse_addr(listen),
            parse_addr(peer, default_host=None),
            interval,
            out_dir,
            host,
            phi=phi,
            max_bytes=max_bytes,
            backups=backups,
            key=key,
        )
    except OSError as exc:
        raise WatchError(warn("watch_cannot_write_log", path=out_dir, why=_why(exc))) from None
    if stop is not None:
        probe.stop = stop
    loop = asyncio.get_running_loop()
    reason = {"why": "duration" if duration else "stop"}

    def on_signal(name: str) -> None:
        reason["why"] = name
        probe.stop.set()

    restore_signals: Callable[[], None] = lambda: None  # noqa: E731
    recorder: CounterRecorder | None = None
    try:
        await probe.start(metrics_port)
    except BaseException:
        probe.close_files()
        raise
    if install_signals:
        restore_signals = _install_signals(loop, on_signal)
    if on_start is not None:
        on_start(probe)
    tasks = [
        asyncio.create_task(probe._every(interval, probe.send_heartbeats)),
        asyncio.create_task(probe._every(max(interval / 2, 0.02), probe.check)),
        asyncio.create_task(probe._every(1.0, probe.flush)),
        asyncio.create_task(probe._tcp_client()),
    ]
    try:
        if counters:
            try:
                recorder = CounterRecorder(out_dir, host, max_bytes=max_bytes, backups=backups)
            except OSError as exc:
                raise WatchError(
                    warn("watch_cannot_write_counters", path=out_dir, why=_why(exc))
                ) from None
            tasks.append(asyncio.create_task(recorder.run(counter_interval, probe.stop)))
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
        restore_signals()
    for log in (probe.log, probe.stream_log):
        if log.failed is not None:
            raise WatchError(warn("watch_cannot_write_log", path=log.path, why=_why(log.failed)))
    failed = recorder.failed() if recorder is not None else None
    if failed is not None:
        path, error = failed
        raise WatchError(warn("watch_cannot_write_counters", path=path, why=_why(error)))
    return WatchSummary(
        host=host,
        session=probe.session,
        records=probe.records,
        sent={p: s.sent for p, s in probe.states.items()},
        received={p: s.received_total for p, s in probe.states.items()},
        log_path=probe.log.path,
        counters_path=recorder.file.path if recorder else None,
        stream_path=probe.stream_log.path,
        rejected=dict(probe.rejected_total),
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
    key_file: str | Path | None = None,
    lang: str = "en",
) -> int:
    """Blocking entry for the CLI: runs :func:`run_watch`, returns the exit code (0 = clean stop).

    The key comes from ``key_file``, else ``$HBTRIAGE_WATCH_KEY``. Raises ``ValueError`` for a
    bad address or interval and :class:`WatchError` for what stops a start (both one line,
    worded by id). What it says on stderr is in ``lang`` ("en" or "ja"); the records are not.
    """
    seconds = parse_interval(interval)
    parse_addr(listen)
    parse_addr(peer, default_host=None)
    if duration is not None and not 0 < duration < 10**9:
        raise ValueError(warn("watch_duration"))
    key, source, warnings = load_key(key_file)
    for text in warnings:
        said = render(warn("watch_warning", message=text), lang)
        print(f"hbtriage watch: {said}", file=sys.stderr)

    def started(probe: Probe) -> None:
        auth = (
            warn("watch_signed", key_id=key_id(key), source=source)
            if key is not None
            else warn("watch_warning", message=warn("watch_no_key", name=KEY_ENV))
        )
        said = warn(
            "watch_listening",
            addr=_fmt_addr(*probe.listen),
            peer=probe.peer_text,
            path=probe.log.path.parent,
            auth=auth,
        )
        print(f"hbtriage watch: {render(said, lang)}", file=sys.stderr, flush=True)

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
            key=key,
            on_start=started,
        )
    )
    rejected = sum(summary.rejected.values())
    why = ", ".join(f"{r} {n}" for r, n in Counter(summary.rejected).most_common(4))
    said = warn(
        "watch_summary",
        records=summary.records,
        path=summary.log_path,
        stream=warn("watch_summary_stream", path=summary.stream_path)
        if summary.stream_path
        else "",
        counters=warn("watch_summary_counters", path=summary.counters_path)
        if summary.counters_path
        else "",
        rejected=warn("watch_summary_rejected", count=rejected, why=why) if rejected else "",
    )
    print(f"hbtriage watch: {render(said, lang)}", file=sys.stderr)
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
    ap.add_argument("--key-file", help=f"shared key file (else ${KEY_ENV})")
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
            key_file=a.key_file,
        )
    except (HbtriageError, ValueError) as exc:
        print(f"hbtriage watch: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(_cli())
