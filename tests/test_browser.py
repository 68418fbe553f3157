"""The HTML report in a real browser (Debian's Chromium via Playwright), with the network cut.

What a user does: open the file offline, see the charts drawn, zoom, hover; a hostile log line
must stay text. These tests fail (not skip) without Chromium: `make test` installs it as root.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from tests.test_report_html import (
        HOSTILE_IMG,
        HOSTILE_SCRIPT,
        sample_findings,
        sample_timeline,
    )
except ImportError:  # tests/ is not a package: pytest puts it on sys.path itself
    from test_report_html import (  # type: ignore[no-redef]
        HOSTILE_IMG,
        HOSTILE_SCRIPT,
        sample_findings,
        sample_timeline,
    )

from hbtriage.report.html import render_html

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = "Chromium missing: install it with `apt-get install chromium` (make test does this when run as root)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(MISSING, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Opened:
    """A loaded report page plus everything the page complained about."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: list[str] = []


def _open(browser: Any, path: Path) -> Iterator[Opened]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    opened = Opened(page)

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file://", "data:")):
            r.continue_()
        else:
            opened.blocked.append(url)
            r.abort()

    def on_dialog(d: Any) -> None:
        opened.dialogs.append(d.message)
        d.dismiss()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and opened.console_errors.append(m.text))
    page.on("pageerror", lambda e: opened.page_errors.append(str(e)))
    page.on("dialog", on_dialog)
    page.goto(path.as_uri())
    page.wait_for_function("window.__hbtriageReady === true", timeout=30_000)
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(sample_findings(), sample_timeline(), lang="en"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def opened(browser: Any, report_file: Path) -> Iterator[Opened]:
    # One page for the module: loading 5 MB of plotly.js takes seconds on a small CI machine.
    yield from _open(browser, report_file)


def test_loads_offline_without_errors(opened: Opened) -> None:
    page = opened.page
    assert opened.console_errors == []
    assert opened.page_errors == []
    assert opened.blocked == []  # nothing even tried to reach the network
    assert opened.dialogs == []
    assert page.locator("h2").first.inner_text() == "Verdict"


def test_every_chart_has_points(opened: Opened) -> None:
    charts = opened.page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid^="chart-"]')).map(d => ({
            id: d.dataset.testid,
            traces: (d.data || []).length,
            points: (d.data || []).reduce((n, t) => n + (t.x ? t.x.length : 0), 0),
            svg: d.querySelectorAll('.main-svg').length,
        }))"""
    )
    assert [c["id"] for c in charts] == ["chart-overview", "chart-INC-1"]
    for chart in charts:
        assert chart["traces"] > 0 and chart["points"] > 0, chart
        assert chart["svg"] > 0, chart  # plotly actually drew it


def test_zoom_changes_the_time_axis(opened: Opened) -> None:
    page = opened.page
    before = page.evaluate(
        "() => document.querySelector('[data-testid=\"chart-INC-1\"]').layout.xaxis.range.slice()"
    )
    page.evaluate(
        """() => Plotly.relayout(document.querySelector('[data-testid="chart-INC-1"]'),
            {'xaxis.range': ['2013-03-31 00:36:40', '2013-03-31 00:37:05']})"""
    )
    after = page.evaluate(
        "() => document.querySelector('[data-testid=\"chart-INC-1\"]').layout.xaxis.range.slice()"
    )
    assert after != before
    assert after[0].startswith("2013-03-31 00:36:40")

    # and a mouse drag on the overview zooms it too
    drag = page.locator('[data-testid="chart-overview"] .nsewdrag').first
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    assert box is not None
    old = page.evaluate(
        "() => document.querySelector('[data-testid=\"chart-overview\"]').layout.xaxis.range.slice()"
    )
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=8)
    page.mouse.up()
    page.wait_for_timeout(300)
    new = page.evaluate(
        "() => document.querySelector('[data-testid=\"chart-overview\"]').layout.xaxis.range.slice()"
    )
    assert new != old
    assert opened.console_errors == [] and opened.page_errors == []


def test_hover_shows_a_hostile_message_as_text(opened: Opened) -> None:
    page = opened.page
    # hover every signature marker: plotly draws its hover label as SVG text
    page.evaluate(
        """() => {
            const d = document.querySelector('[data-testid="chart-INC-1"]');
            const i = d.data.findIndex(t => t.mode === 'markers' && t.name.startsWith('PG1A'));
            const pts = d.data[i].x.map((_, p) => ({curveNumber: i, pointNumber: p}));
            Plotly.Fx.hover(d, pts.slice(-1), 'x' + d.data[i].yaxis);
        }"""
    )
    label = page.locator('[data-testid="chart-INC-1"] .hoverlayer').text_content() or ""
    assert HOSTILE_SCRIPT in label
    assert opened.dialogs == []


def test_hostile_strings_render_as_text(opened: Opened) -> None:
    page = opened.page
    body = page.locator("body").inner_text()
    assert HOSTILE_SCRIPT in body
    assert HOSTILE_IMG in body
    assert page.locator("img").count() == 0
    assert page.locator('img[src="x"]').count() == 0
    scripts = page.evaluate("() => document.scripts.length")
    assert scripts == 3  # plotly.js, the JSON data, the initialisation
    page.wait_for_timeout(200)
    assert opened.dialogs == []
    assert not page.evaluate("() => window.__pwned === true")


def test_screenshot(opened: Opened, tmp_path: Path) -> None:
    opened.page.evaluate("() => window.scrollTo(0, 0)")
    shot = tmp_path / "report.png"
    opened.page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000  # a blank page is a few kB; charts and tables are much more


def test_japanese_page_draws_too(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "report-ja.html"
    path.write_text(render_html(sample_findings(), sample_timeline(), lang="ja"), encoding="utf-8")
    for opened in _open(browser, path):
        page = opened.page
        assert page.locator("h2").first.inner_text() == "結論"
        assert opened.console_errors == [] and opened.page_errors == []
        # the toolbar speaks Japanese as well (a plotly locale built from our strings)
        titles = page.evaluate(
            "() => Array.from(document.querySelectorAll('.modebar-btn')).map(b => b.dataset.title)"
        )
        assert "拡大範囲を選択" in titles
