"""One bundle, on a Dask worker: the same analysis as ``hbtriage analyze``, its files written
into ``DIR/<bundle>/``, and a small summary row returned (never the logs, never the timeline).

Whatever goes wrong with one bundle (nothing readable, a crash, the time limit) becomes that
bundle's ``error`` row with a one-line reason; the task itself only fails when its worker dies,
and Dask then runs it again elsewhere.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from hbtriage import __version__
from hbtriage.fleet.pairs import (
    PEER_KINDS,
    Pair,
    find_pairs,
    incident_pairs,
    keep_pattern,
    mentions,
)

#: The summary each bundle leaves beside its findings.json: its row and the digest of its
#: inputs when they were analysed (what a re-run compares to skip it).
STATE_FILE = "fleet-bundle.json"


class _Deadline(Exception):
    """Raised from the progress callback once the bundle's time is up: the analysis stops at
    its next step (between files and stages)."""


@functools.cache
def _catalog() -> Any:
    """The bundled catalog, loaded once per worker process (a warm worker pays nothing)."""
    from hbtriage.catalog import load_catalog

    return load_catalog()


@functools.cache
def _read_options() -> Any:
    """The catalog's read options, with the text of the lines naming a GED-125 peer kept too
    (the pairing reads them; no signature matches them, so the findings do not change)."""
    catalog = _catalog()
    base = catalog.read_options()
    keep = base.keep
    if not isinstance(keep, dict):
        return base
    wider = dict(keep)
    for kind in PEER_KINDS:
        wider[kind] = keep_pattern(keep.get(kind, keep.get("*")))
    return dataclasses.replace(base, keep=wider)


def error_row(name: str, path: str, reason: str) -> dict[str, Any]:
    """The row of a bundle that could not be analysed: ``reason`` on one line."""
    line = " ".join(str(reason).split())
    if len(line) > 300:
        line = line[:297] + "..."
    return {
        "name": name,
        "path": path,
        "status": "error",
        "error": line or "failed (no reason given)",
        "findings": None,
        "split": False,
        "hosts": [],
        "pairs": [],
        "incidents": [],
    }


def analyse_bundle(
    name: str,
    path: str,
    out_dir: str,
    formats: tuple[str, ...] = (),
    timeout: float | None = None,
    digest: str = "",
    lang: str = "en",
) -> dict[str, Any]:
    """Analyse the bundle at ``path`` as ``analyze`` would, write ``findings.json`` (and the
    ``formats`` asked for: ``html``, ``md``) into ``out_dir/name``, and return its row.

    ``timeout`` seconds: past it the row is an error and the analysis is told to stop at its
    next step (it runs in a thread of its own, so the row comes back on time either way)."""
    t0 = time.perf_counter()
    box: dict[str, Any] = {}
    deadline = time.monotonic() + timeout if timeout else None

    def check(*_: Any) -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise _Deadline

    def work() -> None:
        try:
            box["row"] = _analyse(name, path, Path(out_dir), formats, lang, check, digest, t0)
        except _Deadline:
            pass
        except BaseException as exc:  # noqa: BLE001 - one bundle's crash is its error row
            box["error"] = exc

    worker = threading.Thread(target=work, name=f"hbtriage-fleet-{name}", daemon=True)
    worker.start()
    worker.join(timeout)
    if "row" in box:
        return dict(box["row"])
    if "error" in box:
        exc = box["error"]
        from hbtriage.errors import HbtriageError

        reason = str(exc) if isinstance(exc, HbtriageError) else f"{type(exc).__name__}: {exc}"
        return _finish(error_row(name, path, reason), Path(out_dir) / name, digest, t0, 0.0)
    return _finish(
        error_row(name, path, f"exceeded the time limit of {timeout:g} s"),
        Path(out_dir) / name,
        digest,
        t0,
        0.0,
    )


def _analyse(
    name: str,
    path: str,
    out: Path,
    formats: tuple[str, ...],
    lang: str,
    check: Any,
    digest: str,
    t0: float,
) -> dict[str, Any]:
    from hbtriage.api import run
    from hbtriage.report import REPORTERS
    from hbtriage.report.files import out_folder, write_reports

    catalog = _catalog()
    t_run = time.perf_counter()
    analysis = run([Path(path)], catalog=catalog, progress=check, read_options=_read_options())
    run_s = time.perf_counter() - t_run
    check()
    findings = analysis.findings
    doc = findings.to_dict()
    folder = out_folder(out / name)
    charts = None
    if any(REPORTERS[f].needs_charts for f in formats if f in REPORTERS):
        from hbtriage.report.charts import chart_data

        charts = chart_data(findings, analysis.timeline, (lang,), catalog)
    write_reports(findings, charts, folder, formats, lang)
    pairs = find_pairs(doc, mentions(analysis.timeline.events))
    del analysis
    pair_rows = [p.to_dict() for p in pairs]
    complete = [p for p in pairs if p.cvp_host and p.pim_process]
    if len(complete) > 1:
        incidents = _split(name, path, folder, doc, complete, pair_rows, check)
    else:
        incidents = [_incident_row(inc, incident_pairs(inc, pairs)) for inc in doc["incidents"]]
    row = {
        "name": name,
        "path": path,
        "status": "ok",
        "error": None,
        "findings": f"{name}/findings.json",
        "split": len(complete) > 1,
        "hosts": [_host_row(h, doc) for h in doc["hosts"]],
        "pairs": pair_rows,
        "incidents": incidents,
    }
    return _finish(row, folder, digest, t0, run_s, formats)


def _split(
    name: str,
    path: str,
    folder: Path,
    doc: dict[str, Any],
    pairs: list[Pair],
    pair_rows: list[dict[str, Any]],
    check: Any,
) -> list[dict[str, Any]]:
    """A site: each pair analysed on its own (the PG's files without its other PIMs' logs,
    and the CVP's files), so one pair's disconnect is never matched with another's for clock
    skew or grouped into one incident. Findings in ``folder/pairs/<pair>/findings.json``;
    returns the incidents, each with its pair."""
    from hbtriage.api import run
    from hbtriage.errors import HbtriageError
    from hbtriage.report import json_out
    from hbtriage.sources.bundle import collect

    who = {i["path"]: i for i in doc["inputs"]}
    incidents: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="hbtriage-fleet-") as work:
        files = collect([Path(path)], Path(work)).files
        for pair, prow in zip(pairs, pair_rows, strict=True):
            chosen = [f.path for f in files if _in_pair(who.get(f.display), pair)]
            slug = _slug(pair)
            prow["findings"] = f"{name}/pairs/{slug}/findings.json"
            try:
                found = run(chosen, catalog=_catalog(), progress=check).findings
            except HbtriageError as exc:
                prow["findings"], prow["error"] = None, " ".join(str(exc).split())
                continue
            json_out.write_json(found, folder / "pairs" / slug)
            for inc in found.to_dict()["incidents"]:
                incidents.append(_incident_row(inc, [pair.id]))
    return sorted(incidents, key=lambda r: (r["start"], r["pairs"]))


def _in_pair(info: dict[str, Any] | None, pair: Pair) -> bool:
    """Whether an input of the bundle belongs to ``pair``'s analysis."""
    if info is None or not info.get("host"):
        return False
    if info["host"] == pair.cvp_host:
        return True
    if info["host"] != pair.pim_host:
        return False
    stream = str(info.get("stream") or "")
    other_pim = stream.lower().startswith("pim") and stream != pair.pim_process
    return not (info.get("kind") in ("icm_dumplog", "ciscolog") and other_pim)


def _slug(pair: Pair) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", f"{pair.pim_host}-{pair.pim_process}-{pair.cvp_host}")


def _host_row(host: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    kinds = {i["kind"] for i in doc["inputs"] if i.get("host") == host["name"]}
    role = "cvp" if "cvp_log" in kinds else "pg" if "icm_dumplog" in kinds else None
    return {
        "name": host["name"],
        "role": role,
        "aliases": list(host.get("aliases") or []),
        "addresses": list(host.get("addresses") or []),
    }


def _incident_row(inc: dict[str, Any], pairs: list[str]) -> dict[str, Any]:
    top = inc["causes"][0] if inc.get("causes") else {}
    # A cause that names the driver behind it carries ``driver`` (detect/drivers.py): its
    # ``module`` (``b57nd60a.sys``) is what recurs across bundles.
    driver = top.get("driver")
    if isinstance(driver, dict):
        driver = driver.get("module")
    return {
        "id": inc["id"],
        "start": inc["start"],
        "end": inc["end"],
        "hosts": list(inc["hosts"]),
        "pairs": pairs,
        "cause": top.get("id"),
        "host": top.get("host"),
        "confidence": top.get("confidence"),
        "driver": str(driver) if driver else None,
    }


def _finish(
    row: dict[str, Any],
    folder: Path,
    digest: str,
    t0: float,
    run_s: float,
    formats: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Save the row beside the bundle's findings (for a re-run to skip it) and add the timing
    the run log keeps (not part of fleet.json, which stays the same from run to run)."""
    from hbtriage.report.files import write_atomic

    state = {
        "schema": "hbtriage/fleet-bundle@1",
        "generated_by": f"hbtriage {__version__}",
        "digest": digest,
        "formats": sorted(formats),
        "row": row,
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / STATE_FILE, json.dumps(state, ensure_ascii=False, indent=1) + "\n")
    except Exception:  # noqa: BLE001 - the row still goes back; only the skip is lost
        pass
    timing = {
        "analyze_s": round(run_s, 4),
        "task_s": round(time.perf_counter() - t0, 4),
        "worker_pid": os.getpid(),
        "worker_peak_rss_mib": _peak_rss_mib(),
    }
    return {**row, "timing": timing}


def _peak_rss_mib() -> float | None:
    """The worker process's peak resident size so far (None where the OS does not say)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
