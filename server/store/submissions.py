"""SQL for submissions, their versions (edits) and their attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from server.store.audits import insert_audit
from server.store.driver import Driver, Statement
from server.store.tables import (
    Audit,
    Blob,
    Comment,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
)


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
    draft: bool = False,
) -> Submission:
    submission = Submission(
        form_id=form_id,
        instance_id=instance_id,
        submitter_id=submitter_id,
        device_id=device_id,
        created_at=now,
        draft=draft,
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
    local_key: str | None = None,
    enc_data_attachment_name: str | None = None,
    signature: str | None = None,
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
        local_key=local_key,
        enc_data_attachment_name=enc_data_attachment_name,
        signature=signature,
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
    session: Session, *, form_id: int, instance_id: str, draft: bool = False
) -> Submission | None:
    """A live submission of the form (with ``draft``, a test submission of its draft)."""
    return session.exec(
        select(Submission).where(
            col(Submission.form_id) == form_id,
            col(Submission.instance_id) == instance_id,
            col(Submission.deleted_at).is_(None),
            col(Submission.draft) == draft,
        )
    ).first()


def list_submissions(
    session: Session, *, form_id: int, draft: bool = False
) -> list[tuple[Submission, SubmissionDef]]:
    """The form's live submissions, newest first (with ``draft``, its draft's test ones)."""
    rows = session.exec(
        select(Submission, SubmissionDef)
        .join(SubmissionDef, col(SubmissionDef.submission_id) == col(Submission.id))
        .where(
            col(Submission.form_id) == form_id,
            col(Submission.deleted_at).is_(None),
            col(Submission.draft) == draft,
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
    enc_index: int | None = None,
) -> SubmissionAttachment:
    attachment = SubmissionAttachment(
        submission_def_id=submission_def_id,
        name=name,
        blob_sha=blob_sha,
        content_type=content_type,
        enc_index=enc_index,
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


def current_attachments(
    session: Session, *, submission_ids: list[int]
) -> dict[int, list[SubmissionAttachment]]:
    """The attachments of each submission's current version (one read for a page of them)."""
    found: dict[int, list[SubmissionAttachment]] = {sid: [] for sid in submission_ids}
    if not submission_ids:
        return found
    rows = session.exec(
        select(SubmissionDef.submission_id, SubmissionAttachment)
        .join(
            SubmissionAttachment,
            col(SubmissionAttachment.submission_def_id) == col(SubmissionDef.id),
        )
        .where(col(SubmissionDef.submission_id).in_(submission_ids), col(SubmissionDef.current))
        .order_by(col(SubmissionAttachment.name))
    ).all()
    for submission_id, attachment in rows:
        found[submission_id].append(attachment)
    return found


def count_submissions(session: Session, *, form_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Submission)
            .where(
                col(Submission.form_id) == form_id,
                col(Submission.deleted_at).is_(None),
                col(Submission.draft).is_(False),
            )
        ).one()
    )


def last_submission_at(session: Session, *, form_id: int) -> datetime | None:
    return session.exec(
        select(func.max(Submission.created_at)).where(
            col(Submission.form_id) == form_id, col(Submission.draft).is_(False)
        )
    ).one()


def defs_of(session: Session, *, submission_id: int) -> list[SubmissionDef]:
    """Every version of a submission, newest first."""
    return list(
        session.exec(
            select(SubmissionDef)
            .where(col(SubmissionDef.submission_id) == submission_id)
            .order_by(col(SubmissionDef.created_at).desc(), col(SubmissionDef.id).desc())
        ).all()
    )


def delete_submissions_of_def(session: Session, *, form_def_id: int) -> None:
    """Remove the test submissions made to a draft (when the draft is published or dropped)."""
    submission_ids = [
        row
        for row in session.exec(
            select(SubmissionDef.submission_id).where(col(SubmissionDef.form_def_id) == form_def_id)
        ).all()
    ]
    _remove(session, submission_ids)


