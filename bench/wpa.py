"""The WPA DPC/ISR reader on 1 M executions: the fast path (polars over pieces of the file)
against the line loop it replaces, and baselines on the same bytes, in one run.

    python bench/wpa.py [--rows 1000000] [--repeat 3] [--loop-repeat 1]

Two exports are written once under ``bench/out/wpa-<rows>/`` (as ``wpaexporter`` writes the
DPC/ISR raw-rows table: Line, Type, Module, Function, CPU, enter and exit time, inclusive and
exclusive duration, count):

* ``2013-03-30T19-36-40_DPC_ISR_Raw_Rows.csv``: ``,`` between cells, times in seconds since the
  trace start, the start in the file name (``-prefix``);
* ``DPC_ISR_Raw_Rows_dated.csv``: ``;`` between cells, decimal commas, CRLF, enter and exit
  times as dates with 7 fraction digits (WPA's date-time display).

Each measurement is a subprocess of its own, started by a small runner that reports the wall
time and ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of its one child (the peak RSS of that
process alone):

* the reader (``READER.read``, sniffed encoding) with the fast path, and with the loop forced
  (``HBTRIAGE_WPA_LOOP=1``); the time of the read call alone is printed too (the process
  also starts Python and imports polars and hbtriage), and the two results are compared
  (modules, rows, warnings: a digest each);
* ``wc -l`` of the file (reading the bytes);
* polars ``read_csv`` of the file, every column as text (what polars alone costs to hold the
  table's cells).

The fastest of ``--repeat`` runs is shown (``--loop-repeat`` for the loop: it is slow).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PY = sys.executable

COLUMNS = [
    "Line",
    "Type",
    "Module",
    "Function",
    "CPU",
    "DPC/ISR Enter Time (s)",
    "DPC/ISR Exit Time (s)",
    "Inclusive Duration (ms)",
    "Exclusive Duration (ms)",
    "Count (DPCs/ISRs)",
]
DRIVERS = [
    ("DPC", "NDIS.SYS", "ndisInterruptDpc"),
    ("DPC", "b57nd60a.sys", "b57DpcRoutine"),
    ("Interrupt", "b57nd60a.sys", "b57Isr"),
    ("DPC", "storport.sys", "RaidpAdapterDpcRoutine"),
    ("DPC", "tcpip.sys", "TcpPeriodicTimeoutHandler"),
    ("DPC", "USBPORT.SYS", "USBPORT_IsrDpc"),
    ("Interrupt", "ACPI.sys", "ACPIInterruptServiceRoutine"),
]
START = datetime(2013, 3, 30, 19, 36, 40)

#: Runs one command, then prints its wall time, the peak RSS of that one child (KiB) and what it
#: printed. Linux counts a spawned child's peak from the runner's own pages until the exec:
#: about 11 MiB is the floor (``wc -l`` shows it).
RUNNER = """
import json, os, resource, sys, tempfile, time
cmd, env = json.loads(sys.argv[1])
with tempfile.TemporaryFile() as out:
    actions = [(os.POSIX_SPAWN_DUP2, out.fileno(), 1)]
    t0 = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, env, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    wall = time.perf_counter() - t0
    out.seek(0)
    printed = out.read().decode()
