"""Output stays bounded whatever the bundle: 10,000 files that cannot be read are listed in
findings.json, while the terminal, report.md and report.html list a bounded number and say
how many more there are; names from the inputs stay escaped; a pipe closed early is no
traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli_contract import REFERENCE, _run  # main() in-process: exit code and stderr
from typer.testing import CliRunner

from hbtriage.cli import app
from hbtriage.report.i18n import REPORT_INPUTS, TERMINAL_INPUTS

HOSTILE = "junk/\x1b[31mred\u202egnp.exe\n<b>x</b>|`"


@pytest.fixture(scope="module")
def ten_thousand_unread(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The findings of the reference case with 10,000 more inputs not read (as a folder of
    10,000 binary files gives, which takes minutes to build and read)."""
    root = tmp_path_factory.mktemp("many")
    code, stderr = _run(["analyze", str(REFERENCE), "--out", str(root), "--quiet"])
    assert (code, stderr) == (0, "")
    doc = json.loads((root / "findings.json").read_text())
    unread = {
        **doc["inputs"][0],
        **{"kind": "unsupported", "host": None, "zone": None, "zone_source": ""},
        **{"first": None, "last": None, "records": 0, "stream": None, "note": "binary file"},
    }
    doc["inputs"] += [{**unread, "path": f"{HOSTILE}{i:05d}.bin"} for i in range(10_000)]
    (root / "findings.json").write_text(json.dumps(doc))
    return root / "findings.json"


