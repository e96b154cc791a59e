"""Datasets (entity lists): declared by forms, published with them, read by phones.

A form that declares entities names datasets and the properties its fields save to;
uploading it records them unpublished, and publishing the form publishes them (Central's
rule: a draft changes nothing the phones see). A form that reads ``{name}.csv`` gets the
dataset linked as that attachment, automatically when the dataset exists, or through
``PATCH …/draft/attachments/{name}.csv``. The list phones download, its hash, and the
integrity answer for offline entities are made here from the store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from server import problems
from server.data.entities import (
    EntityFormError,
    EntitySpec,
    read_entity_spec,
    valid_dataset_name,
    valid_property_name,
)
from server.data.xml import XmlError
from server.domain import Services, audits, utcnow
from server.domain.access import (
    FORM_READ,
    FORM_UPDATE,
    PROJECT_READ,
    PROJECT_UPDATE,
    SUBMISSION_LIST,
    Actor,
)
from server.domain.projects import get_project
from server.store import entities as store
from server.store import forms as form_store
from server.store.tables import Dataset, DatasetProperty, Form, FormAttachment

# Who may do what with datasets: Central gives readers of submissions the entity lists,
# and those who may change forms the rest.
DATASET_LIST = SUBMISSION_LIST
DATASET_UPDATE = PROJECT_UPDATE


def invalid_entity_form(reason: str) -> problems.Problem:
    return problems.Problem(
        "400.25",
        f"The entity definition within the form is invalid. {reason}",
        {"reason": reason},
    )


def check_entity_declarations(xml: bytes, *, ignore_warnings: bool) -> EntitySpec | None:
    """Refuse a form whose entity declarations Central refuses (400.25), and warn
    (400.16) about an entities-version too old for offline entities."""
    try:
        spec = read_entity_spec(xml)
    except EntityFormError as error:
        raise invalid_entity_form(str(error)) from error
    except XmlError:
        return None  # read_xform says what is wrong with it
    if spec is None:
        return None
    multiple = len(spec.datasets) > 1 or any(d.path for d in spec.datasets)
    if multiple and tuple(int(p) for p in spec.version.split(".")[:2]) < (2025, 1):
        raise invalid_entity_form(
            "Several entities, or entities in a repeat, need entities-version 2025.1.0 or later."
        )
    if spec.warnings and not ignore_warnings:
        raise problems.Problem(
            "400.16",
            "The Form is valid, but with warnings. Please check the warnings and if they are"
            " acceptable resubmit with ?ignoreWarnings=true",
            {"warnings": {"workflowWarnings": list(spec.warnings)}},
        )
    return spec


# Spec of a form definition, by database and id: a definition's XML never changes its
# entity declarations, so they are read once per process.
_specs: dict[tuple[str, int], EntitySpec | None] = {}


def spec_of_def(services: Services, form_def_id: int) -> EntitySpec | None:
    key = (services.db.url, form_def_id)
    if key in _specs:
        return _specs[key]
    with services.db.read() as session:
        form_def = form_store.form_def_by_id(session, form_def_id=form_def_id)
        declared = bool(store.datasets_of_def(session, form_def_id=form_def_id))
    spec = None
    if form_def is not None and declared and form_def.key_id is None:
        try:
            spec = read_entity_spec(form_def.xml)
        except (EntityFormError, XmlError):
            spec = None
    if len(_specs) > 5000:
        _specs.clear()
    _specs[key] = spec
    return spec


def declare(
    session: Session,
    *,
    project_id: int,
    form_def_id: int,
    xml: bytes,
    encrypted: bool,
    now: datetime,
) -> None:
    """Record the datasets and properties a new form definition declares (unpublished
    where they are new), and link its ``{name}.csv`` attachments to published datasets."""
    spec = None
    if not encrypted:
        try:
            spec = read_entity_spec(xml)
        except (EntityFormError, XmlError):
            spec = None
    for declaration in spec.datasets if spec else ():
        dataset = store.dataset_by_name_any_case(
            session, project_id=project_id, name=declaration.name
        )
        if dataset is not None and dataset.name != declaration.name:
            raise dataset_name_conflict(dataset.name, declaration.name)
        if dataset is None:
            dataset = store.insert_dataset(
                session, project_id=project_id, name=declaration.name, now=now, published=False
            )
        assert dataset.id is not None
        store.link_form_def(
            session,
            dataset_id=dataset.id,
            form_def_id=form_def_id,
            actions=list(declaration.actions),
        )
        existing = {p.name.lower(): p for p in store.properties_of(session, dataset_id=dataset.id)}
        for name, path in declaration.properties.items():
            prop = existing.get(name.lower())
            if prop is not None and prop.name != name:
                raise problems.Problem(
                    "409.17",
                    f"This form attempts to create a new Entity property that matches with an"
                    f" existing one except for capitalization: {name}",
                    {"current": prop.name, "provided": name},
                )
            if prop is None:
                prop = store.insert_property(
                    session, dataset_id=dataset.id, name=name, published_at=None
                )
                existing[name.lower()] = prop
            assert prop.id is not None
            store.add_property_field(
                session, property_id=prop.id, form_def_id=form_def_id, path=path
            )
    _link_attachments(session, project_id=project_id, form_def_id=form_def_id)


def dataset_name_conflict(current: str, provided: str) -> problems.Problem:
    return problems.Problem(
        "409.16",
        f"A dataset named '{current}' exists and you provided '{provided}' with the same name"
        " but different capitalization.",
        {"current": current, "provided": provided},
    )


def publish_declared(
    session: Session, actor: Actor | None, *, project_id: int, form_def_id: int, now: datetime
) -> None:
    """Publish what a definition declares, then link its ``{name}.csv`` attachments."""
    for dataset, _ in store.datasets_of_def(session, form_def_id=form_def_id):
        assert dataset.id is not None
        if dataset.published_at is None:
            dataset.published_at = now
            session.add(dataset)
            audits.record(session, actor, "dataset.create", f"dataset:{dataset.id}")
        ids = store.property_names_of_def(session, form_def_id=form_def_id)
        for prop in store.properties_of(session, dataset_id=dataset.id):
            if prop.id in ids and prop.published_at is None:
                prop.published_at = now
                session.add(prop)
        store.touch(session, dataset_id=dataset.id, now=now)
    session.flush()
    _link_attachments(session, project_id=project_id, form_def_id=form_def_id)


def _link_attachments(session: Session, *, project_id: int, form_def_id: int) -> None:
    for attachment in store.unlinked_csv_attachments(session, form_def_id=form_def_id):
        if attachment.name == "itemsets.csv":
            continue
        dataset = store.dataset_by_name(session, project_id=project_id, name=attachment.name[:-4])
        if dataset is not None:
            attachment.dataset_id = dataset.id
            session.add(attachment)


# Reading datasets ---------------------------------------------------------------------------


@dataclass
class DatasetView:
    dataset: Dataset
    properties: list[tuple[DatasetProperty, list[Form]]]
    linked_forms: list[Form]
    source_forms: list[Form]
    draft_linked_forms: list[Form]
    draft_source_forms: list[Form]
    names: dict[int, str | None]  # form id -> the name of its definition


def _dataset(session: Session, actor: Actor, project_id: int, name: str, verb: str) -> Dataset:
    actor.require(verb, project_id=project_id)
    dataset = store.dataset_by_name(session, project_id=project_id, name=name)
    if dataset is None:
        raise problems.not_found()
    return dataset


def dataset_for(
    services: Services, actor: Actor, *, project_id: int, name: str, verb: str = DATASET_LIST
) -> Dataset:
    get_project(services, actor, project_id)
    with services.db.read() as session:
        return _dataset(session, actor, project_id, name, verb)


def list_datasets(
    services: Services, actor: Actor, *, project_id: int, deleted: bool = False
) -> list[tuple[Dataset, tuple[int, datetime | None, int]]]:
    """The project's datasets with their counts, or (``deleted``) those in its trash."""
    get_project(services, actor, project_id)
    actor.require(DATASET_LIST, project_id=project_id)
    with services.db.read() as session:
        return [
            (d, store.entity_counts(session, dataset_id=d.id or 0))
            for d in store.list_datasets(session, project_id=project_id, deleted=deleted)
        ]


