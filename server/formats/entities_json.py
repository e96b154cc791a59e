"""Central's JSON for datasets and entities: DatasetMetadata, Entity, EntitySummary and
entity versions, with Central's field names and order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.domain.datasets import DatasetView
from server.formats.central_json import actor_json, timestamp
from server.store.tables import Actor, Dataset, Entity, EntityDef, Form


def dataset_json(dataset: Dataset) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "createdAt": timestamp(dataset.published_at or dataset.created_at),
        "projectId": dataset.project_id,
        "approvalRequired": dataset.approval_required,
        "ownerOnly": dataset.owner_only,
        "deletedAt": timestamp(dataset.deleted_at),
    }


def dataset_extended_json(
    dataset: Dataset, counts: tuple[int, datetime | None, int]
) -> dict[str, Any]:
    entities, last, conflicts = counts
    return {
        **dataset_json(dataset),
        "entities": entities,
        "lastEntity": timestamp(last),
        "conflicts": conflicts,
    }


def _forms(forms: list[Form], names: dict[int, str | None]) -> list[dict[str, Any]]:
    return [{"name": names.get(f.id or 0), "xmlFormId": f.xml_form_id} for f in forms]


def dataset_metadata_json(view: DatasetView) -> dict[str, Any]:
    return {
        **dataset_json(view.dataset),
        "lastUpdate": timestamp(view.dataset.last_update),
        "linkedForms": _forms(view.linked_forms, view.names),
        "sourceForms": _forms(view.source_forms, view.names),
        "draftLinkedForms": _forms(view.draft_linked_forms, view.names),
        "draftSourceForms": _forms(view.draft_source_forms, view.names),
        "properties": [
            {
                "name": prop.name,
                "publishedAt": timestamp(prop.published_at),
                "odataName": prop.name.replace("-", "_").replace(".", "_"),
                "forms": _forms(forms, view.names),
            }
            for prop, forms in view.properties
        ],
    }


def version_json(entity_def: EntityDef, *, with_data: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "current": entity_def.current,
        "label": entity_def.label,
        "creatorId": entity_def.creator_id,
        "userAgent": entity_def.user_agent,
    }
    if with_data:
        data["data"] = entity_def.data
    data.update(
        {
            "version": entity_def.version,
            "baseVersion": entity_def.base_version,
        }
    )
    if with_data:
        data["dataReceived"] = entity_def.data_received
    data.update(
        {
            "conflictingProperties": entity_def.conflicting_properties,
            "createdAt": timestamp(entity_def.created_at),
            "branchId": entity_def.branch_id,
            "trunkVersion": entity_def.trunk_version,
            "branchBaseVersion": entity_def.branch_base_version,
        }
    )
    return data


def entity_json(
    entity: Entity,
    current: EntityDef,
    *,
    with_data: bool = True,
    creator: Actor | None = None,
    version_creator: Actor | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uuid": entity.uuid,
        "creatorId": entity.creator_id,
        "conflict": entity.conflict,
        "createdAt": timestamp(entity.created_at),
        "updatedAt": timestamp(entity.updated_at),
        "deletedAt": timestamp(entity.deleted_at),
        "currentVersion": version_json(current, with_data=with_data),
    }
    if creator is not None:
        body["creator"] = actor_json(creator)
    if version_creator is not None:
        body["currentVersion"]["creator"] = actor_json(version_creator)
    return body


def versions_with_conflicts(
    defs: list[EntityDef], last_resolved_def_id: int | None, *, relevant_only: bool = False
) -> list[dict[str, Any]]:
    """Every version as ``…/versions`` lists it, with Central's conflict flags: whether
    it conflicts (a stale base, or a base not contiguous with its branch's trunk), whether
    a later resolve covered it, what it changed against its base and against the version
    before it, the last good version, and which versions matter to an open conflict."""
    result: list[dict[str, Any]] = []
    last_good = 0
    relevant_bases: set[int] = set()
    branches: dict[str, int] = {}  # branch -> last version contiguous with its trunk
    by_version = {d.version: d for d in defs}
    for entity_def in defs:
        if entity_def.branch_id is not None:
            if entity_def.branch_id not in branches:
                if entity_def.trunk_version is not None:
                    contiguous = entity_def.version == entity_def.trunk_version + 1
                    branches[entity_def.branch_id] = entity_def.version if contiguous else 0
                else:
                    branches[entity_def.branch_id] = 2 if entity_def.version == 2 else 1
            elif (
                entity_def.base_version == branches[entity_def.branch_id]
                and entity_def.version == (entity_def.base_version or 0) + 1
            ):
                branches[entity_def.branch_id] = entity_def.version
        body = version_json(entity_def)
        body.update(
            {
                "conflict": None,
                "resolved": False,
                "baseDiff": [],
                "serverDiff": [],
                "lastGoodVersion": False,
            }
        )
        base = by_version.get(entity_def.base_version or 0)
        previous = by_version.get(entity_def.version - 1)
        if entity_def.version > 1 and base is not None and previous is not None:
            not_contiguous = entity_def.branch_id is not None and branches[entity_def.branch_id] < (
                entity_def.base_version or 0
            )
            conflict = entity_def.version != (entity_def.base_version or 0) + 1 or not_contiguous
            body["baseDiff"] = _diff(entity_def.data_received, base)
            body["serverDiff"] = _diff(entity_def.data_received, previous)
            if conflict:
                body["conflict"] = "hard" if entity_def.conflicting_properties else "soft"
                body["resolved"] = (
                    last_resolved_def_id is not None
                    and entity_def.id is not None
                    and last_resolved_def_id >= entity_def.id
                )
                if not body["resolved"] and last_good == 0:
                    last_good = entity_def.version - 1
                    result[entity_def.version - 2]["lastGoodVersion"] = True
            if last_good > 0:
                relevant_bases.add(entity_def.base_version or 0)
        body["source"] = entity_def.source or {}
        result.append(body)
    for body in result:
        body["relevantToConflict"] = last_good > 0 and (
            body["version"] >= last_good or body["version"] in relevant_bases
        )
    if last_good == 0 and result:
        result[-1]["lastGoodVersion"] = True
    return [b for b in result if b["relevantToConflict"]] if relevant_only else result


def _diff(received: dict[str, str], other: EntityDef) -> list[str]:
    values = {**(other.data or {}), "label": other.label}
    return [k for k in received if k not in values or values[k] != received[k]]


def geojson_collection(views: list[Any]) -> dict[str, Any]:
    """Central's entity GeoJSON: a Feature per entity whose ``geometry`` property holds a
    geopoint, geotrace or geoshape (told apart by their points), longitude first."""
    from server.data.tables import odata_value
    from server.data.xform import FieldInfo

    features = []
    for view in views:
        text = (view.current.data or {}).get("geometry") or ""
        if not any(ch.isdigit() for ch in text):
            continue
        points = [p for p in text.replace("; ", ";").split(";") if p.strip()]
        kind = "geopoint"
        if len(points) > 1:
            closed = len(points) >= 4 and points[0].strip() == points[-1].strip()
            kind = "geoshape" if closed else "geotrace"
        value = odata_value(FieldInfo(path="/geometry", name="geometry", type=kind), text, False)
        if value is None:
            continue
        geometry = {"type": value["type"], "coordinates": value["coordinates"]}
        features.append(
            {"type": "Feature", "id": view.entity.uuid, "properties": None, "geometry": geometry}
        )
    return {"type": "FeatureCollection", "features": features}
