"""``/v1/users``, ``/v1/roles`` and role assignments (site-wide and per project)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from server import problems
from server.domain import users
from server.domain.access import find_role
from server.formats.central_json import role_json, user_json
from server.http.auth import ActorDep, ServicesDep
from server.http.params import DatabaseId

router = APIRouter(tags=["users and roles"])


@router.get("/users")
def list_users(
    services: ServicesDep, actor: ActorDep, q: str | None = None
) -> list[dict[str, Any]]:
    return [user_json(a, u) for a, u in users.list_users(services, actor, q=q)]


@router.post("/users")
def create_user(
    services: ServicesDep, actor: ActorDep, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not email.strip():
        raise problems.missing_parameter("email")
    if password is not None and not isinstance(password, str):
        raise problems.unexpected_value("password", "…", "expected a string.")
    name = body.get("displayName")
    row, user = users.create_user(
        services,
        actor,
        email=email,
        password=password,
        display_name=name if isinstance(name, str) and name.strip() else None,
    )
    return user_json(row, user)


@router.get("/users/{actor_id:int}")
def get_user(services: ServicesDep, actor: ActorDep, actor_id: DatabaseId) -> dict[str, Any]:
    return user_json(*users.get_user(services, actor, actor_id=actor_id))


@router.patch("/users/{actor_id:int}")
def update_user(
    services: ServicesDep, actor: ActorDep, actor_id: DatabaseId, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    name = body.get("displayName")
    row, user = users.update_user(
        services, actor, actor_id=actor_id, display_name=name if isinstance(name, str) else None
    )
    return user_json(row, user)


@router.put("/users/{actor_id:int}/password")
def change_password(
    services: ServicesDep, actor: ActorDep, actor_id: DatabaseId, body: dict[str, Any] = Body(...)
) -> dict[str, bool]:
    old, new = body.get("old"), body.get("new")
    if not isinstance(old, str) or not isinstance(new, str):
        raise problems.missing_parameters(
            ["old", "new"], {k: "…" for k in body if k in ("old", "new")}
        )
    users.change_password(services, actor, actor_id=actor_id, old=old, new=new)
    return {"success": True}


@router.get("/roles")
def list_roles() -> list[dict[str, Any]]:
    return [role_json(role) for role in users.list_roles()]


@router.get("/roles/{role}")
def get_role(role: str) -> dict[str, Any]:
    return role_json(find_role(role))


@router.get("/assignments")
def site_assignments(services: ServicesDep, actor: ActorDep) -> list[dict[str, Any]]:
    return [
        {"actorId": actor_id, "roleId": role.id}
        for actor_id, role in users.site_assignments(services, actor)
    ]


@router.get("/assignments/{role}")
def site_assignments_of_role(
    services: ServicesDep, actor: ActorDep, role: str
) -> list[dict[str, Any]]:
    return [
        {"actorId": actor_id, "roleId": found.id}
        for actor_id, found in users.site_assignments(services, actor, role=role)
    ]


@router.post("/assignments/{role}/{actor_id}")
def assign_site_role(
    services: ServicesDep, actor: ActorDep, role: str, actor_id: DatabaseId
) -> dict[str, bool]:
    users.assign_site_role(services, actor, role=role, actor_id=actor_id)
    return {"success": True}


@router.delete("/assignments/{role}/{actor_id}")
def unassign_site_role(
    services: ServicesDep, actor: ActorDep, role: str, actor_id: DatabaseId
) -> dict[str, bool]:
    users.unassign_site_role(services, actor, role=role, actor_id=actor_id)
    return {"success": True}


@router.get("/projects/{project_id}/assignments")
def project_assignments(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId
) -> list[dict[str, Any]]:
    return [
        {"actorId": actor_id, "roleId": role.id}
        for actor_id, role in users.project_assignments(services, actor, project_id=project_id)
    ]


@router.get("/projects/{project_id}/assignments/{role}")
def project_assignments_of_role(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, role: str
) -> list[dict[str, Any]]:
    return [
        {"actorId": actor_id, "roleId": found.id}
        for actor_id, found in users.project_assignments(
            services, actor, project_id=project_id, role=role
        )
    ]


@router.post("/projects/{project_id}/assignments/{role}/{actor_id}")
def assign_project_role(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, role: str, actor_id: DatabaseId
) -> dict[str, bool]:
    users.assign_project_role(services, actor, project_id=project_id, role=role, actor_id=actor_id)
    return {"success": True}


@router.delete("/projects/{project_id}/assignments/{role}/{actor_id}")
def unassign_project_role(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, role: str, actor_id: DatabaseId
) -> dict[str, bool]:
    users.unassign_project_role(
        services, actor, project_id=project_id, role=role, actor_id=actor_id
    )
    return {"success": True}
