"""Stopping a run, as an operator does it: Ctrl-C or SIGTERM while a file of gigabytes is being
read ends the run within about a second (not after the watchdog's grace), with one line, exit
128 + the signal and nothing left in the temporary folder or in ``--out``."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from test_bundle_hostile import _ERROR_LOG, _signal_mid_run  # the signal-mid-run harness

#: A reader of one huge file, as the real readers behave: it tells its progress after every
#: piece (``ReadOptions.progress``) and would go on for a minute. It marks the temporary
#: folder when it has started.
_SLOW_READER = """
import os, tempfile, time
import hbtriage.api as A
real = A.read_all
def slow(item, options):
    mark = os.path.join(os.environ["TMPDIR"], "reading")
    open(mark, "w").close()
    try:
        for piece in range(1200):  # 1,200 pieces of 50 ms: a minute
            time.sleep(0.05)
            if options.progress is not None:
                options.progress(piece)
    finally:
        os.remove(mark)
    return real(item, options)
A.read_all = slow
from hbtriage.cli import main
main()
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_a_huge_file_is_read_stops_within_a_second(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """The reader threads used to read their file to its end (or until the 5 s watchdog):
    now they stop at their next piece once the run is stopping."""
    bundle = tmp_path / "case" / "CVP1"
    bundle.mkdir(parents=True)
    (bundle / "Error.2013-03-30.log").write_bytes(_ERROR_LOG.read_bytes())

    def reading(tmp: Path, _stderr: str) -> bool:
        return (tmp / "reading").exists()

    code, stdout, stderr, _, took = _signal_mid_run(
        tmp_path, bundle.parent, sig, reading, _SLOW_READER
    )
    assert code == 128 + sig
    assert stderr.splitlines()[-1] == (f"hbtriage: stopped by {sig.name}; temporary files removed")
    assert "Traceback" not in stderr
    assert took < 1.5, f"took {took:.2f} s to stop"
    assert list((tmp_path / "tmp").iterdir()) == []
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []
    assert "Wrote:" not in stdout
