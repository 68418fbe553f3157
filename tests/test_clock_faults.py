"""Clock faults of ``bench/clocks.py`` end to end: what the user sees in findings.json against
truth.json. A clock hours off is moved onto the PG's, so one loss stays one incident; two
losses hours apart, each logged by one side only (the other side's logs of it were not
collected), are never joined by such a move."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from clocks import BY_NAME, make_bundle

from hbtriage import analyze


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _found(bundle: Path) -> dict[str, Any]:
    return analyze(
        [bundle / h for h in sorted(p.name for p in bundle.iterdir() if p.is_dir())]
    ).to_dict()


def test_a_disconnect_on_each_side_hours_apart_is_two_incidents_not_a_clock_moved(
    tmp_path: Path,
) -> None:
    """A CPU saturation on the CVP at 00:50 and a DPC storm on it at 02:56 UTC; the PG's logs
    of the first and the CVP's of the second are not in the bundle (3 min either side cut
    out). Each server logged one disconnect, 2.1 h apart, both zones stated: the CVP's times
    were moved onto the PG's clock by 'the same disconnect', the two losses joined into one
    incident at 02:56 whose top cause was the first loss's (cpu_saturation), and the first
    loss was gone. Now
    the clocks stay, each loss is its own incident at its true time with its cause, and one
    warning says why the disconnects were not taken for one."""
    b = tmp_path / "b"
    truth = make_bundle(BY_NAME["one_sided_apart"], "two_incidents", 100000, b)
    doc = _found(b)
    cvp = next(h for h, i in truth["hosts"].items() if i["role"] == "cvp")
    pg = next(h for h in truth["hosts"] if h != cvp)
    assert [h["clock_offset_s"] for h in doc["hosts"] if h["name"] == cvp] == [0.0]
    assert len(doc["incidents"]) == 2, [(i["start"], i["hosts"]) for i in doc["incidents"]]
    for inc, true in zip(doc["incidents"], truth["incidents"], strict=True):
        assert abs(_t(inc["start"]) - _t(true["start"])) < timedelta(seconds=30)
        assert inc["causes"][0]["id"] == true["cause"]
    (said,) = [w for w in doc["warnings"] if "were not taken for one disconnect" in w]
    assert said.startswith(f"hosts {cvp} and {pg}: their disconnects 2.11 h apart")
    assert f"{pg}'s logs hold nothing around the other's at " in said
    assert "the clocks were left as they are and each stays its own incident" in said
    ja = doc["warnings_ja"][doc["warnings"].index(said)]
    assert "それぞれ別のインシデントとしました" in ja


@pytest.mark.parametrize("fault", ["cvp+1h", "pg_sysinfo_de+cvp1h"])
def test_a_cvp_clock_an_hour_off_is_still_moved_into_one_incident(
    tmp_path: Path, fault: str
) -> None:
    """The guard leaves the move where it belongs: one loss, the CVP's clock an hour fast
    (zones stated, or the PG's only in its German systeminfo), is one incident at its true
    time on both servers with the CVP's clock offset an hour."""
    b = tmp_path / "b"
    truth = make_bundle(BY_NAME[fault], "dpc_storm_cvp", 100000, b)
    doc = _found(b)
    (true,) = truth["incidents"]
    (inc,) = doc["incidents"]
    assert inc["hosts"] == sorted(truth["hosts"])
    assert abs(_t(inc["start"]) - _t(true["start"])) < timedelta(seconds=30)
    assert (inc["causes"][0]["id"], inc["causes"][0]["host"]) == ("dpc_storm", true["host"])
    (cvp,) = [h for h in doc["hosts"] if h["name"] == true["host"]]
    assert cvp["clock_offset_s"] == pytest.approx(3600.0, abs=1.0)


def test_an_inferred_offset_no_zone_has_is_said_to_be_a_clock_off(tmp_path: Path) -> None:
    """A PG in New York with no zone clue, and the CVP's clock 9 h fast: the PG's times,
    taken against the CVP's by the same disconnect, read UTC-14:00. It was said as the PG's
    zone, 'UTC-14:00 inferred', though no zone is that far west. The warning now says its clock
    or date is off (the times are still put on the CVP's clock: one incident)."""
    from clocks import Fault

    fault = Fault(
        "pg_no_zone+cvp9h",
        "PG with no zone clue in New York, CVP clock 9 h fast",
        cvp_skew_s=9 * 3600.0,
        zone=("America/New_York", "Eastern Standard Time", -300),
        pg_clue="none",
    )
    b = tmp_path / "b"
    truth = make_bundle(fault, "dpc_storm_cvp", 100000, b)
    doc = _found(b)
    cvp = next(h for h, i in truth["hosts"].items() if i["role"] == "cvp")
    pg = next(h for h in truth["hosts"] if h != cvp)
    assert len(doc["incidents"]) == 1
    (said,) = [w for w in doc["warnings"] if w.startswith(f"host {pg}: no time zone")]
    assert "its clock reads UTC-14:00, which no time zone does: its clock or date is off" in said
    assert "inferred" not in said
    ja = doc["warnings_ja"][doc["warnings"].index(said)]
    assert "そのようなタイム ゾーンはありません" in ja
