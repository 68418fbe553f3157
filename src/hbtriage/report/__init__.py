"""Reporters: every one renders the same :class:`hbtriage.findings.Findings`, plus the chart
data saved beside it (:mod:`hbtriage.report.charts`), so a saved analysis renders again
without its inputs.

- :func:`render_terminal` prints the verdict-first report on a rich console,
- :func:`render_markdown` returns a ticket-ready summary,
- :func:`render_html` returns one self-contained offline HTML file with zoomable timelines.

:data:`REPORTERS` maps a ``--format`` name to the file it writes and how; a new report format
is one entry there. All UI text comes from :mod:`hbtriage.report.i18n` (English and Japanese).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hbtriage.findings import Findings
from hbtriage.report.html import render_html
from hbtriage.report.i18n import STRINGS, t
from hbtriage.report.markdown import render_markdown
from hbtriage.report.terminal import render_terminal


@dataclass(frozen=True)
class Reporter:
    """One report format written to a file in the output folder."""

    name: str
    filename: str
    render: Callable[[Findings, dict[str, Any] | None, str], str]  # findings, charts, lang
    needs_charts: bool = False


REPORTERS: dict[str, Reporter] = {
    "html": Reporter(
        "html", "report.html", lambda f, charts, lang: render_html(f, charts, lang=lang), True
    ),
    "md": Reporter("md", "report.md", lambda f, _charts, lang: render_markdown(f, lang=lang)),
}

__all__ = [
    "REPORTERS",
    "STRINGS",
    "Reporter",
    "render_html",
    "render_markdown",
    "render_terminal",
    "t",
]
