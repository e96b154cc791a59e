"""A pooled PostgreSQL connection that died while idle (a server restart, an idle
timeout) is found on checkout and replaced: the next request does not fail.

This runs against the local PostgreSQL whichever database the suite is on, since the
case exists only for a database server.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import exc, text

from server.store import database as database_module
from server.store.database import Database
from server.store.driver import Statement

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg() -> Iterator[Database]:
    db = Database(PG_URL)
    yield db
    db.dispose()


def _backend_pid(db: Database) -> int:
    with db.read() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_killed_while_idle_is_replaced(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    first = _backend_pid(pg)
    _terminate(first)

    second = _backend_pid(pg)  # would raise if the dead connection were handed out

    assert second != first


def test_a_connection_used_moments_ago_is_not_pinged(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
    first = _backend_pid(pg)
    _terminate(first)

    # Not pinged, the dead connection is used and fails; SQLAlchemy then discards the
    # pool, so the request after it gets a live connection.
    with pytest.raises(Exception, match="terminat|closed|server"):
        _backend_pid(pg)
    assert _backend_pid(pg) != first


_PID = Statement(sa.select(sa.func.pg_backend_pid()))


def test_a_dead_connection_met_on_the_driver_is_given_up(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
    with pg.driver_read() as driver:
        first = driver.scalar(_PID)
    assert isinstance(first, int)
    _terminate(first)

    with pytest.raises(exc.DBAPIError) as failure:
        with pg.driver_read() as driver:
            driver.scalar(_PID)
    assert failure.value.connection_invalidated

    with pg.driver_read() as driver:
        assert driver.scalar(_PID) not in (None, first)


def test_a_connection_pinged_after_idling_serves_a_phones_read(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ping must not leave the connection in a transaction: a phone's read puts it in
    autocommit, which psycopg refuses inside one (a 500 after any quiet moment)."""
    with pg.read() as session:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    with pg.driver_read() as driver:
        driver.execute_sql("SELECT 1")