def deleted_name(dataset: Dataset) -> str:
    """The name a deleted dataset had (it is kept as ``{id}:{name}`` to free the name)."""
    prefix = f"{dataset.id}:"
    return dataset.name[len(prefix) :] if dataset.name.startswith(prefix) else dataset.name


def deleted_dataset(
    services: Services, actor: Actor, *, project_id: int, dataset_id: int
) -> Dataset:
    """A dataset of the project's trash, by its id (Central's trash routes use ids, as a
    deleted dataset's name may be taken again)."""
    get_project(services, actor, project_id)
    actor.require(DATASET_LIST, project_id=project_id)
    with services.db.read() as session:
        dataset = session.get(Dataset, dataset_id)
    if (
        dataset is None
        or dataset.project_id != project_id
        or dataset.deleted_at is None
        or dataset.published_at is None
    ):
        raise problems.not_found()
    return dataset


def view_dataset(services: Services, actor: Actor, *, project_id: int, name: str) -> DatasetView:
    get_project(services, actor, project_id)
    with services.db.read() as session:
        dataset = _dataset(session, actor, project_id, name, DATASET_LIST)
        return _view(session, dataset)


def _view(session: Session, dataset: Dataset) -> DatasetView:
    assert dataset.id is not None
    properties = [
        (p, store.property_forms(session, property_id=p.id or 0))
        for p in store.properties_of(session, dataset_id=dataset.id)
        if p.published_at is not None
    ]
    view = DatasetView(
        dataset=dataset,
        properties=properties,
        linked_forms=store.forms_reading(session, dataset_id=dataset.id, published=True),
        source_forms=store.forms_writing(session, dataset_id=dataset.id, published=True),
        draft_linked_forms=store.forms_reading(session, dataset_id=dataset.id, published=False),
        draft_source_forms=store.forms_writing(session, dataset_id=dataset.id, published=False),
        names={},
    )
    for form in (
        view.linked_forms + view.source_forms + [f for _, forms in properties for f in forms]
    ):
        view.names[form.id or 0] = store.form_def_name(session, form_def_id=form.current_def_id)
    for form in view.draft_linked_forms + view.draft_source_forms:
        view.names.setdefault(
            form.id or 0, store.form_def_name(session, form_def_id=form.draft_def_id)
        )
    return view


