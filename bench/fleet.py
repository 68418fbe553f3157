"""Fleet: ``hbtriage fleet`` on Dask against a sequential loop of ``hbtriage analyze``
processes, over the same simulated bundles, in one run.

    python bench/fleet.py [--n 200] [--skip-loop]

Bundles come from the simulator (``hbtriage.simulate.scenarios.generate``, every scenario in
turn, seeds 1..n) into ``bench/out/fleet-<n>/`` (``.complete`` marks a finished generation,
so reruns only measure). Measured, page cache warm (every file read once first):

* the sequential baseline: one ``hbtriage analyze B --out ... --quiet`` process per bundle;
* ``hbtriage fleet ROOT --force`` on a local cluster of 1 and of 2 worker processes (wall time
  from the command's start: cluster start-up included);
* per bundle in a warm worker (each worker's first bundle left out): the task's time over the
  analysis's own (``fleet-run.json``: ``task_s - analyze_s``: writing findings.json, pairing,
  the summary row), and the time the analysis itself took;
* peak RSS of each worker process (``getrusage`` in the worker, from ``fleet-run.json``);
* the same run on a separately started ``dask scheduler`` + ``dask worker --nworkers 2``
  (spawned processes): its fleet.json must be identical to the local cluster's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def _generate(root: Path, n: int) -> None:
    from hbtriage.simulate.scenarios import SCENARIOS, generate

    done = root / ".complete"
    if done.exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    t0 = time.perf_counter()
    for i in range(n):
        name = SCENARIOS[i % len(SCENARIOS)]
        generate(name, root / f"{i:03d}-{name}", i + 1)
    done.write_text("ok\n", encoding="utf-8")
    print(f"generated {n} bundles in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def _warm(root: Path) -> int:
    total = 0
    for f in root.rglob("*"):
        if f.is_file():
            total += len(f.read_bytes())
    return total


def _timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _loop(bundles: list[Path], out: Path) -> float:
    t0 = time.perf_counter()
    for b in bundles:
        cmd = [str(BIN / "hbtriage"), "analyze", str(b), "--out", str(out / b.name), "--quiet"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _fleet(root: Path, out: Path, *extra: str) -> tuple[float, dict[str, Any]]:
    cmd = [str(BIN / "hbtriage"), "fleet", str(root), "--out", str(out), "--force", "--quiet"]
    wall = _timed([*cmd, *extra])
    return wall, json.loads((out / "fleet-run.json").read_text(encoding="utf-8"))


def _per_bundle(log: dict[str, Any]) -> dict[str, float]:
    """Median and p90 of task - analyze in warm workers, median analyze, peak RSS."""
    rows = list(log["bundles"].values())
    seen: set[int] = set()
    warm: list[dict[str, Any]] = []
    for r in sorted(rows, key=lambda r: r.get("wall_s", 0)):  # first done per worker = cold
        pid = r.get("worker_pid")
        if pid in seen:
            warm.append(r)
        seen.add(pid)
    over = sorted(r["task_s"] - r["analyze_s"] for r in warm)
    rss: dict[int, float] = {}
    for r in rows:
        pid, peak = r.get("worker_pid"), r.get("worker_peak_rss_mib") or 0.0
        rss[pid] = max(rss.get(pid, 0.0), peak)
    return {
        "overhead_median_s": statistics.median(over) if over else float("nan"),
        "overhead_p90_s": over[int(0.9 * (len(over) - 1))] if over else float("nan"),
        "analyze_median_s": statistics.median(r["analyze_s"] for r in warm) if warm else 0.0,
        "workers": len(rss),
        "peak_rss_mib": max(rss.values()) if rss else 0.0,
        "peak_rss_each": sorted(rss.values()),  # type: ignore[dict-item]
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _remote(root: Path, out: Path) -> tuple[float, dict[str, Any]]:
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    procs = [
        subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port)]
            + ["--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    procs.append(
        subprocess.Popen(
            [str(BIN / "dask"), "worker", addr, "--nworkers", "2", "--nthreads", "1"]
            + ["--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    try:
        from distributed import Client

        with Client(addr, timeout="60s") as c:
            c.wait_for_workers(2, timeout=60)
        return _fleet(root, out, "--scheduler", addr)
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--skip-loop", action="store_true", help="no sequential analyze baseline")
    args = ap.parse_args()
    root = HERE / "out" / f"fleet-{args.n}" / "bundles"
    _generate(root, args.n)
    work = HERE / "out" / f"fleet-{args.n}" / "runs"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    size = _warm(root)
    bundles = sorted(p for p in root.iterdir() if p.is_dir())
    print(f"{len(bundles)} bundles, {size / 2**20:.0f} MiB, {os.cpu_count()} cores")

    results: list[tuple[str, float, dict[str, float] | None]] = []
    if not args.skip_loop:
        results.append(
            ("sequential `hbtriage analyze` processes", _loop(bundles, work / "loop"), None)
        )
    w1, log1 = _fleet(root, work / "w1", "--workers", "1")
    results.append(("`hbtriage fleet`, local cluster, 1 worker", w1, _per_bundle(log1)))
    w2, log2 = _fleet(root, work / "w2", "--workers", "2")
    results.append(("`hbtriage fleet`, local cluster, 2 workers", w2, _per_bundle(log2)))
    wr, logr = _remote(root, work / "remote")
    results.append(
        ("`hbtriage fleet --scheduler` (dask scheduler + 2 workers)", wr, _per_bundle(logr))
    )
    same = (work / "w2" / "fleet.json").read_bytes() == (
        work / "remote" / "fleet.json"
    ).read_bytes()

    base = results[0][1] if not args.skip_loop else None
    print()
    print(
        "| run | wall s | bundles/s | vs loop | warm overhead/bundle s (median, p90) "
        "| analysis/bundle s (median) | peak RSS per worker MiB |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, wall, pb in results:
        speed = f"{base / wall:.2f}x" if base else ""
        if pb is None:
            print(f"| {label} | {wall:.1f} | {len(bundles) / wall:.1f} | 1.00x | | | |")
            continue
        rss = ", ".join(f"{v:.0f}" for v in pb["peak_rss_each"])  # type: ignore[attr-defined]
        print(
            f"| {label} | {wall:.1f} | {len(bundles) / wall:.1f} | {speed} | "
            f"{pb['overhead_median_s']:.3f}, {pb['overhead_p90_s']:.3f} | "
            f"{pb['analyze_median_s']:.3f} | {rss} |"
        )
    print()
    print(f"1 -> 2 workers: {w1 / w2:.2f}x; remote fleet.json identical to local: {same}")


if __name__ == "__main__":
    main()
