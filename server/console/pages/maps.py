"""The map of a form's initiatives, and the GeoJSON its script draws.

The page is a GET form (location question, colour question, review state, province)
above the map; without JavaScript it still says how many points match and links to
them as GeoJSON. The points come from ``map.geojson`` with the same parameters,
streamed as the submissions are read.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from server.console import urls
from server.console.errors import ConsoleRoute
from server.console.rendering import templates_of
from server.console.session import ServicesDep, UserDep
from server.domain import maps

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

ID_SLOT, FILE_SLOT = "__ID__", "__FILE__"  # filled in by map.js for each point


def _choice(field: str, color: str, state: str, province: str) -> maps.MapChoice:
    return maps.MapChoice(
        field=field or None, colour=color or None, state=state or None, province=province or None
    )


@router.get("/projects/{project_id}/forms/{xml_form_id}/map")
def map_page(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    xml_form_id: str,
    field: str = "",
    color: str = "",
    state: str = "",
    province: str = "",
) -> Response:
    templates = templates_of(request)
    view = maps.map_view(
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        choice=_choice(field, color, state, province),
        language=templates.language_of(request, user),
    )
    _ = templates.gettext(request)
    query = {
        "field": view.field if len(view.geo_fields) > 1 else None,
        "color": view.colour,
        "state": view.filters.state,
        "province": view.filters.province,
    }
    texts = {
        "provinces": _("Provinces (offline map)"),
        "osm": _("OpenStreetMap (needs the internet)"),
        "open": _("Open the submission"),
        "photoOf": _("Photo of {name}"),
        "noName": _("Submission without a name"),
        "noAnswer": _("No answer"),
        "loading": _("Loading the points…"),
        "none": _("No submission with a location matches these filters."),
        "failed": _("The points could not be loaded. Reload the page to try again."),
        "zoomIn": _("Zoom in"),
        "zoomOut": _("Zoom out"),
        "layers": _("Map layers"),
        "colourQuestion": dict(view.colour_fields).get(view.colour or "", ""),
    }
    return templates.page(
        request,
        "map.html",
        {
            "project": view.project,
            "form": view.form,
            "title": view.title,
            "view": view,
            "geojson_url": urls.with_query(urls.form_map_geojson(project_id, xml_form_id), **query),
            "submission_url": urls.submission(project_id, xml_form_id, ID_SLOT),
            "thumbnail_url": urls.thumbnail(project_id, xml_form_id, ID_SLOT, FILE_SLOT),
            "texts": texts,
            "tab": "map",
        },
    )


@router.get("/projects/{project_id}/forms/{xml_form_id}/map.geojson")
def map_geojson(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    xml_form_id: str,
    field: str = "",
    color: str = "",
    state: str = "",
    province: str = "",
) -> Response:
    body = maps.map_geojson(
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        choice=_choice(field, color, state, province),
        language=templates_of(request).language_of(request, user),
    )
    return StreamingResponse(
        body, media_type="application/geo+json", headers={"Cache-Control": "no-store"}
    )
