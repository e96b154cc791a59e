"""Forms: creating them from XForms or XLSForms, drafts, media, publishing, and reading.

A form is compiled once, when it is uploaded: the XForm (converted from the XLSForm when
that is what came), its MD5 hash, version and field schema are stored with it, so serving
the form list or a form never runs pyxform or re-reads XML.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, NamedTuple

from lxml import etree
from sqlmodel import Session

from server import problems
from server.data.credentials import new_token, same_secret
from server.data.encryption import load_public_key, plain_version, version_suffix
from server.data.xform import XFORMS_NS, XHTML_NS, XFormInfo, read_xform, with_public_key
from server.data.xml import XmlError, parse_untrusted_xml
from server.domain import Services, audits, datasets, utcnow
from server.domain.access import (
    FORM_CREATE,
    FORM_DELETE,
    FORM_LIST,
    FORM_READ,
    FORM_UPDATE,
    Actor,
)
from server.domain.accounts import Credentials, resolve_caller
from server.domain.datasets import check_entity_declarations
from server.domain.projects import get_project, require_project
from server.external.odk_validate import ValidatorUnavailable, validate_xform
from server.external.xlsform import (
    XLS_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    Finding,
    XlsFormError,
    convert_xlsform,
    locate,
)
from server.store import forms as store
from server.store import keys as key_store
from server.store import projects as project_store
from server.store import submissions as submission_store
from server.store.driver import Driver
from server.store.tables import Actor as ActorRow
from server.store.tables import Blob, Dataset, Form, FormAttachment, FormDef

XML_CONTENT_TYPES = {"application/xml", "text/xml"}


@dataclass
class Definition:
    """A form definition ready to store: its XForm and what was read from it."""

    xml: bytes
    info: XFormInfo
    xlsx: bytes | None = None


@dataclass
class FormView:
    """A form with the definition a caller sees: the published one, else the draft."""

    form: Form
    definition: FormDef | None
    draft: FormDef | None = None


def prepare_definition(
    body: bytes,
    content_type: str,
    *,
    form_id_fallback: str | None = None,
    ignore_warnings: bool = False,
    validate: bool = False,
) -> Definition:
    """Read an uploaded XForm, or compile an uploaded XLSForm, refusing what is not usable.

    With ``validate``, an XLSForm's XForm is also checked by ODK Validate (JavaRosa, as in
    ODK Collect), whose errors refuse it and whose warnings count as warnings; the
    console asks for this, so a coordinator learns of a broken form before a phone does.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    xlsx: bytes | None = None
    if media_type in (XLSX_CONTENT_TYPE, XLS_CONTENT_TYPE):
        try:
            converted = convert_xlsform(
                body,
                file_type="xls" if media_type == XLS_CONTENT_TYPE else "xlsx",
                form_id_fallback=form_id_fallback,
            )
        except XlsFormError as error:
            findings = [locate(error.message, body).as_json()]
            raise problems.xlsform_not_valid(error.message, error.warnings, findings) from error
        warnings = list(converted.warnings)
        if validate:
            warnings += _validated(converted.xform)
        if warnings and not ignore_warnings:
            raise problems.form_warnings(warnings, [locate(w, body).as_json() for w in warnings])
        xml, xlsx = converted.xform, body
    elif media_type in XML_CONTENT_TYPES or media_type == "":
        xml = body
    else:
        raise problems.unexpected_value(
            "Content-Type", media_type, "expected an XForm (application/xml) or an XLSForm (.xlsx)."
        )
    try:
        info = read_xform(xml)
    except XmlError as error:
        raise problems.unparseable("xml", len(body), str(error)) from error
    if info.public_key is None:
        # Central never reads an encrypted form's entity declarations.
        check_entity_declarations(xml, ignore_warnings=ignore_warnings)
    if info.public_key is not None:
        try:
            load_public_key(info.public_key)
        except ValueError as error:
            # Central stores any text here; a phone could then never send the form.
            raise problems.unexpected_value(
                "base64RsaPublicKey",
                info.public_key[:40],
                "it is not an RSA public key (base64 DER SubjectPublicKeyInfo).",
            ) from error
    return Definition(xml=xml, info=info, xlsx=xlsx)


