"""Scale: how fast and how lean ``hbtriage analyze`` is on a large bundle, against baselines
measured in the same run on the same bytes.

    python bench/scale.py [--size-gb 1] [--no-sweep] [--no-lnav]

The bundle comes from the simulator (:func:`hbtriage.simulate.scenarios.generate_large`):
about N GB of logs over two hosts (PG1A pim1 dumplog, CVP1 CVP/Error logs) plus 24 h of perfmon
at 1 s with about 400 counters per host, one DPC storm in the middle. Bundles are cached under
``bench/out/scale-<size>gb/`` (``scale-<size>gb.complete`` says the generation finished), so reruns
only measure.

Measured, page cache warm (every file is read once before timing):

* ``hbtriage analyze`` as a subprocess: wall time and peak RSS (``os.wait4`` rusage of that
  child alone);
* ``cat`` and ``grep -c`` over the same files (the "reading bytes" floor);
* pandas ``read_csv`` of the perfmon files vs hbtriage's perfmon reader on the same files (each
  in its own subprocess, peak RSS too);
* lnav loading the logs headless (``lnav -n -c ':write-to /dev/null' ...``) when installed.

Then, unless ``--no-sweep``, analyze at 0.25x, 0.5x and 1x the size: seconds per GB of logs
and the R² of a linear fit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PY = sys.executable
HBTRIAGE = str(Path(PY).with_name("hbtriage"))
HOURS = 24.0
COUNTERS = 400
SEED = 7


def bundle(size_gb: float) -> Path:
    """The cached bundle for ``size_gb`` (generated when missing)."""
    d = OUT / f"scale-{size_gb:g}gb"
    done = OUT / f"scale-{size_gb:g}gb.complete"
    if done.exists():
        return d
    if d.exists():
        shutil.rmtree(d)
    print(f"generating {size_gb:g} GB bundle in {d} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    code = (
        "import sys; from pathlib import Path; "
        "from hbtriage.simulate.scenarios import generate_large; "
        f"generate_large(Path({str(d)!r}), log_bytes=int({size_gb} * 1e9), hours={HOURS}, "
        f"counters_per_host={COUNTERS}, seed={SEED})"
    )
    subprocess.run([PY, "-c", code], check=True)
    done.write_text("ok\n")
    print(f"  generated in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return d


def files_of(d: Path) -> tuple[list[Path], list[Path]]:
    """(log files, perfmon CSVs) of a bundle."""
    logs, perf = [], []
    for p in sorted(d.rglob("*")):
        if not p.is_file() or p.name == "truth.json":
            continue
        (perf if p.name.endswith("_perfmon.csv") else logs).append(p)
    return logs, perf


def run(cmd: list[str], *, timeout: float | None = None, stdout: int | None = None) -> dict:
    """Wall seconds and peak RSS (MiB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=stdout if stdout is not None else subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = None if timeout is None else t0 + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            return {"s": float("nan"), "rss": usage.ru_maxrss / 1024, "timeout": True}
        time.sleep(0.01)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0, 1):  # grep -c exits 1 on no match
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err[-2000:]}")
    return {"s": seconds, "rss": usage.ru_maxrss / 1024}


def analyze(d: Path, out: Path) -> dict:
    r = run([HBTRIAGE, "analyze", str(d), "--out", str(out), "--quiet", "--format", "text"])
    findings = json.loads((out / "findings.json").read_text())
    causes = [i["causes"][0]["id"] for i in findings["incidents"] if i["causes"]]
    r["incidents"] = len(findings["incidents"])
    r["top"] = causes[:3]
    return r


_READ_HB = """
import os, sys
from concurrent.futures import ThreadPoolExecutor
from hbtriage.sources import read_one
from hbtriage.sources.base import InputFile
workers, paths = int(sys.argv[1]), sys.argv[2:]
def one(p):
    o = read_one(InputFile(display=p, path=p, size=os.path.getsize(p)))
    assert o.result is not None and o.result.counters is not None, o.message
    assert o.result.counters.height, p
with ThreadPoolExecutor(workers) as pool:
    list(pool.map(one, paths))
"""
_READ_PD = """
import sys
import pandas as pd
for p in sys.argv[1:]:
    df = pd.read_csv(p)
    assert len(df)
"""


