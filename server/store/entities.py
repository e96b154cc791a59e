"""SQL for datasets (entity lists), their properties, the forms that use them, entities
and their versions, and the backlog of offline updates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from server.store.tables import (
    Dataset,
    DatasetFormDef,
    DatasetProperty,
    DatasetPropertyField,
    Entity,
    EntityDef,
    EntitySubmissionBacklog,
    Form,
    FormAttachment,
    FormDef,
)

# Datasets -----------------------------------------------------------------------------------


def dataset_by_name(
    session: Session, *, project_id: int, name: str, published_only: bool = True
) -> Dataset | None:
    query = select(Dataset).where(
        col(Dataset.project_id) == project_id,
        col(Dataset.name) == name,
        col(Dataset.deleted_at).is_(None),
    )
    if published_only:
        query = query.where(col(Dataset.published_at).is_not(None))
    return session.exec(query).first()


def dataset_by_name_any_case(session: Session, *, project_id: int, name: str) -> Dataset | None:
    return session.exec(
        select(Dataset).where(
            col(Dataset.project_id) == project_id,
            func.lower(col(Dataset.name)) == name.lower(),
            col(Dataset.deleted_at).is_(None),
        )
    ).first()


def list_datasets(session: Session, *, project_id: int, deleted: bool = False) -> list[Dataset]:
    """The project's published datasets, or (``deleted``) those in its trash."""
    state = col(Dataset.deleted_at).is_not(None) if deleted else col(Dataset.deleted_at).is_(None)
    return list(
        session.exec(
            select(Dataset)
            .where(
                col(Dataset.project_id) == project_id,
                col(Dataset.published_at).is_not(None),
                state,
            )
            .order_by(col(Dataset.name))
        ).all()
    )


def insert_dataset(
    session: Session,
    *,
    project_id: int,
    name: str,
    now: datetime,
    published: bool,
    approval_required: bool = False,
    owner_only: bool = False,
) -> Dataset:
    dataset = Dataset(
        project_id=project_id,
        name=name,
        approval_required=approval_required,
        owner_only=owner_only,
        created_at=now,
        published_at=now if published else None,
        last_update=now,
    )
    session.add(dataset)
    session.flush()
    return dataset


def properties_of(session: Session, *, dataset_id: int) -> list[DatasetProperty]:
    return list(
        session.exec(
            select(DatasetProperty)
            .where(col(DatasetProperty.dataset_id) == dataset_id)
            .order_by(col(DatasetProperty.id))
        ).all()
    )


def insert_property(
    session: Session, *, dataset_id: int, name: str, published_at: datetime | None
) -> DatasetProperty:
    prop = DatasetProperty(dataset_id=dataset_id, name=name, published_at=published_at)
    session.add(prop)
    session.flush()
    return prop


def add_property_field(session: Session, *, property_id: int, form_def_id: int, path: str) -> None:
    session.add(DatasetPropertyField(property_id=property_id, form_def_id=form_def_id, path=path))


def link_form_def(
    session: Session, *, dataset_id: int, form_def_id: int, actions: list[str]
) -> None:
    session.add(DatasetFormDef(dataset_id=dataset_id, form_def_id=form_def_id, actions=actions))
    session.flush()


def datasets_of_def(session: Session, *, form_def_id: int) -> list[tuple[Dataset, DatasetFormDef]]:
    rows = session.exec(
        select(Dataset, DatasetFormDef)
        .join(DatasetFormDef, col(DatasetFormDef.dataset_id) == col(Dataset.id))
        .where(col(DatasetFormDef.form_def_id) == form_def_id)
        .order_by(col(Dataset.name))
    ).all()
    return [(d, link) for d, link in rows]


def property_names_of_def(session: Session, *, form_def_id: int) -> set[int]:
    """The ids of the properties the definition's fields save to."""
    return set(
        session.exec(
            select(DatasetPropertyField.property_id).where(
                col(DatasetPropertyField.form_def_id) == form_def_id
            )
        ).all()
    )


