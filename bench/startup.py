"""Startup: what a small bundle costs, against the interpreter's own start and the command's
help, measured side by side in one run.

    python bench/startup.py [--runs 10]

Rows (each a whole process, wall time from start to exit; the commands take turns, run after
run, so a drift of the shared machine touches them alike; the median of ``--runs``):

* ``python -c pass``: the interpreter alone;
* ``hbtriage --help``: the command line (typer, rich) without any analysis;
* ``hbtriage analyze`` on a tiny bundle (24 KB: the test fixtures' two CVP logs and first
  dumplog, in CVP1/ and PG1A/), text report, ``--quiet``;
* the same with no catalog cache (``HBTRIAGE_CACHE=``: the catalog's TOML parsed and checked,
  as on a first run);
* ``hbtriage analyze`` on the bundled reference case (``src/hbtriage/simulate/reference``).

Whether the package's ``.pyc`` files are there changes the figures: without them every module
of the package is compiled from source on every run (when ``PYTHONDONTWRITEBYTECODE`` is set,
Python never writes them itself; the install step, ``_scan.main(["--warm"])``, does). The first
line says which.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIX = ROOT / "tests" / "fixtures"
PY = sys.executable
HBTRIAGE = str(Path(PY).with_name("hbtriage"))


def tiny_bundle(folder: Path) -> Path:
    """The 24 KB bundle: two CVP logs and one dumplog from the test fixtures."""
    (folder / "CVP1").mkdir(parents=True)
    (folder / "PG1A").mkdir()
    for p in sorted((FIX / "cvp_log").glob("*.log")):
        shutil.copy(p, folder / "CVP1" / p.name)
    dumplog = sorted(p for p in (FIX / "icm_dumplog").iterdir() if p.is_file())[0]
    shutil.copy(dumplog, folder / "PG1A" / dumplog.name)
    return folder


def wall(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False
    )
    took = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {done.returncode}: {done.stderr.decode()[-500:]}")
    return took


def _bytecode_fresh() -> bool:
    """Whether every module of the package has a ``.pyc`` newer than its source."""
    import importlib.util

    import hbtriage

    root = Path(hbtriage.__file__).parent
    for src in root.rglob("*.py"):
        pyc = Path(importlib.util.cache_from_source(str(src)))
        if not pyc.exists() or pyc.stat().st_mtime < src.stat().st_mtime:
            return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hbtriage-startup-") as tmp:
        work = Path(tmp)
        tiny = tiny_bundle(work / "tiny")
        reference = ROOT / "src" / "hbtriage" / "simulate" / "reference"
        env = dict(os.environ)
        no_cache = {**env, "HBTRIAGE_CACHE": ""}
        rows: list[tuple[str, list[str], dict[str, str]]] = [
            ("python -c pass", [PY, "-c", "pass"], env),
            ("hbtriage --help", [HBTRIAGE, "--help"], env),
            (
                "analyze tiny bundle (24 KB, 3 files)",
                [HBTRIAGE, "analyze", str(tiny), "--out", str(work / "o1"), "--quiet"],
                env,
            ),
            (
                "the same, no catalog cache",
                [HBTRIAGE, "analyze", str(tiny), "--out", str(work / "o2"), "--quiet"],
                no_cache,
            ),
            (
                "analyze reference case",
                [HBTRIAGE, "analyze", str(reference), "--out", str(work / "o3"), "--quiet"],
                env,
            ),
        ]
        for _name, cmd, run_env in rows:  # warm-up: page cache, .pyc files, catalog cache
            wall(cmd, run_env)
        times: dict[str, list[float]] = {name: [] for name, _, _ in rows}
        for _ in range(args.runs):
            for name, cmd, run_env in rows:
                times[name].append(wall(cmd, run_env))
    bytecode = "fresh" if _bytecode_fresh() else "missing or stale"
    print(
        f"startup, {args.runs} runs each, taking turns; bytecode files {bytecode}; {os.cpu_count()} CPUs"
    )
    print(f"{'what':40} {'median s':>9} {'min':>7} {'max':>7}")
    for name, got in times.items():
        print(f"{name:40} {statistics.median(got):9.3f} {min(got):7.3f} {max(got):7.3f}")


if __name__ == "__main__":
    main()
