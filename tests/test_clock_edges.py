"""Clocks at their edges, end to end: a server's clock minutes off its peer, and a dumplog that
writes no date line across midnight. Bundles come from the simulator (real formats); what is
asserted is what the user sees in findings.json and the text report, against truth.json."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from hbtriage.cli import app
from hbtriage.simulate import scenarios

runner = CliRunner()


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _skewed_bundle(
    monkeypatch: pytest.MonkeyPatch, out: Path, skew_s: float, seed: int = 5
) -> dict[str, Any]:
    """A DPC storm on the CVP server whose clock runs ``skew_s`` off the PG's (both in one zone
    without daylight saving, so nothing but the clock sets them apart)."""
    drawn = scenarios._random_plan

    def plan(rng: np.random.Generator, minutes: float) -> scenarios.Plan:
        p = drawn(rng, minutes)
        p.cvp.tz, p.cvp.zone_name, p.cvp.offset_min = p.pg.tz, p.pg.zone_name, p.pg.offset_min
        p.cvp.skew_ms = int(skew_s * 1000)
        return p

    monkeypatch.setattr(scenarios, "_random_plan", plan)
    return scenarios.generate("dpc_storm_cvp", out, seed)


def _analyze(bundle: Path, out: Path) -> tuple[dict[str, Any], str]:
    res = runner.invoke(app, ["analyze", str(bundle), "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    return json.loads((out / "findings.json").read_text(encoding="utf-8")), res.output


@pytest.mark.parametrize("skew_s", [-310.0, 440.0])
def test_a_clock_minutes_off_is_corrected_into_one_incident(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, skew_s: float
) -> None:
    """A CVP clock 5 to 7.5 min off the PG's: the same disconnect at both ends is paired, the
    skew reported and corrected, and the loss is ONE incident on both hosts with its cause.
    Pairs were looked for within 5 min only: past that, two incidents (the PG's 'unknown')
    and not a word about clocks."""
    truth = _skewed_bundle(monkeypatch, tmp_path / "b", skew_s)
    doc, text = _analyze(tmp_path / "b", tmp_path / "out")
    cvp = next(h for h in truth["hosts"] if truth["hosts"][h]["role"] == "cvp")
    pg = next(h for h in truth["hosts"] if h != cvp)
    (true,) = truth["incidents"]
    assert len(doc["incidents"]) == 1
    (inc,) = doc["incidents"]
    assert inc["hosts"] == sorted([cvp, pg])
    assert _t(inc["start"]) <= _t(true["start"]) and _t(inc["end"]) >= _t(true["end"])
    assert (inc["causes"][0]["id"], inc["causes"][0]["host"]) == ("dpc_storm", cvp)
    host = next(h for h in doc["hosts"] if h["name"] == cvp)
    assert host["clock_offset_s"] == pytest.approx(skew_s, abs=0.5)
    assert host["clock_offset_basis"].endswith("; applied")
    said = f"host {cvp}: clock is {host['clock_offset_s']:+.1f} s off {pg}"
    assert any(w.startswith(said) for w in doc["warnings"])
    assert "1 heartbeat-loss incident(s)" in text


def test_a_clock_too_far_off_to_correct_is_named_as_a_clock_not_a_zone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A CVP clock 10 min off: beyond what is corrected, so two incidents, and the warning says
    it is a clock (10.0 min, not whole hours between two whole-hour zones). It said '0.17 h
    apart' and told the user to pass a zone that no server has ('--tz PG=UTC-05:15')."""
    truth = _skewed_bundle(monkeypatch, tmp_path / "b", 600.0)
    doc, text = _analyze(tmp_path / "b", tmp_path / "out")
    cvp = next(h for h in truth["hosts"] if truth["hosts"][h]["role"] == "cvp")
    pg = next(h for h in truth["hosts"] if h != cvp)
    hint = [w for w in doc["warnings"] if "the same disconnect is logged" in w]
    assert len(hint) == 1
    assert f"hosts {cvp} and {pg}: the same disconnect is logged 10.0 min apart" in hint[0]
    assert f"{cvp}'s clock is about +10.0 min off {pg}'s" in hint[0]
    assert "set the servers' clocks right (NTP)" in hint[0]
    assert "pass --tz" not in hint[0]
    assert "10.0 min apart" in " ".join(text.split())


def test_a_dumplog_without_date_lines_across_midnight_is_dated_by_its_end(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A PIM dumplog that writes no 'Events from' line, 23:50 to 00:50 local, the loss after
    midnight, its file last written at its end: its last record takes the modified time's date
    and the first ones the day before. The modified date went to its FIRST record, so every
    record after midnight was a day late: a second incident a day later ('unknown', the PG
    alone) and the true one without the PG."""
    drawn = scenarios._random_plan

    def plan(rng: np.random.Generator, minutes: float) -> scenarios.Plan:
        p = drawn(rng, minutes)
        for h in (p.pg, p.cvp):  # Tokyo: no daylight saving, the perfmon header says so
            h.tz, h.zone_name, h.offset_min, h.locale = (
                "Asia/Tokyo",
                "Tokyo Standard Time",
                540,
                "en",
            )
        p.cvp.skew_ms = 0
        p.start_ms = scenarios._ms(datetime(2013, 12, 31, 14, 50, tzinfo=UTC))  # 23:50 JST
        p.end_ms = p.start_ms + 60 * 60_000
        return p

    monkeypatch.setattr(scenarios, "_random_plan", plan)
    truth = scenarios.generate("dpc_storm_pg", tmp_path / "b", 3)
    pg = next(h for h in truth["hosts"] if truth["hosts"][h]["role"] == "pg")
    pim = tmp_path / "b" / pg / "pim1.txt"
    raw = pim.read_bytes()
    lines = raw.split(b"\r\n") if b"\r\n" in raw else raw.split(b"\n")
    assert sum(x.startswith(b"Events from") for x in lines) == 2  # Dec 31 and Jan 1
    pim.write_bytes(b"\r\n".join(x for x in lines if not x.startswith(b"Events from")))
    end_local = datetime(2014, 1, 1, 0, 55)  # written at its end, on the machine's own clock
    os.utime(pim, (time.mktime(end_local.timetuple()),) * 2)

    doc, _text = _analyze(tmp_path / "b", tmp_path / "out")
    (true,) = truth["incidents"]
    assert len(doc["incidents"]) == 1
    (inc,) = doc["incidents"]
    assert inc["hosts"] == sorted(truth["hosts"])
    assert _t(inc["start"]) <= _t(true["start"]) and _t(inc["end"]) >= _t(true["end"])
    assert (inc["causes"][0]["id"], inc["causes"][0]["host"]) == ("dpc_storm", pg)
    read = next(i for i in doc["inputs"] if i["path"].endswith("pim1.txt"))
    assert read["first"].startswith("2013-12-31T14:5") and read["last"].startswith("2013-12-31T15:")
    assert any("no 'Events from <date>' line" in w for w in doc["warnings"])
