"""The HTML report: one offline file, verdict first, charts from the timeline, hostile text inert."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import polars as pl
import pytest

from hbtriage.findings import (
    Cause,
    ConfigFinding,
    Findings,
    HostInfo,
    Incident,
    InputInfo,
    Signal,
)
from hbtriage.report.charts import MAX_POINTS
from hbtriage.report.html import render_html
from hbtriage.report.i18n import STRINGS

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = '"><img src=x onerror=alert(1)>'
HOSTILE_MARKUP = "[bold]not bold[/bold] `tick` | pipe"

INC_START = datetime(2013, 3, 31, 0, 36, 46, 531000, tzinfo=UTC)
INC_END = datetime(2013, 3, 31, 0, 36, 57, 328000, tzinfo=UTC)
CAPTURE_START = datetime(2013, 3, 31, 0, 25, tzinfo=UTC)
CAPTURE_END = datetime(2013, 3, 31, 0, 48, tzinfo=UTC)


@dataclass
class FakeTimeline:
    """Duck-typed stand-in for hbtriage.timeline.Timeline (only what the reports read)."""

    events: pl.DataFrame
    counters: pl.DataFrame


def sample_timeline() -> FakeTimeline:
    """Two chatty hosts that both go silent during the incident; DPC Rate 0 -> 10 on PG1A."""
    rows: list[dict[str, object]] = []
    for host, stream in (("PG1A", "pim1"), ("CVP1", "CVP")):
        ts = CAPTURE_START
        n = 0
        while ts < CAPTURE_END:
            if not (INC_START <= ts < INC_END):
                n += 1
                rows.append(
                    {
                        "host": host,
                        "stream": stream,
                        "ts": ts,
                        "line": n,
                        "severity": None,
                        "component": stream,
                        "message": f"routine heartbeat bookkeeping {n}",
                        "signature": None,
                        "source": f"{host}/{stream}.log",
                    }
                )
            ts += timedelta(milliseconds=250)
    after = INC_END + timedelta(milliseconds=100)
    specials = [
        ("PG1A", "icm.pim_connection_broken", "Connection to CVP broken, WinSock error 10054"),
        ("CVP1", "cvp.vru_pim_shutdown", "Shutting down VRU PIM connection"),
        ("PG1A", "icm.pim_connection_broken", HOSTILE_SCRIPT),
        ("CVP1", "cvp.vru_pim_shutdown", HOSTILE_IMG),
        ("CVP1", "cvp.vru_pim_shutdown", HOSTILE_MARKUP),
    ]
    for i, (host, sig, msg) in enumerate(specials):
        rows.append(
            {
                "host": host,
                "stream": "pim1" if host == "PG1A" else "CVP",
                "ts": after + timedelta(milliseconds=10 * i),
                "line": 90000 + i,
                "severity": "3",
                "component": "x",
                "message": msg,
                "signature": sig,
                "source": f"{host}/x.log",
            }
        )
    events = pl.DataFrame(
        rows,
        schema={
            "host": pl.Utf8,
            "stream": pl.Utf8,
            "ts": pl.Datetime("ns", "UTC"),
            "line": pl.Int64,
            "severity": pl.Utf8,
            "component": pl.Utf8,
            "message": pl.Utf8,
            "signature": pl.Utf8,
            "source": pl.Utf8,
        },
    ).sort("ts")

    seconds = int((CAPTURE_END - CAPTURE_START).total_seconds())
    ts = pl.datetime_range(
        CAPTURE_START, CAPTURE_END - timedelta(seconds=1), "1s", time_zone="UTC", eager=True
    ).cast(pl.Datetime("ns", "UTC"))
    in_incident = (ts >= INC_START - timedelta(seconds=1)) & (ts <= INC_END)
    frames = []

    def series(host: str, obj: str, inst: str, counter: str, values: pl.Series) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "host": [host] * seconds,
                "object": [obj] * seconds,
                "instance": [inst] * seconds,
                "counter": [counter] * seconds,
                "ts": ts,
                "value": values.cast(pl.Float64),
            }
        )

    for host in ("PG1A", "CVP1"):
        storm = in_incident if host == "PG1A" else pl.Series([False] * seconds)
        frames.append(
            series(host, "Processor", "_Total", "DPC Rate", storm.cast(pl.Float64) * 10.0)
        )
        frames.append(series(host, "Processor", "0", "DPC Rate", storm.cast(pl.Float64) * 10.0))
        frames.append(
            series(host, "Processor", "_Total", "% DPC Time", storm.cast(pl.Float64) * 35.0 + 1.0)
        )
        frames.append(
            series(host, "Processor", "_Total", "% Processor Time", pl.Series([12.5] * seconds))
        )
        frames.append(
            series(
                host,
                "Network Interface",
                "Intel[R] PRO_1000 MT",
                "Packets Received Discarded",
                storm.cast(pl.Float64) * 3.0,
            )
        )
        # Not a key counter: must not be drawn.
        frames.append(series(host, "Memory", "", "Available MBytes", pl.Series([900.0] * seconds)))
    return FakeTimeline(events=events, counters=pl.concat(frames))


def sample_findings() -> Findings:
    inputs = [
        InputInfo(
            path="bundle.zip!PG1A/PerfmonPG1A.csv",
            kind="perfmon_csv",
            encoding="utf-16",
            host="PG1A",
            host_reason="perfmon header \\\\PG1A",
            zone="Eastern Standard Time",
            zone_source="perfmon header",
            first=CAPTURE_START,
            last=CAPTURE_END,
            records=1380,
        ),
        InputInfo(
            path="bundle.zip!CVP1/CVP.20130330.log",
            kind="cvp_log",
            encoding="utf-8",
            host="CVP1",
            zone="-0500",
            zone_source="log offsets",
            first=CAPTURE_START,
            last=CAPTURE_END,
            records=5520,
        ),
    ]
    hosts = [
        HostInfo(name="PG1A", zone="Eastern Standard Time", zone_source="perfmon header",
                 has_perfmon=True, has_logs=True, first=CAPTURE_START, last=CAPTURE_END),
        HostInfo(name="CVP1", zone="-0500", zone_source="log offsets", clock_offset_s=0.2,
                 clock_offset_basis="paired signatures", has_perfmon=True, has_logs=True,
                 first=CAPTURE_START, last=CAPTURE_END),
    ]  # fmt: skip
    signals = [
        Signal("log_gap", "PG1A", INC_START, INC_END, "pim1 silent for 10.8 s (usual gap 0.25 s)"),
        Signal("log_gap", "CVP1", INC_START, INC_END, "CVP silent for 10.8 s (usual gap 0.25 s)"),
        Signal(
            "signature",
            "CVP1",
            INC_END,
            INC_END,
            f"cvp.vru_pim_shutdown: {HOSTILE_IMG}",
            {"signature": "cvp.vru_pim_shutdown"},
        ),
        Signal("counter_anomaly", "PG1A", INC_START, INC_END, "DPC Rate 0 -> 10 (baseline 0)"),
    ]
    causes = [
        Cause(
            id="dpc_storm",
            host="PG1A",
            confidence=0.86,
            evidence=[
                "DPC Rate rose from 0 to 10 on PG1A inside the window",
                "both hosts' logs went silent together for 10.8 s",
                f"log line: {HOSTILE_SCRIPT}",
            ],
            remedy="Install the NDIS hotfix (Ndis.sys 5.2.3790.4524) and reboot; enable RSS meanwhile.",
            title="DPC storm starves the NIC receive path",
            title_ja="DPC の集中で NIC の受信処理が滞っている",
            remedy_ja="NDIS 修正プログラム (Ndis.sys 5.2.3790.4524) を適用して再起動する。当面は RSS を有効にする。",
            evidence_ja=[
                "PG1A の DPC Rate が時間帯内で 0 から 10 に上昇",
                "両ホストのログが 10.8 秒間同時に途絶",
                f"ログ行: {HOSTILE_SCRIPT}",
            ],
            references=["https://support.microsoft.com/kb/example"],
        ),
        Cause(
            id="vm_stun",
            host="PG1A",
            confidence=0.21,
            evidence=["perfmon samples kept their 1 s cadence"],
            remedy="Check snapshot schedules.",
            title="VM stun",
            title_ja="VM の一時停止",
            remedy_ja="スナップショットの予定を確認する。",
            evidence_ja=["パフォーマンスモニタのサンプル間隔は 1 秒のまま"],
        ),
        Cause(id="network_path", host=None, confidence=0.05, evidence=[], remedy=""),
    ]
    incident = Incident(
        id="INC-1",
        start=INC_START,
        end=INC_END,
        hosts=["PG1A", "CVP1"],
        signals=signals,
        causes=causes,
    )
    config = [
        ConfigFinding(
            id="rss_disabled",
            host="PG1A",
            title="Receive Side Scaling is disabled",
            detail="netsh int tcp show global: Receive-Side Scaling State : disabled",
            title_ja="RSS(受信側スケーリング)が無効",
            detail_ja="netsh int tcp show global の出力で RSS が disabled",
        )
    ]
    return Findings(
        inputs=inputs,
        hosts=hosts,
        incidents=[incident],
        config_findings=config,
        warnings=[
            f"bundle.zip!CVP1/CVP.20130330.log:12: unparsable line {HOSTILE_SCRIPT}",
            f"bundle.zip!CVP1/CVP.20130330.log:13: unparsable line {HOSTILE_IMG}",
        ],
        generated_by="hbtriage 0.1.0",
    )


# --- helpers ------------------------------------------------------------------------------------


def payload(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="hbtriage-data">(.*?)</script>', page, re.S)
    assert m, "chart data element missing"
    return json.loads(m.group(1))


class _Text(HTMLParser):
    """Visible text of a page (script and style bodies left out) and its elements."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def parse(page: str) -> _Text:
    p = _Text()
    p.feed(page)
    return p


