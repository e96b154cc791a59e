"""Entities: written through the API, and made or updated by submissions, as Central does.

API writes (`create_entities`, `update_entity`, `delete_entity`, `restore_entity`) check
the body as Central's ``extractEntity`` does and never create properties.

Submissions (`process_submission`) are processed after the submission itself is
committed, in a transaction of their own: a create waits for approval when the dataset
asks for it, updates apply on receipt; offline updates (a ``branchId``) find their base
in their branch, or wait in the backlog until it arrives; a base older than the current
version makes a soft or hard conflict. Whatever goes wrong rolls back the entity work
only and is recorded as an ``entity.error`` audit: the submission stays accepted. A
submission that has already sourced an entity version is never processed again, so a
resend or an edit makes no second entity or version.
"""

from __future__ import annotations

import logging
import re
import time
import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from server import problems
from server.data.entities import SubmittedEntity, read_submitted_entities
from server.data.xml import XmlError, parse_untrusted_xml
from server.domain import Services, audits, utcnow
from server.domain.access import Actor
from server.domain.datasets import DATASET_LIST, DATASET_UPDATE, spec_of_def
from server.domain.projects import get_project
from server.store import entities as store
from server.store.tables import (
    Dataset,
    DatasetFormDef,
    Entity,
    EntityDef,
    FormDef,
    Submission,
    SubmissionDef,
)

log = logging.getLogger("jaring.entities")
API_USER_AGENT_DEFAULT = "unknown"
MAX_LABEL = 10_000
_UUID = re.compile(
    r"^(uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$", re.I
)


def wrong_type(field: str, expected: str) -> problems.Problem:
    return problems.Problem(
        "400.11",
        f"Invalid input data type: expected ({field}) to be ({expected})",
        {"field": field, "expected": expected},
    )


def invalid_entity(reason: str) -> problems.Problem:
    return problems.Problem("400.28", f"The entity is invalid. {reason}", {"reason": reason})


