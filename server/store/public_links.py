"""SQL for public links: a form's links, one link by its token, revoking one."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from server.store.accounts import insert_actor
from server.store.tables import Actor, Form, PublicLink


def insert_link(
    session: Session,
    *,
    form_id: int,
    display_name: str,
    token: str,
    created_by: int | None,
    now: datetime,
) -> tuple[PublicLink, Actor]:
    actor = insert_actor(session, type="public_link", display_name=display_name, now=now)
    assert actor.id is not None
    link = PublicLink(
        actor_id=actor.id, form_id=form_id, token=token, created_by=created_by, created_at=now
    )
    session.add(link)
    session.flush()
    return link, actor


def links_of_form(session: Session, *, form_id: int) -> list[tuple[PublicLink, Actor]]:
    """A form's links, revoked ones included, oldest first."""
    rows = session.exec(
        select(PublicLink, Actor)
        .join(Actor, col(Actor.id) == col(PublicLink.actor_id))
        .where(PublicLink.form_id == form_id)
        .order_by(col(PublicLink.created_at), col(PublicLink.actor_id))
    ).all()
    return [(link, actor) for link, actor in rows]


def link_by_token(session: Session, *, token: str) -> tuple[PublicLink, Actor, Form] | None:
    """A link that has not been revoked, with its actor and its form."""
    row = session.exec(
        select(PublicLink, Actor, Form)
        .join(Actor, col(Actor.id) == col(PublicLink.actor_id))
        .join(Form, col(Form.id) == col(PublicLink.form_id))
        .where(PublicLink.token == token, col(PublicLink.revoked_at).is_(None))
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def revoke(session: Session, *, form_id: int, actor_id: int, now: datetime) -> bool:
    link = session.get(PublicLink, actor_id)
    if link is None or link.form_id != form_id:
        return False
    if link.revoked_at is None:
        link.revoked_at = now
        session.add(link)
    return True
