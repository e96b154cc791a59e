"""SQL for actors: web users, app users (field keys), sessions and role assignments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from server.store.driver import Driver, Statement
from server.store.tables import Actor, Assignment, AuthSession, FieldKey, User


def insert_actor(session: Session, *, type: str, display_name: str, now: datetime) -> Actor:
    actor = Actor(type=type, display_name=display_name, created_at=now)
    session.add(actor)
    session.flush()
    return actor


def insert_user(
    session: Session, *, email: str, display_name: str, password_hash: str | None, now: datetime
) -> tuple[Actor, User]:
    actor = insert_actor(session, type="user", display_name=display_name, now=now)
    assert actor.id is not None
    user = User(actor_id=actor.id, email=email, password_hash=password_hash)
    session.add(user)
    session.flush()
    return actor, user


def user_by_email(session: Session, *, email: str) -> tuple[Actor, User] | None:
    row = session.exec(
        select(Actor, User)
        .join(User, col(User.actor_id) == col(Actor.id))
        .where(func.lower(User.email) == email.lower(), col(Actor.deleted_at).is_(None))
    ).first()
    return (row[0], row[1]) if row else None


def user_by_actor_id(session: Session, *, actor_id: int) -> tuple[Actor, User] | None:
    row = session.exec(
        select(Actor, User)
        .join(User, col(User.actor_id) == col(Actor.id))
        .where(col(Actor.id) == actor_id, col(Actor.deleted_at).is_(None))
    ).first()
    return (row[0], row[1]) if row else None


def list_users(session: Session) -> list[tuple[Actor, User]]:
    rows = session.exec(
        select(Actor, User)
        .join(User, col(User.actor_id) == col(Actor.id))
        .where(col(Actor.deleted_at).is_(None))
        .order_by(col(User.email))
    ).all()
    return [(a, u) for a, u in rows]


def insert_session(
    session: Session,
    *,
    token_hash: str,
    actor_id: int,
    csrf: str,
    now: datetime,
    expires_at: datetime,
) -> AuthSession:
    row = AuthSession(
        token_hash=token_hash, actor_id=actor_id, csrf=csrf, created_at=now, expires_at=expires_at
    )
    session.add(row)
    session.flush()
    return row


def session_by_token_hash(session: Session, *, token_hash: str) -> AuthSession | None:
    return session.get(AuthSession, token_hash)


def delete_session(session: Session, *, token_hash: str) -> None:
    session.exec(delete(AuthSession).where(col(AuthSession.token_hash) == token_hash))


def delete_sessions_of(session: Session, *, actor_id: int) -> None:
    session.exec(delete(AuthSession).where(col(AuthSession.actor_id) == actor_id))


def delete_expired_sessions(session: Session, *, now: datetime) -> None:
    session.exec(delete(AuthSession).where(col(AuthSession.expires_at) < now))


def actor_by_id(session: Session, *, actor_id: int) -> Actor | None:
    actor = session.get(Actor, actor_id)
    return actor if actor is not None and actor.deleted_at is None else None


def insert_field_key(
    session: Session,
    *,
    project_id: int,
    display_name: str,
    token: str,
    token_hash: str,
    created_by: int | None,
    now: datetime,
) -> tuple[Actor, FieldKey]:
    actor = insert_actor(session, type="field_key", display_name=display_name, now=now)
    assert actor.id is not None
    key = FieldKey(
        actor_id=actor.id,
        project_id=project_id,
        token=token,
        token_hash=token_hash,
        created_by=created_by,
    )
    session.add(key)
    session.flush()
    return actor, key


def field_key_by_token_hash(session: Session, *, token_hash: str) -> tuple[Actor, FieldKey] | None:
    row = session.exec(
        select(Actor, FieldKey)
        .join(FieldKey, col(FieldKey.actor_id) == col(Actor.id))
        .where(col(FieldKey.token_hash) == token_hash, col(Actor.deleted_at).is_(None))
    ).first()
    return (row[0], row[1]) if row else None


def field_key_by_id(
    session: Session, *, project_id: int, actor_id: int
) -> tuple[Actor, FieldKey] | None:
    row = session.exec(
        select(Actor, FieldKey)
        .join(FieldKey, col(FieldKey.actor_id) == col(Actor.id))
        .where(
            col(Actor.id) == actor_id,
            col(FieldKey.project_id) == project_id,
            col(Actor.deleted_at).is_(None),
        )
    ).first()
    return (row[0], row[1]) if row else None


def list_field_keys(session: Session, *, project_id: int) -> list[tuple[Actor, FieldKey]]:
    rows = session.exec(
        select(Actor, FieldKey)
        .join(FieldKey, col(FieldKey.actor_id) == col(Actor.id))
        .where(col(FieldKey.project_id) == project_id, col(Actor.deleted_at).is_(None))
        .order_by(col(Actor.created_at).desc(), col(Actor.id).desc())
    ).all()
    return [(a, k) for a, k in rows]


def assignments_of(session: Session, *, actor_id: int) -> list[Assignment]:
    return list(session.exec(select(Assignment).where(col(Assignment.actor_id) == actor_id)).all())


def insert_assignment(session: Session, *, actor_id: int, role: str, scope: str) -> bool:
    """Give ``role`` to the actor on ``scope``; False if it already had it."""
    existing = session.exec(
        select(Assignment).where(
            col(Assignment.actor_id) == actor_id,
            col(Assignment.role) == role,
            col(Assignment.scope) == scope,
        )
    ).first()
    if existing is not None:
        return False
    session.add(Assignment(actor_id=actor_id, role=role, scope=scope))
    session.flush()
    return True


def delete_assignment(session: Session, *, actor_id: int, role: str, scope: str) -> bool:
    result = session.exec(
        delete(Assignment).where(
            col(Assignment.actor_id) == actor_id,
            col(Assignment.role) == role,
            col(Assignment.scope) == scope,
        )
    )
    return bool(result.rowcount)


def delete_assignments_of(session: Session, *, actor_id: int) -> None:
    session.exec(delete(Assignment).where(col(Assignment.actor_id) == actor_id))


def users_assigned_on(session: Session, *, scope: str) -> list[tuple[Actor, User, str]]:
    """(actor, user, role) of every web user holding a role on ``scope``, by name."""
    rows = session.exec(
        select(Actor, User, Assignment.role)
        .join(User, col(User.actor_id) == col(Actor.id))
        .join(Assignment, col(Assignment.actor_id) == col(Actor.id))
        .where(col(Assignment.scope) == scope, col(Actor.deleted_at).is_(None))
        .order_by(col(Actor.display_name), col(Actor.id), col(Assignment.role))
    ).all()
    return [(a, u, r) for a, u, r in rows]


def assignments_on(session: Session, *, scope: str, role: str | None = None) -> list[Assignment]:
    query = select(Assignment).where(col(Assignment.scope) == scope)
    if role is not None:
        query = query.where(col(Assignment.role) == role)
    return list(session.exec(query.order_by(col(Assignment.id))).all())


def set_last_login(session: Session, *, actor_id: int, now: datetime) -> None:
    session.exec(sa.update(User).where(col(User.actor_id) == actor_id).values(last_login_at=now))


def actors_assigned(session: Session, *, scope: str, role: str) -> list[Actor]:
    """The actors holding ``role`` on ``scope``, in the order they were given it."""
    query = (
        select(Actor)
        .join(Assignment, col(Assignment.actor_id) == col(Actor.id))
        .where(col(Assignment.scope) == scope, col(Assignment.role) == role)
        .order_by(col(Assignment.id))
    )
    return list(session.exec(query).all())


def assignments_of_users(session: Session, *, actor_id: int | None = None) -> list[Assignment]:
    """Site-wide and project roles held by live web users (one of them, or all)."""
    query = (
        select(Assignment)
        .join(Actor, col(Actor.id) == col(Assignment.actor_id))
        .where(
            col(Actor.type) == "user",
            col(Actor.deleted_at).is_(None),
            col(Assignment.scope).startswith("project:") | (col(Assignment.scope) == "*"),
        )
    )
    if actor_id is not None:
        query = query.where(col(Assignment.actor_id) == actor_id)
    return list(session.exec(query.order_by(col(Assignment.id))).all())


def site_admin_ids(session: Session, *, lock: bool = False) -> list[int]:
    """The live web users holding the site-wide administrator role. ``lock`` (in a write)
    locks those assignments until the commit (PostgreSQL), so that two administrators
    removing each other at once cannot both succeed; SQLite's writes are one at a time."""
    query = (
        select(Assignment.actor_id)
        .join(Actor, col(Actor.id) == col(Assignment.actor_id))
        .where(
            col(Assignment.role) == "admin",
            col(Assignment.scope) == "*",
            col(Actor.type) == "user",
            col(Actor.deleted_at).is_(None),
        )
        .order_by(col(Assignment.actor_id))
    )
    if lock:
        query = query.with_for_update(of=Assignment)  # type: ignore[arg-type]
    return [int(actor_id) for actor_id in session.exec(query).all()]


