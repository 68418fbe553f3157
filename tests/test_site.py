"""A whole site in one bundle (two PGs, eight CVP Call Servers): ``analyze`` keeps each
PIM <-> CVP session's loss its own incident and never takes one pair's disconnect for the
other end of another's (which shifted two clocks by the 30 s between them)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

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
