"""Shared test setup: ``bench/`` on ``sys.path`` so tests can import the bench helpers
(``layouts``: the same bundle laid out the ways users hand files over)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))
