"""A server's zone from every clue its folder holds, end to end: a PG handed over as its PIM
dumplog and its ``systeminfo`` only (no perfmon), each server's folder passed on its own.
Bundles come from the simulator (real formats) with a real, German ``systeminfo``; what is
asserted is what the user sees in findings.json, against truth.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from hbtriage.cli import app
from hbtriage.simulate import scenarios

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures" / "systeminfo"
#: Real systeminfo of a German Windows 7 (see fixtures/systeminfo/SOURCES.md): its zone is
#: written "(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien", its host OLI7-PC.
GERMAN = FIXTURES / "7_sp1_x64_ultimaten_de_systeminfo.txt"


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


#: Real systeminfo of a Chinese Windows 10 (GBK): host DESKTOP-0CQH3P2, its zone written
#: "(UTC+01:00) 阿姆斯特丹，柏林，..." (no city name the zone catalog's English shares).
CHINESE = FIXTURES / "10_1809_x64_enterprise_zh-cn_systeminfo.txt"


def _berlin_bundle(
    monkeypatch: pytest.MonkeyPatch,
    out: Path,
    cvp_skew_s: float,
    zone: tuple[str, str, int] = ("Europe/Berlin", "W. Europe Standard Time", 60),
    systeminfo: str | None = None,
) -> tuple[dict[str, Any], str, str]:
    """A DPC storm on the CVP in January (Berlin on UTC+01:00 all along, or ``zone``: IANA,
    Windows name, offset); the PG's folder keeps its dumplog and the German systeminfo (or
    ``systeminfo``, its Host Name made the PG's), no perfmon."""
    drawn = scenarios._random_plan

    def plan(rng: np.random.Generator, minutes: float) -> scenarios.Plan:
        p = drawn(rng, minutes)
        for h in (p.pg, p.cvp):
            h.tz, h.zone_name, h.offset_min, h.locale = (*zone, "en")
            h.encoding, h.excel = "utf-8", False
        p.cvp.skew_ms = int(cvp_skew_s * 1000)
        span = p.end_ms - p.start_ms
        p.start_ms = scenarios._ms(datetime(2013, 1, 15, 9, 0, tzinfo=UTC))
        p.end_ms = p.start_ms + span
        return p

    monkeypatch.setattr(scenarios, "_random_plan", plan)
    truth = scenarios.generate("dpc_storm_cvp", out, 7)
    cvp = next(h for h in truth["hosts"] if truth["hosts"][h]["role"] == "cvp")
    pg = next(h for h in truth["hosts"] if h != cvp)
    for f in (out / pg).iterdir():
        if f.name != "pim1.txt":
            f.unlink()
    text = (systeminfo or GERMAN.read_text(encoding="utf-8").replace("OLI7-PC", pg)).replace(
        "{pg}", pg
    )
    (out / pg / "systeminfo.txt").write_text(text, encoding="utf-8", newline="")
    return truth, pg, cvp


def _analyze(*args: str) -> dict[str, Any]:
    res = runner.invoke(app, ["analyze", *args, "--quiet"])
    assert res.exit_code == 0, res.output
    out = Path(args[args.index("--out") + 1])
    doc: dict[str, Any] = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return doc


