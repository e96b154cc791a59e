"""Pacing the relay: exponential backoff with jitter, and a bandwidth bound.

`Backoff` doubles its ceiling after each failed attempt (from ``base`` up to ``cap``) and
waits a random time below it ("full jitter"), so hubs that lose the same uplink do not
all come back at the same instant. `RateLimiter` is a token bucket over bytes: after
spending ``n`` bytes the caller sleeps long enough that the average stays under the
bound (``--max-rate``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable


class Backoff:
    def __init__(
        self, *, base: float = 1.0, cap: float = 300.0, rng: random.Random | None = None
    ) -> None:
        self.base = base
        self.cap = cap
        self.failures = 0
        self.rng = rng or random.Random()

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before the next attempt."""
        ceiling = min(self.cap, self.base * (2**self.failures))
        self.failures += 1
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0


class RateLimiter:
    """At most ``bytes_per_second`` on average (None: unbounded)."""

    def __init__(
        self,
        bytes_per_second: int | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = bytes_per_second
        self.clock = clock
        self.sleep = sleep
        self._free_at = clock()

    def spend(self, size: int) -> None:
        if not self.rate:
            return
        now = self.clock()
        start = max(now, self._free_at)
        self._free_at = start + size / self.rate
        if self._free_at > now:
            self.sleep(self._free_at - now)
