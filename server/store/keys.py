"""SQL for encryption keys: forms' public keys and projects' managed keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from server.store.driver import Driver, Statement
from server.store.tables import FormDef, Key, Project, Submission, SubmissionDef


def ensure_key(session: Session, *, public: str, now: datetime) -> int:
    """The id of the key with this public text, recorded now if it is new (the same key
    always gets the same id, as in Central)."""
    found = session.exec(select(Key.id).where(col(Key.public) == public)).first()
    if found is not None:
        return int(found)
    key = Key(public=public, created_at=now)
    session.add(key)
    session.flush()
    assert key.id is not None
    return key.id


def insert_managed_key(
    session: Session, *, public: str, private: dict[str, str], hint: str | None, now: datetime
) -> Key:
    key = Key(public=public, private=private, managed=True, hint=hint, created_at=now)
    session.add(key)
    session.flush()
    return key


def key_by_id(session: Session, *, key_id: int) -> Key | None:
    return session.get(Key, key_id)


def managed_keys(session: Session, *, key_ids: list[int]) -> list[Key]:
    """The managed keys among ``key_ids`` (those with a sealed private key)."""
    if not key_ids:
        return []
    return list(
        session.exec(select(Key).where(col(Key.id).in_(key_ids), col(Key.managed).is_(True))).all()
    )


def project_for_update(session: Session, *, project_id: int) -> Project | None:
    """The project row, locked for the rest of the transaction where the database can."""
    return session.exec(
        select(Project).where(col(Project.id) == project_id).with_for_update()
    ).first()


_KEY_OF_DEF = Statement(
    sa.select(Key.__table__.c.public)  # type: ignore[attr-defined]
    .select_from(FormDef.__table__)  # type: ignore[attr-defined]
    .join(Key.__table__, Key.__table__.c.id == FormDef.__table__.c.key_id)  # type: ignore[attr-defined]
    .where(FormDef.__table__.c.id == sa.bindparam("form_def_id"))  # type: ignore[attr-defined]
)


def public_key_of_def(driver: Driver, *, form_def_id: int) -> str | None:
    """The public key text a form definition encrypts with, or None."""
    found: Any = driver.scalar(_KEY_OF_DEF, {"form_def_id": form_def_id})
    return None if found is None else str(found)


def keys_of_submissions(session: Session, *, form_id: int, draft_def_id: int | None) -> list[Key]:
    """The keys of the definitions that have current, live encrypted submissions: of the
    draft when ``draft_def_id`` is given, of the published versions otherwise."""
    defs = select(SubmissionDef.form_def_id).join(
        Submission, col(Submission.id) == col(SubmissionDef.submission_id)
    )
    defs = defs.where(
        col(SubmissionDef.form_id) == form_id,
        col(SubmissionDef.current),
        col(SubmissionDef.local_key).is_not(None),
        col(Submission.deleted_at).is_(None),
        col(Submission.draft) == (draft_def_id is not None),
    )
    keyed = select(FormDef.key_id).where(col(FormDef.id).in_(defs))
    if draft_def_id is not None:
        keyed = keyed.where(col(FormDef.id) == draft_def_id)
    else:
        keyed = keyed.where(col(FormDef.published_at).is_not(None))
    return list(session.exec(select(Key).where(col(Key.id).in_(keyed)).order_by(col(Key.id))).all())
