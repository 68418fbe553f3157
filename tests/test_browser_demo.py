"""The real pipeline's report in the browser: the demo bundle with hostile log lines added.

A log line is hostile input: it travels reader -> timeline -> signature -> report, and must
arrive in the page as text, with nothing executed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hbtriage.cli import app, reference_bundle

try:
    from tests.test_browser import Opened, _open, browser  # noqa: F401 - fixture
except ImportError:
    from test_browser import Opened, _open, browser  # type: ignore[no-redef]  # noqa: F401

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    bundle = root / "bundle"
    shutil.copytree(reference_bundle(), bundle)
    pim = bundle / "PG1A" / "pim1.txt"
    text = pim.read_text(encoding="cp1252")
    # A signature-matching line (so the report shows it) carrying both payloads.
    hostile = f"19:36:57:346 pg1A-pim1 TCP connection to VRU has been broken. {SCRIPT} {IMG}\n"
    marker = "19:36:57:345 "
    at = text.index(marker)
    at = text.index("\n", at) + 1
    pim.write_text(text[:at] + hostile + text[at:], encoding="cp1252")
    out = root / "out"
    res = CliRunner().invoke(
        app, ["analyze", str(bundle), "--out", str(out), "--format", "html", "--quiet"]
    )
    assert res.exit_code == 0, res.output
    return out / "report.html"


@pytest.fixture(scope="module")
def page(browser: Any, demo_report: Path) -> Iterator[Opened]:  # noqa: F811
    yield from _open(browser, demo_report)


def test_demo_report_loads_offline_and_draws(page: Opened) -> None:
    assert page.console_errors == [] and page.page_errors == [] and page.blocked == []
    charts = page.page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid^="chart-"]')).map(d => ({
            id: d.dataset.testid,
            points: (d.data || []).reduce((n, t) => n + (t.x ? t.x.length : 0), 0),
            names: (d.data || []).map(t => t.name || ''),
        }))"""
    )
    assert len(charts) >= 2
    assert all(c["points"] > 0 for c in charts), charts
    names = " ".join(n for c in charts for n in c["names"])
    assert "DPC Rate" in names


def test_demo_verdict_is_first(page: Opened) -> None:
    body = page.page.locator("body").inner_text()
    assert "dpc_storm" in body and body.index("dpc_storm") < body.index("pim1.txt")
    assert "CVP1" in body and "5.2.3790.4524" in body
    # each host's own clock beside UTC (US Central, CDT)
    for host in ("PG1A", "CVP1"):
        assert f"{host} local\t2013-03-30 19:36:46." in body or (
            f"{host} local\n2013-03-30 19:36:46." in body
        ), host


def test_hostile_log_line_is_text_and_nothing_runs(page: Opened, demo_report: Path) -> None:
    p = page.page
    assert page.dialogs == []
    assert p.locator("img[src='x']").count() == 0
    assert SCRIPT in p.locator("body").inner_text()
    raw = demo_report.read_text(encoding="utf-8")
    assert SCRIPT not in raw and "<img src=x" not in raw
    p.mouse.move(400, 400)
    assert page.dialogs == []


def test_demo_screenshot(page: Opened, tmp_path: Path) -> None:
    shot = tmp_path / "demo.png"
    page.page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
