"""Naming the culprit driver from a DPC/ISR (IRQ/softirq) report, against an incident window or
from whole-report totals, and the remedy that fits what kind of driver it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from hbtriage.catalog import load_catalog
from hbtriage.detect import drivers
from hbtriage.diagnose import fit_driver_remedies
from hbtriage.errors import CatalogError
from hbtriage.findings import Cause, HostInfo, Incident
from hbtriage.sources.base import DPC_SCHEMA, DpcTrace, ModuleUse
from hbtriage.timeline.frames import dpc_part

CAT = load_catalog()
T0 = datetime(2024, 1, 15, 9, 0, 0)
LO = datetime(2024, 1, 15, 9, 1, 0, tzinfo=UTC)
HI = datetime(2024, 1, 15, 9, 1, 10, tzinfo=UTC)


def _per_second(burst: dict[str, float], steady: dict[str, float], seconds: int = 120):
    """One row per module per second (an xperf per-interval table in UTC); ``burst`` adds that
    many µs per second to a module from second 60 to 69."""
    rows = []
    for s in range(seconds):
        ts = T0 + timedelta(seconds=s)
        for module, us in steady.items():
            extra = burst.get(module, 0.0) if 60 <= s < 70 else 0.0
            rows.append((ts, 0, 1e6, module, "dpc", None, 100, us + extra, 50.0 + extra / 100))
    return pl.DataFrame(rows, schema=DPC_SCHEMA, orient="row")


def _report(rows=None, modules=(), span_s=None, start=None, end=None, host="CVP1"):
    trace = DpcTrace(
        "xperf dpcisr",
        list(modules),
        rows,
        start_local=start,
        end_local=end,
        offset_min=0 if start else None,
        span_s=span_s,
    )
    return dpc_part(trace, host, f"{host}/dpcisr.txt", "xperf_dpcisr", None, 0)


def test_a_burst_in_the_window_names_the_nic_driver():
    rep = _report(
        _per_second({"b57nd60a.sys": 400_000.0}, {"ndis.sys": 2000, "b57nd60a.sys": 1000})
    )
    att = drivers.attribute([rep], "CVP1", LO, HI, CAT)
    assert att is not None and att.basis == "window"
    assert att.culprit is not None and att.culprit.module == "b57nd60a.sys"
    assert att.entry is not None and att.entry.category == "nic"
    doc = att.to_dict(CAT)
    assert doc["share"] > 0.9 and doc["baseline_share"] < 0.4 and doc["covers_incident"]


def test_steady_dpc_time_names_no_one():
    rep = _report(_per_second({}, {"ndis.sys": 2000, "b57nd60a.sys": 1500, "storport.sys": 900}))
    att = drivers.attribute([rep], "CVP1", LO, HI, CAT)
    assert att is not None and att.culprit is None
    assert [r.module for r in att.ranked][0] == "ndis.sys"  # still ranked for the reader


def test_other_hosts_reports_are_not_used():
    rep = _report(_per_second({"b57nd60a.sys": 400_000.0}, {"b57nd60a.sys": 1000}), host="PG1A")
    assert drivers.attribute([rep], "CVP1", LO, HI, CAT) is None


def test_whole_report_totals_name_a_dominant_module_with_long_dpcs():
    mods = [
        ModuleUse("storport.sys", "dpc", 9000, 710_000.0, 0.71, 8100.0, 131),
        ModuleUse("ndis.sys", "dpc", 40000, 200_000.0, 0.20, 90.0, 0),
        ModuleUse("usbport.sys", "dpc", 3000, 90_000.0, 0.09, 60.0, 0),
    ]
    att = drivers.attribute([_report(modules=mods, span_s=10.0)], "CVP1", LO, HI, CAT)
    assert att is not None and att.basis == "report" and not att.elsewhere
    assert att.culprit is not None and att.culprit.module == "storport.sys"
    assert att.entry is not None and att.entry.category == "storage"


def test_whole_report_of_a_healthy_host_names_no_one():
    mods = [
        ModuleUse("ndis.sys", "dpc", 4000, 2_000.0, 0.5, 60.0, 0),
        ModuleUse("tcpip.sys", "dpc", 4000, 2_000.0, 0.5, 45.0, 0),
    ]
    att = drivers.describe(_report(modules=mods, span_s=60.0), CAT)
    assert att.culprit is None and att.to_dict(CAT)["module"] is None


def test_a_report_taken_at_another_time_says_so():
    mods = [ModuleUse("b57nd60a.sys", "dpc", 9000, 710_000.0, 0.8, 8100.0, 50)]
    rep = _report(
        modules=mods, start=T0 + timedelta(hours=3), end=T0 + timedelta(hours=3, minutes=1)
    )
    att = drivers.attribute([rep], "CVP1", LO, HI, CAT)
    assert att is not None and att.elsewhere and att.to_dict(CAT)["covers_incident"] is False


def test_linux_softirq_burst_names_net_rx():
    rows = []
    for s in range(120):
        ts = T0 + timedelta(seconds=s)
        rows.append(
            (
                ts,
                0,
                1e6,
                "NET_RX",
                "softirq",
                None,
                None,
                3000.0 + (300_000.0 if 60 <= s < 70 else 0),
                None,
            )
        )
        rows.append((ts, 0, 1e6, "TIMER", "softirq", None, None, 2500.0, None))
    rep = _report(pl.DataFrame(rows, schema=DPC_SCHEMA, orient="row"))
    att = drivers.attribute([rep], "CVP1", LO, HI, CAT)
    assert att is not None and att.culprit is not None and att.culprit.module == "NET_RX"
    assert att.entry is not None and att.entry.category == "linux_net"


@pytest.mark.parametrize(
    ("module", "category"),
    [
        ("NDIS.SYS", "ndis"),
        ("e1g6032e.sys", "nic"),
        ("vmxnet3n61x64.sys", "virtual_nic"),
        ("stornvme.sys", "storage"),
        ("usbxhci.sys", "usb"),
        ("mfehidk.sys", "filter"),
        ("intelppm.sys", "firmware"),
        ("Wdf01000.sys", "framework"),
        ("mlx5_comp3", "linux_net"),
        ("nvme0q1", "linux_block"),
    ],
)
def test_the_catalog_knows_what_a_module_is(module, category):
    entry = CAT.drivers.lookup(module)
    assert entry is not None and entry.category == category
    assert entry.category in CAT.drivers.categories


def test_a_driver_of_an_unknown_category_is_refused(tmp_path: Path):
    (tmp_path / "drivers.toml").write_text(
        '[[driver]]\nid = "x"\nmatch = ["x.sys"]\ncategory = "nope"\ntitle = "X"\nreference = "r"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as exc:
        load_catalog(extra=[tmp_path])
    assert "drivers.toml" in str(exc.value) and "nope" in str(exc.value)


def _cause_with(driver: dict | None) -> tuple[list[Incident], list[HostInfo]]:
    rule = CAT.causes["dpc_storm"]
    cause = Cause(
        "dpc_storm", "CVP1", 0.9, [], rule.remedy, remedy_ja=rule.remedy_ja, driver=driver
    )
    inc = Incident("INC-001", LO, HI, ["CVP1"], causes=[cause])
    host = HostInfo("CVP1", dpc_reports=[driver] if driver else [])
    return [inc], [host]


def test_a_nic_driver_gets_the_vendor_driver_remedy_not_the_ndis_hotfix():
    rep = _report(
        _per_second({"b57nd60a.sys": 400_000.0}, {"ndis.sys": 2000, "b57nd60a.sys": 1000})
    )
    att = drivers.attribute([rep], "CVP1", LO, HI, CAT)
    incidents, hosts = _cause_with(att.to_dict(CAT))
    fit_driver_remedies(incidents, hosts, CAT)
    cause = incidents[0].causes[0]
    assert "b57nd60a.sys" in cause.remedy and "firmware" in cause.remedy
    assert "5.2.3790.4524" not in cause.remedy
    assert "b57nd60a.sys" in cause.remedy_ja
    assert any("Broadcom" in r for r in cause.references)


def test_ndis_itself_keeps_the_hotfix_remedy():
    rep = _report(_per_second({"ndis.sys": 400_000.0}, {"ndis.sys": 2000, "b57nd60a.sys": 1000}))
    att = drivers.attribute([rep], "CVP1", LO, HI, CAT)
    incidents, hosts = _cause_with(att.to_dict(CAT))
    fit_driver_remedies(incidents, hosts, CAT)
    assert "5.2.3790.4524" in incidents[0].causes[0].remedy


def test_no_report_says_how_to_capture_one():
    incidents, hosts = _cause_with(None)
    fit_driver_remedies(incidents, hosts, CAT)
    assert "hbtriage plan --windows" in incidents[0].causes[0].remedy


def _analyze_sim(name: str, seed: int, tmp_path: Path):
    from hbtriage import analyze
    from hbtriage.simulate.scenarios import generate

    truth = generate(name, tmp_path / "b", seed)
    return truth, analyze([tmp_path / "b"])


def test_simulated_storms_with_a_trace_name_their_driver(tmp_path: Path):
    """The first four dpc_storm_cvp seeds that stage a trace on the storm's host (the simulator
    draws whether it does, so which seeds those are changes with its tables)."""
    checked = 0
    for seed in range(1, 80):
        truth, findings = _analyze_sim("dpc_storm_cvp", seed, tmp_path / str(seed))
        want = truth["incidents"][0]["driver"]
        if not want:
            continue
        _names_its_driver(findings, want)
        checked += 1
        if checked == 4:
            return
    pytest.fail(f"only {checked} of 79 seeds stage a trace on the storm's host")


def _names_its_driver(findings, want: str) -> None:
    top = findings.incidents[0].causes[0]
    assert top.id == "dpc_storm" and top.driver is not None
    assert top.driver["module"] == want
    assert want in top.remedy and want in " ".join(top.evidence)
    # Healthy reports of the other host name nobody.
    for host in findings.hosts:
        if host.name != top.host:
            assert all(r["module"] is None for r in host.dpc_reports)


def test_a_storm_without_heartbeat_loss_is_described_not_an_incident(tmp_path: Path):
    for seed in range(1, 30):
        truth, findings = _analyze_sim("dpc_no_loss", seed, tmp_path / str(seed))
        if truth["traces"]:
            break
    else:
        pytest.fail("no dpc_no_loss seed with a trace")
    assert findings.incidents == []
    named = [r["module"] for h in findings.hosts for r in h.dpc_reports]
    assert truth["traces"][0]["culprit"] in named


def test_a_report_no_clue_ties_to_a_server_is_named_in_the_remedy(tmp_path: Path):
    """Flat layout: a WPA export named only by its start time belongs to no host; the remedy
    says so and how to name it, and with the host's name in front the driver is named."""
    from hbtriage import analyze
    from hbtriage.simulate.scenarios import generate

    truth = generate("dpc_storm_cvp", tmp_path / "b", 1)
    flat = tmp_path / "flat"
    flat.mkdir()
    for f in (tmp_path / "b").glob("*/*"):
        (flat / f.name).write_bytes(f.read_bytes())
    wpa = next(flat.glob("*_DPC_ISR_Raw_Rows.csv"))
    top = analyze([flat]).incidents[0].causes[0]
    assert top.driver is None and wpa.name in top.remedy and "start its name" in top.remedy
    wpa.rename(flat / f"{top.host}_{wpa.name}")
    top = analyze([flat]).incidents[0].causes[0]
    assert top.driver is not None and top.driver["module"] == truth["incidents"][0]["driver"]


