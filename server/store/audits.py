"""SQL for the audit log and submission comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from server.store.driver import Driver, Statement
from server.store.tables import Actor, Audit, Comment, Form, FormDef, Project, Submission

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


def names_of(
    session: Session,
    *,
    actor_ids: set[int],
    project_ids: set[int],
    form_ids: set[int],
    submission_ids: set[int],
) -> dict[str, dict[str, Any]]:
    """What audit entries point at, by ``kind:id``, deleted things included: actors
    (``name``, ``type``), projects (``name``), forms (``name``, ``xmlFormId``,
    ``projectId``) and submissions (``instanceId``, ``formId`` and their form's)."""
    found: dict[str, dict[str, Any]] = {}
    if submission_ids:
        rows = session.exec(
            select(Submission.id, Submission.instance_id, Submission.form_id).where(
                col(Submission.id).in_(submission_ids)
            )
        ).all()
        for submission_id, instance_id, form_id in rows:
            found[f"submission:{submission_id}"] = {"instanceId": instance_id, "formId": form_id}
            form_ids = form_ids | {form_id}
    if form_ids:
        definition = col(FormDef.id) == func.coalesce(Form.current_def_id, Form.draft_def_id)
        rows = session.exec(
            select(Form.id, Form.xml_form_id, Form.project_id, FormDef.name)
            .join(FormDef, definition, isouter=True)
            .where(col(Form.id).in_(form_ids))
        ).all()
        for form_id, xml_form_id, project_id, name in rows:
            found[f"form:{form_id}"] = {
                "name": name or xml_form_id,
                "xmlFormId": xml_form_id,
                "projectId": project_id,
            }
    for key, values in found.items():
        if key.startswith("submission:") and f"form:{values['formId']}" in found:
            form = found[f"form:{values['formId']}"]
            values.update(xmlFormId=form["xmlFormId"], projectId=form["projectId"])
    if project_ids:
        rows = session.exec(
            select(Project.id, Project.name).where(col(Project.id).in_(project_ids))
        ).all()
        found.update({f"project:{project_id}": {"name": name} for project_id, name in rows})
    if actor_ids:
        rows = session.exec(
            select(Actor.id, Actor.display_name, Actor.type).where(col(Actor.id).in_(actor_ids))
        ).all()
        found.update({f"actor:{a}": {"name": name, "type": kind} for a, name, kind in rows})
    return found


def insert_comment(
    session: Session, *, submission_id: int, actor_id: int, body: str, now: datetime
) -> Comment:
    row = Comment(submission_id=submission_id, actor_id=actor_id, body=body, created_at=now)
    session.add(row)
    session.flush()
    return row


def list_comments(session: Session, *, submission_id: int) -> list[tuple[Comment, Actor | None]]:
    """A submission's comments, newest first, each with its author."""
    return list(
        session.exec(
            select(Comment, Actor)
            .outerjoin(Actor, col(Actor.id) == col(Comment.actor_id))
            .where(col(Comment.submission_id) == submission_id)
            .order_by(col(Comment.created_at).desc(), col(Comment.id).desc())
        ).all()
    )