def _remove(session: Session, submission_ids: list[int]) -> None:
    """Remove submissions for good: their versions, attachments and comments with them."""
    if not submission_ids:
        return
    def_ids = list(
        session.exec(
            select(SubmissionDef.id).where(col(SubmissionDef.submission_id).in_(submission_ids))
        ).all()
    )
    session.exec(
        delete(SubmissionAttachment).where(col(SubmissionAttachment.submission_def_id).in_(def_ids))
    )
    session.exec(delete(Comment).where(col(Comment.submission_id).in_(submission_ids)))
    session.exec(delete(SubmissionDef).where(col(SubmissionDef.id).in_(def_ids)))
    session.exec(delete(Submission).where(col(Submission.id).in_(submission_ids)))


def deleted_submission(session: Session, *, form_id: int, instance_id: str) -> Submission | None:
    """A submission of the form in the trash."""
    return session.exec(
        select(Submission).where(
            col(Submission.form_id) == form_id,
            col(Submission.instance_id) == instance_id,
            col(Submission.deleted_at).is_not(None),
        )
    ).first()


def list_deleted_submissions(
    session: Session, *, form_id: int
) -> list[tuple[Submission, SubmissionDef]]:
    """The form's submissions in the trash, most recently deleted first."""
    rows = session.exec(
        select(Submission, SubmissionDef)
        .join(SubmissionDef, col(SubmissionDef.submission_id) == col(Submission.id))
        .where(
            col(Submission.form_id) == form_id,
            col(Submission.deleted_at).is_not(None),
            col(SubmissionDef.current),
        )
        .order_by(col(Submission.deleted_at).desc(), col(Submission.id).desc())
    ).all()
    return [(s, d) for s, d in rows]


def purge_deleted(session: Session, *, deleted_before: datetime) -> int:
    """Remove for good the submissions deleted before ``deleted_before``; how many."""
    submission_ids = list(
        session.exec(
            select(Submission.id).where(
                col(Submission.deleted_at).is_not(None),
                col(Submission.deleted_at) < deleted_before,
            )
        ).all()
    )
    _remove(session, [i for i in submission_ids if i is not None])
    return len(submission_ids)


# Ingest's hot path: a new submission in three statements (one on PostgreSQL) compiled once
# and run on the driver's connection (`server.store.driver`).
_submissions = Submission.__table__  # type: ignore[attr-defined]
_submission_defs = SubmissionDef.__table__  # type: ignore[attr-defined]
_SUBMISSION_COLUMNS = [
    "form_id",
    "instance_id",
    "submitter_id",
    "device_id",
    "review_state",
    "created_at",
    "draft",
]
_SUBMISSION_DEF_COLUMNS = [
    "submission_id",
    "form_id",
    "form_def_id",
    "instance_id",
    "xml",
    "xml_sha256",
    "instance_name",
    "submitter_id",
    "device_id",
    "user_agent",
    "current",
    "fields",
    "created_at",
    "local_key",
    "enc_data_attachment_name",
    "signature",
]
_INSERT_SUBMISSION = Statement(
    sa.insert(_submissions).returning(_submissions.c.id), columns=_SUBMISSION_COLUMNS
)
_INSERT_SUBMISSION_DEF = Statement(
    sa.insert(_submission_defs).returning(_submission_defs.c.id),
    columns=_SUBMISSION_DEF_COLUMNS,
)
_INSERT_ATTACHMENT = Statement(
    sa.insert(SubmissionAttachment.__table__),  # type: ignore[attr-defined]
    columns=["submission_def_id", "name", "blob_sha", "content_type", "enc_index"],
)