def create_dataset(services: Services, actor: Actor, *, project_id: int, body: Any) -> DatasetView:
    get_project(services, actor, project_id)
    actor.require(DATASET_UPDATE, project_id=project_id)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise problems.missing_parameter("name")
    name = body["name"].strip()
    if not valid_dataset_name(name):
        raise problems.unexpected_value("name", name, "This is not a valid dataset name.")
    approval = body.get("approvalRequired", False)
    owner_only = body.get("ownerOnly", False)
    if not isinstance(approval, bool) or not isinstance(owner_only, bool):
        raise problems.Problem("400.11", "Invalid input data type: expected a boolean.")
    now = utcnow()
    with services.db.write() as session:
        existing = store.dataset_by_name_any_case(session, project_id=project_id, name=name)
        if existing is not None:
            if existing.name == name and existing.published_at is not None:
                raise problems.uniqueness_violation(["name", "projectId"], [name, str(project_id)])
            if existing.name != name:
                raise dataset_name_conflict(existing.name, name)
            existing.published_at = now
            existing.approval_required = approval
            existing.owner_only = owner_only
            dataset = existing
        else:
            dataset = store.insert_dataset(
                session,
                project_id=project_id,
                name=name,
                now=now,
                published=True,
                approval_required=approval,
                owner_only=owner_only,
            )
        session.add(dataset)
        session.flush()
        audits.record(session, actor, "dataset.create", f"dataset:{dataset.id}")
        store.touch(session, dataset_id=dataset.id or 0, now=now)
        return _view(session, dataset)


