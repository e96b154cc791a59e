"""Log-in attempts are limited per account and per address (429 with Retry-After)."""

from __future__ import annotations

import httpx

from server.domain import Services, ratelimit
from server.domain.accounts import create_user
from server.domain.ratelimit import LoginLimiter
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD

OTHER_EMAIL = "analis@example.org"
OTHER_PASSWORD = "kata-sandi-analis"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _log_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/v1/sessions", json={"email": email, "password": password})


def test_failed_logins_lock_the_account_for_a_while(
    services: Services, client: httpx.Client
) -> None:
    clock = Clock()
    ratelimit.use_limiter(
        services, LoginLimiter(account_failures=3, address_failures=100, clock=clock)
    )
    create_user(services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    create_user(services, email=OTHER_EMAIL, password=OTHER_PASSWORD)
    for _ in range(3):
        assert _log_in(client, ADMIN_EMAIL, "tebakan-salah-1").status_code == 401
    refused = _log_in(client, ADMIN_EMAIL.upper(), ADMIN_PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["code"] == 429.1
    retry_after = int(refused.headers["Retry-After"])
    assert 0 < retry_after <= ratelimit.WINDOW_SECONDS
    # HTTP Basic is the same door.
    basic = client.get("/v1/users/current", auth=(ADMIN_EMAIL, ADMIN_PASSWORD))
    assert basic.status_code == 429
    # Other accounts are not affected.
    assert _log_in(client, OTHER_EMAIL, OTHER_PASSWORD).status_code == 200
    # Once the window has passed, the right password works and clears the count.
    clock.now += retry_after
    assert _log_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 200
    assert _log_in(client, ADMIN_EMAIL, "tebakan-salah-2").status_code == 401
    assert _log_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 200


def test_failed_logins_from_one_address_are_limited(
    services: Services, client: httpx.Client
) -> None:
    ratelimit.use_limiter(
        services, LoginLimiter(account_failures=100, address_failures=4, clock=Clock())
    )
    create_user(services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    for number in range(4):
        wrong = client.get("/v1/projects", auth=(f"tebak{number}@example.org", "salah-salah"))
        assert wrong.status_code == 401
    refused = _log_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers


def test_the_default_limits_are_generous_enough_for_typos(
    services: Services, client: httpx.Client
) -> None:
    create_user(services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    for _ in range(3):
        assert _log_in(client, ADMIN_EMAIL, "salah-ketik-sandi").status_code == 401
    assert _log_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 200
    assert ratelimit.ACCOUNT_FAILURES >= 5
