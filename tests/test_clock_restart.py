"""A peer's restart bounds the clocks when no disconnect pairs (detect/clock_skew.restart_bounds).

When one side's process dies without a word and comes back, only the other side logs the loss:
nothing pairs, and a CVP clock 40-50 s off used to put the loss before the PG went down, so the
incident lay outside the true one (the accuracy bench's known miss, peer_restart_pg seed 100013).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage import analyze
from hbtriage.detect.clock_skew import MIN_APPLIED_S, restart_bounds
from hbtriage.findings import Signal
from hbtriage.simulate.scenarios import generate


def _t(s: str | datetime) -> datetime:
    return s if isinstance(s, datetime) else datetime.fromisoformat(s.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    ("scenario", "seed", "moved", "basis"),
    [
        # The PIM dies without a word and restarts; only the CVP (-50.8 s) logs the loss.
        ("peer_restart_pg", 100013, "CVP2", "clock_skew_restart"),
        # The CVP (-51.4 s) restarts: both ends log the disconnect, the pairing measures the
        # skew and the restart's bound stays out of it.
        ("peer_restart_cvp", 100017, "CVP3", "clock_skew"),
    ],
)
def test_a_skewed_clock_beside_a_restart_gives_the_true_incident(
    tmp_path: Path, scenario: str, seed: int, moved: str, basis: str
) -> None:
    truth = generate(scenario, tmp_path, seed)
    (true,) = truth["incidents"]
    f = analyze([str(tmp_path)])
    assert len(f.incidents) == 1, [(i.start, i.end, i.hosts) for i in f.incidents]
    inc = f.incidents[0]
    # The loss now lies inside the stretch the restarted process was down: the incident starts
    # when it went down (its last line), as the truth says, not ~40 s before.
    assert abs((_t(inc.start) - _t(true["start"])).total_seconds()) < 2.0
    assert sorted(inc.hosts) == sorted(truth["hosts"])
    assert inc.causes[0].id == "peer_restart"
    assert inc.causes[0].host == true["host"]
    host = next(h for h in f.hosts if h.name == moved)
    skew = truth["hosts"][moved]["skew_s"]
    # At least part of the skew, in its direction, and never more than the skew itself.
    assert host.clock_offset_s * skew > 0
    assert 20.0 <= abs(host.clock_offset_s) <= abs(skew) + 1.0
    assert basis in f.warning_ids
    other = "clock_skew" if basis == "clock_skew_restart" else "clock_skew_restart"
    assert other not in f.warning_ids  # one clock, moved once
    assert ("process was down" in host.clock_offset_basis) == (basis == "clock_skew_restart")


def test_clocks_that_agree_are_left_alone(tmp_path: Path) -> None:
    truth = generate("peer_restart_pg", tmp_path, 100001)
    assert all(h["skew_s"] == 0 for h in truth["hosts"].values())
    f = analyze([str(tmp_path)])
    assert "clock_skew_restart" not in f.warning_ids
    assert all(h.clock_offset_s == 0 for h in f.hosts)
    (true,) = truth["incidents"]
    assert any(
        _t(i.start) <= _t(true["end"]) and _t(i.end) >= _t(true["start"]) for i in f.incidents
    )


T0 = datetime(2013, 3, 30, 12, 0, tzinfo=UTC)


def _sig(host: str, at: float, **data: object) -> Signal:
    ts = T0 + timedelta(seconds=at)
    return Signal("signature", host, ts, ts, "", dict(data))


def _loss(host: str, at: float) -> Signal:
    return _sig(host, at, signature="cvp.missed_heartbeats", role="loss", pair="ged125")


def _up(host: str, at: float) -> Signal:
    return _sig(host, at, signature="icm.ems_init", role="restart", stream="pim1")


def _last(down: float) -> object:
    return lambda _host, _stream, _at: T0 + timedelta(seconds=down)


@settings(max_examples=200, deadline=None)
@given(
    down=st.floats(0, 600),
    length=st.floats(5, 120),
    loss=st.floats(-500, 1200),
    pg_is_reference=st.booleans(),
)
def test_the_shift_is_the_least_that_puts_the_loss_inside(
    down: float, length: float, loss: float, pg_is_reference: bool
) -> None:
    up = down + length
    ref = "PG1A" if pg_is_reference else "CVP1"
    signals = [_loss("CVP1", loss), _up("PG1A", up)]
    got = restart_bounds(signals, ref, {}, {ref}, _last(down))  # type: ignore[arg-type]
    inside = down <= loss <= up
    far = abs(up - loss) > 450.0
    least = 0.0 if inside else (loss - down if loss < down else loss - up)
    if far or abs(least) < MIN_APPLIED_S:
        assert got == []
        return
    (sk,) = got
    assert sk.reference == ref and sk.keys == ["restart"]
    moved_loss = sk.host == "CVP1"
    assert sk.host == ("CVP1" if pg_is_reference else "PG1A")
    # After the move, the loss lies on the edge of the stretch the process was down.
    if moved_loss:
        after_loss, after_down, after_up = loss - sk.offset_s, down, up
    else:
        after_loss, after_down, after_up = loss, down - sk.offset_s, up - sk.offset_s
    assert after_down - 1e-6 <= after_loss <= after_up + 1e-6
    assert abs(sk.offset_s) == pytest.approx(abs(least))


def test_what_says_nothing_of_the_clocks_moves_nothing() -> None:
    signals = [_loss("CVP1", 0.0), _up("PG1A", 100.0)]
    down_at = _last(60.0)  # the loss lies 60 s before the PG went down
    assert restart_bounds(signals, "PG1A", {}, {"PG1A"}, down_at)[0].offset_s == -60.0  # type: ignore[arg-type]
    # already aligned by paired disconnects
    assert restart_bounds(signals, "PG1A", {}, {"PG1A", "CVP1"}, down_at) == []  # type: ignore[arg-type]
    # each host's logs name another peer: two sessions
    peers = {"CVP1": {"PG2A"}, "PG1A": {"CVP2"}}
    assert restart_bounds(signals, "PG1A", peers, {"PG1A"}, down_at) == []  # type: ignore[arg-type]
    # the restarted end logged the disconnect too: the pairing tells
    both = [*signals, _loss("PG1A", 50.0)]
    assert restart_bounds(both, "PG1A", {}, {"PG1A"}, down_at) == []  # type: ignore[arg-type]
    # a log silent less than MIN_DOWN_S before its start-up line: no stretch down
    assert restart_bounds(signals, "PG1A", {}, {"PG1A"}, _last(98.0)) == []  # type: ignore[arg-type]
    # no line before the start-up
    none = lambda _h, _s, _a: None  # noqa: E731
    assert restart_bounds(signals, "PG1A", {}, {"PG1A"}, none) == []
    # a loss inside the stretch of another restart of the same host says the clocks agree
    two = [*signals, _loss("CVP1", 95.0)]
    assert restart_bounds(two, "PG1A", {}, {"PG1A"}, down_at) == []  # type: ignore[arg-type]


def test_a_restart_stands_for_the_disconnect_a_pg_without_a_zone_did_not_log(
    tmp_path: Path,
) -> None:
    """The PG's zone is written nowhere once its perfmon is gone (a PIM dumplog writes no
    offset), and a PIM that died without a word logs no disconnect to infer it from: its restart
    stands for one. Before, the PG's times were taken as UTC, an hour off the CVP's loss, and
    the verdict was network_path on the CVP alone."""
    truth = generate("peer_restart_pg", tmp_path, 3)
    pg = next(h for h, v in truth["hosts"].items() if v["role"] == "pg")
    for rel in truth["hosts"][pg]["files"]:
        if rel.endswith("_perfmon.csv"):
            (tmp_path / rel).unlink()
    (true,) = truth["incidents"]
    f = analyze([str(tmp_path)])
    host = next(h for h in f.hosts if h.name == pg)
    assert (
        host.tz_iana == truth["hosts"][pg]["tz"]
        or host.utc_offset_min == truth["hosts"][pg]["offset_min"]
    )
    assert "zone_inferred_restart" in f.warning_ids or "zone_inferred_restart_why" in f.warning_ids
    assert "process was down" in host.zone_source
    (inc,) = f.incidents
    assert abs((_t(inc.start) - _t(true["start"])).total_seconds()) < 2.0
    assert (inc.causes[0].id, inc.causes[0].host) == ("peer_restart", pg)


def test_only_a_host_that_logs_no_disconnect_gets_one_implied() -> None:
    from hbtriage.detect.clock_skew import implied_disconnects

    signals = [_loss("CVP1", 0.0), _up("PG1A", 100.0)]
    (got,) = implied_disconnects(signals, {"PG1A"}, _last(60.0))  # type: ignore[arg-type]
    assert (got.host, got.start, got.data["pair"]) == ("PG1A", T0 + timedelta(seconds=60), "ged125")
    assert implied_disconnects(signals, {"CVP1"}, _last(60.0)) == []  # type: ignore[arg-type]
    # the PG logged a disconnect of its own: that one pairs
    own = [*signals, _loss("PG1A", 70.0)]
    assert implied_disconnects(own, {"PG1A"}, _last(60.0)) == []  # type: ignore[arg-type]
    # silent for less than MIN_DOWN_S: no stretch down
    assert implied_disconnects(signals, {"PG1A"}, _last(97.0)) == []  # type: ignore[arg-type]


def test_each_restart_looks_up_its_last_line_once() -> None:
    """A storm of losses near one restart (a CVP logging its missed heartbeats every few
    seconds) looks the restarted log's last line up once, not once per loss: each look-up is a
    query over the whole timeline."""
    calls: list[object] = []

    def last(host: str, stream: str, at: datetime) -> datetime:
        calls.append((host, stream, at))
        return T0 + timedelta(seconds=60)

    signals = [_loss("CVP1", float(k)) for k in range(0, 50, 2)] + [_up("PG1A", 100.0)]
    (sk,) = restart_bounds(signals, "PG1A", {}, {"PG1A"}, last)
    assert len(calls) == 1
    assert sk.offset_s == -12.0  # the loss nearest the stretch (48 s, 12 s before it went down)
