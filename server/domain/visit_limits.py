"""Limits on how fast the public atlas's pages may be asked for.

`VisitLimiter`: a token bucket per address, ``per_minute`` requests a minute on average,
up to a burst of a fifth of that at once; beyond it the answer is 429 with
``Retry-After``. `BusyLimiter`: one bucket for every address together, so that however
many addresses ask, the public pages take only so much of a server process and the
phones keep the rest; beyond it the answer is 503 with ``Retry-After: 1``. Buckets live
in memory (per server process); an address's is forgotten when full again.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from server.problems import Problem

MAX_ADDRESSES = 100_000


class VisitLimiter:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] | None = None) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(1.0, per_minute / 5)
        self._clock = clock or time.monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, address: str) -> None:
        """Count one request from ``address``; raise 429 when it has none left."""
        if self.rate <= 0:
            return
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(address, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens < 1:
                self._buckets[address] = (tokens, now)
                raise too_many_requests(math.ceil((1 - tokens) / self.rate))
            self._buckets[address] = (tokens - 1, now)
            if len(self._buckets) > MAX_ADDRESSES:
                self._forget(now)

    def _forget(self, now: float) -> None:
        full = [
            a for a, (t, at) in self._buckets.items() if t + (now - at) * self.rate >= self.burst
        ]
        for address in full:
            del self._buckets[address]


def too_many_requests(retry_after: int) -> Problem:
    return Problem(
        "429.1",
        "Too many requests from this address. Please wait before trying again.",
        {"retryAfter": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


class BusyLimiter:
    """At most ``per_second`` public pages a second in this process (bursts of a tenth
    of a second's worth more); 0 for no limit."""

    def __init__(self, per_second: int, *, clock: Callable[[], float] | None = None) -> None:
        self.rate = float(per_second)
        self.burst = max(1.0, self.rate / 10)
        self._clock = clock or time.monotonic
        self._tokens = self.burst
        self._at = self._clock()
        self._lock = threading.Lock()

    def take(self) -> None:
        if self.rate <= 0:
            return
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                raise too_busy()
            self._tokens -= 1


def too_busy() -> Problem:
    return Problem(
        "503.2",
        "The public pages are very busy. Please try again in a moment.",
        {"retryAfter": 1},
        headers={"Retry-After": "1"},
    )