def test_the_zone_a_german_systeminfo_names_is_the_pg_s_and_the_cvp_clock_is_the_one_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The CVP's clock is an hour fast. The PG's zone was inferred from that CVP's disconnect,
    which took the CVP's error into it: the PG read as UTC+02:00 and the one incident an hour
    late, its systeminfo's "(UTC+01:00) ... Berlin ..." unused. Now the PG's zone is the one
    its systeminfo names, the hour is the CVP's clock: one incident at its true time."""
    truth, pg, cvp = _berlin_bundle(monkeypatch, tmp_path / "b", 3600.0)
    b = tmp_path / "b"
    doc = _analyze(str(b / pg), str(b / cvp), "--out", str(tmp_path / "out"))
    host = {h["name"]: h for h in doc["hosts"]}
    assert host[pg]["tz_iana"] == "Europe/Berlin"
    assert host[pg]["zone_source"] == "the Time Zone its systeminfo names"
    assert host[cvp]["clock_offset_s"] == pytest.approx(3600.0, abs=0.5)
    (true,) = truth["incidents"]
    (inc,) = doc["incidents"]
    assert inc["hosts"] == sorted([pg, cvp])
    assert abs(_t(inc["start"]) - _t(true["start"])) < timedelta(seconds=30)
    assert (inc["causes"][0]["id"], inc["causes"][0]["host"]) == ("dpc_storm", cvp)
    (hint,) = [w for w in doc["warnings"] if "the same disconnect is logged" in w]
    assert f"{pg}: (UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien" in hint
    assert f"{cvp}'s times were moved onto {pg}'s clock" in hint


def test_a_pg_folder_alone_is_put_on_utc_by_its_systeminfo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The PG's folder on its own (dumplog and systeminfo): its times were taken as UTC with
    'no time zone written in its files', an hour off, though its systeminfo names its zone.
    Now its dumplog's first record is on UTC by that zone, and no such warning is given."""
    truth, pg, _cvp = _berlin_bundle(monkeypatch, tmp_path / "b", 0.0)
    doc = _analyze(str(tmp_path / "b" / pg), "--out", str(tmp_path / "out"))
    (dumplog,) = [i for i in doc["inputs"] if i["path"].endswith("pim1.txt")]
    start = _t(truth["capture"]["start"])
    assert abs(_t(dumplog["first"]) - start) < timedelta(seconds=10)
    assert dumplog["zone_source"] == "the Time Zone its systeminfo names"
    assert not any("no time zone" in w for w in doc["warnings"]), doc["warnings"]


@pytest.mark.parametrize(
    ("written", "zone", "placed"),
    [
        ("(UTC+08:00) 北京，重庆，香港特别行政区，乌鲁木齐", ("Asia/Shanghai", "China Standard Time", 480),
         ("Asia/Shanghai", None)),
        ("(UTC+09:00) 서울", ("Asia/Seoul", "Korea Standard Time", 540), (None, 540)),
    ],
)  # fmt: skip
def test_a_chinese_systeminfo_zone_of_no_daylight_saving_puts_the_pg_on_utc(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    written: str,
    zone: tuple[str, str, int],
    placed: tuple[str | None, int | None],
) -> None:
    """The real Chinese systeminfo with its zone line as a PG in Beijing writes it
    ("(UTC+08:00) 北京，重庆，香港特别行政区，乌鲁木齐"): no city of it was in the zone catalog's
    English names, so the zone was not understood and the PG's folder alone was taken as UTC,
    8 hours off. The catalog now holds the Chinese display name (zones.toml titles): the PG is
    on Asia/Shanghai. A display name the catalog lacks (Korean Seoul) is placed by its offset
    alone, as every Windows zone of standard offset UTC+09:00 keeps it all year."""
    raw = CHINESE.read_bytes().decode("gbk")
    (line,) = [x for x in raw.splitlines() if x.startswith("时区:")]
    text = raw.replace("DESKTOP-0CQH3P2", "{pg}").replace(line, f"时区:             {written}")
    truth, pg, _cvp = _berlin_bundle(monkeypatch, tmp_path / "b", 0.0, zone, text)
    doc = _analyze(str(tmp_path / "b" / pg), "--out", str(tmp_path / "out"))
    (dumplog,) = [i for i in doc["inputs"] if i["path"].endswith("pim1.txt")]
    assert abs(_t(dumplog["first"]) - _t(truth["capture"]["start"])) < timedelta(seconds=10)
    assert dumplog["zone_source"] == "the Time Zone its systeminfo names"
    host = {h["name"]: h for h in doc["hosts"]}
    assert (host[pg]["tz_iana"], host[pg]["utc_offset_min"]) == placed
    assert not any("no time zone" in w for w in doc["warnings"]), doc["warnings"]
