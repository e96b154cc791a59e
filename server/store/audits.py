"""SQL for the audit log and submission comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from server.store.driver import Driver, Statement
from server.store.tables import Actor, Audit, Comment

# Run on the driver's connection (`server.store.driver`): the log is written on every
# submission, and an ORM object plus a flush per entry cost more than the rest of the insert.
_INSERT_AUDIT = Statement(
    sa.insert(Audit.__table__),  # type: ignore[attr-defined]
    columns=["actor_id", "action", "actee", "details", "logged_at"],
)


def insert_audit(
    driver: Driver,
    *,
    actor_id: int | None,
    action: str,
    actee: str | None,
    details: dict[str, Any] | None,
    now: datetime,
) -> None:
    driver.execute(
        _INSERT_AUDIT,
        {
            "actor_id": actor_id,
            "action": action,
            "actee": actee,
            "details": details,
            "logged_at": now,
        },
    )


def list_audits(
    session: Session,
    *,
    actions: list[str] | None = None,
    action_prefix: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    actee: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[tuple[Audit, Actor | None]]:
    query = select(Audit, Actor).join(Actor, col(Actor.id) == col(Audit.actor_id), isouter=True)
    if actions:
        query = query.where(col(Audit.action).in_(actions))
    if action_prefix:
        query = query.where(col(Audit.action).startswith(action_prefix))
    if start is not None:
        query = query.where(col(Audit.logged_at) >= start)
    if end is not None:
        query = query.where(col(Audit.logged_at) <= end)
    if actee is not None:
        query = query.where(col(Audit.actee) == actee)
    query = query.order_by(col(Audit.logged_at).desc(), col(Audit.id).desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [(a, b) for a, b in session.exec(query).all()]


def insert_comment(
    session: Session, *, submission_id: int, actor_id: int, body: str, now: datetime
) -> Comment:
    row = Comment(submission_id=submission_id, actor_id=actor_id, body=body, created_at=now)
    session.add(row)
    session.flush()
    return row


def list_comments(session: Session, *, submission_id: int) -> list[Comment]:
    return list(
        session.exec(
            select(Comment)
            .where(col(Comment.submission_id) == submission_id)
            .order_by(col(Comment.created_at).desc(), col(Comment.id).desc())
        ).all()
    )
