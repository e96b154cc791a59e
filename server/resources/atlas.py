"""``/v1/projects/{id}/atlases``: a project's public atlases and their withdrawals.

An atlas is ``{"slug", "xmlFormId", "title": {"id", "en"}, "introduction": {"id", "en"},
"licence", "precision", "fields", "photos", "consentField", "photoConsentField",
"noindex", "published"}``; ``POST`` makes one, ``PATCH`` changes any of these but the
slug, ``DELETE`` removes it. ``…/withdrawals`` lists the submissions withdrawn,
``POST {"instanceId", "reason": "consent" | "error"}`` withdraws one at once, and
``DELETE …/withdrawals/{instanceId}`` puts it back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from server import problems
from server.domain import atlas
from server.formats.central_json import timestamp
from server.http.auth import ActorDep, ServicesDep
from server.http.params import DatabaseId
from server.store.tables import Atlas

router = APIRouter(tags=["atlases"])


def atlas_json(row: Atlas) -> dict[str, Any]:
    return {
        "slug": row.slug,
        "projectId": row.project_id,
        "xmlFormId": row.xml_form_id,
        "title": {"id": row.title_id, "en": row.title_en},
        "introduction": {"id": row.intro_id, "en": row.intro_en},
        "licence": row.licence,
        "precision": row.precision,
        "fields": list(row.fields),
        "photos": list(row.photos),
        "consentField": row.consent_field,
        "photoConsentField": row.photo_consent_field,
        "noindex": row.noindex,
        "published": row.published,
        "url": f"/atlas/{row.slug}",
        "createdAt": timestamp(row.created_at),
        "updatedAt": timestamp(row.changed_at),
    }


def _settings(body: dict[str, Any], base: atlas.AtlasSettings | None) -> atlas.AtlasSettings:
    if not isinstance(body, dict):
        raise problems.unexpected_value("body", "", "expected a JSON object.")
    current = base.__dict__ if base is not None else {}

    def text(name: str, value: Any, default: str) -> str:
        if value is None:
            return default
        if not isinstance(value, str):
            raise problems.unexpected_value(name, str(value)[:80], "expected text.")
        return value

    def texts(name: str, key: str) -> tuple[str, str]:
        value = body.get(name)
        if value is None:
            return current.get(f"{key}_id", ""), current.get(f"{key}_en", "")
        if not isinstance(value, dict):
            raise problems.unexpected_value(name, str(value)[:80], 'expected {"id": …, "en": …}.')
        return (
            text(f"{name}.id", value.get("id"), current.get(f"{key}_id", "")),
            text(f"{name}.en", value.get("en"), current.get(f"{key}_en", "")),
        )

    def paths(name: str) -> tuple[str, ...]:
        value = body.get(name)
        if value is None:
            return tuple(current.get(name, ()))
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            raise problems.unexpected_value(name, str(value)[:80], "expected a list of paths.")
        return tuple(value)

    def flag(name: str) -> bool:
        value = body.get(name)
        if value is None:
            return bool(current.get(name, False))
        if not isinstance(value, bool):
            raise problems.unexpected_value(name, str(value)[:80], "expected true or false.")
        return value

    def optional(name: str, key: str) -> str | None:
        if name not in body:
            return current.get(key)
        value = body[name]
        if value is not None and not isinstance(value, str):
            raise problems.unexpected_value(name, str(value)[:80], "expected a field path.")
        return value or None

    title_id, title_en = texts("title", "title")
    intro_id, intro_en = texts("introduction", "intro")
    slug = base.slug if base is not None else text("slug", body.get("slug"), "")
    return atlas.AtlasSettings(
        slug=slug,
        xml_form_id=text("xmlFormId", body.get("xmlFormId"), current.get("xml_form_id", "")),
        title_id=title_id,
        title_en=title_en,
        intro_id=intro_id,
        intro_en=intro_en,
        licence=text("licence", body.get("licence"), current.get("licence", "CC BY 4.0")),
        precision=text("precision", body.get("precision"), current.get("precision", "village")),
        fields=paths("fields"),
        photos=paths("photos"),
        consent_field=optional("consentField", "consent_field"),
        photo_consent_field=optional("photoConsentField", "photo_consent_field"),
        noindex=flag("noindex"),
        published=flag("published"),
    )


@router.get("/projects/{project_id}/atlases")
def list_atlases(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId
) -> list[dict[str, Any]]:
    return [atlas_json(row) for row in atlas.list_atlases(services, actor, project_id=project_id)]


@router.post("/projects/{project_id}/atlases")
def create_atlas(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, body: Any = Body(...)
) -> dict[str, Any]:
    settings = _settings(body, None)
    return atlas_json(atlas.create_atlas(services, actor, project_id=project_id, settings=settings))


@router.get("/projects/{project_id}/atlases/{slug}")
def get_atlas(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, slug: str
) -> dict[str, Any]:
    return atlas_json(atlas.get_atlas(services, actor, project_id=project_id, slug=slug))


@router.patch("/projects/{project_id}/atlases/{slug}")
def update_atlas(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, slug: str, body: Any = Body(...)
) -> dict[str, Any]:
    row = atlas.get_atlas(services, actor, project_id=project_id, slug=slug)
    settings = _settings(body, atlas.settings_of(row))
    return atlas_json(
        atlas.update_atlas(services, actor, project_id=project_id, slug=slug, settings=settings)
    )


@router.delete("/projects/{project_id}/atlases/{slug}")
def delete_atlas(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, slug: str
) -> dict[str, bool]:
    atlas.delete_atlas(services, actor, project_id=project_id, slug=slug)
    return {"success": True}


@router.get("/projects/{project_id}/atlases/{slug}/withdrawals")
def list_withdrawals(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, slug: str
) -> list[dict[str, str]]:
    return [
        {"instanceId": instance_id, "reason": reason}
        for instance_id, reason in atlas.withdrawals(
            services, actor, project_id=project_id, slug=slug
        )
    ]


@router.post("/projects/{project_id}/atlases/{slug}/withdrawals")
def withdraw(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, slug: str, body: Any = Body(...)
) -> dict[str, bool]:
    instance_id = body.get("instanceId") if isinstance(body, dict) else None
    reason = body.get("reason", "consent") if isinstance(body, dict) else None
    if not isinstance(instance_id, str):
        raise problems.missing_parameter("instanceId")
    if not isinstance(reason, str):
        raise problems.unexpected_value("reason", str(reason)[:80], "consent or error.")
    atlas.withdraw(
        services, actor, project_id=project_id, slug=slug, instance_id=instance_id, reason=reason
    )
    return {"success": True}


@router.delete("/projects/{project_id}/atlases/{slug}/withdrawals/{instance_id}")
def restore(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, slug: str, instance_id: str
) -> dict[str, bool]:
    atlas.restore(services, actor, project_id=project_id, slug=slug, instance_id=instance_id)
    return {"success": True}
