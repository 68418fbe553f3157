"""A synthetic *site* bundle: several PGs, each running one VRU PIM per CVP Call Server.

``hbtriage simulate`` writes one PG and one CVP per bundle; a site (2 PGs, 8 Call Servers)
needs the pairs to be told apart, which is what :mod:`hbtriage.fleet.pairs` does and what this
writer exercises: each PIM log names its own VRU's address, each CVP log names its PIM's, and
``systeminfo`` lists every server's address (optional, to show pairing without it). Chosen
pairs lose their session once, GED-125 style (both logs silent, then the CVP's missed
heartbeats and the PIM's 10054), the others stay healthy. Logs are in UTC (dumplog) and
``+0000`` (CVP), so no zone needs inferring. Returns the truth: pairs and incident times.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from hbtriage.simulate import writers as W

GED125_PORT = 5000


def _pg_ip(i: int) -> str:
    return f"192.0.2.{16 + i}"


def _cvp_ip(j: int) -> str:
    return f"198.51.100.{20 + j}"


def _systeminfo(host: str, ip: str) -> str:
    text = W.systeminfo(host, ("KB948496",), time_zone="(GMT) Coordinated Universal Time")
    return text + (
        f"{'':<27}     Connection Name: Local Area Connection\r\n"
        f"{'':<27}     DHCP Enabled:    No\r\n"
        f"{'':<27}     IP address(es)\r\n"
        f"{'':<27}     [01]: {ip}\r\n"
    )


def write_site(
    out_dir: Path,
    *,
    pgs: int = 2,
    cvps_per_pg: int = 4,
    broken: Sequence[tuple[int, int]] = ((0, 1),),
    systeminfo: bool = True,
    minutes: float = 20.0,
    seed: int = 1,
) -> dict[str, Any]:
    """Write a site of ``pgs`` PGs (``PG1A``...) and ``pgs * cvps_per_pg`` Call Servers
    (``CVP1``...) into ``out_dir``; PIM ``pim{k+1}`` of PG ``i`` talks to CVP
    ``i * cvps_per_pg + k + 1``. Each ``(i, k)`` of ``broken`` loses its session once."""
    rng = np.random.default_rng(seed)
    start = int(datetime(2013, 3, 30, 18, 0, tzinfo=UTC).timestamp() * 1000)
    end = start + int(minutes * 60_000)
    truth: dict[str, Any] = {"pairs": [], "incidents": []}
    pg_lines: dict[int, dict[str, list[tuple[int, str]]]] = {}
    cvp_lines: dict[int, list[tuple[int, str]]] = {}
    for i in range(pgs):
        for k in range(cvps_per_pg):
            j = i * cvps_per_pg + k
            pg, cvp = f"PG{i + 1}A", f"CVP{j + 1}"
            truth["pairs"].append(f"{pg}/pim{k + 1} <-> {cvp}")
            pim, cv = _healthy(rng, start, end, _pg_ip(i), _cvp_ip(j))
            if (i, k) in broken:
                t0 = start + int((end - start) * rng.uniform(0.3, 0.7))
                t0 -= t0 % 1000
                gap = int(rng.uniform(10.5, 12.0) * 1000)
                pim = [(t, m) for t, m in pim if not t0 <= t < t0 + gap]
                cv = [(t, m) for t, m in cv if not t0 <= t < t0 + gap]
                pim += _pim_loss(t0 + gap + 17, _cvp_ip(j))
                cv += _cvp_loss(t0 + gap, _pg_ip(i), int(rng.integers(1025, 65000)))
                truth["incidents"].append(
                    {"pair": f"{pg}/pim{k + 1} <-> {cvp}", "start": t0, "end": t0 + gap}
                )
            pg_lines.setdefault(i, {})[f"pim{k + 1}"] = pim
            cvp_lines[j] = cv
    for i, streams in pg_lines.items():
        host = f"PG{i + 1}A"
        for proc, lines in streams.items():
            t, msgs = _sorted(lines)
            W.write_dumplog(
                out_dir / host / f"{proc}.txt", t, msgs, node=f"pg{i + 1}A", process=proc
            )
        if systeminfo:
            W.write_text(out_dir / host / "systeminfo.txt", _systeminfo(host, _pg_ip(i)))
    for j, lines in cvp_lines.items():
        host = f"CVP{j + 1}"
        t, msgs = _sorted(lines)
        day = datetime.fromtimestamp(start / 1000, tz=UTC).strftime("%Y-%m-%d")
        W.write_cvp_log(
            out_dir / host / f"CVP.{day}.log",
            t,
            msgs,
            offset_min=0,
            prefix_ip=None if systeminfo else _cvp_ip(j),
            first_seq=int(rng.integers(1, 9000)),
        )
        if systeminfo:
            W.write_text(out_dir / host / "systeminfo.txt", _systeminfo(host, _cvp_ip(j)))
    return truth


def _healthy(
    rng: np.random.Generator, start: int, end: int, pg_ip: str, cvp_ip: str
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Chatter and 5 s heartbeats on both ends of one session, each end naming the other."""
    pim = [(start + 200, f"Trying to connect to VRU at {cvp_ip} port {GED125_PORT}")]
    pim.append((start + 260, "VRU connection established"))
    cvp = [
        (
            start + 300,
            "%CVP_8_5_ICM-6-LOGMSG_ICM_SS_GENERAL_INFO: Accepted connection from VRU PIM at "
            f"{pg_ip}. [id:2007]",
        )
    ]
    for t in range(start + 1000, end, 5000):
        pim.append(
            (t + int(rng.integers(0, 15)), f"Trace: VRU heartbeat confirm received from {cvp_ip}")
        )
        cvp.append(
            (
                t + int(rng.integers(0, 15)),
                "%CVP_8_5_ICM-7-CALL: {Thrd=ICM_RecvThread} GED125 HEARTBEAT_REQ from VRU PIM "
                f"{pg_ip}, HEARTBEAT_CONF sent",
            )
        )
    n = int((end - start) / 1000 * 2)
    for t in np.sort(rng.integers(start, end, n)).tolist():
        d = int(rng.integers(0x100000, 0xFFFFFF))
        pim.append(
            (t, f"Trace: RUN_SCRIPT_REQ dialogue 0x{d:06X} invoke {d % 90000} script 'Main_VRU'")
        )
    for t in np.sort(rng.integers(start, end, n)).tolist():
        g = int(rng.integers(0, 2**63))
        cvp.append(
            (
                t,
                f"%CVP_8_5_SIP-7-CALL: {{Thrd=DIALOG_CALLBACK.3}} CALLGUID={g:016X} RUN_SCRIPT_REQ received",
            )
        )
    return pim, cvp


