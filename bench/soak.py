"""Soak: a watch pair on loopback for N minutes at a 50 ms heartbeat.

Every 10 s it samples each end's resident memory and the bytes and number of files it has
written, and prints a table. What it shows: memory flat (bounded deques, no growth per
heartbeat) and files bounded (rotation at --max-bytes, --backups older files).

    .venv/bin/python bench/soak.py --minutes 10
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

SRC = Path(__file__).resolve().parents[1] / "src"


def _files(out: Path) -> tuple[int, int]:
    files = [p for p in out.iterdir() if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--interval", default="50ms")
    ap.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    ap.add_argument("--max-bytes", type=int, default=65536, help="per file (small: rotation shows)")
    ap.add_argument("--backups", type=int, default=3)
    ap.add_argument("--ports", default="17401,17402")
    a = ap.parse_args()
    pa, pb = (int(x) for x in a.ports.split(","))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    with tempfile.TemporaryDirectory(prefix="hbtriage-soak-") as tmp:
        outs = {"a": Path(tmp) / "a", "b": Path(tmp) / "b"}
        procs: dict[str, subprocess.Popen[bytes]] = {}
        for side, (mine, other) in {"a": (pa, pb), "b": (pb, pa)}.items():
            cmd = [
                sys.executable, "-m", "hbtriage.live.probe",
                "--listen", f"127.0.0.1:{mine}", "--peer", f"127.0.0.1:{other}",
                "--interval", a.interval, "--out", str(outs[side]), "--host", f"soak{side}",
                "--max-bytes", str(a.max_bytes), "--backups", str(a.backups),
            ]  # fmt: skip
            procs[side] = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
        bound = 2 * a.max_bytes * (a.backups + 1) + 2 * 4096  # two rotating files per end
        print(f"watch pair on loopback, interval {a.interval}, {a.minutes:g} min; "
              f"disk bound per end {bound / 1024:.0f} KiB")  # fmt: skip
        print(f"{'t (s)':>6} {'RSS a MiB':>10} {'RSS b MiB':>10} {'files a':>8} {'KiB a':>8} "
              f"{'files b':>8} {'KiB b':>8} {'records a':>10}")  # fmt: skip
        rows = []
        start = time.monotonic()
        end = start + a.minutes * 60
        try:
            deadline = time.monotonic() + 60
            while not all((outs[s] / f"watch-soak{s}.log").exists() for s in outs):
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs.values()):
                    raise SystemExit("the watch pair did not start")
                time.sleep(0.1)
            time.sleep(1.0)
            start = time.monotonic()
            end = start + a.minutes * 60
            while True:
                t = time.monotonic() - start
                rss = {s: psutil.Process(p.pid).memory_info().rss / 2**20 for s, p in procs.items()}
                fa, fb = _files(outs["a"]), _files(outs["b"])
                recs = sum(
                    1 for p in outs["a"].glob("watch-*.log*") for _ in p.open(errors="replace")
                )
                rows.append((t, rss["a"], rss["b"], fa, fb))
                print(f"{t:6.0f} {rss['a']:10.1f} {rss['b']:10.1f} {fa[1]:8d} {fa[0] / 1024:8.1f} "
                      f"{fb[1]:8d} {fb[0] / 1024:8.1f} {recs:10d}", flush=True)  # fmt: skip
                if time.monotonic() >= end:
                    break
                time.sleep(min(a.every, max(end - time.monotonic(), 0.1)))
        finally:
            for p in procs.values():
                p.send_signal(signal.SIGTERM)
            codes = {s: p.wait(timeout=20) for s, p in procs.items()}
        missed = sum(
            ln.count(" hb_missed ") for p in Path(tmp).rglob("watch-*.log*") for ln in p.open()
        )
        rss_growth = max(r[1] for r in rows[1:] or rows) - rows[min(1, len(rows) - 1)][1]
        worst = max(max(r[3][0], r[4][0]) for r in rows)
        print(f"\nRSS a: first {rows[0][1]:.1f} MiB, last {rows[-1][1]:.1f} MiB "
              f"(growth after warm-up {rss_growth:+.1f} MiB); "
              f"largest recording {worst / 1024:.0f} KiB <= bound {bound / 1024:.0f} KiB: "
              f"{worst <= bound}; hb_missed lines (healthy loopback): {missed}; "
              f"exit codes {codes}")  # fmt: skip
        return 0 if worst <= bound and all(c == 0 for c in codes.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