def _validated(xform: bytes) -> list[str]:
    """ODK Validate's warnings on ``xform``; its errors refuse the form (400.15)."""
    try:
        result = validate_xform(xform)
    except ValidatorUnavailable as error:
        return [f"The form could not be checked with ODK Validate: {error}"]
    if result.errors:
        message = " ".join(result.errors)
        raise problems.xlsform_not_valid(message, [], [Finding(message).as_json()])
    return list(result.warnings)


def stage_upload(services: Services, body: bytes) -> str:
    """Keep an uploaded form file while its author decides about its warnings; its
    SHA-256 names it (the blob store keeps it, as it keeps every stored XLSForm)."""
    return services.blobs.put_bytes(body).sha256


def staged_upload(services: Services, sha256: str) -> bytes:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise problems.not_found()
    if not services.blobs.exists(sha256):
        raise problems.not_found()
    return services.blobs.read_bytes(sha256)


def create_form(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    definition: Definition,
    publish: bool,
) -> Form:
    get_project(services, actor, project_id)
    actor.require(FORM_CREATE, project_id=project_id)
    xlsx_blob = _store_xlsx(services, definition)
    now = utcnow()
    with services.db.write() as session:
        if (
            store.form_by_xml_id(
                session, project_id=project_id, xml_form_id=definition.info.xml_form_id
            )
            is not None
        ):
            raise problems.uniqueness_violation(
                ["projectId", "xmlFormId"], [str(project_id), definition.info.xml_form_id]
            )
        form = store.insert_form(
            session,
            project_id=project_id,
            xml_form_id=definition.info.xml_form_id,
            created_by=actor.id,
            now=now,
        )
        form_def = _insert_def(session, form, definition, xlsx_blob, now)
        if publish:
            form_def.published_at = now
            form.current_def_id = form_def.id
            assert form_def.id is not None
            datasets.publish_declared(
                session, actor, project_id=project_id, form_def_id=form_def.id, now=now
            )
        else:
            form.draft_def_id = form_def.id
            form.draft_token = new_token()
        session.add(form_def)
        session.add(form)
        audits.record(
            session, actor, "form.create", f"form:{form.id}", {"version": form_def.version}
        )
    return form


def publish_draft(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    version: str | None = None,
) -> Form:
    """Publish the form's draft, optionally under a new version string."""
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_UPDATE)
    now = utcnow()
    with services.db.write() as session:
        form = store.form_by_id(session, form_id=form.id or 0) or form
        if form.draft_def_id is None:
            raise problems.not_found()
        draft = store.form_def_by_id(session, form_def_id=form.draft_def_id)
        assert draft is not None and form.id is not None
        if version is not None and draft.key_id is not None:
            # Under managed encryption a version keeps its suffix (it names the key's era).
            version += draft.version[len(plain_version(draft.version)) :]
        if version is not None and version != draft.version:
            draft.xml = _with_version(draft.xml, version)
            draft.version = version
            draft.md5 = hashlib.md5(draft.xml, usedforsecurity=False).hexdigest()
            draft.sha256 = hashlib.sha256(draft.xml).hexdigest()
        if store.published_def_by_version(session, form_id=form.id, version=draft.version):
            raise problems.version_uniqueness_violation(form.xml_form_id, draft.version)
        submission_store.delete_submissions_of_def(session, form_def_id=draft.id)
        draft.published_at = now
        datasets.publish_declared(
            session, actor, project_id=project_id, form_def_id=draft.id, now=now
        )
        form.current_def_id = draft.id
        form.draft_def_id = None
        form.draft_token = None
        form.updated_at = now
        session.add(draft)
        session.add(form)
        audits.record(
            session,
            actor,
            "form.update.publish",
            f"form:{form.id}",
            {"newDefId": draft.id, "version": draft.version},
        )
    return form


def set_draft_attachment(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    name: str,
    content: BinaryIO,
    content_type: str | None,
) -> FormAttachment:
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_UPDATE)
    if form.draft_def_id is None:
        raise problems.not_found()
    ref = services.blobs.stage(content)
    now = utcnow()
    with services.db.write() as session:
        attachment = store.form_attachment(session, form_def_id=form.draft_def_id, name=name)
        if attachment is None:
            raise problems.not_found()
        services.blobs.record(Driver.of(session), ref)
        attachment.blob_sha = ref.sha256
        attachment.content_type = content_type or _guess_content_type(name)
        attachment.updated_at = now
        session.add(attachment)
        return attachment


