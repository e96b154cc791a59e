"""``/v1/projects/{id}/datasets``: entity lists and their entities, as Central serves them,
and the list as a form attachment (``{name}.csv``) with its ETag."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Body, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from server import problems
from server.domain import Services, datasets, entities, entity_odata
from server.domain.access import Actor
from server.formats import odata as odata_format
from server.formats.central_json import actor_json, audit_json
from server.formats.entities_json import (
    dataset_extended_json,
    dataset_json,
    dataset_metadata_json,
    entity_json,
    geojson_collection,
    versions_with_conflicts,
)
from server.http import urls
from server.http.auth import ActorDep, ServicesDep
from server.http.middleware import restore_encoded_slashes
from server.http.params import DatabaseId, extended, flag
from server.store.tables import Dataset

# A name or uuid sent with an encoded slash is looked up as written (and not found).
router = APIRouter(tags=["datasets"], dependencies=[Depends(restore_encoded_slashes)])

DATASET = "/projects/{project_id}/datasets/{name}"
ENTITY = DATASET + "/entities/{uuid}"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


CSV_CHUNK = 64 * 1024


def csv_lines(rows: Iterable[list[str]]) -> Iterator[bytes]:
    """Rows as CSV, sent in chunks of about 64 KB (a message per row would cost more
    than the row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(row)
        if buffer.tell() >= CSV_CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def entity_list_response(
    request: Request,
    services: Services,
    dataset: Dataset,
    filename: str,
    actor: Actor | None = None,
) -> Response:
    """The list as phones download it: Central's columns, a strong ETag (the manifest's
    hash), 304 when the phone has it already; streamed a page at a time."""
    owner = datasets.list_owner(dataset, actor)
    etag = f'"{datasets.list_hash(dataset, owner)}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return StreamingResponse(
        csv_lines(datasets.stream_list_rows(services, dataset, owner)),
        media_type=CSV_MEDIA_TYPE,
        headers={"ETag": etag, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/projects/{project_id}/datasets")
def list_datasets(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    deleted: str | None = None,
) -> list[dict[str, Any]]:
    in_trash = flag(deleted, name="deleted")
    found = datasets.list_datasets(services, actor, project_id=project_id, deleted=in_trash)
    if in_trash:
        # With its id, which the trash's routes take, and the name it had.
        return [
            {
                "id": d.id,
                **(dataset_extended_json(d, counts) if extended(request) else dataset_json(d)),
                "name": datasets.deleted_name(d),
            }
            for d, counts in found
        ]
    if extended(request):
        return [dataset_extended_json(d, counts) for d, counts in found]
    return [dataset_json(d) for d, _ in found]


@router.get("/projects/{project_id}/trash/datasets/{dataset_id}/entities.csv")
def deleted_entities_csv(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, dataset_id: DatabaseId
) -> Response:
    """A deleted dataset's entities, as ``entities.csv`` was, to keep before it is gone."""
    dataset = datasets.deleted_dataset(
        services, actor, project_id=project_id, dataset_id=dataset_id
    )
    filename = f"{datasets.deleted_name(dataset)}-deleted.csv"
    return StreamingResponse(
        csv_lines(datasets.stream_analyst_rows(services, dataset)),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/projects/{project_id}/datasets")
def create_dataset(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, body: Any = Body(None)
) -> dict[str, Any]:
    view = datasets.create_dataset(services, actor, project_id=project_id, body=body)
    return dataset_metadata_json(view)


@router.get(DATASET + "/entities.csv")
def entities_csv(
    request: Request, services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str
) -> Response:
    """Central's analyst CSV: ``__id,label,<props>,__createdAt,…,__version``, with
    ``$filter`` and ``$search`` as on OData."""
    dataset = datasets.dataset_for(services, actor, project_id=project_id, name=name)
    query = request.query_params
    keep = entity_odata.row_filter(query.get("$filter"), query.get("$search"))
    etag = f'"{datasets.list_hash(dataset)}"'
    if keep is None and request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return StreamingResponse(
        csv_lines(datasets.stream_analyst_rows(services, dataset, keep)),
        media_type=CSV_MEDIA_TYPE,
        headers={"ETag": etag, "Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(DATASET + "/integrity")
def integrity(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str, id: str | None = None
) -> Response:
    ids = None if id is None else [i.strip().lower() for i in id.split(",") if i.strip()]
    found = datasets.integrity(services, actor, project_id=project_id, name=name, ids=ids)
    entries = "".join(
        f'<entity id="{uuid}"><deleted>{"true" if deleted else "false"}</deleted></entity>'
        for uuid, deleted in found
    )
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<data><entities>{entries}</entities></data>'
    return Response(body, media_type="text/xml; charset=utf-8")


SERVICE = "/projects/{project_id}/datasets/{name}.svc"


def _service_url(request: Request, services: Services, project_id: int, name: str) -> str:
    base = urls.project_base(request, services.settings, project_id)
    return f"{base}/datasets/{quote(name, safe='')}.svc"


@router.get(SERVICE)
def odata_service(
    request: Request, services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str
) -> dict[str, Any]:
    datasets.dataset_for(services, actor, project_id=project_id, name=name)
    url = _service_url(request, services, project_id, name)
    return {
        "@odata.context": f"{url}/$metadata",
        "value": [{"name": "Entities", "kind": "EntitySet", "url": "Entities"}],
    }


@router.get(SERVICE + "/$metadata")
def odata_metadata(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str
) -> Response:
    dataset = datasets.dataset_for(services, actor, project_id=project_id, name=name)
    body = entity_odata.edmx(dataset, datasets.published_properties(services, dataset))
    return Response(body, media_type="application/xml")


@router.get(SERVICE + "/Entities")
async def odata_entities(
    request: Request, services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str
) -> Response:
    query = request.query_params
    top = _count_param(query.get("$top"), "$top")
    skip = _count_param(query.get("$skip"), "$skip") or 0
    url = _service_url(request, services, project_id, name)
    kept = [(k, v) for k, v in query.multi_items() if k not in ("$skip", "$skiptoken")]

    def next_link(*, skiptoken: str | None = None, skip: int | None = None) -> str:
        step = ("$skiptoken", skiptoken) if skiptoken is not None else ("$skip", str(skip))
        params = [*kept, step]
        return f"{url}/Entities?{urlencode(params, quote_via=quote, safe='$')}"

    page = await run_in_threadpool(
        entity_odata.query_entities,
        services,
        actor,
        project_id=project_id,
        name=name,
        top=top,
        skip=skip,
        skiptoken=query.get("$skiptoken"),
        count=flag(query.get("$count"), name="$count"),
        filter_text=query.get("$filter"),
        orderby=query.get("$orderby"),
        select=query.get("$select"),
        search=query.get("$search"),
        context_url=f"{url}/$metadata",
        next_url=next_link,
    )
    return StreamingResponse(
        odata_format.page_bytes(page.rows, page.footer), media_type=odata_format.JSON_CONTENT_TYPE
    )


def _count_param(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise problems.unexpected_value(name, value, "expected a whole number.")
    return int(value)


@router.get(DATASET)
def get_dataset(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str
) -> dict[str, Any]:
    view = datasets.view_dataset(services, actor, project_id=project_id, name=name)
    return dataset_metadata_json(view)


@router.patch(DATASET)
async def update_dataset(
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    name: str,
    convert: str | None = None,
    body: Any = Body(None),
) -> dict[str, Any]:
    converting = None if convert is None else flag(convert, name="convert")
    view, pending = await run_in_threadpool(
        datasets.update_dataset,
        services,
        actor,
        project_id=project_id,
        name=name,
        body=body,
        convert=converting,
    )
    if pending:
        await run_in_threadpool(entities.process_pending, services, actor, pending)
    return dataset_metadata_json(view)


@router.delete(DATASET)
def delete_dataset(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str
) -> dict[str, bool]:
    datasets.delete_dataset(services, actor, project_id=project_id, name=name)
    return {"success": True}


@router.post(DATASET + "/properties")
def add_property(
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    name: str,
    body: Any = Body(None),
) -> dict[str, bool]:
    datasets.add_property(services, actor, project_id=project_id, name=name, body=body)
    return {"success": True}


@router.delete(DATASET + "/properties/{property_name}")
def delete_property(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str, property_name: str
) -> dict[str, bool]:
    datasets.delete_property(
        services, actor, project_id=project_id, name=name, property_name=property_name
    )
    return {"success": True}


@router.get(DATASET + "/entities")
def list_entities(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    name: str,
    deleted: str | None = None,
) -> list[dict[str, Any]]:
    views = entities.list_entities(
        services,
        actor,
        project_id=project_id,
        name=name,
        deleted=flag(deleted, name="deleted"),
    )
    if extended(request):
        return _extended_entities(services, views, with_data=False)
    return [entity_json(v.entity, v.current, with_data=False) for v in views]


def _extended_entities(
    services: Services, views: list[entities.EntityView], *, with_data: bool
) -> list[dict[str, Any]]:
    ids = {v.entity.creator_id for v in views} | {v.current.creator_id for v in views}
    actors = entities.actors_by_id(services, {i for i in ids if i is not None})
    return [
        entity_json(
            v.entity,
            v.current,
            with_data=with_data,
            creator=actors.get(v.entity.creator_id or 0),
            version_creator=actors.get(v.current.creator_id or 0),
        )
        for v in views
    ]


@router.post(DATASET + "/entities")
def create_entities(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    name: str,
    body: Any = Body(None),
) -> dict[str, Any]:
    view = entities.create_entities(
        services,
        actor,
        project_id=project_id,
        name=name,
        body=body,
        user_agent=request.headers.get("user-agent"),
    )
    if view is None:
        return {"success": True}
    return entity_json(view.entity, view.current)


@router.get(DATASET + "/entities/creators")
def entity_creators(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str
) -> list[dict[str, Any]]:
    return [
        actor_json(a) for a in entities.creators(services, actor, project_id=project_id, name=name)
    ]


@router.post(DATASET + "/entities/bulk-delete")
def bulk_delete(
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    name: str,
    body: Any = Body(None),
) -> dict[str, int]:
    count = entities.bulk_delete(
        services, actor, project_id=project_id, name=name, body=body, restore=False
    )
    return {"count": count}


@router.post(DATASET + "/entities/bulk-restore")
def bulk_restore(
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    name: str,
    body: Any = Body(None),
) -> dict[str, int]:
    count = entities.bulk_delete(
        services, actor, project_id=project_id, name=name, body=body, restore=True
    )
    return {"count": count}


@router.get(DATASET + "/entities.geojson")
def entities_geojson(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str
) -> dict[str, Any]:
    views = entities.list_entities(services, actor, project_id=project_id, name=name)
    return geojson_collection(views)


@router.get(ENTITY + "/geojson")
def entity_geojson(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str, uuid: str
) -> dict[str, Any]:
    view = entities.get_entity(services, actor, project_id=project_id, name=name, uuid=uuid)
    return geojson_collection([view])


@router.get(ENTITY + "/versions")
def entity_versions(
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    name: str,
    uuid: str,
    relevantToConflict: str | None = None,  # noqa: N803 - Central's name
) -> list[dict[str, Any]]:
    _, versions = entities.entity_versions(
        services, actor, project_id=project_id, name=name, uuid=uuid
    )
    resolved = entities.last_resolved_def(
        services, actor, project_id=project_id, name=name, uuid=uuid
    )
    return versions_with_conflicts(
        versions,
        resolved,
        relevant_only=flag(relevantToConflict, name="relevantToConflict"),
    )


@router.get(ENTITY + "/diffs")
def entity_diffs(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str, uuid: str
) -> list[list[dict[str, Any]]]:
    _, versions = entities.entity_versions(
        services, actor, project_id=project_id, name=name, uuid=uuid
    )
    out = []
    for old, new in zip(versions, versions[1:], strict=False):
        pairs = []
        if old.label != new.label:
            pairs.append({"old": old.label, "new": new.label, "propertyName": "label"})
        for key in sorted(set(old.data) | set(new.data)):
            if old.data.get(key) != new.data.get(key):
                pairs.append(
                    {"old": old.data.get(key), "new": new.data.get(key), "propertyName": key}
                )
        out.append(pairs)
    return out


@router.get(ENTITY + "/audits")
def entity_audits(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str, uuid: str
) -> list[dict[str, Any]]:
    found = entities.entity_audits(services, actor, project_id=project_id, name=name, uuid=uuid)
    return [audit_json(view.audit) for view in found]


@router.get(ENTITY)
def get_entity(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    name: str,
    uuid: str,
) -> dict[str, Any]:
    view = entities.get_entity(services, actor, project_id=project_id, name=name, uuid=uuid)
    if extended(request):
        return _extended_entities(services, [view], with_data=True)[0]
    return entity_json(view.entity, view.current)


@router.patch(ENTITY)
def update_entity(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    name: str,
    uuid: str,
    baseVersion: str | None = None,  # noqa: N803 - Central's name
    force: str | None = None,
    resolve: str | None = None,
    body: Any = Body(None),
) -> dict[str, Any]:
    view = entities.update_entity(
        services,
        actor,
        project_id=project_id,
        name=name,
        uuid=uuid,
        body=body,
        base_version=baseVersion,
        force=flag(force, name="force"),
        resolve=flag(resolve, name="resolve"),
        user_agent=request.headers.get("user-agent"),
    )
    return entity_json(view.entity, view.current)


@router.delete(ENTITY)
def delete_entity(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str, uuid: str
) -> dict[str, bool]:
    entities.delete_entity(services, actor, project_id=project_id, name=name, uuid=uuid)
    return {"success": True}


@router.post(ENTITY + "/restore")
def restore_entity(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, name: str, uuid: str
) -> dict[str, bool]:
    entities.delete_entity(
        services, actor, project_id=project_id, name=name, uuid=uuid, restore=True
    )
    return {"success": True}


@router.get("/projects/{project_id}/forms/{xml_form_id}/dataset-diff")
def dataset_diff(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> list[dict[str, Any]]:
    return datasets.dataset_diff(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, draft=False
    )


@router.get("/projects/{project_id}/forms/{xml_form_id}/draft/dataset-diff")
def draft_dataset_diff(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> list[dict[str, Any]]:
    return datasets.dataset_diff(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, draft=True
    )


@router.patch("/projects/{project_id}/forms/{xml_form_id}/draft/attachments/{name}")
def link_draft_attachment(
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
    name: str,
    body: Any = Body(None),
) -> dict[str, bool]:
    datasets.link_draft_attachment(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, name=name, body=body
    )
    return {"success": True}
