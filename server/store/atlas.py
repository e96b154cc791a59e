"""SQL of the public atlases: their settings, and the submissions withdrawn from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from server.store.tables import Atlas, AtlasWithdrawal


def atlas_by_slug(session: Session, *, slug: str) -> Atlas | None:
    return session.exec(select(Atlas).where(Atlas.slug == slug)).first()


def atlases_of_project(session: Session, *, project_id: int) -> list[Atlas]:
    return list(
        session.exec(select(Atlas).where(Atlas.project_id == project_id).order_by(col(Atlas.slug)))
    )


def insert_atlas(session: Session, atlas: Atlas) -> Atlas | None:
    """Adds the atlas; None when its slug is taken."""
    try:
        with session.begin_nested():
            session.add(atlas)
            session.flush()
    except IntegrityError:
        return None
    return atlas


def delete_atlas(session: Session, atlas: Atlas) -> None:
    for row in session.exec(select(AtlasWithdrawal).where(AtlasWithdrawal.atlas_id == atlas.id)):
        session.delete(row)
    session.flush()
    session.delete(atlas)


def withdrawn(session: Session, *, atlas_id: int) -> dict[str, AtlasWithdrawal]:
    """The atlas's withdrawals by instanceID."""
    rows = session.exec(select(AtlasWithdrawal).where(AtlasWithdrawal.atlas_id == atlas_id))
    return {row.instance_id: row for row in rows}


def withdraw(
    session: Session,
    *,
    atlas_id: int,
    instance_id: str,
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> None:
    found = session.exec(
        select(AtlasWithdrawal).where(
            AtlasWithdrawal.atlas_id == atlas_id, AtlasWithdrawal.instance_id == instance_id
        )
    ).first()
    if found is not None:
        found.reason = reason
        found.withdrawn_at = now
        session.add(found)
        return
    session.add(
        AtlasWithdrawal(
            atlas_id=atlas_id,
            instance_id=instance_id,
            reason=reason,
            actor_id=actor_id,
            withdrawn_at=now,
        )
    )


def restore(session: Session, *, atlas_id: int, instance_id: str) -> bool:
    found = session.exec(
        select(AtlasWithdrawal).where(
            AtlasWithdrawal.atlas_id == atlas_id, AtlasWithdrawal.instance_id == instance_id
        )
    ).first()
    if found is None:
        return False
    session.delete(found)
    return True