def list_forms(services: Services, actor: Actor, *, project_id: int) -> list[FormView]:
    get_project(services, actor, project_id)
    actor.require(FORM_LIST, project_id=project_id)
    with services.db.read() as session:
        views = []
        for form in store.list_forms(session, project_id=project_id):
            if form.current_def_id is None and not actor.can(
                FORM_UPDATE, project_id=project_id, form_id=form.id
            ):
                continue
            if not actor.can(
                FORM_READ, project_id=project_id, form_id=form.id, form_state=form.state
            ):
                continue
            definition_id = form.current_def_id or form.draft_def_id
            definition = store.form_def_by_id(session, form_def_id=definition_id or 0)
            views.append(FormView(form=form, definition=definition))
        return views


def get_form(services: Services, actor: Actor, *, project_id: int, xml_form_id: str) -> FormView:
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_READ)
    with services.db.read() as session:
        definition_id = form.current_def_id or form.draft_def_id
        definition = store.form_def_by_id(session, form_def_id=definition_id or 0)
        draft = store.form_def_by_id(session, form_def_id=form.draft_def_id or 0)
    return FormView(form=form, definition=definition, draft=draft)


class PhoneForm(NamedTuple):
    """A form list entry: the form and what its published definition says of itself.

    A named tuple: a hundred of them are made for every form list a phone asks for.
    """

    xml_form_id: str
    name: str | None
    version: str
    md5: str
    has_media: bool


def open_forms_for_phone(
    services: Services,
    caller: Actor | Credentials,
    *,
    project_id: int,
    xml_form_id: str | None = None,
) -> list[PhoneForm]:
    """What a phone's form list shows: open, published forms the caller may fill, or
    only ``xml_form_id`` when given (Central's ``formID=``), by name as Central sorts.

    As in Central, a caller who may fill nothing here (a web user without a role in the
    project, an app user of another project) gets an empty list; an unknown project is
    404.1. One read, with no XForm or schema in it: this runs every time a phone opens
    "Download form" or checks for updates.
    """
    with services.db.driver_read() as driver:
        actor = resolve_caller(services, caller, driver)
        if actor.anonymous:
            raise actor.refusal()
        if not project_store.project_is_live(driver, project_id=project_id):
            raise problems.not_found()
        rows = store.open_published_forms(driver, project_id=project_id)
    return [
        PhoneForm(form_xml_id, name, version, md5, bool(has_media))
        for form_id, form_xml_id, name, version, md5, has_media in rows
        if (xml_form_id is None or form_xml_id == xml_form_id)
        and actor.can(FORM_READ, project_id=project_id, form_id=form_id)
    ]


