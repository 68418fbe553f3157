"""Where one `hbtriage analyze` spends its time: stage by stage, the compiled kernels' CPU and
the polars queries by the place in hbtriage that asked for them, next to `cat` + `grep -c` over
the same files measured in the same run (as ``bench/scale.py`` counts it: the two commands' times
added).

    python bench/stages.py [--runs 3] [--top 12] [PATH ...]

PATH: files or folders to analyse (default: the logs of the scale bench's 1 GB bundle, which
``bench/scale.py`` generates when it is missing). Each run is a process of its own, traced from
its start (the imports counted); the fastest run's breakdown is printed, with the median of
the runs' wall times. The trace costs a little (a wrapper per stage and kernel call, a frame
walk per query), so its total is a few percent above an untraced run's.

Rows:

* stages: when each began and ended (seconds from the process's start) on the main thread,
  and the first piece the compiled core scanned;
* kernels: CPU seconds per kernel, summed over every thread (the core's calls release the GIL
  and run on both cores at once);
* polars queries: count and thread seconds per calling place (nearly every eager polars call
  runs as a query; the per-piece assembly pays for each one, more so while the kernels keep
  both cores busy).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PY = sys.executable

#: (module, attribute, label) of the stages, in the order a run meets them.
STAGES = (
    ("hbtriage.api", "_read_all", "read"),
    ("hbtriage.api", "_to_timeline", "timeline"),
    ("hbtriage.api", "tag", "signatures"),
    ("hbtriage.api", "_align_clocks", "clocks"),
    ("hbtriage.api", "_detect", "detectors"),
    ("hbtriage.api", "_diagnose", "diagnosis"),
    ("hbtriage.cli", "_write_reports", "reports"),
)
KERNELS = ("split_lines_info", "keep_flags", "cvp", "dumplog", "ciscolog", "iso", "syslog")
KERNELS_MORE = ("classes", "gather")


def _child(out: str, args: list[str]) -> None:
    """One traced run of ``hbtriage analyze args``; what it found, as JSON, into ``out``."""
    t0 = time.perf_counter()
    import importlib
    import threading

    import polars.lazyframe.frame as lazy

    stages: dict[str, list[float]] = {}
    kernel_cpu: dict[str, float] = {}
    sites: dict[str, list[float]] = {}
    first_scan: list[float] = []
    lock = threading.Lock()

    def stage(mod: Any, name: str, label: str) -> None:
        f = getattr(mod, name)

        def timed(*a: Any, **k: Any) -> Any:
            start = time.perf_counter() - t0
            try:
                return f(*a, **k)
            finally:
                stages[label] = [start, time.perf_counter() - t0]

        setattr(mod, name, timed)

    def kernel(cls: Any, name: str) -> None:
        f = getattr(cls, name)

        def timed(self: Any, *a: Any, **k: Any) -> Any:
            if not first_scan:
                first_scan.append(time.perf_counter() - t0)
            c = time.thread_time()
            try:
                return f(self, *a, **k)
            finally:
                with lock:
                    kernel_cpu[name] = kernel_cpu.get(name, 0.0) + time.thread_time() - c

        setattr(cls, name, timed)

    def caller() -> str:
        frame = sys._getframe(2)
        while frame is not None:
            path = frame.f_code.co_filename
            if "/hbtriage/" in path and "/polars/" not in path:
                short = path.split("/hbtriage/", 1)[1]
                return f"{short}:{frame.f_lineno} {frame.f_code.co_name}"
            frame = frame.f_back  # type: ignore[assignment]
        return "(elsewhere)"

    def query(name: str) -> None:
        f = getattr(lazy.LazyFrame, name)

        def timed(self: Any, *a: Any, **k: Any) -> Any:
            c = time.perf_counter()
            try:
                return f(self, *a, **k)
            finally:
                where = caller()
                with lock:
                    got = sites.setdefault(where, [0, 0.0])
                    got[0] += 1
                    got[1] += time.perf_counter() - c

        setattr(lazy.LazyFrame, name, timed)

    for name in ("collect", "_collect_eager"):
        if hasattr(lazy.LazyFrame, name):
            query(name)
    import hbtriage.cli as cli

    for mod_name, attr, label in STAGES:
        stage(importlib.import_module(mod_name), attr, label)
    from hbtriage.sources import _scan_native

    for name in KERNELS + KERNELS_MORE:
        if hasattr(_scan_native.Kernels, name):
            kernel(_scan_native.Kernels, name)
    imports = time.perf_counter() - t0
    sys.argv = ["hbtriage", "analyze", *args]
    with contextlib.suppress(SystemExit):
        cli.main()
    total = time.perf_counter() - t0
    Path(out).write_text(
        json.dumps(
            {
                "total": total,
                "imports": imports,
                "stages": stages,
                "first_scan": first_scan[0] if first_scan else None,
                "kernels": kernel_cpu,
                "queries": sites,
            }
        )
    )


def _default_paths() -> list[str]:
    sys.path.insert(0, str(HERE))
    import scale  # bench/scale.py: the bundle it generates and caches

    logs, _perf = scale.files_of(scale.bundle(1.0))
    return [str(p) for p in logs]


def _files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        out += sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
    return out


def _cat_grep(files: list[Path], runs: int) -> float:
    """``cat`` + ``grep -c`` as ``bench/scale.py`` counts it: the fastest of ``runs`` of
    ``cat FILES | wc -c`` plus the fastest of ``grep -c -i heartbeat FILES``."""
    total = 0.0
    for script in ('cat "$@" | wc -c', 'grep -c -i heartbeat "$@" | cat'):
        best = float("inf")
        for _ in range(runs):
            t = time.perf_counter()
            cmd = ["sh", "-c", script, "sh", *map(str, files)]
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)
            best = min(best, time.perf_counter() - t)
        total += best
    return total


def main() -> None:
    if sys.argv[1:2] == ["--child"]:  # one traced run: --child OUT ANALYZE-ARGUMENTS...
        _child(sys.argv[2], sys.argv[3:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", help="files or folders (default: the scale bench's logs)")
    ap.add_argument("--runs", type=int, default=3, help="runs; the fastest one's breakdown")
    ap.add_argument("--top", type=int, default=12, help="query places listed")
    args = ap.parse_args()
    paths = args.paths or _default_paths()
    files = _files(paths)
    size = sum(f.stat().st_size for f in files)
    for f in files:  # the page cache warm: every tool below reads from memory
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
    results: list[tuple[float, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="hbtriage-stages-") as tmp:
        for i in range(args.runs):
            got = Path(tmp) / f"run{i}.json"
            out = Path(tmp) / f"out{i}"
            cmd = [PY, __file__, "--child", str(got), *paths]
            cmd += ["--out", str(out), "--quiet", "--format", "text"]
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
            results.append((time.perf_counter() - t, json.loads(got.read_text())))
    baseline = _cat_grep(files, args.runs)
    walls = [w for w, _ in results]
    wall, best = min(results, key=lambda r: r[0])
    print(f"{len(files)} files, {size / 2**20:,.0f} MiB; {args.runs} runs, cores: {os.cpu_count()}")
    print(f"wall: fastest {wall:.2f} s, median {statistics.median(walls):.2f} s")
    print(f"cat + grep -c -i heartbeat over the same files: {baseline:.2f} s (as bench/scale.py)")
    print(f"  (analyze / baseline: {wall / baseline:.2f}x)")
    print("\nstages (seconds from the process's start, main thread)")
    print(f"  {'start and imports':24s} {0.0:6.2f} -> {best['imports']:6.2f}")
    if best["first_scan"] is not None:
        print(f"  {'first kernel call':24s} {best['first_scan']:6.2f}")
    for _mod, _attr, label in STAGES:
        if label in best["stages"]:
            a, b = best["stages"][label]
            print(f"  {label:24s} {a:6.2f} -> {b:6.2f}   {b - a:5.2f} s")
    print(f"  {'process end (traced)':24s} {best['total']:6.2f}")
    if best["kernels"]:
        print("\nkernels (CPU seconds, all threads)")
        for name, cpu in sorted(best["kernels"].items(), key=lambda kv: -kv[1]):
            print(f"  {name:24s} {cpu:6.3f}")
        print(f"  {'total':24s} {sum(best['kernels'].values()):6.3f}")
    queries = best["queries"]
    n = sum(v[0] for v in queries.values())
    secs = sum(v[1] for v in queries.values())
    print(f"\npolars queries: {n} in {secs:.3f} s of thread time; the {args.top} costliest places")
    for where, (count, s) in sorted(queries.items(), key=lambda kv: -kv[1][1])[: args.top]:
        print(f"  {count:5d} {s * 1000:8.1f} ms  {where}")


if __name__ == "__main__":
    main()
