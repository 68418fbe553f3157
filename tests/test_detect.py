"""Detectors on small, explicit timelines: what they flag and what they leave alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtriage.catalog import load_catalog
from hbtriage.detect import DETECTORS
from hbtriage.detect.clock_skew import estimate
from hbtriage.detect.counter_anomaly import counter_anomalies
from hbtriage.detect.incidents import find_incidents
from hbtriage.detect.log_gaps import log_gaps
from hbtriage.detect.sample_gaps import sample_gaps, sample_times
from hbtriage.detect.signatures import signature_signals, tag
from hbtriage.findings import Signal
from hbtriage.timeline import COUNTERS_SCHEMA, EVENTS_SCHEMA, Timeline

T0 = datetime(2013, 3, 31, 0, 30, tzinfo=UTC)
CAT = load_catalog()


def _events(rows: list[tuple[str, str, datetime, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "host": [r[0] for r in rows],
            "stream": [r[1] for r in rows],
            "ts": [r[2] for r in rows],
            "line": list(range(1, len(rows) + 1)),
            "severity": [None] * len(rows),
            "component": [None] * len(rows),
            "message": [r[3] for r in rows],
            "signature": [None] * len(rows),
            "source": ["test"] * len(rows),
        },
        schema=EVENTS_SCHEMA,
    )


def _counters(
    host: str, counter: str, values: list[float | None], step: float = 1.0
) -> pl.DataFrame:
    obj, _, name = counter.partition("\\")
    return pl.DataFrame(
        {
            "host": [host] * len(values),
            "object": [obj] * len(values),
            "instance": ["_Total"] * len(values),
            "counter": [name] * len(values),
            "ts": [T0 + timedelta(seconds=i * step) for i in range(len(values))],
            "value": values,
        },
        schema=COUNTERS_SCHEMA,
    )


def _tl(events: pl.DataFrame | None = None, counters: pl.DataFrame | None = None) -> Timeline:
    ev = events if events is not None else pl.DataFrame(schema=EVENTS_SCHEMA)
    ct = counters if counters is not None else pl.DataFrame(schema=COUNTERS_SCHEMA)
    streams = (
        ev.group_by(["host", "stream"])
        .agg(
            pl.col("ts").min().alias("first"),
            pl.col("ts").max().alias("last"),
            pl.len().alias("lines"),
        )
        .with_columns(pl.lit("icm_dumplog").alias("kind"), pl.lit(0.2).alias("cadence_s"))
    )
    return Timeline(ev, ct, streams)


def _busy(host: str, stream: str, silent: tuple[float, float] | None, seconds: int = 600) -> list:
    rows = []
    t = 0.0
    while t < seconds:
        if not (silent and silent[0] < t < silent[1]):
            rows.append((host, stream, T0 + timedelta(seconds=t), "routine trace"))
        t += 0.25
    return rows


def test_log_gap_found_against_the_streams_own_cadence() -> None:
    tl = _tl(_events(_busy("PG1A", "pim1", (400.0, 411.0))))
    gaps = log_gaps(tl, CAT)
    assert len(gaps) == 1
    g = gaps[0]
    assert g.host == "PG1A" and g.kind == "log_gap"
    assert g.start == T0 + timedelta(seconds=400) and g.end == T0 + timedelta(seconds=411)
    assert "silent for 11.0 s" in g.detail


def test_quiet_stream_pauses_are_not_gaps() -> None:
    # A stream writing every 30 s never has a "gap" of 30 s.
    rows = [("CVP1", "Error", T0 + timedelta(seconds=30 * i), "status") for i in range(100)]
    assert log_gaps(_tl(_events(rows)), CAT) == []


def test_dpc_rate_zero_to_ten_is_an_anomaly() -> None:
    values: list[float | None] = [None] + [0.0] * 400 + [10.0] * 11 + [0.0, 1.0] * 100
    sig = counter_anomalies(_tl(counters=_counters("CVP1", "Processor\\DPC Rate", values)), CAT)
    assert len(sig) == 1
    s = sig[0]
    assert s.data["baseline"] == 0 and s.data["peak"] == 10 and s.data["samples"] == 11
    assert s.start == T0 + timedelta(seconds=401)
    assert "DPC Rate 0 → 10" in s.detail


def test_noise_is_not_an_anomaly() -> None:
    values = [float(v % 3) for v in range(600)]  # 0,1,2 ... DPC Rate jitter
    assert (
        counter_anomalies(_tl(counters=_counters("PG1A", "Processor\\DPC Rate", values)), CAT) == []
    )
    busy = [50.0 + (v % 7) for v in range(600)]  # a busy but steady CPU is not saturation
    ct = _counters("PG1A", "Processor\\% Processor Time", busy)
    assert counter_anomalies(_tl(counters=ct), CAT) == []


def test_available_memory_fall_is_a_down_anomaly() -> None:
    values = [4000.0] * 300 + [150.0] * 5 + [4000.0] * 300
    sig = counter_anomalies(
        _tl(counters=_counters("CVP1", "Memory\\Available MBytes", values)), CAT
    )
    assert [s.data["direction"] for s in sig] == ["down"]
    assert sig[0].data["peak"] == 150.0


def test_sample_gap() -> None:
    ct = _counters("CVP1", "Processor\\DPC Rate", [0.0] * 300)
    ct = ct.filter(
        (pl.col("ts") < T0 + timedelta(seconds=100)) | (pl.col("ts") > T0 + timedelta(seconds=130))
    )
    gaps = sample_gaps(_tl(counters=ct), CAT)
    assert len(gaps) == 1 and gaps[0].data["seconds"] == pytest.approx(32.0)


def test_a_run_of_blank_cells_is_a_sample_gap_of_that_host_alone() -> None:
    """A collector kept writing rows while the remote CVP did not answer (its cells " ", read
    as null): the CVP's samples stopped for 30 s; the collector's did not."""
    blanks: list[float | None] = [1.0] * 100 + [None] * 30 + [1.0] * 170
    ct = pl.concat(
        [
            _counters("PG1A", "Processor\\DPC Rate", [0.0] * 300),
            _counters("CVP1", "Processor\\DPC Rate", blanks),
            _counters("CVP1", "Processor\\% DPC Time", blanks),
        ]
    )
    (gap,) = sample_gaps(_tl(counters=ct), CAT)
    assert (gap.host, gap.data["seconds"]) == ("CVP1", 31.0)
    assert gap.detail == "perfmon samples stopped for 31.0 s (sampling interval 1.0 s)"
    # One counter blank (a rate counter's first sample, a counter it could not read) while
    # another has a value is still a sample.
    one = pl.concat(
        [
            ct.filter(pl.col("counter") != "% DPC Time"),
            _counters("CVP1", "Processor\\% DPC Time", [1.0] * 300),
        ]
    )
    assert sample_gaps(_tl(counters=one), CAT) == []


@settings(max_examples=80, deadline=None)
@given(
    cells=st.lists(
        st.tuples(st.sampled_from(["PG1A", "CVP1"]), st.integers(0, 40), st.booleans()),
        max_size=120,
    )
)
def test_sample_times_are_the_times_a_host_has_any_value(
    cells: list[tuple[str, int, bool]],
) -> None:
    """Whatever the blanks and the row order: a host's sample times are the distinct times at
    which at least one of its cells has a value, sorted, one host after the other."""
    ct = pl.DataFrame(
        {
            "host": [h for h, _, _ in cells],
            "object": ["Processor"] * len(cells),
            "instance": ["_Total"] * len(cells),
            "counter": ["DPC Rate"] * len(cells),
            "ts": [T0 + timedelta(seconds=t) for _, t, _ in cells],
            "value": [1.0 if v else None for _, _, v in cells],
        },
        schema=COUNTERS_SCHEMA,
    )
    want = sorted({(h, t) for h, t, v in cells if v})
    got = sample_times(ct) if cells else None
    if got is None:
        return
    assert [(h, int((t - T0).total_seconds())) for h, t in got.iter_rows()] == want


def test_signatures_tag_the_reference_messages() -> None:
    rows = _busy("CVP1", "CVP", None, 30) + [
        (
            "CVP1",
            "Error",
            T0 + timedelta(seconds=10),
            "LOGMSG_ICM_SS_GENERAL_INFO: Missed 2 VRU PIM heartbeats. Closing session and waiting for new connection from PIM. [id:2007]",
        ),
        (
            "PG1A",
            "pim1",
            T0 + timedelta(seconds=10),
            "pim1 Error receiving data from VRU.\n\tLast API Error [10054]: An existing connection was forcibly closed by the remote host.",
        ),
    ]
    tl = _tl(_events(rows))
    tl = Timeline(
        tl.events,
        tl.counters,
        tl.streams.with_columns(
            pl.when(pl.col("host") == "CVP1")
            .then(pl.lit("cvp_log"))
            .otherwise(pl.lit("icm_dumplog"))
            .alias("kind")
        ),
    )
    tagged = tag(tl, CAT)
    sigs = tagged.events.filter(pl.col("signature").is_not_null())
    assert sorted(sigs["signature"].to_list()) == [
        "cvp.missed_vru_heartbeats",
        "pim.vru_recv_error",
    ]
    signals = signature_signals(tagged, CAT)
    incs = find_incidents(signals)
    assert len(incs) == 1 and incs[0].hosts == ["CVP1", "PG1A"]


def test_healthy_lines_match_no_signature() -> None:
    healthy = [
        "VRU heartbeat confirm received from 192.0.2.20",
        "%CVP_8_5_IVR-7-CALL: {Thrd=http-8000-1} VXMLManager:generateVXML: CALLGUID=E1D1",
        "Session with VRU PIM is in service",
        "Connected to the peripheral on 192.0.2.20 port 5000",
    ]
    tl = _tl(_events([("H", "s", T0 + timedelta(seconds=i), m) for i, m in enumerate(healthy)]))
    assert tag(tl, CAT).events["signature"].null_count() == len(healthy)


@settings(max_examples=40, deadline=None)
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(["cvp", "pim", "event", "watch", "none"]),
            st.sampled_from([s.example for s in CAT.signatures if s.example] + ["routine"]),
        ),
        min_size=1,
        max_size=30,
    ),
    filler=st.sampled_from([0, 400]),
)
def test_tags_are_those_of_every_signature_tried_on_every_row(
    lines: list[tuple[str, str]], filler: int
) -> None:
    """Tagging tries only the signatures of the kinds the matching rows' streams are of: the
    same tags as every signature tried on every row (in catalog order), whichever of each
    host's kinds (a stream of no kind: ``none``) and however few of the rows match."""
    from hbtriage.detect.signatures import _rust_pattern

    kinds = {"cvp": "cvp_log", "pim": "icm_dumplog", "event": "eventlog", "watch": "watch_log"}
    rows = [("H", s, T0 + timedelta(seconds=i), m) for i, (s, m) in enumerate(lines)]
    rows += [("H", "cvp", T0 + timedelta(seconds=100 + i), "routine") for i in range(filler)]
    ev = _events(rows)
    streams = ev.group_by(["host", "stream"]).agg(
        pl.col("ts").min().alias("first"), pl.col("ts").max().alias("last"), pl.len().alias("lines")
    )
    streams = streams.with_columns(
        pl.col("stream").cast(pl.Utf8).replace_strict(kinds, default=None).alias("kind"),
        pl.lit(1.0).alias("cadence_s"),
    )
    got = tag(Timeline(ev, pl.DataFrame(schema=COUNTERS_SCHEMA), streams), CAT)
    want: list[str | None] = []
    for _h, stream, _t, message in rows:
        want.append(
            next(
                (
                    s.id
                    for s in CAT.signatures
                    if (not s.kinds or kinds.get(stream) in s.kinds)
                    and pl.Series([message]).str.contains(_rust_pattern(s.pattern))[0]
                ),
                None,
            )
        )
    assert got.events["signature"].cast(pl.Utf8).to_list() == want


