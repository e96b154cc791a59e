"""Taking in submissions, exactly once, and reading them back.

`ingest` is the whole of Central's rule for a phone's POST: an unknown instanceID is a
new submission; the same instanceID with byte-identical XML is a resend, which succeeds
and adds any attachments not yet received (this is how ODK Collect's split uploads of
large submissions come together); the same instanceID with other XML is a 409 conflict;
``meta/deprecatedID`` makes an edit, a new version of the submission it names, which
must be that submission's current version. The database's unique constraints have the
last word when two retries race: the loser rolls back and is answered as a resend.

Attachment files are written to the blob store (durably) before the transaction that
records them commits, and the caller answers 201 only after that commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy.exc import IntegrityError

from server import problems
from server.data.submission import (
    SubmissionInfo,
    attachment_names,
    flatten_values,
    read_submission,
)
from server.data.xform import FieldInfo
from server.data.xml import XmlError
from server.domain import Services, utcnow
from server.domain.access import SUBMISSION_CREATE, SUBMISSION_LIST, SUBMISSION_READ, Actor
from server.domain.forms import authorised_form
from server.domain.projects import get_project
from server.external.blobs import BlobRef
from server.store import forms as form_store
from server.store import submissions as store
from server.store.tables import Blob, Form, FormDef, Submission, SubmissionAttachment, SubmissionDef

MAX_ATTACHMENT_NAME = 255


@dataclass
class IncomingFile:
    """A file part of a submission: its name, declared type, and an open file."""

    name: str
    content_type: str | None
    file: BinaryIO


@dataclass
class IngestResult:
    submission: Submission
    definition: SubmissionDef
    created: bool
    attachments: list[SubmissionAttachment] = field(default_factory=list)


def identify(xml: bytes) -> SubmissionInfo:
    try:
        return read_submission(xml)
    except XmlError as error:
        raise problems.unparseable("xml", len(xml), str(error)) from error


def ingest(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml: bytes,
    files: list[IncomingFile],
    device_id: str | None = None,
    user_agent: str | None = None,
    expected_form_id: str | None = None,
    draft: bool = False,
) -> IngestResult:
    """Store one submission (or a resend or an edit of one); see the module docstring."""
    info = identify(xml)
    if expected_form_id is not None and info.xml_form_id != expected_form_id:
        raise problems.unexpected_value(
            "form ID", info.xml_form_id, f"expected the submission to be for {expected_form_id}."
        )
    get_project(services, actor, project_id)
    form, form_def = _target_definition(services, actor, project_id, info, draft=draft)
    fields = [FieldInfo.from_json(f) for f in form_def.schema_]
    values = flatten_values(info.root, fields)
    expected = attachment_names(values, fields)
    received = _store_files(services, files, expected)
    xml_sha = hashlib.sha256(xml).hexdigest()
    for attempt in range(3):
        try:
            return _record(
                services,
                actor,
                form=form,
                form_def=form_def,
                info=info,
                xml=xml,
                xml_sha=xml_sha,
                values=values,
                expected=expected,
                received=received,
                device_id=device_id,
                user_agent=user_agent,
            )
        except IntegrityError:
            # Another request stored this instanceID between our read and our insert;
            # go round again and meet it as a resend (or a conflict).
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _target_definition(
    services: Services, actor: Actor, project_id: int, info: SubmissionInfo, *, draft: bool
) -> tuple[Form, FormDef]:
    with services.db.read() as session:
        form = form_store.form_by_xml_id(
            session, project_id=project_id, xml_form_id=info.xml_form_id
        )
        if form is None:
            raise problems.not_found()
        actor.require(SUBMISSION_CREATE, project_id=project_id, form_id=form.id)
        assert form.id is not None
        if draft:
            form_def = form_store.form_def_by_id(session, form_def_id=form.draft_def_id or 0)
            if form_def is None:
                raise problems.not_found()
            if form_def.version != info.version:
                raise problems.form_version_not_found(info.version)
            return form, form_def
        if form.current_def_id is None:
            raise problems.not_found()
        if form.state == "closed":
            raise problems.not_accepting_submissions()
        form_def = form_store.published_def_by_version(
            session, form_id=form.id, version=info.version
        )
        if form_def is None:
            raise problems.form_version_not_found(info.version)
        return form, form_def


def _store_files(
    services: Services, files: list[IncomingFile], expected: list[str]
) -> dict[str, tuple[BlobRef, str | None]]:
    """Write the expected attachments among ``files`` to the blob store; ignore the rest."""
    wanted = set(expected)
    received: dict[str, tuple[BlobRef, str | None]] = {}
    for incoming in files:
        if incoming.name in wanted and incoming.name not in received:
            received[incoming.name] = (
                services.blobs.put_file(incoming.file),
                incoming.content_type,
            )
    return received


def _record(
    services: Services,
    actor: Actor,
    *,
    form: Form,
    form_def: FormDef,
    info: SubmissionInfo,
    xml: bytes,
    xml_sha: str,
    values: dict[str, Any],
    expected: list[str],
    received: dict[str, tuple[BlobRef, str | None]],
    device_id: str | None,
    user_agent: str | None,
) -> IngestResult:
    assert form.id is not None and form_def.id is not None
    now = utcnow()
    with services.db.write() as session:
        for ref, _ in received.values():
            form_store.upsert_blob(session, sha256=ref.sha256, md5=ref.md5, size=ref.size)
        existing = store.def_by_instance_id(session, form_id=form.id, instance_id=info.instance_id)
        if existing is not None:
            definition, submission = existing
            if submission.deleted_at is not None:
                raise problems.Problem(
                    "409.18", "This submission has been deleted. You may not resubmit it."
                )
            if definition.xml_sha256 != xml_sha or definition.xml != xml:
                raise problems.xml_conflict()
            assert definition.id is not None
            attachments = _fill_attachments(session, definition.id, received)
            return IngestResult(submission, definition, created=False, attachments=attachments)
        if info.deprecated_id is not None:
            previous = store.def_by_instance_id(
                session, form_id=form.id, instance_id=info.deprecated_id
            )
            if previous is None or previous[1].deleted_at is not None:
                raise problems.deprecated_id_not_found(info.deprecated_id)
            old_definition, submission = previous
            if not old_definition.current:
                raise problems.deprecating_old_submission(info.deprecated_id)
            old_definition.current = False
            session.add(old_definition)
            submission.updated_at = now
            submission.review_state = "edited"
            session.add(submission)
        else:
            submission = store.insert_submission(
                session,
                form_id=form.id,
                instance_id=info.instance_id,
                submitter_id=actor.id,
                device_id=device_id,
                now=now,
            )
        assert submission.id is not None
        definition = store.insert_submission_def(
            session,
            submission_id=submission.id,
            form_id=form.id,
            form_def_id=form_def.id,
            instance_id=info.instance_id,
            xml=xml,
            xml_sha256=xml_sha,
            instance_name=info.instance_name,
            submitter_id=actor.id,
            device_id=device_id,
            user_agent=user_agent[:500] if user_agent else None,
            fields=values,
            now=now,
        )
        assert definition.id is not None
        attachments = []
        for name in expected:
            ref_and_type = received.get(name)
            attachments.append(
                store.insert_attachment(
                    session,
                    submission_def_id=definition.id,
                    name=name,
                    blob_sha=ref_and_type[0].sha256 if ref_and_type else None,
                    content_type=ref_and_type[1] if ref_and_type else None,
                )
            )
        return IngestResult(submission, definition, created=True, attachments=attachments)


def _fill_attachments(
    session: Any, submission_def_id: int, received: dict[str, tuple[BlobRef, str | None]]
) -> list[SubmissionAttachment]:
    """Record newly received files of a resend; a file already received is kept as it was."""
    attachments = store.attachments_of(session, submission_def_id=submission_def_id)
    for attachment in attachments:
        if attachment.blob_sha is None and attachment.name in received:
            ref, content_type = received[attachment.name]
            attachment.blob_sha = ref.sha256
            attachment.content_type = content_type
            session.add(attachment)
    return attachments


# Reading -------------------------------------------------------------------------------


@dataclass
class SubmissionView:
    submission: Submission
    definition: SubmissionDef


def list_submissions(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str
) -> list[SubmissionView]:
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_LIST)
    assert form.id is not None
    with services.db.read() as session:
        return [SubmissionView(s, d) for s, d in store.list_submissions(session, form_id=form.id)]


def get_submission(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, instance_id: str
) -> SubmissionView:
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_READ)
    assert form.id is not None
    with services.db.read() as session:
        submission = store.submission_by_instance_id(
            session, form_id=form.id, instance_id=instance_id
        )
        if submission is None or submission.id is None:
            raise problems.not_found()
        definition = store.current_def(session, submission_id=submission.id)
    if definition is None:
        raise problems.not_found()
    return SubmissionView(submission, definition)


def list_attachments(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, instance_id: str
) -> list[SubmissionAttachment]:
    view = get_submission(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, instance_id=instance_id
    )
    assert view.definition.id is not None
    with services.db.read() as session:
        return store.attachments_of(session, submission_def_id=view.definition.id)


def attachment_blob(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    name: str,
) -> tuple[SubmissionAttachment, Blob]:
    view = get_submission(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, instance_id=instance_id
    )
    assert view.definition.id is not None
    with services.db.read() as session:
        found = store.attachment_with_blob(session, submission_def_id=view.definition.id, name=name)
    if found is None or found[1] is None:
        raise problems.not_found()
    return found[0], found[1]
