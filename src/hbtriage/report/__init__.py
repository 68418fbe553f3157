"""Reporters: every one renders the same :class:`hbtriage.findings.Findings`.

- :func:`render_terminal` prints the verdict-first report on a rich console,
- :func:`render_markdown` returns a ticket-ready summary,
- :func:`render_html` returns one self-contained offline HTML file with zoomable timelines.

All UI text comes from :mod:`hbtriage.report.i18n` (English and Japanese).
"""

from __future__ import annotations

from hbtriage.report.html import render_html
from hbtriage.report.i18n import STRINGS, t
from hbtriage.report.markdown import render_markdown
from hbtriage.report.terminal import render_terminal

__all__ = ["STRINGS", "render_html", "render_markdown", "render_terminal", "t"]
