"""``/v1/sessions`` and ``/v1/users``: logging in and out, and web users."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request

from server import problems
from server.domain import accounts
from server.formats.central_json import session_json, user_json
from server.http.auth import ActorDep, ServicesDep
from server.http.params import extended
from server.store import accounts as account_store

router = APIRouter(tags=["sessions and users"])


@router.post("/sessions")
def create_session(services: ServicesDep, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise problems.missing_parameters(
            ["email", "password"], {k: "…" for k in body if k in ("email", "password")}
        )
    new_session, _ = accounts.log_in(services, email=email, password=password)
    return session_json(new_session.row, new_session.token)


@router.delete("/sessions/current")
def delete_current_session(services: ServicesDep, actor: ActorDep) -> dict[str, bool]:
    if actor.session_token_hash is None:
        raise problems.not_found() if not actor.anonymous else actor.refusal()
    accounts.log_out(services, token_hash=actor.session_token_hash)
    return {"success": True}


@router.delete("/sessions/{token}")
def delete_session(services: ServicesDep, actor: ActorDep, token: str) -> dict[str, bool]:
    """End a session by its token: a web user's own, or an app user's (revoking its access
    while keeping the app user, as Central's "revoke access")."""
    accounts.end_session(services, actor, token=token)
    return {"success": True}


@router.get("/users/current")
def current_user(request: Request, services: ServicesDep, actor: ActorDep) -> dict[str, Any]:
    if actor.anonymous or actor.type != "user" or actor.id is None:
        raise actor.refusal() if actor.anonymous else problems.not_found()
    with services.db.read() as session:
        found = account_store.user_by_actor_id(session, actor_id=actor.id)
    if found is None:
        raise problems.not_found()
    if extended(request):
        return {
            "verbs": sorted(actor.verbs()),
            "preferences": {"site": {}, "projects": {}},
            **user_json(*found),
        }
    return user_json(*found)