def forms_writing(session: Session, *, dataset_id: int, published: bool) -> list[Form]:
    """Forms whose published definition (or draft) writes to the dataset."""
    def_column = Form.current_def_id if published else Form.draft_def_id
    return list(
        session.exec(
            select(Form)
            .join(DatasetFormDef, col(DatasetFormDef.form_def_id) == col(def_column))
            .where(col(DatasetFormDef.dataset_id) == dataset_id, col(Form.deleted_at).is_(None))
            .order_by(col(Form.xml_form_id))
        ).all()
    )


def forms_reading(session: Session, *, dataset_id: int, published: bool) -> list[Form]:
    """Forms whose published definition (or draft) has the dataset as an attachment."""
    def_column = Form.current_def_id if published else Form.draft_def_id
    return list(
        session.exec(
            select(Form)
            .join(FormAttachment, col(FormAttachment.form_def_id) == col(def_column))
            .where(col(FormAttachment.dataset_id) == dataset_id, col(Form.deleted_at).is_(None))
            .order_by(col(Form.xml_form_id))
        ).all()
    )


def property_forms(session: Session, *, property_id: int) -> list[Form]:
    """Forms whose published definition saves to the property."""
    return list(
        session.exec(
            select(Form)
            .join(
                DatasetPropertyField,
                col(DatasetPropertyField.form_def_id) == col(Form.current_def_id),
            )
            .where(
                col(DatasetPropertyField.property_id) == property_id, col(Form.deleted_at).is_(None)
            )
            .distinct()
            .order_by(col(Form.xml_form_id))
        ).all()
    )


def delete_property(session: Session, *, property_id: int) -> None:
    """The property and the record of which old form versions saved to it."""
    session.execute(
        delete(DatasetPropertyField).where(col(DatasetPropertyField.property_id) == property_id)
    )
    session.execute(delete(DatasetProperty).where(col(DatasetProperty.id) == property_id))


def entities_with_value(
    session: Session, *, dataset_id: int, name: str, sample: int = 3
) -> tuple[int, list[tuple[str, str]]]:
    """How many live entities hold a non-blank value for property ``name`` in their
    current version, and the uuid and label of the first ``sample`` of them."""
    rows = session.exec(
        select(Entity.uuid, EntityDef.label, EntityDef.data)
        .join(EntityDef, col(EntityDef.entity_id) == col(Entity.id))
        .where(
            col(Entity.dataset_id) == dataset_id,
            col(Entity.deleted_at).is_(None),
            col(EntityDef.current).is_(True),
        )
        .order_by(col(Entity.id))
        .execution_options(yield_per=1000)
    )
    total = 0
    found: list[tuple[str, str]] = []
    for uuid, label, data in rows:
        if str((data or {}).get(name) or "").strip():
            total += 1
            if len(found) < sample:
                found.append((uuid, label))
    return total, found


def property_fields(session: Session, *, dataset_id: int) -> list[tuple[str, str, int]]:
    """(property, field path, form definition id) for every published form field that
    saves to one of the dataset's properties."""
    rows = session.exec(
        select(DatasetProperty.name, DatasetPropertyField.path, DatasetPropertyField.form_def_id)
        .join(
            DatasetPropertyField,
            col(DatasetPropertyField.property_id) == col(DatasetProperty.id),
        )
        .join(FormDef, col(FormDef.id) == col(DatasetPropertyField.form_def_id))
        .where(
            col(DatasetProperty.dataset_id) == dataset_id, col(FormDef.published_at).is_not(None)
        )
    )
    return [(name, path, def_id) for name, path, def_id in rows.all()]


def form_def_name(session: Session, *, form_def_id: int | None) -> str | None:
    if form_def_id is None:
        return None
    found = session.get(FormDef, form_def_id)
    return found.name if found else None


