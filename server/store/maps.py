"""SQL of the console's map beside the browse filters (`server.store.exports`): whether a
submission's current version holds an answer at a field path, so the map page can count
its points without reading the submissions."""

from __future__ import annotations

from sqlalchemy.orm import aliased
from sqlmodel import select

from server.store.exports import Condition
from server.store.tables import Submission, SubmissionDef


def has_answer(path: str) -> Condition:
    """Submissions whose current version has a non-empty value at ``path``."""
    current = aliased(SubmissionDef)
    return (
        select(current.id)
        .where(
            current.submission_id == Submission.id,
            current.current,
            current.fields[path].as_string() != "",
        )
        .exists()
    )
