"""``/v1/projects/{id}/forms/{xmlFormId}/public-links``: public links, as Central's API
has them (list, create with a ``displayName``, revoke). Off unless ``public_links`` is
on; the links are filled at ``/f/{token}`` (see `server.domain.public_links`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from server import problems
from server.domain import public_links
from server.formats.central_json import timestamp
from server.http.auth import ActorDep, ServicesDep
from server.http.params import DatabaseId

router = APIRouter(tags=["public links"])

BASE = "/projects/{project_id}/forms/{xml_form_id}/public-links"


def _json(link: public_links.LinkView) -> dict[str, Any]:
    return {
        "id": link.id,
        "type": "public_link",
        "displayName": link.display_name,
        "once": False,
        "token": None if link.revoked_at else link.token,
        "createdAt": timestamp(link.created_at),
        "deletedAt": timestamp(link.revoked_at),
    }


@router.get(BASE)
def list_public_links(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> list[dict[str, Any]]:
    links = public_links.list_links(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    return [_json(link) for link in links if link.revoked_at is None]


@router.post(BASE)
def create_public_link(
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
    body: dict[str, Any] = Body(...),
) -> dict[str, Any]:
    name = body.get("displayName")
    if not isinstance(name, str):
        raise problems.missing_parameter("displayName")
    link = public_links.create_link(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, display_name=name
    )
    return _json(link)


@router.delete(BASE + "/{link_id}")
def revoke_public_link(
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
    link_id: DatabaseId,
) -> dict[str, bool]:
    public_links.revoke_link(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, link_id=link_id
    )
    return {"success": True}