def unlinked_csv_attachments(session: Session, *, form_def_id: int) -> list[FormAttachment]:
    return list(
        session.exec(
            select(FormAttachment).where(
                col(FormAttachment.form_def_id) == form_def_id,
                col(FormAttachment.type) == "file",
                col(FormAttachment.blob_sha).is_(None),
                col(FormAttachment.dataset_id).is_(None),
                col(FormAttachment.name).like("%.csv"),
            )
        ).all()
    )


def touch(session: Session, *, dataset_id: int, now: datetime) -> None:
    """Move the dataset's last change forward, strictly: two changes in one millisecond
    still give two hashes."""
    dataset = session.get(Dataset, dataset_id)
    assert dataset is not None
    when = now.replace(microsecond=now.microsecond // 1000 * 1000)
    previous = dataset.last_update
    if previous is not None:
        if previous.tzinfo is None and when.tzinfo is not None:
            previous = previous.replace(tzinfo=when.tzinfo)
        if when <= previous:
            from datetime import timedelta

            when = previous + timedelta(milliseconds=1)
    dataset.last_update = when
    session.add(dataset)


# Entities -----------------------------------------------------------------------------------


def entity_by_uuid(session: Session, *, uuid: str, for_update: bool = False) -> Entity | None:
    query = select(Entity).where(col(Entity.uuid) == uuid)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def current_def(session: Session, *, entity_id: int) -> EntityDef | None:
    return session.exec(
        select(EntityDef).where(col(EntityDef.entity_id) == entity_id, col(EntityDef.current))
    ).first()


def defs_of(session: Session, *, entity_id: int) -> list[EntityDef]:
    return list(
        session.exec(
            select(EntityDef)
            .where(col(EntityDef.entity_id) == entity_id)
            .order_by(col(EntityDef.version))
        ).all()
    )


def def_by_version(session: Session, *, entity_id: int, version: int) -> EntityDef | None:
    return session.exec(
        select(EntityDef).where(
            col(EntityDef.entity_id) == entity_id, col(EntityDef.version) == version
        )
    ).first()


def def_by_branch(
    session: Session, *, entity_id: int, branch_id: str, branch_base_version: int
) -> EntityDef | None:
    return session.exec(
        select(EntityDef).where(
            col(EntityDef.entity_id) == entity_id,
            col(EntityDef.branch_id) == branch_id,
            col(EntityDef.branch_base_version) == branch_base_version,
        )
    ).first()


def insert_entity(
    session: Session, *, uuid: str, dataset_id: int, creator_id: int | None, now: datetime
) -> Entity:
    entity = Entity(uuid=uuid, dataset_id=dataset_id, creator_id=creator_id, created_at=now)
    session.add(entity)
    session.flush()
    return entity


def existing_uuids(session: Session, *, uuids: list[str]) -> dict[str, bool]:
    """Which of ``uuids`` are taken, and whether by a deleted entity."""
    found: dict[str, bool] = {}
    for start in range(0, len(uuids), 500):
        rows = session.exec(
            select(Entity.uuid, Entity.deleted_at).where(
                col(Entity.uuid).in_(uuids[start : start + 500])
            )
        ).all()
        found.update({uuid: deleted is not None for uuid, deleted in rows})
    return found


def insert_def(session: Session, *, first: bool = False, **columns: Any) -> EntityDef:
    """A new version; unless it is the ``first``, the previous one stops being current."""
    if columns.get("current") and not first:
        session.execute(
            update(EntityDef)
            .where(col(EntityDef.entity_id) == columns["entity_id"], col(EntityDef.current))
            .values(current=False)
        )
    entity_def = EntityDef(**columns)
    session.add(entity_def)
    session.flush()
    return entity_def


def entities_with_current(
    session: Session, *, dataset_id: int, deleted: bool = False
) -> list[tuple[Entity, EntityDef]]:
    query = (
        select(Entity, EntityDef)
        .join(EntityDef, col(EntityDef.entity_id) == col(Entity.id))
        .where(col(Entity.dataset_id) == dataset_id, col(EntityDef.current))
    )
    query = query.where(
        col(Entity.deleted_at).is_not(None) if deleted else col(Entity.deleted_at).is_(None)
    )
    rows = session.exec(query.order_by(col(Entity.created_at).desc(), col(Entity.id).desc()))
    return [(e, d) for e, d in rows.all()]


class EntityRow(NamedTuple):
    """A live entity with its current version, as lists and exports read it."""

    id: int
    uuid: str
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None
    creator_id: int | None
    conflict: str | None
    label: str
    version: int
    data: dict[str, str]


_entities, _defs = Entity.__table__, EntityDef.__table__  # type: ignore[attr-defined]


def entity_page(
    session: Session,
    *,
    dataset_id: int,
    after: tuple[datetime, int] | None,
    limit: int,
    creator_id: int | None = None,
    before: tuple[datetime, int] | None = None,
) -> list[EntityRow]:
    """Live entities with their current version, newest first, after a keyset position
    (or the ``limit`` just before one, still newest first): plain rows (no ORM objects),
    since a list of 100,000 is read this way."""
    query = (
        sa.select(
            _entities.c.id,
            _entities.c.uuid,
            _entities.c.created_at,
            _entities.c.updated_at,
            _entities.c.deleted_at,
            _entities.c.creator_id,
            _entities.c.conflict,
            _defs.c.label,
            _defs.c.version,
            _defs.c.data,
        )
        .join(_defs, sa.and_(_defs.c.entity_id == _entities.c.id, _defs.c.current))
        .where(_entities.c.dataset_id == dataset_id, _entities.c.deleted_at.is_(None))
    )
    if creator_id is not None:
        query = query.where(_entities.c.creator_id == creator_id)
    if after is not None:
        created, entity_id = after
        # A row-value comparison: both databases walk the index from there.
        query = query.where(
            sa.tuple_(_entities.c.created_at, _entities.c.id) < sa.tuple_(created, entity_id)
        )
    if before is not None:
        created, entity_id = before
        query = query.where(
            sa.tuple_(_entities.c.created_at, _entities.c.id) > sa.tuple_(created, entity_id)
        )
        query = query.order_by(_entities.c.created_at, _entities.c.id).limit(limit)
        return [EntityRow(*row) for row in reversed(session.execute(query).all())]
    query = query.order_by(_entities.c.created_at.desc(), _entities.c.id.desc()).limit(limit)
    return [EntityRow(*row) for row in session.execute(query).all()]


def _entity_rows_by_ids(session: Session, ids: list[int]) -> list[EntityRow]:
    """Live entities with their current version, in the order of ``ids``."""
    query = (
        sa.select(
            _entities.c.id,
            _entities.c.uuid,
            _entities.c.created_at,
            _entities.c.updated_at,
            _entities.c.deleted_at,
            _entities.c.creator_id,
            _entities.c.conflict,
            _defs.c.label,
            _defs.c.version,
            _defs.c.data,
        )
        .join(_defs, sa.and_(_defs.c.entity_id == _entities.c.id, _defs.c.current))
        .where(_entities.c.id.in_(ids), _entities.c.deleted_at.is_(None))
    )
    found = {row[0]: EntityRow(*row) for row in session.execute(query).all()}
    return [found[i] for i in ids if i in found]


def _ordered_entity_ids(
    session: Session,
    *,
    dataset_id: int,
    order: tuple[tuple[str, bool], ...],
    creator_id: int | None,
) -> list[int]:
    """The live entities' ids sorted by ``order`` ((column, descending) pairs), as
    PostgreSQL sorts: empty values last going up, first going down; ties newest first."""
    keys = []
    for column, descending in order:
        field = _entities.c[column]
        keys.append(field.desc().nulls_first() if descending else field.asc().nulls_last())
    query = (
        sa.select(_entities.c.id)
        .where(_entities.c.dataset_id == dataset_id, _entities.c.deleted_at.is_(None))
        .order_by(*keys, _entities.c.created_at.desc(), _entities.c.id.desc())
    )
    if creator_id is not None:
        query = query.where(_entities.c.creator_id == creator_id)
    return [row[0] for row in session.execute(query).all()]


def iterate_entities(
    read: Any,
    *,
    dataset_id: int,
    page: int = 1000,
    creator_id: int | None = None,
    order: tuple[tuple[str, bool], ...] = (),
) -> Iterator[EntityRow]:
    """Every live entity, a page at a time, each page in a short read of its own
    (``read`` is `Database.read`): memory stays flat however long the list. With an
    ``order`` (an OData ``$orderby``) only the sorted ids are held at once."""
    if order:
        with read() as session:
            ids = _ordered_entity_ids(
                session, dataset_id=dataset_id, order=order, creator_id=creator_id
            )
        for start in range(0, len(ids), page):
            with read() as session:
                yield from _entity_rows_by_ids(session, ids[start : start + page])
        return
    after: tuple[datetime, int] | None = None
    while True:
        with read() as session:
            rows = entity_page(
                session, dataset_id=dataset_id, after=after, limit=page, creator_id=creator_id
            )
        yield from rows
        if len(rows) < page:
            return
        last = rows[-1]
        after = (last.created_at, last.id)


def entity_counts(session: Session, *, dataset_id: int) -> tuple[int, datetime | None, int]:
    """Live entities, the latest creation or update, and how many are in conflict."""
    row = session.exec(
        select(
            func.count(col(Entity.id)),
            func.max(func.coalesce(col(Entity.updated_at), col(Entity.created_at))),
            func.count(col(Entity.conflict)),
        ).where(col(Entity.dataset_id) == dataset_id, col(Entity.deleted_at).is_(None))
    ).one()
    return int(row[0]), row[1], int(row[2])


def entities_by_uuids(session: Session, *, dataset_id: int, uuids: list[str]) -> list[Entity]:
    query = select(Entity).where(col(Entity.dataset_id) == dataset_id)
    if uuids:
        query = query.where(col(Entity.uuid).in_(uuids))
    return list(session.exec(query.order_by(col(Entity.id))).all())


def defs_from_submission(session: Session, *, submission_def_ids: list[int]) -> list[EntityDef]:
    if not submission_def_ids:
        return []
    return list(
        session.exec(
            select(EntityDef).where(col(EntityDef.submission_def_id).in_(submission_def_ids))
        ).all()
    )


# Backlog ------------------------------------------------------------------------------------


def hold(session: Session, **columns: Any) -> EntitySubmissionBacklog:
    held = EntitySubmissionBacklog(**columns)
    session.add(held)
    session.flush()
    return held


def next_held(
    session: Session, *, entity_uuid: str, branch_id: str | None, branch_base_version: int
) -> EntitySubmissionBacklog | None:
    """The held update that follows a new version: the next of its branch, or (after a
    version with no branch, such as an offline create) the first update made on it."""
    query = select(EntitySubmissionBacklog)
    if branch_id is None:
        query = query.where(
            col(EntitySubmissionBacklog.entity_uuid) == entity_uuid,
            col(EntitySubmissionBacklog.branch_base_version) == 1,
        )
    else:
        query = query.where(
            col(EntitySubmissionBacklog.branch_id) == branch_id,
            col(EntitySubmissionBacklog.branch_base_version) == branch_base_version,
        )
    return session.exec(query).first()


def held_before(session: Session, *, cutoff: datetime) -> list[EntitySubmissionBacklog]:
    return list(
        session.exec(
            select(EntitySubmissionBacklog)
            .where(col(EntitySubmissionBacklog.logged_at) < cutoff)
            .order_by(col(EntitySubmissionBacklog.logged_at), col(EntitySubmissionBacklog.id))
        ).all()
    )


def is_held(session: Session, *, submission_def_id: int) -> bool:
    return (
        session.exec(
            select(EntitySubmissionBacklog.id).where(
                col(EntitySubmissionBacklog.submission_def_id) == submission_def_id
            )
        ).first()
        is not None
    )


def release(session: Session, held: EntitySubmissionBacklog) -> None:
    session.delete(held)
    session.flush()
