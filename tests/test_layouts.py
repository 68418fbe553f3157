"""The verdict must not depend on how the user lays out the same files.

For simulated bundles (a few scenarios x 2 seeds), every file set (``full``, one or no perfmon,
``renamed`` servers) in every layout (the parent folder, each host folder, a zip per host with
and without the host folder inside, one flat folder, every file as an argument) must give what
the ``parent`` layout of the same file set gives: the same number of incidents, none split in
two, the same top cause on the same server (by identity: any of its names), the incident
starting within 30 s. The ``full`` file set must also give the truth. And the CLI on the host
folders (``hbtriage analyze PG/ CVP/ --format json``) must agree with the parent layout.

The bundles are generated and analysed in worker processes (``bench/layouts.py:run_bundle``,
``HBTRIAGE_LAYOUT_WORKERS``, default 2), only those the selected tests need.
"""

from __future__ import annotations

import codecs
import multiprocessing
import os
import re
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from layouts import (
    FOLDER_NAME_LAYOUTS,
    LAYOUTS,
    SHOWN_AS_PARENT,
    VARIANTS,
    describe,
    match_truth,
    misnamed,
    names_of,
    prepare,
    run_bundle,
    splits,
)

SCENARIOS = (
    "dpc_storm_cvp",
    "dpc_storm_pg",
    "nic_errors_pg",
    "peer_restart_cvp",
    "network_path",
    "healthy",
    "vm_stun_pg",
)
SEEDS = (1, 2)
WINDOW = timedelta(seconds=30)
WORKERS = int(os.environ.get("HBTRIAGE_LAYOUT_WORKERS", "2"))

CASES = [
    pytest.param(s, seed, v, lay, id=f"{s}-{seed}-{v}-{lay}")
    for s in SCENARIOS
    for seed in SEEDS
    for v in VARIANTS
    for lay in LAYOUTS
    if seed == SEEDS[0] or lay not in FOLDER_NAME_LAYOUTS
]
CLI_CASES = [pytest.param(s, seed, id=f"{s}-{seed}") for s in SCENARIOS for seed in SEEDS]


class Bundles:
    """The results of ``run_bundle`` per (scenario, seed), computed in worker processes."""

    def __init__(self, wanted: dict[tuple[str, int], tuple[set[str], set[str], bool]]):
        self.pool = ProcessPoolExecutor(
            max_workers=max(1, WORKERS), mp_context=multiprocessing.get_context("spawn")
        )
        self.futures: dict[tuple[str, int], Future[dict[str, Any]]] = {}
        for (scenario, seed), (variants, layouts, cli) in wanted.items():
            self.futures[(scenario, seed)] = self.pool.submit(
                run_bundle,
                scenario,
                seed,
                tuple(v for v in VARIANTS if v in variants),
                tuple(lay for lay in LAYOUTS if lay in layouts),
                cli,
            )

    def close(self) -> None:
        """Drop what is queued and stop the workers still busy (a run stopped early by -x)."""
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            if proc.is_alive():
                proc.terminate()

    def get(self, scenario: str, seed: int) -> dict[str, Any]:
        fut = self.futures.get((scenario, seed))
        if fut is None:  # not announced at collection (should not happen): run it all
            fut = self.pool.submit(run_bundle, scenario, seed, VARIANTS, LAYOUTS, True)
            self.futures[(scenario, seed)] = fut
        return fut.result(timeout=900)


@pytest.fixture(scope="session")
def bundles(request: pytest.FixtureRequest) -> Iterator[Bundles]:
    """Start every bundle the selected tests of this module need, in test order."""
    wanted: dict[tuple[str, int], tuple[set[str], set[str], bool]] = {}
    here = Path(__file__).resolve()
    for item in request.session.items:
        spec = getattr(item, "callspec", None)
        if spec is None or Path(str(item.path)).resolve() != here:
            continue
        p = spec.params
        variants, layouts, cli = wanted.setdefault(
            (p["scenario"], p["seed"]), (set(), {"parent"}, False)
        )
        if "variant" in p:
            variants.add(p["variant"])
            layouts.add(p["layout"])
        else:  # the CLI test compares with the parent layout of the full file set
            variants.add("full")
            wanted[(p["scenario"], p["seed"])] = (variants, layouts, True)
    b = Bundles(wanted)
    yield b
    b.close()


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def _against_parent(v: dict[str, Any], p: dict[str, Any], what: str) -> list[str]:
    """How verdict ``v`` differs from the parent layout's verdict ``p``."""
    problems = []
    if p.get("error"):
        problems.append(f"the parent layout crashed: {p['error']}")
    if v.get("error"):
        return [*problems, f"{what} crashed: {v['error']}"]
    if p.get("error"):
        return problems
    n, pn = len(v["incidents"]), len(p["incidents"])
    if n != pn:
        problems.append(f"{n} incident(s) where the parent layout found {pn}")
    for k, (a, b) in enumerate(zip(v["incidents"], p["incidents"], strict=False), 1):
        if a["top"] != b["top"]:
            problems.append(f"incident {k}: top cause {a['top']}, parent layout {b['top']}")
        if a["id"] != b["id"]:
            problems.append(
                f"incident {k}: top cause host {a['host']} (= server {a['id']}), "
                f"parent layout {b['host']} (= server {b['id']})"
            )
        if abs(_t(a["start"]) - _t(b["start"])) > WINDOW:
            problems.append(
                f"incident {k}: starts {a['start']}, parent layout {b['start']} (> 30 s apart)"
            )
    problems += [
        f"host {h['name']} (= server {h['id']}) is shown by no name of that server"
        for h in misnamed(v)
    ]
    for k, a in enumerate(v["incidents"], 1):
        if a["id"] is not None and a["id"].startswith("?"):
            problems.append(
                f"incident {k}: top cause host {a['host']} is no single server's name ({a['id']})"
            )
    return problems