def update_dataset(
    services: Services, actor: Actor, *, project_id: int, name: str, body: Any, convert: bool | None
) -> tuple[DatasetView, list[int]]:
    """Change approvalRequired / ownerOnly; returns the view and, when approval was
    turned off with ``convert``, the pending submissions' ids to process."""
    get_project(services, actor, project_id)
    if not isinstance(body, dict):
        raise problems.unexpected_value("body", body, "expected a JSON object.")
    for key in ("approvalRequired", "ownerOnly"):
        if key in body and not isinstance(body[key], bool):
            raise problems.Problem(
                "400.11", f"Invalid input data type: expected ({key}) to be (boolean)"
            )
    from server.domain import entities as entity_domain

    with services.db.write() as session:
        dataset = _dataset(session, actor, project_id, name, DATASET_UPDATE)
        pending: list[int] = []
        if dataset.approval_required and body.get("approvalRequired") is False:
            pending = entity_domain.pending_submissions(session, dataset)
            if pending and convert is None:
                raise problems.Problem(
                    "400.29",
                    f"There are {len(pending)} pending submissions. Please specify whether"
                    " those should be converted to entities (convert=true|false).",
                    {"count": len(pending)},
                )
        if "approvalRequired" in body:
            dataset.approval_required = body["approvalRequired"]
        if "ownerOnly" in body:
            dataset.owner_only = body["ownerOnly"]
        session.add(dataset)
        audits.record(
            session,
            actor,
            "dataset.update",
            f"dataset:{dataset.id}",
            {k: body[k] for k in ("approvalRequired", "ownerOnly") if k in body},
        )
        store.touch(session, dataset_id=dataset.id or 0, now=utcnow())
        view = _view(session, dataset)
    return view, pending if convert else []


def add_property(
    services: Services, actor: Actor, *, project_id: int, name: str, body: Any
) -> None:
    get_project(services, actor, project_id)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise problems.missing_parameter("name")
    prop_name = body["name"].strip()
    if not valid_property_name(prop_name):
        raise problems.unexpected_value("name", prop_name, "This is not a valid property name.")
    now = utcnow()
    with services.db.write() as session:
        dataset = _dataset(session, actor, project_id, name, DATASET_UPDATE)
        assert dataset.id is not None
        for prop in store.properties_of(session, dataset_id=dataset.id):
            if prop.name.lower() == prop_name.lower():
                if prop.published_at is None and prop.name == prop_name:
                    prop.published_at = now
                    session.add(prop)
                    break
                raise problems.uniqueness_violation(
                    ["name", "datasetId"], [prop_name, str(dataset.id)]
                )
        else:
            store.insert_property(session, dataset_id=dataset.id, name=prop_name, published_at=now)
        audits.record(
            session, actor, "dataset.update", f"dataset:{dataset.id}", {"properties": [prop_name]}
        )
        store.touch(session, dataset_id=dataset.id, now=now)


def delete_property(
    services: Services, actor: Actor, *, project_id: int, name: str, property_name: str
) -> None:
    """Delete a published property that no form's published version saves to and no
    entity holds a value for (409.22 otherwise, naming what stands in the way)."""
    get_project(services, actor, project_id)
    with services.db.write() as session:
        dataset = _dataset(session, actor, project_id, name, DATASET_UPDATE)
        assert dataset.id is not None
        found = [
            p
            for p in store.properties_of(session, dataset_id=dataset.id)
            if p.name == property_name and p.published_at is not None
        ]
        if not found:
            raise problems.not_found()
        prop = found[0]
        assert prop.id is not None
        prerequisites: dict[str, Any] = {}
        writing = store.property_forms(session, property_id=prop.id)
        if writing:
            names = {
                f.id: store.form_def_name(session, form_def_id=f.current_def_id) for f in writing
            }
            prerequisites["dependentForms"] = {
                "message": "You can't delete this property because there are Form(s) writing to it",
                "details": {
                    "forms": [
                        {"formName": names.get(f.id), "xmlFormId": f.xml_form_id} for f in writing
                    ]
                },
            }
        total, sample = store.entities_with_value(session, dataset_id=dataset.id, name=prop.name)
        if total:
            prerequisites["nonEmptyEntities"] = {
                "message": "You can't delete this property because there are Entity(ies) with"
                f" the non-empty value for the '{prop.name}'",
                "details": {
                    "totalCount": total,
                    "entities": [{"uuid": uuid, "label": label} for uuid, label in sample],
                },
            }
        if prerequisites:
            raise problems.Problem(
                "409.22",
                f'Prerequisites for deleting the property "{prop.name}" are not met.',
                {"propertyName": prop.name, "prerequisites": prerequisites},
            )
        store.delete_property(session, property_id=prop.id)
        audits.record(
            session,
            actor,
            "dataset.update.property.delete",
            f"dataset:{dataset.id}",
            {"properties": [prop.name]},
        )
        store.touch(session, dataset_id=dataset.id, now=utcnow())


