"""Hostile and faulty bundles (issue 16): bombs capped by the bytes they really write, at every
nesting level; duplicate, clashing and over-long member names; special files in folders;
control characters kept off the terminal; SIGTERM / SIGHUP mid-run leave no temporary files.

Bombs are built small: the caps are lowered through :class:`Limits`, never by patching the
module."""

from __future__ import annotations

import io
import os
import signal
import socket
import stat
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pytest

from hbtriage.sources.bundle import Limits, collect

KiB = 1024
MiB = 1024**2

_ERROR_LOG = (
    Path(__file__).resolve().parent.parent
    / "src/hbtriage/simulate/reference/CVP1/Error.2013-03-30.log"
)


def _zip(entries: list[tuple[str, bytes]], level: int = 9) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def _tar(entries: list[tuple[str, bytes]], mode: Literal["w", "w:gz", "w:bz2", "w:xz"]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT) as tf:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _kept(work: Path) -> int:
    """Bytes of the files left in the work folder."""
    return sum(p.stat().st_size for p in work.rglob("*") if p.is_file())


def _plain(tmp_path: Path) -> Path:
    """A plain log next to the hostile archive: the rest of the bundle, still read."""
    log = tmp_path / "PG1A" / "pim1.txt"
    log.parent.mkdir(exist_ok=True)
    log.write_bytes(b"Events from March 30, 2013\n")
    return log


# --- bombs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz"])
def test_compressed_tar_bomb_is_stopped_by_what_it_expands_to(
    tmp_path: Path, mode: Literal["w:gz", "w:bz2", "w:xz"]
) -> None:
    """A compressed tar has no ratio check per member in its headers: a 1,593-byte .tar.bz2 wrote
    2.14 GB. The stream is stopped once it expanded more than the ratio (past the free
    allowance), counted on the bytes decompressed, whatever its headers say."""
    limits = Limits(ratio_free_bytes=256 * KiB)
    bomb = tmp_path / f"bomb.tar.{mode[2:]}"
    bomb.write_bytes(_tar([("logs/CVP.log", bytes(8 * MiB)), ("logs/after.log", b"x\n")], mode))
    assert bomb.stat().st_size < 20 * KiB
    log = _plain(tmp_path)
    work = tmp_path / "work"
    got = collect([bomb, log], work, limits=limits)
    assert [f.display for f in got.files] == [str(log)]  # the rest of the bundle is read
    assert len(got.warnings) == 1, got.warnings
    assert got.warnings[0].startswith(f"{bomb}: expands more than 400× (")
    assert got.warnings[0].endswith("a decompression bomb?); extraction stopped after 0 files")
    # Stopped while streaming: never more than the ratio times the compressed bytes read.
    assert got.written_bytes <= max(limits.ratio_free_bytes, 400 * bomb.stat().st_size)
    assert _kept(work) == 0


def test_zip_of_many_small_bombs_each_refused(tmp_path: Path) -> None:
    """Members under the old 10 MiB threshold were not ratio-checked: 200 × 10 MiB of zeros in a
    2 MB zip wrote 2.1 GB. Every member is checked now; one warning counts them."""
    limits = Limits(ratio_free_bytes=256 * KiB)
    bomb = tmp_path / "bomb.zip"
    entries = [(f"PG1A/log{i:02d}.log", bytes(MiB)) for i in range(30)]
    bomb.write_bytes(_zip([*entries, ("PG1A/real.log", b"a real log line\n" * 100)]))
    work = tmp_path / "work"
    got = collect([bomb], work, limits=limits)
    assert [f.display for f in got.files] == [f"{bomb}!PG1A/real.log"]
    assert got.warnings == [
        f"{bomb}: 30 members skipped: expands more than 400× its compressed size (a "
        "decompression bomb?); first: PG1A/log00.log"
    ]
    assert got.written_bytes == 1600  # only real.log: the bombs were refused on their headers
    assert _kept(work) == 1600


