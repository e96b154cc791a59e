"""Taking in submissions, exactly once, and reading them back.

`ingest` is the whole of Central's rule for a phone's POST: an unknown instanceID is a
new submission; the same instanceID with byte-identical XML is a resend, which succeeds
and adds any attachments not yet received (this is how ODK Collect's split uploads of
large submissions come together); the same instanceID with other XML is a 409 conflict;
``meta/deprecatedID`` makes an edit, a new version of the submission it names, which
must be that submission's current version. The database's unique constraints have the
last word when two retries race: the loser rolls back and is answered as a resend.

Attachment files are staged before the transaction (read once for their SHA-256; the
files store writes them durably then) and recorded inside it (the ``blobs`` row, and the
bytes themselves when blobs live in PostgreSQL); the caller answers 201 only after that
commit.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, BinaryIO

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from server import problems
from server.data.credentials import token_digest
from server.data.encryption import load_public_key, wrapped_key_fits
from server.data.submission import (
    EncryptedManifest,
    MissingInstanceId,
    SubmissionInfo,
    attachment_names,
    flatten_values,
    read_submission,
)
from server.data.xform import FieldInfo
from server.data.xml import XmlError
from server.domain import Services, audits, entities, utcnow
from server.domain.access import (
    SUBMISSION_CREATE,
    SUBMISSION_DELETE,
    SUBMISSION_LIST,
    SUBMISSION_READ,
    SUBMISSION_RESTORE,
    SUBMISSION_UPDATE,
    Actor,
)
from server.domain.accounts import Credentials, app_user_of_row, resolve_caller
from server.domain.datasets import spec_of_def
from server.domain.forms import authorised_form, draft_by_token
from server.domain.projects import check_project_access, require_project
from server.external.blobs import BlobStore, StagedBlob
from server.store import audits as audit_store
from server.store import forms as form_store
from server.store import keys as key_store
from server.store import phones as phone_store
from server.store import submissions as store
from server.store.driver import Driver
from server.store.tables import Actor as ActorRow
from server.store.tables import (
    Blob,
    Comment,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
)

MAX_ATTACHMENT_NAME = 255
MAX_CONTENT_TYPE = 200
# What the phone says of itself is kept as far as the columns hold it.
MAX_DEVICE_ID = 300
MAX_USER_AGENT = 500


@dataclass
class IncomingFile:
    """A file part of a submission: its name, declared type, and an open file.

    The name is the multipart field's, as Central names attachments, never the part's
    ``filename`` (which a client may set to anything, a path included)."""

    name: str
    content_type: str | None
    file: BinaryIO


_StoredRows = tuple[Submission, SubmissionDef, list[SubmissionAttachment]]


@dataclass
class IngestResult:
    """What became of one submission: stored now (``created``) or met as a resend.

    The stored rows are built when first asked for: a phone's upload never asks, and
    building them would cost more than storing them.
    """

    created: bool
    rows: Callable[[], _StoredRows]

    @cached_property
    def _stored(self) -> _StoredRows:
        return self.rows()

    @property
    def submission(self) -> Submission:
        return self._stored[0]

    @property
    def definition(self) -> SubmissionDef:
        return self._stored[1]

    @property
    def attachments(self) -> list[SubmissionAttachment]:
        return self._stored[2]


def identify(xml: bytes) -> SubmissionInfo:
    try:
        return read_submission(xml)
    except MissingInstanceId as error:
        if error.encrypted:
            raise problems.missing_parameter(
                "instanceId (required for encrypted submissions)"
            ) from error
        raise problems.unparseable("xml", len(xml), str(error)) from error
    except XmlError as error:
        raise problems.unparseable("xml", len(xml), str(error)) from error


def ingest(
    services: Services,
    caller: Actor | Credentials,
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
    staged = _stage(
        services,
        caller,
        project_id=project_id,
        xml=xml,
        device_id=device_id,
        user_agent=user_agent,
        expected_form_id=expected_form_id,
        draft=draft,
    )
    staged.received = _store_files(services, files, staged.expected)
    staged.blobs = services.blobs
    if staged.info.deprecated_id is None:
        try:
            # Committed with other submissions arriving at the same moment (one flush).
            ids = services.db.write_together(staged.insert_new, one_statement=staged.one_statement)
        except IntegrityError:
            pass  # the form has this instanceID already: `_record` sorts it out
        else:
            result = staged.created(ids)
            _entities_after(services, staged, result)
            return result
    result = _record_retrying(services, staged)
    _entities_after(services, staged, result)
    return result


async def ingest_async(
    services: Services,
    credentials: Credentials,
    *,
    project_id: int,
    xml: bytes,
    files: list[IncomingFile],
    device_id: str | None = None,
    user_agent: str | None = None,
) -> IngestResult:
    """`ingest` for a phone's POST on an event loop, over SQLite.

    The reads and the parsing take a fraction of a millisecond on a local file and run
    right here; the new submission joins the group commit without a worker thread of
    its own (`Database.write_together_async`). Only attached files, which are flushed to
    disk, and the rare resend or edit go to a worker thread.
    """
    staged = _stage(
        services,
        credentials,
        project_id=project_id,
        xml=xml,
        device_id=device_id,
        user_agent=user_agent,
    )
    if files:
        staged.received = await asyncio.to_thread(_store_files, services, files, staged.expected)
    staged.blobs = services.blobs
    if staged.info.deprecated_id is None:
        try:
            ids = await services.db.write_together_async(
                staged.insert_new, one_statement=staged.one_statement
            )
        except IntegrityError:
            pass
        else:
            result = staged.created(ids)
            if _declares_entities(services, staged):
                await asyncio.to_thread(_entities_after, services, staged, result)
            return result
    result = await asyncio.to_thread(_record_retrying, services, staged)
    if result.created and _declares_entities(services, staged):
        await asyncio.to_thread(_entities_after, services, staged, result)
    return result


def _declares_entities(services: Services, staged: _Staged) -> bool:
    return (
        not staged.draft
        and staged.info.manifest is None
        and spec_of_def(services, staged.form_def_id) is not None
    )


def _entities_after(services: Services, staged: _Staged, result: IngestResult) -> None:
    """Once a new submission or edit is committed, the entities it asks for (their own
    transaction; an error there is audited and leaves the submission accepted)."""
    if not result.created or not _declares_entities(services, staged):
        return
    assert result.definition.id is not None
    entities.process_submission(
        services,
        submission_def_id=result.definition.id,
        event=entities.EDIT_EVENT if staged.info.deprecated_id else entities.CREATE_EVENT,
        actor=staged.actor,
        stored=(result.submission, result.definition),
    )


@dataclass
class _Staged:
    """A submission parsed and checked against its form, with what is needed to store it."""

    actor: Actor
    form_id: int
    form_def_id: int
    info: SubmissionInfo
    xml: bytes
    xml_sha: str
    values: dict[str, Any]
    expected: list[str]  # the attachments the submission names
    device_id: str | None
    user_agent: str | None
    now: datetime
    draft: bool = False  # a test submission to the form's draft
    received: dict[str, tuple[StagedBlob, str | None]] = field(default_factory=dict)
    blobs: BlobStore | None = None  # the store that staged ``received``
    draft: bool = False  # a test submission to a draft

    @property
    def encrypted(self) -> bool:
        return self.info.manifest is not None

    def attachment_rows(self) -> list[tuple[str, str | None, str | None, int | None]]:
        """(name, blob SHA-256, content type, encrypted file index) of every expected file,
        received or not."""
        rows: list[tuple[str, str | None, str | None, int | None]] = []
        for index, name in enumerate(self.expected):
            enc_index = index if self.encrypted else None
            if name in self.received:
                ref, content_type = self.received[name]
                rows.append((name, ref.sha256, content_type, enc_index))
            else:
                rows.append((name, None, None, enc_index))
        return rows

    def version_columns(self) -> dict[str, Any]:
        """The first version's columns, as `insert_new` stores them and `created` shows them."""
        return dict(
            form_id=self.form_id,
            form_def_id=self.form_def_id,
            instance_id=self.info.instance_id,
            xml=self.xml,
            xml_sha256=self.xml_sha,
            instance_name=self.info.instance_name,
            submitter_id=self.actor.id,
            device_id=self.device_id,
            user_agent=self.user_agent,
            fields=self.values,
            **_encryption_columns(self.info.manifest),
        )

    def insert_new(self, driver: Driver) -> tuple[int, int]:
        """The common case, a new instanceID, as plain inserts (a unique constraint
        refuses an instanceID the form has already). Records what `_record` records for
        a new submission; returns the submission's and its version's ids."""
        self.record_blobs(driver)
        return store.insert_new_submission(
            driver,
            **self.version_columns(),
            attachments=self.attachment_rows(),
            now=self.now,
            audit=(
                "submission.create",
                {"instanceId": self.info.instance_id, "formId": self.form_id},
            ),
            draft=self.draft,
        )

    @property
    def one_statement(self) -> bool:
        """Whether `insert_new` is a single statement (on PostgreSQL): no file to record,
        no attachment row to add."""
        return not self.expected and not self.received

    def record_blobs(self, driver: Driver) -> None:
        """The received files, recorded in the transaction of the rows naming them."""
        for staged, _ in self.received.values():
            assert self.blobs is not None
            self.blobs.record(driver, staged)

    def created(self, ids: tuple[int, int]) -> IngestResult:
        submission_id, definition_id = ids

        def stored_rows() -> _StoredRows:
            """The rows `insert_new` stored, as the objects `_record` returns."""
            submission = Submission(
                id=submission_id,
                form_id=self.form_id,
                instance_id=self.info.instance_id,
                submitter_id=self.actor.id,
                device_id=self.device_id,
                created_at=self.now,
                draft=self.draft,
            )
            definition = SubmissionDef(
                id=definition_id,
                submission_id=submission_id,
                current=True,
                created_at=self.now,
                **self.version_columns(),
            )
            attachments = [
                SubmissionAttachment(
                    submission_def_id=definition_id,
                    name=n,
                    blob_sha=b,
                    content_type=t,
                    enc_index=i,
                )
                for n, b, t, i in self.attachment_rows()
            ]
            return submission, definition, attachments

        return IngestResult(created=True, rows=stored_rows)


