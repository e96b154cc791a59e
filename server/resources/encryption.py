"""Managed encryption: ``POST /projects/{id}/key`` and ``…/submissions/keys``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from server.domain import encryption
from server.formats.central_json import key_json
from server.http.auth import ActorDep, ServicesDep
from server.http.params import DatabaseId

router = APIRouter(tags=["encryption"])

FORM = "/projects/{project_id}/forms/{xml_form_id}"


@router.post("/projects/{project_id}/key")
def enable_managed_encryption(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    """Central answers ``{"success": true}`` (not the project its documentation shows)."""
    encryption.enable_managed_encryption(
        services,
        actor,
        project_id=project_id,
        passphrase=body.get("passphrase"),
        hint=body.get("hint"),
    )
    return {"success": True}


@router.get(FORM + "/submissions/keys")
def submission_keys(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> list[dict[str, Any]]:
    keys = encryption.submission_keys(
        services, actor, project_id=project_id, xml_form_id=xml_form_id
    )
    return [key_json(key) for key in keys]


@router.get(FORM + "/draft/submissions/keys")
def draft_submission_keys(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> list[dict[str, Any]]:
    keys = encryption.submission_keys(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, draft=True
    )
    return [key_json(key) for key in keys]
