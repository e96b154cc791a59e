"""A dataset's entities as the console shows them: a keyset page of the table (newest
first), the properties that hold points and those points as GeoJSON, one entity with
its versions, and resolving its conflict.

Reading needs what the REST API's entity list needs (`datasets.DATASET_LIST`); the
resolve goes through `entities.update_entity`, the REST API's ``PATCH ?resolve=true``
with ``baseVersion``, so its rules (409.15 on a stale version, 400.32 without a
conflict, the body checks) are the API's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server import problems
from server.data.maps import geopoint
from server.data.xform import FieldInfo
from server.domain import Services, datasets, entities
from server.domain.access import Actor
from server.domain.browse import MAX_PAGE, cursor_token, parse_cursor
from server.formats.json_stream import json_array_chunks
from server.store import entities as store
from server.store.entities import EntityRow
from server.store.exports import Cursor
from server.store.tables import Dataset, Entity, EntityDef, FormDef

PAGE_SIZE = 50
GEOMETRY = "geometry"  # the property Central's entity GeoJSON reads


@dataclass
class EntityTable:
    """One page of a dataset's live entities and what the page around them needs."""

    dataset: datasets.DatasetView
    properties: list[str]
    total: int
    conflicts: int
    last_change: datetime | None
    rows: list[EntityRow]
    newer: str | None  # cursor token of the page of newer entities
    older: str | None  # cursor token of the page of older entities
    point_properties: list[str]  # properties holding geopoints, for the map


def entity_table(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    name: str,
    after: str | None = None,
    before: str | None = None,
    limit: int = PAGE_SIZE,
) -> EntityTable:
    """The entities older than ``after``, or newer than ``before``, or the newest."""
    view = datasets.view_dataset(services, actor, project_id=project_id, name=name)
    dataset_id = view.dataset.id or 0
    limit = max(1, min(limit, MAX_PAGE))
    older_than, newer_than = parse_cursor(after), parse_cursor(before)
    if older_than is not None:
        newer_than = None
    with services.db.read() as session:
        total, last_change, conflicts = store.entity_counts(session, dataset_id=dataset_id)
        rows = store.entity_page(
            session,
            dataset_id=dataset_id,
            after=(older_than.created_at, older_than.id) if older_than else None,
            before=(newer_than.created_at, newer_than.id) if newer_than else None,
            limit=limit + 1,
        )
        properties = [p.name for p, _ in view.properties]
        points = _point_properties(session, view.dataset, properties, rows)
    more = len(rows) > limit
    if newer_than is not None:
        rows = rows[1:] if more else rows
        newer = _token(rows[0]) if more and rows else None
        older = _token(rows[-1]) if rows else None
    else:
        rows = rows[:limit]
        newer = _token(rows[0]) if older_than is not None and rows else None
        older = _token(rows[-1]) if more else None
    return EntityTable(
        dataset=view,
        properties=properties,
        total=total,
        conflicts=conflicts,
        last_change=last_change,
        rows=rows,
        newer=newer,
        older=older,
        point_properties=points,
    )


def _token(row: EntityRow) -> str | None:
    return cursor_token(Cursor(row.created_at, row.id))


def _point_properties(
    session: Any, dataset: Dataset, properties: list[str], sample: list[EntityRow]
) -> list[str]:
    """Properties a form fills from a geopoint question, ``geometry`` (Central's name),
    and properties whose values on the first page are points (lists made through the
    API or mirrored from upstream)."""
    found: set[str] = set()
    schemas: dict[int, dict[str, str]] = {}
    for prop, path, def_id in store.property_fields(session, dataset_id=dataset.id or 0):
        if def_id not in schemas:
            definition = session.get(FormDef, def_id)
            schema = definition.schema_ if definition is not None else []
            schemas[def_id] = {f["path"]: f["type"] for f in schema}
        if schemas[def_id].get(path) == "geopoint":
            found.add(prop)
    for prop in properties:
        if prop == GEOMETRY or any(_point(row.data.get(prop)) for row in sample):
            found.add(prop)
    return [p for p in properties if p in found]


