"""SQL for forms, their definitions (versions and drafts) and their media attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from server.store.driver import Driver, Statement
from server.store.tables import Blob, Form, FormAttachment, FormDef, Project, Submission


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
    key_id: int | None = None,
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
        key_id=key_id,
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


_blobs = Blob.__table__  # type: ignore[attr-defined]
_BLOB_EXISTS = Statement(sa.select(_blobs.c.sha256).where(_blobs.c.sha256 == sa.bindparam("sha")))
_INSERT_BLOB = Statement(sa.insert(_blobs), columns=["sha256", "md5", "size"])


def upsert_blob(driver: Driver, *, sha256: str, md5: str, size: int) -> None:
    """Record a file of the blob store, unless it is recorded already."""
    if driver.first(_BLOB_EXISTS, {"sha": sha256}) is None:
        driver.execute(_INSERT_BLOB, {"sha256": sha256, "md5": md5, "size": size})


def blob_by_sha(session: Session, *, sha256: str) -> Blob | None:
    return session.get(Blob, sha256)


def blob_totals(session: Session) -> tuple[int, int]:
    """How many files the blob store has recorded, and their total size in bytes."""
    count, total = session.exec(select(func.count(), func.coalesce(func.sum(Blob.size), 0))).one()
    return int(count), int(total)


def count_forms(session: Session, *, project_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Form)
            .where(col(Form.project_id) == project_id, col(Form.deleted_at).is_(None))
        ).one()
    )


def form_stats(session: Session, *, form_id: int) -> dict[str, Any]:
    """Submission counts by review state and the last submission's time, for one form."""
    rows = session.exec(
        select(Submission.review_state, func.count(), func.max(Submission.created_at))
        .where(
            col(Submission.form_id) == form_id,
            col(Submission.deleted_at).is_(None),
            col(Submission.draft).is_(False),
        )
        .group_by(col(Submission.review_state))
    ).all()
    states = {"received": 0, "hasIssues": 0, "edited": 0}
    total, last = 0, None
    for state, count, latest in rows:
        total += int(count)
        key = state or "received"
        if key in states:
            states[key] += int(count)
        if latest is not None and (last is None or latest > last):
            last = latest
    return {"submissions": total, "reviewStates": states, "lastSubmission": last}


# The phones' hot path: statements compiled once and run on the driver's connection
# (`server.store.driver`), loading no XML or schema that is not needed.
_forms, _defs = Form.__table__, FormDef.__table__  # type: ignore[attr-defined]
_projects = Project.__table__  # type: ignore[attr-defined]
_attachments = FormAttachment.__table__  # type: ignore[attr-defined]
_OPEN_PUBLISHED_FORMS = Statement(
    sa.select(
        _forms.c.id,
        _forms.c.xml_form_id,
        _defs.c.name,
        _defs.c.version,
        _defs.c.md5,
        # An integer (0 or 1) rather than a boolean: no conversion per row on SQLite.
        sa.type_coerce(
            sa.exists().where(_attachments.c.form_def_id == _forms.c.current_def_id), sa.Integer
        ).label("has_media"),
    )
    .join(_defs, _defs.c.id == _forms.c.current_def_id)
    .where(
        _forms.c.project_id == sa.bindparam("project_id"),
        _forms.c.deleted_at.is_(None),
        _forms.c.state == "open",
    )
    # Central's order: by the name shown on the phone, the form ID where there is none.
    .order_by(sa.func.coalesce(_defs.c.name, _forms.c.xml_form_id), _forms.c.xml_form_id)
)


def open_published_forms(driver: Driver, *, project_id: int) -> list[Any]:
    """Open forms with a published definition: (id, xml_form_id, name, version, md5,
    has_media) rows, in one query; has_media is true (or 1) when the form has media."""
    return driver.all(_OPEN_PUBLISHED_FORMS, {"project_id": project_id})


# Also read with a phone's app user, in one statement (`server.store.phones`).
FORM_FOR_SUBMISSION = Statement(
    sa.select(
        _forms.c.id,
        _forms.c.state,
        _forms.c.current_def_id,
        _forms.c.draft_def_id,
        _defs.c.id.label("published_def_id"),
        _defs.c.sha256.label("published_sha256"),
    )
    .select_from(_forms)
    .outerjoin(
        _defs,
        sa.and_(
            _defs.c.form_id == _forms.c.id,
            _defs.c.version == sa.bindparam("version"),
            _defs.c.published_at.is_not(None),
        ),
    )
    .join(
        _projects,
        sa.and_(_projects.c.id == _forms.c.project_id, _projects.c.deleted_at.is_(None)),
    )
    .where(
        _forms.c.project_id == sa.bindparam("project_id"),
        _forms.c.xml_form_id == sa.bindparam("xml_form_id"),
        _forms.c.deleted_at.is_(None),
    )
)
_DEF_SCHEMA = Statement(
    sa.select(_defs.c.id, _defs.c.version, _defs.c.sha256, _defs.c.schema).where(
        _defs.c.id == sa.bindparam("form_def_id")
    )
)


def form_for_submission(
    driver: Driver, *, project_id: int, xml_form_id: str, version: str
) -> Any | None:
    """The form a submission names in a live project, with its published definition of
    that version if any: (id, state, current_def_id, draft_def_id, published_def_id,
    published_sha256)."""
    params = {"project_id": project_id, "xml_form_id": xml_form_id, "version": version}
    return driver.first(FORM_FOR_SUBMISSION, params)


def form_def_schema(driver: Driver, *, form_def_id: int) -> Any | None:
    """A definition's (id, version, sha256, schema), without its XForm."""
    return driver.first(_DEF_SCHEMA, {"form_def_id": form_def_id})


_FORM_FOR_PHONE = Statement(
    sa.select(_forms.c.id, _forms.c.state, _forms.c.current_def_id).where(
        _forms.c.project_id == sa.bindparam("project_id"),
        _forms.c.xml_form_id == sa.bindparam("xml_form_id"),
        _forms.c.deleted_at.is_(None),
    )
)


def form_for_phone(driver: Driver, *, project_id: int, xml_form_id: str) -> Any | None:
    """A live form's (id, state, current_def_id), without an ORM object."""
    return driver.first(_FORM_FOR_PHONE, {"project_id": project_id, "xml_form_id": xml_form_id})


_DEF_XML = Statement(sa.select(_defs.c.xml).where(_defs.c.id == sa.bindparam("form_def_id")))


def form_def_xml(driver: Driver, *, form_def_id: int) -> bytes | None:
    """A definition's XForm alone (without its schema or an ORM object)."""
    xml = driver.scalar(_DEF_XML, {"form_def_id": form_def_id})
    return None if xml is None else bytes(xml)