def published_definition(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str
) -> tuple[Form, FormDef]:
    view = get_form(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    if view.form.current_def_id is None or view.definition is None:
        raise problems.not_found()
    return view.form, view.definition


def attachments_with_blobs(
    services: Services, *, form_def_id: int
) -> list[tuple[FormAttachment, Blob | None]]:
    with services.db.read() as session:
        return store.form_attachments_with_blobs(session, form_def_id=form_def_id)


def attachment_source(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    name: str,
    draft: bool = False,
) -> tuple[FormAttachment, Blob | None, Dataset | None]:
    """A media file of the published definition (or the draft): its uploaded blob, or
    the dataset linked in its place (404.1 when it has neither)."""
    if draft:
        view = draft_view(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    else:
        view = get_form(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    form_def = view.draft if draft else (view.definition if view.form.current_def_id else None)
    if form_def is None or form_def.id is None:
        raise problems.not_found()
    return definition_attachment(services, form_def_id=form_def.id, name=name)


def definition_attachment(
    services: Services, *, form_def_id: int, name: str
) -> tuple[FormAttachment, Blob | None, Dataset | None]:
    with services.db.read() as session:
        for attachment, blob in store.form_attachments_with_blobs(session, form_def_id=form_def_id):
            if attachment.name != name:
                continue
            if blob is not None:
                return attachment, blob, None
            dataset = datasets.linked_dataset(services, attachment)
            if dataset is not None:
                return attachment, None, dataset
    raise problems.not_found()


def authorised_form(
    services: Services, actor: Actor, project_id: int, xml_form_id: str, verb: str
) -> Form:
    """The form, once the caller is known to hold ``verb`` on it (404 if there is none)."""
    with services.db.read() as session:
        return _authorised_form(session, actor, project_id, xml_form_id, verb)


def _authorised_form(
    session: Session, actor: Actor, project_id: int, xml_form_id: str, verb: str
) -> Form:
    require_project(Driver.of(session), actor, project_id)
    form = store.form_by_xml_id(session, project_id=project_id, xml_form_id=xml_form_id)
    if form is None:
        raise problems.not_found()
    _require_on_form(actor, verb, project_id, form)
    return form


def _require_on_form(actor: Actor, verb: str, project_id: int, form: Form | Any) -> None:
    """The caller must hold ``verb`` on ``form`` (a row with id, state, current_def_id)."""
    if verb == FORM_READ and form.current_def_id is None:
        verb = FORM_UPDATE  # a never-published form is seen by those who may change it
    actor.require(verb, project_id=project_id, form_id=form.id, form_state=form.state)


def published_xform(
    services: Services, caller: Actor | Credentials, *, project_id: int, xml_form_id: str
) -> bytes:
    """The published XForm of a form, as phones download it: one read, the XML alone."""
    with services.db.driver_read() as driver:
        actor = resolve_caller(services, caller, driver)
        require_project(driver, actor, project_id)
        form = store.form_for_phone(driver, project_id=project_id, xml_form_id=xml_form_id)
        if form is None:
            raise problems.not_found()
        _require_on_form(actor, FORM_READ, project_id, form)
        xml = store.form_def_xml(driver, form_def_id=form.current_def_id or 0)
    if xml is None:
        raise problems.not_found()
    return xml


def _insert_def(
    session: Session, form: Form, definition: Definition, xlsx_blob: str | None, now: datetime
) -> FormDef:
    """A new definition of ``form``; in a project with managed encryption, a definition
    without a key of its own gets the project's key and a version suffix (as Central)."""
    assert form.id is not None
    project = key_store.project_for_update(session, project_id=form.project_id)
    if definition.info.public_key is None and project is not None and project.key_id:
        managed = key_store.key_by_id(session, key_id=project.key_id)
        assert managed is not None
        definition = _keyed(definition, managed.public, _suffix_now(now))
    key_id = (
        key_store.ensure_key(session, public=definition.info.public_key, now=now)
        if definition.info.public_key
        else None
    )
    form_def = store.insert_form_def(
        session,
        form_id=form.id,
        version=definition.info.version,
        name=definition.info.title,
        xml=definition.xml,
        md5=hashlib.md5(definition.xml, usedforsecurity=False).hexdigest(),
        sha256=hashlib.sha256(definition.xml).hexdigest(),
        schema=[f.as_json() for f in definition.info.fields],
        xlsx_blob=xlsx_blob,
        now=now,
        key_id=key_id,
    )
    assert form_def.id is not None
    for name, media_type in sorted(definition.info.media.items()):
        store.insert_form_attachment(session, form_def_id=form_def.id, name=name, type=media_type)
    datasets.declare(
        session,
        project_id=form.project_id,
        form_def_id=form_def.id,
        xml=definition.xml,
        encrypted=key_id is not None,
        now=now,
    )
    return form_def


def _keyed(definition: Definition, public_key: str, suffix: str) -> Definition:
    xml = with_public_key(definition.xml, public_key, suffix)
    return Definition(xml=xml, info=read_xform(xml), xlsx=definition.xlsx)


def _suffix_now(now: datetime) -> str:
    return version_suffix(int(now.timestamp() * 1000))


def set_managed_key(
    session: Session, *, project_id: int, public_key: str, now: datetime
) -> list[str]:
    """Give every form of the project that has no key of its own the managed key: each
    published definition and each draft is replaced by a copy with the key and one
    version suffix shared by the whole call; media carry over, test submissions to the
    drafts go. Runs inside the caller's transaction; returns the forms changed."""
    suffix = _suffix_now(now)
    changed = []
    for form in store.list_forms(session, project_id=project_id):
        assert form.id is not None
        touched = False
        for attribute in ("current_def_id", "draft_def_id"):
            old = store.form_def_by_id(session, form_def_id=getattr(form, attribute) or 0)
            if old is None or old.key_id is not None:
                continue
            keyed = _keyed(Definition(xml=old.xml, info=read_xform(old.xml)), public_key, suffix)
            new = _insert_def(session, form, keyed, old.xlsx_blob, now)
            assert new.id is not None and old.id is not None
            _carry_media(session, old.id, new.id)
            if attribute == "current_def_id":
                new.published_at = now
                session.add(new)
            else:
                submission_store.delete_submissions_of_def(session, form_def_id=old.id)
            setattr(form, attribute, new.id)
            touched = True
        if touched:
            form.updated_at = now
            session.add(form)
            changed.append(form.xml_form_id)
    return changed


def _carry_media(session: Session, from_def_id: int, to_def_id: int) -> None:
    """Media already uploaded for one definition, given to another by name."""
    carried = {a.name: a for a in store.form_attachments(session, form_def_id=from_def_id)}
    for attachment in store.form_attachments(session, form_def_id=to_def_id):
        previous = carried.get(attachment.name)
        if previous is not None and previous.blob_sha is not None:
            attachment.blob_sha = previous.blob_sha
            attachment.content_type = previous.content_type
            attachment.updated_at = previous.updated_at
            attachment.dataset_id = None
            session.add(attachment)
        elif previous is not None and previous.dataset_id is not None:
            attachment.dataset_id = previous.dataset_id
            session.add(attachment)


def _store_xlsx(services: Services, definition: Definition) -> str | None:
    if definition.xlsx is None:
        return None
    ref = services.blobs.stage_bytes(definition.xlsx)
    with services.db.write() as session:
        services.blobs.record(Driver.of(session), ref)
    return ref.sha256


def _with_version(xml: bytes, version: str) -> bytes:
    """The XForm with its primary instance's version attribute set to ``version``."""
    root = parse_untrusted_xml(xml)
    model = root.find(f"{{{XHTML_NS}}}head/{{{XFORMS_NS}}}model")
    instance = model.find(f"{{{XFORMS_NS}}}instance") if model is not None else None
    data = None
    if instance is not None:
        data = next((el for el in instance if isinstance(el.tag, str)), None)
    if data is None:
        raise problems.unparseable("xml", len(xml), "the form has no primary instance")
    data.set("version", version)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8")


def _guess_content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def create_draft(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    definition: Definition | None,
) -> Form:
    """Start a draft of an existing form: a new definition, or a copy of the published one.

    Media already uploaded for the published version carry over to the draft by name.
    """
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_UPDATE)
    if definition is not None and definition.info.xml_form_id != form.xml_form_id:
        raise problems.unexpected_value(
            "xmlFormId", definition.info.xml_form_id, "does not match the form you are updating"
        )
    xlsx_blob = _store_xlsx(services, definition) if definition is not None else None
    now = utcnow()
    with services.db.write() as session:
        form = store.form_by_id(session, form_id=form.id or 0) or form
        current = store.form_def_by_id(session, form_def_id=form.current_def_id or 0)
        if definition is None:
            if current is None:
                raise problems.not_found()
            definition = Definition(xml=current.xml, info=read_xform(current.xml))
        draft = _insert_def(session, form, definition, xlsx_blob, now)
        assert draft.id is not None
        if current is not None and current.id is not None:
            _carry_media(session, current.id, draft.id)
        form.draft_def_id = draft.id
        form.draft_token = new_token()
        form.updated_at = now
        session.add(form)
        audits.record(session, actor, "form.update.draft.set", f"form:{form.id}")
    return form


# Lifecycle: states, drafts, versions --------------------------------------------------------

FORM_STATES = ("open", "closing", "closed")


def set_state(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, state: object
) -> Form:
    """Open, closing (off the form list, still accepting) or closed (refusing submissions)."""
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_UPDATE)
    if state not in FORM_STATES:
        raise problems.unexpected_value("state", state, "not a recognized state name")
    with services.db.write() as session:
        form = store.form_by_id(session, form_id=form.id or 0) or form
        form.state = str(state)
        form.updated_at = utcnow()
        session.add(form)
        audits.record(session, actor, "form.update", f"form:{form.id}", {"state": form.state})
    return form


def delete_form(services: Services, actor: Actor, *, project_id: int, xml_form_id: str) -> None:
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_DELETE)
    with services.db.write() as session:
        form = store.form_by_id(session, form_id=form.id or 0) or form
        form.deleted_at = utcnow()
        session.add(form)
        audits.record(session, actor, "form.delete", f"form:{form.id}")