def _stage(
    services: Services,
    caller: Actor | Credentials,
    *,
    project_id: int,
    xml: bytes,
    device_id: str | None,
    user_agent: str | None,
    expected_form_id: str | None = None,
    draft: bool = False,
) -> _Staged:
    """Parse the submission, and check in one read who sends it and that its form takes it."""
    info = identify(xml)
    if expected_form_id is not None and info.xml_form_id != expected_form_id:
        # Central's words, on every route that names the form.
        raise problems.unexpected_value(
            "form id", info.xml_form_id, "did not match the form ID in the URL"
        )
    with services.db.driver_read() as driver:
        actor, form = _caller_and_form(services, driver, caller, project_id, info)
        if form is None:
            require_project(driver, actor, project_id)  # 404 or 403 for the project first
            raise problems.not_found()
        check_project_access(actor, project_id)
        target = _target_definition(
            driver, services.db.url, actor, project_id, form, info, draft=draft
        )
        public_key = (
            key_store.public_key_of_def(driver, form_def_id=target.form_def_id)
            if info.manifest is not None
            else None
        )
    if info.manifest is not None:
        # Encrypted: the server reads only the manifest; its values stay sealed.
        _check_manifest(info.manifest, public_key)
        values: dict[str, Any] = {}
        expected = info.manifest.files
    else:
        values = flatten_values(info.root, target.fields)
        expected = attachment_names(values, target.fields)
    for name in expected:
        if len(name) > MAX_ATTACHMENT_NAME:
            raise problems.unexpected_value(
                "attachment name",
                name[:40] + "…",
                f"a file name has at most {MAX_ATTACHMENT_NAME} characters.",
            )
    return _Staged(
        actor=actor,
        form_id=target.form_id,
        form_def_id=target.form_def_id,
        info=info,
        xml=xml,
        xml_sha=hashlib.sha256(xml).hexdigest(),
        values=values,
        expected=expected,
        device_id=device_id[:MAX_DEVICE_ID] if device_id else None,
        user_agent=user_agent[:MAX_USER_AGENT] if user_agent else None,
        now=utcnow(),
        draft=draft,
    )


