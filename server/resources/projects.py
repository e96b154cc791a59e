"""``/v1/projects``: creating, listing and reading projects."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from server import problems
from server.domain import projects
from server.formats.central_json import project_json
from server.http.auth import ActorDep, ServicesDep

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
def list_projects(services: ServicesDep, actor: ActorDep) -> list[dict[str, Any]]:
    return [project_json(p) for p in projects.list_projects(services, actor)]


@router.get("/projects/{project_id}")
def get_project(services: ServicesDep, actor: ActorDep, project_id: int) -> dict[str, Any]:
    return project_json(projects.get_project(services, actor, project_id))
