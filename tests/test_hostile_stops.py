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


def test_a_run_whose_sigint_is_ignored_keeps_ignoring_it(tmp_path: Path) -> None:
    """A run started in the background of a script (``hbtriage analyze big/ &``: the shell has
    it ignore SIGINT, so the terminal's Ctrl-C of the script leaves it going) was stopped by
    the first SIGINT that met a polars query, silently, exit 130 and no report: importing
    polars hooked SIGINT over the SIG_IGN it inherited. Now it runs to its end."""
    import os
    import subprocess
    import sys
    import time

    from hbtriage.cli import reference_bundle

    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hbtriage", "analyze", str(reference_bundle()), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509
    )
    sent = 0
    try:
        while proc.poll() is None:  # Ctrl-C, again and again, all through the run
            time.sleep(0.02)
            try:
                proc.send_signal(signal.SIGINT)
                sent += 1
            except ProcessLookupError:
                break
        stderr = proc.stderr.read() if proc.stderr else ""
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert sent > 5
    assert proc.returncode == 0, stderr
    assert "stopped" not in stderr
    assert (out / "findings.json").is_file()


def test_a_keyboard_interrupt_the_parser_caught_is_said_as_a_stop(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """typer turns a KeyboardInterrupt into exit code 130 and says nothing: the run stopped
    without its one line."""
    import sys

    import hbtriage.live.plan as plan_lib
    from hbtriage.cli import main

    def interrupted(*_args: object, **_kwargs: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(plan_lib, "render_plan", interrupted)
    monkeypatch.setattr(sys, "argv", ["hbtriage", "plan", "--windows"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 130
    assert capsys.readouterr().err == "hbtriage: stopped by SIGINT; temporary files removed\n"