def test_nested_zip_expansion_is_counted_across_levels(tmp_path: Path) -> None:
    """A zip of zips of zips, each member harmless on its own (a 10.6 KB nested zip wrote
    1.08 GB): everything written below the archive the user handed over, at every level,
    counts against its size."""
    limits = Limits(ratio_free_bytes=256 * KiB)
    data = _zip([(f"f{i}.log", bytes(200 * KiB)) for i in range(4)])  # each under the allowance
    for level in range(3):
        data = _zip([(f"l{level}_{i}.zip", data) for i in range(4)])
    bomb = tmp_path / "nested.zip"
    bomb.write_bytes(data)
    budget = max(limits.ratio_free_bytes, limits.ratio * len(data))
    expands_to = 4**4 * 200 * KiB
    assert expands_to > 10 * budget
    log = _plain(tmp_path)
    work = tmp_path / "work"
    got = collect([bomb, log], work, limits=limits)
    assert str(log) in [f.display for f in got.files]
    assert len(got.warnings) == 1, got.warnings
    warning = got.warnings[0]
    assert warning.startswith(f"{bomb}: expands to more than 400× its size of ")
    assert "archives inside it counted (a decompression bomb?); extraction stopped at " in warning
    assert "more members not extracted" in warning
    assert got.written_bytes <= budget
    assert _kept(work) <= budget


