"""Preloaded into each local Dask worker process (``LocalCluster(preload=...)``).

Ctrl-C in a terminal signals the whole foreground process group, the worker processes too: each
then printed a page of ``KeyboardInterrupt`` traceback and died, and the nanny waited on it
(about 5 s) while ``hbtriage fleet`` itself was stopping. The run's own process is the one that
stops the run (it closes the cluster, which ends the workers), so its workers leave SIGINT and
SIGHUP to it.
"""

from __future__ import annotations

import signal
import threading
from typing import Any


def dask_setup(worker: Any) -> None:  # noqa: ARG001 - Dask's preload hook
    """Ignore SIGINT and SIGHUP in this worker process (its main thread runs the worker)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for name in ("SIGINT", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, signal.SIG_IGN)
