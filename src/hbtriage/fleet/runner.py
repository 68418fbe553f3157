"""``run_fleet``: every bundle under the roots analysed as one Dask task, then the fleet view.

With no scheduler address a local Dask cluster is started for the run (worker processes
started by *spawn*, one thread each: polars' own thread pool does not survive a fork) and
closed after it; with ``tcp://host:8786`` the run uses the user's cluster, whose workers must
see the bundles and the output folder under the same paths (a shared file system): the
workers read the logs where they lie and only small summary rows travel back.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hbtriage import __version__
from hbtriage.errors import UsageError
from hbtriage.fleet.bundles import Bundle, digest, find_bundles
from hbtriage.fleet.task import STATE_FILE, analyse_bundle, error_row

#: progress(stage, done, total, detail), as ``hbtriage.api.Progress``: stage "bundles", done
#: and total count bundles, detail names the last one finished and how it ended.
Progress = Callable[[str, int, int, str], None]

#: How often a task whose worker died is started again before its bundle is an error row
#: (Dask's ``distributed.scheduler.allowed-failures`` on a local cluster).
ALLOWED_FAILURES = 3

#: Retries of a task that raised (the task turns a bundle's own errors into rows, so this
#: covers what goes wrong around it: a worker closing while it hands the result back).
RETRIES = 2


@dataclass
class FleetRun:
    """What a fleet run did: the rows (in bundle order) and how each was obtained."""

    rows: list[dict[str, Any]]
    skipped: list[str] = field(default_factory=list)
    timings: dict[str, dict[str, float]] = field(default_factory=dict)
    wall_s: float = 0.0
    cluster: str = ""


def run_fleet(
    roots: Sequence[Path],
    out: Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    formats: Sequence[str] = (),
    force: bool = False,
    timeout: float | None = None,
    progress: Progress | None = None,
    lang: str = "en",
) -> FleetRun:
    """Analyse every bundle under ``roots`` into ``out`` and write the fleet view there
    (``fleet.json``, ``incidents.parquet``, ``fleet.html``; see :mod:`hbtriage.fleet.summary`).

    Bundles whose inputs are unchanged since a previous run into ``out`` (same digest, same
    hbtriage version, the reports asked for already written, and analysed without error) are
    not analysed again unless ``force``. UsageError for unusable arguments (no bundles, a
    scheduler that cannot be reached)."""
    from hbtriage.fleet.summary import write_fleet
    from hbtriage.report.files import out_folder

    t0 = time.perf_counter()
    out = out_folder(out).resolve()
    bundles = find_bundles([Path(r) for r in roots], out)
    note = progress or (lambda *_: None)
    fmts = tuple(sorted(set(formats)))
    digests = {b.name: digest(b.path) for b in bundles}
    rows: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    if not force:
        for b in bundles:
            row = _previous(out / b.name, digests[b.name], fmts)
            if row is not None:
                rows[b.name] = {**row, "path": str(b.path.resolve())}
                skipped.append(b.name)
    todo = [b for b in bundles if b.name not in rows]
    total = len(bundles)
    note("bundles", len(rows), total, f"{len(skipped)} unchanged, skipped" if skipped else "")
    timings: dict[str, dict[str, float]] = {}
    cluster_name = "none (every bundle unchanged)"
    if todo:
        with _client(scheduler, workers) as (client, cluster_name):
            _submit_all(client, todo, out, fmts, timeout, digests, lang, rows, timings, note, total)
    ordered = [rows[b.name] for b in bundles]
    write_fleet(ordered, out, lang=lang)
    run = FleetRun(ordered, skipped, timings, wall_s=time.perf_counter() - t0, cluster=cluster_name)
    _write_run_log(run, out)
    return run


def _submit_all(
    client: Any,
    todo: list[Bundle],
    out: Path,
    fmts: tuple[str, ...],
    timeout: float | None,
    digests: dict[str, str],
    lang: str,
    rows: dict[str, dict[str, Any]],
    timings: dict[str, dict[str, float]],
    note: Progress,
    total: int,
) -> None:
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    futures = {}
    # Biggest first would need sizes; bundle order is as good and keeps runs comparable.
    for b in todo:
        fut = client.submit(
            analyse_bundle,
            b.name,
            str(b.path.resolve()),
            str(out),
            fmts,
            timeout,
            digests[b.name],
            lang,
            key=f"hbtriage-fleet-{b.name}-{token}",
            pure=False,
            retries=RETRIES,
        )
        futures[fut] = b
    started = {b.name: time.perf_counter() for b in todo}
    for fut in as_completed(list(futures)):
        b = futures[fut]
        try:
            row = fut.result()
        except Exception as exc:  # noqa: BLE001 - a lost task is that bundle's error row
            row = error_row(b.name, str(b.path.resolve()), _lost(exc))
        timing = row.pop("timing", None) or {}
        timing["wall_s"] = round(time.perf_counter() - started[b.name], 4)
        timings[b.name] = timing
        rows[b.name] = row
        detail = b.name if row["status"] == "ok" else f"{b.name}: error: {row['error']}"
        note("bundles", len(rows), total, f"{len(rows)}/{total} bundles  {detail}")
        fut.release()


def _lost(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return (
            f"the worker analysing it died {ALLOWED_FAILURES} or more times "
            "(out of memory, or killed); it was not finished"
        )
    return f"{name}: {exc}"


def _previous(folder: Path, dig: str, fmts: tuple[str, ...]) -> dict[str, Any] | None:
    """The row a previous run left for this bundle, when it still holds: same inputs, same
    hbtriage, analysed without error, its findings and the reports asked for still there."""
    from hbtriage.report import REPORTERS

    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    row = state.get("row") if isinstance(state, dict) else None
    if (
        not isinstance(row, dict)
        or state.get("digest") != dig
        or state.get("generated_by") != f"hbtriage {__version__}"
        or row.get("status") != "ok"
        or not (folder / "findings.json").is_file()
    ):
        return None
    if not set(fmts) <= set(state.get("formats") or []):
        return None
    if any(not (folder / REPORTERS[f].filename).is_file() for f in fmts if f in REPORTERS):
        return None
    return row


@contextmanager
def _client(scheduler: str | None, workers: int | None) -> Iterator[tuple[Any, str]]:
    """A Dask client on the user's scheduler, or on a local cluster made for this run."""
    import dask
    from distributed import Client, LocalCluster

    quiet = {"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}
    if scheduler:
        if not scheduler.startswith(("tcp://", "tls://", "ucx://", "inproc://", "ws://", "wss://")):
            raise UsageError(
                f"--scheduler {scheduler}: expected an address such as tcp://host:8786"
            )
        try:
            with dask.config.set(quiet):
                client = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(
                f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc})"
            ) from None
        try:
            yield client, scheduler
        finally:
            client.close()
        return
    n = max(1, workers or os.cpu_count() or 1)
    config = {**quiet, "distributed.worker.multiprocessing-method": "spawn"}
    with dask.config.set(config):
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            # A worker ended mid-task (the run stopped) leaves its temporary folders: below
            # this run's own (``hbtriage`` removes it as it ends), never beside it.
            env={"TMPDIR": tempfile.gettempdir()},
            preload=["hbtriage.fleet._worker"],
        )
        try:
            client = Client(cluster)
            try:
                yield client, f"local ({n} worker process{'es' if n > 1 else ''})"
            finally:
                client.close()
        finally:
            cluster.close()


def _write_run_log(run: FleetRun, out: Path) -> None:
    """``fleet-run.json``: how this run went (what was skipped, seconds per bundle, the
    cluster), apart from fleet.json, which holds only results."""
    from hbtriage.report.files import write_atomic

    log = {
        "schema": "hbtriage/fleet-run@1",
        "generated_by": f"hbtriage {__version__}",
        "cluster": run.cluster,
        "wall_s": round(run.wall_s, 3),
        "skipped": run.skipped,
        "bundles": run.timings,
    }
    write_atomic(out / "fleet-run.json", json.dumps(log, indent=1) + "\n")