@settings(max_examples=150, deadline=None)
@given(
    short=st.lists(
        st.sampled_from([0, 10**6, 299_999_999, 300_000_000, 300_000_001, 333_333_334]),
        min_size=50,  # a stream of fewer lines has no cadence (MIN_LINES)
        max_size=120,
    ),
    long=st.lists(st.sampled_from([400_000_000, 2 * 10**9, 7 * 10**9]), max_size=20),
    at=st.integers(0, 120),
)
def test_gap_threshold_known_by_a_count_is_the_one_of_the_percentile(
    short: list[int], long: list[int], at: int
) -> None:
    """A stream whose steps are mostly short has MIN_GAP_S for its threshold without the
    selection of their 90th percentile: the same gaps, threshold and median, to the last
    bit, as from the percentile (steps on both sides of the count's bound, in nanoseconds)."""
    from itertools import accumulate

    from hbtriage.detect.log_gaps import CADENCE_FACTOR, MIN_GAP_S, _gaps_by_stream

    steps_ns = short[:at] + long + short[at:]
    ns = [int(T0.timestamp()) * 10**9, *accumulate(steps_ns, initial=int(T0.timestamp()) * 10**9)]
    ev = _events([("H", "s", T0, "x")] * len(ns)).with_columns(
        pl.Series("ts", ns).cast(pl.Datetime("ns", "UTC"))
    )
    dt = pl.Series([0, *steps_ns]) / 1e9
    p90 = pl.select(pl.lit(dt.quantile(0.9), pl.Float64).alias("p"))
    threshold = p90.select(pl.max_horizontal(pl.lit(MIN_GAP_S), pl.col("p") * CADENCE_FACTOR))
    want = [(d, threshold.item(), dt.median()) for d in dt.to_list() if d >= threshold.item()]
    got = _gaps_by_stream(ev, [(0, ev.height)])
    assert [(g["dt"], g["threshold"], g["median"]) for g in got] == want