def _check_manifest(manifest: EncryptedManifest, public_key: str | None) -> None:
    """Refuse a manifest whose wrapped key cannot be one (missing, not base64, not one RSA
    block of the form's key): the phone keeps it and says why, instead of the server
    storing a submission no passphrase will ever open."""
    if manifest.local_key is None:
        raise problems.missing_parameter("base64EncryptedKey")
    if public_key is None:
        return
    try:
        key = load_public_key(public_key)
    except ValueError:
        return  # a self-supplied "key" that is not one: Central accepts it, so do we
    if not wrapped_key_fits(key, manifest.local_key):
        raise problems.unexpected_value(
            "base64EncryptedKey",
            manifest.local_key[:40] + ("…" if len(manifest.local_key) > 40 else ""),
            "it is not a key encrypted with this form's public key (wrong length or not base64).",
        )


def _encryption_columns(manifest: EncryptedManifest | None) -> dict[str, Any]:
    if manifest is None:
        return {"local_key": None, "enc_data_attachment_name": None, "signature": None}
    return {
        "local_key": manifest.local_key,
        "enc_data_attachment_name": manifest.xml_file,
        "signature": manifest.signature,
    }


def _record_retrying(services: Services, staged: _Staged) -> IngestResult:
    for attempt in range(3):
        try:
            return _record(services, staged)
        except IntegrityError:
            # Another request stored this instanceID between our read and our insert;
            # go round again and meet it as a resend (or a conflict).
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _Target:
    """The form and definition a submission goes to, with that definition's fields."""

    form_id: int
    form_def_id: int
    fields: list[FieldInfo]