def test_archives_nested_too_deep_are_one_line_of_the_archive_handed_over(
    tmp_path: Path,
) -> None:
    """A zip of 4 zips at each of 6 levels: each of the 256 zips past the depth cap was a
    warning line of its own (findings.json's 300 warnings nearly all of them), and when that
    was all, "no readable input" named three of them and said nothing of the others. One line
    per archive handed over counts them and names the first; the no-input line counts the
    rest."""
    from test_cli_contract import _run

    data = _zip([("x.log", b"2013-03-30 19:36:46 x\n")])
    for level in range(5):
        data = _zip([(f"l{level}_{i}.zip", data) for i in range(4)])
    bomb = tmp_path / "onion.zip"
    bomb.write_bytes(data)
    got = collect([bomb, _plain(tmp_path)], tmp_path / "work")
    assert got.warnings == [
        f"{bomb}: 256 members skipped: zip nested deeper than 4 levels; first: "
        "l4_0.zip!l3_0.zip!l2_0.zip!l1_0.zip"
    ]
    code, stderr = _run(["analyze", str(bomb), "--out", str(tmp_path / "out"), "--lang", "ja"])
    assert code == 2
    assert stderr == (
        f"hbtriage: エラー: 読み込める入力がありません: {bomb}: zip の入れ子が 4 階層を超えています。"
        "256 個のメンバーをスキップしました (最初のもの: l4_0.zip!l3_0.zip!l2_0.zip!l1_0.zip)\n"
    )
    empties = tmp_path / "empties"
    empties.mkdir()
    for i in range(5):
        (empties / f"e{i}.log").write_bytes(b"")
    code, stderr = _run(["analyze", str(empties), "--out", str(tmp_path / "out")])
    assert (code, stderr) == (
        2,
        "hbtriage: error: no readable input: empties/e0.log: empty file; empties/e1.log: empty "
        "file; empties/e2.log: empty file (and 2 more)\n",
    )


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_zip_cut_short_is_said_to_be_one(tmp_path: Path, method: int) -> None:
    """A zip whose copy stopped halfway (no central directory at its end): a stored one was
    read as text, its first member's lines a log of the zip's own name (the next members'
    lines in it, nothing said of the zip), a deflated one was a "binary file, not a log". It
    is a zip cut short, said so, with how to recover what it holds; the rest is read."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        zf.write(_ERROR_LOG, "CVP1/Error.2013-03-30.log")
        zf.write(_ERROR_LOG, "CVP2/Error.2013-03-30.log")
    cut = tmp_path / "case.zip"
    cut.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    log = _plain(tmp_path)
    got = collect([cut, log], tmp_path / "work")
    assert [f.display for f in got.files] == [str(log)]
    assert got.warnings == [
        f"{cut}: a zip archive cut short or damaged: its end, the central directory that lists "
        "its members, is missing, so nothing in it was read; copy it again, or let `zip -FF "
        "file.zip --out fixed.zip` (Info-ZIP) or `7z x file.zip` recover the members it still "
        "holds and give hbtriage those"
    ]


def test_no_room_in_the_work_folder_is_one_warning_and_the_rest_is_read(tmp_path: Path) -> None:
    """The bundle's extraction respects the free space of the work folder's disk: one warning
    (saying where, and what to do), every later archive counted in it, plain files read."""
    limits = Limits(keep_free_bytes=1 << 60)  # no disk has that much free
    first = tmp_path / "a.zip"
    first.write_bytes(_zip([("CVP1/CVP.log", b"x\n" * 1000)]))
    second = tmp_path / "b.tar.gz"
    second.write_bytes(_tar([("PG1A/pim1.txt", b"y\n")], "w:gz"))
    log = _plain(tmp_path)
    work = tmp_path / "work"
    got = collect([first, second, log], work, limits=limits)
    assert [f.display for f in got.files] == [str(log)]
    assert got.warnings == [
        f"{first}!CVP1/CVP.log: the work folder {work} would have less than 1,073,741,824 GiB free "
        f"(set TMPDIR to a bigger disk); extraction stopped; not extracted: 1 more archive "
        f"(first: {second})"
    ]
    assert _kept(work) == 0


def test_per_member_byte_cap_counts_bytes_written_in_tar_and_zip(tmp_path: Path) -> None:
    limits = Limits(entry_bytes=1000)
    tar = tmp_path / "t.tar"
    tar.write_bytes(_tar([("big.log", b"b" * 5000), ("ok.log", b"ok\n")], "w"))
    zipped = tmp_path / "z.zip"
    zipped.write_bytes(_zip([("big.log", b"b" * 5000), ("ok.log", b"ok\n")]))
    got = collect([tar, zipped], tmp_path / "work", limits=limits)
    assert [f.display for f in got.files] == [f"{tar}!ok.log", f"{zipped}!ok.log"]
    assert got.warnings == [
        f"{tar}!big.log: over the per-file cap of 1,000 bytes, skipped",
        f"{zipped}!big.log: over the per-file cap of 1,000 bytes, skipped",
    ]


# --- member names ----------------------------------------------------------------------------


def test_zip_duplicate_names_keep_the_first_and_read_it_once(tmp_path: Path) -> None:
    """Two members of one name: the first was lost and the second read twice."""
    bundle = tmp_path / "dup.zip"
    with pytest.warns(UserWarning, match="Duplicate name"):  # zipfile's own, while building
        bundle.write_bytes(_zip([("a.log", b"first\n"), ("a.log", b"second\n"), ("b.log", b"b")]))
    got = collect([bundle], tmp_path / "work")
    assert [f.display for f in got.files] == [f"{bundle}!a.log", f"{bundle}!b.log"]
    assert Path(got.files[0].path).read_bytes() == b"first\n"
    assert got.warnings == [
        f"{bundle}!a.log: same name as a member extracted before it (the first kept), skipped"
    ]


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_file_then_folder_of_one_name_is_one_warning(tmp_path: Path, kind: str) -> None:
    """A file ``x`` and then ``x/y.log`` (and the reverse): a traceback for zip before."""
    entries = [("x", b"x\n"), ("x/y.log", b"y\n"), ("d/e.log", b"e\n"), ("d", b"d\n"), ("z", b"z")]
    bundle = tmp_path / f"clash.{kind}"
    bundle.write_bytes(_zip(entries) if kind == "zip" else _tar(entries, "w"))
    got = collect([bundle], tmp_path / "work")
    assert [f.display.split("!")[1] for f in got.files] == ["x", "d/e.log", "z"]
    assert got.warnings == [
        f"{bundle}!x/y.log: one of its folders is a file extracted before it (kept), skipped",
        f"{bundle}!d: a folder of that name was extracted before it (kept), skipped",
    ]


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_over_long_member_names_are_skipped_and_the_rest_read(tmp_path: Path, kind: str) -> None:
    """A member path over 4,096 bytes (a traceback for zip; for tar the end of everything after
    it) or a name over 255 bytes: one warning each, the members after them read."""
    long_path = "a/" * 2100 + "x.log"
    long_name = "n" * 300 + ".log"
    entries = [("first.log", b"1"), (long_path, b"2"), (long_name, b"3"), ("last.log", b"4")]
    bundle = tmp_path / f"long.{kind}"
    bundle.write_bytes(_zip(entries) if kind == "zip" else _tar(entries, "w:gz"))
    got = collect([bundle], tmp_path / "work")
    assert [f.display.split("!")[1] for f in got.files] == ["first.log", "last.log"]
    assert len(got.warnings) == 2, got.warnings
    assert got.warnings[0].startswith(f"{bundle}!a/a/a/")
    assert got.warnings[0].endswith(
        "x.log (4,205 characters): path longer than 4,096 bytes, skipped"
    )
    assert len(got.warnings[0]) < 400  # the name is cut in the middle
    assert got.warnings[1].endswith(
        "nnnn.log (304 characters): a name in its path is longer than 255 bytes, skipped"
    )


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_a_path_of_two_thousand_folders_is_one_warning(tmp_path: Path, kind: str) -> None:
    """Found by bench/fuzz.py: 2,040 one-letter folders fit in 4,096 bytes; making them through
    pathlib, and removing them (shutil.rmtree), recurse past Python's limit (RecursionError).
    Members more than 256 folders deep are refused before anything is made: one warning, the
    rest read, and the work folder can be removed."""
    deep = "a/" * 2040 + "x.log"
    entries = [(deep, b"deep\n"), ("ok.log", b"ok\n")]
    bundle = tmp_path / f"deep.{kind}"
    bundle.write_bytes(_zip(entries) if kind == "zip" else _tar(entries, "w"))
    work = tmp_path / "work"
    got = collect([bundle], work)
    assert [f.display.split("!")[1] for f in got.files] == ["ok.log"]
    assert len(got.warnings) == 1, got.warnings
    assert got.warnings[0].endswith(
        "/x.log (4,085 characters): more than 256 folders deep, skipped"
    )
    assert max(len(p.relative_to(work).parts) for p in work.rglob("*")) == 2  # x0001/ok.log


def test_a_zip_member_without_a_name_is_one_warning(tmp_path: Path) -> None:
    """Found by bench/fuzz.py: zipfile's own is_dir() fails on an empty name (IndexError)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo(""), b"nameless")
        zf.writestr("ok.log", b"ok\n")
    bundle = tmp_path / "nameless.zip"
    bundle.write_bytes(buf.getvalue())
    got = collect([bundle], tmp_path / "work")
    assert [f.display for f in got.files] == [f"{bundle}!ok.log"]
    assert got.warnings == [f"{bundle}!: no file name, skipped"]


