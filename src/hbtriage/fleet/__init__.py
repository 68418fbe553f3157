"""``hbtriage fleet``: many bundles (and whole sites) analysed on Dask, one task per bundle.

- :func:`run_fleet` (:mod:`.runner`): finds the bundles, skips the unchanged ones, runs the
  rest on a local or a user's Dask cluster, writes the fleet view;
- :mod:`.task`: what a worker does with one bundle (the same analysis as ``analyze``);
- :mod:`.pairs`: which VRU PIM talks to which CVP, and which pair an incident concerns;
- :mod:`.summary`: ``fleet.json`` (``hbtriage/fleet@1``), ``incidents.parquet`` and the
  cross-bundle tables (polars); :mod:`.html`: ``fleet.html``.
"""

from __future__ import annotations

from hbtriage.fleet.runner import FleetRun, run_fleet
from hbtriage.fleet.summary import SCHEMA

__all__ = ["SCHEMA", "FleetRun", "run_fleet"]
