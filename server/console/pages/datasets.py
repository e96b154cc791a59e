"""Entity lists (Central's datasets): a list's entities in a table of keyset pages and on
a map, one entity with its versions, and its conflict shown side by side with a button
that marks it resolved (optionally saving edited values first).

Everything is read and written through `server.domain.entity_browse`, which calls the
same functions as the REST API's ``/v1/projects/{id}/datasets`` routes, with the same
rights: a viewer reads, a project manager resolves.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from server.console import urls
from server.console.errors import ConsoleRoute
from server.console.rendering import redirect, templates_of
from server.console.session import ServicesDep, UserDep, field, posted_form
from server.domain import entity_browse, projects
from server.domain.datasets import DATASET_UPDATE
from server.formats.entities_json import versions_with_conflicts
from server.http.middleware import restore_encoded_slashes
from server.store.tables import EntityDef

router = APIRouter(
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(restore_encoded_slashes)],
)

BASE = "/projects/{project_id}/datasets/{name}"
ID_SLOT = "__ID__"  # filled in by map.js for each point
VALUE_PREFIX = "value:"  # an edited property's field in the resolve form


@router.get(BASE)
def dataset_page(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    name: str,
    after: str = "",
    before: str = "",
) -> Response:
    table = entity_browse.entity_table(
        services,
        user.actor,
        project_id=project_id,
        name=name,
        after=after or None,
        before=before or None,
    )
    base = urls.dataset(project_id, name)
    return templates_of(request).page(
        request,
        "dataset.html",
        {
            "project": projects.get_project(services, user.actor, project_id),
            "dataset": table.dataset.dataset,
            "view": table.dataset,
            "table": table,
            "tab": "entities",
            "newest_url": base if after or before else None,
            "newer_url": urls.with_query(base, before=table.newer) if table.newer else None,
            "older_url": urls.with_query(base, after=table.older) if table.older else None,
        },
    )


@router.get(BASE + "/map")
def dataset_map(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    name: str,
    property: str = "",
) -> Response:
    table = entity_browse.entity_table(
        services, user.actor, project_id=project_id, name=name, limit=entity_browse.PAGE_SIZE
    )
    chosen = property if property in table.point_properties else None
    if chosen is None and table.point_properties:
        chosen = table.point_properties[0]
    templates = templates_of(request)
    _ = templates.gettext(request)
    texts = {
        "provinces": _("Provinces (offline map)"),
        "osm": _("OpenStreetMap (needs the internet)"),
        "open": _("Open the entity"),
        "photoOf": _("Photo of {name}"),
        "noName": _("Entity without a label"),
        "noAnswer": _("No answer"),
        "loading": _("Loading the points…"),
        "none": _("No entity of this list has a point in this property."),
        "failed": _("The points could not be loaded. Reload the page to try again."),
        "zoomIn": _("Zoom in"),
        "zoomOut": _("Zoom out"),
        "layers": _("Map layers"),
        "colourQuestion": "",
    }
    points = urls.dataset_map_geojson(project_id, name, chosen) if chosen else None
    return templates.page(
        request,
        "dataset_map.html",
        {
            "project": projects.get_project(services, user.actor, project_id),
            "dataset": table.dataset.dataset,
            "view": table.dataset,
            "table": table,
            "chosen": chosen,
            "geojson_url": points,
            "entity_url": urls.entity(project_id, name, ID_SLOT),
            "texts": texts,
            "tab": "map",
        },
    )


@router.get(BASE + "/map.geojson")
def dataset_map_geojson(
    services: ServicesDep, user: UserDep, project_id: int, name: str, property: str = ""
) -> Response:
    body = entity_browse.entity_points(
        services, user.actor, project_id=project_id, name=name, prop=property
    )
    return StreamingResponse(
        body, media_type="application/geo+json", headers={"Cache-Control": "no-store"}
    )


@router.get(BASE + "/entities/{uuid}")
def entity_page(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, name: str, uuid: str
) -> Response:
    detail = entity_browse.entity_detail(
        services, user.actor, project_id=project_id, name=name, uuid=uuid
    )
    flags = versions_with_conflicts(detail.versions, detail.last_resolved_def_id)
    versions = list(zip(detail.versions, flags, strict=True))
    return templates_of(request).page(
        request,
        "entity.html",
        {
            "project": projects.get_project(services, user.actor, project_id),
            "dataset": detail.dataset.dataset,
            "view": detail.dataset,
            "detail": detail,
            "versions": list(reversed(versions)),
            "conflict": _conflict(detail, versions),
            "may_update": user.actor.can(DATASET_UPDATE, project_id=project_id),
            "value_prefix": VALUE_PREFIX,
            "tab": "entities",
        },
    )


Version = tuple[EntityDef, dict[str, Any]]  # a version and its flags as ``…/versions`` has them


def _conflict(detail: entity_browse.EntityDetail, versions: list[Version]) -> dict[str, Any] | None:
    """What the side-by-side view shows: the version the conflicting updates started
    from (the oldest base among them) and each version after it (what it sent, on
    which base), over the properties any of them sent; the properties in conflict are
    marked."""
    if detail.entity.conflict is None:
        return None
    open_conflicts = [v for v, flags in versions if flags["conflict"] and not flags["resolved"]]
    bases = [v.base_version for v in open_conflicts if v.base_version]
    good = next((v for v in versions if v[0].version == min(bases, default=0)), None)
    if good is None:
        good = next((v for v in versions if v[1]["lastGoodVersion"]), None)
    if good is None:
        return None
    later = [v for v in versions if v[0].version > good[0].version]
    touched: list[str] = []
    conflicting: set[str] = set()
    for version, flags in later:
        conflicting.update(flags["conflictingProperties"] or [])
        touched += [k for k in version.data_received if k not in touched]
    keys = [k for k in ["label", *detail.properties] if k in touched]
    keys += [k for k in touched if k not in keys]
    return {
        "good": good,
        "later": later,
        "names": keys,
        "conflicting": conflicting,
        "editable": [k for k in keys if k in conflicting] or keys,
    }


@router.post(BASE + "/entities/{uuid}/resolve")
async def resolve(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, name: str, uuid: str
) -> Response:
    form = await posted_form(request, user)
    values = {
        key[len(VALUE_PREFIX) :]: value
        for key, value in form.multi_items()
        if key.startswith(VALUE_PREFIX) and key != VALUE_PREFIX + "label" and isinstance(value, str)
    }
    label = form.get(VALUE_PREFIX + "label")
    label = label if isinstance(label, str) else None
    _, changed = await run_in_threadpool(
        lambda: entity_browse.resolve_conflict(
            services,
            user.actor,
            project_id=project_id,
            name=name,
            uuid=uuid,
            base_version=field(form, "base_version"),
            label=label,
            values=values,
            user_agent=request.headers.get("user-agent"),
        )
    )
    _ = templates_of(request).gettext(request)
    notice = (
        _("The new values were saved and the conflict is marked as resolved.")
        if changed
        else _("The conflict is marked as resolved.")
    )
    return redirect(urls.entity(project_id, name, uuid), notice=notice)
