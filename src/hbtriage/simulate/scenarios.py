"""Synthetic, labelled heartbeat-loss bundles in the real formats.

A bundle is two hosts, a Peripheral Gateway (VRU PIM, ``pim1`` dumplog) and a CVP Call
Server (``CVP.<date>.log``, ``Error.<date>.log``), each with a perfmon CSV, plus
configuration snapshots when a scenario needs them. ``truth.json`` beside the host folders
says what happened (never inside the data: nothing a real server would not write).

All planning happens on *true UTC* milliseconds; a host's files show
``true + zone offset + clock skew`` (the CVP host's clock may be off, and then every
timestamp it writes, logs and perfmon alike, is shifted).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from hbtriage.simulate import traces as T
from hbtriage.simulate import writers as W

#: The causes on one host that the simulator knows how to stage (see ``_add_cause``; a cause
#: added to the catalog is simply not simulated until it gets a staging here; network_path is
#: between the hosts and has a scenario of its own; unknown is not staged).
CAUSES: tuple[str, ...] = (
    "dpc_storm",
    "nic_errors",
    "vm_stun",
    "cpu_saturation",
    "memory_pressure",
    "tcp_offload",
    "peer_restart",
)

#: Every scenario name ``generate`` accepts.
SCENARIOS: tuple[str, ...] = (
    "healthy",
    *(f"{c}_{role}" for c in CAUSES for role in ("pg", "cvp")),
    "network_path",
    "cpu_high_elsewhere",
    "dpc_no_loss",
    "two_incidents",
)

PG_IP = "192.0.2.16"
CVP_IP = "192.0.2.20"
GED125_PORT = 5000

# (label for truth.json, perfmon zone name, minutes east of UTC, locale, encodings)
_ZONES: tuple[tuple[str, str, int, str, tuple[str, ...]], ...] = (
    ("America/New_York", "Eastern Standard Time", -300, "en", ("utf-8", "utf-16", "cp1252")),
    ("America/Chicago", "Central Standard Time", -360, "en", ("utf-8", "utf-8-sig")),
    ("Asia/Tokyo", "", 540, "ja", ("cp932", "utf-8", "utf-16")),
    ("Asia/Tokyo", "Tokyo Standard Time", 540, "en", ("utf-8",)),
    ("Europe/Berlin", "W. Europe Standard Time", 60, "de", ("cp1252", "utf-16", "utf-8-sig")),
    ("Europe/Paris", "Romance Standard Time", 60, "fr", ("cp1252", "utf-16")),
    ("Europe/Madrid", "Romance Standard Time", 60, "es", ("cp1252", "utf-8")),
    ("Europe/Warsaw", "Central European Standard Time", 60, "pl", ("cp1250", "utf-16")),
    ("Europe/Kiev", "FLE Standard Time", 120, "ru", ("cp1251", "utf-16")),
)

_NICS = (
    "Intel[R] PRO_1000 MT Network Connection",
    "Broadcom BCM5708C NetXtreme II GigE [NDIS VBD Client]",
    "HP NC382i DP Multifunction Gigabit Server Adapter",
    "vmxnet3 Ethernet Adapter",
)

# perfmon columns: (object, counter, how the sample is formed); instance filled per host.
#   avg = average over the sample interval (rates, % times), blank in the first row
#   instant = value at the sample instant (DPC Rate, queue lengths, Available MBytes)
#   cum = raw count since boot (the sample shows the running total)
_COUNTERS: tuple[tuple[str, str, str], ...] = (
    ("Processor", "% Processor Time", "avg"),
    ("Processor", "% Privileged Time", "avg"),
    ("Processor", "% DPC Time", "avg"),
    ("Processor", "% Interrupt Time", "avg"),
    ("Processor", "DPC Rate", "instant"),
    ("Processor", "DPCs Queued/sec", "avg"),
    ("Processor", "Interrupts/sec", "avg"),
    ("Network Interface", "Bytes Total/sec", "avg"),
    ("Network Interface", "Packets Received Discarded", "cum"),
    ("Network Interface", "Packets Received Errors", "cum"),
    ("Network Interface", "Packets Outbound Discarded", "cum"),
    ("Network Interface", "Output Queue Length", "instant"),
    ("UDPv4", "Datagrams Received Errors", "cum"),
    ("TCPv4", "Connections Reset", "cum"),
    ("TCPv4", "Segments Retransmitted/sec", "avg"),
    ("System", "Processor Queue Length", "instant"),
    ("Memory", "Pages/sec", "avg"),
    ("Memory", "Available MBytes", "instant"),
)

_PROCESSES = (
    "System",
    "smss",
    "csrss",
    "winlogon",
    "services",
    "lsass",
    "svchost",
    "svchost#1",
    "svchost#2",
    "svchost#3",
    "svchost#4",
    "spoolsv",
    "msdtc",
    "sqlservr",
    "w3wp",
    "java",
    "tomcat5",
    "CallServer",
    "nmm",
    "nm",
    "pim1",
    "opc",
    "mds",
    "pgagent",
    "dmp",
    "ccagent",
    "vmtoolsd",
    "explorer",
    "snmp",
    "wmiprvse",
)
_PROC_COUNTERS = (
    ("% Processor Time", 2.0),
    ("% Privileged Time", 0.8),
    ("Working Set", 5.0e7),
    ("Private Bytes", 6.0e7),
    ("Handle Count", 600.0),
    ("Thread Count", 40.0),
    ("IO Data Bytes/sec", 2.0e4),
    ("Page Faults/sec", 30.0),
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(dt: datetime) -> int:
    return int((dt - _EPOCH).total_seconds() * 1000)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


@dataclass
class Host:
    """One server of the bundle and how its files look."""

    name: str
    role: str  # "pg" | "cvp"
    ip: str
    tz: str  # label for truth.json
    zone_name: str  # written in the perfmon header
    offset_min: int  # minutes east of UTC
    skew_ms: int = 0  # clock error: every timestamp the host writes is shifted by this
    interval_s: int = 1
    locale: str = "en"
    encoding: str = "utf-8"
    excel: bool = False
    nic: str = _NICS[0]
    log_rate: float = 3.0  # normal records per second in the main log
    base: dict[str, float] = field(default_factory=dict)
    extra_counters: int = 0  # pad the perfmon with Process(...) columns (benchmark)
    #: The UTC offset its CVP logs write (and keep their times in), when not its zone's: a
    #: Call Server whose Java logs on UTC (``+0000``) while Windows and perfmon keep local time.
    log_offset_min: int | None = None

    def local(self, t_ms: np.ndarray) -> np.ndarray:
        return t_ms + self.offset_min * 60_000 + self.skew_ms

    @property
    def node(self) -> str:
        """ICM node name in the dumplog (``PG1A`` -> ``pg1A``)."""
        return self.name[:2].lower() + self.name[2:]


@dataclass
class Effect:
    """A counter disturbance on one host between two true-UTC instants."""

    kind: str  # dpc | nic | cpu | mem | resets | stun
    host: str
    start_ms: int
    end_ms: int
    level: float = 1.0


@dataclass
class Plan:
    start_ms: int
    end_ms: int
    pg: Host
    cvp: Host
    effects: list[Effect] = field(default_factory=list)
    silent: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    hb_off: list[tuple[int, int]] = field(default_factory=list)
    lines: dict[str, list[tuple[int, str]]] = field(
        default_factory=lambda: {"pim1": [], "CVP": [], "Error": []}
    )
    configs: dict[str, dict[str, str]] = field(default_factory=dict)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    cvp_prefix: str = "none"  # none | half | all
    error_per_hour: float = 4.0
    exact_dpc: bool = False  # reference: DPC Rate exactly the level, no noise
    seed: int = 0  # the scenario's seed (the DPC/ISR traces draw from their own streams)
    traces: list[T.TracePlan] = field(default_factory=list)  # DPC/ISR reports to write

    def host(self, role: str) -> Host:
        return self.pg if role == "pg" else self.cvp

    def quiet(self, host: str, start: int, end: int) -> None:
        self.silent.setdefault(host, []).append((start, end))

    def pim(self, t: int, msg: str) -> None:
        self.lines["pim1"].append((t, msg))

    def cvp_line(self, t: int, msg: str, *, error: bool = False) -> None:
        self.lines["CVP"].append((t, msg))
        if error:
            self.lines["Error"].append((t, msg))


# --- log content -------------------------------------------------------------------------


def _guid(rng: np.random.Generator, n: int) -> list[str]:
    raw = rng.integers(0, 2**63, size=(n, 2), dtype=np.int64)
    return [f"{a:016X}{b:016X}" for a, b in raw.tolist()]


def _pim_pool(rng: np.random.Generator, n: int) -> list[str]:
    """Plausible, neutral PIM routing traces (invented text)."""
    dlg = rng.integers(0x1000, 0xFFFFFF, size=n).tolist()
    kind = rng.integers(0, 8, size=n).tolist()
    inv = rng.integers(1, 99999, size=n).tolist()
    port = rng.integers(1, 480, size=n).tolist()
    dur = rng.integers(8, 900, size=n).tolist()
    scripts = ("Main_VRU", "Billing_Menu", "Support_Queue", "After_Hours")
    labels = ("PlayWelcome", "CollectAccount", "QueueMusic", "TransferAgent", "SurveyPrompt")
    out = []
    for i in range(n):
        d, k = dlg[i], kind[i]
        if k == 0:
            out.append(
                f"Trace: NEW_CALL_REQ dialogue 0x{d:06X} DN 7001 trunk group 1 port {port[i]}"
            )
        elif k == 1:
            out.append(f"Trace: REQUEST_INSTRUCTION sent for dialogue 0x{d:06X}")
        elif k == 2:
            out.append(
                f"Trace: RUN_SCRIPT_REQ dialogue 0x{d:06X} invoke {inv[i]} "
                f"script '{scripts[inv[i] % 4]}'"
            )
        elif k == 3:
            out.append(f"Trace: RUN_SCRIPT_RESULT dialogue 0x{d:06X} invoke {inv[i]} result OK")
        elif k == 4:
            out.append(f"Trace: CONNECT to label '{labels[inv[i] % 5]}' dialogue 0x{d:06X}")
        elif k == 5:
            out.append(f"Trace: EVENT_REPORT dialogue 0x{d:06X} CALL_CLEARED after {dur[i]} s")
        elif k == 6:
            out.append(
                f"Trace: Routing client: {port[i] % 60} calls in progress, {port[i] % 7} queued"
            )
        else:
            out.append(f"Trace: DIALOGUE_STATE 0x{d:06X} -> RUNNING_SCRIPT")
    return out


def _cvp_pool(rng: np.random.Generator, n: int) -> list[str]:
    """Plausible CVP Call Server debug records (first line + optional continuation)."""
    guids = _guid(rng, n)
    kind = rng.integers(0, 10, size=n).tolist()
    thr = rng.integers(1, 60, size=n).tolist()
    cli = rng.integers(10, 60, size=n).tolist()
    templates = ("PlayMediaIOS.template", "GetDigitsIOS.template", "PlayMediaGetDigits.template")
    out = []
    for i in range(n):
        k, g = kind[i], guids[i]
        if k <= 3:
            out.append(
                f"%CVP_8_5_IVR-7-CALL: {{Thrd=http-8000-{thr[i]}}} VXMLManager:generateVXML: "
                f"CALLGUID={g}\nGenerated VXML from template '{templates[k % 3]}' for client: "
                f"198.51.100.{cli[i]} clientType: IOS"
            )
        elif k == 4:
            out.append(
                f"%CVP_8_5_SIP-7-CALL: {{Thrd=DIALOG_CALLBACK.{thr[i] % 9}}} CALLGUID={g} "
                f"INVITE received from 198.51.100.{cli[i]}"
            )
        elif k == 5:
            out.append(
                f"%CVP_8_5_ICM-7-CALL: {{Thrd=ICM_SendThread}} CALLGUID={g} "
                f"NEW_CALL sent to VRU PIM (DNIS 7001)"
            )
        elif k == 6:
            out.append(
                f"%CVP_8_5_ICM-7-CALL: {{Thrd=ICM_RecvThread}} CALLGUID={g} "
                f"RUN_SCRIPT_REQ received, script 'PlayWelcome'"
            )
        elif k == 7:
            out.append(
                f"%CVP_8_5_IVR-7-CALL: {{Thrd=http-8000-{thr[i]}}} CALLGUID={g} "
                f"Media fetch http://198.51.100.50/en-us/app/menu{thr[i] % 5}.wav cached"
            )
        elif k == 8:
            out.append(
                f"%CVP_8_5_IVR-7-CALL: {{Thrd=http-8000-{thr[i]}}} CALLGUID={g} "
                f"Call completed normally, {cli[i] * 7} s in IVR"
            )
        else:
            out.append(
                f"%CVP_8_5_SIP-7-CALL: {{Thrd=DIALOG_CALLBACK.{thr[i] % 9}}} CALLGUID={g} "
                f"BYE received, sending 200 OK"
            )
    return out


def _error_pool(rng: np.random.Generator, n: int) -> list[str]:
    """Harmless errors a busy Call Server logs now and then."""
    guids = _guid(rng, n)
    out = []
    for i, g in enumerate(guids):
        out.append(
            f"%CVP_8_5_IVR-3-CALL_ERROR: {{Thrd=http-8000-{i % 40 + 1}}} CALLGUID={g} "
            f"Media fetch returned HTTP 404 for http://198.51.100.50/en-us/app/holiday.wav "
            f"[id:3023]"
        )
    return out


def _grid_times(rng: np.random.Generator, start: int, end: int, rate: float) -> np.ndarray:
    """Jittered regular arrivals: busy but never a natural pause longer than 2/rate."""
    n = max(1, int((end - start) / 1000 * rate))
    step = (end - start) / n
    t = start + (np.arange(n) + rng.random(n)) * step
    return np.sort(t.astype(np.int64))


def _drop_in(t: np.ndarray, windows: list[tuple[int, int]]) -> np.ndarray:
    keep = np.ones(len(t), dtype=bool)
    for s, e in windows:
        keep &= ~((t > s) & (t < e))
    return keep


def _pool_messages(pool: list[str], rng: np.random.Generator, n: int) -> pl.Series:
    s = pl.Series("msg", pool, dtype=pl.Utf8)
    if n <= len(pool):
        return s[:n]
    return s.gather(rng.integers(0, len(pool), size=n))


def _merge(
    t: np.ndarray, msgs: pl.Series, extra: list[tuple[int, str]]
) -> tuple[np.ndarray, pl.Series]:
    if extra:
        et = np.array([x[0] for x in extra], dtype=np.int64)
        em = pl.Series("msg", [x[1] for x in extra], dtype=pl.Utf8)
        t = np.concatenate([t, et])
        msgs = pl.concat([msgs, em])
    order = np.argsort(t, kind="stable")
    return t[order], msgs.gather(order)


# --- perfmon content ---------------------------------------------------------------------


def _default_base(rng: np.random.Generator) -> dict[str, float]:
    return {
        "user": float(rng.uniform(4, 14)),
        "priv": float(rng.uniform(1.5, 5)),
        "dpc": float(rng.uniform(0.05, 0.5)),
        "int": float(rng.uniform(0.05, 0.4)),
        "dpc_one": float(rng.uniform(0.01, 0.06)),
        "dpcq": float(rng.uniform(40, 160)),
        "irq": float(rng.uniform(400, 1600)),
        "bytes": float(rng.uniform(4e4, 4e5)),
        "discard0": float(rng.integers(0, 600)),
        "errors0": float(rng.integers(0, 3)),
        "outdisc0": 0.0,
        "udperr0": float(rng.integers(0, 9000)),
        "reset0": float(rng.integers(50, 4000)),
        "retrans": float(rng.uniform(0.01, 0.1)),
        "pql": float(rng.uniform(0.1, 0.6)),
        "pages": float(rng.uniform(1, 8)),
        "avail": float(rng.uniform(1200, 3000)),
    }


def _signals(plan: Plan, host: Host, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Per-second ground-truth signals for the 18 counters (index 0 = plan.start_ms)."""
    b = host.base or _default_base(rng)
    user = np.clip(b["user"] + rng.normal(0, b["user"] * 0.25, n), 0.2, 60)
    dpc = b["dpc"] * rng.lognormal(0, 0.4, n)
    intr = b["int"] * rng.lognormal(0, 0.3, n)
    priv_base = np.clip(b["priv"] + rng.normal(0, b["priv"] * 0.2, n), 0.2, 40)
    dpc_rate = (rng.random(n) < b["dpc_one"]).astype(np.float64)
    dpcq = np.clip(b["dpcq"] * rng.lognormal(0, 0.15, n), 1, None)
    irq = np.clip(b["irq"] * rng.lognormal(0, 0.1, n), 50, None)
    byt = b["bytes"] * rng.lognormal(0, 0.35, n)
    zero = np.zeros(n)
    disc, errs, outd, udp, resets = zero.copy(), zero.copy(), zero.copy(), zero.copy(), zero.copy()
    retr = rng.poisson(b["retrans"], n).astype(np.float64)
    pql = rng.poisson(b["pql"], n).astype(np.float64)
    pages = rng.exponential(b["pages"], n)
    avail = b["avail"] + np.cumsum(rng.normal(0, 0.6, n))
    avail = np.clip(avail, b["avail"] * 0.8, b["avail"] * 1.1)
    oql = zero.copy()

    for eff in plan.effects:
        if eff.host != host.name or eff.kind == "stun":
            continue
        lo = max(0, (eff.start_ms - plan.start_ms) // 1000)
        hi = min(n, -(-(eff.end_ms - plan.start_ms) // 1000))
        if hi <= lo:
            continue
        m = hi - lo
        sl = slice(lo, hi)
        if eff.kind == "dpc":
            if plan.exact_dpc:
                dpc_rate[sl] = eff.level
            else:
                dpc_rate[sl] = np.clip(eff.level + rng.integers(-2, 3, m), 4, None)
            dpc[sl] = rng.uniform(18, 35, m)
            dpcq[sl] = b["dpcq"] * rng.uniform(25, 45, m)
            intr[sl] = intr[sl] + rng.uniform(0.5, 2, m)
        elif eff.kind == "nic":
            disc[sl] = rng.integers(20, 250, m)
            errs[sl] = rng.integers(1, 25, m)
            udp[sl] = rng.integers(10, 160, m)
        elif eff.kind == "cpu":
            user[sl] = rng.uniform(90, 99, m)
            pql[sl] = rng.integers(10, 32, m) if eff.level >= 1 else rng.integers(3, 9, m)
        elif eff.kind == "mem":
            pages[sl] = rng.uniform(1500, 6000, m)
            avail[sl] = rng.uniform(15, 60, m)
            user[sl] = user[sl] + rng.uniform(5, 15, m)
        elif eff.kind == "resets":
            resets[hi - 1] += eff.level
    priv = np.clip(priv_base + dpc + intr, 0, 100)
    proc = np.clip(user + priv, 0, 100)
    priv = np.minimum(priv, proc)
    return {
        "% Processor Time": proc,
        "% Privileged Time": priv,
        "% DPC Time": np.clip(dpc, 0, 100),
        "% Interrupt Time": np.clip(intr, 0, 100),
        "DPC Rate": dpc_rate,
        "DPCs Queued/sec": dpcq,
        "Interrupts/sec": irq,
        "Bytes Total/sec": byt,
        "Packets Received Discarded": disc,
        "Packets Received Errors": errs,
        "Packets Outbound Discarded": outd,
        "Output Queue Length": oql,
        "Datagrams Received Errors": udp,
        "Connections Reset": resets,
        "Segments Retransmitted/sec": retr,
        "Processor Queue Length": pql,
        "Pages/sec": pages,
        "Available MBytes": np.round(avail),
        "_start:Packets Received Discarded": np.array([b["discard0"]]),
        "_start:Packets Received Errors": np.array([b["errors0"]]),
        "_start:Packets Outbound Discarded": np.array([b["outdisc0"]]),
        "_start:Datagrams Received Errors": np.array([b["udperr0"]]),
        "_start:Connections Reset": np.array([b["reset0"]]),
    }


def _sample_times(plan: Plan, host: Host, rng: np.random.Generator) -> np.ndarray:
    step = host.interval_s * 1000
    first = plan.start_ms + int(rng.integers(0, 1000))
    n = max(2, (plan.end_ms - first) // step + 1)
    t = first + np.arange(n, dtype=np.int64) * step + rng.integers(-6, 7, n)
    for eff in plan.effects:
        if eff.kind == "stun" and eff.host == host.name:
            t = t[(t < eff.start_ms) | (t > eff.end_ms)]
    return t


def _perfmon_columns(
    plan: Plan, host: Host, rng: np.random.Generator, t: np.ndarray
) -> list[W.PerfmonColumn]:
    n_sec = (int(t[-1]) - plan.start_ms) // 1000 + 2
    sig = _signals(plan, host, rng, n_sec)
    idx = (t - plan.start_ms) // 1000  # second each sample falls in
    cols: list[W.PerfmonColumn] = []
    for obj, counter, how in _COUNTERS:
        x = sig[counter]
        if how == "instant":
            v = x[idx].astype(np.float64)
        elif how == "cum":
            v = sig[f"_start:{counter}"][0] + np.cumsum(x)[idx]
        else:
            cs = np.concatenate([[0.0], np.cumsum(x)])
            a = np.concatenate([[idx[0]], idx[:-1]])
            width = np.maximum(idx - a, 1)
            v = (cs[idx + 1] - cs[a + 1]) / width
            v[0] = np.nan
        inst = "_Total" if obj == "Processor" else host.nic if obj == "Network Interface" else None
        cols.append(W.PerfmonColumn(obj, counter, inst, v))
    cols += _extra_columns(host, rng, len(t))
    return cols


def _extra_columns(host: Host, rng: np.random.Generator, n: int) -> list[W.PerfmonColumn]:
    """Real-sounding padding: Process(<name>)\\<counter> columns (benchmarks)."""
    out: list[W.PerfmonColumn] = []
    k = 0
    while len(out) < host.extra_counters:
        proc = _PROCESSES[k % len(_PROCESSES)]
        if k >= len(_PROCESSES):
            proc = f"{proc}#{k // len(_PROCESSES) + 4}"
        for counter, scale in _PROC_COUNTERS:
            if len(out) >= host.extra_counters:
                break
            base = scale * float(rng.uniform(0.2, 2.0))
            if counter.startswith("%") or counter.endswith("/sec"):
                v = base * rng.lognormal(0, 0.3, n)
                v[0] = np.nan
            else:
                v = np.round(base + np.cumsum(rng.normal(0, base * 0.001, n)))
            out.append(W.PerfmonColumn("Process", counter, proc, v))
        k += 1
    return out


# --- the shared story of a heartbeat loss --------------------------------------------------


def _loss(plan: Plan, rng: np.random.Generator, t_loss: int, *, recover: bool = True) -> int:
    """CVP drops the session at ``t_loss``; the PIM sees the reset; both reconnect.

    Returns the time the session is back in service.
    """
    port = int(rng.integers(1025, 65000))
    plan.cvp_line(
        t_loss,
        "%CVP_8_5_ICM-6-LOGMSG_ICM_SS_GENERAL_INFO: Missed 2 VRU PIM heartbeats. "
        "Closing session and waiting for new connection from PIM. [id:2007]",
        error=True,
    )
    t1 = t_loss + int(rng.integers(5, 40))
    plan.cvp_line(
        t1,
        "%CVP_8_5_ICM-1-LOGMSG_ICM_SS_STATE: Shutting down VRU PIM connection. "
        "Transition to partial service. [id:2006]",
        error=True,
    )
    t2 = t1 + int(rng.integers(15, 60))
    plan.cvp_line(t2, _terminate(port, plan.pg.ip), error=True)
    tp = t_loss + int(rng.integers(8, 60))
    plan.pim(tp, _ERR_10054)
    plan.pim(tp + 1, "TCP connection to VRU has been broken.")
    if not recover:
        return tp
    return _reconnect(plan, rng, tp + int(rng.integers(900, 2500)))


_ERR_10054 = (
    "Error receiving data from VRU.\n\tLast API Error [10054]: "
    "An existing connection was forcibly closed by the remote host."
)


def _terminate(port: int, pim: str = PG_IP) -> str:
    return (
        "%CVP_8_5_MSGBUS-3-MESSAGING_LAYER: ConnectionServer(GED125)::terminateConnection on "
        f"plugin(GED125) with connection(Socket[addr=/{pim},port={port},"
        f"localport={GED125_PORT}]) due to: Plugin was stopped by the application [id:1]"
    )


def _reconnect(plan: Plan, rng: np.random.Generator, t: int) -> int:
    plan.pim(t, f"Trying to connect to VRU at {plan.cvp.ip} port {GED125_PORT}")
    t2 = t + int(rng.integers(20, 90))
    plan.pim(t2, "VRU connection established")
    plan.pim(t2 + int(rng.integers(2, 20)), "Trace: OPEN_CONF received from VRU, session active")
    t3 = t2 + int(rng.integers(10, 80))
    plan.cvp_line(
        t3,
        f"%CVP_8_5_ICM-6-LOGMSG_ICM_SS_GENERAL_INFO: Accepted connection from VRU PIM at "
        f"{plan.pg.ip}. [id:2007]",
    )
    plan.cvp_line(
        t3 + int(rng.integers(5, 40)),
        "%CVP_8_5_ICM-6-LOGMSG_ICM_SS_STATE: ICM Service is now In Service. [id:2006]",
    )
    return t3


def _pad(start: int, end: int, host: Host, rng: np.random.Generator) -> tuple[int, int]:
    """Counter windows cover at least one sample of the host's interval."""
    need = host.interval_s * 1000 + 1500
    if end - start < need:
        extra = need - (end - start)
        lead = int(rng.uniform(0.2, 0.8) * extra)
        return start - lead, end + (extra - lead)
    return start, end


def _incident(plan: Plan, cause: str, host: str | None, start: int, end: int) -> None:
    plan.incidents.append({"start": _iso(start), "end": _iso(end), "cause": cause, "host": host})


def _add_cause(plan: Plan, rng: np.random.Generator, cause: str, role: str, t0: int) -> None:
    """Plan one incident of ``cause`` on the host of ``role`` starting at ``t0`` (true UTC)."""
    h = plan.host(role)
    other = plan.cvp if role == "pg" else plan.pg
    if cause == "dpc_storm":
        gap = int(rng.uniform(2, 60) * 1000)
        t1 = t0 + gap
        s, e = _pad(t0, t1, h, rng)
        plan.effects.append(Effect("dpc", h.name, s, e, float(rng.integers(6, 25))))
        plan.quiet(h.name, t0, t1)
        plan.quiet(other.name, t0 + int(rng.integers(-300, 300)), t1)
        plan.hb_off.append((t0 - 500, t1))
        _loss(plan, rng, t1)
        cfg = plan.configs.setdefault(h.name, {})
        cfg.setdefault("netsh_int_tcp_show_global.txt", W.netsh_tcp_global("disabled", "disabled"))
        cfg["systeminfo.txt"] = W.systeminfo(h.name, _HOTFIXES, time_zone=_systeminfo_zone(h))
        cfg["ndis_version.txt"] = _wmic_ndis("5.2.3790.3959")
        _incident(plan, cause, h.name, t0, t1)
        trace = T.plan_storm_trace(h.name, s, e, plan.seed)
        plan.incidents[-1]["driver"] = trace.storm[2] if trace and trace.storm else None
        if trace is not None:
            plan.traces.append(trace)
            if np.random.default_rng([plan.seed, t0 % (2**31), 19]).random() < 0.5:
                plan.traces.append(T.plan_healthy_trace(other.name, t0, plan.seed))
    elif cause == "vm_stun":
        gap = int(rng.uniform(2, 60) * 1000)
        t1 = t0 + gap
        plan.effects.append(Effect("stun", h.name, t0, t1))
        plan.quiet(h.name, t0, t1)
        plan.hb_off.append((t0, t1))
        _loss(plan, rng, t1)
        _incident(plan, cause, h.name, t0, t1)
    elif cause in ("cpu_saturation", "memory_pressure"):
        gap = int(rng.uniform(5, 60) * 1000)
        t1 = t0 + gap
        lead = int(rng.uniform(20, 150) * 1000)
        tail = int(rng.uniform(5, 40) * 1000)
        s, e = _pad(t0 - lead, t1 + tail, h, rng)
        kind = "cpu" if cause == "cpu_saturation" else "mem"
        plan.effects.append(Effect(kind, h.name, s, e, 1.0))
        plan.quiet(h.name, t0, t1)
        plan.hb_off.append((t0, t1))
        _loss(plan, rng, t1)
        _incident(plan, cause, h.name, t0, t1)
    elif cause in ("nic_errors", "tcp_offload", "network_path"):
        gap = int(rng.uniform(10, 60 if cause == "nic_errors" else 20) * 1000)
        t1 = t0 + gap
        plan.hb_off.append((t0, t1))
        if cause == "nic_errors":
            s, e = _pad(t0, t1, h, rng)
            plan.effects.append(Effect("nic", h.name, s, e))
        elif cause == "tcp_offload":
            plan.effects.append(Effect("resets", h.name, t1, t1 + 1500, float(rng.integers(1, 4))))
            plan.configs.setdefault(h.name, {})["netsh_int_tcp_show_global.txt"] = (
                W.netsh_tcp_global("enabled", "enabled")
            )
            plan.configs.setdefault(other.name, {}).setdefault(
                "netsh_int_tcp_show_global.txt", W.netsh_tcp_global("enabled", "disabled")
            )
        _loss(plan, rng, t1)
        _incident(plan, cause, None if cause == "network_path" else h.name, t0, t1)
    elif cause == "peer_restart":
        gap = int(rng.uniform(20, 60) * 1000)
        t1 = t0 + gap
        if role == "pg":
            _pim_restart(plan, rng, t0, t1)
        else:
            _cvp_restart(plan, rng, t0, t1)
        _incident(plan, cause, h.name, t0, t1)
    else:
        raise ValueError(f"unknown cause {cause!r}")


_SYSINFO_ZONES = {
    -360: "(GMT-06:00) Central Time (US & Canada)",
    -300: "(GMT-05:00) Eastern Time (US & Canada)",
    60: "(GMT+01:00) Brussels, Copenhagen, Madrid, Paris",
    120: "(GMT+02:00) Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius",
    540: "(GMT+09:00) Osaka, Sapporo, Tokyo",
}


def _systeminfo_zone(h: Host) -> str:
    if h.tz == "Europe/Berlin":
        return "(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"
    return _SYSINFO_ZONES.get(
        h.offset_min, "(GMT) Greenwich Mean Time : Dublin, Edinburgh, Lisbon, London"
    )


_HOTFIXES = ("File 1", "Q147222", "KB925902 - Update", "KB933854", "KB936357", "KB948496")


def _wmic_ndis(version: str) -> str:
    cmd = 'C:\\>wmic datafile where name="C:\\\\Windows\\\\System32\\\\drivers\\\\ndis.sys" get Version'
    return cmd + "\r\n" + W.wmic_file_version(version)


def _pim_restart(plan: Plan, rng: np.random.Generator, t0: int, t1: int) -> None:
    """The pim1 process dies at t0 (no last words) and the Node Manager starts it at t1."""
    # Only the PIM process goes quiet; CVP notices the missing heartbeats ~10 s later.
    plan.silent.setdefault("pim1-only", []).append((t0, t1))
    plan.hb_off.append((t0, t1 + 3000))
    t_loss = t0 + int(rng.uniform(10.0, 11.5) * 1000)
    port = int(rng.integers(1025, 65000))
    plan.cvp_line(
        t_loss,
        "%CVP_8_5_ICM-6-LOGMSG_ICM_SS_GENERAL_INFO: Missed 2 VRU PIM heartbeats. "
        "Closing session and waiting for new connection from PIM. [id:2007]",
        error=True,
    )
    plan.cvp_line(
        t_loss + 21,
        "%CVP_8_5_ICM-1-LOGMSG_ICM_SS_STATE: Shutting down VRU PIM connection. "
        "Transition to partial service. [id:2006]",
        error=True,
    )
    plan.cvp_line(t_loss + 52, _terminate(port, plan.pg.ip), error=True)
    t = t1
    for msg in (
        "Initializing Event Management System (EMS) Library.",
        "Trace: EMS Library initialized.",
        "Process pim1 started (VRU PIM, peripheral 5000), version 8.5(3).",
        "Trace: Loading configuration for VRU peripheral 5000.",
    ):
        plan.pim(t, msg)
        t += int(rng.integers(5, 120))
    _reconnect(plan, rng, t + int(rng.integers(300, 1500)))


def _cvp_restart(plan: Plan, rng: np.random.Generator, t0: int, t1: int) -> None:
    """The Call Server service stops at t0 and is started again at t1."""
    plan.cvp_line(
        t0,
        "%CVP_8_5_INFRA-6-SERVICE_STATE: Cisco CVP Call Server service stop requested. [id:4001]",
    )
    plan.cvp_line(
        t0 + 40, "%CVP_8_5_INFRA-6-SERVICE_STATE: Cisco CVP Call Server is shutting down. [id:4002]"
    )
    plan.quiet(plan.cvp.name, t0 + 41, t1)
    plan.hb_off.append((t0, t1 + 3000))
    tp = t0 + int(rng.integers(60, 200))
    plan.pim(tp, _ERR_10054)
    plan.pim(tp + 1, "TCP connection to VRU has been broken.")
    t = tp + 5000
    while t < t1 + 1500:
        plan.pim(t, f"Trying to connect to VRU at {plan.cvp.ip} port {GED125_PORT}")
        plan.pim(
            t + 1000,
            "Unable to connect to VRU.\n\tLast API Error [10061]: No connection could be made "
            "because the target machine actively refused it.",
        )
        t += 5000
    plan.cvp_line(
        t1,
        "%CVP_8_5_INFRA-6-SERVICE_STATE: Cisco CVP Call Server started, version 8.5(1). [id:4003]",
    )
    plan.cvp_line(
        t1 + int(rng.integers(200, 900)),
        f"%CVP_8_5_ICM-6-LOGMSG_ICM_SS_GENERAL_INFO: Listening for VRU PIM connections on port "
        f"{GED125_PORT}. [id:2007]",
    )
    _reconnect(plan, rng, t)


# --- rendering -----------------------------------------------------------------------------


def _log_stream(
    plan: Plan,
    rng: np.random.Generator,
    host: Host,
    pool: list[str],
    rate: float,
    hb_msg: str | None,
    extra: list[tuple[int, str]],
    silent: list[tuple[int, int]],
) -> tuple[np.ndarray, pl.Series]:
    t = _grid_times(rng, plan.start_ms, plan.end_ms, rate)
    t = t[_drop_in(t, silent)]
    msgs = _pool_messages(pool, rng, len(t))
    if hb_msg is not None:
        hb = np.arange(plan.start_ms + int(rng.integers(0, 5000)), plan.end_ms, 5000)
        hb = hb + rng.integers(0, 15, len(hb))
        hb = hb[_drop_in(hb, silent + plan.hb_off)]
        t = np.concatenate([t, hb])
        msgs = pl.concat([msgs, pl.Series("msg", [hb_msg] * len(hb), dtype=pl.Utf8)])
    return _merge(t, msgs, extra)


def _render(plan: Plan, out_dir: Path, rng: np.random.Generator) -> dict[str, Any]:
    pg, cvp = plan.pg, plan.cvp
    files: dict[str, list[str]] = {pg.name: [], cvp.name: []}
    # Perfmon for both hosts.
    for h in (pg, cvp):
        t = _sample_times(plan, h, rng)
        cols = _perfmon_columns(plan, h, rng, t)
        name = f"{h.name}/{h.name}_perfmon.csv"
        W.write_perfmon_csv(
            out_dir / name,
            h.name,
            h.local(t),
            cols,
            zone_name=h.zone_name,
            bias_min=-h.offset_min,
            locale=h.locale,
            encoding=h.encoding,
            excel=h.excel,
        )
        files[h.name].append(name)

    # PIM dumplog.
    pg_silent = plan.silent.get(pg.name, []) + plan.silent.get("pim1-only", [])
    pool = _pim_pool(rng, min(50_000, int(pg.log_rate * (plan.end_ms - plan.start_ms) / 1000) + 1))
    t, msgs = _log_stream(
        plan,
        rng,
        pg,
        pool,
        pg.log_rate,
        f"Trace: VRU heartbeat confirm received from {cvp.ip}",
        plan.lines["pim1"],
        pg_silent,
    )
    W.write_dumplog(out_dir / pg.name / "pim1.txt", pg.local(t), msgs, node=pg.node, process="pim1")
    files[pg.name].append(f"{pg.name}/pim1.txt")

    # CVP logs: CVP.<date>.log holds everything, Error.<date>.log the errors.
    cvp_silent = plan.silent.get(cvp.name, [])
    n_cvp = int(cvp.log_rate * (plan.end_ms - plan.start_ms) / 1000) + 1
    pool = _cvp_pool(rng, min(50_000, n_cvp))
    hours = (plan.end_ms - plan.start_ms) / 3_600_000
    err_t = _grid_times(rng, plan.start_ms, plan.end_ms, plan.error_per_hour / 3600)
    err_t = err_t[_drop_in(err_t, cvp_silent)][: max(1, math.ceil(plan.error_per_hour * hours))]
    errs = list(zip(err_t.tolist(), _error_pool(rng, len(err_t)), strict=True))
    t, msgs = _log_stream(
        plan,
        rng,
        cvp,
        pool,
        cvp.log_rate,
        f"%CVP_8_5_ICM-7-CALL: {{Thrd=ICM_RecvThread}} GED125 HEARTBEAT_REQ from VRU PIM "
        f"{pg.ip}, HEARTBEAT_CONF sent",
        plan.lines["CVP"] + errs,
        cvp_silent,
    )
    et, emsgs = _merge(
        np.zeros(0, dtype=np.int64), pl.Series("msg", [], dtype=pl.Utf8), plan.lines["Error"] + errs
    )
    k = 0
    log_offset = cvp.offset_min if cvp.log_offset_min is None else cvp.log_offset_min
    for stream, tt, mm in (("CVP", t, msgs), ("Error", et, emsgs)):
        local = tt + log_offset * 60_000 + cvp.skew_ms
        for day, sl in W.split_by_local_day(local):
            prefix = plan.cvp_prefix == "all" or (plan.cvp_prefix == "half" and k % 2 == 0)
            name = f"{cvp.name}/{stream}.{day}.log"
            W.write_cvp_log(
                out_dir / name,
                local[sl],
                mm[sl],
                offset_min=log_offset,
                prefix_ip=cvp.ip if prefix else None,
                first_seq=int(rng.integers(1, 9000)),
            )
            files[cvp.name].append(name)
            k += 1

    for tp in plan.traces:
        h = pg if tp.host == pg.name else cvp
        name = T.write_trace(tp, out_dir / h.name, h.offset_min * 60_000 + h.skew_ms, h.name)
        files[h.name].append(f"{h.name}/{name}")

    for host, texts in sorted(plan.configs.items()):
        for fname, text in sorted(texts.items()):
            W.write_text(out_dir / host / fname, text, "utf-8")
            files[host].append(f"{host}/{fname}")

    return {
        "hosts": {
            h.name: {
                "role": h.role,
                "ip": h.ip,
                "tz": h.tz,
                "zone_name": h.zone_name,
                "offset_min": h.offset_min,
                "perfmon_bias": -h.offset_min,
                "skew_s": h.skew_ms / 1000,
                "perfmon_interval_s": h.interval_s,
                "locale": h.locale,
                "encoding": h.encoding,
                "excel": h.excel,
                "files": sorted(files[h.name]),
            }
            for h in (pg, cvp)
        },
        "capture": {"start": _iso(plan.start_ms), "end": _iso(plan.end_ms)},
    }


# --- public entry points ---------------------------------------------------------------------


def _random_plan(rng: np.random.Generator, minutes: float) -> Plan:
    zone = _ZONES[int(rng.integers(0, len(_ZONES)))]
    zone2 = zone if rng.random() < 0.8 else _ZONES[int(rng.integers(0, len(_ZONES)))]
    n = int(rng.integers(1, 5))
    side = "A" if rng.random() < 0.7 else "B"
    day = datetime(2013, int(rng.integers(1, 13)), int(rng.integers(1, 29)), tzinfo=UTC)
    start = _ms(day) + int(rng.integers(0, 86_400_000 - int(minutes * 60_000)))
    start -= start % 1000

    def mk(name: str, role: str, ip: str, z: tuple[str, str, int, str, tuple[str, ...]]) -> Host:
        enc = z[4][int(rng.integers(0, len(z[4])))]
        return Host(
            name=name,
            role=role,
            ip=ip,
            tz=z[0],
            zone_name=z[1],
            offset_min=z[2],
            interval_s=int(rng.choice([1, 1, 5, 15])),
            locale=z[3],
            encoding=enc,
            excel=bool(z[3] in ("de", "fr") and enc != "utf-16" and rng.random() < 0.3),
            nic=_NICS[int(rng.integers(0, len(_NICS)))],
            log_rate=float(rng.uniform(2.0, 6.0) if role == "pg" else rng.uniform(2.5, 8.0)),
            base=_default_base(rng),
        )

    pg = mk(f"PG{n}{side}", "pg", PG_IP, zone)
    cvp = mk(f"CVP{n}", "cvp", CVP_IP, zone2)
    if rng.random() < 0.5:
        cvp.skew_ms = int(rng.choice([-1, 1]) * rng.uniform(5, 60) * 1000)
    prefix = str(rng.choice(["none", "none", "half", "all"]))
    return Plan(
        start_ms=start,
        end_ms=start + int(minutes * 60_000),
        pg=pg,
        cvp=cvp,
        cvp_prefix=prefix,
        error_per_hour=float(rng.uniform(1, 8)),
    )


def _at(plan: Plan, rng: np.random.Generator, lo: float = 0.2, hi: float = 0.8) -> int:
    span = plan.end_ms - plan.start_ms
    return plan.start_ms + int(span * rng.uniform(lo, hi))


def _healthy_traces(plan: Plan, seed: int) -> None:
    """A host with no trace yet gets a healthy one in one bundle of five: a report that names no
    driver must be read as such."""
    for k, h in enumerate((plan.pg, plan.cvp)):
        if any(tp.host == h.name for tp in plan.traces):
            continue
        trng = np.random.default_rng([seed, k, 31])
        if trng.random() < 0.2:
            at = plan.start_ms + int((plan.end_ms - plan.start_ms) * trng.uniform(0.2, 0.8))
            plan.traces.append(T.plan_healthy_trace(h.name, at, seed))


def generate(
    name: str, out_dir: Path, seed: int, *, adjust: Callable[[Plan], None] | None = None
) -> dict[str, Any]:
    """Write the labelled bundle ``name`` (one of :data:`SCENARIOS`) into ``out_dir``.

    Returns the truth dict, also written as ``out_dir/truth.json``. Same name + seed =
    the same bytes. ``adjust`` may change the drawn plan (zones, clock skew, capture span)
    before the scenario's incidents are placed in it (``bench/clocks.py``: clock faults).
    """
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    rng = np.random.default_rng([seed, SCENARIOS.index(name)])
    minutes = float(rng.uniform(20, 90))
    if name == "two_incidents":
        minutes = float(rng.uniform(60, 90))
    plan = _random_plan(rng, minutes)
    plan.seed = seed
    if adjust is not None:
        adjust(plan)

    if name == "healthy":
        pass
    elif name == "network_path":
        _add_cause(plan, rng, "network_path", "pg", _at(plan, rng))
    elif name == "cpu_high_elsewhere":
        role = str(rng.choice(["pg", "cvp"]))
        t_cpu = _at(plan, rng, 0.15, 0.35)
        h = plan.host(str(rng.choice(["pg", "cvp"])))
        s, e = _pad(t_cpu, t_cpu + int(rng.uniform(60, 180) * 1000), h, rng)
        plan.effects.append(Effect("cpu", h.name, s, e, 0.5))
        _add_cause(plan, rng, "dpc_storm", role, _at(plan, rng, 0.6, 0.85))
    elif name == "dpc_no_loss":
        h = plan.host(str(rng.choice(["pg", "cvp"])))
        t = _at(plan, rng)
        s, e = _pad(t, t + int(rng.uniform(5, 30) * 1000), h, rng)
        plan.effects.append(Effect("dpc", h.name, s, e, float(rng.integers(5, 15))))
        storm_trace = T.plan_storm_trace(h.name, s, e, seed)
        if storm_trace is not None:  # a report alone is described, never an incident
            plan.traces.append(storm_trace)
    elif name == "two_incidents":
        pair = rng.choice(len(CAUSES), size=2, replace=False)
        for (lo, hi), ci in zip(((0.15, 0.4), (0.6, 0.85)), pair.tolist(), strict=True):
            _add_cause(
                plan, rng, CAUSES[ci], str(rng.choice(["pg", "cvp"])), _at(plan, rng, lo, hi)
            )
    else:
        cause, role = name.rsplit("_", 1)
        _add_cause(plan, rng, cause, role, _at(plan, rng))

    _healthy_traces(plan, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = {"scenario": name, "seed": seed, "incidents": plan.incidents}
    truth["traces"] = [T.truth_of(tp) for tp in plan.traces]
    truth.update(_render(plan, out_dir, rng))
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


def generate_whole(name: str, out_dir: Path, seed: int) -> dict[str, Any]:
    """:func:`generate`, the bundle written whole or not at all: into a hidden folder inside
    ``out_dir`` first, then each file renamed into place (``truth.json`` last), so a failure
    while writing (a full disk) or a stop leaves ``out_dir`` as it was, with no part of a
    bundle that reads as a whole one. ``out_dir`` must exist. A file of the bundle that is
    already there (the truth.json of a bundle written before, a user's own log) is never
    replaced: :class:`~hbtriage.errors.UsageError` naming it, and nothing is written."""
    from hbtriage.errors import UsageError
    from hbtriage.warning_text import warn

    work = Path(tempfile.mkdtemp(prefix=".hbtriage-sim-", dir=out_dir))
    try:
        truth = generate(name, work, seed)
        written = sorted(
            (p for p in work.rglob("*") if p.is_file()), key=lambda p: (p.name == "truth.json", p)
        )
        there = [
            target
            for target in (out_dir / p.relative_to(work) for p in written)
            if target.exists() or target.is_symlink()
        ]
        if there:
            raise UsageError(warn("usage_sim_exists", path=there[0], count=len(there)))
        for path in written:
            target = out_dir / path.relative_to(work)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return truth


def generate_large(
    out_dir: Path, *, log_bytes: int, hours: float, counters_per_host: int, seed: int
) -> dict[str, Any]:
    """A benchmark bundle: about ``log_bytes`` of logs over two hosts, ``hours`` long,
    perfmon at 1 s with ``counters_per_host`` columns per host, one DPC storm in the middle.
    """
    rng = np.random.default_rng([seed, 1_000_003])
    start = _ms(datetime(2013, 3, 30, 6, 0, tzinfo=UTC))
    end = start + int(hours * 3_600_000)
    zone = _ZONES[0]
    secs = (end - start) / 1000
    # Average record sizes (timestamp, prefix, message, CRLF per line) measured on samples.
    probe = np.random.default_rng(seed)
    pim_len = np.mean([len(m) + 25 for m in _pim_pool(probe, 2000)])
    cvp_len = np.mean([len(m) + 34 + m.count("\n") for m in _cvp_pool(probe, 2000)])
    pim_share, cvp_share = 0.4, 0.6
    pg_rate = pim_share * log_bytes / (float(pim_len) * secs)
    cvp_rate = cvp_share * log_bytes / (float(cvp_len) * secs)
    extra = max(0, counters_per_host - len(_COUNTERS))
    pg = Host(
        "PG1A",
        "pg",
        PG_IP,
        zone[0],
        zone[1],
        zone[2],
        log_rate=pg_rate,
        base=_default_base(rng),
        extra_counters=extra,
    )
    cvp = Host(
        "CVP1",
        "cvp",
        CVP_IP,
        zone[0],
        zone[1],
        zone[2],
        log_rate=cvp_rate,
        base=_default_base(rng),
        extra_counters=extra,
    )
    plan = Plan(start_ms=start, end_ms=end, pg=pg, cvp=cvp)
    t0 = start + (end - start) // 2
    plan.effects.append(Effect("dpc", cvp.name, t0, t0 + 11_000, 10.0))
    plan.quiet(pg.name, t0, t0 + 10_800)
    plan.quiet(cvp.name, t0, t0 + 10_800)
    plan.hb_off.append((t0, t0 + 10_800))
    _loss(plan, rng, t0 + 10_800)
    _incident(plan, "dpc_storm", cvp.name, t0, t0 + 10_800)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = {"scenario": "large", "seed": seed, "incidents": plan.incidents}
    truth.update(_render(plan, out_dir, rng))
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


# --- the reference case -------------------------------------------------------------------------

REFERENCE_SEED = 20130330


def write_reference(out_dir: Path) -> list[Path]:
    """The support note's case, in real formats: PG1A + CVP1, 2013-03-30 19:05-20:05 local.

    The note's CVP lines read ``-0500`` on 30 March 2013, when US daylight time was in force:
    the servers were on US Central time (CDT, UTC-5), so the perfmon headers say
    ``(Central Daylight Time)(300)``. CVP1's log is silent 19:36:46.531 -> 19:36:57.328
    (-0500), PG1A's pim1 log 19:36:46.5xx -> 19:36:57.3xx; CVP1's DPC Rate goes 0 -> 10 in
    those samples.
    """
    rng = np.random.default_rng(REFERENCE_SEED)
    off = -300

    def at(h: int, m: int, s: int, ms: int) -> int:
        # local CDT wall clock (UTC-5) -> true UTC ms
        return _ms(datetime(2013, 3, 30, h, m, s, tzinfo=UTC)) + ms - off * 60_000

    base_pg = _default_base(rng) | {"dpc_one": 0.02, "udperr0": 311.0, "discard0": 0.0}
    base_cvp = _default_base(rng) | {"dpc_one": 0.03, "udperr0": 1742.0, "discard0": 12.0}
    pg = Host(
        "PG1A",
        "pg",
        PG_IP,
        "America/Chicago",
        "Central Daylight Time",
        off,
        log_rate=2.4,
        base=base_pg,
    )
    cvp = Host(
        "CVP1",
        "cvp",
        CVP_IP,
        "America/Chicago",
        "Central Daylight Time",
        off,
        log_rate=2.6,
        base=base_cvp,
        nic="Broadcom BCM5708C NetXtreme II GigE [NDIS VBD Client]",
    )
    plan = Plan(
        start_ms=at(19, 5, 0, 0),
        end_ms=at(20, 5, 0, 0),
        pg=pg,
        cvp=cvp,
        error_per_hour=3.0,
        exact_dpc=True,
    )

    cvp_last, cvp_back = at(19, 36, 46, 531), at(19, 36, 57, 328)
    pim_last, pim_back = at(19, 36, 46, 517), at(19, 36, 57, 344)
    plan.effects.append(Effect("dpc", cvp.name, at(19, 36, 46, 0), at(19, 36, 58, 0), 10.0))
    plan.quiet(cvp.name, cvp_last, cvp_back)
    plan.quiet(pg.name, pim_last, pim_back)
    plan.hb_off.append((cvp_last, cvp_back))
    plan.cvp_line(
        at(19, 36, 46, 105),
        "%CVP_8_5_ICM-1-LOGMSG_ICM_SS_STATE: Shutting down VRU PIM connection. "
        "Transition to partial service. [id:2006]",
        error=True,
    )
    plan.cvp_line(at(19, 36, 46, 136), _terminate(4335), error=True)
    plan.cvp_line(
        cvp_last,
        "%CVP_8_5_IVR-7-CALL: {Thrd=http-8000-1} VXMLManager:generateVXML: "
        "CALLGUID=5C0FFEE0A1B211E2B7C80013C39AE710\nGenerated VXML from template "
        "'PlayMediaIOS.template' for client: 198.51.100.38 clientType: IOS",
    )
    plan.cvp_line(
        cvp_back,
        "%CVP_8_5_ICM-6-LOGMSG_ICM_SS_GENERAL_INFO: Missed 2 VRU PIM heartbeats. "
        "Closing session and waiting for new connection from PIM. [id:2007]",
        error=True,
    )
    plan.pim(pim_last, "Trace: RUN_SCRIPT_REQ dialogue 0x3A41C2 invoke 40917 script 'Main_VRU'")
    plan.pim(pim_back, _ERR_10054)
    plan.pim(pim_back + 1, "TCP connection to VRU has been broken.")
    _reconnect(plan, rng, at(19, 36, 58, 612))

    out_dir.mkdir(parents=True, exist_ok=True)
    _render(plan, out_dir, rng)
    return sorted(p for p in out_dir.rglob("*") if p.is_file())
