"""Rate limits on logging in: failed attempts per account and per address.

Each failed password check counts against the account (the email, in any case) and
against the caller's address. Once either has had too many failures within the window,
further attempts are refused with 429 and a ``Retry-After`` until the oldest failure
leaves the window; the password is not even checked, so guessing gains nothing. A
successful log-in clears the account's count. Counts live in memory, one set per
database (so per server process and per test); a restart forgets them.

The caller's address comes from `client_address`, a context variable the HTTP layer
sets for each request (behind a trusted proxy, the forwarded client address).
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar

from server.domain import Services
from server.problems import too_many_attempts
from server.store.database import Database

ACCOUNT_FAILURES = 10
ADDRESS_FAILURES = 100
WINDOW_SECONDS = 600.0

client_address: ContextVar[str | None] = ContextVar("jaring_client_address", default=None)


class LoginLimiter:
    """Sliding windows of failure times, keyed by ``account:…`` and ``address:…``."""

    def __init__(
        self,
        *,
        account_failures: int = ACCOUNT_FAILURES,
        address_failures: int = ADDRESS_FAILURES,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.limits = {"account": account_failures, "address": address_failures}
        self.window = window_seconds
        self._clock = clock or time.monotonic
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, email: str, address: str | None) -> None:
        """Raise 429 if the account or the address is over its limit."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for kind, key in self._keys(email, address):
                times = self._recent(key, now)
                if len(times) >= self.limits[kind]:
                    wait = max(wait, times[0] + self.window - now)
        if wait > 0:
            raise too_many_attempts(max(1, math.ceil(wait)))

    def failed(self, email: str, address: str | None) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) > 100_000:
                self._failures.clear()
            for _kind, key in self._keys(email, address):
                self._recent(key, now).append(now)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(f"account:{email.strip().lower()}", None)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    @staticmethod
    def _keys(email: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("account", f"account:{email.strip().lower()}")]
        if address:
            keys.append(("address", f"address:{address}"))
        return keys


_limiters: weakref.WeakKeyDictionary[Database, LoginLimiter] = weakref.WeakKeyDictionary()
_limiters_lock = threading.Lock()


def limiter_for(services: Services) -> LoginLimiter:
    """The login limiter of this database (one per server process, one per test)."""
    with _limiters_lock:
        limiter = _limiters.get(services.db)
        if limiter is None:
            limiter = _limiters[services.db] = LoginLimiter()
        return limiter


def before_attempt(services: Services, email: str) -> None:
    limiter_for(services).check(email, client_address.get())


def after_attempt(services: Services, email: str, *, ok: bool) -> None:
    limiter = limiter_for(services)
    if ok:
        limiter.succeeded(email)
    else:
        limiter.failed(email, client_address.get())


def use_limiter(services: Services, limiter: LoginLimiter) -> None:
    """Replace the login limiter of this database (other limits, or a test's clock)."""
    with _limiters_lock:
        _limiters[services.db] = limiter
