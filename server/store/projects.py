"""SQL for projects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from server.store.driver import Driver, Statement
from server.store.tables import Actor, FieldKey, Form, Project, Submission


def insert_project(
    session: Session, *, name: str, description: str | None, now: datetime
) -> Project:
    project = Project(name=name, description=description, created_at=now)
    session.add(project)
    session.flush()
    return project


def project_by_id(session: Session, *, project_id: int) -> Project | None:
    project = session.get(Project, project_id)
    return project if project is not None and project.deleted_at is None else None


_projects = Project.__table__  # type: ignore[attr-defined]
_PROJECT_IS_LIVE = Statement(
    sa.select(_projects.c.id).where(
        _projects.c.id == sa.bindparam("project_id"), _projects.c.deleted_at.is_(None)
    )
)


def project_is_live(driver: Driver, *, project_id: int) -> bool:
    """Whether the project exists and is not deleted (one statement, no ORM object)."""
    return driver.first(_PROJECT_IS_LIVE, {"project_id": project_id}) is not None


def list_projects(session: Session, *, only_ids: set[int] | None = None) -> list[Project]:
    query = select(Project).where(col(Project.deleted_at).is_(None))
    if only_ids is not None:
        query = query.where(col(Project.id).in_(only_ids))
    return list(session.exec(query.order_by(col(Project.name), col(Project.id))).all())


def first_project(session: Session) -> Project | None:
    return session.exec(
        select(Project).where(col(Project.deleted_at).is_(None)).order_by(col(Project.id))
    ).first()


def project_stats(session: Session, *, project_id: int) -> dict[str, Any]:
    forms = session.exec(
        select(func.count())
        .select_from(Form)
        .where(col(Form.project_id) == project_id, col(Form.deleted_at).is_(None))
    ).one()
    app_users = session.exec(
        select(func.count())
        .select_from(FieldKey)
        .join(Actor, col(Actor.id) == col(FieldKey.actor_id))
        .where(col(FieldKey.project_id) == project_id, col(Actor.deleted_at).is_(None))
    ).one()
    submissions, last = session.exec(
        select(func.count(), func.max(Submission.created_at))
        .join(Form, col(Form.id) == col(Submission.form_id))
        .where(
            col(Form.project_id) == project_id,
            col(Form.deleted_at).is_(None),
            col(Submission.deleted_at).is_(None),
            col(Submission.draft).is_(False),
        )
    ).one()
    return {
        "forms": int(forms),
        "appUsers": int(app_users),
        "submissions": int(submissions or 0),
        "lastSubmission": last,
    }