def delete_draft(services: Services, actor: Actor, *, project_id: int, xml_form_id: str) -> None:
    """Abandon the draft; a form never published cannot lose its only definition (409.7)."""
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_UPDATE)
    if form.draft_def_id is None:
        raise problems.not_found()
    if form.current_def_id is None:
        raise problems.Problem(
            "409.7",
            "Could not delete draft, because the form has not been published. Either delete"
            " the whole form, or replace the draft.",
        )
    with services.db.write() as session:
        form = store.form_by_id(session, form_id=form.id or 0) or form
        if form.draft_def_id is not None:
            submission_store.delete_submissions_of_def(session, form_def_id=form.draft_def_id)
        form.draft_def_id = None
        form.draft_token = None
        session.add(form)
        audits.record(session, actor, "form.update.draft.delete", f"form:{form.id}")


def draft_view(services: Services, actor: Actor, *, project_id: int, xml_form_id: str) -> FormView:
    """The form with its draft definition (404.1 if it has no draft)."""
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_UPDATE)
    with services.db.read() as session:
        draft = store.form_def_by_id(session, form_def_id=form.draft_def_id or 0)
    if draft is None:
        raise problems.not_found()
    return FormView(form=form, definition=draft, draft=draft)


def clear_draft_attachment(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, name: str
) -> None:
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_UPDATE)
    if form.draft_def_id is None:
        raise problems.not_found()
    with services.db.write() as session:
        attachment = store.form_attachment(session, form_def_id=form.draft_def_id, name=name)
        if attachment is None or attachment.blob_sha is None:
            raise problems.not_found()
        attachment.blob_sha = None
        attachment.content_type = None
        attachment.updated_at = utcnow()
        session.add(attachment)


