"""Projects: the list, a project's forms, its settings (rename, archive) and its members."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from server.console import urls
from server.console.errors import ConsoleRoute
from server.console.rendering import redirect, templates_of
from server.console.session import ServicesDep, UserDep, as_int, field, posted_form
from server.domain import datasets, forms, projects, users
from server.domain.access import (
    ASSIGNMENT_LIST,
    FORM_CREATE,
    PROJECT_UPDATE,
    SUBMISSION_LIST,
)
from server.domain.users import PROJECT_ROLE_NAMES

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/projects")
def project_list(request: Request, services: ServicesDep, user: UserDep) -> Response:
    found = projects.list_projects(services, user.actor)
    rows = [
        (project, projects.project_stats(services, project_id=project.id or 0)) for project in found
    ]
    return templates_of(request).page(
        request,
        "projects.html",
        {
            "active": [(p, s) for p, s in rows if not p.archived],
            "archived": [(p, s) for p, s in rows if p.archived],
            "may_create": user.actor.is_admin,
        },
    )


@router.post("/projects")
async def create_project(request: Request, services: ServicesDep, user: UserDep) -> Response:
    form = await posted_form(request, user)
    project = await run_in_threadpool(
        projects.create_project,
        services,
        user.actor,
        name=field(form, "name"),
        description=field(form, "description") or None,
    )
    _ = templates_of(request).gettext(request)
    return redirect(urls.project(project.id or 0), notice=_("The project was created."))


@router.get("/projects/{project_id}")
def project_forms(
    request: Request, services: ServicesDep, user: UserDep, project_id: int
) -> Response:
    project = projects.get_project(services, user.actor, project_id)
    views = forms.list_forms(services, user.actor, project_id=project_id)
    show_counts = user.actor.can(SUBMISSION_LIST, project_id=project_id)
    rows = [
        (view, forms.form_stats(services, view.form)[0] if show_counts else None) for view in views
    ]
    return templates_of(request).page(
        request,
        "project.html",
        {
            "project": project,
            "rows": rows,
            "show_counts": show_counts,
            "may_create": user.actor.can(FORM_CREATE, project_id=project_id),
            "entity_lists": (
                datasets.list_datasets(services, user.actor, project_id=project_id)
                if user.actor.can(datasets.DATASET_LIST, project_id=project_id)
                else None
            ),
            "tab": "forms",
        },
    )


@router.get("/projects/{project_id}/settings")
def project_settings(
    request: Request, services: ServicesDep, user: UserDep, project_id: int
) -> Response:
    project = projects.get_project(services, user.actor, project_id)
    user.actor.require(PROJECT_UPDATE, project_id=project_id)
    return templates_of(request).page(
        request, "project_settings.html", {"project": project, "tab": "settings"}
    )


@router.post("/projects/{project_id}/settings")
async def update_project(
    request: Request, services: ServicesDep, user: UserDep, project_id: int
) -> Response:
    form = await posted_form(request, user)
    archived = {"archive": True, "unarchive": False}.get(field(form, "action"))
    await run_in_threadpool(
        projects.update_project,
        services,
        user.actor,
        project_id,
        name=field(form, "name") if archived is None else None,
        description=field(form, "description") if archived is None else None,
        archived=archived,
    )
    _ = templates_of(request).gettext(request)
    notice = {
        None: _("The project was saved."),
        True: _("The project was archived."),
        False: _("The project is active again."),
    }[archived]
    return redirect(urls.project_settings(project_id), notice=notice)


@router.get("/projects/{project_id}/members")
def members(request: Request, services: ServicesDep, user: UserDep, project_id: int) -> Response:
    project = projects.get_project(services, user.actor, project_id)
    found = users.project_members(services, user.actor, project_id=project_id)
    return templates_of(request).page(
        request,
        "project_members.html",
        {
            "project": project,
            "members": found,
            "roles": PROJECT_ROLE_NAMES,
            "tab": "members",
            "may_list": user.actor.can(ASSIGNMENT_LIST, project_id=project_id),
        },
    )


@router.post("/projects/{project_id}/members")
async def add_member(
    request: Request, services: ServicesDep, user: UserDep, project_id: int
) -> Response:
    form = await posted_form(request, user)
    await run_in_threadpool(
        users.add_project_member,
        services,
        user.actor,
        project_id=project_id,
        email=field(form, "email"),
        role=field(form, "role"),
    )
    _ = templates_of(request).gettext(request)
    return redirect(urls.project_members(project_id), notice=_("The role was given."))


@router.post("/projects/{project_id}/members/{actor_id}/remove")
async def remove_member(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, actor_id: int
) -> Response:
    form = await posted_form(request, user)
    await run_in_threadpool(
        users.unassign_project_role,
        services,
        user.actor,
        project_id=project_id,
        role=field(form, "role"),
        actor_id=as_int(actor_id) or 0,
    )
    _ = templates_of(request).gettext(request)
    return redirect(urls.project_members(project_id), notice=_("The role was taken away."))
