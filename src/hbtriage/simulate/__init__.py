"""Synthetic, labelled bundles in the real formats (demo, tests, benchmarks).

- :func:`generate` writes one named scenario (see :data:`SCENARIOS`) with a ``truth.json``
  (:func:`generate_whole`: all of it or nothing, as ``hbtriage simulate`` does);
- :func:`generate_large` writes a benchmark bundle of a chosen size;
- :func:`write_reference` writes the support note's case (also shipped, pre-built, as
  package data under ``simulate/reference/``; see :func:`reference_dir`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from hbtriage.simulate.scenarios import (
    SCENARIOS,
    generate,
    generate_large,
    generate_whole,
    write_reference,
)


def reference_dir() -> Path:
    """Folder of the pre-built reference bundle (PG1A/, CVP1/) shipped with the package."""
    return Path(str(resources.files("hbtriage.simulate").joinpath("reference")))


__all__ = [
    "SCENARIOS",
    "generate",
    "generate_large",
    "generate_whole",
    "reference_dir",
    "write_reference",
]
