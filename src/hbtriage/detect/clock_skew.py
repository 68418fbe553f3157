"""Clock skew between hosts, estimated from the same event seen at both ends.

Signatures that share a ``pair`` key (CVP "Missed 2 VRU PIM heartbeats" and the PIM's
"connection forcibly closed", both the moment the session is torn down) happen within
milliseconds of each other in reality; the median difference of their timestamps is
the offset of one host's clock against the other's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from hbtriage.findings import Signal
from hbtriage.hosts import IPV4_RE

#: Events further apart than this are not the same event: half a quarter hour. A
#: greater difference is read as whole quarter hours of zone plus a skew (:func:`infer_zones`),
#: so between two hosts whose zones are known it is reported as a zone mismatch, never split
#: into two incidents without a word (a clock 5 min off was, when this was 300 s).
MAX_PAIR_DISTANCE_S = 450.0
MIN_APPLIED_S = 1.0  # below this, the difference is network latency and logging jitter


def _named(s: Signal) -> set[str]:
    return set(IPV4_RE.findall(str(s.data.get("message") or "")))


def peers_of(signals: list[Signal], owner: Mapping[str, str]) -> dict[str, set[str]]:
    """Host -> the hosts its logs name as their GED-125 peer: a CVP's GED-125 socket line names
    its PIM's address, a PIM's lines its VRU's. ``owner``: address -> host (systeminfo, the CVP
    sender field)."""
    out: dict[str, set[str]] = {}
    for s in signals:
        if s.kind != "signature":
            continue
        for addr in _named(s):
            host = owner.get(addr)
            if host is not None and host != s.host:
                out.setdefault(s.host, set()).add(host)
                out.setdefault(host, set()).add(s.host)
    return out


def same_session(a: Signal, b: Signal, peers: Mapping[str, set[str]]) -> bool:
    """Whether two disconnects can be the two ends of one session: not when each host's logs
    name its peers and neither names the other. A site holds several PIM <-> CVP pairs: one
    pair's loss paired with another's would shift a clock by the time between them."""
    end = a.data.get("session_end")
    if end is not None and end == b.data.get("session_end"):
        return False  # two PIMs' resets (or two CVPs' losses) are two sessions
    pa, pb = peers.get(a.host), peers.get(b.host)
    return not (pa and pb and b.host not in pa and a.host not in pb)


def _nearer_elsewhere(s: Signal, d: float, paired: list[Signal], hosts: set[str]) -> bool:
    """Whether disconnect ``s`` is nearer (by less than ``d`` seconds) to the other end's
    disconnect on a host outside ``hosts`` than to the one it was paired with: on a site of
    several PIM <-> CVP pairs whose peers no address tells, that host is its session's other end
    (PG4A's and CVP4's close within milliseconds is one event, not CVP4's and PG3A's 5 min apart)."""
    end = s.data.get("session_end")
    return end is not None and any(
        x.host not in hosts
        and x.data["pair"] == s.data["pair"]
        and x.data.get("session_end") not in (None, end)
        and abs((s.start - x.start).total_seconds()) < abs(d)
        for x in paired
    )


@dataclass
class Skew:
    host: str
    reference: str
    offset_s: float  # host clock minus reference clock
    pairs: int
    keys: list[str]

    @property
    def applied(self) -> bool:
        return abs(self.offset_s) >= MIN_APPLIED_S


def estimate(
    signals: list[Signal], reference: str, peers: Mapping[str, set[str]] | None = None
) -> list[Skew]:
    """Offsets of every other host against ``reference`` (hosts without pairs are absent).
    ``peers`` (:func:`peers_of`) keeps disconnects of different sessions apart."""
    peers = peers or {}
    paired = [s for s in signals if s.kind == "signature" and s.data.get("pair")]
    ref = [s for s in paired if s.host == reference]
    others = sorted({s.host for s in paired} - {reference})
    out = []
    for host in others:
        diffs: list[float] = []
        keys: set[str] = set()
        for s in (x for x in paired if x.host == host):
            cands = [
                r for r in ref if r.data["pair"] == s.data["pair"] and same_session(s, r, peers)
            ]
            if not cands:
                continue
            nearest = min(cands, key=lambda r: abs((s.start - r.start).total_seconds()))
            d = (s.start - nearest.start).total_seconds()
            if abs(d) <= MAX_PAIR_DISTANCE_S and not _nearer_elsewhere(
                s, d, paired, {host, reference}
            ):
                diffs.append(d)
                keys.add(str(s.data["pair"]))
        if diffs:
            out.append(Skew(host, reference, median(diffs), len(diffs), sorted(keys)))
    return out


def _icm_hosts(signals: list[Signal]) -> list[str]:
    return sorted(
        {s.host for s in signals if str(s.data.get("signature", "")).startswith(("pim.", "icm."))}
    )


def pick_reference(signals: list[Signal], hosts: list[str]) -> str | None:
    """The host the others are compared with: a PG/ICM host when there is one (ICM nodes keep
    time with their central controller), else the first host by name."""
    icm_hosts = _icm_hosts(signals)
    if icm_hosts:
        return icm_hosts[0]
    return sorted(hosts)[0] if hosts else None


def estimate_site(
    signals: list[Signal], reference: str, peers: Mapping[str, set[str]] | None = None
) -> list[Skew]:
    """:func:`estimate` against ``reference``, then the hosts none of whose disconnects pair
    with it (a site's other PIM <-> CVP pairs: CVP4 beside PG3A and PG4A) against each other
    PG/ICM host in turn, which keeps time as well as the reference does; those PG hosts stay
    where they are."""
    out = estimate(signals, reference, peers)
    icm = _icm_hosts(signals)
    done = {reference, *icm, *(sk.host for sk in out)}
    for other in icm:
        if other == reference:
            continue
        for sk in estimate(signals, other, peers):
            if sk.host not in done:
                out.append(sk)
                done.add(sk.host)
    return out


#: Signature roles of a process or service coming back up (the start-up line after a stop).
RESTART_ROLES = frozenset({"restart", "service_start"})
#: A log silent this long before a start-up line: the process was down from its last line on.
MIN_DOWN_S = 5.0


def restart_bounds(
    signals: list[Signal],
    reference: str,
    peers: Mapping[str, set[str]],
    aligned: set[str],
    last_before: Callable[[str, str, datetime], datetime | None],
) -> list[Skew]:
    """Clocks a peer's restart bounds when no disconnect pairs: one end logs the loss of the
    session (a ``pair`` signature), the other end logs none, because its process was down: its
    log went silent (the last line, ``last_before(host, stream, at)``) and then logged its
    start-up (:data:`RESTART_ROLES`). The loss cannot have come before the process went down nor
    after it was back, so a loss outside that stretch says the two clocks are at least that far
    apart; the host that is not ``reference`` is moved by that least amount (the session's two
    ends then fall in one incident). Hosts already ``aligned`` by paired disconnects, pairs of
    hosts whose logs name other peers (``peers``), and losses further than
    :data:`MAX_PAIR_DISTANCE_S` from the restart are left alone; a loss inside the stretch says
    nothing of the clocks."""
    losses = [s for s in signals if s.kind == "signature" and s.data.get("pair")]
    ups = [
        s
        for s in signals
        if s.kind == "signature" and s.data.get("role") in RESTART_ROLES and s.data.get("stream")
    ]
    found: dict[str, list[float]] = {}
    downs: dict[int, datetime | None] = {}  # each restart's last line before it, looked up once
    for loss in losses:
        for up in ups:
            if up.host == loss.host or reference not in (up.host, loss.host):
                continue
            moved = loss.host if up.host == reference else up.host
            pa, pb = peers.get(loss.host), peers.get(up.host)
            if moved in aligned or (pa and pb and up.host not in pa and loss.host not in pb):
                continue
            if abs((up.start - loss.start).total_seconds()) > MAX_PAIR_DISTANCE_S:
                continue
            if any(
                s.host == up.host
                and s.data.get("pair") == loss.data["pair"]
                and abs((s.start - up.start).total_seconds()) <= MAX_PAIR_DISTANCE_S
                for s in losses
            ):
                continue  # the restarted end logged the disconnect too: the pairing's to tell
            if id(up) not in downs:
                downs[id(up)] = last_before(up.host, str(up.data["stream"]), up.start)
            down = downs[id(up)]
            if down is None or (up.start - down).total_seconds() < MIN_DOWN_S:
                continue
            # How far the loss lies outside [down, up], on the clock of the loss's host.
            early = (loss.start - down).total_seconds()
            late = (loss.start - up.start).total_seconds()
            outside = early if early < 0 else late if late > 0 else 0.0
            # The moved host's clock minus the reference's.
            found.setdefault(moved, []).append(outside if moved == loss.host else -outside)
    out = []
    for host, shifts in sorted(found.items()):
        # The loss nearest to its restart stretch is the one of this restart: the least shift.
        least = min(shifts, key=abs)
        if abs(least) >= MIN_APPLIED_S:
            out.append(Skew(host, reference, least, len(shifts), ["restart"]))
    return out


#: What a zone inferred from :func:`implied_disconnects` may leave as clock skew: the other
#: end notices the loss within seconds (two heartbeats) and a clock is rarely a minute off, while
#: a restart paired with an unrelated loss hours away leaves anything up to 7.5 min.
MAX_IMPLIED_SKEW_S = 90.0


def implied_disconnects(
    signals: list[Signal],
    hosts: set[str],
    last_before: Callable[[str, str, datetime], datetime | None],
) -> list[Signal]:
    """For zone inference: the disconnect each of ``hosts`` did not log because its process was
    down, at its log's last line before its start-up line (see :func:`restart_bounds`), one per
    ``pair`` key the other hosts' losses carry, for hosts that log no disconnect of their own.
    The other end's loss comes seconds after that moment, so the two put the hosts' clocks as
    far apart as a logged pair would: whole quarter hours of zone plus a skew."""
    losses = [s for s in signals if s.kind == "signature" and s.data.get("pair")]
    out: list[Signal] = []
    for up in signals:
        if (
            up.kind != "signature"
            or up.host not in hosts
            or up.data.get("role") not in RESTART_ROLES
            or not up.data.get("stream")
            or any(s.host == up.host for s in losses)
        ):
            continue
        keys = sorted({str(s.data["pair"]) for s in losses if s.host != up.host})
        down = last_before(up.host, str(up.data["stream"]), up.start) if keys else None
        if down is None or (up.start - down).total_seconds() < MIN_DOWN_S:
            continue
        for key in keys:
            data = {**up.data, "pair": key, "session_end": None, "implied": True}
            out.append(Signal("signature", up.host, down, down, up.detail, data))
    return out


def with_sessions(peers: Mapping[str, set[str]], skews: list[Skew]) -> dict[str, set[str]]:
    """``peers`` (:func:`peers_of`), with the sessions the clock pairing found for hosts no
    address ties to a peer: a host whose disconnects paired with its reference's (on a site of
    several PIM <-> CVP pairs, :func:`estimate_site` measures each pair against its own PG) is
    that host's peer. Hosts the addresses tie are kept as they are; with one pair nothing
    changes (every host of its loss is the other's peer)."""
    out = {h: set(p) for h, p in peers.items()}
    for sk in skews:
        if sk.host in peers or sk.reference in peers:
            continue
        out.setdefault(sk.host, set()).add(sk.reference)
        out.setdefault(sk.reference, set()).add(sk.host)
    return out


#: The same disconnect at both ends, when one host's zone is unknown: its time (taken as UTC)
#: minus the peer's is its UTC offset plus its clock skew, within this window.
MAX_ZONE_OFFSET_S = 15 * 3600.0
#: Pairs agreeing on one offset within this many seconds are the same offset.
ZONE_PAIR_TOLERANCE_S = 120.0


@dataclass
class ZoneGuess:
    host: str
    reference: str
    zone_min: int  # whole quarter hours east of UTC
    skew_s: float  # what is left: the host's clock error
    pairs: int
    keys: list[str]
    #: When the pairs it rests on were logged by ``reference`` (UTC): where the host's offset is
    #: ``zone_min`` (a zone with daylight saving time may have another elsewhere).
    at: list[datetime] = field(default_factory=list)
    #: Each pair it rests on: (the host's disconnect, the reference's), as the timeline holds
    #: them (the host's before any move).
    both: list[tuple[datetime, datetime]] = field(default_factory=list)


def infer_zones(
    signals: list[Signal],
    unzoned: list[str],
    zoned: list[str],
    peers: Mapping[str, set[str]] | None = None,
    *,
    on_utc: bool = False,
) -> list[ZoneGuess]:
    """UTC offsets of ``unzoned`` hosts (their local times taken as UTC) from the disconnects they
    share with a host whose zone is known: the offset most pairs agree on, its whole quarter
    hours the zone and the rest clock skew. Hosts with no such pair are absent. ``on_utc``:
    every host's times are on UTC already (their zones known), so a disconnect nearer to the
    other end's on a third host than to the one it would pair with is that host's session."""
    paired = [s for s in signals if s.kind == "signature" and s.data.get("pair")]
    peers = peers or {}
    out: list[ZoneGuess] = []
    for host in unzoned:
        mine = [s for s in paired if s.host == host]
        best: (
            tuple[
                tuple[int, int, float], float, str, list[tuple[float, datetime, datetime]], set[str]
            ]
            | None
        )
        best = None
        for ref in zoned:
            theirs = [s for s in paired if s.host == ref]
            diffs = [
                ((a.start - b.start).total_seconds(), str(a.data["pair"]), b.start, a.start)
                for a in mine
                for b in theirs
                if a.data["pair"] == b.data["pair"]
                and abs((a.start - b.start).total_seconds()) <= MAX_ZONE_OFFSET_S
                and same_session(a, b, peers)
                and not (
                    on_utc
                    and _nearer_elsewhere(
                        a, (a.start - b.start).total_seconds(), paired, {host, ref}
                    )
                )
            ]
            for d, *_ in diffs:
                near = [p for p in diffs if abs(p[0] - d) <= ZONE_PAIR_TOLERANCE_S]
                # Of as many pairs, the offset nearest whole quarter hours (what is left over is
                # clock skew, seconds where the peer is the same session's other end; another
                # pair's loss minutes away leaves minutes), then the nearest.
                score = (len(near), -round(abs(d - round(d / 900.0) * 900.0)), -abs(d))
                if best is None or score > best[0]:
                    best = (
                        score,
                        -abs(d),
                        ref,
                        [(x, t, mine_t) for x, _, t, mine_t in near],
                        {k for _, k, _, _ in near},
                    )
        if best is None:
            continue
        offset = median(x for x, _, _ in best[3])
        zone_min = int(round(offset / 900.0)) * 15
        out.append(
            ZoneGuess(
                host,
                best[2],
                zone_min,
                offset - zone_min * 60,
                len(best[3]),
                sorted(best[4]),
                sorted({t for _, t, _ in best[3]}),
                sorted({(a, b) for _, b, a in best[3]}),
            )
        )
    return out