# Field schemas of published definitions, by database, definition id and XForm hash: a
# published definition never changes, so its schema is parsed once per process.
_published_fields: dict[tuple[str, int, str], list[FieldInfo]] = {}
_PUBLISHED_FIELDS_SIZE = 1000


def _caller_and_form(
    services: Services,
    driver: Driver,
    caller: Actor | Credentials,
    project_id: int,
    info: SubmissionInfo,
) -> tuple[Actor, Any | None]:
    """Who sends the submission and the form it names in a live project (None when there
    is none): for a phone's app user, one statement reads both."""
    names = dict(project_id=project_id, xml_form_id=info.xml_form_id, version=info.version)
    if isinstance(caller, Credentials) and caller.app_user_token is not None:
        token = caller.app_user_token
        found = phone_store.app_user_and_form(driver, token_hash=token_digest(token), **names)
        return app_user_of_row(found.app_user, token), found.form
    actor = resolve_caller(services, caller, driver)
    return actor, form_store.form_for_submission(driver, **names)


def _target_definition(
    driver: Driver,
    database_url: str,
    actor: Actor,
    project_id: int,
    form: Any,
    info: SubmissionInfo,
    *,
    draft: bool,
) -> _Target:
    """The definition a submission goes to in ``form`` (a `form_store.form_for_submission`
    row), once the caller may submit to it."""
    actor.require(SUBMISSION_CREATE, project_id=project_id, form_id=form.id)
    if draft:
        row = form_store.form_def_schema(driver, form_def_id=form.draft_def_id or 0)
        if row is None:
            raise problems.not_found()
        if row.version != info.version:
            raise problems.form_version_not_found(info.version)
        return _Target(form.id, row.id, [FieldInfo.from_json(f) for f in row.schema])
    if form.current_def_id is None:
        raise problems.not_found()
    if form.state == "closed":
        raise problems.not_accepting_submissions()
    if form.published_def_id is None:
        raise problems.form_version_not_found(info.version)
    key = (database_url, form.published_def_id, form.published_sha256)
    fields = _published_fields.get(key)
    if fields is None:
        row = form_store.form_def_schema(driver, form_def_id=form.published_def_id)
        assert row is not None
        fields = [FieldInfo.from_json(f) for f in row.schema]
        if len(_published_fields) >= _PUBLISHED_FIELDS_SIZE:
            _published_fields.clear()
        _published_fields[key] = fields
    return _Target(form.id, form.published_def_id, fields)


