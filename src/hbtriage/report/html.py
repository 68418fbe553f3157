"""One self-contained, offline HTML report: verdict, zoomable timelines, evidence, inputs.

Charts use plotly.js, inlined from the plotly Python package (``plotly.offline.get_plotlyjs()``):
it is well kept, ships its JavaScript inside the wheel we already depend on (so the report needs
no CDN and opens on an air-gapped support laptop), and has zoom, pan and hover built in.

Safety: log lines are hostile input. Everything reaches the page either through jinja2 with
autoescape on, or as JSON inside ``<script type="application/json">`` with ``<``, ``>`` and ``&``
written as ``\\u003c`` etc., read with ``JSON.parse``. Text that plotly draws (hover text, legend
names, titles) is HTML-escaped first, because plotly understands a few tags in those strings.

The charts and matched lines come from :mod:`hbtriage.report.charts` (computed from the timeline
at analysis time and saved as ``charts.json``), so a saved analysis renders the same page.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from hbtriage.findings import Findings, HostInfo, Incident, iso
from hbtriage.report.bounds import REPORT_INCIDENTS, REPORT_ITEMS, bounded
from hbtriage.report.charts import MAX_INCIDENT_CHARTS, chart_data, slug
from hbtriage.report.i18n import (
    PLOTLY_UI,
    REPORT_INPUTS,
    cause_title,
    fmt_confidence,
    fmt_dpc,
    fmt_duration,
    fmt_offset,
    fmt_range,
    fmt_system,
    fmt_zone_of,
    localized,
    localized_list,
    missing_evidence,
    shown_inputs,
    signal_kind,
    summary,
    t,
)
from hbtriage.report.localtime import hosts_by_name, incident_local_windows, local_span
from hbtriage.report.terminal import safe_visible
from hbtriage.warning_text import label_of

_TEMPLATES = Path(__file__).parent / "templates"


# --- public entry ---------------------------------------------------------------------------------


def render_html(findings: Findings, charts: Any | None = None, lang: str = "en") -> str:
    """The whole report as one HTML document in ``lang`` ("en" or "ja").

    ``charts`` is the chart data of :func:`hbtriage.report.charts.chart_data` (as saved in
    ``charts.json``), or a timeline to compute it from (anything with polars frames
    ``.events`` and ``.counters``); without it the page has no charts and no matched lines.
    """
    if charts is not None and not isinstance(charts, dict):
        charts = chart_data(findings, charts, (lang,))
    figures, lines = _usable_charts(charts, lang)
    headline = summary(findings, lang)  # (all the incidents and hosts counted)
    hosts = hosts_by_name(findings.hosts)
    charts_capped = len(findings.incidents) > MAX_INCIDENT_CHARTS
    findings, cut = bounded(findings, REPORT_INCIDENTS, REPORT_ITEMS)
    # only the figures the page has a place for (a charts.json may hold any number)
    places = {"chart-overview"} | {f"chart-{slug(i.id)}" for i in findings.incidents}
    figures = [c for c in figures if c["id"] in places]
    payload = {
        "lang": lang,
        "locale": {en: t(key, lang) for en, key in PLOTLY_UI.items()},
        "charts": figures,
    }
    shown, more = shown_inputs(findings, REPORT_INPUTS)
    env = _env()
    page = env.get_template("report.html.j2").render(
        lang=lang,
        t=functools.partial(_t, lang),
        findings=findings,
        incidents=[
            _incident_view(inc, hosts, lines.get(inc.id) or {}, lang) for inc in findings.incidents
        ],
        missing=missing_evidence(findings, lang) if not findings.incidents else [],
        summary=headline,
        more_incidents=f"{cut.incidents:,}" if cut.incidents else "",
        more_config=f"{cut.config_findings:,}" if cut.config_findings else "",
        more_hosts=f"{cut.hosts:,}" if cut.hosts else "",
        more_warnings=f"{cut.warnings:,}" if cut.warnings else "",
        hosts=[_host_view(h, lang) for h in findings.hosts],
        inputs=[_input_view(i, lang) for i in shown],
        more_inputs=f"{more:,}" if more else "",
        config=[
            {
                "host": c.host,
                "title": localized(c.title, c.title_ja, lang),
                "detail": localized(c.detail, c.detail_ja, lang),
                "references": c.references,
            }
            for c in findings.config_findings
        ],
        chart_ids={c["id"] for c in figures},
        chart_titles={c["id"]: c["title"] for c in figures},
        has_timeline=charts is not None,
        charts_capped=charts_capped,
        max_incident_charts=MAX_INCIDENT_CHARTS,
        payload_json=json_for_script(payload),
        plotly_js=_plotly_js(),
    )
    return page


#: The fields of a matched line of charts.json the page shows.
_LINE_FIELDS = ("ts", "local", "host", "signature", "message", "source")


def _usable_charts(charts: dict[str, Any] | None, lang: str) -> tuple[list[Any], dict[str, Any]]:
    """The figures in ``lang`` (else the first language's) and the matched lines of each
    incident of ``charts`` (charts.json: anyone's file, like findings.json), only those of
    the shape :func:`~hbtriage.report.charts.chart_data` gives: a figure with a string ``id``
    and ``title``, a line with a string in each of :data:`_LINE_FIELDS`."""
    if not isinstance(charts, dict):
        return [], {}
    by_lang = charts.get("charts")
    by_lang = by_lang if isinstance(by_lang, dict) else {}
    chosen: Any = by_lang.get(lang) or next(iter(by_lang.values()), [])
    figures = [
        c
        for c in (chosen if isinstance(chosen, list) else [])
        if isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("title"), str)
    ]
    lines: dict[str, Any] = {}
    given = charts.get("lines")
    for key, entry in (given if isinstance(given, dict) else {}).items():
        rows = entry.get("rows") if isinstance(entry, dict) else None
        more = entry.get("more") if isinstance(entry, dict) else 0
        kept = [
            {f: r[f] for f in _LINE_FIELDS}
            for r in (rows if isinstance(rows, list) else [])
            if isinstance(r, dict) and all(isinstance(r.get(f), str) for f in _LINE_FIELDS)
        ]
        more = more if isinstance(more, int) and not isinstance(more, bool) else 0
        cut = max(0, len(kept) - REPORT_ITEMS)
        lines[key] = {"rows": kept[:REPORT_ITEMS], "more": more + cut}
    return figures, lines


def json_for_script(obj: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">`` (no ``</script>``, no ``<!--``)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# --- page pieces ----------------------------------------------------------------------------------


def _t(lang: str, key: str, **fmt: object) -> str:
    return t(key, lang, **fmt)


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        # Every value put on the page, input names and log lines included, with control and
        # bidirectional characters escaped (markup built here, plotly.js included, as it is).
        finalize=lambda v: (
            v if isinstance(v, Markup) or not isinstance(v, str) else safe_visible(v)
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def _plotly_js() -> str:
    import plotly.offline

    js: str = plotly.offline.get_plotlyjs()
    # The bundle holds no "</script" today; keep it that way whatever version is installed.
    return js.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def _incident_view(
    incident: Incident, hosts: dict[str, HostInfo], lines: dict[str, Any], lang: str
) -> dict[str, Any]:
    causes = []
    for rank, cause in enumerate(incident.causes, start=1):
        causes.append(
            {
                "rank": rank,
                "id": cause.id,
                "title": cause_title(cause.id, cause.title, cause.title_ja, lang),
                "host": cause.host or t("all_hosts", lang),
                "confidence": fmt_confidence(cause.confidence),
                "confidence_pct": round(cause.confidence * 100),
                "evidence": localized_list(cause.evidence, cause.evidence_ja, lang),
                "remedy": localized(cause.remedy, cause.remedy_ja, lang),
                "references": cause.references,
            }
        )
    signals = [
        {
            "kind": signal_kind(s.kind, lang),
            "kind_id": s.kind,
            "host": s.host,
            "start": iso(s.start),
            "end": iso(s.end),
            "local": local_span(s.start, s.end, hosts.get(s.host), with_date=False) or "—",
            "detail": s.detail,
        }
        for s in incident.signals
    ]
    return {
        "id": incident.id,
        "anchor": "incident-" + "".join(c if c.isalnum() else "-" for c in incident.id),
        "start": iso(incident.start),
        "end": iso(incident.end),
        "duration": fmt_duration(incident.start, incident.end, lang),
        "hosts": ", ".join(incident.hosts),
        # the window on each host's own clock: what to grep its logs for
        "local": [
            {"label": f"{name} {t('local', lang)}", "window": window}
            for name, window in incident_local_windows(incident, hosts, lang)
        ],
        "top": causes[0] if causes else None,
        "others": causes[1:],
        "signals": signals,
        "more_signals": incident.signals_omitted,
        "lines": lines.get("rows") or [],
        "more_lines": int(lines.get("more") or 0),
        "chart_id": f"chart-{slug(incident.id)}",
    }


def _host_view(host: HostInfo, lang: str) -> dict[str, Any]:
    return {
        "name": host.name,
        "zone": fmt_zone_of(host, lang),
        "offset": fmt_offset(host, lang),
        "perfmon": t("yes" if host.has_perfmon else "no", lang),
        "logs": t("yes" if host.has_logs else "no", lang),
        "range": fmt_range(host.first, host.last),
        "system": fmt_system(host, lang),
        "dpc": fmt_dpc(host, lang),
    }


def _input_view(item: Any, lang: str) -> dict[str, Any]:
    return {
        "path": item.path,
        "kind": item.kind,
        "host": item.host or "—",
        "host_reason": label_of(item, "host_reason", lang),
        "zone": fmt_zone_of(item, lang),
        "encoding": item.encoding or "—",
        "range": fmt_range(item.first, item.last),
        "records": f"{item.records:,}",
        "note": label_of(item, "note", lang),
    }
