"""A whole site in one bundle (two PGs, eight CVP Call Servers): ``analyze`` keeps each
PIM <-> CVP session's loss its own incident and never takes one pair's disconnect for the
other end of another's (which shifted two clocks by the 30 s between them)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hbtriage import analyze
from hbtriage.fleet.sitegen import write_site


@pytest.mark.parametrize("seed", [3, 5])
def test_two_pairs_losing_their_sessions_are_two_incidents_and_no_clock_moves(
    seed: int, tmp_path: Path
) -> None:
    truth = write_site(tmp_path, pgs=2, cvps_per_pg=4, broken=((0, 1), (1, 2)), seed=seed)
    findings = analyze([tmp_path])
    assert all(h.clock_offset_s == pytest.approx(0.0, abs=0.05) for h in findings.hosts)
    assert not any("clock is" in w for w in findings.warnings)
    got = sorted((i.start, tuple(i.hosts)) for i in findings.incidents)
    want = sorted(
        (datetime.fromtimestamp(x["start"] / 1000, UTC), x["pair"]) for x in truth["incidents"]
    )
    assert len(got) == len(want) == 2
    for (start, hosts), (t0, pair) in zip(got, want, strict=True):
        pg, cvp = pair.split("/")[0], pair.split(" <-> ")[1]
        assert set(hosts) == {pg, cvp}
        assert abs((start - t0).total_seconds()) < 15


def _second_pair_beside(root: Path, seed: int) -> dict[str, Any]:
    """The dpc_storm_pg seed 1 pair (PG3A, CVP3: a DPC storm on PG3A at 11:23:59 UTC) and,
    over the same span, vm_stun_pg ``seed``'s pair as the site's other pair, renamed PG4A and
    CVP4 (192.0.2.17 and .21, the same zone), in ``root/p1`` and ``root/p2``. No file writes a
    host's own address (no sender field in the CVP logs, no address in systeminfo): the logs
    name only their peers'. Returns the second pair's truth."""
    from hbtriage.simulate.scenarios import Plan, generate

    first: dict[str, Any] = {}

    def keep(plan: Plan) -> None:
        first.update(span=(plan.start_ms, plan.end_ms), pg=plan.pg, cvp=plan.cvp)

    def beside(plan: Plan) -> None:
        plan.start_ms, plan.end_ms = first["span"]
        plan.pg.name, plan.cvp.name = "PG4A", "CVP4"
        plan.pg.ip, plan.cvp.ip = "192.0.2.17", "192.0.2.21"
        for h, k in ((plan.pg, first["pg"]), (plan.cvp, first["cvp"])):
            h.tz, h.zone_name, h.offset_min = k.tz, k.zone_name, k.offset_min

    generate("dpc_storm_pg", root / "p1", 1, adjust=keep)
    return generate("vm_stun_pg", root / "p2", seed, adjust=beside)


@pytest.mark.parametrize("logs_only", [False, True], ids=["with-perfmon", "logs-only"])
@pytest.mark.parametrize(
    ("seed", "skew"),
    [(2, "+55.1"), (7, "+12.2"), (11, None)],
    ids=["4.5-min-apart", "16-min-apart", "9-min-apart"],
)
def test_two_pairs_whose_addresses_nothing_ties_to_a_host_keep_their_own_clocks(
    tmp_path: Path, logs_only: bool, seed: int, skew: str | None
) -> None:
    """Two PIM <-> CVP pairs of one site, each server's folder given on its own, their losses
    minutes apart (CVP4's clock off PG4A's by ``skew`` seconds). PG4A's PIM reset was paired
    with PG3A's (two PIMs' resets, no one event) and CVP4's missed heartbeats with PG3A's reset:
    4.5 min apart, PG4A's and CVP4's clocks were 'corrected' by +289 s and +344 s and the two
    losses became one incident of four hosts, PG4A's VM stun unnamed; 9 and 16 min apart, CVP4
    was moved onto PG3A's clock as if set 9 or 16 min wrong, and PG4A's stun was an incident of
    its own. With logs only, PG3A's zone was inferred 'from the same disconnect logged by CVP4'.
    Each pair is measured against its own PG."""
    truth = _second_pair_beside(tmp_path / "sim", seed)
    assert [i["cause"] for i in truth["incidents"]] == ["vm_stun"]
    folders = sorted(p for p in (tmp_path / "sim").glob("p?/*") if p.is_dir())
    if logs_only:
        for f in folders:
            for extra in [*f.glob("*perfmon.csv"), *f.glob("systeminfo.txt")]:
                extra.unlink()
    findings = analyze(folders)
    clocks = [w for w in findings.warnings if "clock" in w or "apart" in w]
    want = [f"host CVP4: clock is {skew} s off PG4A"] if skew else []
    assert [w.split(" (")[0] for w in clocks] == want, clocks
    got = [(sorted(i.hosts), i.causes[0].id, i.causes[0].host) for i in findings.incidents]
    got.sort(key=lambda g: g[0])
    if logs_only:
        assert [h for h, _, _ in got] == [["CVP3", "PG3A"], ["CVP4", "PG4A"]]
        inferred = [w for w in findings.warnings if "inferred from the same disconnect" in w]
        assert len(inferred) == 2
        assert any("host PG3A" in w and "logged by CVP3" in w for w in inferred), inferred
        assert any("host PG4A" in w and "logged by CVP4" in w for w in inferred), inferred
    else:
        assert got == [
            (["CVP3", "PG3A"], "dpc_storm", "PG3A"),
            (["CVP4", "PG4A"], "vm_stun", "PG4A"),
        ]


def _two_pairs_in_one_minute(root: Path, lag_s: int) -> None:
    """The dpc_storm_pg seed 1 pair (PG3A, CVP3: a DPC storm on PG3A at 11:23:59 UTC) and
    dpc_storm_pg seed 2's pair as the site's other pair (PG4A, CVP4: 192.0.2.17 and .21, the
    same zone), its capture moved so that PG4A's storm breaks its session ``lag_s`` seconds
    after PG3A's, in ``root/p1`` and ``root/p2``. No file writes a host's own address."""
    from hbtriage.simulate.scenarios import Plan, generate

    first: dict[str, Any] = {}

    def keep(plan: Plan) -> None:
        first.update(span=(plan.start_ms, plan.end_ms), pg=plan.pg, cvp=plan.cvp)

    def beside(shift_ms: int) -> Any:
        def adjust(plan: Plan) -> None:
            plan.start_ms, plan.end_ms = (t + shift_ms for t in first["span"])
            plan.pg.name, plan.cvp.name = "PG4A", "CVP4"
            plan.pg.ip, plan.cvp.ip = "192.0.2.17", "192.0.2.21"
            for h, k in ((plan.pg, first["pg"]), (plan.cvp, first["cvp"])):
                h.tz, h.zone_name, h.offset_min = k.tz, k.zone_name, k.offset_min

        return adjust

    def start_ms(truth: dict[str, Any]) -> int:
        at = datetime.fromisoformat(truth["incidents"][0]["start"].replace("Z", "+00:00"))
        return int(at.timestamp() * 1000)

    one = generate("dpc_storm_pg", root / "p1", 1, adjust=keep)
    drawn = generate("dpc_storm_pg", root / "draw", 2, adjust=beside(0))
    shutil.rmtree(root / "draw")  # drawn only to learn when its storm falls
    shift = start_ms(one) - start_ms(drawn) + lag_s * 1000
    two = generate("dpc_storm_pg", root / "p2", 2, adjust=beside(shift))
    assert start_ms(two) - start_ms(one) == lag_s * 1000


@pytest.mark.parametrize("lag_s", [20, 3])
@pytest.mark.parametrize("given", ["parent", "folders"])
def test_two_pairs_losing_their_sessions_in_the_same_minute_are_two_incidents(
    tmp_path: Path, lag_s: int, given: str
) -> None:
    """A DPC storm on PG3A and another on PG4A, ``lag_s`` seconds later: each PIM <-> CVP
    session lost in the same minute, and no address ties a host to its peer. The four hosts'
    losses were one incident (all within the 60 s that make one), and the one cause kept per
    kind named the better storm's host only: PG3A's storm was named nowhere. The disconnects
    the clocks are paired by tell the sessions: each pair's loss is its own incident."""
    _two_pairs_in_one_minute(tmp_path / "sim", lag_s)
    sim = tmp_path / "sim"
    paths = [sim] if given == "parent" else sorted(sim.glob("p?/*/"))
    findings = analyze(paths)
    got = sorted((sorted(i.hosts), i.causes[0].id, i.causes[0].host) for i in findings.incidents)
    assert got == [
        (["CVP3", "PG3A"], "dpc_storm", "PG3A"),
        (["CVP4", "PG4A"], "dpc_storm", "PG4A"),
    ]


def test_another_pairs_dpc_trace_is_no_cause_of_this_pairs_loss(tmp_path: Path) -> None:
    """The two pairs of the test above, 3 s apart, logs and snapshots only: PG4A's folder
    holds a DPC/ISR trace whose storm covers PG3A's loss too. PG3A's incident (PG3A and CVP3)
    named 'dpc_storm on PG4A': every host of the bundle was scored for every incident, the other
    pair's too. No cause of an incident names a host of another pair's session."""
    _two_pairs_in_one_minute(tmp_path / "sim", 3)
    for extra in [
        *(tmp_path / "sim").glob("p?/*/*perfmon.csv"),
        *tmp_path.glob("**/systeminfo.txt"),
    ]:
        extra.unlink()
    findings = analyze([tmp_path / "sim"])
    got = sorted((sorted(i.hosts), i.causes[0].id, i.causes[0].host) for i in findings.incidents)
    assert got == [
        (["CVP3", "PG3A"], "unknown", None),
        (["CVP4", "PG4A"], "dpc_storm", "PG4A"),
    ]
    assert all(c.host in (None, *i.hosts) for i in findings.incidents for c in i.causes)