def test_many_skipped_members_are_one_warning_per_kind(tmp_path: Path) -> None:
    """500,000 refused members gave 500,001 warnings: now one line per kind and archive."""
    n = 20_000
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i in range(n):
            zf.writestr(f"../escape{i}.log", b"")
        zf.writestr("../../more.log", b"")
        zf.writestr("ok.log", b"fine\n")
    bundle = tmp_path / "many.zip"
    bundle.write_bytes(buf.getvalue())
    got = collect([bundle], tmp_path / "work")
    assert [f.display for f in got.files] == [f"{bundle}!ok.log"]
    assert got.warnings == [
        f"{bundle}: {n + 1:,} members skipped: path would escape the extraction folder; "
        "first: ../escape0.log"
    ]


# --- special files in folders -----------------------------------------------------------------


def _collect_within(paths: list[str | Path], work: Path, seconds: float) -> object:
    """collect() in a thread: a FIFO opened for reading blocks forever, so the test must not."""
    box: dict[str, object] = {}
    thread = threading.Thread(
        target=lambda: box.setdefault("got", collect(paths, work)), daemon=True
    )
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "collect() blocked on a special file"
    return box["got"]


def test_fifo_and_socket_in_a_folder_are_skipped_without_opening(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    (bundle / "CVP1").mkdir(parents=True)
    (bundle / "CVP1" / "CVP.log").write_text("x\n")
    os.mkfifo(bundle / "CVP1" / "pipe.log")
    os.mkfifo(bundle / "CVP1" / "pipe2.log")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(bundle / "CVP1" / "agent.sock"))
        got = _collect_within([bundle], tmp_path / "work", 20)
    finally:
        sock.close()
    assert [f.display for f in got.files] == ["b/CVP1/CVP.log"]  # type: ignore[attr-defined]
    assert got.warnings == [  # type: ignore[attr-defined]
        "b/CVP1/agent.sock: socket, not a regular file (not opened), skipped",
        "b: 2 files skipped: FIFO, not a regular file (not opened); first: b/CVP1/pipe.log",
    ]


