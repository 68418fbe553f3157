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


# --- Progress inside large files (a 10 GB bundle must not sit at "0 MB" for a minute) ---


def _big_dumplog(path: Path, lines: int) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    log = path / "pim1.txt"
    with log.open("w") as fh:
        fh.write("Events from March 30, 2013\n")
        for i in range(lines):
            s = i // 100
            fh.write(
                f"{s // 3600 % 24:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{i % 1000:03d} "
                f"pg1A-pim1 Trace: RUN_SCRIPT_REQ dialogue 0x{i:06X} invoke {i} script 'Main'\n"
            )
    return log


def test_reader_tells_how_far_into_the_file_it_is(tmp_path: Path) -> None:
    from hbtriage.sources import read_one
    from hbtriage.sources.base import InputFile
    from hbtriage.sources.options import ReadOptions

    log = _big_dumplog(tmp_path / "PG1A", 20_000)
    size = log.stat().st_size
    seen: list[int] = []
    options = ReadOptions(chunk_bytes=64 * 1024, progress=seen.append)
    out = read_one(InputFile(display=log.name, path=str(log), size=size), options)
    assert out.result is not None and out.result.events is not None
    assert out.result.events.height == 20_000
    # Piece by piece: more than a handful of reports, always further, ending at the file's end.
    assert len(seen) > size // (128 * 1024)
    assert seen == sorted(set(seen)) and 0 < seen[0] < size and seen[-1] == size


def test_run_reports_bytes_inside_files_from_its_own_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses
    import threading

    from hbtriage import api
    from hbtriage.catalog import load_catalog

    log = _big_dumplog(tmp_path / "PG1A", 60_000)
    size = log.stat().st_size
    monkeypatch.setattr(api, "PROGRESS_TICK_S", 0.001)
    catalog = load_catalog()
    options = dataclasses.replace(catalog.read_options(), chunk_bytes=32 * 1024)
    calls: list[tuple[int, int, str, bool]] = []
    me = threading.current_thread()

    def progress(stage: str, done: int, total: int, detail: str) -> None:
        if stage == "read":
            calls.append((done, total, detail, threading.current_thread() is me))

    api.run([tmp_path], catalog=catalog, progress=progress, read_options=options)
    dones = [c[0] for c in calls]
    assert all(c[3] for c in calls)  # never from a reader's thread
    assert all(c[1] == size for c in calls) and dones == sorted(dones)
    assert any(0 < d < size for d in dones)  # inside the file, before it was done
    assert dones[-1] == size and calls[-1][2].startswith("1/1 files")


def test_a_stop_asked_at_a_progress_tick_stops_the_run_inside_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fleet's per-bundle deadline raises from the progress callback: it now takes effect
    while a large file is being read, not only when the file is done."""
    import dataclasses

    from hbtriage import api
    from hbtriage.catalog import load_catalog

    _big_dumplog(tmp_path / "PG1A", 60_000)
    monkeypatch.setattr(api, "PROGRESS_TICK_S", 0.001)
    catalog = load_catalog()
    options = dataclasses.replace(catalog.read_options(), chunk_bytes=32 * 1024)

    class Stop(Exception):
        pass

    def progress(stage: str, done: int, total: int, detail: str) -> None:
        if stage == "read" and 0 < done < total:
            raise Stop

    with pytest.raises(Stop):
        api.run([tmp_path], catalog=catalog, progress=progress, read_options=options)


def test_time_left_from_the_pace_of_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from hbtriage import cli

    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    left = cli._TimeLeft()
    assert left.text("read", 0, 1000) == ""  # the stage begins
    now[0] += 1.0
    assert left.text("read", 100, 1000) == ""  # too soon to tell
    now[0] += 3.0
    assert left.text("read", 400, 1000) == " · ~6 s left"  # 100 bytes a second
    assert left.text("read", 1000, 1000) == ""  # done
    assert left.text("timeline", 0, 1) == ""
    assert cli._duration(125) == "2 min 5 s" and cli._duration(3720) == "1 h 2 min"


def test_a_long_read_into_a_pipe_writes_a_line_every_few_seconds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    from hbtriage import cli

    now = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    update = cli._progress_lines()
    update("read", 0, 10_000_000_000, "0/3 files")
    for step in range(1, 61):  # a minute inside one 10 GB file, a report every second
        now[0] = float(step)
        update("read", step * 100_000_000, 10_000_000_000, "0/3 files")
    lines = capsys.readouterr().err.splitlines()
    assert 11 <= len(lines) <= 14  # the first, then one every PROGRESS_LINE_EVERY_S
    assert "6,000/10,000 MB" in lines[-1] and "left" in lines[-1]
