"""SQL for forms, their definitions (versions and drafts) and their media attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from server.store.tables import Blob, Form, FormAttachment, FormDef


def insert_form(
    session: Session, *, project_id: int, xml_form_id: str, created_by: int | None, now: datetime
) -> Form:
    form = Form(
        project_id=project_id, xml_form_id=xml_form_id, created_by=created_by, created_at=now
    )
    session.add(form)
    session.flush()
    return form


def insert_form_def(
    session: Session,
    *,
    form_id: int,
    version: str,
    name: str | None,
    xml: bytes,
    md5: str,
    sha256: str,
    schema: list[dict[str, Any]],
    xlsx_blob: str | None,
    now: datetime,
) -> FormDef:
    form_def = FormDef(
        form_id=form_id,
        version=version,
        name=name,
        xml=xml,
        md5=md5,
        sha256=sha256,
        schema_=schema,
        xlsx_blob=xlsx_blob,
        created_at=now,
    )
    session.add(form_def)
    session.flush()
    return form_def


def form_by_xml_id(session: Session, *, project_id: int, xml_form_id: str) -> Form | None:
    return session.exec(
        select(Form).where(
            col(Form.project_id) == project_id,
            col(Form.xml_form_id) == xml_form_id,
            col(Form.deleted_at).is_(None),
        )
    ).first()


def form_by_id(session: Session, *, form_id: int) -> Form | None:
    form = session.get(Form, form_id)
    return form if form is not None and form.deleted_at is None else None


def list_forms(session: Session, *, project_id: int) -> list[Form]:
    return list(
        session.exec(
            select(Form)
            .where(col(Form.project_id) == project_id, col(Form.deleted_at).is_(None))
            .order_by(col(Form.xml_form_id))
        ).all()
    )


def form_def_by_id(session: Session, *, form_def_id: int) -> FormDef | None:
    return session.get(FormDef, form_def_id)


def published_def_by_version(session: Session, *, form_id: int, version: str) -> FormDef | None:
    return session.exec(
        select(FormDef).where(
            col(FormDef.form_id) == form_id,
            col(FormDef.version) == version,
            col(FormDef.published_at).is_not(None),
        )
    ).first()


def published_defs(session: Session, *, form_id: int) -> list[FormDef]:
    return list(
        session.exec(
            select(FormDef)
            .where(col(FormDef.form_id) == form_id, col(FormDef.published_at).is_not(None))
            .order_by(col(FormDef.published_at).desc(), col(FormDef.id).desc())
        ).all()
    )


def insert_form_attachment(
    session: Session,
    *,
    form_def_id: int,
    name: str,
    type: str,
    blob_sha: str | None = None,
    content_type: str | None = None,
    now: datetime | None = None,
) -> FormAttachment:
    attachment = FormAttachment(
        form_def_id=form_def_id,
        name=name,
        type=type,
        blob_sha=blob_sha,
        content_type=content_type,
        updated_at=now if blob_sha else None,
    )
    session.add(attachment)
    session.flush()
    return attachment


def form_attachments(session: Session, *, form_def_id: int) -> list[FormAttachment]:
    return list(
        session.exec(
            select(FormAttachment)
            .where(col(FormAttachment.form_def_id) == form_def_id)
            .order_by(col(FormAttachment.name))
        ).all()
    )


def form_attachment(session: Session, *, form_def_id: int, name: str) -> FormAttachment | None:
    return session.exec(
        select(FormAttachment).where(
            col(FormAttachment.form_def_id) == form_def_id, col(FormAttachment.name) == name
        )
    ).first()


def form_attachments_with_blobs(
    session: Session, *, form_def_id: int
) -> list[tuple[FormAttachment, Blob | None]]:
    rows = session.exec(
        select(FormAttachment, Blob)
        .join(Blob, col(Blob.sha256) == col(FormAttachment.blob_sha), isouter=True)
        .where(col(FormAttachment.form_def_id) == form_def_id)
        .order_by(col(FormAttachment.name))
    ).all()
    return [(a, b) for a, b in rows]


def upsert_blob(session: Session, *, sha256: str, md5: str, size: int) -> None:
    if session.get(Blob, sha256) is None:
        session.add(Blob(sha256=sha256, md5=md5, size=size))
        session.flush()


def blob_by_sha(session: Session, *, sha256: str) -> Blob | None:
    return session.get(Blob, sha256)


def count_forms(session: Session, *, project_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Form)
            .where(col(Form.project_id) == project_id, col(Form.deleted_at).is_(None))
        ).one()
    )
