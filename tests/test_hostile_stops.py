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


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_in_the_terminal_stops_fleet_within_a_second(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """Ctrl-C signals the terminal's whole process group, the Dask worker processes too: each
    printed a page of KeyboardInterrupt traceback (~44 lines), the cluster took ~5 s to close
    (the watchdog's grace) and the workers' temporary folders stayed. Now: one line, 128 + the
    signal, within about a second, nothing left in the temporary folder."""
    import os
    import subprocess
    import sys
    import threading
    import time

    from hbtriage.simulate import generate

    for i in range(3):
        generate("dpc_storm_cvp", tmp_path / "root" / f"case{i}", i + 1)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cmd = [sys.executable, "-m", "hbtriage", "fleet", str(tmp_path / "root")]
    cmd += ["--out", str(tmp_path / "out"), "--workers", "1", "--progress"]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
        start_new_session=True,  # a process group of its own, as a terminal's job is
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not any("1/3 bundles" in line for line in lines):  # a worker is on the 2nd
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline
            time.sleep(0.005)
        os.killpg(proc.pid, sig)  # as the terminal does
        signalled = time.monotonic()
        proc.wait(timeout=60)
        took = time.monotonic() - signalled
        reader.join(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 128 + sig
    after = [line for line in lines if "bundles" not in line]
    assert after == [f"hbtriage: stopped by {sig.name}; temporary files removed\n"]
    assert took < 2.0, f"took {took:.2f} s to stop"
    assert list(tmp.iterdir()) == []