@pytest.fixture(scope="module")
def page_en() -> str:
    return render_html(sample_findings(), sample_timeline(), lang="en")


@pytest.fixture(scope="module")
def page_ja() -> str:
    return render_html(sample_findings(), sample_timeline(), lang="ja")


# --- tests --------------------------------------------------------------------------------------


def test_self_contained_and_offline(page_en: str) -> None:
    assert page_en.startswith("<!DOCTYPE html>")
    parsed = parse(page_en)
    scripts = [a for tag, a in parsed.tags if tag == "script"]
    assert scripts and all("src" not in a for a in scripts), "no external script"
    assert not [a for tag, a in parsed.tags if tag == "link"], "no external stylesheet"
    assert "cdn.plot.ly" not in page_en.split("<script>", 1)[0]
    assert "Plotly.newPlot" in page_en
    assert len(page_en) > 3_000_000  # plotly.js itself is inlined


def test_verdict_comes_first(page_en: str) -> None:
    text = " ".join(parse(page_en).text)
    verdict = text.index("Verdict")
    assert verdict < text.index("DPC storm starves the NIC receive path") < text.index("Inputs")
    assert "2013-03-31T00:36:46.531Z → 2013-03-31T00:36:57.328Z" in text
    assert "10.8 s" in text
    assert "86%" in text
    assert "Install the NDIS hotfix" in text
    assert "Receive Side Scaling is disabled" in text
    assert "Eastern Standard Time (perfmon header)" in text
    assert "utf-16" in text


