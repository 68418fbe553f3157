"""Wide perfmon CSVs (``\\Process(*)\\*``, ``\\Thread(*)\\*``: tens of thousands of columns, of
which hbtriage keeps a few dozen) and folders of many small logs, against a same-run baseline.

    python bench/wide_perfmon.py [--cols 30000] [--rows 600] [--small 1000] [--repeat 3]

Writes (once; reruns only measure) under ``bench/out/wide/``:

* ``wide-{cols}x{rows}.csv``: what a collector set logging ``\\Process(*)\\*`` and
  ``\\Thread(*)\\*`` plus the catalog's DPC, NIC, UDP and TCP counters writes (quoted cells,
  CRLF, blank first samples of rate counters, ``name#n`` instances); deterministic (seeded);
* ``small-{n}/``: ``n`` logs of one to ten timestamped lines each (the kinds a support bundle
  holds: generic ISO 8601 and syslog lines, with a heartbeat message now and then).

Then, page cache warm, each in a child process, the fastest of ``--repeat`` (wall seconds,
user+sys CPU seconds, peak RSS from ``os.wait4``):

* the perfmon reader on the wide file, against ``pandas.read_csv`` of the whole file and
  ``pandas.read_csv(usecols=...)`` of the columns hbtriage keeps;
* ``hbtriage analyze`` of the small-file folder, against ``cat`` of the same files; printed
  also as seconds per 1,000 files.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "wide"
HOST = "PG1A"

#: The counters of ``\\Process(*)\\*`` and ``\\Thread(*)\\*`` (as Windows Server writes them).
_PROCESS = [
    "% Processor Time", "% User Time", "% Privileged Time", "Virtual Bytes Peak",
    "Virtual Bytes", "Page Faults/sec", "Working Set Peak", "Working Set", "Page File Bytes Peak",
    "Page File Bytes", "Private Bytes", "Thread Count", "Priority Base", "Elapsed Time",
    "ID Process", "Creating Process ID", "Pool Paged Bytes", "Pool Nonpaged Bytes",
    "Handle Count", "IO Read Operations/sec", "IO Write Operations/sec",
    "IO Data Operations/sec", "IO Other Operations/sec", "IO Read Bytes/sec",
    "IO Write Bytes/sec", "IO Data Bytes/sec", "IO Other Bytes/sec", "Working Set - Private",
]  # fmt: skip
_THREAD = [
    "% Processor Time", "% User Time", "% Privileged Time", "Context Switches/sec",
    "Elapsed Time", "Priority Current", "Priority Base", "Start Address", "Thread State",
    "Thread Wait Reason", "ID Process", "ID Thread",
]  # fmt: skip
_PROCS = ["svchost", "java", "w3wp", "sqlservr", "csrss", "lsass", "pim1", "opc", "router",
          "rtsvr", "mdsproc", "ccagent", "ctisvr", "WmiPrvSE", "conhost", "dllhost"]  # fmt: skip
#: Catalog counters (kept) a real collector set of the DPC case logs next to those.
_KEPT = [
    ("Processor", "% DPC Time"), ("Processor", "DPC Rate"), ("Processor", "DPCs Queued/sec"),
    ("Processor", "% Interrupt Time"), ("Processor", "Interrupts/sec"),
    ("Processor", "% Processor Time"), ("Processor", "% Privileged Time"),
]  # fmt: skip
_NIC = ["Packets Received Discarded", "Packets Received Errors", "Packets Outbound Discarded",
        "Bytes Total/sec", "Packets Received/sec"]  # fmt: skip


def _header(cols: int) -> list[str]:
    cells = [f"\\\\{HOST}\\Processor({i})\\{c}" for i in ["_Total", *range(8)] for _, c in _KEPT]
    cells += [f"\\\\{HOST}\\Network Interface(Intel[R] PRO_1000 MT)\\{c}" for c in _NIC]
    cells += [f"\\\\{HOST}\\UDPv4\\Datagrams Received Errors", f"\\\\{HOST}\\UDPv4\\Datagrams/sec"]
    cells += [f"\\\\{HOST}\\TCPv4\\Connections Reset", f"\\\\{HOST}\\Memory\\Pages/sec"]
    kept = len(cells)
    rng = random.Random(7)
    n = 0
    while len(cells) < cols:
        name = rng.choice(_PROCS)
        inst = f"{name}#{n}" if n % 3 else name
        cells += [f"\\\\{HOST}\\Process({inst})\\{c}" for c in _PROCESS]
        for t in range(rng.randrange(1, 8)):
            cells += [f"\\\\{HOST}\\Thread({inst}/{t})\\{c}" for c in _THREAD]
        n += 1
    rest = cells[kept:cols]
    rng.shuffle(rest)  # collector sets interleave objects
    return cells[:kept] + rest


def write_wide(path: Path, cols: int, rows: int) -> None:
    """The wide perfmon CSV (made once, renamed into place when complete)."""
    if path.exists():
        return
    rng = random.Random(11)
    header = ["(PDH-CSV 4.0) (Eastern Standard Time)(300)", *_header(cols)]
    pool = [" ", "0", "1", "2", "100", "4096", "0.000000", "1.562500", "12.5", "99.999"]
    pool += [f"{rng.random() * 1e6:.6f}" for _ in range(200)] + [str(rng.randrange(10**9)) for _ in range(200)]  # fmt: skip
    t = datetime(2013, 3, 29, 19, 30, 0)
    part = path.with_suffix(".part")
    with part.open("w", encoding="utf-8", newline="") as fh:
        fh.write('"' + '","'.join(header) + '"\r\n')
        for r in range(rows):
            stamp = f"{t:%m/%d/%Y %H:%M:%S}.{t.microsecond // 1000:03d}"
            cells = rng.choices(pool, k=cols)
            if r == 0:
                cells = [" " if "/sec" in h or "Rate" in h else c for h, c in zip(header[1:], cells, strict=True)]  # fmt: skip
            fh.write(f'"{stamp}","' + '","'.join(cells) + '"\r\n')
            t += timedelta(seconds=1)
    part.rename(path)


#: Ordinary chatter of :func:`write_small`'s logs.
SMALL_TEXTS = ["worker finished batch {p}", "call {p} routed to label 5551{n:03d}",
               "session {p} opened", "VRU heartbeat timed out after 2 intervals",
               "synchronized to 203.0.113.{n}, stratum 2"]  # fmt: skip


def write_small(
    folder: Path,
    n: int,
    *,
    seed: int = 5,
    texts: list[str] = SMALL_TEXTS,
    loss: str | None = None,
) -> None:
    """``n`` logs of 1-10 lines each (made once, renamed into place when complete): half with
    ISO 8601 stamps, half RFC 3164 syslog lines, each line one of ``texts``; ``loss``: the last
    line of one file in 50."""
    if folder.exists():
        return
    rng = random.Random(seed)
    part = folder.with_suffix(".part")
    part.mkdir(parents=True, exist_ok=True)
    t0 = datetime(2013, 3, 29, 19, 0, 0)
    for i in range(n):
        t = t0 + timedelta(seconds=rng.randrange(86400))
        lines = []
        count = rng.randrange(1, 11)
        for k in range(count):
            t += timedelta(milliseconds=rng.randrange(5, 5000))
            text = rng.choice(texts).format(n=rng.randrange(256), p=rng.randrange(60000))
            if loss is not None and i % 50 == 7 and k == count - 1:
                text = loss
            if i % 2:
                lines.append(f"{t:%Y-%m-%d %H:%M:%S},{t.microsecond // 1000:03d} INFO {text}")
            else:
                lines.append(f"{t:%b} {t.day:2d} {t:%H:%M:%S} cvp1 app[{i}]: {text}")
        (part / f"app-{i:05d}.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    part.rename(folder)


def run(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall, user+sys CPU seconds and peak RSS (MiB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"{cmd[:3]} failed: {err[-2000:]}")
    return {"s": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


def best(cmd: list[str], repeat: int, env: dict[str, str] | None = None) -> dict[str, float]:
    return min((run(cmd, env) for _ in range(repeat)), key=lambda r: r["s"])


_READ = """
import sys
from hbtriage.sources.base import InputFile
from hbtriage.sources.perfmon_csv import READER
r = READER.read(InputFile(display=sys.argv[1], path=sys.argv[1]), "utf-8")
print(r.counters.height, file=sys.stderr)
"""
_PANDAS = """
import sys, pandas
pandas.read_csv(sys.argv[1], dtype=str, keep_default_na=False, engine="c")
"""
_PANDAS_KEPT = """
import sys, pandas
from hbtriage import counter_names
from hbtriage.sources.perfmon_csv import split_counter_path
with open(sys.argv[1], encoding="utf-8") as fh:
    head = fh.readline().rstrip("\\r\\n")[1:-1].split('","')
