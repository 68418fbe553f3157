"""Phi accrual failure detector (Hayashibara et al., 2004; the variant Akka and Cassandra use).

Instead of a yes/no timeout, the detector keeps the recent inter-arrival times of a peer's
heartbeats and answers "how surprising is the silence so far?" as

    phi(t) = -log10(P(next heartbeat arrives later than t))

with the inter-arrival times modelled as a normal distribution (the logistic approximation of
its CDF that Akka uses). phi = 1 means a 10 % chance that the peer is merely late, phi = 8 a
one-in-10^8 chance: the peer (or the path to it) is almost certainly gone.

Parameters (:class:`PhiParams`):

``threshold`` (default 8.0)
    phi at or above which the peer is *suspected*. Higher = fewer false alarms, slower detection.
``window`` (default 200)
    number of recent inter-arrival intervals kept (a ``deque(maxlen=window)``: memory is bounded).
``min_std_dev_s`` (default 0.1 s)
    floor under the measured standard deviation. On a quiet LAN the intervals are almost
    identical; without a floor a jitter of a few milliseconds would already look "impossible".
``acceptable_pause_s`` (default 0.0 s)
    added to the mean interval: a pause this long is considered normal (GC, one lost UDP packet).
``first_interval_s`` (default 1.0 s)
    the expected interval used to seed the history before the first heartbeat pair is seen.

With a 0.2 s heartbeat, ``min_std_dev_s=0.1`` and ``acceptable_pause_s=0.2`` (what
``hbtriage watch`` uses: one interval of pause) phi crosses 8 after ~0.95 s of silence.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

_LN10 = math.log(10.0)


@dataclass(frozen=True)
class PhiParams:
    """Tuning of :class:`PhiAccrualDetector` (see the module docstring)."""

    threshold: float = 8.0
    window: int = 200
    min_std_dev_s: float = 0.1
    acceptable_pause_s: float = 0.0
    first_interval_s: float = 1.0


def phi_value(elapsed_s: float, mean_s: float, std_s: float) -> float:
    """phi for a silence of ``elapsed_s`` given the interval distribution N(mean, std).

    Uses Akka's logistic approximation of the normal CDF, computed in log space so that
    long silences give large finite values instead of ``inf``.
    """
    if std_s <= 0:
        raise ValueError("std_s must be positive")
    y = (elapsed_s - mean_s) / std_s
    a = y * (1.5976 + 0.070566 * y * y)  # e = exp(-a)
    if elapsed_s > mean_s:
        # -log10(e / (1 + e)) = a/ln10 + log10(1 + e)
        return a / _LN10 + math.log1p(math.exp(-a)) / _LN10 if a < 700 else a / _LN10
    # -log10(1 - 1/(1 + e)) = -log10(e / (1 + e)); here a <= 0 so e >= 1
    if -a > 700:
        return 0.0
    e = math.exp(-a)
    return -math.log10(e / (1.0 + e))


class PhiAccrualDetector:
    """Accrual failure detector for one peer and one transport.

    Call :meth:`heartbeat` with the arrival time of every heartbeat and :meth:`phi` with the
    current time. Times are seconds from any monotonic clock.
    """

    def __init__(self, params: PhiParams | None = None) -> None:
        self.params = params or PhiParams()
        if self.params.window < 2:
            raise ValueError("window must be >= 2")
        self._intervals: deque[float] = deque(maxlen=self.params.window)
        self._sum = 0.0
        self._sq = 0.0
        self.last_arrival: float | None = None

    def reset(self) -> None:
        """Forget the history (the peer restarted: its old rhythm says nothing)."""
        self._intervals.clear()
        self._sum = self._sq = 0.0
        self.last_arrival = None

    def _push(self, value: float) -> None:
        if len(self._intervals) == self._intervals.maxlen:
            old = self._intervals[0]
            self._sum -= old
            self._sq -= old * old
        self._intervals.append(value)
        self._sum += value
        self._sq += value * value

    def heartbeat(self, now: float) -> None:
        """Record a heartbeat that arrived at ``now``."""
        if self.last_arrival is None:
            # Seed with the expected interval (mean first, std = mean/4) like Akka does.
            first = self.params.first_interval_s
            self._push(first - first / 4)
            self._push(first + first / 4)
        else:
            gap = now - self.last_arrival
            if gap >= 0:
                self._push(gap)
        self.last_arrival = now

    @property
    def samples(self) -> int:
        return len(self._intervals)

    def mean(self) -> float:
        return self._sum / len(self._intervals) if self._intervals else 0.0

    def std_dev(self) -> float:
        n = len(self._intervals)
        if n == 0:
            return 0.0
        m = self._sum / n
        return math.sqrt(max(self._sq / n - m * m, 0.0))

    def phi(self, now: float) -> float:
        """Suspicion level at ``now``; 0.0 before the first heartbeat."""
        if self.last_arrival is None:
            return 0.0
        mean = self.mean() + self.params.acceptable_pause_s
        std = max(self.std_dev(), self.params.min_std_dev_s)
        return phi_value(now - self.last_arrival, mean, std)

    def is_available(self, now: float) -> bool:
        return self.phi(now) < self.params.threshold