def test_a_device_in_a_folder_is_skipped(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "ok.log").write_text("x\n")
    try:
        os.mknod(bundle / "null", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")
    got = _collect_within([bundle], tmp_path / "work", 20)
    assert [f.display for f in got.files] == ["b/ok.log"]  # type: ignore[attr-defined]
    assert got.warnings == [  # type: ignore[attr-defined]
        "b/null: device, not a regular file (not opened), skipped"
    ]


def test_a_fifo_named_on_the_command_line_is_not_opened(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.log"
    os.mkfifo(pipe)
    got = _collect_within([pipe], tmp_path / "work", 20)
    assert got.files == []  # type: ignore[attr-defined]
    assert got.warnings == [f"{pipe}: FIFO, not a regular file; skipped"]  # type: ignore[attr-defined]


# --- the terminal ----------------------------------------------------------------------------


def _hbtriage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = [sys.executable, "-c", "from hbtriage.cli import main; main()"]
    return subprocess.run(
        [*exe, *args], capture_output=True, text=True, timeout=300, env=env, check=False
    )


def test_control_characters_in_names_never_reach_the_terminal(tmp_path: Path) -> None:
    """ESC[2J, an OSC title sequence and newlines in a zip's folder and file names (and so in
    the host name taken from the folder) are escaped in the report, the warnings and the
    progress lines: a folder name with newlines printed fake "Warnings / Wrote:" lines."""
    evil_folder = "CVP1\x1b[2J\x1b]0;pwned\x07\nWarnings\n  ! all clear\nWrote: /etc/passwd\n"
    bundle = tmp_path / "case.zip"
    bundle.write_bytes(
        _zip(
            [
                (f"{evil_folder}/Error.2013-03-30.log", _ERROR_LOG.read_bytes()),
                (f"{evil_folder}/x\x1b[31m.bin", b"\x00\x01 not a log"),
                ("../\x1b]0;title\x07escape.log", b"x"),
            ]
        )
    )
    env = {**os.environ, "COLUMNS": "400"}  # paths whole on one line
    res = _hbtriage("analyze", str(bundle), "--out", str(tmp_path / "out"), "--progress", env=env)
    # The member that would escape is bad input: the rest is analysed, its line is the last
    # line on stderr (escaped too), exit code 2.
    assert res.returncode == 2, res.stderr
    assert res.stderr.splitlines()[-1].startswith("hbtriage: error: ")
    assert r"escape.log: path would escape the extraction folder" in res.stderr.splitlines()[-1]
    for stream in (res.stdout, res.stderr):
        assert "\x1b" not in stream and "\x07" not in stream
        assert "Traceback" not in stream
    lines = res.stdout.splitlines()
    assert not [line for line in lines if line.startswith("Wrote: /etc/passwd")]
    wrote = [line for line in lines if line.startswith("Wrote: ")]
    assert len(wrote) == 1 and wrote[0].startswith(f"Wrote: {tmp_path / 'out' / 'findings.json'}")
    assert "  ! all clear" not in lines
    assert r"\x1b[2J\x1b]0;pwned\x07\nWarnings\n  ! all clear\nWrote: /etc/passwd\n" in res.stdout
    assert r"x\x1b[31m.bin" in res.stderr  # the progress line named it, escaped


def test_the_progress_bar_on_a_terminal_shows_names_as_written(tmp_path: Path) -> None:
    """On a terminal the progress bar named the last file through rich markup: a folder called
    ``case[/]`` crashed its refresh thread (MarkupError traceback), and an OSC sequence in a
    name reached the terminal raw."""
    import pty
    import select

    ref = Path(__file__).resolve().parent.parent / "src/hbtriage/simulate/reference"
    bundle = tmp_path / "case.zip"
    evil = "case[/]\x1b]0;pwned\x07"
    bundle.write_bytes(
        _zip([(f"{evil}/{p.relative_to(ref)}", p.read_bytes()) for p in ref.rglob("*.*")])
    )
    master, slave = pty.openpty()
    exe = [sys.executable, "-c", "from hbtriage.cli import main; main()"]
    args = ["analyze", str(bundle), "--out", str(tmp_path / "out"), "--progress"]
    proc = subprocess.Popen([*exe, *args], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = bytearray()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    stdout = proc.communicate(timeout=60)[0].decode()
    terminal = seen.decode(errors="replace")
    assert proc.returncode == 0
    assert "Traceback" not in terminal and "MarkupError" not in terminal
    assert "\x1b]0;pwned" not in terminal and "\x1b]0;pwned" not in stdout


def test_control_characters_in_an_error_message_are_escaped(tmp_path: Path) -> None:
    res = _hbtriage("analyze", str(tmp_path / "no\x1b[2Jsuch\nfile"))
    assert res.returncode == 2
    assert res.stderr == (
        f"hbtriage: error: no such file or folder: {tmp_path}/no\\x1b[2Jsuch\\nfile\n"
    )


def test_safe_terminal_escapes_what_acts_on_a_terminal() -> None:
    from hbtriage.report.terminal import safe_terminal

    assert safe_terminal("a\x1b[2Jb\x1b]0;t\x07\r\n\tc\x9b1m\u202eD:\\logs é日本") == (
        "a\\x1b[2Jb\\x1b]0;t\\x07\\r\\n\\tc\\x9b1m\\u202eD:\\logs é日本"
    )


# --- signals ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A zip of 2,000 small logs: about half a second to extract and seconds to read."""
    root = tmp_path_factory.mktemp("busy")
    bundle = root / "bundle.zip"
    err = _ERROR_LOG.read_bytes()
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for i in range(2000):
            zf.writestr(f"case/CVP1/old/{i // 100:03d}/Error.2013-03-{i % 28 + 1:02d}.{i}.log", err)
    return bundle


def _work_files(tmp: Path) -> list[Path]:
    return [p for p in tmp.rglob("*") if p.is_file()]


def _signal_mid_run(
    tmp_path: Path,
    bundle: Path,
    sig: signal.Signals,
    caught: Callable[[Path, str], bool],
    launcher: str = "from hbtriage.cli import main; main()",
) -> tuple[int, str, str, list[Path], float]:
    """Run ``hbtriage analyze bundle`` with TMPDIR in ``tmp_path``; once ``caught(tmp, stderr)``
    (checked every 2 ms), freeze it (SIGSTOP), note what is in the temporary folder, send
    ``sig`` and let it go on (SIGCONT). Returns its exit code, stdout, stderr, the temporary
    files it had when frozen and the seconds it took to end after the signal."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    exe = [sys.executable, "-c", launcher]
    args = ["analyze", str(bundle), "--out", str(tmp_path / "out"), "--progress"]
    proc = subprocess.Popen(
        [*exe, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stderr is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not caught(tmp, "".join(lines)):
            assert proc.poll() is None, "the run ended before it was caught"
            assert time.monotonic() < deadline
            time.sleep(0.002)
        proc.send_signal(signal.SIGSTOP)
        frozen_with = _work_files(tmp)
        proc.send_signal(sig)
        proc.send_signal(signal.SIGCONT)
        signalled = time.monotonic()
        stdout = proc.stdout.read() if proc.stdout else ""
        proc.wait(timeout=120)
        took = time.monotonic() - signalled
        reader.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, stdout, "".join(lines), frozen_with, took


def _files_read(_tmp: Path, stderr: str) -> bool:
    """A progress line says a first file was read."""
    return any(
        " read " in line and " 0/" not in line.split(" MB")[1] for line in stderr.splitlines()
    )


@pytest.mark.parametrize(
    ("sig", "stage"),
    [
        (signal.SIGTERM, "extract"),
        (signal.SIGTERM, "read"),
        (signal.SIGHUP, "read"),
        (signal.SIGINT, "read"),
    ],
)
def test_a_signal_mid_run_removes_the_temporary_files(
    tmp_path: Path, busy_bundle: Path, sig: signal.Signals, stage: str
) -> None:
    """SIGTERM or SIGHUP mid-run clean up as Ctrl-C does (808–826 MB stayed behind): frozen
    once the work folder holds extracted files (``extract``) or the first files were read
    (``read``), the run is sent the signal: it ends with one line, exit code 128 + the signal,
    an empty temporary folder and no output written."""

    def caught(tmp: Path, stderr: str) -> bool:
        if stage == "extract":  # a member written to the work folder's first archive folder
            return any(p.is_file() for p in tmp.glob("*/*/x0001/**/*"))
        return _files_read(tmp, stderr)

    code, stdout, stderr, frozen_with, _ = _signal_mid_run(tmp_path, busy_bundle, sig, caught)
    assert frozen_with, "the run was not caught mid-run"
    assert code == 128 + sig
    assert stderr.splitlines()[-1] == (
        f"hbtriage: stopped by {signal.Signals(sig).name}; temporary files removed"
    )
    assert "Traceback" not in stderr
    assert list((tmp_path / "tmp").iterdir()) == []  # nothing left behind
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []  # nothing half-written either
    assert "Wrote:" not in stdout
    if stage == "extract":
        assert " read " not in stderr  # caught while extracting indeed


def test_sigterm_while_a_decoded_copy_is_read_removes_it(tmp_path: Path) -> None:
    """A large UTF-16 perfmon CSV with a damaged row is read from a UTF-8 copy in the temporary
    folder: a SIGTERM while that copy is read removes it too."""
    ref = Path(__file__).resolve().parent.parent / "src/hbtriage/simulate/reference"
    lines = (ref / "PG1A" / "PG1A_perfmon.csv").read_text().splitlines()
    rows = lines[1:] * 7
    rows.insert(len(rows) // 2, '"a damaged row"')
    bundle = tmp_path / "bundle" / "PG1A"
    bundle.mkdir(parents=True)
    text = "\r\n".join([lines[0], *rows]) + "\r\n"
    (bundle / "PG1A_perfmon.csv").write_text(text, encoding="utf-16")
    assert (bundle / "PG1A_perfmon.csv").stat().st_size > 8 * MiB  # read as a large file

    def caught(tmp: Path, _stderr: str) -> bool:
        return any(p.name.startswith("hbtriage-perfmon-") for p in tmp.rglob("*"))

    code, _, stderr, frozen_with, _ = _signal_mid_run(
        tmp_path, bundle.parent, signal.SIGTERM, caught
    )
    assert any(p.name.startswith("hbtriage-perfmon-") for p in frozen_with)
    assert code == 143
    assert stderr.splitlines()[-1] == "hbtriage: stopped by SIGTERM; temporary files removed"
    assert list((tmp_path / "tmp").iterdir()) == []


def test_sigterm_during_one_long_computation_still_stops_within_the_grace(tmp_path: Path) -> None:
    """A Python handler waits for the main thread to come back from native code, and one polars
    call can last a minute (40 copies of one log once took ~50 s in the timeline). Here the
    timeline stage starts with one long call into C that never looks at signals (PBKDF2, about
    a minute): a watchdog told of the signal at once removes the run's temporary folder and
    exits after STOP_GRACE_S, with the same line and exit code, nothing left behind."""
    from hbtriage.cli import STOP_GRACE_S

    bundle = tmp_path / "copies.zip"
    bundle.write_bytes(_zip([(f"CVP1/x{i}.log", _ERROR_LOG.read_bytes()) for i in range(3)]))
    launcher = (
        "import hashlib\n"
        "import hbtriage.timeline as T\n"
        "real = T._fold\n"
        "def slow(*a, **k):\n"
        "    hashlib.pbkdf2_hmac('sha256', b'x', b'y', 250_000_000)  # ~1 min in C\n"
        "    return real(*a, **k)\n"
        "T._fold = slow\n"
        "from hbtriage.cli import main\n"
        "main()\n"
    )

    seen: list[float] = []

    def inside_the_timeline(_tmp: Path, stderr: str) -> bool:
        if " timeline" in stderr and not seen:
            seen.append(time.monotonic())
        return bool(seen) and time.monotonic() - seen[0] > 2  # well inside its long call

    tmp = tmp_path / "tmp"
    code, _, stderr, _, took = _signal_mid_run(
        tmp_path, bundle, signal.SIGTERM, inside_the_timeline, launcher
    )
    assert STOP_GRACE_S - 0.5 < took < STOP_GRACE_S + 10  # the watchdog, not the long call
    assert code == 143
    assert stderr.splitlines()[-1] == "hbtriage: stopped by SIGTERM; temporary files removed"
    assert list(tmp.iterdir()) == []


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_an_argument_that_is_a_link_loop_is_called_one(tmp_path: Path, lang: str) -> None:
    """``analyze LOOP`` (a link to itself) said "no such file or folder", sending the user to
    look for a file that is there."""
    from test_cli_contract import _run

    (tmp_path / "LOOP").symlink_to(tmp_path / "LOOP")
    code, stderr = _run(
        ["analyze", str(tmp_path / "LOOP"), "--out", str(tmp_path / "o")] + ["--lang", lang]
    )
    said = {
        "en": "hbtriage: error: a symbolic link that leads back to itself (a link loop): ",
        "ja": "hbtriage: エラー: 自分自身に戻るシンボリック リンクです (リンクのループ): ",
    }
    assert (code, stderr) == (2, f"{said[lang]}{tmp_path / 'LOOP'}\n")


def test_collect_calls_a_link_loop_one(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    got = collect([tmp_path / "a", tmp_path / "gone"], tmp_path / "work")
    assert got.warnings == [
        f"{tmp_path / 'a'}: a symbolic link that leads back to itself (a link loop), not read",
        f"{tmp_path / 'gone'}: no such file or folder",
    ]
