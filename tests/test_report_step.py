"""The report step: chart data saved beside findings.json, reporters by format, and
``hbtriage report`` rendering a saved analysis again without its inputs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hbtriage.cli import app
from hbtriage.report import REPORTERS

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "src" / "hbtriage" / "simulate" / "reference"


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    args = ["analyze", str(REFERENCE), "--out", str(out), "--format", "html", "--format", "md"]
    result = CliRunner().invoke(app, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def test_charts_are_saved_beside_the_findings(analysed: Path) -> None:
    charts = json.loads((analysed / "charts.json").read_text(encoding="utf-8"))
    assert charts["schema"] == "hbtriage/charts@1"
    figures = charts["charts"]["en"]
    assert [f["id"] for f in figures][:1] == ["chart-overview"]
    (incident,) = json.loads((analysed / "findings.json").read_text(encoding="utf-8"))["incidents"]
    assert charts["lines"][incident["id"]]["rows"], "the matched log lines travel too"


def test_a_saved_analysis_renders_the_same_pages_without_its_inputs(
    analysed: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    for name in ("findings.json", "charts.json"):
        shutil.copy(analysed / name, saved / name)
    again = tmp_path / "again"
    args = ["report", str(saved / "findings.json"), "--out", str(again), "--quiet"]
    result = CliRunner().invoke(app, [*args, "--format", "html", "--format", "md"])
    assert result.exit_code == 0, result.output
    assert (again / "report.html").read_bytes() == (analysed / "report.html").read_bytes()
    assert (again / "report.md").read_bytes() == (analysed / "report.md").read_bytes()
    assert not (again / "findings.json").exists()  # nothing re-written but the reports
    # text to the terminal, in Japanese, from the folder alone
    result = CliRunner().invoke(app, ["report", str(saved), "--lang", "ja"])
    assert result.exit_code == 0 and "インシデント" in result.output


def test_without_charts_json_the_page_says_so(analysed: Path, tmp_path: Path) -> None:
    shutil.copy(analysed / "findings.json", tmp_path / "findings.json")
    result = CliRunner().invoke(
        app, ["report", str(tmp_path / "findings.json"), "--format", "html", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "chart-overview" not in page


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "cannot be read"), ("{not json", "expected a findings.json"), ('{"a": 1}', "expected")],
)
def test_a_bad_findings_file_is_one_line(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    target = tmp_path / "findings.json"
    if content is not None:
        target.write_text(content, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "hbtriage", "report", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and expected in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_reporters_are_a_registry() -> None:
    assert {"html", "md"} <= set(REPORTERS)
    assert REPORTERS["html"].filename == "report.html"


def test_python_dash_m_runs_the_cli() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "hbtriage", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and "analyze" in proc.stdout and "report" in proc.stdout


def test_json_on_stdout_carries_no_raw_terminal_controls(tmp_path: Path) -> None:
    """A host or file name with a C1 control (CSI) or a bidirectional override: findings.json
    keeps the text as it is, the JSON printed to the terminal escapes it (same value)."""
    bundle = tmp_path / "bundle"
    shutil.copytree(REFERENCE, bundle)
    odd = "CVP1\u009b2J\u202e"
    (bundle / "CVP1").rename(bundle / odd)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["analyze", str(bundle), "--out", str(out), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert "\u009b" not in result.stdout and "\u202e" not in result.stdout
    printed = json.loads(result.stdout)
    assert any(odd in i["path"] for i in printed["inputs"])
    saved = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert printed == saved
