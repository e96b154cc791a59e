"""``/v1/projects/{id}/forms``: uploading, listing and reading forms, their XML and media,
draft attachments and publishing."""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response

from server import problems
from server.data.xform import FieldInfo
from server.domain import forms
from server.formats.central_json import form_attachment_json, form_json
from server.http.auth import ActorDep, ServicesDep
from server.http.params import bounded_body, flag

router = APIRouter(tags=["forms"])

XML_MEDIA_TYPE = "application/xml"


@router.post("/projects/{project_id}/forms")
async def create_form(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: int,
    publish: str | None = None,
    ignoreWarnings: str | None = None,  # noqa: N803 - Central's name
) -> dict[str, Any]:
    body = await bounded_body(request, services.settings.max_form_bytes)
    fallback = request.headers.get("x-xlsform-formid-fallback")
    definition = await run_in_threadpool(
        forms.prepare_definition,
        body,
        request.headers.get("content-type", ""),
        form_id_fallback=fallback,
        ignore_warnings=flag(ignoreWarnings, name="ignoreWarnings"),
    )
    form = await run_in_threadpool(
        forms.create_form,
        services,
        actor,
        project_id=project_id,
        definition=definition,
        publish=flag(publish, name="publish"),
    )
    view = await run_in_threadpool(
        forms.get_form, services, actor, project_id=project_id, xml_form_id=form.xml_form_id
    )
    return form_json(view.form, view.definition)


@router.get("/projects/{project_id}/forms")
def list_forms(services: ServicesDep, actor: ActorDep, project_id: int) -> list[dict[str, Any]]:
    return [
        form_json(view.form, view.definition)
        for view in forms.list_forms(services, actor, project_id=project_id)
    ]


@router.get("/projects/{project_id}/forms/{xml_form_id}.xml")
def form_xml(services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str) -> Response:
    _, definition = forms.published_definition(
        services, actor, project_id=project_id, xml_form_id=xml_form_id
    )
    return Response(definition.xml, media_type=XML_MEDIA_TYPE)


@router.get("/projects/{project_id}/forms/{xml_form_id}")
def get_form(
    services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str
) -> dict[str, Any]:
    view = forms.get_form(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    return form_json(view.form, view.definition)


@router.get("/projects/{project_id}/forms/{xml_form_id}/fields")
def form_fields(
    services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str
) -> list[dict[str, Any]]:
    view = forms.get_form(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    assert view.definition is not None
    return [FieldInfo.from_json(f).as_json() for f in view.definition.schema_]


@router.get("/projects/{project_id}/forms/{xml_form_id}/attachments")
def list_form_attachments(
    services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str
) -> list[dict[str, Any]]:
    _, definition = forms.published_definition(
        services, actor, project_id=project_id, xml_form_id=xml_form_id
    )
    assert definition.id is not None
    return [
        form_attachment_json(a, b)
        for a, b in forms.attachments_with_blobs(services, form_def_id=definition.id)
    ]


@router.get("/projects/{project_id}/forms/{xml_form_id}/attachments/{name}")
def form_attachment(
    services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str, name: str
) -> Response:
    attachment, blob = forms.attachment_blob(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, name=name
    )
    return _blob_response(services, blob.sha256, attachment.content_type, attachment.name)


@router.get("/projects/{project_id}/forms/{xml_form_id}/draft/attachments")
def list_draft_attachments(
    services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str
) -> list[dict[str, Any]]:
    view = forms.get_form(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    if view.draft is None or view.draft.id is None:
        raise problems.not_found()
    return [
        form_attachment_json(a, b)
        for a, b in forms.attachments_with_blobs(services, form_def_id=view.draft.id)
    ]


@router.post("/projects/{project_id}/forms/{xml_form_id}/draft/attachments/{name}")
async def upload_draft_attachment(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: int,
    xml_form_id: str,
    name: str,
) -> dict[str, bool]:
    body = await bounded_body(request, services.settings.max_form_bytes)
    await run_in_threadpool(
        forms.set_draft_attachment,
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        name=name,
        content=io.BytesIO(body),
        content_type=request.headers.get("content-type"),
    )
    return {"success": True}


@router.get("/projects/{project_id}/forms/{xml_form_id}/draft/attachments/{name}")
def draft_attachment(
    services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str, name: str
) -> Response:
    attachment, blob = forms.attachment_blob(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, name=name, draft=True
    )
    return _blob_response(services, blob.sha256, attachment.content_type, attachment.name)


@router.post("/projects/{project_id}/forms/{xml_form_id}/draft/publish")
def publish_draft(
    services: ServicesDep,
    actor: ActorDep,
    project_id: int,
    xml_form_id: str,
    version: str | None = None,
) -> dict[str, bool]:
    forms.publish_draft(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, version=version
    )
    return {"success": True}


def _blob_response(
    services: ServicesDep, sha256: str, content_type: str | None, name: str
) -> Response:
    return FileResponse(
        services.blobs.path(sha256),
        media_type=content_type or "application/octet-stream",
        filename=name,
        content_disposition_type="attachment",
    )
