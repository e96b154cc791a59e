"""A form's downloads: its submissions as CSV tables (with or without photos), an Excel
workbook with the questions' wording, a map file, and the OData address for Excel and
Power BI, each with a sentence on what to do with it.

Each download is a plain link to the REST API's export (the console's cookie signs a
GET in there), so a large export streams straight to the browser's own download bar.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.console import urls
from server.console.errors import ConsoleRoute
from server.console.rendering import templates_of
from server.console.session import ServicesDep, UserDep
from server.domain import downloads
from server.http.urls import origin

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/projects/{project_id}/forms/{xml_form_id}/downloads")
def downloads_page(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, xml_form_id: str
) -> Response:
    templates = templates_of(request)
    view = downloads.downloads_view(
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        language=templates.language_of(request, user),
    )
    return templates.page(
        request,
        "downloads.html",
        {
            "project": view.project,
            "form": view.form,
            "title": view.title,
            "view": view,
            "odata_url": origin(request, services.settings)
            + urls.api_odata(project_id, xml_form_id),
            "tab": "downloads",
        },
    )
