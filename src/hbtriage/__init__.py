"""hbtriage: find out why two servers lose their heartbeats.

Public API: :func:`analyze` (paths -> :class:`Findings`), :func:`load_catalog`.

The names are imported on first use, so ``import hbtriage.cli`` can tune polars' memory
allocator before polars is loaded (see :mod:`hbtriage.cli`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from hbtriage.api import analyze
    from hbtriage.catalog import load_catalog
    from hbtriage.findings import Findings


def __getattr__(name: str) -> Any:
    if name == "analyze":
        from hbtriage.api import analyze

        return analyze
    if name == "load_catalog":
        from hbtriage.catalog import load_catalog

        return load_catalog
    if name == "Findings":
        from hbtriage.findings import Findings

        return Findings
    raise AttributeError(f"module 'hbtriage' has no attribute {name!r}")


__all__ = ["Findings", "analyze", "load_catalog", "__version__"]