def delete_dataset(services: Services, actor: Actor, *, project_id: int, name: str) -> None:
    """Delete a dataset no form writes to or reads (409.21 otherwise)."""
    get_project(services, actor, project_id)
    with services.db.write() as session:
        dataset = _dataset(session, actor, project_id, name, DATASET_UPDATE)
        assert dataset.id is not None
        for published in (True, False):
            if store.forms_writing(
                session, dataset_id=dataset.id, published=published
            ) or store.forms_reading(session, dataset_id=dataset.id, published=published):
                raise problems.Problem(
                    "409.21",
                    "You can't delete this dataset because there are Form(s) dependent on it",
                )
        dataset.deleted_at = utcnow()
        # The name is free again; a deleted dataset keeps it behind its id (a dataset's
        # name never starts with a digit, so the two cannot be confused).
        dataset.name = f"{dataset.id}:{dataset.name}"[:300]
        session.add(dataset)
        audits.record(session, actor, "dataset.delete", f"dataset:{dataset.id}")


def published_properties(services: Services, dataset: Dataset) -> list[str]:
    with services.db.read() as session:
        return [
            p.name
            for p in store.properties_of(session, dataset_id=dataset.id or 0)
            if p.published_at is not None
        ]


def dataset_diff(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, draft: bool
) -> list[dict[str, Any]]:
    """What a form (or its draft) does to datasets: each dataset with every property,
    whether this form fills it, and (for a draft) whether it is new."""
    from server.domain.forms import authorised_form

    form = authorised_form(
        services, actor, project_id, xml_form_id, FORM_UPDATE if draft else FORM_READ
    )
    form_def_id = form.draft_def_id if draft else form.current_def_id
    if form_def_id is None:
        raise problems.not_found()
    with services.db.read() as session:
        form_def = form_store.form_def_by_id(session, form_def_id=form_def_id)
        if form_def is None or form_def.key_id is not None:
            return []
        mine = store.property_names_of_def(session, form_def_id=form_def_id)
        out = []
        for dataset, _ in store.datasets_of_def(session, form_def_id=form_def_id):
            props = []
            for prop in store.properties_of(session, dataset_id=dataset.id or 0):
                if prop.published_at is None and prop.id not in mine:
                    continue
                entry: dict[str, Any] = {"name": prop.name, "inForm": prop.id in mine}
                if draft:
                    entry["isNew"] = prop.published_at is None
                props.append(entry)
            item: dict[str, Any] = {"name": dataset.name}
            if draft:
                item["isNew"] = dataset.published_at is None
            item["properties"] = props
            out.append(item)
        return out


def link_draft_attachment(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, name: str, body: Any
) -> None:
    """``PATCH …/draft/attachments/{name}.csv {"dataset": true|false}``."""
    from server.domain.forms import authorised_form

    form = authorised_form(services, actor, project_id, xml_form_id, FORM_UPDATE)
    if form.draft_def_id is None:
        raise problems.not_found()
    if not isinstance(body, dict) or "dataset" not in body:
        raise problems.missing_parameter("dataset")
    if not isinstance(body["dataset"], bool):
        raise problems.Problem(
            "400.11", "Invalid input data type: expected (dataset) to be (boolean)"
        )
    with services.db.write() as session:
        attachment = form_store.form_attachment(session, form_def_id=form.draft_def_id, name=name)
        if attachment is None:
            raise problems.not_found()
        if body["dataset"]:
            if attachment.type != "file" or not name.endswith(".csv"):
                raise problems.Problem(
                    "400.26",
                    'Dataset can only be linked to attachments with "Data File" type.',
                )
            dataset = store.dataset_by_name(session, project_id=project_id, name=name[:-4])
            if dataset is None:
                raise problems.Problem(
                    "404.7",
                    f"A dataset named '{name[:-4]}' could not be found in this project.",
                )
            attachment.dataset_id = dataset.id
            attachment.blob_sha = None
            attachment.content_type = None
        else:
            attachment.dataset_id = None
        attachment.updated_at = utcnow()
        session.add(attachment)


# The list phones download ---------------------------------------------------------------------