def test_hostile_text_is_escaped(page_en: str) -> None:
    assert HOSTILE_SCRIPT not in page_en
    assert "<img src=x" not in page_en
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_en
    parsed = parse(page_en)
    text = "".join(parsed.text)
    assert HOSTILE_SCRIPT in text  # shown as text, in the evidence, lines table and warnings
    assert HOSTILE_IMG in text
    assert not [a for tag, a in parsed.tags if tag == "img"]
    inline = [a for tag, a in parsed.tags if tag == "script" and a.get("type") is None]
    assert len(inline) == 2  # plotly.js + the initialisation, nothing injected


def test_chart_json_is_escaped_and_parses(page_en: str) -> None:
    m = re.search(r'id="hbtriage-data">(.*?)</script>', page_en, re.S)
    assert m
    raw = m.group(1)
    assert "<" not in raw and ">" not in raw and "&" not in raw
    data = payload(page_en)
    hover = [h for c in data["charts"] for tr in c["data"] for h in (tr.get("hovertext") or [])]
    # plotly reads a few tags in hover text: the message is HTML-escaped before it gets there.
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in h for h in hover)
    assert not any("<script" in h or "<img" in h for h in hover)


def test_charts_overview_and_incident(page_en: str) -> None:
    data = payload(page_en)
    ids = [c["id"] for c in data["charts"]]
    assert ids == ["chart-overview", "chart-INC-1"]
    for cid in ids:
        assert f'data-testid="{cid}"' in page_en
    incident = data["charts"][1]
    names = [tr["name"] for tr in incident["data"]]
    assert "PG1A log lines/s" in names and "CVP1 log lines/s" in names
    assert "PG1A DPC Rate" in names  # _Total kept, per-CPU instance dropped
    assert not any("[0]" in n for n in names)
    assert not any("Available MBytes" in n for n in names)
    assert any("Packets Received Discarded" in n for n in names)
    dpc = next(tr for tr in incident["data"] if tr["name"] == "PG1A DPC Rate")
    assert max(v for v in dpc["y"] if v is not None) == 10.0
    assert min(v for v in dpc["y"] if v is not None) == 0.0
    lo, hi = incident["layout"]["xaxis"]["range"]
    assert hi - lo == pytest.approx((INC_END - INC_START).total_seconds() * 1000 + 600_000, abs=2)
    assert all(lo - 1000 <= x <= hi for tr in incident["data"] for x in tr["x"])  # 1 s buckets
    # the silences are shaded on the shared time axis
    shapes = incident["layout"]["shapes"]
    start_ms = int(INC_START.timestamp() * 1000)
    assert sum(1 for s in shapes if s["x0"] == start_ms) >= 2
    # the log rate drops to zero in the silence
    rate = next(tr for tr in incident["data"] if tr["name"] == "PG1A log lines/s")
    inside = [
        y
        for x, y in zip(rate["x"], rate["y"], strict=True)
        if start_ms + 1000 < x < start_ms + 9000
    ]
    assert inside and all(y == 0 for y in inside)
    assert max(rate["y"]) == 4.0
    # every row shares the one x axis, so zooming one zooms all
    assert {tr["xaxis"] for tr in incident["data"]} == {"x"}
    assert incident["layout"]["xaxis"]["type"] == "date"