def _store_files(
    services: Services, files: list[IncomingFile], expected: list[str]
) -> dict[str, tuple[StagedBlob, str | None]]:
    """Stage the expected attachments among ``files`` in the blob store; ignore the rest."""
    wanted = set(expected)
    received: dict[str, tuple[StagedBlob, str | None]] = {}
    for incoming in files:
        name = incoming.name
        if name in wanted and name not in received:
            received[name] = (
                services.blobs.stage(incoming.file),
                _known_type(incoming.content_type),
            )
    return received


def _known_type(content_type: str | None) -> str | None:
    """A file's declared content type, or None (unknown) when it is too long to be one."""
    return content_type if content_type and len(content_type) <= MAX_CONTENT_TYPE else None


def _record(services: Services, staged: _Staged) -> IngestResult:
    """Whatever `_Staged.insert_new` cannot do: a resend, a conflict, an edit."""
    actor, info, xml, received = staged.actor, staged.info, staged.xml, staged.received
    form_id, device_id = staged.form_id, staged.device_id
    now = utcnow()
    with services.db.write() as session:
        staged.record_blobs(Driver.of(session))
        existing = store.def_by_instance_id(session, form_id=form_id, instance_id=info.instance_id)
        if existing is not None:
            definition, submission = existing
            if submission.deleted_at is not None:
                raise problems.Problem(
                    "409.18", "This submission has been deleted. You may not resubmit it."
                )
            if definition.xml_sha256 != staged.xml_sha or definition.xml != xml:
                raise problems.xml_conflict()
            assert definition.id is not None
            attachments = _fill_attachments(session, definition.id, received)
            found = (submission, definition, attachments)
            return IngestResult(created=False, rows=lambda: found)
        if info.deprecated_id is not None:
            previous = store.def_by_instance_id(
                session, form_id=form_id, instance_id=info.deprecated_id
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
            audits.record(
                session,
                actor,
                "submission.update.version",
                f"submission:{submission.id}",
                {"instanceId": info.instance_id, "deprecatedId": info.deprecated_id},
            )
        else:
            submission = store.insert_submission(
                session,
                form_id=form_id,
                instance_id=info.instance_id,
                submitter_id=actor.id,
                device_id=device_id,
                now=now,
                draft=staged.draft,
            )
            audits.record(
                session,
                actor,
                "submission.create",
                f"submission:{submission.id}",
                {"instanceId": info.instance_id, "formId": form_id},
            )
        assert submission.id is not None
        definition = store.insert_submission_def(
            session,
            submission_id=submission.id,
            form_id=form_id,
            form_def_id=staged.form_def_id,
            instance_id=info.instance_id,
            xml=xml,
            xml_sha256=staged.xml_sha,
            instance_name=info.instance_name,
            submitter_id=actor.id,
            device_id=device_id,
            user_agent=staged.user_agent,
            fields=staged.values,
            now=now,
            **_encryption_columns(staged.info.manifest),
        )
        assert definition.id is not None
        attachments = [
            store.insert_attachment(
                session,
                submission_def_id=definition.id,
                name=name,
                blob_sha=blob_sha,
                content_type=content_type,
                enc_index=enc_index,
            )
            for name, blob_sha, content_type, enc_index in staged.attachment_rows()
        ]
        made = (submission, definition, attachments)
        return IngestResult(created=True, rows=lambda: made)


def _fill_attachments(
    session: Any, submission_def_id: int, received: dict[str, tuple[StagedBlob, str | None]]
) -> list[SubmissionAttachment]:
    """Record newly received files of a resend; a file already received is kept as it was."""
    attachments = store.attachments_of(session, submission_def_id=submission_def_id)
    for attachment in attachments:
        if attachment.blob_sha is None and attachment.name in received:
            ref, content_type = received[attachment.name]
            attachment.blob_sha = ref.sha256
            attachment.content_type = _known_type(content_type)
            session.add(attachment)
    return attachments


# Reading -------------------------------------------------------------------------------


@dataclass
class SubmissionView:
    submission: Submission
    definition: SubmissionDef


def list_submissions(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    deleted: bool = False,
    draft: bool = False,
) -> list[SubmissionView]:
    """The form's submissions; with ``deleted`` those in its trash (``?deleted=true``),
    with ``draft`` its draft's test submissions (``…/draft/submissions``)."""
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_LIST)
    assert form.id is not None
    if draft and form.draft_def_id is None:
        raise problems.not_found()
    if deleted:
        purge_trash(services)
    with services.db.read() as session:
        rows = (
            store.list_deleted_submissions(session, form_id=form.id)
            if deleted
            else store.list_submissions(session, form_id=form.id, draft=draft)
        )
        return [SubmissionView(s, d) for s, d in rows]


