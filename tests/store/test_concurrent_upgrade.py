"""Several processes bringing one fresh database up to date at once: one migrates.

This is what the workers of ``jaring serve --workers N`` do on start-up. On SQLite the
migration lock file serialises them, on PostgreSQL an advisory lock; either way every
process succeeds and the schema ends at the head revision.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from server.store.database import Database
from server.store.migrate import alembic_config, upgrade

PROCESSES = 3


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all: a new SQLite file, or a new PostgreSQL database."""
    # Imported here: the spawned processes import this module, and need none of the app.
    from tests.conftest import _admin_connection, _postgres_url

    pg_url = _postgres_url()
    if pg_url is None:
        yield f"sqlite:///{tmp_path / 'jaring.db'}"
        return
    name = f"{make_url(pg_url).database}_empty_{os.getpid()}"
    with _admin_connection(pg_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_url(pg_url).set(database=name).render_as_string(False)
    with _admin_connection(pg_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _upgrade_after(url: str, start: Barrier) -> None:
    database = Database(url, pooled=False)
    start.wait()
    upgrade(database)
    database.dispose()


def test_concurrent_upgrades_of_an_empty_database_all_succeed(empty_database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    processes = [
        context.Process(target=_upgrade_after, args=(empty_database_url, start))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * PROCESSES

    database = Database(empty_database_url, pooled=False)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with database.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
        assert "submissions" in inspect(connection).get_table_names()
    database.dispose()