def test_japanese_page_is_translated(page_ja: str) -> None:
    parsed = parse(page_ja)
    assert ("html", {"lang": "ja"}) in [(tag, a) for tag, a in parsed.tags if tag == "html"]
    text = "\n".join(parsed.text)
    assert "結論" in text
    assert "DPC の集中で NIC の受信処理が滞っている" in text
    assert "NDIS 修正プログラム" in text
    assert "Install the NDIS hotfix" not in text
    assert "RSS(受信側スケーリング)が無効" in text
    assert "10.8 秒" in text
    leaks = _english_leaks(text)
    assert not leaks, f"untranslated UI strings in the ja page: {leaks}"
    charts = payload(page_ja)["charts"]
    names = [tr["name"] for c in charts for tr in c["data"]]
    assert "PG1A ログ行数/秒" in names
    # counter names in legends stay canonical English (Japanese Windows shows them so too);
    # titles and row labels are UI
    chart_text = json.dumps([c["title"] for c in charts], ensure_ascii=False)
    chart_text += json.dumps(
        [a["text"] for c in charts for a in c["layout"]["annotations"]], ensure_ascii=False
    )
    assert "DPC レート" in chart_text
    assert not _english_leaks(chart_text)
    assert payload(page_ja)["locale"]["Zoom"] != "Zoom"


