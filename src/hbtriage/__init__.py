"""hbtriage: find out why two servers lose their heartbeats.

Public API: :func:`analyze` (paths -> :class:`Findings`), :func:`load_catalog`.
"""

from __future__ import annotations

__version__ = "0.1.0"

# __version__ first: hbtriage.api reads it while this package is still importing.
from hbtriage.api import analyze  # noqa: E402
from hbtriage.catalog import load_catalog  # noqa: E402
from hbtriage.findings import Findings  # noqa: E402

__all__ = ["Findings", "analyze", "load_catalog", "__version__"]
