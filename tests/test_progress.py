"""Progress on stderr, as a user sees it from a real process: on a terminal a rich bar (stage,
MB and files read) for runs longer than a second or with ``--progress``; nothing into a pipe
unless ``--progress`` asks for it (then plain lines); ``--quiet`` turns it off everywhere."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from hbtriage.cli import PROGRESS_DELAY_S

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"
CLI = [sys.executable, "-m", "hbtriage.cli"]


def _pipe(tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "analyze", str(REFERENCE), "--out", str(tmp_path), *flags],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _tty(tmp_path: Path, *flags: str) -> str:
    """stderr of a run whose stderr is a terminal (a pseudo-terminal), stdout to a pipe."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, "analyze", str(REFERENCE), "--out", str(tmp_path), *flags],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    assert proc.returncode == 0
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_pipe_without_progress_gets_nothing_on_stderr(tmp_path: Path) -> None:
    res = _pipe(tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    assert "dpc_storm" in res.stdout


def test_progress_into_a_pipe_is_plain_lines(tmp_path: Path) -> None:
    res = _pipe(tmp_path, "--progress")
    assert res.returncode == 0
    lines = res.stderr.splitlines()
    assert lines and all(line.startswith("hbtriage: ") for line in lines)
    assert "\x1b" not in res.stderr  # no cursor movement or colour in a log file
    stages = [line.split()[2] for line in lines]
    assert stages[0] == "read" and {"timeline", "detect", "diagnose"} <= set(stages)
    last_read = [line for line in lines if " read " in line][-1]
    assert "5/5 files" in last_read and "/4 MB" in last_read
    assert any("pim1.txt" in line for line in lines)  # the file just read is named


def test_archive_extraction_shows_as_a_stage(tmp_path: Path) -> None:
    """A .tar.gz bundle: an "extract" line (MB extracted, member) before reading; an archive
    of hundreds of members does not print a line for each."""
    bundle = tmp_path / "bundle.tar.gz"
    with tarfile.open(bundle, "w:gz") as tf:
        tf.add(REFERENCE, arcname="case")
        for i in range(400):  # small notes that are not logs: extracted, then skipped
            info = tarfile.TarInfo(f"case/notes/n{i:03d}.txt")
            data = f"note {i}\n".encode()
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    res = subprocess.run(
        [*CLI, "analyze", str(bundle), "--out", str(tmp_path / "out"), "--progress"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    stages = [line.split()[2] for line in lines]
    assert stages[0] == "extract" and "read" in stages
    assert stages.index("read") > max(i for i, s in enumerate(stages) if s == "extract")
    extract = [line for line in lines if " extract " in line]
    assert f"{bundle}!case/" in extract[0] and " MB " in extract[0]
    assert len(extract) <= 1 + int(float(extract[-1].split()[1].rstrip("s"))) + 1  # ~1 a second


def test_quiet_wins(tmp_path: Path) -> None:
    res = _pipe(tmp_path, "--quiet")
    assert res.returncode == 0
    assert res.stderr == ""


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")
def test_terminal_gets_a_bar_with_stage_and_megabytes(tmp_path: Path) -> None:
    err = _tty(tmp_path, "--progress")
    assert "read" in err and "MB" in err
    assert "\x1b[" in err  # drawn and erased in place


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")
def test_terminal_quick_run_and_quiet_print_no_bar(tmp_path: Path) -> None:
    # The reference case takes well under PROGRESS_DELAY_S: no bar flickers for it.
    assert PROGRESS_DELAY_S >= 1.0
    assert "MB" not in _tty(tmp_path)
    assert _tty(tmp_path, "--quiet").strip() == ""