def _english_leaks(text: str) -> list[str]:
    """English UI strings (whole values of the en table, placeholders cut) found in ``text``."""
    leaks = []
    for key, value in STRINGS["en"].items():
        if key.startswith(("cli_", "progress_")):
            continue  # the command line's own words ("error", "files"), never on a page
        for piece in re.split(r"\{[a-z_]+\}", value):
            piece = piece.strip(" .:,()")
            if len(piece) < 4 or not re.search(r"[A-Za-z]{3}", piece):
                continue
            # whole words only: "Perfmon" in a file name "PerfmonPG1A.csv" is data, not UI
            if re.search(rf"(?<![A-Za-z]){re.escape(piece)}(?![A-Za-z])", text):
                if piece == STRINGS["ja"][key]:
                    continue
                leaks.append(f"{key}: {piece!r}")
    return leaks


def test_english_leak_scanner_catches_a_leak() -> None:
    assert _english_leaks("結論 Most likely cause 〜")


def test_without_timeline_there_are_no_charts() -> None:
    page = render_html(sample_findings(), None)
    assert payload(page)["charts"] == []
    assert "No timeline data was given" in page
    assert 'class="chart"' not in page


def test_no_incident_says_what_is_missing() -> None:
    findings = Findings(
        inputs=[InputInfo(path="PG1A/pim1.log", kind="icm_dumplog", host="PG1A")],
        hosts=[HostInfo(name="PG1A", has_logs=True)],
    )
    text = " ".join(parse(render_html(findings)).text)
    assert "No heartbeat-loss incident was found" in text
    assert "no perfmon data for host PG1A" in text
    assert "only one host (PG1A)" in text


def test_empty_frames_do_not_crash() -> None:
    tl = sample_timeline()
    empty = FakeTimeline(events=tl.events.clear(), counters=tl.counters.clear())
    page = render_html(sample_findings(), empty)
    assert payload(page)["charts"] == []


def test_overview_is_downsampled_for_long_captures() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    n = 6 * 3600  # 6 h at 1 s
    ts = pl.datetime_range(
        start, start + timedelta(seconds=n - 1), "1s", time_zone="UTC", eager=True
    ).cast(pl.Datetime("ns", "UTC"))
    counters = pl.concat(
        [
            pl.DataFrame(
                {
                    "host": [h] * n,
                    "object": ["Processor"] * n,
                    "instance": ["_Total"] * n,
                    "counter": [c] * n,
                    "ts": ts,
                    "value": pl.int_range(0, n, eager=True).cast(pl.Float64) % 17,
                }
            )
            for h in ("A", "B")
            for c in ("DPC Rate", "% DPC Time", "% Processor Time")
        ]
    )
    events = pl.DataFrame(
        {
            "host": ["A"] * n,
            "stream": ["s"] * n,
            "ts": ts,
            "line": pl.int_range(1, n + 1, eager=True),
            "severity": [None] * n,
            "component": ["c"] * n,
            "message": ["m"] * n,
            "signature": [None] * n,
            "source": ["a.log"] * n,
        },
        schema_overrides={"severity": pl.Utf8, "signature": pl.Utf8},
    )
    spike = start + timedelta(hours=3)
    findings = Findings(
        incidents=[Incident("INC-1", spike, spike + timedelta(seconds=10), ["A", "B"])]
    )
    began = time.perf_counter()
    page = render_html(findings, FakeTimeline(events=events, counters=counters))
    assert time.perf_counter() - began < 30
    charts = payload(page)["charts"]
    overview = charts[0]
    for trace in overview["data"]:
        assert 0 < len(trace["x"]) <= MAX_POINTS + 10, trace["name"]
        assert trace["x"] == sorted(trace["x"])
    dpc = next(tr for tr in overview["data"] if tr["name"] == "A DPC Rate")
    assert max(dpc["y"]) == 16.0  # the peak of each bucket survives
    incident = charts[1]
    dpc_full = next(tr for tr in incident["data"] if tr["name"] == "A DPC Rate")
    assert 600 <= len(dpc_full["x"]) <= 612  # full 1 s resolution, +-5 min only
    assert len(page) < 6_500_000


