"""Bundles of many small files, against a same-run baseline: where the cost per file shows.

    python bench/small_files.py [--sets tiny-1000,tiny-5000,cvp-200,cvp-200.zip] [--repeat 3]

Writes (once; reruns only measure) under ``bench/out/small/``:

* ``tiny-{n}/``: ``n`` logs of 1-10 lines each, as a support tool's export or a syslog
  server's per-day files hold them: half with ISO 8601 stamps (``2013-03-30 05:10:35,195 INFO
  ...``), half RFC 3164 syslog lines (``Mar 30 17:40:46 cvp1 app[7]: ...``); one file in 50
  holds a heartbeat-loss line (a catalog signature), the others ordinary chatter;
* ``cvp-{n}/``: the simulator's ``dpc_storm_cvp`` bundle's logs (no perfmon): the PG's PIM
  dumplog, the CVP Call Server's Error log, and its CVP log of the day cut at record starts
  into ``n`` rotated files (``CVP.2013-10-24.{i}.log``, ~19 KB each for 200);
* ``cvp-{n}.zip``: the same files in one zip (what users attach).

Then, page cache warm, each command in a child process ``--repeat`` times, taking turns
(wall seconds, user+sys CPU seconds, peak RSS from ``os.wait4``), medians printed:

* the baseline: ``cat`` of every file and ``grep -c`` of the heartbeat words over them (for the
  zip: ``unzip -p`` piped into ``grep -c``): what reading the bytes costs;
* ``hbtriage analyze`` of the folder (or zip), and its time per file.

``--src`` measures another checkout's sources (``--src /path/to/other/src``); give two
``--src`` to measure both, taking turns, with their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import zipfile
from pathlib import Path

from wide_perfmon import run, write_small  # (bench/ is the script's folder)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "small"
#: What the baseline's ``grep -c`` looks for (the words of the heartbeat-loss lines).
WORDS = "heartbeat"

_CHATTER = [
    "worker finished batch {p}",
    "call {p} routed to label 5551{n:03d}",
    "session {p} opened",
    "synchronized to 203.0.113.{n}, stratum 2",
    "cache refreshed, {p} entries",
]
#: A heartbeat-loss line a catalog signature matches (as the CVP side words it).
_LOSS = "Missed 2 VRU PIM heartbeats. Shutting down VRU PIM connection."


def write_tiny(folder: Path, n: int) -> None:
    """``n`` logs of 1-10 lines each, one in 50 with a heartbeat-loss line (made once)."""
    write_small(folder, n, seed=n, texts=_CHATTER, loss=_LOSS)


def write_cvp(folder: Path, n: int, src: str) -> None:
    """The simulator's CVP-side DPC storm with its CVP log cut into ``n`` rotated files."""
    if folder.exists():
        return
    sim = folder.with_suffix(".sim")
    if not sim.exists():
        subprocess.run(
            [sys.executable, "-m", "hbtriage", "simulate", "dpc_storm_cvp", "--out", str(sim)],
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": src},
        )
    part = folder.with_suffix(".part")
    for host in sorted(p for p in sim.iterdir() if p.is_dir()):
        dest = part / host.name
        dest.mkdir(parents=True, exist_ok=True)
        for f in sorted(host.iterdir()):
            if f.name.startswith("CVP.") and f.suffix == ".log":
                _rotate(f, dest, n)
            elif f.name.startswith(("pim", "Error.")):
                (dest / f.name).write_bytes(f.read_bytes())
    part.rename(folder)


def _rotate(log: Path, dest: Path, n: int) -> None:
    """``log`` cut into ``n`` files of about equal size, each cut before a record start (a
    line that begins with a month name, as CVP's records do)."""
    data = log.read_bytes()
    size = len(data) // n + 1
    stem = log.name[: -len(".log")]
    pos = 0
    for i in range(n):
        end = len(data) if i == n - 1 else _next_record(data, pos + size)
        (dest / f"{stem}.{i}.log").write_bytes(data[pos:end])
        pos = end


def _next_record(data: bytes, at: int) -> int:
    """The offset of the first line at or after ``at`` that starts with a letter."""
    while at < len(data):
        nl = data.find(b"\n", at)
        if nl < 0:
            return len(data)
        if data[nl + 1 : nl + 2].isalpha():
            return nl + 1
        at = nl + 1
    return len(data)


def write_zip(folder: Path, zpath: Path) -> None:
    if zpath.exists():
        return
    part = zpath.with_suffix(".part")
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(folder.parent).as_posix())
    part.rename(zpath)


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="tiny-1000,cvp-200,cvp-200.zip")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--src", action="append", help="hbtriage sources to measure (again: a second, compared)"
    )
    args = ap.parse_args()
    srcs = args.src or [str(ROOT / "src")]
    OUT.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    print(f"{'what':<44} {'files':>6} {'wall s':>7} {'cpu s':>7} {'MiB':>5} {'ms/file':>8}")

    def show(label: str, files: int, r: dict[str, float]) -> None:
        per = r["s"] / files * 1000
        line = f"{label:<44} {files:6d} {r['s']:7.2f} {r['cpu']:7.2f} {r['rss']:5.0f} {per:8.2f}"
        print(line, flush=True)

    for name in args.sets.split(","):
        kind, _, rest = name.partition("-")
        count = int(rest.removesuffix(".zip"))
        folder = OUT / name.removesuffix(".zip")
        if kind == "tiny":
            write_tiny(folder, count)
        else:
            write_cvp(folder, count, srcs[0])
        files = sorted(str(f) for f in folder.rglob("*") if f.is_file())
        target = str(folder)
        if name.endswith(".zip"):
            target = str(folder.with_suffix(".zip"))
            write_zip(folder, Path(target))
            base = ["sh", "-c", f'unzip -p "$1" | grep -c {WORDS}', "sh", target]
        else:
            grep = f'cat "$@" > /dev/null; cat "$@" | grep -c {WORDS}'
            base = ["sh", "-c", grep, "sh", *files]
        cmds = [
            (py, "-m", "hbtriage", "analyze", target, "--out", str(OUT / "out"), "--quiet")
            for _ in srcs
        ]
        runs: list[list[dict[str, float]]] = [[] for _ in range(len(srcs) + 1)]
        run(base)  # page cache warm
        for _ in range(args.repeat):
            runs[0].append(run(base))
            for i, (src, cmd) in enumerate(zip(srcs, cmds, strict=True)):
                runs[i + 1].append(run(list(cmd), {"PYTHONPATH": src}))
        print(f"# {name}: {len(files):,} files, {sum(map(os.path.getsize, files)) / 1e6:.1f} MB")
        show("baseline: cat + grep -c", len(files), _median(runs[0]))
        for i, src in enumerate(srcs):
            label = "hbtriage analyze" + (f" [{i}: {src}]" if len(srcs) > 1 else "")
            show(label[:44], len(files), _median(runs[i + 1]))
        if len(srcs) == 2:
            ratios = [b["s"] / a["s"] for a, b in zip(runs[1], runs[2], strict=True)]
            print(f"  [1]/[0] wall, median of pairs: {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