def test_an_xperf_report_cut_to_its_usage_table_is_read_and_names_no_one(tmp_path: Path):
    """The summing-by-module table alone (how reports get pasted): read by content, modules
    ranked by their time, and 1.4 % of one CPU in Wdf01000.sys is nobody's fault."""
    from hbtriage import analyze

    src = Path(__file__).parent / "fixtures/dpcisr/xperf/dpcisr_usage_table_only.txt"
    host = tmp_path / "PG1A"
    host.mkdir()
    (host / "output.txt").write_bytes(src.read_bytes())
    findings = analyze([host])
    [inp] = findings.inputs
    assert inp.kind == "xperf_dpcisr"
    [rep] = findings.hosts[0].dpc_reports
    assert rep["module"] is None
    assert [m["module"] for m in rep["top"][:2]] == ["wdf01000.sys", "dxgkrnl.sys"]


def test_the_incident_chart_draws_the_named_drivers_dpc_time(tmp_path: Path):
    """A WPA export with times: the incident's chart gets a row of DPC time per second for the
    host's busiest drivers, and the culprit's line peaks inside the incident."""
    from hbtriage import api
    from hbtriage.report.charts import chart_data
    from hbtriage.simulate.scenarios import generate

    truth = generate("dpc_storm_cvp", tmp_path / "b", 1)
    culprit = truth["incidents"][0]["driver"]
    run = api.run([tmp_path / "b"])
    doc = chart_data(run.findings, run.timeline, ("en",))
    (chart,) = [c for c in doc["charts"]["en"] if c["id"] == "chart-INC-001"]
    labels = [a["text"] for a in chart["layout"]["annotations"]]
    assert labels[-1].startswith("DPC time by driver")
    (line,) = [d for d in chart["data"] if d["name"].endswith(culprit)]
    peak_at = line["x"][line["y"].index(max(line["y"]))]
    inc = run.findings.incidents[0]
    assert inc.start.timestamp() * 1000 - 15_000 <= peak_at <= inc.end.timestamp() * 1000 + 15_000


