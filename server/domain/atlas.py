"""Publishing an atlas: a manager's settings (which form, which fields are public, the
texts, the licence, how precise locations are) and withdrawing initiatives from it.

Every field is private until chosen. A field of an encrypted form can never be chosen,
and photos are chosen one question at a time, apart from the other fields. Only the
form's approved submissions are published, and only where its consent question (when
the settings name one) says yes. Withdrawing a submission hides it from every public
page and download at once: the atlas's ``changed_at`` moves, and every cached page is
built again. The public side is `server.domain.atlas_public`.

Managing an atlas needs ``project.update`` on its project (a manager).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlmodel import Session

from server import problems
from server.data import atlas as data
from server.data.tables import repeat_chain
from server.domain import Services, audits, utcnow
from server.domain.access import FORM_UPDATE, PROJECT_READ, PROJECT_UPDATE, Actor
from server.domain.browse import SubmissionQuery, matching_rows
from server.domain.downloads import matching_language
from server.domain.forms import authorised_form
from server.domain.labels import FormLabels, form_labels
from server.store import atlas as store
from server.store import projects as project_store
from server.store.tables import Atlas

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
REASONS = ("consent", "error")
PUBLIC_TYPES = ("string", "int", "decimal", "date", "select1", "select")
LICENCES = ("CC BY 4.0", "CC BY-SA 4.0", "CC0 1.0", "ODbL 1.0")
MAX_TEXT = 5000


@dataclass(frozen=True)
class AtlasSettings:
    """What a manager chooses; an empty list of fields publishes no answer at all."""

    slug: str
    xml_form_id: str
    title_id: str
    title_en: str
    intro_id: str = ""
    intro_en: str = ""
    licence: str = "CC BY 4.0"
    precision: str = data.DEFAULT_PRECISION
    fields: tuple[str, ...] = ()
    photos: tuple[str, ...] = ()
    consent_field: str | None = None
    photo_consent_field: str | None = None
    noindex: bool = False
    published: bool = False


@dataclass(frozen=True)
class FieldChoice:
    path: str
    label: str
    kind: str  # text, number, date, select, photo


@dataclass
class FormChoices:
    """What can be chosen on a form: fields, photo questions, consent questions."""

    encrypted: bool
    fields: list[FieldChoice] = field(default_factory=list)
    photos: list[FieldChoice] = field(default_factory=list)
    consents: list[FieldChoice] = field(default_factory=list)


def reader(project_id: int) -> Actor:
    """The actor public pages read a project's submissions as: a viewer of that project
    alone, never signed in."""
    return Actor(id=0, type="atlas", display_name="atlas", project_roles={project_id: {"viewer"}})


def form_choices(labels: FormLabels, language: str | None = None) -> FormChoices:
    """The fields of a form that may be made public, by kind."""
    encrypted = labels.definition.key_id is not None
    found = FormChoices(encrypted=encrypted)
    if encrypted:
        return found
    questions = labels.questions.questions
    for info in labels.fields:
        if repeat_chain(labels.fields, info.path) or "/meta/" in info.path + "/":
            continue
        label = labels.label(info.path, language)
        question = questions.get(info.path)
        if info.binary:
            if info.type == "binary" and question is not None and question.control == "upload":
                found.photos.append(FieldChoice(info.path, label, "photo"))
            continue
        if info.type not in PUBLIC_TYPES and not (question is not None and question.is_select):
            continue
        if question is None:
            continue  # a calculation: nothing a person answered
        kind = "select" if question.is_select else _kind(info.type)
        found.fields.append(FieldChoice(info.path, label, kind))
        if question.control == "select1":
            found.consents.append(FieldChoice(info.path, label, "select"))
    return found


def _kind(field_type: str) -> str:
    return {"int": "number", "decimal": "number", "date": "date"}.get(field_type, "text")


def list_atlases(services: Services, actor: Actor, *, project_id: int) -> list[Atlas]:
    _require_project(services, actor, project_id, PROJECT_READ)
    with services.db.read() as session:
        return store.atlases_of_project(session, project_id=project_id)


def get_atlas(services: Services, actor: Actor, *, project_id: int, slug: str) -> Atlas:
    _require_project(services, actor, project_id, PROJECT_READ)
    with services.db.read() as session:
        found = store.atlas_by_slug(session, slug=slug)
    if found is None or found.project_id != project_id:
        raise problems.not_found()
    return found


def choices_for(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, language: str | None
) -> FormChoices:
    """What a manager may choose on the form (its published version)."""
    _require_project(services, actor, project_id, PROJECT_UPDATE)
    labels = form_labels(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    return form_choices(labels, _form_language(labels, language))


def _form_language(labels: FormLabels, language: str | None) -> str | None:
    return matching_language(labels.questions.languages, language) if language else None


def create_atlas(
    services: Services, actor: Actor, *, project_id: int, settings: AtlasSettings
) -> Atlas:
    _require_project(services, actor, project_id, PROJECT_UPDATE)
    _check(services, actor, project_id, settings)
    now = utcnow()
    row = Atlas(project_id=project_id, created_by=actor.id, created_at=now, changed_at=now)
    _apply(row, settings)
    with services.db.write() as session:
        added = store.insert_atlas(session, row)
        if added is not None:
            audits.record(session, actor, "atlas.create", f"atlas:{settings.slug}")
    if added is None:
        raise problems.uniqueness_violation(["slug"], [settings.slug])
    return added


def update_atlas(
    services: Services, actor: Actor, *, project_id: int, slug: str, settings: AtlasSettings
) -> Atlas:
    """New settings for an atlas (its slug stays)."""
    get_atlas(services, actor, project_id=project_id, slug=slug)
    _require_project(services, actor, project_id, PROJECT_UPDATE)
    settings = AtlasSettings(**{**settings.__dict__, "slug": slug})
    _check(services, actor, project_id, settings)
    with services.db.write() as session:
        row = store.atlas_by_slug(session, slug=slug)
        if row is None:
            raise problems.not_found()
        _apply(row, settings)
        row.changed_at = utcnow()
        session.add(row)
        audits.record(
            session,
            actor,
            "atlas.update",
            f"atlas:{slug}",
            {
                "fields": list(settings.fields),
                "photos": list(settings.photos),
                "precision": settings.precision,
                "published": settings.published,
            },
        )
    _forget(services, slug)
    return row


def delete_atlas(services: Services, actor: Actor, *, project_id: int, slug: str) -> None:
    get_atlas(services, actor, project_id=project_id, slug=slug)
    _require_project(services, actor, project_id, PROJECT_UPDATE)
    with services.db.write() as session:
        row = store.atlas_by_slug(session, slug=slug)
        if row is not None:
            store.delete_atlas(session, row)
            audits.record(session, actor, "atlas.delete", f"atlas:{slug}")
    _forget(services, slug)


def settings_of(row: Atlas) -> AtlasSettings:
    return AtlasSettings(
        slug=row.slug,
        xml_form_id=row.xml_form_id,
        title_id=row.title_id,
        title_en=row.title_en,
        intro_id=row.intro_id,
        intro_en=row.intro_en,
        licence=row.licence,
        precision=row.precision,
        fields=tuple(row.fields),
        photos=tuple(row.photos),
        consent_field=row.consent_field,
        photo_consent_field=row.photo_consent_field,
        noindex=row.noindex,
        published=row.published,
    )


def _apply(row: Atlas, settings: AtlasSettings) -> None:
    row.slug = settings.slug
    row.xml_form_id = settings.xml_form_id
    row.title_id = settings.title_id.strip()
    row.title_en = settings.title_en.strip()
    row.intro_id = settings.intro_id.strip()
    row.intro_en = settings.intro_en.strip()
    row.licence = settings.licence.strip()
    row.precision = settings.precision
    row.fields = list(settings.fields)
    row.photos = list(settings.photos)
    row.consent_field = settings.consent_field or None
    row.photo_consent_field = settings.photo_consent_field or None
    row.noindex = settings.noindex
    row.published = settings.published


def _check(services: Services, actor: Actor, project_id: int, settings: AtlasSettings) -> None:
    if not SLUG.match(settings.slug or ""):
        raise problems.unexpected_value(
            "slug", settings.slug[:80], "lower-case letters, digits and hyphens, at most 60."
        )
    for name, value, limit in (
        ("title.id", settings.title_id, 300),
        ("title.en", settings.title_en, 300),
        ("licence", settings.licence, 100),
    ):
        if not value.strip() or len(value) > limit:
            raise problems.unexpected_value(name, value[:80], f"1 to {limit} characters.")
    for name, value in (
        ("introduction.id", settings.intro_id),
        ("introduction.en", settings.intro_en),
    ):
        if len(value) > MAX_TEXT:
            raise problems.unexpected_value(name, value[:80], f"at most {MAX_TEXT} characters.")
    if settings.precision not in data.PRECISIONS:
        raise problems.unexpected_value(
            "precision", settings.precision, f"expected one of {', '.join(data.PRECISIONS)}."
        )
    authorised_form(services, actor, project_id, settings.xml_form_id, FORM_UPDATE)
    labels = form_labels(services, actor, project_id=project_id, xml_form_id=settings.xml_form_id)
    choices = form_choices(labels)
    if choices.encrypted and (settings.fields or settings.photos):
        raise problems.unexpected_value(
            "fields",
            ",".join(settings.fields + settings.photos)[:80],
            "the form is encrypted: none of its fields can be public.",
        )
    _subset("fields", settings.fields, {c.path for c in choices.fields})
    _subset("photos", settings.photos, {c.path for c in choices.photos})
    consents = {c.path for c in choices.consents}
    for name, value in (
        ("consentField", settings.consent_field),
        ("photoConsentField", settings.photo_consent_field),
    ):
        if value and value not in consents:
            raise problems.unexpected_value(name, value[:80], "not a select_one question.")


def _subset(name: str, chosen: tuple[str, ...], allowed: set[str]) -> None:
    for path in chosen:
        if path not in allowed:
            raise problems.unexpected_value(name, path[:80], "not a field that can be public.")


def _require_project(services: Services, actor: Actor, project_id: int, verb: str) -> None:
    with services.db.read() as session:
        exists = project_store.project_by_id(session, project_id=project_id) is not None
    if not exists:
        raise problems.not_found()
    actor.require(verb, project_id=project_id)


# Consent and withdrawal


@dataclass(frozen=True)
class Candidate:
    """An approved submission as the manager sees it beside the atlas."""

    instance_id: str
    name: str
    public_id: str
    consent: bool
    withdrawn: str | None  # the reason, when withdrawn


def candidates(services: Services, actor: Actor, *, project_id: int, slug: str) -> list[Candidate]:
    """The form's approved submissions, each with whether it is public."""
    row = get_atlas(services, actor, project_id=project_id, slug=slug)
    assert row.id is not None
    rows = matching_rows(
        services,
        actor,
        project_id=project_id,
        xml_form_id=row.xml_form_id,
        query=SubmissionQuery(review_states=("approved",)),
    )
    with services.db.read() as session:
        withdrawn = store.withdrawn(session, atlas_id=row.id)
    found = []
    for submission in rows:
        consent = row.consent_field is None or data.is_yes(
            _text(submission.values.get(row.consent_field))
        )
        gone = withdrawn.get(submission.instance_id)
        found.append(
            Candidate(
                instance_id=submission.instance_id,
                name=submission.instance_name or submission.instance_id,
                public_id=data.public_id(row.slug, submission.instance_id),
                consent=consent,
                withdrawn=gone.reason if gone is not None else None,
            )
        )
    return found


