"""Shared test setup: ``bench/`` on ``sys.path`` so tests can import the bench helpers
(``layouts``: the same bundle laid out the ways users hand files over)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))


@pytest.fixture(scope="session")
def core_loads() -> None:
    """For the tests of the compiled scanning core: numba is a dependency of the project, so
    a core that does not load fails them (saying how to install it), never skips them."""
    from hbtriage.sources import _scan

    if _scan.kernels() is None:
        pytest.fail(
            "the compiled scanning core does not load (numba missing or broken): "
            "run `make test`, or `.venv/bin/pip install -e '.[test]'`"
        )
