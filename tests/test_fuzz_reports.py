"""Reports and the chart step over arbitrary findings (hostile text, odd numbers, empty and
huge lists): every reporter renders, nothing raw reaches HTML or the terminal, JSON round-trips."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from hbtriage.findings import Cause, ConfigFinding, Findings, HostInfo, Incident, InputInfo, Signal
from hbtriage.report import REPORTERS
from hbtriage.report.charts import chart_data
from hbtriage.report.json_out import to_json
from hbtriage.report.terminal import render_terminal

_hostile = st.text(
    alphabet=st.sampled_from(
        ["a", "Z", "<", ">", "&", '"', "'", "\n", "\x1b", "[", "]", "*", "|", "`", "é", "漢", " "]
    ),
    max_size=40,
)
_t0 = datetime(2013, 3, 31, 0, 36, 46, tzinfo=UTC)
_when = st.integers(-(10**6), 10**6).map(lambda s: _t0 + timedelta(milliseconds=s))


@st.composite
def _findings(draw: st.DrawFn) -> Findings:
    names = draw(st.lists(_hostile.filter(bool), min_size=1, max_size=3, unique=True))
    hosts = [HostInfo(name=n, zone=draw(st.none() | _hostile), first=draw(_when)) for n in names]
    incidents = []
    for k in range(draw(st.integers(0, 3))):
        a, b = sorted([draw(_when), draw(_when)])
        signals = [
            Signal(
                kind=draw(st.sampled_from(["signature", "log_gap", "counter_anomaly"])),
                host=draw(st.sampled_from(names)),
                start=a,
                end=b,
                detail=draw(_hostile),
            )
            for _ in range(draw(st.integers(0, 4)))
        ]
        causes = [
            Cause(
                id=draw(st.sampled_from(["dpc_storm", "unknown", "no_such_cause"])),
                host=draw(st.none() | st.sampled_from(names)),
                confidence=draw(st.floats(0, 1)),
                evidence=draw(st.lists(_hostile, max_size=3)),
                remedy=draw(_hostile),
                title=draw(_hostile),
                references=draw(st.lists(_hostile, max_size=2)),
            )
            for _ in range(draw(st.integers(0, 3)))
        ]
        incidents.append(
            Incident(
                id=f"INC-{k}<{draw(_hostile)}>",
                start=a,
                end=b,
                hosts=names,
                signals=signals,
                causes=causes,
                signals_omitted=draw(st.integers(0, 10)),
            )
        )
    return Findings(
        inputs=[InputInfo(path=draw(_hostile), kind="cvp_log", host=names[0], note=draw(_hostile))],
        hosts=hosts,
        incidents=incidents,
        config_findings=[
            ConfigFinding(
                id="rss_disabled", host=names[0], title=draw(_hostile), detail=draw(_hostile)
            )
        ],  # fmt: skip
        warnings=draw(st.lists(_hostile, max_size=5)),
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(findings=_findings(), lang=st.sampled_from(["en", "ja"]))
def test_every_reporter_renders_any_findings(findings: Findings, lang: str) -> None:
    doc = json.loads(to_json(findings))
    assert Findings.from_dict(doc).to_dict() == doc
    charts = chart_data(findings, None, (lang,))
    json.dumps(charts, allow_nan=False)
    for reporter in REPORTERS.values():
        page = reporter.render(findings, charts, lang)
        assert isinstance(page, str) and page
        if reporter.name == "html":
            assert "<script>alert" not in page
            body = page.split("<body", 1)[1]
            for inc in findings.incidents:
                assert inc.id not in body or "<" not in inc.id  # ids with markup are escaped
    out = io.StringIO()
    plain = Console(file=out, width=100, force_terminal=False, color_system=None)
    render_terminal(findings, plain, lang=lang)
    assert "\x1b" not in out.getvalue()  # an escape sequence from the input never gets through
