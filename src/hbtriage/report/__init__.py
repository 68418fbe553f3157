"""Reporters: every one renders the same :class:`hbtriage.findings.Findings`, plus the chart
data saved beside it (:mod:`hbtriage.report.charts`), so a saved analysis renders again
without its inputs.

- :func:`render_terminal` prints the verdict-first report on a rich console,
- :func:`render_markdown` returns a ticket-ready summary,
- :func:`render_html` returns one self-contained offline HTML file with zoomable timelines.

:data:`REPORTERS` maps a ``--format`` name to the file it writes and how; a new report format
is one entry there. All UI text comes from :mod:`hbtriage.report.i18n` (English and Japanese).
The renderers are imported when first used (jinja2 and plotly only for HTML).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hbtriage.findings import Findings


@dataclass(frozen=True)
class Reporter:
    """One report format written to a file in the output folder."""

    name: str
    filename: str
    render: Callable[[Findings, dict[str, Any] | None, str], str]  # findings, charts, lang
    needs_charts: bool = False  # drawn from the chart data (charts.json)


def _html(findings: Findings, charts: dict[str, Any] | None, lang: str) -> str:
    from hbtriage.report.html import render_html

    return render_html(findings, charts, lang=lang)


def _markdown(findings: Findings, _charts: dict[str, Any] | None, lang: str) -> str:
    from hbtriage.report.markdown import render_markdown

    return render_markdown(findings, lang=lang)


REPORTERS: dict[str, Reporter] = {
    "html": Reporter("html", "report.html", _html, needs_charts=True),
    "md": Reporter("md", "report.md", _markdown),
}


def __getattr__(name: str) -> Any:
    if name == "render_html":
        from hbtriage.report.html import render_html

        return render_html
    if name == "render_markdown":
        from hbtriage.report.markdown import render_markdown

        return render_markdown
    if name == "render_terminal":
        from hbtriage.report.terminal import render_terminal

        return render_terminal
    if name in ("STRINGS", "t"):
        from hbtriage.report import i18n

        return getattr(i18n, name)
    raise AttributeError(name)


__all__ = [
    "REPORTERS",
    "STRINGS",
    "Reporter",
    "render_html",
    "render_markdown",
    "render_terminal",
    "t",
]