def _logged_insert_statement() -> Statement:
    """A new submission, its first version and its audit entry as one statement (for
    PostgreSQL, whose data-modifying CTEs make this possible): one round trip where the
    three inserts were three, and, run on its own, its own transaction, sparing the
    ``BEGIN`` and ``COMMIT`` round trips as well."""

    def param(table: sa.Table, name: str) -> sa.BindParameter[Any]:
        return sa.bindparam(name, type_=table.c[name].type)

    audits = Audit.__table__  # type: ignore[attr-defined]
    new_submission = (
        sa.insert(_submissions)
        .values({name: param(_submissions, name) for name in _SUBMISSION_COLUMNS})
        .returning(_submissions.c.id)
        .cte("new_submission")
    )
    def_columns = [c for c in _SUBMISSION_DEF_COLUMNS if c != "submission_id"]
    new_def = (
        sa.insert(_submission_defs)
        .from_select(
            ["submission_id", *def_columns],
            sa.select(
                new_submission.c.id, *(param(_submission_defs, name) for name in def_columns)
            ),
        )
        .returning(_submission_defs.c.id)
        .cte("new_def")
    )
    audit_entry = sa.insert(audits).from_select(
        ["actor_id", "action", "actee", "details", "logged_at"],
        sa.select(
            sa.bindparam("audit_actor_id", type_=audits.c.actor_id.type),
            sa.bindparam("audit_action", type_=audits.c.action.type),
            sa.literal("submission:") + sa.cast(new_submission.c.id, sa.String),
            sa.bindparam("audit_details", type_=audits.c.details.type),
            sa.bindparam("audit_logged_at", type_=audits.c.logged_at.type),
        ),
    )
    return Statement(
        sa.select(new_submission.c.id, new_def.c.id.label("def_id")).add_cte(
            audit_entry.cte("audit_entry")
        )
    )


_INSERT_SUBMISSION_LOGGED = _logged_insert_statement()


def insert_new_submission(
    driver: Driver,
    *,
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
    attachments: list[tuple[str, str | None, str | None, int | None]],
    now: datetime,
    audit: tuple[str, dict[str, Any]],
    local_key: str | None = None,
    enc_data_attachment_name: str | None = None,
    signature: str | None = None,
    draft: bool = False,
) -> tuple[int, int]:
    """A submission, its first version, its expected attachments (name, blob SHA-256 or
    None, content type, encrypted file index) and its audit entry (action and details,
    logged for the submitter as ``submission:<id>``); returns the submission's and the
    version's ids. A unique constraint refuses an instanceID the form already has
    (IntegrityError).

    Without attachments on PostgreSQL this is one statement, which `Database.write_together`
    may run on its own (``one_statement``)."""
    submission = {
        "form_id": form_id,
        "instance_id": instance_id,
        "submitter_id": submitter_id,
        "device_id": device_id,
        "review_state": None,
        "created_at": now,
        "draft": draft,
    }
    version = {
        "form_id": form_id,
        "form_def_id": form_def_id,
        "instance_id": instance_id,
        "xml": xml,
        "xml_sha256": xml_sha256,
        "instance_name": instance_name,
        "submitter_id": submitter_id,
        "device_id": device_id,
        "user_agent": user_agent,
        "current": True,
        "fields": fields,
        "created_at": now,
        "local_key": local_key,
        "enc_data_attachment_name": enc_data_attachment_name,
        "signature": signature,
    }
    action, details = audit
    if driver.dialect.name == "postgresql":
        row = driver.first(
            _INSERT_SUBMISSION_LOGGED,
            {
                **submission,
                **version,
                "audit_actor_id": submitter_id,
                "audit_action": action,
                "audit_details": details,
                "audit_logged_at": now,
            },
        )
        assert row is not None
        submission_id, def_id = row
    else:
        submission_id = driver.scalar(_INSERT_SUBMISSION, submission)
        def_id = driver.scalar(_INSERT_SUBMISSION_DEF, {"submission_id": submission_id, **version})
        insert_audit(
            driver,
            actor_id=submitter_id,
            action=action,
            actee=f"submission:{submission_id}",
            details=details,
            now=now,
        )
    if attachments:
        driver.execute_many(
            _INSERT_ATTACHMENT,
            [
                {
                    "submission_def_id": def_id,
                    "name": n,
                    "blob_sha": b,
                    "content_type": t,
                    "enc_index": i,
                }
                for n, b, t, i in attachments
            ],
        )
    assert submission_id is not None and def_id is not None
    return int(submission_id), int(def_id)