@pytest.mark.parametrize(
    ("days", "en", "ja"),
    [(0.25, "15 s", "15 秒"), (400, "6 h", "6 時間"), (4000, "3 d", "3 日")],
)
def test_overview_title_names_its_bucket_in_round_units(days: float, en: str, ja: str) -> None:
    """A bundle whose files span months (a syslog without a year put in this year beside logs
    of 2013, old perfmon files kept with new ones) was titled 'peak per 17280 s bucket', and
    '17280 s' in the Japanese page too: the bucket is a round size now, said in the page's
    language ('6 h', '6 時間')."""
    start = datetime(2013, 3, 30, tzinfo=UTC)
    ts = pl.Series([start, start + timedelta(days=days)]).cast(pl.Datetime("ns", "UTC"))
    counters = pl.DataFrame(
        {
            "host": ["A", "A"],
            "object": ["Processor", "Processor"],
            "instance": ["_Total", "_Total"],
            "counter": ["DPC Rate", "DPC Rate"],
            "ts": ts,
            "value": [0.0, 10.0],
        }
    )
    tl = FakeTimeline(events=sample_timeline().events.clear(), counters=counters)
    titles = {
        lang: payload(render_html(Findings(), tl, lang=lang))["charts"][0]["title"]
        for lang in ("en", "ja")
    }
    assert titles == {
        "en": f"Whole capture (downsampled: peak per {en} bucket)",
        "ja": f"取得期間全体(間引き表示: {ja}ごとの最大値)",
    }


def test_the_nic_row_shows_udp_errors_of_either_ip_version() -> None:
    """A host with UDPv4 and UDPv6 showed only UDPv4 in the NIC row: receive errors carried
    over IPv6 (the heartbeat's address may be either) were not drawn at all."""
    timeline = sample_timeline()
    seconds = int((CAPTURE_END - CAPTURE_START).total_seconds())
    ts = timeline.counters.filter(
        (pl.col("host") == "CVP1")
        & (pl.col("counter") == "DPC Rate")
        & (pl.col("instance") == "_Total")
    )["ts"]
    rising = pl.Series([float(i // 60) for i in range(seconds)])  # a count since boot
    udp = [
        pl.DataFrame(
            {
                "host": ["CVP1"] * seconds,
                "object": [obj] * seconds,
                "instance": [""] * seconds,
                "counter": ["Datagrams Received Errors"] * seconds,
                "ts": ts,
                "value": values,
            }
        )
        for obj, values in (("UDPv4", pl.Series([0.0] * seconds)), ("UDPv6", rising))
    ]
    timeline = FakeTimeline(
        timeline.events, pl.concat([timeline.counters, *udp], how="vertical_relaxed")
    )
    data = payload(render_html(sample_findings(), timeline, lang="en"))
    traces = {tr["name"]: tr for c in data["charts"] for tr in c["data"]}
    assert "CVP1 UDPv4\\Datagrams Received Errors" in traces
    v6 = traces["CVP1 UDPv6\\Datagrams Received Errors"]
    assert max(v for v in v6["y"] if v is not None) > 0
