"""Output stays bounded whatever the bundle: 10,000 files that cannot be read are listed in
findings.json, while the terminal, report.md and report.html list a bounded number and say
how many more there are; names from the inputs stay escaped; a pipe closed early is no
traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli_contract import REFERENCE, _run  # main() in-process: exit code and stderr

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
