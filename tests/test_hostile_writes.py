"""Writing the reports where an operator points ``--out``: a folder of their own files, a
read-only or full one, the input folder itself, and two runs at once into one folder."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_cli_contract import REFERENCE, _run  # main() in-process: exit code and stderr

from hbtriage.report import REPORTERS
from hbtriage.report.files import REPORT_FILES


def _analyze(bundle: Path, out: Path, *more: str) -> tuple[int, str]:
    return _run(["analyze", str(bundle), "--out", str(out), "--quiet", *more])


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp"))


def _disk_full_at(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """The disk fills while ``path`` is written (its temporary file is synced)."""
    real = os.fsync

    def full(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(path.parent / f".{path.name}.")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    monkeypatch.setattr(os, "fsync", full)


def _read_only_where(
    monkeypatch: pytest.MonkeyPatch, refused: Callable[[dict[str, Any]], bool]
) -> None:
    """``tempfile.mkstemp`` meets a read-only file system where ``refused(its kwargs)``."""
    real = tempfile.mkstemp

    def read_only(*args: object, **kwargs: Any) -> tuple[int, str]:
        if refused(kwargs):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real(*args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(tempfile, "mkstemp", read_only)


def test_report_files_are_the_reporters_files() -> None:
    names = {"findings.json", "charts.json", *(r.filename for r in REPORTERS.values())}
    assert names == REPORT_FILES


@pytest.mark.parametrize("where", ["folder", "findings.json"])
def test_a_read_only_out_folder_is_one_line_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """(root writes anywhere, so the read-only file system is the one ``mkstemp`` meets.)
    It used to be ``unexpected OSError: ... (please report this)`` with a temporary name; then
    one line after the whole analysis, in English under --lang ja too ("cannot be written
    (Read-only file system)"). A folder no file can be made in is said before the analysis;
    a report's temporary file refused (a folder that fills, a quota) names that file; both in
    the run's language."""
    import hbtriage.api

    out = tmp_path / "out"
    out.mkdir()
    if where == "folder":

        def never(*_a: object, **_k: object) -> None:
            raise AssertionError("the analysis ran")

        _read_only_where(monkeypatch, lambda kwargs: Path(str(kwargs.get("dir"))) == out)
        monkeypatch.setattr(hbtriage.api, "run", never)
        said = {
            "en": f"--out {out}: no file can be written in the folder (Read-only file system)",
            "ja": f"--out {out}: フォルダーにファイルを書き込めません (読み取り専用のファイル システムです)",
        }
    else:
        _read_only_where(monkeypatch, lambda kwargs: kwargs.get("prefix") == ".findings.json.")
        said = {
            "en": f"{out / 'findings.json'}: cannot be written (Read-only file system)",
            "ja": f"{out / 'findings.json'}: 書き込めません (読み取り専用のファイル システムです)",
        }
    for lang, word in (("en", "error"), ("ja", "エラー")):
        code, stderr = _analyze(REFERENCE, out, "--lang", lang)
        assert (code, stderr) == (2, f"hbtriage: {word}: {said[lang]}\n")
    assert list(out.iterdir()) == []


def test_an_out_that_cannot_be_made_is_said_before_the_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--out below a file (or a name too long): the analysis ran to its end (a minute on a
    10 GB bundle) before the one line saying --out cannot be created. It is said first."""
    import hbtriage.api

    def never(*_a: object, **_k: object) -> None:
        raise AssertionError("the analysis ran")

    monkeypatch.setattr(hbtriage.api, "run", never)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, stderr = _analyze(REFERENCE, blocker / "out")
    assert code == 2
    assert stderr.startswith(f"hbtriage: error: --out {blocker / 'out'}: cannot create")
    assert stderr.count("\n") == 1


def test_a_full_disk_keeps_the_old_report_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills while report.html is written: the old report.html stays as it was, no
    part file is left, one line says so."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("old report")
    _disk_full_at(monkeypatch, out / "report.html")
    code, stderr = _analyze(REFERENCE, out, "--format", "html")
    assert code == 2
    assert stderr == (
        f"hbtriage: error: {out / 'report.html'}: cannot be written (No space left on device)\n"
    )
    assert (out / "report.html").read_text() == "old report"
    assert _leftovers(out) == []


def test_the_users_files_in_out_are_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    mine = {"notes.txt": "my notes", "report.html.bak": "kept", "findings.json.orig": "{}"}
    for name, text in mine.items():
        (out / name).write_text(text)
    (out / "findings.json").write_text("last run")
    code, stderr = _analyze(REFERENCE, out, "--format", "html", "--format", "md")
    assert (code, stderr) == (0, "")
    for name, text in mine.items():
        assert (out / name).read_text() == text
    assert json.loads((out / "findings.json").read_text())["schema"] == "hbtriage/findings@1"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*mine, "findings.json", "charts.json", "report.html", "report.md"]
    )


def test_out_inside_the_input_folder_is_not_read_back(tmp_path: Path) -> None:
    """The second run of ``analyze case --out case/hbtriage-out`` used to list the first run's
    findings.json, charts.json, report.html and report.md as inputs (each a warning)."""
    case = tmp_path / "case"
    shutil.copytree(REFERENCE, case)
    out = case / "hbtriage-out"
    (out).mkdir()
    (out / "my-notes.log").write_text("2013-03-30 19:36:46 a note of my own\n")
    first = _analyze(case, out, "--format", "html", "--format", "md")
    assert first == (0, "")
    before = json.loads((out / "findings.json").read_text())
    assert _analyze(case, out, "--format", "html", "--format", "md") == (0, "")
    after = json.loads((out / "findings.json").read_text())
    paths = [i["path"] for i in after["inputs"]]
    assert not [p for p in paths if Path(p).name in REPORT_FILES]
    assert "case/hbtriage-out/my-notes.log" in paths  # the user's own file there is read
    assert after["warnings"] == before["warnings"]
    assert after["incidents"] == before["incidents"]


def test_two_runs_at_once_into_one_out_leave_whole_reports(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "hbtriage", "analyze", str(REFERENCE), "--out", str(out)]
    runs = [
        subprocess.Popen([*cmd, "--quiet", "--format", "html"], env=env, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [(p.wait(120), p.stderr.read() if p.stderr else b"") for p in runs]
    assert results == [(0, b""), (0, b"")]
    assert json.loads((out / "findings.json").read_text())["incidents"]
    assert (out / "report.html").read_text().rstrip().endswith("</html>")
    assert _leftovers(out) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left


#: ``hbtriage`` with a SIGINT sent to itself right after findings.json is renamed into place:
#: a Ctrl-C that lands between two renames of the report files.
_STOP_AFTER_FINDINGS = """
import os, signal
real = os.replace
def replace(src, dst, *args, **kwargs):
    real(src, dst, *args, **kwargs)
    if str(dst).endswith("findings.json"):
        os.kill(os.getpid(), signal.SIGINT)
os.replace = replace
from hbtriage.cli import main
main()
"""


def test_a_stop_between_two_renames_leaves_one_whole_set(tmp_path: Path) -> None:
    """The new findings.json used to stay beside the last run's report.html and report.md:
    the set of report files is now replaced as one step, and the stop is taken after it."""
    out = tmp_path / "out"
    out.mkdir()
    old = {name: f"last run's {name}" for name in REPORT_FILES}
    for name, text in old.items():
        (out / name).write_text(text)
    res = subprocess.run(
        [sys.executable, "-c", _STOP_AFTER_FINDINGS, "analyze", str(REFERENCE)]
        + ["--out", str(out), "--quiet", "--format", "html", "--format", "md"],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        timeout=120,
    )
    assert res.returncode == 130
    assert res.stderr == "hbtriage: stopped by SIGINT; temporary files removed\n"
    new = {name: (out / name).read_text() for name in REPORT_FILES}
    assert [name for name in REPORT_FILES if new[name] == old[name]] == []
    assert json.loads(new["findings.json"])["schema"] == "hbtriage/findings@1"
    assert new["report.html"].rstrip().endswith("</html>")
    assert _leftovers(out) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_report_that_cannot_be_written_leaves_the_old_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk at report.md (written after findings.json): the old findings.json stays too."""
    out = tmp_path / "out"
    out.mkdir()
    for name in ("findings.json", "report.md"):
        (out / name).write_text("last run")
    _disk_full_at(monkeypatch, out / "report.md")
    code, stderr = _analyze(REFERENCE, out, "--format", "md")
    assert code == 2
    assert stderr.endswith("report.md: cannot be written (No space left on device)\n")
    assert (out / "findings.json").read_text() == "last run"
    assert _leftovers(out) == []


def test_simulate_into_a_full_disk_leaves_no_part_of_a_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills while a perfmon CSV is written: it used to be ``[Errno 28] No space left
    on device`` naming no file, with a host's folder and half its CSV left behind (analyzed
    as if whole). Now one line names --out, and the folder holds what it held before."""
    from hbtriage.simulate import scenarios

    real = scenarios.W.write_perfmon_csv

    def full(path: Path, *args: object, **kwargs: object) -> None:
        real(path, *args, **kwargs)  # type: ignore[arg-type]
        with open(path, "r+b") as fh:  # only half of it fitted
            fh.truncate(path.stat().st_size // 2)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(scenarios.W, "write_perfmon_csv", full)
    out = tmp_path / "sim"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, stderr = _run(["simulate", "dpc_storm_pg", "--out", str(out)])
    assert (code, stderr) == (
        2,
        f"hbtriage: error: {out}: cannot be written (No space left on device)\n",
    )
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("case", ["a file", "below a file"])
def test_simulate_into_an_out_that_is_no_folder_is_one_line(tmp_path: Path, case: str) -> None:
    """It was ``[Errno 17] File exists: 'x'`` (or ``[Errno 20] Not a directory``), the words of
    Python, not those analyze and demo say of the same --out."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    out = blocker if case == "a file" else blocker / "sim"
    code, stderr = _run(["simulate", "healthy", "--out", str(out)])
    assert code == 2
    said = "is a file, expected a folder" if case == "a file" else "cannot create the folder"
    assert stderr.startswith(f"hbtriage: error: --out {out}: {said}")
    assert stderr.count("\n") == 1
    assert blocker.read_text() == "x"


def test_simulate_never_writes_a_bundle_over_another(tmp_path: Path) -> None:
    """A second ``simulate`` into the same --out replaced truth.json and left the first
    bundle's hosts beside the second's: one bundle of four servers whose truth.json told of
    one scenario. A user's own file of a bundle's name was replaced too. Now: one line naming
    the first file there, exit 2, nothing written; files of other names stay welcome."""
    out = tmp_path / "sim"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert _run(["simulate", "healthy", "--out", str(out), "--seed", "3"]) == (0, "")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    code, stderr = _run(["simulate", "nic_errors_pg", "--out", str(out), "--seed", "4"])
    assert code == 2
    assert stderr == (
        f"hbtriage: error: {out / 'truth.json'}: already exists; nothing written (1 file(s) of"
        " the bundle are there already: a bundle written over another mixes the two, and its"
        " truth.json names only one); give --out a new or empty folder\n"
    )
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