def _point(text: str | None) -> tuple[float, float] | None:
    if not text or not any(ch.isdigit() for ch in text):
        return None
    try:
        return geopoint(FieldInfo(path="/p", name="p", type="geopoint"), text)
    except (ValueError, IndexError, TypeError):
        return None


def entity_points(
    services: Services, actor: Actor, *, project_id: int, name: str, prop: str
) -> Iterator[bytes]:
    """The live entities whose ``prop`` holds a point, as a GeoJSON FeatureCollection
    streamed a page at a time: the uuid as each Feature's id, the label as its name;
    ``count`` at the end. Checks are made before this returns."""
    dataset = datasets.dataset_for(services, actor, project_id=project_id, name=name)
    if prop not in datasets.published_properties(services, dataset):
        raise problems.unexpected_value("property", prop[:80], "not a property of this list.")
    found = 0

    def features() -> Iterator[dict[str, Any]]:
        nonlocal found
        for row in store.iterate_entities(services.db.read, dataset_id=dataset.id or 0):
            point = _point(row.data.get(prop))
            if point is None:
                continue
            found += 1
            properties: dict[str, Any] = {"name": row.label}
            if row.conflict:
                properties["conflict"] = row.conflict
            yield {
                "type": "Feature",
                "id": row.uuid,
                "geometry": {"type": "Point", "coordinates": list(point)},
                "properties": properties,
            }

    def closing() -> str:
        return "]," + json.dumps({"count": found}, separators=(",", ":"))[1:]

    return json_array_chunks('{"type":"FeatureCollection","features":[', features(), closing)


@dataclass
class EntityDetail:
    """One entity, its versions oldest first, and what its conflict concerns."""

    dataset: datasets.DatasetView
    properties: list[str]
    entity: Entity
    current: EntityDef
    versions: list[EntityDef]
    last_resolved_def_id: int | None
    creators: dict[int, Any]  # actor id -> Actor row, for every version's author


def entity_detail(
    services: Services, actor: Actor, *, project_id: int, name: str, uuid: str
) -> EntityDetail:
    view = datasets.view_dataset(services, actor, project_id=project_id, name=name)
    entity, versions = entities.entity_versions(
        services, actor, project_id=project_id, name=name, uuid=uuid
    )
    resolved = entities.last_resolved_def(
        services, actor, project_id=project_id, name=name, uuid=uuid
    )
    ids = {v.creator_id for v in versions if v.creator_id is not None}
    return EntityDetail(
        dataset=view,
        properties=[p.name for p, _ in view.properties],
        entity=entity,
        current=next(v for v in versions if v.current),
        versions=versions,
        last_resolved_def_id=resolved,
        creators=entities.actors_by_id(services, ids),
    )


def resolve_conflict(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    name: str,
    uuid: str,
    base_version: str,
    label: str | None = None,
    values: dict[str, str] | None = None,
    user_agent: str | None = None,
) -> tuple[entities.EntityView, bool]:
    """Mark the entity's conflict as resolved on ``base_version``; values that differ
    from the current version's (an edited label or property) are saved first, as a new
    version. Returns the entity and whether a new version was made."""
    current = entities.get_entity(
        services, actor, project_id=project_id, name=name, uuid=uuid
    ).current
    changed = {k: v for k, v in (values or {}).items() if (current.data or {}).get(k, "") != v}
    body: dict[str, Any] = {}
    if changed:
        body["data"] = changed
    if label is not None and label != current.label:
        body["label"] = label
    view = entities.update_entity(
        services,
        actor,
        project_id=project_id,
        name=name,
        uuid=uuid,
        body=body or None,
        base_version=base_version,
        force=False,
        resolve=True,
        user_agent=user_agent,
    )
    return view, bool(body)
