"""``/v1/projects/{id}/app-users`` and form assignments: the phones' access."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from server import problems
from server.domain import assignments, projects
from server.formats.central_json import actor_json, app_user_json, new_app_user_json
from server.http.auth import ActorDep, ServicesDep
from server.http.params import DatabaseId

router = APIRouter(tags=["app users"])


@router.post("/projects/{project_id}/app-users")
def create_app_user(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    name = body.get("displayName")
    if not isinstance(name, str):
        raise problems.missing_parameter("displayName")
    row, key = projects.create_app_user(services, actor, project_id=project_id, display_name=name)
    return new_app_user_json(row, key)


@router.get("/projects/{project_id}/app-users")
def list_app_users(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId
) -> list[dict[str, Any]]:
    return [
        app_user_json(row, key)
        for row, key in projects.list_app_users(services, actor, project_id=project_id)
    ]


@router.delete("/projects/{project_id}/app-users/{actor_id}")
def delete_app_user(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, actor_id: DatabaseId
) -> dict[str, bool]:
    projects.revoke_app_user(services, actor, project_id=project_id, actor_id=actor_id)
    return {"success": True}


@router.get("/projects/{project_id}/forms/{xml_form_id}/assignments/{role}")
def list_form_assignments(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str, role: str
) -> list[dict[str, Any]]:
    """The actors holding the role on the form, as Central lists them."""
    return [
        actor_json(assigned)
        for assigned in assignments.list_form_assignments(
            services, actor, project_id=project_id, xml_form_id=xml_form_id, role=role
        )
    ]


@router.post("/projects/{project_id}/forms/{xml_form_id}/assignments/{role}/{actor_id}")
def assign_form(
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
    role: str,
    actor_id: DatabaseId,
) -> dict[str, bool]:
    assignments.assign_form(
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        role=role,
        actor_id=actor_id,
        exist_ok=False,
    )
    return {"success": True}


@router.delete("/projects/{project_id}/forms/{xml_form_id}/assignments/{role}/{actor_id}")
def unassign_form(
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
    role: str,
    actor_id: DatabaseId,
) -> dict[str, bool]:
    assignments.unassign_form(
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        role=role,
        actor_id=actor_id,
    )
    return {"success": True}