TRASH_DAYS = 30
"""How long a deleted submission stays in the trash before it is purged, as in Central."""


def delete_submission(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, instance_id: str
) -> None:
    """Move a submission to the trash: gone from lists, counts, exports and OData; a phone
    sending its instanceID again is refused (409.18); restorable for `TRASH_DAYS` days."""
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_DELETE)
    assert form.id is not None
    with services.db.write() as session:
        submission = store.submission_by_instance_id(
            session, form_id=form.id, instance_id=instance_id
        )
        if submission is None:
            raise problems.not_found()
        submission.deleted_at = utcnow()
        session.add(submission)
        _audit_trash(session, actor, "submission.delete", submission)
    purge_trash(services)


def restore_submission(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, instance_id: str
) -> None:
    """Bring a submission back from the trash."""
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_RESTORE)
    assert form.id is not None
    with services.db.write() as session:
        submission = store.deleted_submission(session, form_id=form.id, instance_id=instance_id)
        if submission is None:
            raise problems.not_found()
        submission.deleted_at = None
        session.add(submission)
        _audit_trash(session, actor, "submission.restore", submission)


def _audit_trash(session: Session, actor: Actor, action: str, submission: Submission) -> None:
    details = {"submissionId": submission.id, "instanceId": submission.instance_id}
    audits.record(session, actor, action, f"submission:{submission.id}", details)


def purge_trash(services: Services, *, now: datetime | None = None) -> int:
    """Remove for good the submissions deleted more than `TRASH_DAYS` days ago (with one
    ``submission.purge`` audit entry counting them, as Central); how many there were."""
    cutoff = (now or utcnow()) - timedelta(days=TRASH_DAYS)
    with services.db.write() as session:
        purged = store.purge_deleted(session, deleted_before=cutoff)
        if purged:
            audits.record(session, None, "submission.purge", None, {"submissions_deleted": purged})
    return purged


def get_submission(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    draft: bool = False,
) -> SubmissionView:
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_READ)
    assert form.id is not None
    with services.db.read() as session:
        submission = store.submission_by_instance_id(
            session, form_id=form.id, instance_id=instance_id, draft=draft
        )
        if submission is None or submission.id is None:
            raise problems.not_found()
        definition = store.current_def(session, submission_id=submission.id)
    if definition is None:
        raise problems.not_found()
    return SubmissionView(submission, definition)


def list_attachments(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    version_id: str | None = None,
) -> list[SubmissionAttachment]:
    """The attachments of the current version, or of the version ``version_id``."""
    definition_id = _definition_id(
        services, actor, project_id, xml_form_id, instance_id, version_id
    )
    with services.db.read() as session:
        return store.attachments_of(session, submission_def_id=definition_id)