def _pim_loss(t: int, cvp_ip: str) -> list[tuple[int, str]]:
    return [
        (
            t,
            "Error receiving data from VRU.\n\tLast API Error [10054]: An existing connection "
            "was forcibly closed by the remote host.",
        ),
        (t + 1, "TCP connection to VRU has been broken."),
        (t + 2100, f"Trying to connect to VRU at {cvp_ip} port {GED125_PORT}"),
    ]


def _cvp_loss(t: int, pg_ip: str, port: int) -> list[tuple[int, str]]:
    return [
        (
            t,
            "%CVP_8_5_ICM-6-LOGMSG_ICM_SS_GENERAL_INFO: Missed 2 VRU PIM heartbeats. Closing "
            "session and waiting for new connection from PIM. [id:2007]",
        ),
        (
            t + 21,
            "%CVP_8_5_ICM-1-LOGMSG_ICM_SS_STATE: Shutting down VRU PIM connection. Transition "
            "to partial service. [id:2006]",
        ),
        (
            t + 52,
            "%CVP_8_5_MSGBUS-3-MESSAGING_LAYER: ConnectionServer(GED125)::terminateConnection on "
            f"plugin(GED125) with connection(Socket[addr=/{pg_ip},port={port},localport="
            f"{GED125_PORT}]) due to: Plugin was stopped by the application [id:1]",
        ),
    ]


def _sorted(lines: list[tuple[int, str]]) -> tuple[np.ndarray, pl.Series]:
    lines.sort(key=lambda x: x[0])
    t = np.asarray([x[0] for x in lines], dtype=np.int64)
    return t, pl.Series("msg", [x[1] for x in lines], dtype=pl.Utf8)