@settings(max_examples=300, deadline=None)
@given(seconds=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_nanosecond_bounds_pick_the_steps_the_seconds_pick(seconds: float) -> None:
    """The integer bounds log_gaps tests steps against are the ones where the division into
    seconds crosses the bound: the same steps on either side as a test on the seconds."""
    from hbtriage.detect.log_gaps import _ns_at_least, _ns_at_most

    hi, lo = _ns_at_most(seconds), _ns_at_least(seconds)
    near = pl.Series([hi - 1, hi, hi + 1, lo - 1, lo, lo + 1], dtype=pl.Int64)
    secs = near / 1e9
    assert (near <= hi).to_list() == (secs <= seconds).to_list()
    assert (near >= lo).to_list() == (secs >= seconds).to_list()


def test_clock_skew_from_paired_events() -> None:
    def sig(host: str, sec: float) -> Signal:
        ts = T0 + timedelta(seconds=sec)
        return Signal(
            "signature", host, ts, ts, "", {"pair": "vru_session_close", "role": "disconnect"}
        )

    skews = estimate(
        [sig("PG1A", 100.0), sig("CVP1", 137.2), sig("PG1A", 900.0), sig("CVP1", 937.0)], "PG1A"
    )
    assert len(skews) == 1
    assert skews[0].host == "CVP1" and skews[0].offset_s == pytest.approx(37.1)
    assert skews[0].applied


@pytest.mark.parametrize("detector", DETECTORS, ids=lambda d: d.__name__)
def test_every_detector_survives_empty_and_hostile_input(detector) -> None:  # type: ignore[no-untyped-def]
    assert detector(_tl(), CAT) == []
    hostile = [
        ("H<script>", "s\x00", T0 + timedelta(seconds=i), "<script>alert(1)</script>" * (i + 1))
        for i in range(60)
    ]
    out = detector(
        _tl(_events(hostile), _counters("H", "Processor\\DPC Rate", [float("nan")] * 20)), CAT
    )
    assert isinstance(out, list)


def test_zone_of_a_host_is_inferred_from_disconnects_at_both_ends() -> None:
    """Two disconnects 20 min apart, the PG's clock on India time (+05:30) and 7 s fast: the
    offset most pairs agree on is split into the zone (whole quarter hours) and the skew."""
    from hbtriage.detect.clock_skew import infer_zones
    from hbtriage.findings import Signal

    utc = [datetime(2013, 3, 30, 10, 0, tzinfo=UTC), datetime(2013, 3, 30, 10, 20, tzinfo=UTC)]
    shown = [t + timedelta(hours=5, minutes=30, seconds=7) for t in utc]

    def sig(host: str, t: datetime) -> Signal:
        return Signal("signature", host, t, t, "x", {"pair": "vru_session_close"})

    signals = [sig("CVP1", t) for t in utc] + [sig("PG1A", t) for t in shown]
    (guess,) = infer_zones(signals, ["PG1A"], ["CVP1"])
    assert (guess.host, guess.reference, guess.zone_min, guess.pairs) == ("PG1A", "CVP1", 330, 2)
    assert abs(guess.skew_s - 7.0) < 1e-6
    assert infer_zones(signals, ["PG1A"], []) == []
