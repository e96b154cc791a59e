"""Rate limits on logging in: failed attempts per account and per address.

Each failed password check counts against the account (the email, in any case) and
against the caller's address. Once either has had too many failures within the window,
further attempts are refused with 429 and a ``Retry-After`` until the oldest failure
leaves the window; the password is not even checked, so guessing gains nothing. A
successful log-in clears the account's count. The failures are rows in the database
(`server.store.attempts`), so every server process on every machine counts them together
and a restart forgets nothing; what a limiter holds is only its limits and its clock.

The caller's address comes from `client_address`, a context variable the HTTP layer
sets for each request (behind a trusted proxy, the forwarded client address).
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Callable
from contextvars import ContextVar

from server.domain import Services
from server.problems import too_many_attempts
from server.store import attempts
from server.store.database import Database

ACCOUNT_FAILURES = 10
ADDRESS_FAILURES = 100
WINDOW_SECONDS = 600.0

client_address: ContextVar[str | None] = ContextVar("jaring_client_address", default=None)


class LoginLimiter:
    """The limits on failed log-ins under ``account:…`` and ``address:…``, and the clock
    (seconds since the epoch) their sliding windows are measured with."""

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
        self._clock = clock or time.time

    def check(self, db: Database, email: str, address: str | None) -> None:
        """Raise 429 if the account or the address is over its limit."""
        now = self._clock()
        keys = self._keys(email, address)
        with db.read() as session:
            counts = attempts.recent(session, [key for _, key in keys], since=now - self.window)
        wait = 0.0
        for kind, key in keys:
            count, oldest = counts.get(key, (0, now))
            if count >= self.limits[kind]:
                wait = max(wait, oldest + self.window - now)
        if wait > 0:
            raise too_many_attempts(max(1, math.ceil(wait)))

    def failed(self, db: Database, email: str, address: str | None) -> None:
        with db.write() as session:
            attempts.add(session, [key for _, key in self._keys(email, address)], at=self._clock())

    def succeeded(self, db: Database, email: str) -> None:
        key = self._keys(email, None)[0][1]
        with db.read() as session:
            if not attempts.any_under(session, key):
                return  # the usual case: no write for a log-in that never failed
        with db.write() as session:
            attempts.forget(session, key)

    @staticmethod
    def _keys(email: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("account", f"account:{email.strip().lower()}")]
        if address:
            keys.append(("address", f"address:{address}"))
        return keys


_limiters: weakref.WeakKeyDictionary[Database, LoginLimiter] = weakref.WeakKeyDictionary()
_limiters_lock = threading.Lock()


def limiter_for(services: Services) -> LoginLimiter:
    """The limits used with this database (the defaults, or a test's own)."""
    with _limiters_lock:
        limiter = _limiters.get(services.db)
        if limiter is None:
            limiter = _limiters[services.db] = LoginLimiter()
        return limiter


def before_attempt(services: Services, email: str) -> None:
    limiter_for(services).check(services.db, email, client_address.get())


def after_attempt(services: Services, email: str, *, ok: bool) -> None:
    limiter = limiter_for(services)
    if ok:
        limiter.succeeded(services.db, email)
    else:
        limiter.failed(services.db, email, client_address.get())


def use_limiter(services: Services, limiter: LoginLimiter) -> None:
    """Replace the login limiter of this database (other limits, or a test's clock)."""
    with _limiters_lock:
        _limiters[services.db] = limiter
