"""Fixtures of the relay tests: a central server (this test's database: SQLite, or
PostgreSQL when DATABASE_URL is set) and a field hub (always SQLite, its own data
directory), both real ``jaring serve`` processes on loopback, with logged-in clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.domain import Services
from server.domain.accounts import create_user
from server.settings import Settings
from server.store.migrate import upgrade
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.relay.servers import ServerProcess

# Small enough that a submission with two or three photos goes up in several POSTs.
CENTRAL_ACCEPT_BYTES = "100000"


@pytest.fixture
def central(settings: Settings, services: Services) -> Iterator[ServerProcess]:
    create_user(services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True)
    server = ServerProcess(
        settings.data_dir,
        settings.database_url,
        JARING_MAX_SUBMISSION_BYTES=CENTRAL_ACCEPT_BYTES,
    )
    yield server
    server.stop()


@pytest.fixture
def hub_dir(tmp_path: Path) -> Path:
    data_dir = tmp_path / "hub"
    data_dir.mkdir()
    return data_dir


@pytest.fixture
def hub(hub_dir: Path) -> Iterator[ServerProcess]:
    hub_settings = Settings(data_dir=hub_dir, database_url=f"sqlite:///{hub_dir / 'jaring.db'}")
    hub_services = Services.from_settings(hub_settings)
    upgrade(hub_services.db)
    create_user(hub_services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True)
    hub_services.db.dispose()
    server = ServerProcess(hub_dir, None)
    yield server
    server.stop()


def _admin(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as http:
        response = http.post(
            "/v1/sessions", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert response.status_code == 200, response.text
        http.headers["Authorization"] = f"Bearer {response.json()['token']}"
        yield http


@pytest.fixture
def central_admin(central: ServerProcess) -> Iterator[httpx.Client]:
    yield from _admin(central.url)


@pytest.fixture
def hub_admin(hub: ServerProcess) -> Iterator[httpx.Client]:
    yield from _admin(hub.url)
