"""Phones (app users): creating and revoking them, which forms each may fill, and the QR
codes that set up ODK Collect, one at a time or on a printable sheet for a training day.

The server URL in a QR code must be one a phone on the network can reach: the
configured public URL, else the address the browser used, unless that is this machine
talking to itself (localhost), which becomes the machine's LAN address. When there is
none, the page says so and how to set ``JARING_PUBLIC_URL``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from server.console import urls
from server.console.errors import ConsoleRoute
from server.console.rendering import redirect, templates_of
from server.console.session import ServicesDep, UserDep, as_int, field, form_values, posted_form
from server.domain import assignments, forms, projects
from server.domain.projects import AppUserView
from server.formats.qr import collect_qr, png
from server.http.urls import collect_server_url, phone_origin
from server.store.tables import Project

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/projects/{project_id}/app-users")
def app_user_list(
    request: Request, services: ServicesDep, user: UserDep, project_id: int
) -> Response:
    project = projects.get_project(services, user.actor, project_id)
    phones = projects.app_users_with_forms(services, user.actor, project_id=project_id)
    views = forms.list_forms(services, user.actor, project_id=project_id)
    return templates_of(request).page(
        request,
        "app_users.html",
        {
            "project": project,
            "phones": phones,
            "forms": views,
            "form_names": _form_names(views),
            "tab": "app_users",
        },
    )


@router.post("/projects/{project_id}/app-users")
async def create_app_user(
    request: Request, services: ServicesDep, user: UserDep, project_id: int
) -> Response:
    form = await posted_form(request, user)
    form_ids = [n for n in (as_int(v) for v in form_values(form, "forms")) if n is not None]
    row, _key = await run_in_threadpool(
        projects.create_app_user,
        services,
        user.actor,
        project_id=project_id,
        display_name=field(form, "name"),
        form_ids=[],
    )
    assert row.id is not None
    if form_ids:
        await run_in_threadpool(
            assignments.set_app_user_forms,
            services,
            user.actor,
            project_id=project_id,
            actor_id=row.id,
            form_ids=set(form_ids),
        )
    _ = templates_of(request).gettext(request)
    return redirect(
        urls.app_user(project_id, row.id),
        notice=_("The phone's access was made. Scan its QR code with ODK Collect."),
    )


@router.get("/projects/{project_id}/app-users/sheet")
def app_users_sheet(
    request: Request, services: ServicesDep, user: UserDep, project_id: int
) -> Response:
    """Every phone's QR code on one printable page."""
    project = projects.get_project(services, user.actor, project_id)
    phones = projects.app_users_with_forms(services, user.actor, project_id=project_id)
    views = forms.list_forms(services, user.actor, project_id=project_id)
    return templates_of(request).page(
        request,
        "app_users_sheet.html",
        {
            "project": project,
            "phones": [p for p in phones if p.token],
            "form_names": _form_names(views),
            "phone": phone_origin(request, services.settings),
        },
    )


@router.get("/projects/{project_id}/app-users/{actor_id}")
def app_user_page(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, actor_id: int
) -> Response:
    project = projects.get_project(services, user.actor, project_id)
    phone_user = projects.get_app_user(
        services, user.actor, project_id=project_id, actor_id=actor_id
    )
    views = forms.list_forms(services, user.actor, project_id=project_id)
    origin = phone_origin(request, services.settings)
    return templates_of(request).page(
        request,
        "app_user.html",
        {
            "project": project,
            "app_user": phone_user,
            "forms": views,
            "phone": origin,
            "server_url": _server_url(origin.origin, project, phone_user),
            "tab": "app_users",
        },
    )


@router.get("/projects/{project_id}/app-users/{actor_id}/qr.png")
def app_user_qr(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    actor_id: int,
    download: bool = False,
) -> Response:
    project = projects.get_project(services, user.actor, project_id)
    phone_user = projects.get_app_user(
        services, user.actor, project_id=project_id, actor_id=actor_id
    )
    server_url = _server_url(phone_origin(request, services.settings).origin, project, phone_user)
    if server_url is None:
        return Response(status_code=404)
    headers = {"Cache-Control": "no-store"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="collect-{actor_id}.png"'
    return Response(
        png(collect_qr(server_url, project.name), scale=8 if download else 5),
        media_type="image/png",
        headers=headers,
    )


@router.post("/projects/{project_id}/app-users/{actor_id}/forms")
async def set_forms(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, actor_id: int
) -> Response:
    form = await posted_form(request, user)
    form_ids = {n for n in (as_int(v) for v in form_values(form, "forms")) if n is not None}
    await run_in_threadpool(
        assignments.set_app_user_forms,
        services,
        user.actor,
        project_id=project_id,
        actor_id=actor_id,
        form_ids=form_ids,
    )
    _ = templates_of(request).gettext(request)
    return redirect(
        urls.app_user(project_id, actor_id),
        notice=_("Saved. The phone sees the change the next time it gets blank forms."),
    )


@router.post("/projects/{project_id}/app-users/{actor_id}/revoke")
async def revoke(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, actor_id: int
) -> Response:
    await posted_form(request, user)
    await run_in_threadpool(
        projects.revoke_app_user, services, user.actor, project_id=project_id, actor_id=actor_id
    )
    _ = templates_of(request).gettext(request)
    return redirect(
        urls.app_users(project_id),
        notice=_("The phone's access was revoked: its QR code no longer works."),
    )


def _server_url(origin: str, project: Project, phone_user: AppUserView) -> str | None:
    if phone_user.token is None or project.id is None:
        return None
    return collect_server_url(origin, phone_user.token, project.id)


def _form_names(views: list[forms.FormView]) -> dict[int, str]:
    return {
        v.form.id: (v.definition.name if v.definition else None) or v.form.xml_form_id
        for v in views
        if v.form.id is not None
    }
