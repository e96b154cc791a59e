"""``/v1/projects``: creating, listing and reading projects.

As Central, every item of ``GET /v1/projects`` carries the caller's ``verbs`` on it;
``X-Extended-Metadata: true`` adds counts of forms and app users and the time of the
last submission.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request

from server import problems
from server.domain import forms as form_domain
from server.domain import project_put, projects
from server.formats.central_json import project_extended_json, project_json
from server.http.auth import ActorDep, ServicesDep
from server.http.params import DatabaseId, extended, flag
from server.resources.forms import form_extended

router = APIRouter(tags=["projects"])


@router.post("/projects")
def create_project(
    services: ServicesDep, actor: ActorDep, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    name = body.get("name")
    if not isinstance(name, str):
        raise problems.missing_parameter("name")
    description = body.get("description")
    project = projects.create_project(
        services,
        actor,
        name=name,
        description=description if isinstance(description, str) else None,
    )
    return project_json(project)


@router.get("/projects")
def list_projects(
    request: Request, services: ServicesDep, actor: ActorDep, forms: str | None = None
) -> list[dict[str, Any]]:
    """The projects the caller may read; with ``?forms=true`` each with its ``formList``
    (its forms with extended metadata, as Central nests them)."""
    more = extended(request)
    with_forms = flag(forms, name="forms")
    items = []
    for project in projects.list_projects(services, actor):
        assert project.id is not None
        data = (
            project_extended_json(project, projects.project_stats(services, project_id=project.id))
            if more
            else project_json(project)
        )
        data["verbs"] = sorted(actor.verbs(project_id=project.id))
        if with_forms:
            views = form_domain.list_forms(services, actor, project_id=project.id)
            data["formList"] = [form_extended(services, view) for view in views]
        items.append(data)
    return items


@router.get("/projects/{project_id}")
def get_project(
    request: Request, services: ServicesDep, actor: ActorDep, project_id: DatabaseId
) -> dict[str, Any]:
    project = projects.read_project(services, actor, project_id)
    if not extended(request):
        return project_json(project)
    return {
        "verbs": sorted(actor.verbs(project_id=project_id)),
        **project_extended_json(project, projects.project_stats(services, project_id=project_id)),
    }


@router.patch("/projects/{project_id}")
def update_project(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    """Central's project update: any of ``name``, ``description`` and ``archived``."""
    name, description, archived = body.get("name"), body.get("description"), body.get("archived")
    if name is not None and not isinstance(name, str):
        raise problems.unexpected_value("name", name, "expected text.")
    if description is not None and not isinstance(description, str):
        raise problems.unexpected_value("description", description, "expected text.")
    if archived is not None and not isinstance(archived, bool):
        raise problems.unexpected_value("archived", archived, "expected true or false.")
    project = projects.update_project(
        services, actor, project_id, name=name, description=description, archived=archived
    )
    return project_json(project)


@router.put("/projects/{project_id}")
def replace_project(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    """Central's PUT: the project's name, description and archived flag, and optionally
    every form's ``state`` and ``assignments``."""
    return project_json(project_put.replace_project(services, actor, project_id, body))


@router.delete("/projects/{project_id}")
def delete_project(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId
) -> dict[str, bool]:
    projects.delete_project(services, actor, project_id)
    return {"success": True}
