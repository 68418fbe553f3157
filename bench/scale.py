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
  child alone); on the logs alone with the compiled scanning core forced off
  (``HBTRIAGE_COMPILED=0``) and on (``=1``), warm (kernels cached) and cold (an empty numba
  cache: the one-time compile); and as a first run after ``pip install`` finds it (an empty
  cache, nothing forced: read without the core while it compiles in the background);
* ``cat`` and ``grep -c`` over the same files (the "reading bytes" floor), each writing into a
  pipe: GNU grep stops at the first match when its output is /dev/null, which is no baseline;
* the compiled core alone (line boundaries and the layouts' fields of every log line, 16 MiB
  pieces, two files at a time) against ``cat`` + ``grep -c`` and the polars floor;
* pandas ``read_csv`` of the perfmon files vs hbtriage's perfmon reader on the same files (each
  in its own subprocess, peak RSS too);
* lnav loading the logs headless (``lnav -n -c ';SELECT ... FROM lnav_file' ...``: load every
  file, then list how many lines it indexed) when installed;
* a floor: polars alone splitting every log line and parsing the perfmon columns hbtriage
  keeps, two files at a time (the least an exact reader built on polars does);
* unless ``--no-encodings``: the reader on the PG1A perfmon CSV re-encoded as a Japanese
  Windows writes it (cp932) and on the PG1A dumplog in UTF-16, against the UTF-8 originals.

Every timing is the fastest of ``--repeat`` runs (default 3): the machine is shared.

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
import tempfile
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


REPEAT = 3


def best(cmd: list[str], **kw: object) -> dict:
    """:func:`run` ``REPEAT`` times: the fastest run (its peak RSS with it)."""
    runs = [run(cmd, **kw) for _ in range(REPEAT)]  # type: ignore[arg-type]
    return min(runs, key=lambda r: r["s"])


def sh(script: str, files: list[Path]) -> list[str]:
    """``sh -c script`` with ``files`` as "$@"."""
    return ["sh", "-c", script, "sh", *map(str, files)]