def normalize_uuid(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise problems.missing_parameter("uuid")
    match = _UUID.match(raw.strip())
    if match is None:
        raise wrong_type("uuid", "valid version 4 UUID")
    return match.group(2).lower()


def entity_not_found(uuid: str, dataset: str) -> problems.Problem:
    return problems.Problem(
        "404.8",
        f"The entity with UUID ({uuid}) specified in the submission does not exist in the"
        f" dataset ({dataset}).",
        {"entityUuid": uuid, "datasetName": dataset},
    )


def version_not_found(base: Any, uuid: str, dataset: str) -> problems.Problem:
    return problems.Problem(
        "404.9",
        f"Base version ({base}) does not exist for entity UUID ({uuid}) in dataset ({dataset}).",
        {"baseVersion": base, "entityUuid": uuid, "datasetName": dataset},
    )


# The API -------------------------------------------------------------------------------------


@dataclass
class EntityView:
    entity: Entity
    current: EntityDef


def _dataset(session: Session, actor: Actor, project_id: int, name: str, verb: str) -> Dataset:
    actor.require(verb, project_id=project_id)
    dataset = store.dataset_by_name(session, project_id=project_id, name=name)
    if dataset is None:
        raise problems.not_found()
    return dataset


def _property_names(session: Session, dataset: Dataset) -> list[str]:
    return [
        p.name
        for p in store.properties_of(session, dataset_id=dataset.id or 0)
        if p.published_at is not None
    ]


def _extract(
    body: Any, properties: list[str], existing: EntityDef | None
) -> tuple[str | None, str | None, dict[str, str]]:
    """(uuid, label, data) of an API body, checked as Central checks it."""
    if not isinstance(body, dict):
        raise problems.Problem(
            "400.31",
            "Expected parameters: (label, uuid, data). Got ().",
            {"expected": ["label", "uuid", "data"], "actual": []},
        )
    expected = ["label", "uuid", "data"]
    if any(k not in expected for k in body):
        raise problems.Problem(
            "400.31",
            f"Expected parameters: ({', '.join(expected)}). Got ({', '.join(body)}).",
            {"expected": expected, "actual": list(body)},
        )
    uuid: str | None = None
    if existing is None:
        if body.get("uuid") is not None and not isinstance(body["uuid"], str):
            raise wrong_type("uuid", "string")
        uuid = normalize_uuid(body["uuid"]) if body.get("uuid") else str(uuid_module.uuid4())
    label = body.get("label")
    if label is not None:
        if not isinstance(label, str):
            raise wrong_type("label", "string")
        _printable("label", label)
        if not label.strip():
            raise problems.unexpected_value("label", "(empty string)", "Label cannot be blank.")
        if len(label) > MAX_LABEL:
            raise problems.unexpected_value(
                "label", label[:40] + "…", f"a label has at most {MAX_LABEL} characters."
            )
    elif existing is None:
        raise problems.missing_parameter("label")
    data = body.get("data")
    if data is None and label is None:
        raise invalid_entity("No entity data or label provided.")
    received: dict[str, str] = {}
    if data is not None:
        if not isinstance(data, dict):
            raise wrong_type("data", "object")
        known = set(properties)
        for key, value in data.items():
            if not isinstance(value, str):
                raise wrong_type(key, "string")
            _printable(key, value)
            if key not in known:
                raise invalid_entity(
                    f"You specified the dataset property [{key}] which does not exist."
                )
            received[key] = value
    return uuid, label, received


def _printable(field: str, value: str) -> None:
    """Text a database column can hold: no NUL character."""
    if "\x00" in value:
        raise problems.unexpected_value(field, "(text with a NUL character)", "not allowed.")


def list_entities(
    services: Services, actor: Actor, *, project_id: int, name: str, deleted: bool = False
) -> list[EntityView]:
    get_project(services, actor, project_id)
    with services.db.read() as session:
        dataset = _dataset(session, actor, project_id, name, DATASET_LIST)
        return [
            EntityView(e, d)
            for e, d in store.entities_with_current(
                session, dataset_id=dataset.id or 0, deleted=deleted
            )
        ]


def get_entity(
    services: Services, actor: Actor, *, project_id: int, name: str, uuid: str
) -> EntityView:
    get_project(services, actor, project_id)
    with services.db.read() as session:
        dataset = _dataset(session, actor, project_id, name, DATASET_LIST)
        view = _entity_view(session, dataset, uuid)
        names = set(_property_names(session, dataset))
        return EntityView(view.entity, _visible(view.current, names))


def _visible(entity_def: EntityDef, names: set[str]) -> EntityDef:
    """The version as it is shown: without the values of properties since deleted (as
    Central shows it). A copy apart from the session when anything is left out, so that
    nothing stored changes."""
    if all(key in names for key in entity_def.data):
        return entity_def
    columns = {field: getattr(entity_def, field) for field in EntityDef.model_fields}
    columns["data"] = {k: v for k, v in entity_def.data.items() if k in names}
    return EntityDef(**columns)


def _entity_view(
    session: Session, dataset: Dataset, uuid: str, *, for_update: bool = False
) -> EntityView:
    entity = store.entity_by_uuid(session, uuid=uuid.lower(), for_update=for_update)
    if entity is None or entity.dataset_id != dataset.id or entity.deleted_at is not None:
        raise problems.not_found()
    current = store.current_def(session, entity_id=entity.id or 0)
    assert current is not None
    return EntityView(entity, current)


def create_entities(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    name: str,
    body: Any,
    user_agent: str | None,
) -> EntityView | None:
    """One entity (``{label, data, uuid?}``; returns it) or many (``{entities, source}``)."""
    get_project(services, actor, project_id)
    now = utcnow()
    agent = (user_agent or API_USER_AGENT_DEFAULT)[:500]
    bulk = isinstance(body, dict) and "entities" in body
    with services.db.write() as session:
        dataset = _dataset(session, actor, project_id, name, DATASET_UPDATE)
        properties = _property_names(session, dataset)
        if bulk:
            items, source = body.get("entities"), body.get("source")
            if not isinstance(items, list) or not items:
                raise problems.Problem(
                    "400.31",
                    "Expected parameters: (entities, source). Got (entities).",
                    {"expected": ["entities", "source"], "actual": list(body)},
                )
            if not isinstance(source, dict) or not isinstance(source.get("name"), str):
                raise problems.missing_parameter("source.name")
            _printable("source.name", source["name"])
            extracted = [_extract(item, properties, None) for item in items]
            source_json = {"name": source["name"], "size": source.get("size")}
        else:
            extracted = [_extract(body, properties, None)]
            source_json = None
        uuids = [u for u, _, _ in extracted if u is not None]
        if len(set(uuids)) != len(uuids):
            raise problems.uniqueness_violation(
                ["uuid"], [u for u in uuids if uuids.count(u) > 1][:1]
            )
        taken = store.existing_uuids(session, uuids=uuids)
        for uuid in uuids:
            if uuid in taken:
                raise _uuid_taken(uuid, deleted=taken[uuid])
        made = []
        for uuid, label, data in extracted:
            assert uuid is not None and label is not None
            made.append(
                _create(
                    session,
                    actor,
                    dataset,
                    uuid=uuid,
                    label=label,
                    data=data,
                    received={**data, "label": label},
                    user_agent=agent,
                    now=now,
                    source={"bulk": source_json} if source_json else {},
                    checked=True,
                    record_audit=not bulk,
                )
            )
        if bulk:
            store.touch(session, dataset_id=dataset.id or 0, now=now)
            audits.record(
                session,
                actor,
                "entity.bulk.create",
                f"dataset:{dataset.id}",
                {"source": source_json, "count": len(made)},
            )
        return None if bulk else made[0]


def _create(
    session: Session,
    actor: Actor | None,
    dataset: Dataset,
    *,
    uuid: str,
    label: str,
    data: dict[str, str],
    received: dict[str, str],
    user_agent: str | None,
    now: datetime,
    creator_id: int | None = None,
    submission_def_id: int | None = None,
    source: dict[str, Any] | None = None,
    branch_id: str | None = None,
    trunk_version: int | None = None,
    branch_base_version: int | None = None,
    audit_details: dict[str, Any] | None = None,
    record_audit: bool = True,
    checked: bool = False,
) -> EntityView:
    """A new entity at version 1; ``checked`` when its uuid is known to be free, and
    without ``record_audit`` (a bulk create) nothing is logged or touched per entity."""
    if not checked:
        existing = store.entity_by_uuid(session, uuid=uuid)
        if existing is not None:
            raise _uuid_taken(uuid, deleted=existing.deleted_at is not None)
    creator = creator_id if creator_id is not None else (actor.id if actor else None)
    entity = store.insert_entity(
        session, uuid=uuid, dataset_id=dataset.id or 0, creator_id=creator, now=now
    )
    entity_def = store.insert_def(
        session,
        first=True,
        entity_id=entity.id,
        version=1,
        current=True,
        label=label,
        data=data,
        data_received=received,
        creator_id=creator,
        user_agent=user_agent or API_USER_AGENT_DEFAULT,
        submission_def_id=submission_def_id,
        source=source or {},
        branch_id=branch_id,
        trunk_version=trunk_version,
        branch_base_version=branch_base_version,
        created_at=now,
    )
    if not record_audit:
        return EntityView(entity, entity_def)
    if record_audit:
        audits.record(
            session,
            actor,
            "entity.create",
            f"dataset:{dataset.id}",
            {
                "entityId": entity.id,
                "entityDefId": entity_def.id,
                "entity": {"uuid": uuid, "dataset": dataset.name},
                **(audit_details or {}),
            },
        )
    store.touch(session, dataset_id=dataset.id or 0, now=now)
    return EntityView(entity, entity_def)


def _uuid_taken(uuid: str, *, deleted: bool) -> problems.Problem:
    if deleted:
        return problems.Problem(
            "409.19",
            "The following UUID(s) cannot be used because they are associated with deleted"
            f" Entities: ({uuid}).",
            {"entityUuids": [uuid]},
        )
    return problems.uniqueness_violation(["uuid"], [uuid])


def update_entity(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    name: str,
    uuid: str,
    body: Any,
    base_version: str | None,
    force: bool,
    resolve: bool,
    user_agent: str | None,
) -> EntityView:
    """``PATCH …/entities/{uuid}``: a new version from the body, on ``baseVersion`` (409.15
    when it is missing or not the current one) or ``force``; ``resolve`` clears a conflict."""
    get_project(services, actor, project_id)
    now = utcnow()
    with services.db.write() as session:
        dataset = _dataset(session, actor, project_id, name, DATASET_UPDATE)
        view = _entity_view(session, dataset, uuid, for_update=True)
        entity, current = view.entity, view.current
        if resolve and entity.conflict is None:
            raise problems.Problem("400.32", "The Entity doesn't have any conflict")
        if not force and base_version != str(current.version):
            raise problems.Problem(
                "409.15",
                f"Current version of the Entity is '{current.version}' and you provided"
                f" '{base_version}'. Please correct the version number or pass '?force=true' in"
                " the URL to forcefully update the Entity.",
                {"current": str(current.version), "provided": base_version},
            )
        if not (resolve and not body):
            _, label, data = _extract(body, _property_names(session, dataset), current)
            received = dict(data)
            if label is not None:
                received["label"] = label
            current = store.insert_def(
                session,
                entity_id=entity.id,
                version=current.version + 1,
                current=True,
                label=label if label is not None else current.label,
                data={**current.data, **data},
                data_received=received,
                creator_id=actor.id,
                user_agent=(user_agent or API_USER_AGENT_DEFAULT)[:500],
                base_version=current.version,
                source={},
                created_at=now,
            )
            entity.updated_at = now
            audits.record(
                session,
                actor,
                "entity.update.version",
                f"dataset:{dataset.id}",
                _entity_details(entity, current, dataset),
            )
        if resolve:
            entity.conflict = None
            entity.updated_at = now
            audits.record(
                session,
                actor,
                "entity.update.resolve",
                f"dataset:{dataset.id}",
                _entity_details(entity, current, dataset),
            )
        session.add(entity)
        store.touch(session, dataset_id=dataset.id or 0, now=now)
        return EntityView(entity, current)


def _entity_details(entity: Entity, current: EntityDef, dataset: Dataset) -> dict[str, Any]:
    return {
        "entityId": entity.id,
        "entityDefId": current.id,
        "entity": {"uuid": entity.uuid, "dataset": dataset.name},
    }


def delete_entity(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    name: str,
    uuid: str,
    restore: bool = False,
) -> None:
    get_project(services, actor, project_id)
    now = utcnow()
    with services.db.write() as session:
        dataset = _dataset(session, actor, project_id, name, DATASET_UPDATE)
        entity = store.entity_by_uuid(session, uuid=uuid.lower(), for_update=True)
        if entity is None or entity.dataset_id != dataset.id:
            raise problems.not_found()
        if (entity.deleted_at is None) == restore:
            raise problems.not_found()
        entity.deleted_at = None if restore else now
        session.add(entity)
        audits.record(
            session,
            actor,
            "entity.restore" if restore else "entity.delete",
            f"dataset:{dataset.id}",
            {"entityId": entity.id, "entity": {"uuid": entity.uuid, "dataset": dataset.name}},
        )
        store.touch(session, dataset_id=dataset.id or 0, now=now)


def bulk_delete(
    services: Services, actor: Actor, *, project_id: int, name: str, body: Any, restore: bool
) -> int:
    """``POST …/entities/bulk-delete`` (or ``bulk-restore``) ``{ids: [...]}``: how many
    entities changed."""
    get_project(services, actor, project_id)
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise problems.missing_parameter("ids")
    now = utcnow()
    count = 0
    with services.db.write() as session:
        dataset = _dataset(session, actor, project_id, name, DATASET_UPDATE)
        found = store.entities_by_uuids(
            session, dataset_id=dataset.id or 0, uuids=[i.lower() for i in ids]
        )
        for entity in found:
            if (entity.deleted_at is None) == restore:
                continue
            entity.deleted_at = None if restore else now
            session.add(entity)
            count += 1
            audits.record(
                session,
                actor,
                "entity.restore" if restore else "entity.delete",
                f"dataset:{dataset.id}",
                {"entityId": entity.id, "entity": {"uuid": entity.uuid, "dataset": dataset.name}},
            )
        if count:
            store.touch(session, dataset_id=dataset.id or 0, now=now)
    return count


def creators(services: Services, actor: Actor, *, project_id: int, name: str) -> list[Any]:
    """Everyone who made an entity of the dataset."""
    from server.store.tables import Actor as ActorRow

    get_project(services, actor, project_id)
    with services.db.read() as session:
        dataset = _dataset(session, actor, project_id, name, DATASET_LIST)
        ids = {
            e.creator_id
            for e, _ in store.entities_with_current(session, dataset_id=dataset.id or 0)
            if e.creator_id is not None
        }
        return [row for row in (session.get(ActorRow, i) for i in sorted(ids)) if row]


def actors_by_id(services: Services, ids: set[int]) -> dict[int, Any]:
    """Actor rows by id, for ``X-Extended-Metadata``."""
    from server.store.tables import Actor as ActorRow

    with services.db.read() as session:
        rows = [session.get(ActorRow, i) for i in sorted(ids)]
    return {row.id: row for row in rows if row is not None and row.id is not None}


def entity_versions(
    services: Services, actor: Actor, *, project_id: int, name: str, uuid: str
) -> tuple[Entity, list[EntityDef]]:
    get_project(services, actor, project_id)
    with services.db.read() as session:
        dataset = _dataset(session, actor, project_id, name, DATASET_LIST)
        view = _entity_view(session, dataset, uuid)
        names = set(_property_names(session, dataset))
        versions = store.defs_of(session, entity_id=view.entity.id or 0)
        return view.entity, [_visible(version, names) for version in versions]


def last_resolved_def(
    services: Services, actor: Actor, *, project_id: int, name: str, uuid: str
) -> int | None:
    """The version id named by the entity's latest ``entity.update.resolve``."""
    for view in entity_audits(services, actor, project_id=project_id, name=name, uuid=uuid):
        if view.audit.action == "entity.update.resolve":
            found = (view.audit.details or {}).get("entityDefId")
            return found if isinstance(found, int) else None
    return None


def entity_audits(
    services: Services, actor: Actor, *, project_id: int, name: str, uuid: str
) -> list[audits.AuditView]:
    view = get_entity(services, actor, project_id=project_id, name=name, uuid=uuid)
    dataset_views = audits.audits_of(services, actee=f"dataset:{view.entity.dataset_id}")
    return [
        a
        for a in dataset_views
        if a.audit.action.startswith("entity.")
        and ((a.audit.details or {}).get("entity") or {}).get("uuid") == view.entity.uuid
    ]


# From submissions ------------------------------------------------------------------------------

CREATE_EVENT = "submission.create"
EDIT_EVENT = "submission.update.version"
REVIEW_EVENT = "submission.update"
REPROCESS_EVENT = "submission.backlog.reprocess"


def process_submission(
    services: Services,
    *,
    submission_def_id: int,
    event: str,
    actor: Actor | None,
    review_state: str | None = None,
    stored: tuple[Submission, SubmissionDef] | None = None,
    force: bool = False,
) -> None:
    """Make or update the entities a submission asks for, in a transaction of its own;
    an error becomes an ``entity.error`` audit, never a failed submission.

    ``stored`` is the submission and version just stored by a phone's POST (of a
    published definition): they need not be read again, and a new submission cannot
    have made an entity or be waiting in the backlog yet."""
    if stored is None:
        with services.db.read() as session:
            found = _submission(session, submission_def_id)
        if found is None:
            return
        submission, definition, form_def = found
        if form_def.published_at is None or form_def.key_id is not None:
            return  # a draft's test submission, or an encrypted one
    else:
        submission, definition = stored
    spec = spec_of_def(services, definition.form_def_id)
    if spec is None:
        return
    follow: list[int] = []
    try:
        with services.db.write() as session:
            follow = _process(
                session,
                actor,
                spec,
                submission,
                definition,
                event=event,
                review_state=review_state,
                fresh=stored is not None and event == CREATE_EVENT,
                force=force,
            )
    except problems.Problem as problem:
        _log_error(services, actor, submission, definition, problem.message, problem)
    except XmlError as error:
        _log_error(services, actor, submission, definition, str(error), None)
    except SQLAlchemyError as error:
        # A clash with a concurrent write (say, the same uuid created twice at once):
        # the entity work is undone, the submission stays accepted, as in Central.
        log.warning("entity processing failed: %s", error)
        _log_error(services, actor, submission, definition, type(error).__name__, None)
    for next_def_id in follow:
        process_submission(
            services, submission_def_id=next_def_id, event=REPROCESS_EVENT, actor=actor
        )
    if not force:
        _now_and_then_force_backlog(services)


_backlog_checked: dict[str, float] = {}
BACKLOG_CHECK_SECONDS = 3600.0


def _now_and_then_force_backlog(services: Services) -> None:
    """Central forces the backlog from a cron job; here entity processing itself looks,
    at most once an hour per process and database."""
    last = _backlog_checked.get(services.db.url)
    now = time.monotonic()
    if last is not None and now - last < BACKLOG_CHECK_SECONDS:
        return
    _backlog_checked[services.db.url] = now
    force_backlog(services)


def _submission(
    session: Session, submission_def_id: int
) -> tuple[Submission, SubmissionDef, FormDef] | None:
    definition = session.get(SubmissionDef, submission_def_id)
    if definition is None:
        return None
    submission = session.get(Submission, definition.submission_id)
    form_def = session.get(FormDef, definition.form_def_id)
    if submission is None or form_def is None or submission.deleted_at is not None:
        return None
    return submission, definition, form_def


def _log_error(
    services: Services,
    actor: Actor | None,
    submission: Submission,
    definition: SubmissionDef,
    message: str,
    problem: problems.Problem | None,
) -> None:
    with services.db.write() as session:
        audits.record(
            session,
            actor,
            "entity.error",
            None,
            {
                "submissionId": submission.id,
                "submissionDefId": definition.id,
                "errorMessage": message,
                "problem": (
                    {"problemCode": float(problem.code), "problemDetails": problem.details}
                    if problem is not None
                    else None
                ),
            },
        )


def _process(
    session: Session,
    actor: Actor | None,
    spec: Any,
    submission: Submission,
    definition: SubmissionDef,
    *,
    event: str,
    review_state: str | None,
    fresh: bool = False,
    force: bool = False,
) -> list[int]:
    """The work of one event; returns the held submissions it releases."""
    if not fresh:
        all_defs = list(
            session.exec(
                select(SubmissionDef.id).where(col(SubmissionDef.submission_id) == submission.id)
            ).all()
        )
        if store.defs_from_submission(session, submission_def_ids=[i for i in all_defs if i]):
            return []
        if event != REPROCESS_EVENT and store.is_held(
            session, submission_def_id=definition.id or 0
        ):
            return []
    root = parse_untrusted_xml(definition.xml)
    entities = read_submitted_entities(root, spec)
    follow: list[int] = []
    errors: list[tuple[int, problems.Problem]] = []
    for index, entity in enumerate(entities):
        try:
            with session.begin_nested():
                released = _process_entity(
                    session,
                    actor,
                    entity,
                    submission,
                    definition,
                    event=event,
                    review_state=review_state,
                    force=force,
                )
            if released is not None:
                follow.append(released)
        except problems.Problem as problem:
            if len(entities) == 1:
                raise
            errors.append((index, problem))
    if errors:
        joined = " ".join(f"(Entity {i + 1}) {p.message}" for i, p in errors)
        raise problems.Problem(
            "400.43",
            f"Failed to process {len(errors)} of {len(entities)} entities in submission. {joined}",
            {"count": len(errors), "total": len(entities)},
        )
    return follow


def _process_entity(
    session: Session,
    actor: Actor | None,
    submitted: SubmittedEntity,
    submission: Submission,
    definition: SubmissionDef,
    *,
    event: str,
    review_state: str | None,
    force: bool = False,
) -> int | None:
    if not submitted.dataset:
        raise problems.missing_parameter("dataset")
    form_project = _project_of(session, definition.form_id)
    dataset = store.dataset_by_name(session, project_id=form_project, name=submitted.dataset)
    if dataset is None:
        raise problems.Problem(
            "404.7",
            f"The dataset ({submitted.dataset}) specified in the submission does not exist.",
            {"datasetName": submitted.dataset},
        )
    link = session.exec(
        select(DatasetFormDef).where(
            col(DatasetFormDef.dataset_id) == dataset.id,
            col(DatasetFormDef.form_def_id) == definition.form_def_id,
        )
    ).first()
    permitted = list(link.actions) if link is not None else []
    for action, wanted in (("create", submitted.create), ("update", submitted.update)):
        if wanted and action not in permitted:
            raise problems.Problem(
                "403.2",
                f"The submission attempts an entity {action}, but the form does not permit that"
                f" action. The form permits the following actions: {', '.join(permitted)}.",
                {"action": action, "permitted": permitted},
            )
    uuid = normalize_uuid(submitted.uuid)
    context = _Context(
        session, actor, dataset, submission, definition, event, review_state, force=force
    )
    made: tuple[Entity, EntityDef] | None = None
    if submitted.update:
        try:
            made = _update(context, submitted, uuid)
        except problems.Problem as problem:
            base_missing = (
                problem.code == "400.2" and (problem.details or {}).get("field") == "baseVersion"
            )
            attempt_create = submitted.create or context.force
            if attempt_create and (problem.code == "404.8" or base_missing):
                made = _create_from_submission(context, submitted, uuid)
            else:
                raise
    elif submitted.create:
        made = _create_from_submission(context, submitted, uuid)
    if made is None:
        return None
    entity, current = made
    held = store.next_held(
        session,
        entity_uuid=entity.uuid,
        branch_id=current.branch_id,
        branch_base_version=(current.branch_base_version or 0) + 1,
    )
    if held is not None:
        store.release(session, held)
        return held.submission_def_id
    return None


_form_projects: dict[tuple[int, int], int] = {}


def _project_of(session: Session, form_id: int) -> int:
    """A form's project (which never changes), read once per connection pool."""
    from server.store.tables import Form

    key = (id(session.get_bind()), form_id)
    if key not in _form_projects:
        form = session.get(Form, form_id)
        assert form is not None
        if len(_form_projects) > 5000:
            _form_projects.clear()
        _form_projects[key] = form.project_id
    return _form_projects[key]


@dataclass
class _Context:
    session: Session
    actor: Actor | None
    dataset: Dataset
    submission: Submission
    definition: SubmissionDef
    event: str
    review_state: str | None
    force: bool = False  # held too long: processed on whatever base there is

    def source(self) -> dict[str, Any]:
        return {"submission": {"instanceId": self.definition.instance_id}}

    def audit_details(self) -> dict[str, Any]:
        return {"submissionId": self.submission.id, "submissionDefId": self.definition.id}


def _int_or_none(raw: str, field: str) -> int | None:
    if not raw:
        return None
    if not re.fullmatch(r"\d+", raw):
        raise wrong_type(field, "integer")
    return int(raw)


def _branch(submitted: SubmittedEntity) -> tuple[str | None, int | None]:
    branch_id = None
    if submitted.branch_id:
        match = _UUID.match(submitted.branch_id)
        if match is None:
            raise wrong_type("branchId", "valid version 4 UUID")
        branch_id = match.group(2).lower()
    trunk = None
    if submitted.trunk_version:
        if branch_id is None:
            raise problems.missing_parameter("branchId")
        trunk = _int_or_none(submitted.trunk_version, "trunkVersion")
    return branch_id, trunk


def _create_from_submission(
    context: _Context, submitted: SubmittedEntity, uuid: str
) -> tuple[Entity, EntityDef] | None:
    dataset = context.dataset
    if dataset.approval_required and context.review_state != "approved":
        return None
    if not dataset.approval_required and context.event == REVIEW_EVENT:
        return None
    label = submitted.label
    if (label is None or not label.strip()) and context.force:
        label = "auto generated"
    if label is None or not label.strip():
        raise problems.missing_parameter("label")
    branch_id, trunk = _branch(submitted)
    base = _int_or_none(submitted.base_version, "baseVersion")
    received = {**submitted.data, "label": label}
    view = _create(
        context.session,
        context.actor,
        dataset,
        uuid=uuid,
        label=label,
        data=dict(submitted.data),
        received=received,
        user_agent=context.definition.user_agent,
        now=utcnow(),
        creator_id=context.submission.submitter_id,
        submission_def_id=context.definition.id,
        source=context.source(),
        branch_id=branch_id,
        trunk_version=trunk,
        branch_base_version=base if branch_id else None,
        audit_details=context.audit_details(),
    )
    return view.entity, view.current


def _update(
    context: _Context, submitted: SubmittedEntity, uuid: str
) -> tuple[Entity, EntityDef] | None:
    if context.event not in (CREATE_EVENT, EDIT_EVENT, REPROCESS_EVENT):
        return None
    session, dataset = context.session, context.dataset
    if not submitted.base_version:
        raise problems.missing_parameter("baseVersion")
    base_version = _int_or_none(submitted.base_version, "baseVersion")
    assert base_version is not None
    branch_id, trunk = _branch(submitted)
    label = submitted.label if submitted.label and submitted.label.strip() else None
    entity = store.entity_by_uuid(session, uuid=uuid, for_update=True)
    if entity is None and branch_id is not None and not submitted.create and not context.force:
        # An offline update of an entity made offline too, arriving first: it waits.
        _hold(context, uuid, branch_id, base_version)
        return None
    if entity is None or entity.dataset_id != dataset.id:
        raise entity_not_found(uuid, dataset.name)
    if entity.deleted_at is not None:
        raise problems.Problem(
            "404.11", f"The entity with UUID ({uuid}) has been deleted.", {"entityUuid": uuid}
        )
    assert entity.id is not None
    if branch_id is None:
        base = store.def_by_version(session, entity_id=entity.id, version=base_version)
        if base is None:
            raise version_not_found(base_version, uuid, dataset.name)
    else:
        if base_version == 1 or base_version == trunk:
            base = store.def_by_version(session, entity_id=entity.id, version=base_version)
        else:
            base = store.def_by_branch(
                session,
                entity_id=entity.id,
                branch_id=branch_id,
                branch_base_version=base_version - 1,
            )
        if base is None and context.force:
            base = store.current_def(session, entity_id=entity.id)
        if base is None:
            _hold(context, uuid, branch_id, base_version)
            return None
    current = store.current_def(session, entity_id=entity.id)
    assert current is not None
    if trunk is not None and trunk > current.version:
        raise version_not_found(f"trunkVersion={trunk}", uuid, dataset.name)
    received = dict(submitted.data)
    if label is not None:
        received["label"] = label
    conflict = entity.conflict
    conflicting: list[str] | None = None
    version_conflict: str | None = None
    if base.version != current.version:
        server_diff = {k: v for k, v in current.data.items() if base.data.get(k) != v}
        if current.label != base.label:
            server_diff["label"] = current.label
        conflicting = [k for k in received if k in server_diff and received[k] != server_diff[k]]
        version_conflict = "hard" if conflicting else "soft"
        if conflict != "hard":
            conflict = version_conflict
    elif branch_id is not None and conflict != "hard":
        interrupted = session.exec(
            select(EntityDef.id).where(
                col(EntityDef.entity_id) == entity.id,
                col(EntityDef.version) > (trunk or 1),
                (col(EntityDef.branch_id).is_(None)) | (col(EntityDef.branch_id) != branch_id),
            )
        ).first()
        if interrupted is not None:
            conflict = version_conflict = "soft"
    now = utcnow()
    new_def = store.insert_def(
        session,
        entity_id=entity.id,
        version=current.version + 1,
        current=True,
        label=label if label is not None else current.label,
        data={**current.data, **submitted.data},
        data_received=received,
        creator_id=context.submission.submitter_id,
        user_agent=context.definition.user_agent or API_USER_AGENT_DEFAULT,
        base_version=base.version,
        conflicting_properties=conflicting,
        conflict=version_conflict,
        branch_id=branch_id,
        trunk_version=trunk,
        branch_base_version=base_version if branch_id else None,
        submission_def_id=context.definition.id,
        source=context.source(),
        created_at=now,
    )
    entity.conflict = conflict
    entity.updated_at = now
    session.add(entity)
    audits.record(
        session,
        context.actor,
        "entity.update.version",
        f"dataset:{dataset.id}",
        {
            "entityId": entity.id,
            "entityDefId": new_def.id,
            "entity": {"uuid": uuid, "dataset": dataset.name},
            **context.audit_details(),
        },
    )
    store.touch(session, dataset_id=dataset.id or 0, now=now)
    return entity, new_def


def _hold(context: _Context, uuid: str, branch_id: str, base_version: int) -> None:
    """Keep an offline update until the version it was made on arrives."""
    store.hold(
        context.session,
        submission_id=context.submission.id,
        submission_def_id=context.definition.id,
        entity_uuid=uuid,
        branch_id=branch_id,
        branch_base_version=base_version,
        event=context.event,
        logged_at=utcnow(),
    )
    audits.record(
        context.session,
        context.actor,
        "submission.backlog.hold",
        f"submission:{context.submission.id}",
        context.audit_details(),
    )


def pending_submissions(session: Session, dataset: Dataset) -> list[int]:
    """Submission versions of forms creating into ``dataset`` that made no entity and
    await approval (neither approved nor rejected)."""
    from server.store.tables import Form

    rows = session.exec(
        select(SubmissionDef.id)
        .join(Submission, col(Submission.id) == col(SubmissionDef.submission_id))
        .join(DatasetFormDef, col(DatasetFormDef.form_def_id) == col(SubmissionDef.form_def_id))
        .join(FormDef, col(FormDef.id) == col(SubmissionDef.form_def_id))
        .join(Form, col(Form.id) == col(Submission.form_id))
        .where(
            col(DatasetFormDef.dataset_id) == dataset.id,
            col(SubmissionDef.current),
            col(Submission.deleted_at).is_(None),
            col(FormDef.published_at).is_not(None),
            col(Form.deleted_at).is_(None),
            (col(Submission.review_state).is_(None))
            | (col(Submission.review_state).in_(["hasIssues", "edited"])),
        )
        .order_by(col(SubmissionDef.id))
    ).all()
    ids = [r for r in rows if r is not None]
    made = {
        d.submission_def_id for d in store.defs_from_submission(session, submission_def_ids=ids)
    }
    return [i for i in ids if i not in made]


BACKLOG_WAIT = timedelta(days=5)


def force_backlog(services: Services, *, older_than: timedelta = BACKLOG_WAIT) -> int:
    """Process the offline updates held longer than ``older_than`` (Central: five days)
    on whatever there is: the latest version as their base, a create when the entity
    never arrived (labelled ``auto generated`` when the update had no label). Returns
    how many were processed."""
    cutoff = utcnow() - older_than
    with services.db.write() as session:
        held = store.held_before(session, cutoff=cutoff)
        for row in held:
            store.release(session, row)
            audits.record(
                session,
                None,
                "submission.backlog.force",
                f"submission:{row.submission_id}",
                {"submissionId": row.submission_id, "submissionDefId": row.submission_def_id},
            )
        work = [(row.submission_def_id, row.event) for row in held]
    for submission_def_id, _event in work:
        process_submission(
            services,
            submission_def_id=submission_def_id,
            event=REPROCESS_EVENT,
            actor=None,
            force=True,
        )
    return len(work)


def process_pending(services: Services, actor: Actor, submission_def_ids: list[int]) -> None:
    """``PATCH …/datasets/{name}?convert=true``: make the entities that waited for approval."""
    for submission_def_id in submission_def_ids:
        process_submission(
            services, submission_def_id=submission_def_id, event=CREATE_EVENT, actor=actor
        )
