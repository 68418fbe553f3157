"""Which VRU PIM talks to which CVP Call Server: a site bundle split into its pairs.

A Peripheral Gateway runs one VRU PIM process (``pim1``, ``pim2`` ...) per CVP Call Server it
serves, and a site bundle may hold two PGs and eight Call Servers. The pairs are read from what
the servers wrote about each other, strongest first:

1. **Addresses named in the logs.** A PIM log names its VRU's address (``Trying to connect to
   VRU at 192.0.2.20 port 5000``, ``heartbeat confirm received from 192.0.2.20``); a CVP log
   names the PIM's (``Accepted connection from VRU PIM at ...``, the GED-125 socket
   ``Socket[addr=/192.0.2.16,...,localport=5000]``). Such an address is matched against the
   addresses each host is known by (``systeminfo`` network cards, the CVP sender field: the
   findings' ``hosts[].addresses``).
2. **Both ends named.** A PIM that names address A while the CVP host at A names an address of
   the PG (or the reverse) is one pair; an address named by one side and owned by no host of
   the bundle stays a pair with an outside peer (the other end was not collected).
3. **The only ones left.** When exactly one PIM and one CVP host remain unpaired, they are one
   pair (the plain two-server bundle, where neither side's own address is written anywhere).

Incidents are then attributed to the pairs whose ends they involve (:func:`incident_pairs`):
the signals' log streams say which PIM process of a PG saw it, the addresses in their messages
which peer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from hbtriage.hosts import IPV4, IPV4_RE

#: Lines that name the peer of the GED-125 session (polars/Rust regex syntax, also valid for
#: Python's ``re``): VRU (PIM side) or VRU PIM / GED-125 (CVP side), then an address.
PEER_LINE = r"(?i)(?:VRU|GED-?125)[^\n]{0,100}?\b" + IPV4 + r"\b"
_PEER_LINE = re.compile(PEER_LINE)

#: Reader kinds whose records may name the peer (see :data:`PEER_LINE`).
PEER_KINDS = ("icm_dumplog", "cvp_log", "ciscolog", "generic_log")


@dataclass(frozen=True)
class Mention:
    """One host's log naming an address of its GED-125 peer."""

    host: str
    stream: str  # "pim1" for a PIM process, "CVP" / "Error" for the Call Server's logs
    address: str
    count: int = 1


@dataclass
class Pair:
    """One VRU PIM (a PG host and its PIM process) and the CVP Call Server it talks to."""

    pim_host: str
    pim_process: str | None  # "pim1"; None when the PG's logs were not in the bundle
    cvp_host: str | None  # None: the CVP is outside the bundle, known by ``cvp_address``
    cvp_address: str | None = None
    pim_address: str | None = None
    basis: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        pim = f"{self.pim_host}/{self.pim_process}" if self.pim_process else self.pim_host
        cvp = self.cvp_host or f"{self.cvp_address} (not in the bundle)"
        return f"{pim} <-> {cvp}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pim_host": self.pim_host,
            "pim_process": self.pim_process,
            "pim_address": self.pim_address,
            "cvp_host": self.cvp_host,
            "cvp_address": self.cvp_address,
            "basis": list(self.basis),
            "findings": None,  # set for a split bundle: the pair's own findings.json
            "error": None,  # why the pair's own analysis failed
        }


def keep_pattern(existing: str | None) -> str:
    """``existing`` (a reader kind's keep regex, see ``Catalog.keep_patterns``) widened to the
    records that name a GED-125 peer, so their text survives reading."""
    return PEER_LINE if not existing else f"{existing}|(?:{PEER_LINE})"


def mentions(events: pl.DataFrame) -> list[Mention]:
    """The peer addresses named in ``events`` (the timeline's ``host``, ``stream``,
    ``message`` columns), counted per host, stream and address."""
    if events.is_empty() or "message" not in events.columns:
        return []
    rows = (
        events.lazy()
        .select(
            pl.col("host").cast(pl.Utf8),
            pl.col("stream").cast(pl.Utf8),
            pl.col("message"),
        )
        .filter(pl.col("message").is_not_null() & pl.col("message").str.contains(PEER_LINE))
        .collect()
    )
    counts: dict[tuple[str, str, str], int] = {}
    for host, stream, message in rows.iter_rows():
        for addr in addresses_in(message):
            key = (str(host), str(stream or ""), addr)
            counts[key] = counts.get(key, 0) + 1
    return [Mention(h, s, a, n) for (h, s, a), n in sorted(counts.items())]


def addresses_in(message: str) -> list[str]:
    """The addresses a peer line names (each once, in order)."""
    out: list[str] = []
    for m in _PEER_LINE.finditer(message):
        for a in IPV4_RE.findall(m.group(0)):
            if a not in out:
                out.append(a)
    return out


def _roles(inputs: Iterable[Mapping[str, Any]]) -> tuple[dict[str, set[str]], set[str]]:
    """PIM processes per PG host, and the CVP hosts, from the findings' inputs."""
    pims: dict[str, set[str]] = {}
    cvps: set[str] = set()
    for i in inputs:
        host, kind, stream = i.get("host"), i.get("kind"), str(i.get("stream") or "")
        if not host:
            continue
        if kind == "cvp_log":
            cvps.add(host)
        elif kind in ("icm_dumplog", "ciscolog") and stream.lower().startswith("pim"):
            pims.setdefault(host, set()).add(stream)
    return pims, cvps


