"""hbtriage: find out why two servers lose their heartbeats.

Public API: :func:`analyze` (paths -> :class:`Findings`), :func:`load_catalog`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from hbtriage.catalog import load_catalog  # noqa: E402
from hbtriage.findings import Findings  # noqa: E402


def analyze(*args: object, **kwargs: object) -> Findings:
    """See :func:`hbtriage.api.analyze`."""
    from hbtriage.api import analyze as _analyze

    return _analyze(*args, **kwargs)  # type: ignore[arg-type]


__all__ = ["Findings", "analyze", "load_catalog", "__version__"]