def analyze(d: Path, out: Path) -> dict:
    r = best([HBTRIAGE, "analyze", str(d), "--out", str(out), "--quiet", "--format", "text"])
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
#: The least an exact reader built on polars does, as a floor: split every log line (polars'
#: CSV splitter on 16 MiB pieces, as the log readers do) and parse the perfmon columns hbtriage
#: keeps (polars' CSV parser on the whole file), two files at a time.
#: A log's bytes in 16 MiB pieces cut after a line end (shared by the scripts below).
_PIECES = """
def pieces(p):
    carry = b""
    with open(p, "rb") as fh:
        while True:
            block = fh.read(16 << 20)
            data = carry + block
            cut = len(data) if not block else data.rfind(b"\\n") + 1
            data, carry = data[:cut], data[cut:]
            if data:
                yield data
            if not block:
                return
"""
#: The same pieces as the readers give the compiled core: the bytes of a file nothing writes
#: to mapped into memory, piece by piece, not copied (see ``_lines._byte_chunks``).
_MAPPED_PIECES = """
from hbtriage.sources import _lines
from hbtriage.sources.options import ReadOptions
def pieces(p):
    opts = ReadOptions(chunk_bytes=16 << 20)
    for data, _last, _enc in _lines._byte_chunks(p, "utf-8", None, opts, mapped=True):
        yield data
"""
_FLOOR = (
    _PIECES
    + """
import sys
from concurrent.futures import ThreadPoolExecutor
import polars as pl
from hbtriage.sources import perfmon_csv
sep = sys.argv.index("--")
logs, perf = sys.argv[1:sep], sys.argv[sep + 1:]
def split(p):
    n = 0
    for data in pieces(p):
        n += pl.read_csv(data, has_header=False, separator="\\x1f", quote_char=None,
                         infer_schema=False, truncate_ragged_lines=True).height
    return n
def columns(p):
    import csv
    with open(p, encoding="utf-8-sig") as fh:
        cells = next(csv.reader([fh.readline()]))
    keep = [0] + [i for i, c in enumerate(cells) if i and (x := perfmon_csv.split_counter_path(c))
                  and perfmon_csv.counter_names.canonical(x[1], x[3])]
    return pl.read_csv(p, columns=keep, infer_schema=False).height
with ThreadPoolExecutor(2) as pool:
    jobs = [pool.submit(split, p) for p in logs] + [pool.submit(columns, p) for p in perf]
    assert all(j.result() > 0 for j in jobs)
"""
)
#: The compiled core alone: every log in 16 MiB pieces cut at a line end (mapped, as analyze
#: maps them), line boundaries, the
#: usual layouts' fields of every line and the catalog's line prefilter searched in the bytes
#: (the dumplog kernel and words for pim*, the CVP ones for the others), each piece cut into
#: one part per core as the readers do (``_scan.scan_parts``), two files at a time.
_CORE = (
    _MAPPED_PIECES
    + """
import sys
from concurrent.futures import ThreadPoolExecutor
from hbtriage.catalog import load_catalog
from hbtriage.sources import _scan
assert _scan.kernels() is not None
options = load_catalog().read_options()
def scan(p):
    pim = "pim" in p.rsplit("/", 1)[-1]
    lits = _scan.literal_table(options.keep_of("icm_dumplog" if pim else "cvp_log").literals)
    ask = _scan.Ask("dumplog" if pim else "cvp", lits)
    n, first = 0, True
    for data in pieces(p):
        starts, _ends, found, flags, _cls, _info = _scan.scan_parts(data, first, ask)
        first = False
        n += int(found[0].sum()) + int(flags.sum())
    return n
with ThreadPoolExecutor(2) as pool:
    assert sum(pool.map(scan, sys.argv[1:])) > 0
"""
)
#: One file through hbtriage's reader (signature prefilter on, as in analyze).
_READ_ONE = """
import os, sys
from hbtriage.catalog import load_catalog
from hbtriage.sources import read_one
from hbtriage.sources.base import InputFile
p = sys.argv[1]
o = read_one(InputFile(display=p, path=p, size=os.path.getsize(p)), load_catalog().read_options())
r = o.result
assert r is not None, o.message
assert (r.counters if r.counters is not None else r.events).height, p
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


def encoded(d: Path, size_gb: float) -> list[tuple[Path, Path, str]]:
    """(original, re-encoded copy, what) for the decoding paths: the PG1A perfmon CSV as a
    Japanese Windows writes it (cp932, localized zone in the header) and the PG1A dumplog in
    UTF-16 (with BOM). Cached next to the bundle."""
    out = OUT / f"enc-{size_gb:g}gb"
    done = OUT / f"enc-{size_gb:g}gb.complete"
    perf, log = d / "PG1A" / "PG1A_perfmon.csv", d / "PG1A" / "pim1.txt"
    pairs = [
        (perf, out / "PG1A_perfmon.cp932.csv", "perfmon CSV, cp932 Japanese header"),
        (log, out / "pim1.utf16.txt", "dumplog, UTF-16"),
    ]
    if done.exists():
        return pairs
    out.mkdir(parents=True, exist_ok=True)
    with open(perf, "rb") as src, open(pairs[0][1], "wb") as dst:
        header = src.readline().decode("utf-8")
        zone = "(\u6771\u4eac (\u6a19\u6e96\u6642))(-540)"  # Tokyo (standard time)
        dst.write(header.replace("(Eastern Standard Time)(300)", zone).encode("cp932"))
        while block := src.read(1 << 24):
            dst.write(block)
    with open(log, "rb") as src, open(pairs[1][1], "wb") as dst:
        dst.write("\ufeff".encode("utf-16-le"))
        carry = b""
        while block := src.read(1 << 24):
            data = carry + block
            cut = data.rfind(b"\n") + 1
            dst.write(data[:cut].decode("utf-8").encode("utf-16-le"))
            carry = data[cut:]
        dst.write(carry.decode("utf-8").encode("utf-16-le"))
    done.write_text("ok\n")
    return pairs


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
    ap.add_argument(
        "--no-encodings", action="store_true", help="skip the cp932 / UTF-16 reader runs"
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs per timing; the fastest counts")
    args = ap.parse_args()
    global REPEAT
    REPEAT = max(1, args.repeat)
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
    cat = best(sh('cat "$@" | wc -c', every))
    rows.append(("cat | wc -c (all files)", cat["s"], all_bytes, None))
    grep = best(sh('grep -c -i heartbeat "$@" | cat', every))
    rows.append(("grep -c -i heartbeat (all files)", grep["s"], all_bytes, None))
    cat_logs = best(sh('cat "$@" | wc -c', logs))
    grep_logs = best(sh('grep -c -i heartbeat "$@" | cat', logs))
    rows.append(("cat + grep -c (logs)", cat_logs["s"] + grep_logs["s"], log_bytes, None))
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
        # Load every file, then one small query: how many lines lnav indexed per file.
        query = ";SELECT filepath, format, lines FROM lnav_file"
        with open(OUT / "lnav-files.txt", "w") as listing:
            lnav_r = run(
                [lnav, "-n", "-c", query, *map(str, logs)], timeout=1800, stdout=listing.fileno()
            )
        label = "lnav -n load (logs)" + (" TIMEOUT" if lnav_r.get("timeout") else "")
        rows.append((label, lnav_r["s"], log_bytes, lnav_r["rss"]))
        lnav_lines = sum(
            int(line.split()[-1])
            for line in (OUT / "lnav-files.txt").read_text().splitlines()[1:]
            if line.split() and line.split()[-1].isdigit()
        )
    # hbtriage on the logs alone, to compare with lnav on the same bytes, with the compiled
    # core as the size threshold decides, forced off and forced on (warm, then cold).
    logs_cmd = [HBTRIAGE, "analyze", *map(str, logs), "--out", str(OUT / "scale-logs-only")]
    logs_cmd.append("--quiet")
    hb_logs = best(logs_cmd)
    rows.append(("hbtriage analyze (logs only)", hb_logs["s"], log_bytes, hb_logs["rss"]))
    core_runs = {}
    for label, env in (("core off", "0"), ("core on, warm", "1")):
        os.environ["HBTRIAGE_COMPILED"] = env
        core_runs[label] = best(logs_cmd)
        r = core_runs[label]
        rows.append((f"  analyze (logs), {label}", r["s"], log_bytes, r["rss"]))
    os.environ["HBTRIAGE_COMPILED"] = "1"
    with tempfile.TemporaryDirectory() as cold_cache:  # an empty cache: the kernels compile
        os.environ["NUMBA_CACHE_DIR"] = cold_cache
        cold = run(logs_cmd)
        del os.environ["NUMBA_CACHE_DIR"]
    del os.environ["HBTRIAGE_COMPILED"]
    rows.append(("  analyze (logs), core on, cold", cold["s"], log_bytes, cold["rss"]))
    # A first run after ``pip install`` (no make, nothing forced): it reads without the core
    # and leaves the compile to a background process, stopped here once the run is timed.
    with tempfile.TemporaryDirectory() as cold_cache:
        os.environ["NUMBA_CACHE_DIR"] = cold_cache
        first = run(logs_cmd)
        del os.environ["NUMBA_CACHE_DIR"]
        for marker in Path(cold_cache).rglob("hbtriage-compiling"):
            with contextlib.suppress(OSError, ValueError):
                os.killpg(int(marker.read_text()), 9)
    rows.append(("  analyze (logs), first run, no make", first["s"], log_bytes, first["rss"]))
    core_alone = best([PY, "-c", _CORE, *map(str, logs)])
    rows.append(("compiled core alone (logs)", core_alone["s"], log_bytes, core_alone["rss"]))
    floor_r = best([PY, "-c", _FLOOR, *map(str, logs), "--", *map(str, perf)])
    rows.append(("floor: polars split + perfmon columns", floor_r["s"], all_bytes, floor_r["rss"]))
    floor_logs = best([PY, "-c", _FLOOR, *map(str, logs), "--"])
    rows.append(("floor: polars split (logs)", floor_logs["s"], log_bytes, floor_logs["rss"]))
    enc_rows: list[tuple[str, dict, dict, Path, Path]] = []
    if not args.no_encodings:
        for orig, copy, what in encoded(d, size):
            enc_rows.append(
                (
                    what,
                    run([PY, "-c", _READ_ONE, str(orig)]),
                    run([PY, "-c", _READ_ONE, str(copy)]),
                    orig,
                    copy,
                )
            )

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
    floor_l = cat_logs["s"] + grep_logs["s"]
    largest_mib = largest.stat().st_size / mb
    print(f"targets (fastest of {REPEAT} runs each; the machine is shared):")
    r0 = hb_logs["s"] / floor_l
    print(f"  analyze logs / (cat + grep -c)   = {r0:5.2f}x   (target <= 3x)  {_ok(r0 <= 3)}")
    for label, r in core_runs.items():
        print(f"    {label}: {r['s'] / floor_l:5.2f}x")
    print(
        f"    core alone: {core_alone['s'] / floor_l:.2f}x cat + grep -c, "
        f"{core_alone['s'] / floor_logs['s']:.2f}x the polars split floor; "
        f"cold run (compile) {cold['s']:.2f} s vs warm {core_runs['core on, warm']['s']:.2f} s"
    )
    r1 = hb["s"] / floor
    print(f"  analyze all / (cat + grep -c)    = {r1:5.2f}x   (target <= 4x)  {_ok(r1 <= 4)}")
    print(
        f"    (floor / (cat + grep -c) = {floor_r['s'] / floor:.2f}x: polars only splitting every"
        " log line and parsing the kept perfmon columns, nothing else)"
    )
    r2 = pd_perf["s"] / hb_perf["s"]
    print(f"  pandas / hbtriage on perfmon     = {r2:5.1f}x   (target >= 10x) {_ok(r2 >= 10)}")
    print(f"    (one file at a time: {pd_perf['s'] / hb_seq['s']:.1f}x; pandas reads every column)")
    if lnav_r is not None and not lnav_r.get("timeout"):
        r3 = lnav_r["s"] / hb_logs["s"]
        print(f"  lnav load / hbtriage (logs only) = {r3:5.1f}x   (target >= 3x)  {_ok(r3 >= 3)}")
        print(f"    (lnav indexed {lnav_lines:,} lines: see {OUT / 'lnav-files.txt'})")
    elif lnav_r is not None:
        print("  lnav: timed out (hbtriage faster)")
    else:
        print("  lnav: not installed")
    r4 = hb["rss"] / largest_mib
    print(
        f"  peak RSS / largest input file    = {r4:5.2f}x   (target <= 1.5x) {_ok(r4 <= 1.5)}"
        f"   ({hb['rss']:,.0f} MiB vs {largest_mib:,.0f} MiB)"
    )
    if enc_rows:
        print()
        print("decoding paths (one file through the reader, UTF-8 original vs re-encoded copy):")
        for what, a, b, orig, copy in enc_rows:
            print(
                f"  {what:<36} UTF-8 {orig.stat().st_size / mb:,.0f} MiB {a['s']:.2f} s "
                f"{a['rss']:,.0f} MiB | copy {copy.stat().st_size / mb:,.0f} MiB {b['s']:.2f} s "
                f"{b['rss']:,.0f} MiB (RSS {b['rss'] / (copy.stat().st_size / mb):.2f}x its size)"
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