# Every request of a phone starts here: one statement and one row, built once, without
# the ORM; the ids of the forms an app user may fill come as one string ("3,7").
_actors, _field_keys = Actor.__table__, FieldKey.__table__  # type: ignore[attr-defined]
_assignments = Assignment.__table__  # type: ignore[attr-defined]
_APP_USER_FORM_IDS = (
    sa.select(sa.func.aggregate_strings(sa.func.substr(_assignments.c.scope, 6), ","))
    .where(
        _assignments.c.actor_id == _field_keys.c.actor_id,
        _assignments.c.role == "app-user",
        _assignments.c.scope.startswith("form:"),
    )
    .scalar_subquery()
)
# Also read with the form a submission names, in one statement (`server.store.phones`).
APP_USER = Statement(
    sa.select(
        _actors.c.id,
        _actors.c.display_name,
        _field_keys.c.project_id,
        _field_keys.c.token,
        _APP_USER_FORM_IDS.label("form_ids"),
    )
    .select_from(_field_keys)
    .join(_actors, _actors.c.id == _field_keys.c.actor_id)
    .where(_field_keys.c.token_hash == sa.bindparam("token_hash"), _actors.c.deleted_at.is_(None))
)


def app_user_by_token_hash(driver: Driver, *, token_hash: str) -> Any | None:
    """The live app user with this token hash: (id, display_name, project_id, token,
    form_ids), form_ids being the ids of the forms assigned to it joined with commas (None
    when it has none)."""
    return driver.first(APP_USER, {"token_hash": token_hash})