def find_pairs(findings: Mapping[str, Any], found: Sequence[Mention]) -> list[Pair]:
    """The PIM <-> CVP pairs of one bundle, from its findings@1 document (hosts, their
    addresses, the inputs' kinds and streams) and the peer addresses its logs name."""
    pims, cvps = _roles(findings.get("inputs", []))
    owner: dict[str, str] = {}
    for h in findings.get("hosts", []):
        for a in h.get("addresses") or []:
            owner.setdefault(str(a), str(h["name"]))
    pairs: dict[tuple[str, str | None, str | None, str | None], Pair] = {}

    def add(
        pim: str,
        proc: str | None,
        cvp: str | None,
        cvp_addr: str | None,
        why: str,
        pim_addr: str | None = None,
    ) -> None:
        key = (pim, proc, cvp, None if cvp else cvp_addr)
        p = pairs.setdefault(key, Pair(pim, proc, cvp))
        p.cvp_address = p.cvp_address or cvp_addr
        p.pim_address = p.pim_address or pim_addr
        if why not in p.basis:
            p.basis.append(why)

    unresolved_pim: list[Mention] = []
    unresolved_cvp: list[Mention] = []
    for m in found:
        if m.host in pims and m.stream in pims[m.host]:
            peer = owner.get(m.address)
            if peer in cvps:
                add(m.host, m.stream, peer, m.address, f"{m.stream} names its VRU {m.address}")
            else:
                unresolved_pim.append(m)
        elif m.host in cvps:
            peer = owner.get(m.address)
            if peer in pims:
                why = f"{m.host} names its VRU PIM {m.address}"
                cvp_addr = _addr_of(m.host, owner)
                for proc in _procs_for(peer, pims, found, m.host, owner):
                    add(peer, proc, m.host, cvp_addr, why, m.address)
            else:
                unresolved_cvp.append(m)

    # A PIM naming a VRU address no host owns, paired already by its CVP's lines (they name
    # the PIM's address; the CVP's own is written nowhere): the address is that CVP's.
    for m in list(unresolved_pim):
        theirs = {
            p.cvp_host
            for p in pairs.values()
            if p.cvp_host and (p.pim_host, p.pim_process) in ((m.host, m.stream), (m.host, None))
        }
        if len(theirs) == 1 and _addr_of(cvp := theirs.pop(), owner) is None:
            proc = m.stream if (m.host, m.stream, cvp, None) in pairs else None
            add(m.host, proc, cvp, m.address, f"{m.stream} names its VRU {m.address}")
            unresolved_pim.remove(m)

    # A CVP naming an address no host owns, while an unresolved PIM names a VRU address that
    # no host owns either: the only CVP left and the only PIM left are one pair.
    paired_pims = {(p.pim_host, p.pim_process) for p in pairs.values() if p.cvp_host}
    paired_cvps = {p.cvp_host for p in pairs.values() if p.cvp_host}
    left_pims = sorted(
        (h, s) for h, procs in pims.items() for s in procs if (h, s) not in paired_pims
    )
    left_cvps = sorted(c for c in cvps if c not in paired_cvps)
    if len(left_pims) == 1 and len(left_cvps) == 1:
        (pg, proc), cvp = left_pims[0], left_cvps[0]
        named = [m.address for m in unresolved_pim if (m.host, m.stream) == (pg, proc)]
        back = [m.address for m in unresolved_cvp if m.host == cvp]
        add(
            pg,
            proc,
            cvp,
            named[0] if named else None,
            "the only PIM and CVP of the bundle",
            back[0] if back else None,
        )
        unresolved_pim = [m for m in unresolved_pim if (m.host, m.stream) != (pg, proc)]
        unresolved_cvp = [m for m in unresolved_cvp if m.host != cvp]
    for m in unresolved_pim:
        add(
            m.host,
            m.stream,
            None,
            m.address,
            f"{m.stream} names its VRU {m.address}, a host not in the bundle",
        )
    return sorted(pairs.values(), key=lambda p: p.id)


def _addr_of(host: str, owner: Mapping[str, str]) -> str | None:
    return next((a for a, h in sorted(owner.items()) if h == host), None)


def _procs_for(
    pg: str,
    pims: Mapping[str, set[str]],
    found: Sequence[Mention],
    cvp: str,
    owner: Mapping[str, str],
) -> list[str | None]:
    """The PIM processes of ``pg`` that talk to ``cvp``: those naming one of its addresses,
    else the PG's only PIM, else (several, none naming it) the PG without a process."""
    named = sorted({m.stream for m in found if m.host == pg and owner.get(m.address) == cvp})
    if named:
        return list(named)
    procs = sorted(pims.get(pg, ()))
    return [procs[0]] if len(procs) == 1 else [None]


def incident_pairs(incident: Mapping[str, Any], pairs: Sequence[Pair]) -> list[str]:
    """The ids of the pairs an incident (findings@1) concerns: a pair whose PIM process or
    CVP wrote one of its signals, narrowed to pairs with both ends involved when there are
    any, and to the addresses its messages name when they name one."""
    if not pairs:
        return []
    touched: set[tuple[str, str | None]] = set()
    named: set[str] = set()
    for s in incident.get("signals", []):
        data = s.get("data") or {}
        touched.add((str(s.get("host")), data.get("stream")))
        named.update(addresses_in(str(data.get("message") or "")))
    hosts = {h for h, _ in touched}

    def pim_in(p: Pair) -> bool:
        if p.pim_process is None:
            return p.pim_host in hosts
        return (p.pim_host, p.pim_process) in touched

    def cvp_in(p: Pair) -> bool:
        return p.cvp_host is not None and p.cvp_host in hosts

    both = [p for p in pairs if pim_in(p) and cvp_in(p)]
    chosen = both or [p for p in pairs if pim_in(p) or cvp_in(p)]
    if len(chosen) > 1 and named:
        narrowed = [p for p in chosen if {p.cvp_address, p.pim_address} & named]
        chosen = narrowed or chosen
    return sorted(p.id for p in chosen)
