"""Output into a pipe whose reader has gone (``hbtriage analyze X | head -1``): every command
ends as a command killed by SIGPIPE does in a shell, exit code 141, and says nothing on stderr
(no traceback, no "Exception ignored" line), its temporary files removed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "hbtriage" / "simulate" / "reference"


def _into_closed_pipe(args: list[str], tmp: Path, stream: str = "stdout") -> tuple[int, str]:
    """Run ``hbtriage args`` with ``stream`` a pipe whose read end is already closed (the
    reader is gone before the first write); the exit code and what came on the other stream."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    other = {"stdout": "stderr", "stderr": "stdout"}[stream]
    try:
        res = subprocess.run(
            [sys.executable, "-m", "hbtriage", *args],
            **{stream: write_end, other: subprocess.PIPE},  # type: ignore[arg-type]
            env={**os.environ, "TMPDIR": str(tmp)},
            timeout=180,
        )
    finally:
        os.close(write_end)
    said = res.stderr if stream == "stdout" else res.stdout
    return res.returncode, said.decode()


def _report(tmp_path: Path) -> Path:
    out = tmp_path / "saved"
    subprocess.run(
        [sys.executable, "-m", "hbtriage", "analyze", str(REFERENCE), "--out", str(out)],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return out / "findings.json"


COMMANDS = {
    "analyze text": ["analyze", str(REFERENCE), "--out", "{out}"],
    "analyze json": ["analyze", str(REFERENCE), "--out", "{out}", "--format", "json"],
    "report": ["report", "{findings}"],
    "demo": ["demo", "--out", "{out}"],
    "simulate --list": ["simulate", "--list"],
    "plan": ["plan", "--linux"],
    "--help": ["--help"],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_closed_stdout_is_exit_141_and_silence(tmp_path: Path, name: str) -> None:
    """Text output exited 1 (rich's own exit), JSON 0 when its write raced the reader, others
    1 (click's); an error naming SIGINT's 130 came from another path."""
    findings = _report(tmp_path) if name == "report" else tmp_path
    args = [a.format(out=tmp_path / "out", findings=findings) for a in COMMANDS[name]]
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    code, stderr = _into_closed_pipe(args, tmp)
    assert (code, stderr) == (141, "")
    assert list(tmp.iterdir()) == []


def test_a_closed_stderr_with_progress_is_exit_141(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    args = ["analyze", str(REFERENCE), "--out", str(tmp_path / "out"), "--progress"]
    code, stdout = _into_closed_pipe(args, tmp, "stderr")
    assert code == 141
    assert "Traceback" not in stdout
    assert list(tmp.iterdir()) == []


def test_fleet_into_a_closed_pipe_is_exit_141(tmp_path: Path) -> None:
    from hbtriage.simulate import generate

    generate("healthy", tmp_path / "root" / "case1", 1)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    args = ["fleet", str(tmp_path / "root"), "--out", str(tmp_path / "out"), "--workers", "1"]
    code, stderr = _into_closed_pipe(args, tmp)
    assert (code, stderr) == (141, "")
    assert list(tmp.iterdir()) == []
    assert (tmp_path / "out" / "fleet.json").is_file()  # the run itself was finished
