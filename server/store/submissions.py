"""SQL for submissions, their versions (edits) and their attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from server.store.tables import Blob, Submission, SubmissionAttachment, SubmissionDef


def def_by_instance_id(
    session: Session, *, form_id: int, instance_id: str
) -> tuple[SubmissionDef, Submission] | None:
    row = session.exec(
        select(SubmissionDef, Submission)
        .join(Submission, col(Submission.id) == col(SubmissionDef.submission_id))
        .where(col(SubmissionDef.form_id) == form_id, col(SubmissionDef.instance_id) == instance_id)
    ).first()
    return (row[0], row[1]) if row else None


def insert_submission(
    session: Session,
    *,
    form_id: int,
    instance_id: str,
    submitter_id: int | None,
    device_id: str | None,
    now: datetime,
) -> Submission:
    submission = Submission(
        form_id=form_id,
        instance_id=instance_id,
        submitter_id=submitter_id,
        device_id=device_id,
        created_at=now,
    )
    session.add(submission)
    session.flush()
    return submission


def insert_submission_def(
    session: Session,
    *,
    submission_id: int,
    form_id: int,
    form_def_id: int,
    instance_id: str,
    xml: bytes,
    xml_sha256: str,
    instance_name: str | None,
    submitter_id: int | None,
    device_id: str | None,
    user_agent: str | None,
    fields: dict[str, Any],
    now: datetime,
) -> SubmissionDef:
    submission_def = SubmissionDef(
        submission_id=submission_id,
        form_id=form_id,
        form_def_id=form_def_id,
        instance_id=instance_id,
        xml=xml,
        xml_sha256=xml_sha256,
        instance_name=instance_name,
        submitter_id=submitter_id,
        device_id=device_id,
        user_agent=user_agent,
        current=True,
        fields=fields,
        created_at=now,
    )
    session.add(submission_def)
    session.flush()
    return submission_def


def current_def(session: Session, *, submission_id: int) -> SubmissionDef | None:
    return session.exec(
        select(SubmissionDef).where(
            col(SubmissionDef.submission_id) == submission_id, col(SubmissionDef.current)
        )
    ).first()


def submission_by_instance_id(
    session: Session, *, form_id: int, instance_id: str
) -> Submission | None:
    return session.exec(
        select(Submission).where(
            col(Submission.form_id) == form_id,
            col(Submission.instance_id) == instance_id,
            col(Submission.deleted_at).is_(None),
        )
    ).first()


def list_submissions(session: Session, *, form_id: int) -> list[tuple[Submission, SubmissionDef]]:
    rows = session.exec(
        select(Submission, SubmissionDef)
        .join(SubmissionDef, col(SubmissionDef.submission_id) == col(Submission.id))
        .where(
            col(Submission.form_id) == form_id,
            col(Submission.deleted_at).is_(None),
            col(SubmissionDef.current),
        )
        .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
    ).all()
    return [(s, d) for s, d in rows]


def insert_attachment(
    session: Session,
    *,
    submission_def_id: int,
    name: str,
    blob_sha: str | None,
    content_type: str | None,
) -> SubmissionAttachment:
    attachment = SubmissionAttachment(
        submission_def_id=submission_def_id,
        name=name,
        blob_sha=blob_sha,
        content_type=content_type,
    )
    session.add(attachment)
    session.flush()
    return attachment


def attachments_of(session: Session, *, submission_def_id: int) -> list[SubmissionAttachment]:
    return list(
        session.exec(
            select(SubmissionAttachment)
            .where(col(SubmissionAttachment.submission_def_id) == submission_def_id)
            .order_by(col(SubmissionAttachment.name))
        ).all()
    )


def attachment_with_blob(
    session: Session, *, submission_def_id: int, name: str
) -> tuple[SubmissionAttachment, Blob | None] | None:
    row = session.exec(
        select(SubmissionAttachment, Blob)
        .join(Blob, col(Blob.sha256) == col(SubmissionAttachment.blob_sha), isouter=True)
        .where(
            col(SubmissionAttachment.submission_def_id) == submission_def_id,
            col(SubmissionAttachment.name) == name,
        )
    ).first()
    return (row[0], row[1]) if row else None


def count_submissions(session: Session, *, form_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Submission)
            .where(col(Submission.form_id) == form_id, col(Submission.deleted_at).is_(None))
        ).one()
    )


def last_submission_at(session: Session, *, form_id: int) -> datetime | None:
    return session.exec(
        select(func.max(Submission.created_at)).where(col(Submission.form_id) == form_id)
    ).one()