def withdraw(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    slug: str,
    instance_id: str,
    reason: str,
) -> None:
    """Hide a submission from the atlas, at once and until restored."""
    row = _managed(services, actor, project_id, slug)
    if reason not in REASONS:
        raise problems.unexpected_value(
            "reason", reason[:80], f"expected one of {', '.join(REASONS)}."
        )
    if not instance_id or len(instance_id) > 300:
        raise problems.unexpected_value("instanceId", instance_id[:80], "not a submission.")
    with services.db.write() as session:
        store.withdraw(
            session,
            atlas_id=row.id or 0,
            instance_id=instance_id,
            reason=reason,
            actor_id=actor.id,
            now=utcnow(),
        )
        _touch(session, row.slug)
        audits.record(
            session,
            actor,
            "atlas.withdraw",
            f"atlas:{slug}",
            {"instanceId": instance_id, "reason": reason},
        )
    _forget(services, slug)


def restore(
    services: Services, actor: Actor, *, project_id: int, slug: str, instance_id: str
) -> None:
    row = _managed(services, actor, project_id, slug)
    with services.db.write() as session:
        if not store.restore(session, atlas_id=row.id or 0, instance_id=instance_id):
            raise problems.not_found()
        _touch(session, row.slug)
        audits.record(session, actor, "atlas.restore", f"atlas:{slug}", {"instanceId": instance_id})
    _forget(services, slug)


def withdrawals(
    services: Services, actor: Actor, *, project_id: int, slug: str
) -> list[tuple[str, str]]:
    row = get_atlas(services, actor, project_id=project_id, slug=slug)
    with services.db.read() as session:
        found = store.withdrawn(session, atlas_id=row.id or 0)
    return [(instance_id, w.reason) for instance_id, w in sorted(found.items())]


def _managed(services: Services, actor: Actor, project_id: int, slug: str) -> Atlas:
    row = get_atlas(services, actor, project_id=project_id, slug=slug)
    _require_project(services, actor, project_id, PROJECT_UPDATE)
    return row


def _touch(session: Session, slug: str) -> None:
    row = store.atlas_by_slug(session, slug=slug)
    if row is not None:
        row.changed_at = utcnow()
        session.add(row)


def _forget(services: Services, slug: str) -> None:
    """Public pages of ``slug`` are made again from now on (in this process at once)."""
    from server.domain.atlas_public import forget  # it builds on this module

    forget(services, slug)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
