"""SQL of the limits every server process shares: attempts counted under a key
(`LimitedAttempt`), how many a key has had since a moment, adding one, forgetting a key,
and dropping rows that no window still needs."""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, func, text
from sqlmodel import Session, col, select

from server.store.tables import LimitedAttempt

# Longer than any window that counts attempts (an hour, for public links): older rows
# are deleted as new ones are added.
KEEP_SECONDS = 2 * 3600.0
KEY_LENGTH = 330  # the column's length


def _stored(key: str) -> str:
    """The key as kept: a key too long for the column (an email typed by anyone) by its
    SHA-256, so that no input can make the insert fail."""
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def recent(session: Session, keys: list[str], *, since: float) -> dict[str, tuple[int, float]]:
    """For each key with attempts after ``since``: how many, and when the oldest was."""
    stored = {_stored(key): key for key in keys}
    rows = session.exec(
        select(LimitedAttempt.key, func.count(), func.min(LimitedAttempt.at))
        .where(col(LimitedAttempt.key).in_(list(stored)), col(LimitedAttempt.at) > since)
        .group_by(col(LimitedAttempt.key))
    ).all()
    return {stored[key]: (int(count), float(oldest)) for key, count, oldest in rows}


def add(session: Session, keys: list[str], *, at: float) -> None:
    """One attempt at ``at`` under each key; rows older than `KEEP_SECONDS` go."""
    session.execute(delete(LimitedAttempt).where(col(LimitedAttempt.at) < at - KEEP_SECONDS))
    session.add_all(LimitedAttempt(key=_stored(key), at=at) for key in keys)


def any_under(session: Session, key: str) -> bool:
    found = session.exec(
        select(LimitedAttempt.id).where(LimitedAttempt.key == _stored(key)).limit(1)
    )
    return found.first() is not None


def forget(session: Session, key: str) -> None:
    session.execute(delete(LimitedAttempt).where(col(LimitedAttempt.key) == _stored(key)))


def take_turns(session: Session, key: str) -> None:
    """Make writers counting under ``key`` wait for each other until the transaction ends,
    so a count and the attempt added after it cannot interleave with another process's.
    SQLite's writers already take turns; PostgreSQL takes an advisory lock on the key."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": _stored(key)})