idx = counter_names.default_index()
keep = [0] + [i for i, c in enumerate(head) if i and (p := split_counter_path(c))
              and idx.canonical(p[1], p[3]) is not None]
pandas.read_csv(sys.argv[1], dtype=str, keep_default_na=False, engine="c", usecols=keep)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cols", type=int, default=30_000)
    ap.add_argument("--rows", type=int, default=600)
    ap.add_argument("--small", type=int, default=1_000, help="files in the small-file folder")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--src", default=str(ROOT / "src"), help="the hbtriage sources to measure")
    ap.add_argument("--skip-small", action="store_true")
    ap.add_argument("--skip-wide", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    env = {"PYTHONPATH": args.src}
    py = sys.executable
    print(f"{'what':<58} {'wall s':>7} {'cpu s':>7} {'peak MiB':>9}")

    def show(label: str, r: dict[str, float]) -> None:
        print(f"{label:<58} {r['s']:7.2f} {r['cpu']:7.2f} {r['rss']:9.0f}", flush=True)

    if not args.skip_wide:
        wide = OUT / f"wide-{args.cols}x{args.rows}.csv"
        write_wide(wide, args.cols, args.rows)
        mb = wide.stat().st_size / 1e6
        run(["cat", str(wide)])
        print(f"# {wide.name}: {mb:.0f} MB, {args.cols:,} columns x {args.rows} rows")
        show("python -c 'import hbtriage.sources.perfmon_csv'",
             best([py, "-c", "import hbtriage.sources.perfmon_csv"], args.repeat, env))  # fmt: skip
        show("hbtriage perfmon reader", best([py, "-c", _READ, str(wide)], args.repeat, env))
        show("pandas.read_csv(dtype=str), all columns",
             best([py, "-c", _PANDAS, str(wide)], args.repeat))  # fmt: skip
        show("pandas.read_csv(dtype=str, usecols=kept columns)",
             best([py, "-c", _PANDAS_KEPT, str(wide)], args.repeat, env))  # fmt: skip
    if not args.skip_small:
        folder = OUT / f"small-{args.small}"
        write_small(folder, args.small)
        files = sorted(folder.iterdir())
        print(f"# {folder.name}: {len(files):,} logs of 1-10 lines")
        cat = best(["sh", "-c", 'cat "$@" > /dev/null', "sh", *map(str, files)], args.repeat)
        show("cat of every file", cat)
        out = OUT / "small-out"
        cmd = [py, "-m", "hbtriage", "analyze", str(folder), "--out", str(out), "--quiet",
               "--format", "text"]  # fmt: skip
        r = best(cmd, args.repeat, env)
        show("hbtriage analyze FOLDER", r)
        print(f"  hbtriage analyze: {r['s'] / len(files) * 1000:.2f} s per 1,000 small files")


if __name__ == "__main__":
    main()
