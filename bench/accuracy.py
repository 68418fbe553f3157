"""Accuracy on labelled scenarios: confusion matrix, top-1 accuracy, incident recall/precision.

    python bench/accuracy.py [--n 300] [--seed 1] [--workers 2]
    python bench/accuracy.py --layouts [--n 28] [--seed 1] [--workers 2]
    python bench/accuracy.py --clocks [--n 4] [--seed 1] [--workers 2] [--faults a,b]

Each run draws a scenario (all of them in turn) and a seed, writes the bundle with the simulator
(real formats, randomised intervals, zones, skew, gap lengths, host names), runs
``hbtriage.analyze`` on it, and compares the incidents with ``truth.json``. A found incident
matches a true one when their windows overlap (with 30 s of slack).

``--layouts`` analyses every bundle in every layout a user may hand the same files over in
(parent folder, host folders, a zip per host, one flat folder, every file) and file set (full,
one or no perfmon, renamed servers; see ``bench/layouts.py``) and prints, per file set x layout,
the top-1 accuracy, the host of the top cause, the incidents split in two (more found incidents
than true ones overlapping), and how often the verdict differs from the parent folder's.

``--clocks`` analyses ``--n`` bundles with every clock fault of ``bench/clocks.py`` (a CVP clock
30 s to 9 h off, the PG's zone only from its systeminfo or from nothing, a CVP logging UTC,
two incidents hours apart that must stay two) in two layouts, and prints per fault x layout
the top-1 cause and host, the incident start error against truth.json, split and merged
incidents, hosts whose clock was moved, and crashes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

SLACK = timedelta(seconds=30)


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def one(job: tuple[str, int]) -> dict:
    from hbtriage import analyze
    from hbtriage.simulate.scenarios import generate

    name, seed = job
    with tempfile.TemporaryDirectory() as tmp:
        truth = generate(name, Path(tmp), seed)
        t0 = time.perf_counter()
        try:
            f = analyze([tmp])
        except Exception as exc:  # noqa: BLE001 - a crash is a result here
            return {"scenario": name, "seed": seed, "error": f"{type(exc).__name__}: {exc}"}
        seconds = time.perf_counter() - t0
    found = [
        {
            "start": i.start,
            "end": i.end,
            "top": i.causes[0].id,
            "host": i.causes[0].host,
            "ranked": [c.id for c in i.causes],
            "driver": (i.causes[0].driver or {}).get("module"),
        }
        for i in f.incidents
    ]
    # Reports of hosts whose truth has no culprit (healthy traces) that name one anyway.
    named = {(h.name, r.get("source")): r.get("module") for h in f.hosts for r in h.dpc_reports}
    healthy_traces = [x for x in truth.get("traces", []) if x["culprit"] is None]
    false_named = sum(
        1
        for (host, _src), mod in named.items()
        if mod and any(x["host"] == host for x in healthy_traces)
    )
    true = [
        {
            "start": _t(x["start"]),
            "end": _t(x["end"]),
            "cause": x["cause"],
            "host": x["host"],
            "driver": x.get("driver"),
        }
        for x in truth["incidents"]
    ]
    pairs = []
    used: set[int] = set()
    for t in true:
        for k, g in enumerate(found):
            if k in used:
                continue
            if g["start"] <= t["end"] + SLACK and g["end"] >= t["start"] - SLACK:
                pairs.append((t, g))
                used.add(k)
                break
    return {
        "scenario": name,
        "seed": seed,
        "seconds": seconds,
        "true": len(true),
        "found": len(found),
        "healthy_traces": len(healthy_traces),
        "false_named": false_named,
        "matched": [
            {
                "cause": t["cause"],
                "host": t["host"],
                "top": g["top"],
                "top_host": g["host"],
                "ranked": g["ranked"],
                "driver": t["driver"],
                "top_driver": g["driver"],
            }
            for t, g in pairs
        ],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write every result here")
    ap.add_argument(
        "--layouts",
        action="store_true",
        help="accuracy per layout x file set (bench/layouts.py) instead of the confusion matrix",
    )
    ap.add_argument(
        "--clocks",
        action="store_true",
        help="accuracy per clock fault x layout (bench/clocks.py)",
    )
    ap.add_argument("--faults", default="", help="--clocks: only these faults (comma-separated)")
    args = ap.parse_args()
    if args.layouts:
        return layouts_main(args)
    if args.clocks:
        return clocks_main(args)
    from hbtriage.simulate.scenarios import SCENARIOS

    names = list(SCENARIOS)
    jobs = [(names[i % len(names)], args.seed * 100_000 + i) for i in range(args.n)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(one, jobs, chunksize=2))
    wall = time.perf_counter() - t0

    errors = [r for r in results if "error" in r]
    ok = [r for r in results if "error" not in r]
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    host_ok = host_n = 0
    for r in ok:
        for m in r["matched"]:
            confusion[m["cause"]][m["top"]] += 1
            if m["host"] is not None:
                host_n += 1
                host_ok += m["top_host"] == m["host"]
    true_n = sum(r["true"] for r in ok)
    found_n = sum(r["found"] for r in ok)
    matched_n = sum(len(r["matched"]) for r in ok)
    correct = sum(confusion[c][c] for c in confusion)
    healthy = [r for r in ok if r["true"] == 0]
    false_on_healthy = sum(r["found"] for r in healthy)

    causes = sorted(set(confusion) | {p for row in confusion.values() for p in row})
    print(f"hbtriage accuracy: {len(results)} scenarios ({len(errors)} crashed) in {wall:.0f} s")
    width = max(len(c) for c in causes) if causes else 8
    print("confusion (rows: truth, columns: top-ranked cause)")
    print(" " * (width + 2) + " ".join(f"{c[:7]:>7}" for c in causes))
    for c in causes:
        print(f"{c:>{width}}  " + " ".join(f"{confusion[c][p]:7d}" for p in causes))
    acc = correct / matched_n if matched_n else 0.0
    print()
    print(f"{'top-1 accuracy':28} {acc:7.1%}  ({correct}/{matched_n} matched incidents)")
    print(
        f"{'host of top cause correct':28} {host_ok / host_n if host_n else 0:7.1%}  ({host_ok}/{host_n})"
    )
    print(
        f"{'incident recall':28} {matched_n / true_n if true_n else 1:7.1%}  ({matched_n}/{true_n})"
    )
    print(
        f"{'incident precision':28} {matched_n / found_n if found_n else 1:7.1%}  ({matched_n}/{found_n})"
    )
    print(
        f"{'incidents on healthy bundles':28} {false_on_healthy:7d}  ({len(healthy)} bundles without a true incident)"
    )
    traced = [m for r in ok for m in r["matched"] if m.get("driver")]
    named_ok = sum(1 for m in traced if m["top_driver"] == m["driver"])
    print(
        f"{'driver named right':28} {named_ok / max(len(traced), 1):7.1%}  "
        f"({named_ok}/{len(traced)} incidents whose culprit host had a DPC/ISR report)"
    )
    healthy_n = sum(r.get("healthy_traces", 0) for r in ok)
    false_n = sum(r.get("false_named", 0) for r in ok)
    print(f"{'driver named, healthy trace':28} {false_n:7d}  (of {healthy_n} healthy reports)")
    print(f"{'mean analyze time':28} {sum(r['seconds'] for r in ok) / max(len(ok), 1):7.2f} s")
    wrong = [
        (r["scenario"], r["seed"], m["top"], m["ranked"][:3])
        for r in ok
        for m in r["matched"]
        if m["top"] != m["cause"]
    ]
    missed = [
        (r["scenario"], r["seed"], r["true"], len(r["matched"]))
        for r in ok
        if len(r["matched"]) < r["true"]
    ]
    extra = [
        (r["scenario"], r["seed"], r["found"], r["true"])
        for r in ok
        if r["found"] > len(r["matched"])
    ]
    for label, rows in (("misranked", wrong), ("missed", missed), ("extra incidents", extra)):
        if rows:
            print(f"\n{label} ({len(rows)}), first 15:")
            for row in rows[:15]:
                print("  ", row)
    for r in errors[:5]:
        print("CRASH", r["scenario"], r["seed"], r["error"], file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(results, default=str, indent=1))
    return 1 if errors else 0


def layouts_main(args: argparse.Namespace) -> int:
    """``--layouts``: top-1 accuracy and split incidents per layout x file set."""
    import multiprocessing

    from layouts import (
        LAYOUTS,
        VARIANTS,
        match_truth,
        misassigned,
        misnamed,
        run_bundle,
        splits,
    )

    from hbtriage.simulate.scenarios import SCENARIOS

    names = list(SCENARIOS)
    jobs = [(names[i % len(names)], args.seed * 100_000 + i) for i in range(args.n)]
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")  # polars' threads do not survive a fork
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=ctx) as pool:
        results = list(pool.map(run_bundle, [j[0] for j in jobs], [j[1] for j in jobs]))
    wall = time.perf_counter() - t0

    def key(v: dict) -> list:  # type: ignore[type-arg]
        return [(i["top"], i["id"]) for i in v["incidents"]]

    rows: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in results:
        truth = r["truth"]["incidents"]
        for variant, res in r["variants"].items():
            parent = res["layouts"]["parent"]
            for lay, v in res["layouts"].items():
                c = rows[(variant, lay)]
                c["bundles"] += 1
                if v.get("error"):
                    c["crashed"] += 1
                    continue
                c["true"] += len(truth)
                c["found"] += len(v["incidents"])
                c["split"] += splits(v, truth)
                c["misassigned"] += len(misassigned(v))
                c["misnamed"] += len(misnamed(v))
                c["differs"] += bool(parent.get("error")) or key(v) != key(parent)
                for t, f in match_truth(v, truth):
                    if f is None:
                        continue
                    c["matched"] += 1
                    c["correct"] += f["top"] == t["cause"]
                    if t["host"] is not None:
                        c["host_n"] += 1
                        c["host_ok"] += f["id"] == t["host"]

    def pct(a: int, b: int) -> str:
        return f"{a / b:6.1%}" if b else "     -"

    print(
        f"hbtriage accuracy by layout: {len(results)} bundles x {len(VARIANTS)} file sets x "
        f"{len(LAYOUTS)} layouts in {wall:.0f} s"
    )
    head = (
        f"{'file set':17} {'layout':20} {'top-1':>6} {'(of)':>9} {'host':>6} {'recall':>6} "
        f"{'prec.':>6} {'split':>5} {'!=parent':>8} {'wrong-host inputs':>17} {'misnamed':>8} "
        f"{'crash':>5}"
    )
    print(head)
    print("-" * len(head))
    for variant in VARIANTS:
        for lay in LAYOUTS:
            c = rows[(variant, lay)]
            print(
                f"{variant:17} {lay:20} {pct(c['correct'], c['matched'])} "
                f"{c['correct']:>4}/{c['matched']:<4} {pct(c['host_ok'], c['host_n'])} "
                f"{pct(c['matched'], c['true'])} {pct(c['matched'], c['found'])} "
                f"{c['split']:5d} {c['differs']:4d}/{c['bundles'] - c['crashed']:<3} "
                f"{c['misassigned']:17d} {c['misnamed']:8d} {c['crashed']:5d}"
            )
    print(
        "\ntop-1: top cause right among matched incidents; host: the top cause's host is the "
        "true server (by any of its names); split: true incidents overlapped by more than one "
        "found incident; !=parent: bundles whose verdict (top cause and server per incident) "
        "differs from the parent folder's; wrong-host inputs: files read as another server's; "
        "misnamed: hosts shown by a name that is none of their server's."
    )
    if args.json:
        args.json.write_text(json.dumps(results, default=str, indent=1))
    return 1 if any(c["crashed"] for c in rows.values()) else 0


def clocks_main(args: argparse.Namespace) -> int:
    """``--clocks``: per clock fault x layout, what the user sees of each true incident."""
    import multiprocessing
    from statistics import median

    from clocks import FAULTS, LAYOUTS, LOSS_SCENARIOS, run_fault

    faults = [f.name for f in FAULTS if not args.faults or f.name in args.faults.split(",")]
    jobs = [
        (f, LOSS_SCENARIOS[i % len(LOSS_SCENARIOS)], args.seed * 100_000 + i)
        for f in faults
        for i in range(args.n)
    ]
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")  # polars' threads do not survive a fork
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=ctx) as pool:
        results = list(pool.map(run_fault, *zip(*jobs, strict=True)))
    wall = time.perf_counter() - t0
    print(f"hbtriage clock faults: {len(jobs)} bundles x {len(LAYOUTS)} layouts in {wall:.0f} s")
    head = (
        f"{'fault':20} {'layout':8} {'top-1':>9} {'host':>9} {'start err s (med/max)':>22} "
        f"{'missed':>6} {'split':>5} {'merged':>6} {'moved':>5} {'crash':>5}"
    )
    print(head)
    print("-" * len(head))
    bad = 0
    for f in faults:
        for lay in LAYOUTS:
            rs = [r["layouts"][lay] for r in results if r["fault"] == f]
            ok = [v for v in rs if "error" not in v]
            inc = [i for v in ok for i in v["incidents"]]
            right = sum(i["matched"] and i["top"] == i["cause"] for i in inc)
            hosted = [i for i in inc if i["host"] is not None]
            host_ok = sum(i["matched"] and i["top_host"] == i["host"] for i in hosted)
            errs = [abs(i["start_err_s"]) for i in inc if i["start_err_s"] is not None]
            err = f"{median(errs):9.1f}/{max(errs):<9.1f}" if errs else f"{'-':>19}"
            if len(errs) < len(inc):
                err += f" ({len(inc) - len(errs)} none)"
            missed = sum(not i["matched"] for i in inc)
            split = sum(v["split"] for v in ok)
            merged = sum(v["merged"] for v in ok)
            moved = sum(bool(v["moved"]) for v in ok)
            crash = len(rs) - len(ok)
            bad += crash
            print(
                f"{f:20} {lay:8} {right:>4}/{len(inc):<4} {host_ok:>4}/{len(hosted):<4} "
                f"{err:>22} {missed:6d} {split:5d} {merged:6d} {moved:5d} {crash:5d}"
            )
    print(
        "\ntop-1: true incidents matched (overlap, 30 s slack) with the right top cause; host: "
        "... and the right server; start err: |start of the nearest found incident - true "
        "start|; missed: true incidents no found one overlaps; split: true incidents overlapped by more than one found; merged: found "
        "incidents overlapping more than one true; moved: bundles where a host's clock was "
        "moved (or is set more than 7.5 min off)."
    )
    wrong = [
        (
            r["fault"],
            lay,
            r["scenario"],
            r["seed"],
            i["cause"],
            i["top"],
            i["top_host"],
            i["start_err_s"],
        )
        for r in results
        for lay, v in r["layouts"].items()
        if "error" not in v
        for i in v["incidents"]
        if not i["matched"] or i["top"] != i["cause"]
    ]
    if wrong:
        print(f"\nwrong verdicts ({len(wrong)}), first 25:")
        for row in wrong[:25]:
            print("  ", row)
    for r in results:
        for lay, v in r["layouts"].items():
            if "error" in v:
                print(
                    "CRASH", r["fault"], lay, r["scenario"], r["seed"], v["error"], file=sys.stderr
                )
    if args.json:
        args.json.write_text(json.dumps(results, default=str, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
