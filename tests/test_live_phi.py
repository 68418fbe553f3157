"""Phi accrual detector: values for known heartbeat sequences."""

from __future__ import annotations

import math

import pytest

from hbtriage.live.phi import PhiAccrualDetector, PhiParams, phi_value


def test_phi_at_the_mean_is_a_coin_toss() -> None:
    # P(later than the mean) = 1/2  ->  phi = -log10(0.5)
    assert phi_value(1.0, 1.0, 0.1) == pytest.approx(math.log10(2), abs=1e-6)


@pytest.mark.parametrize(
    ("sigmas", "tail"),
    [(1.0, 0.1587), (2.0, 0.02275), (3.0, 0.00135)],  # normal distribution upper tails
)
def test_phi_matches_the_normal_tail(sigmas: float, tail: float) -> None:
    phi = phi_value(1.0 + sigmas * 0.1, 1.0, 0.1)
    assert phi == pytest.approx(-math.log10(tail), rel=0.03)


def test_long_silence_gives_a_large_finite_phi() -> None:
    phi = phi_value(3600.0, 1.0, 0.1)
    assert math.isfinite(phi) and phi > 1000


def test_regular_heartbeats_then_silence() -> None:
    det = PhiAccrualDetector(PhiParams(min_std_dev_s=0.1, first_interval_s=1.0))
    for k in range(30):
        det.heartbeat(float(k))
    assert det.mean() == pytest.approx(1.0, abs=0.02)
    last = 29.0
    assert det.phi(last + 0.5) < 0.1  # half an interval: nothing to suspect
    assert det.phi(last + 1.0) == pytest.approx(math.log10(2), abs=0.05)
    assert det.is_available(last + 1.3)
    assert not det.is_available(last + 2.0)  # 10 sigmas late
    values = [det.phi(last + t / 10) for t in range(0, 30)]
    assert values == sorted(values)  # phi only grows while the silence lasts


def test_acceptable_pause_shifts_the_threshold() -> None:
    strict = PhiAccrualDetector(PhiParams(min_std_dev_s=0.05, first_interval_s=0.2))
    lenient = PhiAccrualDetector(
        PhiParams(min_std_dev_s=0.05, acceptable_pause_s=0.2, first_interval_s=0.2)
    )
    for k in range(50):
        strict.heartbeat(k * 0.2)
        lenient.heartbeat(k * 0.2)
    now = 49 * 0.2 + 0.5  # one heartbeat lost, the next one late
    assert strict.phi(now) >= 8
    assert lenient.phi(now) < 8


def test_window_is_bounded_and_reset_forgets() -> None:
    det = PhiAccrualDetector(PhiParams(window=10, first_interval_s=1.0))
    for k in range(1000):
        det.heartbeat(k * 0.5)
    assert det.samples == 10
    assert det.mean() == pytest.approx(0.5)
    det.reset()
    assert det.samples == 0 and det.phi(1e6) == 0.0


def test_before_any_heartbeat_nothing_is_suspected() -> None:
    assert PhiAccrualDetector().phi(123.0) == 0.0
