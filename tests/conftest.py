"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when DATABASE_URL is
set), the app on a real HTTP server, and logged-in clients.

The database schema is migrated once per run into a template (a SQLite file copied per
test; a PostgreSQL template database cloned per test), so every test starts clean
without paying for the migrations each time. One uvicorn server runs for the whole
session and forwards each request to the current test's app.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from sqlalchemy.engine import make_url

from server.app import create_app
from server.domain import Services
from server.domain.accounts import create_user
from server.settings import Settings
from server.store.database import Database
from server.store.migrate import upgrade
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD

_counter = itertools.count()


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    return Settings(database_url=url).resolved_database_url() if url else None


def _admin_connection(url: str) -> psycopg.Connection[Any]:
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        dbname=parsed.database,
        autocommit=True,
    )


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database to clone: a SQLite file path, or a PostgreSQL database name."""
    pg_url = _postgres_url()
    if pg_url is None:
        path = tmp_path_factory.mktemp("template") / "jaring.db"
        database = Database(f"sqlite:///{path}", pooled=False)
        upgrade(database)
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database.dispose()
        yield str(path)
        return
    base = make_url(pg_url).database
    template = f"{base}_tpl"
    with _admin_connection(pg_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{template}"')
    database = Database(
        make_url(pg_url).set(database=template).render_as_string(False), pooled=False
    )
    upgrade(database)
    database.dispose()
    yield template
    with _admin_connection(pg_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')


@pytest.fixture
def settings(tmp_path: Path, database_template: str) -> Iterator[Settings]:
    """Settings for a fresh data directory and a fresh, migrated database."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    pg_url = _postgres_url()
    if pg_url is None:
        shutil.copyfile(database_template, data_dir / "jaring.db")
        yield Settings(data_dir=data_dir)
        return
    name = f"{make_url(pg_url).database}_t{os.getpid()}_{next(_counter)}"
    with _admin_connection(pg_url) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{database_template}"')
    yield Settings(
        data_dir=data_dir,
        database_url=make_url(pg_url).set(database=name).render_as_string(False),
    )
    with _admin_connection(pg_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = Services.from_settings(settings)
    upgrade(services.db)
    yield services
    services.db.dispose()


class _SwitchApp:
    """The ASGI app the session's server runs: forwards to the current test's app."""

    def __init__(self) -> None:
        self.target: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if self.target is None:
            raise RuntimeError("no app is being served")
        await self.target(scope, receive, send)


@pytest.fixture(scope="session")
def live_server() -> Iterator[tuple[str, _SwitchApp]]:
    switch = _SwitchApp()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(switch, log_level="warning", lifespan="on", timeout_keep_alive=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}", switch
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def base_url(live_server: tuple[str, _SwitchApp], services: Services) -> Iterator[str]:
    """The URL of a real HTTP server running this test's app."""
    url, switch = live_server
    switch.target = create_app(services.settings, services=services)
    yield url
    switch.target = None


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    """An anonymous HTTP client of this test's server."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http


@pytest.fixture
def admin_headers(services: Services, client: httpx.Client) -> dict[str, str]:
    """Bearer headers of a site administrator, logged in through /v1/sessions."""
    create_user(services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True)
    response = client.post("/v1/sessions", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def project_id(client: httpx.Client, admin_headers: dict[str, str]) -> int:
    response = client.post("/v1/projects", json={"name": "Sulawesi Selatan"}, headers=admin_headers)
    assert response.status_code == 200, response.text
    project: int = response.json()["id"]
    return project
