"""Detectors: each turns the timeline into signals (see :class:`hbtriage.findings.Signal`).

``DETECTORS`` is the registry; every member takes ``(timeline, catalog)`` and returns a
list of signals, and is run over empty and hostile input by the contract tests.
"""

from __future__ import annotations

from collections.abc import Callable

from hbtriage.catalog import Catalog
from hbtriage.detect.counter_anomaly import counter_anomalies
from hbtriage.detect.counter_snapshots import snapshot_rises
from hbtriage.detect.log_gaps import log_gaps
from hbtriage.detect.sample_gaps import sample_gaps
from hbtriage.detect.signatures import signature_signals
from hbtriage.findings import Signal
from hbtriage.timeline import Timeline

Detector = Callable[[Timeline, Catalog], list[Signal]]

DETECTORS: tuple[Detector, ...] = (
    signature_signals,
    log_gaps,
    counter_anomalies,
    snapshot_rises,
    sample_gaps,
)

__all__ = ["DETECTORS", "Detector"]