def list_versions(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str
) -> tuple[Form, list[FormDef]]:
    """Every published version of the form, newest first."""
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_READ)
    assert form.id is not None
    with services.db.read() as session:
        return form, store.published_defs(session, form_id=form.id)


def version_definition(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, version: str
) -> tuple[Form, FormDef]:
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_READ)
    assert form.id is not None
    with services.db.read() as session:
        found = store.published_def_by_version(session, form_id=form.id, version=version)
    if found is None:
        raise problems.not_found()
    return form, found


def draft_by_token(
    services: Services, *, token: str, project_id: int, xml_form_id: str
) -> tuple[Form, FormDef]:
    """The draft a ``/v1/test/{draftToken}/…`` URL names; 404.1 unless the token matches."""
    with services.db.read() as session:
        form = store.form_by_xml_id(session, project_id=project_id, xml_form_id=xml_form_id)
        if form is None or form.draft_token is None or form.draft_def_id is None:
            raise problems.not_found()
        if not same_secret(form.draft_token, token):
            raise problems.not_found()
        draft = store.form_def_by_id(session, form_def_id=form.draft_def_id)
    if draft is None:
        raise problems.not_found()
    return form, draft


def xlsform_of(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    draft: bool = False,
    version: str | None = None,
) -> str:
    """The SHA-256 of the spreadsheet a definition was made from (the published one, the
    draft, or a published ``version``); 404.1 when it was uploaded as an XForm."""
    if draft:
        definition = draft_view(
            services, actor, project_id=project_id, xml_form_id=xml_form_id
        ).definition
    elif version is not None:
        definition = version_definition(
            services, actor, project_id=project_id, xml_form_id=xml_form_id, version=version
        )[1]
    else:
        definition = published_definition(
            services, actor, project_id=project_id, xml_form_id=xml_form_id
        )[1]
    if definition is None or definition.xlsx_blob is None:
        raise problems.not_found()
    return definition.xlsx_blob


def form_stats(services: Services, form: Form) -> tuple[dict[str, object], ActorRow | None]:
    """What ``X-Extended-Metadata`` adds to a form: submission counts and its creator."""
    assert form.id is not None
    with services.db.read() as session:
        stats: dict[str, object] = store.form_stats(session, form_id=form.id)
        definition = store.form_def_by_id(session, form_def_id=form.current_def_id or 0)
        stats["excelContentType"] = (
            XLSX_CONTENT_TYPE if definition and definition.xlsx_blob else None
        )
        creator = session.get(ActorRow, form.created_by) if form.created_by else None
    return stats, creator