def _against_truth(v: dict[str, Any], truth: list[dict[str, Any]]) -> list[str]:
    if v.get("error"):
        return []
    problems = []
    if len(v["incidents"]) != len(truth):
        problems.append(f"{len(v['incidents'])} incident(s) where truth has {len(truth)}")
    for t, f in match_truth(v, truth):
        label = f"true incident {t['start']} {t['cause']} on {t['host']}"
        if f is None:
            problems.append(f"{label}: not found")
        elif f["top"] != t["cause"] or f["id"] != t["host"]:
            problems.append(f"{label}: top cause {f['top']} on {f['host']} (= server {f['id']})")
    return problems


def _message(
    r: dict[str, Any], variant: str, what: str, v: dict[str, Any], problems: list[str]
) -> str:
    res = r["variants"][variant]
    names = "; ".join(
        f"{h.truth} ({h.role}): folder {h.folder}, machine {h.machine}, node {h.node}, "
        f"address {h.address}"
        for h in names_of(res).values()
    )
    truth = (
        "\n".join(
            f"    {t['start']} .. {t['end']}  {t['cause']} on {t['host']}"
            for t in r["truth"]["incidents"]
        )
        or "    no incident"
    )
    parts = [
        f"{what}, file set {variant!r}, bundle {r['scenario']} seed {r['seed']}: "
        f"{len(problems)} problem(s)",
        *(f"  - {p}" for p in problems),
        f"  servers: {names}",
        "  truth:",
        truth,
    ]
    if what != "layout 'parent'":
        parts += [
            f"  verdict of layout 'parent' (file set {variant!r}):",
            describe(res["layouts"]["parent"], inputs=False),
        ]
    parts += [f"  verdict of {what}:", describe(v)]
    return "\n".join(parts)


@pytest.mark.parametrize(("scenario", "seed", "variant", "layout"), CASES)
def test_same_verdict_in_every_layout(
    bundles: Bundles, scenario: str, seed: int, variant: str, layout: str
) -> None:
    r = bundles.get(scenario, seed)
    res = r["variants"][variant]
    v, p = res["layouts"][layout], res["layouts"]["parent"]
    truth = r["truth"]["incidents"]
    what = f"layout {layout!r}"
    problems = _against_parent(v, p, what)
    shown, want = (sorted(h["name"] for h in x["hosts"]) for x in (v, p))
    if layout in SHOWN_AS_PARENT and not v.get("error") and shown != want:
        problems.append(f"hosts shown as {shown}, the parent layout's as {want}")
    if not v.get("error"):
        k = splits(v, truth)
        if k:
            problems.append(f"{k} true incident(s) split: overlapped by more than one incident")
        if variant == "full":
            problems += _against_truth(v, truth)
    assert not problems, _message(r, variant, what, v, problems)


@pytest.mark.parametrize(("scenario", "seed"), CLI_CASES)
def test_cli_on_host_folders_gives_the_parent_verdict(
    bundles: Bundles, scenario: str, seed: int
) -> None:
    """``hbtriage analyze PG/ CVP/ --format json`` (stdout) == the parent layout's verdict."""
    r = bundles.get(scenario, seed)
    res = r["variants"]["full"]
    v = res["cli"]
    what = f"CLI `{v.get('command', 'hbtriage analyze PG/ CVP/ --format json')}`"
    problems = _against_parent(v, res["layouts"]["parent"], what)
    assert not problems, _message(r, "full", what, v, problems)


def test_the_renamed_file_set_keeps_no_truth_name(tmp_path: Path) -> None:
    """``renamed`` renames every name of a server: no file name or text of a host folder
    still carries a truth name (the LatencyMon report's computer name and its file name
    ``CVP4_latencymon.txt`` did, so the CVP folder named two computers)."""
    from hbtriage.simulate.scenarios import generate

    truth = generate("dpc_storm_cvp", tmp_path / "bundle", 424200002)
    fs = prepare(tmp_path / "bundle", "renamed", tmp_path / "renamed", truth)
    old = re.compile(r"\b(?:" + "|".join(map(re.escape, truth["hosts"])) + r")\b", re.I)
    kinds = set()
    for h in fs.hosts.values():
        for rel in h.files:
            data = (fs.data / rel).read_bytes()
            bom = data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
            text = data.decode("utf-16" if bom else "latin-1")
            assert not old.search(rel), rel
            assert not old.search(text), (rel, old.search(text))
            kinds |= {k for k in ("latencymon", "systeminfo") if k in rel}
    assert kinds == {"latencymon", "systeminfo"}
    report = (fs.data / "CALLSRV" / "CALLSRV_latencymon.txt").read_text(encoding="utf-16")
    assert re.search(r"^Computer name:\s+CVPSRV02\r?$", report, re.M)
