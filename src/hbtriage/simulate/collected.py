"""Several simulated servers' perfmon CSVs as one file of several machines, written as real
collection writes it (for tests and benchmarks of :mod:`hbtriage.sources.perfmon_machines`).

Two ways a user ends up with such a file, each with what it writes when a machine stalls:

``remote``
    A Data Collector Set on one server (the collector) that also reads the other servers'
    counters over the network. Rows are the collector's samples, stamped by its clock: when
    the collector itself is stunned or restarting there are no rows at all for that time, for
    every machine's columns. A remote machine that is stunned, restarting or unreachable does
    not answer: the collector still writes its row, with ``" "`` in that machine's cells.
    A remote machine answers with the values in effect at the collector's sample (its own
    capture's last sample, when it had one within its own sampling interval).
``relog``
    ``relog a.blg b.blg -f csv -o both.csv`` of two separate captures: rows at the union of both
    captures' time stamps (each stamped by its own machine's clock, shown in the first file's
    zone), each machine's cells blank where its own capture had no sample.
"""

from __future__ import annotations

import bisect
import csv
import io
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

_STAMP = "%m/%d/%Y %H:%M:%S.%f"


@dataclass
class _Capture:
    header: list[str]  # the counter columns' names (the first cell left out)
    rows: list[list[str]]  # each row's value cells
    at: list[datetime]  # each row's true time (UTC)
    stamps: list[str]  # each row's time stamp as written
    first: str  # the header's first cell (PDH-CSV and zone)
    excel: bool  # ";" separated with decimal commas


def _read(path: Path, info: Mapping[str, Any]) -> _Capture:
    raw = path.read_bytes()
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = raw.decode("utf-16")
    else:
        enc = str(info["encoding"])
        text = raw.decode("utf-8-sig" if enc.startswith("utf") else enc)
    excel = bool(info.get("excel"))
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if excel else ","))
    shift = timedelta(minutes=info["perfmon_bias"], seconds=-info["skew_s"])
    at = [datetime.strptime(r[0], _STAMP) + shift for r in rows[1:]]
    stamps = [r[0] for r in rows[1:]]
    return _Capture(rows[0][1:], [r[1:] for r in rows[1:]], at, stamps, rows[0][0], excel)


def _decimals(cells: list[str], source: _Capture, target: _Capture) -> list[str]:
    """``cells`` of ``source`` with the decimal mark ``target`` writes."""
    if source.excel == target.excel:
        return cells
    old, new = (",", ".") if source.excel else (".", ",")
    return [c.replace(old, new) for c in cells]


def _answer(theirs: _Capture, t: datetime, interval: float) -> list[str] | None:
    """A remote machine's cells at the collector's sample ``t``: its values in effect, or None
    when it had no sample within its own interval before ``t`` (stunned, restarting, not
    started yet, or its capture over)."""
    i = bisect.bisect_right(theirs.at, t) - 1
    if i < 0 or (t - theirs.at[i]).total_seconds() > interval + 0.5:
        return None
    return theirs.rows[i]


def collected_perfmon(
    files: Mapping[str, Path],
    hosts: Mapping[str, Mapping[str, Any]],
    collector: str,
    how: Literal["remote", "relog"] = "remote",
) -> bytes:
    """The perfmon CSV (UTF-16, as a Data Collector Set writes it) holding the counters of every
    machine in ``files`` (truth host name -> its own perfmon CSV as simulated), collected by
    ``collector`` (``remote``) or relogged from the separate captures with ``collector``'s file
    first (``relog``); ``hosts`` is ``truth["hosts"]`` (zones, clock errors, encodings)."""
    caps = {h: _read(p, hosts[h]) for h, p in files.items()}
    mine = caps[collector]
    order = [collector, *(h for h in caps if h != collector)]
    header = [mine.first]
    for h in order:
        header += caps[h].header
    out: list[list[str]] = []
    if how == "remote":
        intervals = {
            h: statistics.median(
                (b - a).total_seconds() for a, b in zip(c.at, c.at[1:], strict=False)
            )
            for h, c in caps.items()
            if len(c.at) > 1
        }
        for k, (t, stamp) in enumerate(zip(mine.at, mine.stamps, strict=True)):
            row = [stamp, *mine.rows[k]]
            for h in order[1:]:
                theirs = caps[h]
                cells = _answer(theirs, t, intervals.get(h, 0.0))
                row += (
                    [" "] * len(theirs.header) if cells is None else _decimals(cells, theirs, mine)
                )
            out.append(row)
    else:
        bias = timedelta(minutes=hosts[collector]["perfmon_bias"])
        rows: dict[datetime, dict[str, list[str]]] = {}
        for h in order:
            # each capture's own clock stamped its rows; relog shows them in the first's zone
            skew = timedelta(seconds=hosts[h]["skew_s"])
            for t, cells in zip(caps[h].at, caps[h].rows, strict=True):
                rows.setdefault(t + skew - bias, {})[h] = _decimals(cells, caps[h], mine)
        for local in sorted(rows):
            row = [local.strftime(_STAMP)[:-3]]
            for h in order:
                row += rows[local].get(h) or [" "] * len(caps[h].header)
            out.append(row)
    text = io.StringIO()
    if mine.excel:
        csv.writer(text, delimiter=";", lineterminator="\r\n").writerows([header, *out])
    else:
        csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows([header, *out])
    return b"\xff\xfe" + text.getvalue().encode("utf-16-le")