def test_a_driver_the_catalog_does_not_know_gets_the_catalogs_words_for_it():
    """A culprit no [[driver]] pattern matches: the remedy (EN and JA) names it with the
    catalog's 'unknown' category and keeps the OS-fitted remedy after it."""
    rep = _report(_per_second({"contoso.sys": 400_000.0}, {"ndis.sys": 2000, "contoso.sys": 500}))
    att = drivers.attribute([rep], "CVP1", LO, HI, CAT)
    assert att is not None and att.culprit is not None and att.entry is None
    doc = att.to_dict(CAT)
    assert doc["category"] is None and doc["what"] == CAT.drivers.unknown.title
    incidents, hosts = _cause_with(doc)
    fit_driver_remedies(incidents, hosts, CAT)
    cause = incidents[0].causes[0]
    assert cause.remedy.startswith("The xperf dpcisr report of CVP1 names contoso.sys")
    assert CAT.drivers.unknown.title in cause.remedy
    assert "5.2.3790.4524" in cause.remedy  # the cause's own remedy follows
    assert "contoso.sys" in cause.remedy_ja and CAT.drivers.unknown.title_ja in cause.remedy_ja


def test_every_driver_of_the_catalog_says_what_it_is_in_english_and_japanese(tmp_path: Path):
    """The culprit's description in the reports: `title` and `title_ja` of each [[driver]]; a
    site layer that gives no `title_ja` shows its English."""
    import re
    import tomllib

    from hbtriage.catalog import bundled_text

    doc = tomllib.loads(bundled_text("drivers.toml")[0])
    assert len(doc["driver"]) == len(CAT.drivers.entries) > 20
    for entry in doc["driver"]:
        assert entry.get("title") and entry.get("title_ja"), entry["id"]
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", entry["title_ja"]), entry["id"]
    assert all(e.title_ja and e.title_ja != e.title for e in CAT.drivers.entries)
    (tmp_path / "drivers.toml").write_text(
        '[[driver]]\nid = "x"\nmatch = ["x.sys"]\ncategory = "nic"\ntitle = "X NIC"\n'
        'reference = "r"\n',
        encoding="utf-8",
    )
    site = load_catalog(extra=[tmp_path]).drivers.lookup("x.sys")
    assert site is not None and site.title_ja == "X NIC"
    (tmp_path / "drivers.toml").write_text(
        '[[driver]]\nid = "x"\nmatch = ["x.sys"]\ncategory = "nic"\ntitle = "X"\ntitle_ja = 3\n'
        'reference = "r"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="title_ja"):
        load_catalog(extra=[tmp_path])


def test_a_japanese_report_says_what_the_culprit_driver_is_in_japanese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import json

    from typer.testing import CliRunner

    from hbtriage.cli import app
    from hbtriage.simulate.scenarios import generate

    for seed in range(1, 40):  # the first seed that stages a trace on the storm's host
        want = generate("dpc_storm_cvp", tmp_path / str(seed) / "b", seed)["incidents"][0]
        if want["driver"]:
            break
    entry = CAT.drivers.lookup(want["driver"])
    assert entry is not None
    monkeypatch.chdir(tmp_path / str(seed))
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app,
        ["analyze", "b", "--out", str(out), "--lang", "ja", "--format", "md", "--format", "text"],
        catch_exceptions=False,
    )
    assert res.exit_code in (0, 1), res.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    driver = doc["incidents"][0]["causes"][0]["driver"]
    assert (driver["module"], driver["what"], driver["what_ja"]) == (
        want["driver"],
        entry.title,
        entry.title_ja,
    )
    md = (out / "report.md").read_text(encoding="utf-8")
    assert f"{want['driver']} ({entry.title_ja}" in md.replace("\\", "")
    assert entry.title not in md
    text = "".join(res.output.split())  # rich folds lines anywhere in Japanese text
    assert "".join(f"{want['driver']} ({entry.title_ja}".split()) in text
    assert "".join(entry.title.split()) not in text