if os.waitstatus_to_exitcode(status):
    sys.exit(f"exit {status}")
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "peak_kib": peak, "out": printed}))
"""

#: The reader on one file: the read call's time and a digest of the result.
READ = """
import hashlib, json, os, sys, time
from hbtriage.sources.base import InputFile
from hbtriage.sources.dpcisr_wpa import READER
from hbtriage.sources.encoding import read_head
path = sys.argv[1]
_, enc = read_head(path)
t0 = time.perf_counter()
r = READER.read(InputFile(display=os.path.basename(path), path=path), enc)
took = time.perf_counter() - t0
rows = r.dpc.rows if r.dpc.rows is not None else r.extra.get("relative_rows")
digest = hashlib.sha256()
digest.update(repr(r.dpc.modules).encode())
digest.update(repr(r.warnings).encode())
digest.update(rows.hash_rows().to_numpy())
print(json.dumps({"read": took, "rows": rows.height, "digest": digest.hexdigest()[:16]}))
"""

POLARS = """
import sys, polars as pl
df = pl.read_csv(sys.argv[1], separator=sys.argv[2], infer_schema=False, quote_char='"')
print(df.height)
"""


def executions(rows: int, seed: int) -> Iterator[tuple[int, str, str, str, int, float, float]]:
    """(line, type, module, function, CPU, enter s, duration ms) of ``rows`` executions."""
    rng = random.Random(seed)
    t = 0.0015
    for i in range(1, rows + 1):
        kind, module, fn = DRIVERS[rng.randrange(len(DRIVERS))]
        yield i, kind, module, fn, rng.randrange(8), t, rng.expovariate(1 / 0.02)
        t += rng.expovariate(1 / 0.0003)


def raw_row(i: int, kind: str, module: str, fn: str, cpu: int, t: float, ms: float) -> str:
    """Seconds since the trace start, ``,`` between cells, LF."""
    return f"{i},{kind},{module},{fn},{cpu},{t:.9f},{t + ms / 1e3:.9f},{ms:.6f},{ms:.6f},1\n"


def dated_row(i: int, kind: str, module: str, fn: str, cpu: int, t: float, ms: float) -> str:
    """Dates with 7 fraction digits, ``;`` between cells, decimal commas, CRLF."""
    enter = START + timedelta(seconds=t)
    leave = enter + timedelta(milliseconds=ms)
    dur = f"{ms:.6f}".replace(".", ",")
    return (
        f"{i};{kind};{module};{fn};{cpu};{enter:%Y-%m-%d %H:%M:%S},{enter.microsecond:06d}0;"
        f"{leave:%Y-%m-%d %H:%M:%S},{leave.microsecond:06d}0;{dur};{dur};1\r\n"
    )


def write(path: Path, rows: int, seed: int, header: str, row: Callable[..., str]) -> None:
    with path.open("w", newline="") as fh:
        fh.write(header)
        block: list[str] = []
        for execution in executions(rows, seed):
            block.append(row(*execution))
            if len(block) == 50_000:
                fh.write("".join(block))
                block.clear()
        fh.write("".join(block))


def files(rows: int) -> list[tuple[str, Path, str]]:
    """(label, path, separator) of the two exports, written when missing."""
    folder = OUT / f"wpa-{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    raw = folder / "2013-03-30T19-36-40_DPC_ISR_Raw_Rows.csv"
    dated = folder / "DPC_ISR_Raw_Rows_dated.csv"
    done = folder / "complete"
    if not done.exists():
        print(f"writing {rows:,} rows twice under {folder} ...", flush=True)
        write(raw, rows, 1, ",".join(COLUMNS) + "\n", raw_row)
        write(dated, rows, 2, ";".join(COLUMNS) + "\r\n", dated_row)
        done.write_text("")
    return [("raw, seconds", raw, ","), ("dated, ';', decimal commas", dated, ";")]


@dataclass
class Run:
    wall: float  # seconds, the process from start to exit
    peak_mib: float  # its peak RSS
    out: str  # what it printed


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Wall time, peak RSS and output of ``cmd`` in a process of its own."""
    spec = json.dumps([cmd, env or dict(os.environ)])
    done = subprocess.run([PY, "-c", RUNNER, spec], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)}: {done.stderr[-2000:]}")
    got = json.loads(done.stdout)
    return Run(float(got["wall"]), int(got["peak_kib"]) / 1024, str(got["out"]))


def best(cmd: list[str], repeat: int, env: dict[str, str] | None = None) -> Run:
    """The fastest of ``repeat`` runs, with the largest peak RSS seen."""
    runs = [measure(cmd, env) for _ in range(repeat)]
    fastest = min(runs, key=lambda r: r.wall)
    return Run(fastest.wall, max(r.peak_mib for r in runs), fastest.out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--loop-repeat", type=int, default=1)
    args = ap.parse_args()
    fast_env = {**os.environ, "HBTRIAGE_WPA_LOOP": "0"}
    loop_env = {**os.environ, "HBTRIAGE_WPA_LOOP": "1"}
    print(f"{'file':<28} {'what':<28} {'read s':>7} {'process s':>9} {'peak RSS MiB':>12}")
    for label, path, sep in files(args.rows):
        size = path.stat().st_size / 2**20
        print(f"{label} ({size:.0f} MiB, {args.rows:,} rows)")
        results = []
        for what, env, repeat in (
            ("reader, fast path", fast_env, args.repeat),
            ("reader, line loop (forced)", loop_env, args.loop_repeat),
        ):
            run = best([PY, "-c", READ, str(path)], repeat, env)
            got = json.loads(run.out)
            results.append(got)
            read = f"{got['read']:.2f}"
            print(f"{'':<28} {what:<28} {read:>7} {run.wall:>9.2f} {run.peak_mib:>12.0f}")
        for what, cmd in (
            ("wc -l", ["wc", "-l", str(path)]),
            ("polars read_csv, all text", [PY, "-c", POLARS, str(path), sep]),
        ):
            run = best(cmd, args.repeat)
            print(f"{'':<28} {what:<28} {'':>7} {run.wall:>9.2f} {run.peak_mib:>12.0f}")
        fast, loop = results
        same = fast["digest"] == loop["digest"] and fast["rows"] == loop["rows"]
        print(f"{'':<28} results identical: {same} ({fast['rows']:,} rows)")
        if not same:
            raise SystemExit(f"{label}: the fast path and the loop disagree")


if __name__ == "__main__":
    main()