def list_hash(dataset: Dataset, owner: int | None = None) -> str:
    """Central's manifest hash of an entity list: the MD5 of the JSON naming the list's
    latest change; it changes exactly when the list does. A list cut to its caller's own
    entities (``owner``) names the caller too."""
    from server.formats.central_json import timestamp

    content: dict[str, Any] = {
        "latestAuditEntry": timestamp(dataset.last_update or dataset.created_at)
    }
    if owner is not None:
        content = {"owner": owner, **content}
    text = json.dumps(content, separators=(",", ":"))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def list_owner(dataset: Dataset, actor: Actor | None) -> int | None:
    """Whose entities alone ``actor`` sees of the list: its own when the dataset is
    ``ownerOnly`` and the actor may not list entities (app users, data collectors)."""
    if actor is None or not dataset.owner_only:
        return None
    if actor.can(DATASET_LIST, project_id=dataset.project_id):
        return None
    return actor.id if actor.id is not None else -1


def linked_dataset(services: Services, attachment: FormAttachment) -> Dataset | None:
    if attachment.dataset_id is None:
        return None
    with services.db.read() as session:
        dataset = session.get(Dataset, attachment.dataset_id)
    return dataset if dataset is not None and dataset.deleted_at is None else None


def stream_list_rows(
    services: Services, dataset: Dataset, owner: int | None = None
) -> Iterator[list[str]]:
    """The rows of ``{name}.csv`` as phones get it: ``name,label,__version`` and the
    properties, newest entity first (only ``owner``'s when given); read a page at a time."""
    properties = published_properties(services, dataset)
    yield ["name", "label", "__version", *properties]
    for row in store.iterate_entities(
        services.db.read, dataset_id=dataset.id or 0, creator_id=owner
    ):
        data = row.data or {}
        yield [row.uuid, row.label, str(row.version), *(data.get(p, "") for p in properties)]


def stream_analyst_rows(
    services: Services, dataset: Dataset, keep: Any = None
) -> Iterator[list[str]]:
    """The rows of ``entities.csv``: ``__id,label,<props>,__createdAt,__creatorId,
    __creatorName,__updates,__updatedAt,__version``; only those ``keep(row)`` keeps."""
    from server.formats.central_json import timestamp
    from server.store.tables import Actor as ActorRow

    properties = published_properties(services, dataset)
    yield [
        "__id",
        "label",
        *properties,
        "__createdAt",
        "__creatorId",
        "__creatorName",
        "__updates",
        "__updatedAt",
        "__version",
    ]
    names: dict[int, str] = {}
    for row in store.iterate_entities(services.db.read, dataset_id=dataset.id or 0):
        if keep is not None and not keep(row):
            continue
        creator = row.creator_id
        if creator is not None and creator not in names:
            with services.db.read() as session:
                actor_row = session.get(ActorRow, creator)
            names[creator] = actor_row.display_name if actor_row else ""
        yield [
            row.uuid,
            row.label,
            *((row.data or {}).get(p, "") for p in properties),
            timestamp(row.created_at) or "",
            str(creator) if creator is not None else "",
            names.get(creator, "") if creator is not None else "",
            str(row.version - 1),
            timestamp(row.updated_at) or "",
            str(row.version),
        ]


def integrity(
    services: Services, actor: Actor, *, project_id: int, name: str, ids: list[str] | None
) -> list[tuple[str, bool]]:
    """Whether each entity (all of them when ``ids`` is None) is deleted, for Collect's
    offline entities; unknown ids are left out."""
    get_project(services, actor, project_id)
    with services.db.read() as session:
        dataset = store.dataset_by_name(session, project_id=project_id, name=name)
        if dataset is None:
            raise problems.not_found()
        if not actor.can(DATASET_LIST, project_id=project_id):
            readers = store.forms_reading(session, dataset_id=dataset.id or 0, published=True)
            if not any(
                actor.can(FORM_READ, project_id=project_id, form_id=f.id, form_state=f.state)
                for f in readers
            ):
                raise actor.refusal()
        found = store.entities_by_uuids(session, dataset_id=dataset.id or 0, uuids=ids or [])
    if ids is not None and not ids:
        return []
    return [(e.uuid, e.deleted_at is not None) for e in found]


def require_project_reader(actor: Actor, project_id: int) -> None:
    actor.require(PROJECT_READ, project_id=project_id)