def _cgroup(limit: int) -> tuple[Path, str] | None:
    """A fresh memory cgroup limited to ``limit`` bytes (v1 or v2), or None when this machine
    does not let us make one (not root, no memory controller)."""
    name = f"hbtriage-bench-{os.getpid()}"
    for root, knob in (
        (Path("/sys/fs/cgroup/memory"), "memory.limit_in_bytes"),
        (Path("/sys/fs/cgroup"), "memory.max"),
    ):
        if not (root / knob).exists() and not (root / "cgroup.controllers").exists():
            continue
        d = root / name
        try:
            d.mkdir(exist_ok=True)
            (d / knob).write_text(str(limit))
            return d, knob
        except OSError:
            with contextlib.suppress(OSError):
                d.rmdir()
    return None


def limited(cmd: list[str], limit: int) -> dict | None:
    """Run ``cmd`` in a memory cgroup of ``limit`` bytes (anonymous memory beyond it is not
    available: there is no swap here; page cache is reclaimed): did it finish, how fast, and
    the cgroup's peak usage. None when no cgroup can be made."""
    made = _cgroup(limit)
    if made is None:
        return None
    d, knob = made
    procs = str(d / "cgroup.procs")

    def enter() -> None:
        with open(procs, "w") as fh:
            fh.write(str(os.getpid()))

    t0 = time.perf_counter()
    proc = subprocess.run(cmd, preexec_fn=enter, capture_output=True, text=True)  # noqa: PLW1509
    seconds = time.perf_counter() - t0
    peak = None
    for f in ("memory.max_usage_in_bytes", "memory.peak"):
        with contextlib.suppress(OSError, ValueError):
            peak = int((d / f).read_text().split()[0])
            break
    with contextlib.suppress(OSError):
        d.rmdir()
    return {"s": seconds, "rc": proc.returncode, "peak": peak, "err": proc.stderr[-300:]}


def fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """Least squares y = a + b x: (a, b, R²)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    b = sxy / sxx if sxx else 0.0
    a = my - b * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys, strict=True))
    return a, b, 1 - ss_res / ss_tot if ss_tot else 1.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-gb", type=float, default=1.0, help="GB of logs (default 1)")
    ap.add_argument("--no-sweep", action="store_true", help="skip the 0.25x/0.5x runs")
    ap.add_argument("--no-lnav", action="store_true", help="skip lnav even when installed")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    size = args.size_gb
    d = bundle(size)
    logs, perf = files_of(d)
    every = logs + perf
    mb = 1024 * 1024
    log_bytes = sum(p.stat().st_size for p in logs)
    perf_bytes = sum(p.stat().st_size for p in perf)
    all_bytes = log_bytes + perf_bytes
    largest = max(every, key=lambda p: p.stat().st_size)
    for p in every:  # warm the page cache: every tool below reads from memory
        with open(p, "rb") as fh:
            while fh.read(1 << 24):
                pass

    rows: list[tuple[str, float, float, float | None]] = []  # name, seconds, bytes, rss MiB
    hb = analyze(d, OUT / f"scale-{size:g}gb-findings")
    rows.append(("hbtriage analyze (all files)", hb["s"], all_bytes, hb["rss"]))
    cat = run(["cat", *map(str, every)])
    rows.append(("cat (all files)", cat["s"], all_bytes, None))
    grep = run(["grep", "-c", "-i", "heartbeat", *map(str, every)])
    rows.append(("grep -c -i heartbeat (all files)", grep["s"], all_bytes, None))
    hb_seq = run([PY, "-c", _READ_HB, "1", *map(str, perf)])
    rows.append(("hbtriage perfmon reader, 1 file/time", hb_seq["s"], perf_bytes, hb_seq["rss"]))
    hb_perf = run([PY, "-c", _READ_HB, "2", *map(str, perf)])
    rows.append(("hbtriage perfmon reader, 2 threads", hb_perf["s"], perf_bytes, hb_perf["rss"]))
    pd_perf = run([PY, "-c", _READ_PD, *map(str, perf)])
    rows.append(("pandas read_csv (perfmon)", pd_perf["s"], perf_bytes, pd_perf["rss"]))
    lnav = shutil.which("lnav")
    lnav_r = None
    if lnav and not args.no_lnav:
        env_home = OUT / "lnav-home"  # lnav writes its config/index under $HOME
        env_home.mkdir(exist_ok=True)
        os.environ["HOME"] = str(env_home)
        lnav_r = run([lnav, "-n", "-q", "-c", ":write-to /dev/null", *map(str, logs)], timeout=1800)
        label = "lnav -n load (logs)" + (" TIMEOUT" if lnav_r.get("timeout") else "")
        rows.append((label, lnav_r["s"], log_bytes, lnav_r["rss"]))
    # hbtriage on the logs alone, to compare with lnav on the same bytes.
    hb_logs = run(
        [HBTRIAGE, "analyze", *map(str, logs), "--out", str(OUT / "scale-logs-only"), "--quiet"]
    )
    rows.append(("hbtriage analyze (logs only)", hb_logs["s"], log_bytes, hb_logs["rss"]))

    print()
    print(f"bundle: {d}  cores: {os.cpu_count()}  python: {sys.version.split()[0]}")
    print(
        f"logs {log_bytes / mb:,.0f} MiB in {len(logs)} files, perfmon {perf_bytes / mb:,.0f} MiB "
        f"in {len(perf)} files; largest file {largest.name} {largest.stat().st_size / mb:,.0f} MiB"
    )
    print(f"incidents found: {hb['incidents']}, top causes: {hb['top']}")
    print()
    print(f"{'what':<38} {'seconds':>9} {'MB/s':>9} {'peak RSS MiB':>13}")
    for name, s, b, rss in rows:
        rate = b / mb / s if s == s and s > 0 else float("nan")
        rs = f"{rss:,.0f}" if rss is not None else "-"
        print(f"{name:<38} {s:>9.2f} {rate:>9.0f} {rs:>13}")
    print()
    floor = cat["s"] + grep["s"]
    largest_mib = largest.stat().st_size / mb
    print("targets:")
    r1 = hb["s"] / floor
    print(f"  analyze / (cat + grep -c)        = {r1:5.2f}x   (target <= 3x)  {_ok(r1 <= 3)}")
    r2 = pd_perf["s"] / hb_perf["s"]
    print(f"  pandas / hbtriage on perfmon     = {r2:5.1f}x   (target >= 10x) {_ok(r2 >= 10)}")
    print(f"    (one file at a time: {pd_perf['s'] / hb_seq['s']:.1f}x; pandas reads every column)")
    if lnav_r is not None and not lnav_r.get("timeout"):
        r3 = lnav_r["s"] / hb_logs["s"]
        print(f"  lnav load / hbtriage (logs only) = {r3:5.1f}x   (target > 1x)   {_ok(r3 > 1)}")
    elif lnav_r is not None:
        print("  lnav: timed out (hbtriage faster)")
    else:
        print("  lnav: not installed")
    r4 = hb["rss"] / largest_mib
    print(
        f"  peak RSS / largest input file    = {r4:5.2f}x   (target <= 1.5x) {_ok(r4 <= 1.5)}"
        f"   ({hb['rss']:,.0f} MiB vs {largest_mib:,.0f} MiB)"
    )
    sys.stdout.flush()

    # Larger than memory: the whole bundle again, in a cgroup whose memory limit is the RSS
    # target (1.5x the largest file), well below the bundle's size.
    cap = int(1.5 * largest.stat().st_size)
    lim = limited(
        [HBTRIAGE, "analyze", str(d), "--out", str(OUT / "scale-limited"), "--quiet"], cap
    )
    if lim is None:
        print("memory-limited run: no memory cgroup available here (needs root)")
    else:
        ok = lim["rc"] in (0, 1)
        peak = f"{lim['peak'] / mb:,.0f} MiB" if lim["peak"] else "?"
        print(
            f"memory-limited run: bundle {all_bytes / mb:,.0f} MiB, limit {cap / mb:,.0f} MiB: "
            f"{'completed' if ok else 'FAILED (exit ' + str(lim['rc']) + ')'} in {lim['s']:.1f} s,"
            f" cgroup peak {peak} (page cache included)"
        )
    sys.stdout.flush()

    if args.no_sweep:
        return
    xs, ys = [], []
    print()
    print(f"{'size':>6} {'log GB':>8} {'seconds':>9} {'peak RSS MiB':>13}")
    for k in (0.25, 0.5, 1.0):
        s = round(size * k, 4)
        dk = bundle(s) if k != 1.0 else d
        lk, _pk = files_of(dk)
        gb = sum(p.stat().st_size for p in lk) / 1e9
        r = hb if k == 1.0 else analyze(dk, OUT / f"scale-{s:g}gb-findings")
        xs.append(gb)
        ys.append(r["s"])
        print(f"{k:>5g}x {gb:>8.3f} {r['s']:>9.2f} {r['rss']:>13,.0f}")
    a, b, r2 = fit(xs, ys)
    print(f"slope: {b:.2f} s per GB of logs (+ {a:.2f} s fixed: perfmon, start-up); R² = {r2:.4f}")


def _ok(flag: bool) -> str:
    return "MET" if flag else "MISSED"


if __name__ == "__main__":
    main()
