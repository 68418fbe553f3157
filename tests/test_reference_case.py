"""The reference case end to end: the golden test of hbtriage (issue: foundation).

The bundled recreation of the support case (PG1A + CVP1, 2013-03-30 19:36 UTC-5) must give one
incident 00:36:46Z → ~00:36:57Z on both hosts with ``dpc_storm`` on CVP1 first, whatever the
layout the files come in; without CVP1's perfmon the tool must say it cannot tell, and why.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hbtriage import analyze
from hbtriage.cli import reference_bundle
from hbtriage.findings import Findings

REF = reference_bundle()


def _summary(f: Findings) -> list[tuple[str, str, list[str], str, str | None]]:
    return [
        (
            i.start.strftime("%Y-%m-%dT%H:%M:%S"),
            i.end.strftime("%Y-%m-%dT%H:%M:%S"),
            i.hosts,
            i.causes[0].id,
            i.causes[0].host,
        )
        for i in f.incidents
    ]


@pytest.fixture(scope="module")
def reference() -> Findings:
    return analyze([REF])


def test_one_incident_dpc_storm_on_cvp1(reference: Findings) -> None:
    assert len(reference.incidents) == 1
    inc = reference.incidents[0]
    assert inc.start.strftime("%Y-%m-%dT%H:%M:%SZ") == "2013-03-31T00:36:46Z"
    assert (
        datetime(2013, 3, 31, 0, 36, 56, tzinfo=UTC)
        <= inc.end
        <= datetime(2013, 3, 31, 0, 36, 58, tzinfo=UTC)
    )
    assert inc.hosts == ["CVP1", "PG1A"]
    top = inc.causes[0]
    assert (top.id, top.host) == ("dpc_storm", "CVP1")
    assert top.confidence >= 0.7
    assert any("DPC Rate 0 → 10" in e for e in top.evidence)
    assert "5.2.3790.4524" in top.remedy and "Receive Side Scaling" in top.remedy
    assert "reboot" in top.remedy
    # PG1A stayed quiet: no counter of PG1A is evidence.
    assert not [s for s in inc.signals if s.kind == "counter_anomaly" and s.host == "PG1A"]
    kinds = {(s.kind, s.host) for s in inc.signals}
    assert {("log_gap", "PG1A"), ("log_gap", "CVP1"), ("counter_anomaly", "CVP1")} <= kinds
    sigs = {s.data["signature"] for s in inc.signals if s.kind == "signature"}
    assert {
        "cvp.vru_pim_shutdown",
        "cvp.ged125_terminate",
        "cvp.missed_vru_heartbeats",
        "pim.vru_recv_error",
        "pim.vru_tcp_broken",
    } <= sigs


def test_inputs_say_host_zone_and_why(reference: Findings) -> None:
    by_name = {Path(i.path).name: i for i in reference.inputs}
    pim = by_name["pim1.txt"]
    assert (pim.kind, pim.host) == ("icm_dumplog", "PG1A")
    assert pim.zone_source == "perfmon header" and "UTC-05:00" in (pim.zone or "")
    assert "folder" in pim.host_reason
    cvp = by_name["CVP.2013-03-30.log"]
    assert (cvp.kind, cvp.host) == ("cvp_log", "CVP1")
    perf = by_name["CVP1_perfmon.csv"]
    assert (perf.kind, perf.host) == ("perfmon_csv", "CVP1")
    assert reference.warnings == []


def _copy_flat_renamed(dst: Path, drop: str | None = None) -> None:
    dst.mkdir()
    for n, p in enumerate(sorted(REF.rglob("*"))):
        if p.is_file() and p.name != drop:
            shutil.copy(p, dst / f"file{n:02d}.dat")


def test_same_findings_flat_renamed_and_zipped(tmp_path: Path, reference: Findings) -> None:
    flat = tmp_path / "flat"
    _copy_flat_renamed(flat)
    assert _summary(analyze([flat])) == _summary(reference)

    zpath = tmp_path / "case.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in REF.rglob("*"):
            if p.is_file():
                zf.write(p, "collected/" + str(p.relative_to(REF)))
    zipped = analyze([zpath])
    assert _summary(zipped) == _summary(reference)
    assert {i.host for i in zipped.inputs} == {"PG1A", "CVP1"}


def test_without_cvp1_perfmon_the_cause_is_unknown_and_says_why(tmp_path: Path) -> None:
    for layout in ("folders", "flat"):
        dst = tmp_path / layout
        if layout == "flat":
            _copy_flat_renamed(dst, drop="CVP1_perfmon.csv")
        else:
            shutil.copytree(REF, dst)
            (dst / "CVP1" / "CVP1_perfmon.csv").unlink()
        f = analyze([dst])
        assert len(f.incidents) == 1, layout
        top = f.incidents[0].causes[0]
        assert top.id == "unknown", layout
        text = "\n".join(top.evidence)
        # In a flat folder nothing names the CVP host any more but the address its PIM log
        # connects to (the VRU's).
        cvp = "CVP1" if layout == "folders" else "192.0.2.20"
        assert f"no perfmon for {cvp}" in text, (layout, text)
        assert "DPC Rate" in text  # what to collect


_CVP_TS = re.compile(r"([A-Z][a-z]{2} [ 0-9]\d \d{4} \d\d:\d\d:\d\d\.\d{3})")
_PDH_TS = re.compile(r'^"(\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\.\d{3})"', re.M)


def _shift_file(path: Path, seconds: float) -> None:
    text = path.read_text(encoding="utf-8")

    def cvp(m: re.Match[str]) -> str:
        t = datetime.strptime(m.group(1).replace("  ", " 0"), "%b %d %Y %H:%M:%S.%f") + timedelta(
            seconds=seconds
        )
        return t.strftime("%b %d %Y %H:%M:%S.") + f"{t.microsecond // 1000:03d}"

    def pdh(m: re.Match[str]) -> str:
        t = datetime.strptime(m.group(1), "%m/%d/%Y %H:%M:%S.%f") + timedelta(seconds=seconds)
        return '"' + t.strftime("%m/%d/%Y %H:%M:%S.") + f'{t.microsecond // 1000:03d}"'

    text = _PDH_TS.sub(pdh, text) if path.suffix == ".csv" else _CVP_TS.sub(cvp, text)
    path.write_text(text, encoding="utf-8", newline="")


def test_clock_skew_is_found_reported_and_corrected(tmp_path: Path) -> None:
    dst = tmp_path / "skewed"
    shutil.copytree(REF, dst)
    for p in (dst / "CVP1").iterdir():
        _shift_file(p, 37.0)
    f = analyze([dst])
    cvp = next(h for h in f.hosts if h.name == "CVP1")
    assert abs(cvp.clock_offset_s - 37.0) < 1.0, cvp
    assert "applied" in cvp.clock_offset_basis
    assert len(f.incidents) == 1
    inc = f.incidents[0]
    assert inc.hosts == ["CVP1", "PG1A"]
    assert inc.causes[0].id == "dpc_storm" and inc.causes[0].host == "CVP1"
    assert inc.start.strftime("%H:%M:%S") == "00:36:46"
    assert any("clock is +37" in w for w in f.warnings)


def test_without_pg1a_perfmon_its_zone_comes_from_the_disconnect_at_both_ends(
    tmp_path: Path,
) -> None:
    """PG1A's dumplog carries no zone; with its perfmon gone the zone is inferred from the same
    disconnect logged by CVP1, in both layouts, and the verdict stays. CVP1's perfmon header
    names its zone with its rules (Central Daylight Time, America/Chicago), at PG1A's offset at
    the disconnect: PG1A takes that zone, not a fixed UTC-05:00 that would put its times an hour
    off across a daylight-saving change."""
    shutil.copytree(REF, tmp_path / "case")
    (tmp_path / "case" / "PG1A" / "PG1A_perfmon.csv").unlink()
    for paths in ([tmp_path / "case"], [tmp_path / "case" / "PG1A", tmp_path / "case" / "CVP1"]):
        f = analyze(paths)
        assert [(c.id, c.host) for i in f.incidents for c in i.causes[:1]] == [
            ("dpc_storm", "CVP1")
        ]
        pg = next(h for h in f.hosts if h.name == "PG1A")
        assert (pg.zone, pg.tz_iana, pg.utc_offset_min) == (
            "America/Chicago",
            "America/Chicago",
            None,
        )
        assert pg.zone_source.startswith("inferred from") and "CVP1" in pg.zone_source
        assert any(w.startswith("host PG1A: no time zone written") for w in f.warnings)
        pim = next(i for i in f.inputs if i.path.endswith("pim1.txt"))
        assert pim.first is not None and pim.first.isoformat().startswith("2013-03-31T00:05:00")
        assert pg.first == pim.first and pim.zone == "America/Chicago"
