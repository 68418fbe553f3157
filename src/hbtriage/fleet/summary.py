"""The fleet view, built on one node from the bundles' rows: ``fleet.json`` (schema
``hbtriage/fleet@1``), ``incidents.parquet`` (one row per incident, for polars, pandas or
DuckDB) and ``fleet.html``. The cross-bundle tables are polars queries over the Parquet table,
so they are as cheap for a thousand bundles as for ten.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from hbtriage import __version__

SCHEMA = "hbtriage/fleet@1"
INCIDENTS_FILE = "incidents.parquet"

#: The incidents table's columns (``hosts`` and ``pairs`` are lists of strings).
INCIDENT_SCHEMA: dict[str, pl.DataType] = {
    "bundle": pl.Utf8(),
    "incident": pl.Utf8(),
    "start": pl.Datetime("ms", "UTC"),
    "end": pl.Datetime("ms", "UTC"),
    "duration_s": pl.Float64(),
    "hosts": pl.List(pl.Utf8()),
    "pairs": pl.List(pl.Utf8()),
    "cause": pl.Utf8(),
    "host": pl.Utf8(),
    "confidence": pl.Float64(),
    "driver": pl.Utf8(),
}


def fleet_doc(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The ``hbtriage/fleet@1`` document of the bundles' rows (in the order given)."""
    return {
        "schema": SCHEMA,
        "generated_by": f"hbtriage {__version__}",
        "bundles": [dict(r) for r in rows],
    }


def incidents_frame(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """One row per incident of every bundle analysed without error."""
    records = [
        {
            "bundle": r["name"],
            "incident": inc.get("id"),
            "start": inc.get("start"),
            "end": inc.get("end"),
            "hosts": list(inc.get("hosts") or []),
            "pairs": list(inc.get("pairs") or []),
            "cause": inc.get("cause"),
            "host": inc.get("host"),
            "confidence": inc.get("confidence"),
            "driver": inc.get("driver"),
        }
        for r in rows
        if r.get("status") == "ok"
        for inc in r.get("incidents") or []
    ]
    raw = {k: v for k, v in INCIDENT_SCHEMA.items() if k not in ("start", "end", "duration_s")}
    frame = pl.DataFrame(
        records, schema={**raw, "start": pl.Utf8(), "end": pl.Utf8()}, orient="row"
    )
    ts = pl.Datetime("ms", "UTC")
    frame = frame.with_columns(
        pl.col("start").str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_zone="UTC").cast(ts),
        pl.col("end").str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_zone="UTC").cast(ts),
    )
    frame = frame.with_columns(
        ((pl.col("end") - pl.col("start")).dt.total_milliseconds() / 1000.0).alias("duration_s")
    )
    return frame.select(list(INCIDENT_SCHEMA))


def write_fleet(rows: Sequence[dict[str, Any]], out: Path, *, lang: str = "en") -> list[Path]:
    """Write ``fleet.json``, ``incidents.parquet`` and ``fleet.html`` into ``out``."""
    from hbtriage.fleet.html import render_fleet_html
    from hbtriage.report.files import write_atomic

    doc = fleet_doc(rows)
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    written = [write_atomic(out / "fleet.json", text)]
    frame = incidents_frame(rows)
    written.append(_write_parquet(frame, out / INCIDENTS_FILE))
    view = cross_bundle(pl.read_parquet((out / INCIDENTS_FILE).read_bytes()), rows)
    written.append(write_atomic(out / "fleet.html", render_fleet_html(view, rows, lang)))
    return written


def _write_parquet(frame: pl.DataFrame, path: Path) -> Path:
    """``frame`` as Parquet through a temporary file renamed over ``path`` (whole or not at
    all, as the other outputs)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:  # (polars takes a file name only when it is UTF-8)
            frame.write_parquet(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def cross_bundle(incidents: pl.DataFrame, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The fleet-wide tables: causes across the fleet, incidents per host and per pair over
    time, hosts and drivers that recur (in more than one incident), bundle counts."""
    per_host = _timeline(incidents, "hosts")
    per_pair = _timeline(incidents, "pairs")
    counted = [pl.len().alias("incidents"), pl.col("bundle").n_unique().alias("bundles")]
    pointed_at = pl.col("host").drop_nulls().unique().sort().alias("hosts")
    causes = _ranked(
        incidents,
        "cause",
        [*counted, pointed_at, pl.col("confidence").mean().alias("mean_confidence")],
        0,
    )
    recurring_hosts = _ranked(
        incidents.drop_nulls("host"),
        "host",
        [
            *counted,
            pl.col("cause").unique().sort().alias("causes"),
            pl.col("start").min().alias("first"),
            pl.col("start").max().alias("last"),
        ],
        1,
    )
    drivers = _ranked(incidents.drop_nulls("driver"), "driver", [*counted, pointed_at], 1)
    ok = sum(1 for r in rows if r.get("status") == "ok")
    return {
        "bundles": len(rows),
        "ok": ok,
        "errors": len(rows) - ok,
        "incidents": incidents.height,
        "pairs": sum(len(r.get("pairs") or []) for r in rows),
        "causes": causes.to_dicts(),
        "per_host": per_host.sort(["who", "start"]).to_dicts(),
        "per_pair": per_pair.sort(["who", "start"]).to_dicts(),
        "recurring_hosts": recurring_hosts.to_dicts(),
        "drivers": drivers.to_dicts(),
    }


def _timeline(incidents: pl.DataFrame, column: str) -> pl.DataFrame:
    """One row per incident and member of its list ``column`` (hosts or pairs), as ``who``."""
    return (
        incidents.explode(column)
        .drop_nulls(column)
        .rename({column: "who"})
        .select("who", "bundle", "incident", "start", "end", "cause")
    )


def _ranked(frame: pl.DataFrame, key: str, aggs: list[pl.Expr], above: int) -> pl.DataFrame:
    """``frame`` grouped by ``key`` with ``aggs``, keeping groups of more than ``above``
    incidents, most incidents first."""
    return (
        frame.group_by(key)
        .agg(aggs)
        .filter(pl.col("incidents") > above)
        .sort(["incidents", key], descending=[True, False])
    )