def attachment_blob(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    name: str,
    version_id: str | None = None,
) -> tuple[SubmissionAttachment, Blob]:
    definition_id = _definition_id(
        services, actor, project_id, xml_form_id, instance_id, version_id
    )
    with services.db.read() as session:
        found = store.attachment_with_blob(session, submission_def_id=definition_id, name=name)
    if found is None or found[1] is None:
        raise problems.not_found()
    return found[0], found[1]


def _definition_id(
    services: Services,
    actor: Actor,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    version_id: str | None,
) -> int:
    if version_id is None:
        definition = get_submission(
            services,
            actor,
            project_id=project_id,
            xml_form_id=xml_form_id,
            instance_id=instance_id,
        ).definition
    else:
        definition = get_version(
            services,
            actor,
            project_id=project_id,
            xml_form_id=xml_form_id,
            instance_id=instance_id,
            version_id=version_id,
        )
    assert definition.id is not None
    return definition.id


# Coordinators: reviews, comments, edits, versions -------------------------------------------

REVIEW_STATES = ("hasIssues", "edited", "approved", "rejected")


def set_review_state(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    review_state: object,
) -> Submission:
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_UPDATE)
    state = _review_state(review_state)
    with services.db.write() as session:
        submission = _live_submission(session, form.id or 0, instance_id)
        _set_state(session, actor, submission, state, instance_id)
    _entities_after_review(services, actor, submission, state)
    return submission


def _entities_after_review(
    services: Services, actor: Actor, submission: Submission, state: str
) -> None:
    """A review may make the entity a dataset held back until approval."""
    with services.db.read() as session:
        current = store.current_def(session, submission_id=submission.id or 0)
    if current is None or current.id is None or current.local_key is not None:
        return
    if spec_of_def(services, current.form_def_id) is None:
        return
    entities.process_submission(
        services,
        submission_def_id=current.id,
        event=entities.REVIEW_EVENT,
        actor=actor,
        review_state=state,
    )


def review(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    review_state: object,
    comment: str | None = None,
) -> Submission:
    """A coordinator's review: the new review state and, when one is written, a comment
    saying why, in one transaction (audited as `set_review_state` and `add_comment`)."""
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_UPDATE)
    state = _review_state(review_state)
    body = comment.strip() if comment else ""
    with services.db.write() as session:
        submission = _live_submission(session, form.id or 0, instance_id)
        _set_state(session, actor, submission, state, instance_id)
        if body:
            _comment(session, actor, submission, body)
    _entities_after_review(services, actor, submission, state)
    return submission


def _review_state(value: object) -> str:
    if value not in REVIEW_STATES:
        raise problems.unexpected_value(
            "reviewState", value, f"expected one of {', '.join(REVIEW_STATES)}."
        )
    return str(value)


def _live_submission(session: Session, form_id: int, instance_id: str) -> Submission:
    submission = store.submission_by_instance_id(session, form_id=form_id, instance_id=instance_id)
    if submission is None:
        raise problems.not_found()
    return submission


def _set_state(
    session: Session, actor: Actor, submission: Submission, state: str, instance_id: str
) -> None:
    submission.review_state = state
    submission.updated_at = utcnow()
    session.add(submission)
    audits.record(
        session,
        actor,
        "submission.update",
        f"submission:{submission.id}",
        {"reviewState": state, "instanceId": instance_id},
    )


def _comment(session: Session, actor: Actor, submission: Submission, body: str) -> Comment:
    assert actor.id is not None and submission.id is not None
    comment = audit_store.insert_comment(
        session, submission_id=submission.id, actor_id=actor.id, body=body, now=utcnow()
    )
    audits.record(session, actor, "comment.create", f"submission:{submission.id}")
    return comment


def list_comments(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, instance_id: str
) -> list[tuple[Comment, ActorRow | None]]:
    """The submission's comments, newest first, each with its author."""
    view = get_submission(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, instance_id=instance_id
    )
    with services.db.read() as session:
        return audit_store.list_comments(session, submission_id=view.submission.id or 0)