def _report(findings: Path, out: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "hbtriage", "report", str(findings), "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (0, "")
    return done.stdout


def test_the_terminal_lists_a_bounded_number_of_inputs(ten_thousand_unread: Path) -> None:
    """It used to print every input, seven lines each: 70,000 lines on an 80-column pipe."""
    stdout = _report(ten_thousand_unread, ten_thousand_unread.parent)
    assert len(stdout.splitlines()) < 800
    read = len(json.loads(ten_thousand_unread.read_text())["inputs"]) - 10_000
    more = 10_000 + read - TERMINAL_INPUTS
    assert f"  ... and {more:,} more in findings.json" in stdout.splitlines()
    assert stdout.count(".bin") == TERMINAL_INPUTS - read  # those read are all listed
    assert "\x1b" not in stdout and "\u202e" not in stdout
    assert "\\x1b[31mred\\u202egnp.exe\\n" in stdout


def test_the_japanese_terminal_says_so_in_japanese(ten_thousand_unread: Path) -> None:
    stdout = _report(ten_thousand_unread, ten_thousand_unread.parent, "--lang", "ja")
    assert any(line.strip().endswith("件（findings.json に記載）") for line in stdout.splitlines())


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_reports_list_a_bounded_number_of_inputs(
    ten_thousand_unread: Path, tmp_path: Path, fmt: str
) -> None:
    _report(ten_thousand_unread, tmp_path, "--format", fmt, "--quiet")
    page = (tmp_path / f"report.{fmt}").read_text()
    read = len(json.loads(ten_thousand_unread.read_text())["inputs"]) - 10_000
    assert f"... and {10_000 + read - REPORT_INPUTS:,} more in findings.json" in page
    assert page.count("gnp.exe") == REPORT_INPUTS - read
    assert "<b>x</b>" not in page and "\x1b" not in page
    assert "\u202e" not in page  # (red\u202egnp.exe would read redexe.png)
    if fmt == "html":
        assert "junk/\\x1b[31mred\\u202egnp.exe\n&lt;b&gt;x&lt;/b&gt;" in page


def test_a_pipe_closed_early_is_no_traceback(tmp_path: Path) -> None:
    """``hbtriage analyze ... | head -1``."""
    cmd = [sys.executable, "-m", "hbtriage", "analyze", str(REFERENCE), "--out", str(tmp_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read()
    proc.wait(120)
    assert first.startswith(b"hbtriage")
    assert stderr == b""
    assert (tmp_path / "findings.json").exists()


def _zone_case(tmp_path: Path) -> Path:
    """A DPC storm whose PG has no perfmon: its zone is inferred, and said in a warning."""
    from hbtriage.simulate.scenarios import generate

    root = tmp_path / "case"
    truth = generate("dpc_storm_cvp", root, 1)
    pg = next(h for h, v in truth["hosts"].items() if v["role"] == "pg")
    for f in (root / pg).glob("*perfmon*"):
        f.unlink()
    (root / "truth.json").unlink()
    return root


def test_files_of_one_folder_not_read_for_one_reason_are_one_warning(tmp_path: Path) -> None:
    """A PG's ICM logfiles folder handed over whole: 40 binary EMS logs beside the case. Each
    was a warning of its own (the same command 40 times), and findings.json keeps only the
    first 300 warnings; now they are one line per folder and reason, in English and Japanese,
    and every file is still listed among the inputs."""
    root = _zone_case(tmp_path)
    ems = root / "logfiles"
    ems.mkdir()
    for i in range(40):
        (ems / f"pim1_130330_{i:06d}.ems").write_bytes(bytes(range(256)) * 8)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["analyze", str(root), "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    said = [w for w in doc["warnings"] if ".ems" in w]
    assert len(said) == 1, said
    assert said[0].startswith("case/logfiles: 40 files like pim1_130330_000000.ems, none read: ")
    assert "dumplog" in said[0]
    (ja,) = [w for w in doc["warnings_ja"] if ".ems" in w]
    assert "など 40 個のファイルは読み込んでいません" in ja
    assert sum(i["path"].endswith(".ems") for i in doc["inputs"]) == 40


def test_the_analysis_warnings_outlast_thousands_of_file_warnings(tmp_path: Path) -> None:
    """400 unreadable files, each in a folder of its own (so none are grouped), beside a case
    whose PG zone is inferred: findings.json keeps 300 warnings, and the first 300 were all
    about the files, so the zone warning, written later, was cut. The analysis's warnings are
    now kept and the files' are cut."""
    root = _zone_case(tmp_path)
    for i in range(400):
        (root / "junk" / f"d{i}").mkdir(parents=True)
        (root / "junk" / f"d{i}" / "x.bin").write_bytes(b"\x00\x01\x02" * 100)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["analyze", str(root), "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert len(doc["warnings"]) == 300
    assert "zone_inferred" in doc["warning_ids"]
    assert doc["warnings"][-1].startswith("... and ")


def test_the_chart_hover_text_shows_controls_in_log_lines_escaped(tmp_path: Path) -> None:
    """A heartbeat-loss line holding an ESC and a right-to-left override: the tables of
    report.html showed them escaped, but the chart's hover text (drawn by plotly from the data
    block) carried them as written, so the hover read the line in another order."""
    from hbtriage.simulate.scenarios import generate

    root = tmp_path / "case"
    generate("dpc_storm_pg", root, 1)
    (error_log,) = root.glob("*/Error.*.log")
    text = error_log.read_text(encoding="utf-8")
    assert "Missed 2 VRU PIM heartbeats." in text
    error_log.write_text(
        text.replace(
            "Missed 2 VRU PIM heartbeats.", "Missed 2 VRU PIM heartbeats. \x1b[2Jred\u202egnp.exe"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code, stderr = _run(["analyze", str(root), "--out", str(out), "--format", "html", "--quiet"])
    assert (code, stderr) == (0, "")
    page = (out / "report.html").read_text(encoding="utf-8")
    m = re.search(r'id="hbtriage-data">(.*?)</script>', page, re.S)
    assert m
    data = json.loads(m.group(1))
    hover = [h for c in data["charts"] for tr in c["data"] for h in (tr.get("hovertext") or [])]
    said = [h for h in hover if "Missed 2 VRU PIM heartbeats" in h]
    assert said
    assert all("\u202e" not in h and "\x1b" not in h for h in hover)
    assert any("\\x1b[2Jred\\u202egnp.exe" in h for h in said)
    assert "\u202e" not in page


def test_report_of_a_fifo_is_one_line_not_a_wait(tmp_path: Path) -> None:
    """``hbtriage report`` of a FIFO waited for a writer forever (and of /dev/zero read until
    the memory ran out)."""
    import os

    fifo = tmp_path / "findings.json"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "hbtriage", "report", str(fifo), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"hbtriage: error: {fifo}: not a regular file (a FIFO or a device is not opened);"
        " expected a findings.json\n"
    )


def test_the_folders_simulate_and_plan_wrote_to_are_named_escaped(tmp_path: Path) -> None:
    """``simulate --out`` and ``plan --write-profiles`` named the folder they wrote to as it
    was: an escape sequence in it went to the terminal raw and a newline cut the line in two.
    Now each is one line with ``\\x1b`` and ``\\n`` as the other names are shown."""
    from test_lang_ja import _hbtriage  # python -m hbtriage in a folder, a wide terminal

    name = "case\x1b[2J\nx"
    sim = _hbtriage("simulate", "healthy", "--out", name, cwd=tmp_path)
    assert sim.returncode == 0, sim.stderr
    assert sim.stdout == "Wrote healthy (seed 1) to case\\x1b[2J\\nx\n"
    assert (tmp_path / name / "truth.json").is_file()
    prof = _hbtriage("plan", "--windows", "--write-profiles", f"p{name}", cwd=tmp_path)
    assert prof.returncode == 0, prof.stderr
    lines = prof.stderr.splitlines()
    assert lines and all(line.startswith("wrote pcase\\x1b[2J\\nx/") for line in lines)
    assert "\x1b" not in prof.stderr


def test_a_stdout_that_is_not_utf8_gets_the_whole_report(tmp_path: Path) -> None:
    """On a terminal or into a file in ASCII, Latin-1 or a Windows code page (``LC_ALL=
    en_US.ISO-8859-1``, ``PYTHONIOENCODING``, ``> report.txt`` on Windows) the report stopped
    at its first arrow or Japanese word: 'unexpected UnicodeEncodeError ... please report
    this', exit 2. Now what the encoding cannot hold is written ``\\u2192``, and the JSON on
    stdout stays JSON (a name past the BMP as a surrogate pair)."""
    import os
    import shutil

    bundle = tmp_path / "case"
    shutil.copytree(REFERENCE, bundle)
    (bundle / "CVP1" / "CVP.2013-03-30.log").rename(bundle / "CVP1" / "CVP\U0001f600.log")

    def run(*args: str, encoding: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONIOENCODING": encoding, "COLUMNS": "200"}
        return subprocess.run(
            [sys.executable, "-m", "hbtriage", "analyze", str(bundle), *args],
            capture_output=True,
            text=True,
            encoding=encoding,
            timeout=120,
            env=env,
            check=False,
        )

    text = run("--out", str(tmp_path / "out"), encoding="ascii")
    assert (text.returncode, text.stderr) == (0, "")
    assert "\\u2192" in text.stdout
    assert text.stdout.splitlines()[-1].startswith("Wrote: ")
    ja = run("--out", str(tmp_path / "out"), "--lang", "ja", encoding="cp1252")
    assert (ja.returncode, ja.stderr) == (0, "")
    assert "\\u30a4\\u30f3\\u30b7\\u30c7\\u30f3\\u30c8" in ja.stdout  # インシデント
    as_json = run("--out", str(tmp_path / "out"), "--format", "json", encoding="ascii")
    assert (as_json.returncode, as_json.stderr) == (0, "")
    doc = json.loads(as_json.stdout)
    assert doc == json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert any("\U0001f600" in item["path"] for item in doc["inputs"])


@pytest.mark.parametrize("closed", [1, 2])
def test_a_run_started_with_stdout_or_stderr_closed_runs_as_into_dev_null(
    tmp_path: Path, closed: int
) -> None:
    """``hbtriage analyze X >&-`` said 'unexpected AttributeError ... please report this'
    (Python leaves ``sys.stdout`` None) and then a traceback, exit 1; ``2>&-`` exit 1 with
    nothing said. Now the closed stream is the null device: the run ends as it would have,
    its reports written (and an error is still exit 2)."""
    import os

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hbtriage", *args],
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=lambda: os.close(closed),  # noqa: PLW1509
            check=False,
        )

    out = tmp_path / "out"
    done = run("analyze", str(REFERENCE), "--out", str(out))
    assert done.returncode == 0
    assert "Traceback" not in done.stdout + done.stderr
    assert (done.stdout, done.stderr)[closed - 1] == ""
    assert json.loads((out / "findings.json").read_text())["incidents"]
    for args in (["report", str(out / "findings.json"), "--format", "md"], ["plan"]):
        assert run(*args).returncode == 0
    missing = run("analyze", str(tmp_path / "nothing"), "--out", str(out))
    assert missing.returncode == 2
    if closed == 1:
        assert missing.stderr.startswith("hbtriage: error: no such file or folder: ")
