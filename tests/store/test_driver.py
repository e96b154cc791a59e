"""`server.store.driver`: Core statements run on the driver's connection convert what goes
in and comes out as SQLAlchemy would, fail as SQLAlchemy fails, and share a session's
transaction when run under one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import exc

from server.domain import Services
from server.store.driver import Driver, Statement
from server.store.tables import Audit, Blob, Project

_audits = Audit.__table__  # type: ignore[attr-defined]
_blobs = Blob.__table__  # type: ignore[attr-defined]
_projects = Project.__table__  # type: ignore[attr-defined]

_INSERT_AUDIT = Statement(
    sa.insert(_audits).returning(_audits.c.id),
    columns=["actor_id", "action", "actee", "details", "logged_at"],
)
_AUDIT = Statement(
    sa.select(_audits.c.action, _audits.c.details, _audits.c.logged_at).where(
        _audits.c.id == sa.bindparam("id")
    )
)
_INSERT_BLOB = Statement(sa.insert(_blobs), columns=["sha256", "md5", "size"])
_BLOB_COUNT = Statement(sa.select(sa.func.count()).select_from(_blobs))
# A literal the SQL carries itself (rendered into the text, not sent as a parameter).
_JOINED_SHAS = Statement(
    sa.select(sa.func.aggregate_strings(_blobs.c.sha256, ";")).where(
        _blobs.c.size > sa.bindparam("size")
    )
)
_INSERT_PROJECT = Statement(
    sa.insert(_projects).returning(_projects.c.id), columns=["name", "archived", "created_at"]
)
_PROJECT = Statement(
    sa.select(_projects.c.name, _projects.c.archived, _projects.c.created_at).where(
        _projects.c.id == sa.bindparam("id")
    )
)

WHEN = datetime(2026, 3, 14, 9, 12, 45, 118000, tzinfo=UTC)


def _blob(n: int) -> dict[str, object]:
    return {"sha256": f"{n:064d}", "md5": f"{n:032d}", "size": n}


def test_dates_json_and_booleans_go_in_and_come_out_as_the_orm_sees_them(
    services: Services,
) -> None:
    details = {"instanceId": "uuid:ü-1", "formId": 3, "nested": [1, None, "x"]}

    def insert(driver: Driver) -> tuple[int, int]:
        audit_id = driver.scalar(
            _INSERT_AUDIT,
            {
                "actor_id": None,
                "action": "submission.create",
                "actee": "submission:1",
                "details": details,
                "logged_at": WHEN,
            },
        )
        project_id = driver.scalar(
            _INSERT_PROJECT, {"name": "Tenun", "archived": True, "created_at": WHEN}
        )
        assert isinstance(audit_id, int) and isinstance(project_id, int)
        return audit_id, project_id

    audit_id, project_id = services.db.write_together(insert)

    with services.db.read() as session:
        audit = session.get(Audit, audit_id)
        project = session.get(Project, project_id)
    assert audit is not None and project is not None
    assert audit.details == details
    assert audit.logged_at == WHEN
    assert project.archived is True and project.created_at == WHEN

    with services.db.driver_read() as driver:
        row = driver.first(_AUDIT, {"id": audit_id})
        project_row = driver.first(_PROJECT, {"id": project_id})
    assert row is not None and project_row is not None
    assert (row.action, row.details, row.logged_at) == ("submission.create", details, WHEN)
    assert (project_row.name, project_row.archived, project_row.created_at) == (
        "Tenun",
        True,
        WHEN,
    )


def test_literals_in_the_sql_and_many_rows_at_once(services: Services) -> None:
    def insert(driver: Driver) -> None:
        driver.execute_many(_INSERT_BLOB, [_blob(n) for n in (1, 2, 3)])

    services.db.write_together(insert)

    with services.db.driver_read() as driver:
        joined = driver.scalar(_JOINED_SHAS, {"size": 1})
        everything = driver.all(_BLOB_COUNT)
    assert joined is not None and sorted(joined.split(";")) == [f"{2:064d}", f"{3:064d}"]
    assert [tuple(row) for row in everything] == [(3,)]


def test_a_unique_violation_is_sqlalchemys_integrity_error_and_undoes_the_work(
    services: Services,
) -> None:
    def insert_twice(driver: Driver) -> None:
        driver.execute(_INSERT_BLOB, _blob(7))
        driver.execute(_INSERT_BLOB, _blob(7))

    with pytest.raises(exc.IntegrityError):
        services.db.write_together(insert_twice)

    with services.db.driver_read() as driver:
        assert driver.scalar(_BLOB_COUNT) == 0


def test_under_a_session_it_shares_the_sessions_transaction(services: Services) -> None:
    with pytest.raises(RuntimeError):
        with services.db.write() as session:
            Driver.of(session).execute(_INSERT_BLOB, _blob(8))
            assert session.get(Blob, f"{8:064d}") is not None  # seen by the session
            raise RuntimeError("undo")

    with services.db.driver_read() as driver:
        assert driver.scalar(_BLOB_COUNT) == 0


def test_after_a_read_the_connection_serves_transactions_again(services: Services) -> None:
    with services.db.driver_read() as driver:
        assert driver.scalar(_BLOB_COUNT) == 0

    # The pool hands the same connection out again: a failed write must still undo.
    with pytest.raises(RuntimeError):
        with services.db.write() as session:
            Driver.of(session).execute(_INSERT_BLOB, _blob(10))
            raise RuntimeError("undo")

    with services.db.driver_read() as driver:
        assert driver.scalar(_BLOB_COUNT) == 0


def test_one_statement_alone_is_committed_and_the_connection_serves_transactions_again(
    services: Services,
) -> None:
    """`write_together(..., one_statement=True)`: on PostgreSQL the statement is its own
    transaction (autocommit); either way it is committed, or refused whole."""
    services.db.write_together(lambda d: d.execute(_INSERT_BLOB, _blob(11)), one_statement=True)
    with pytest.raises(exc.IntegrityError):
        services.db.write_together(lambda d: d.execute(_INSERT_BLOB, _blob(11)), one_statement=True)

    with pytest.raises(RuntimeError):
        with services.db.write() as session:
            Driver.of(session).execute(_INSERT_BLOB, _blob(12))
            raise RuntimeError("undo")

    with services.db.driver_read() as driver:
        assert [tuple(row) for row in driver.all(_BLOB_COUNT)] == [(1,)]