def add_comment(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    body: object,
) -> Comment:
    authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_UPDATE)
    view = get_submission(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, instance_id=instance_id
    )
    if not isinstance(body, str) or not body.strip():
        raise problems.missing_parameter("body")
    with services.db.write() as session:
        return _comment(session, actor, view.submission, body)


def edit(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    xml: bytes,
    user_agent: str | None = None,
) -> IngestResult:
    """``PUT …/submissions/{instanceId}``: a new version naming the current one as deprecated."""
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_UPDATE)
    info = identify(xml)
    if info.deprecated_id is None:
        raise problems.Problem(
            "400.19",
            "This PUT endpoint expects a deprecatedID metadata tag pointing at the current"
            " version instanceID. I cannot find that tag in your request.",
        )
    if info.xml_form_id != form.xml_form_id:
        raise problems.unexpected_value(
            "form id", info.xml_form_id, "did not match the form ID in the URL"
        )
    current = get_submission(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, instance_id=instance_id
    )
    if current.definition.instance_id != info.deprecated_id:
        raise problems.deprecating_old_submission(info.deprecated_id)
    return ingest(
        services,
        actor,
        project_id=project_id,
        xml=xml,
        files=[],
        user_agent=user_agent,
        expected_form_id=xml_form_id,
    )


def list_versions(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, instance_id: str
) -> list[SubmissionDef]:
    view = get_submission(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, instance_id=instance_id
    )
    with services.db.read() as session:
        return store.defs_of(session, submission_id=view.submission.id or 0)


def get_version(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    version_id: str,
) -> SubmissionDef:
    for definition in list_versions(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, instance_id=instance_id
    ):
        if definition.instance_id == version_id:
            return definition
    raise problems.not_found()


def upload_attachment(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    name: str,
    content: BinaryIO,
    content_type: str | None,
) -> SubmissionAttachment:
    """Attach (or replace) one expected file of the submission's current version."""
    authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_UPDATE)
    view = get_submission(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, instance_id=instance_id
    )
    assert view.definition.id is not None
    with services.db.read() as session:
        found = store.attachment_with_blob(session, submission_def_id=view.definition.id, name=name)
    if found is None:
        raise problems.not_found()
    ref = services.blobs.stage(content)
    with services.db.write() as session:
        services.blobs.record(Driver.of(session), ref)
        attachment = session.get(SubmissionAttachment, found[0].id)
        assert attachment is not None
        attachment.blob_sha = ref.sha256
        attachment.content_type = _known_type(content_type)
        session.add(attachment)
        audits.record(
            session,
            actor,
            "submission.attachment.update",
            f"submission:{view.submission.id}",
            {"name": name, "instanceId": view.definition.instance_id},
        )
        return attachment


def submission_audits(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, instance_id: str
) -> list[audits.AuditView]:
    view = get_submission(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, instance_id=instance_id
    )
    return audits.audits_of(services, actee=f"submission:{view.submission.id}")


def submitter_of(services: Services, submission: Submission) -> ActorRow | None:
    if submission.submitter_id is None:
        return None
    with services.db.read() as session:
        return session.get(ActorRow, submission.submitter_id)


DRAFT_TESTER = Actor(type="draft-test", display_name="draft test", is_admin=True)
"""Who submits through a draft's test URL: anyone holding its draft token."""


def ingest_draft_test(
    services: Services,
    *,
    token: str,
    project_id: int,
    xml_form_id: str,
    xml: bytes,
    files: list[IncomingFile],
    device_id: str | None = None,
    user_agent: str | None = None,
) -> IngestResult:
    """A test submission to a draft; it is dropped when the draft is published or deleted."""
    draft_by_token(services, token=token, project_id=project_id, xml_form_id=xml_form_id)
    return ingest(
        services,
        DRAFT_TESTER,
        project_id=project_id,
        xml=xml,
        files=files,
        device_id=device_id,
        user_agent=user_agent,
        expected_form_id=xml_form_id,
        draft=True,
    )
