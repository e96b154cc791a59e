"""``/v1/projects/{id}/forms``: uploading, listing and reading forms, their XML and media,
draft attachments and publishing."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Body, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from server.data.xform import FieldInfo
from server.domain import Services, forms
from server.domain.access import Actor
from server.external.xlsform import XLSX_CONTENT_TYPE
from server.formats.central_json import form_attachment_json, form_extended_json, form_json
from server.http.auth import ActorDep, ServicesDep, phone_caller
from server.http.files import blob_download
from server.http.params import DatabaseId, bounded_body, extended, flag
from server.http.reads import run_phone_read
from server.resources.datasets import entity_list_response
from server.store.tables import Blob, Dataset, FormAttachment

router = APIRouter(tags=["forms"])

XML_MEDIA_TYPE = "application/xml"


@router.post("/projects/{project_id}/forms")
async def create_form(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    publish: str | None = None,
    ignoreWarnings: str | None = None,  # noqa: N803 - Central's name
) -> dict[str, Any]:
    definition = await _definition(request, services, ignoreWarnings)
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
def list_forms(
    request: Request, services: ServicesDep, actor: ActorDep, project_id: DatabaseId
) -> list[dict[str, Any]]:
    views = forms.list_forms(services, actor, project_id=project_id)
    if extended(request):
        return [form_extended(services, view) for view in views]
    return [form_json(view.form, view.definition) for view in views]


@router.get("/projects/{project_id}/forms/{xml_form_id}.xml")
async def form_xml(request: Request, project_id: DatabaseId, xml_form_id: str) -> Response:
    services, credentials = phone_caller(request)
    xml = await run_phone_read(
        services,
        credentials,
        forms.published_xform,
        services,
        credentials,
        project_id=project_id,
        xml_form_id=xml_form_id,
    )
    return Response(xml, media_type=XML_MEDIA_TYPE)


@router.get("/projects/{project_id}/forms/{xml_form_id}.xlsx")
def form_xlsx(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> Response:
    """The XLSForm the published version was made from, byte for byte."""
    sha = forms.xlsform_of(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    return blob_download(services, sha, XLSX_CONTENT_TYPE, f"{xml_form_id}.xlsx")


@router.get("/projects/{project_id}/forms/{xml_form_id}/draft.xlsx")
def draft_xlsx(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> Response:
    sha = forms.xlsform_of(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, draft=True
    )
    return blob_download(services, sha, XLSX_CONTENT_TYPE, f"{xml_form_id}.xlsx")


@router.get("/projects/{project_id}/forms/{xml_form_id}/versions/{version}.xlsx")
def version_xlsx(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str, version: str
) -> Response:
    sha = forms.xlsform_of(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, version=version
    )
    return blob_download(services, sha, XLSX_CONTENT_TYPE, f"{xml_form_id}.xlsx")


@router.get("/projects/{project_id}/forms/{xml_form_id}/draft.xml")
def draft_xml(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> Response:
    view = forms.draft_view(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    assert view.definition is not None
    return Response(view.definition.xml, media_type=XML_MEDIA_TYPE)


@router.get("/projects/{project_id}/forms/{xml_form_id}")
def get_form(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
) -> dict[str, Any]:
    view = forms.get_form(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    if extended(request):
        return form_extended(services, view)
    return form_json(view.form, view.definition)


@router.patch("/projects/{project_id}/forms/{xml_form_id}")
def update_form(
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
    body: dict[str, Any] = Body(...),
) -> dict[str, Any]:
    forms.set_state(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, state=body.get("state")
    )
    view = forms.get_form(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    return form_json(view.form, view.definition)


@router.delete("/projects/{project_id}/forms/{xml_form_id}")
def delete_form(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> dict[str, bool]:
    forms.delete_form(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    return {"success": True}


@router.post("/projects/{project_id}/forms/{xml_form_id}/draft")
async def create_draft(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
    ignoreWarnings: str | None = None,  # noqa: N803 - Central's name
) -> dict[str, bool]:
    has_body = request.headers.get("content-length") not in (None, "0") or request.headers.get(
        "transfer-encoding"
    )
    definition = await _definition(request, services, ignoreWarnings) if has_body else None
    await run_in_threadpool(
        forms.create_draft,
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        definition=definition,
    )
    return {"success": True}


@router.get("/projects/{project_id}/forms/{xml_form_id}/draft")
def get_draft(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> dict[str, Any]:
    view = forms.draft_view(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    return form_json(view.form, view.definition)


@router.delete("/projects/{project_id}/forms/{xml_form_id}/draft")
def delete_draft(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> dict[str, bool]:
    forms.delete_draft(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    return {"success": True}


@router.get("/projects/{project_id}/forms/{xml_form_id}/versions")
def list_versions(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> list[dict[str, Any]]:
    form, definitions = forms.list_versions(
        services, actor, project_id=project_id, xml_form_id=xml_form_id
    )
    return [form_json(form, definition) for definition in definitions]


@router.get("/projects/{project_id}/forms/{xml_form_id}/versions/{version}.xml")
def version_xml(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str, version: str
) -> Response:
    _, definition = forms.version_definition(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, version=version
    )
    return Response(definition.xml, media_type=XML_MEDIA_TYPE)


@router.get("/projects/{project_id}/forms/{xml_form_id}/versions/{version}")
def get_version(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str, version: str
) -> dict[str, Any]:
    form, definition = forms.version_definition(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, version=version
    )
    return form_json(form, definition)


@router.get("/projects/{project_id}/forms/{xml_form_id}/fields")
def form_fields(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> list[dict[str, Any]]:
    view = forms.get_form(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    assert view.definition is not None
    return [FieldInfo.from_json(f).as_json() for f in view.definition.schema_]


@router.get("/projects/{project_id}/forms/{xml_form_id}/attachments")
def list_form_attachments(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
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
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
    name: str,
) -> Response:
    source = forms.attachment_source(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, name=name
    )
    return form_media_response(request, services, source, actor)


@router.get("/projects/{project_id}/forms/{xml_form_id}/draft/attachments")
def list_draft_attachments(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str
) -> list[dict[str, Any]]:
    view = forms.draft_view(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    assert view.definition is not None and view.definition.id is not None
    return [
        form_attachment_json(a, b)
        for a, b in forms.attachments_with_blobs(services, form_def_id=view.definition.id)
    ]


@router.post("/projects/{project_id}/forms/{xml_form_id}/draft/attachments/{name}")
async def upload_draft_attachment(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
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
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
    name: str,
) -> Response:
    source = forms.attachment_source(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, name=name, draft=True
    )
    return form_media_response(request, services, source, actor)


@router.delete("/projects/{project_id}/forms/{xml_form_id}/draft/attachments/{name}")
def clear_draft_attachment(
    services: ServicesDep, actor: ActorDep, project_id: DatabaseId, xml_form_id: str, name: str
) -> dict[str, bool]:
    forms.clear_draft_attachment(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, name=name
    )
    return {"success": True}


@router.post("/projects/{project_id}/forms/{xml_form_id}/draft/publish")
def publish_draft(
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
    version: str | None = None,
) -> dict[str, bool]:
    forms.publish_draft(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, version=version
    )
    return {"success": True}


async def _definition(
    request: Request, services: ServicesDep, ignore_warnings: str | None
) -> forms.Definition:
    """The uploaded XForm or XLSForm of a request, compiled (off the event loop)."""
    body = await bounded_body(request, services.settings.max_form_bytes)
    fallback = request.headers.get("x-xlsform-formid-fallback")
    return await run_in_threadpool(
        forms.prepare_definition,
        body,
        request.headers.get("content-type", ""),
        # pyODK percent-encodes this header's value.
        form_id_fallback=unquote(fallback) if fallback else None,
        ignore_warnings=flag(ignore_warnings, name="ignoreWarnings"),
    )


def form_extended(services: ServicesDep, view: forms.FormView) -> dict[str, Any]:
    stats, created_by = forms.form_stats(services, view.form)
    return form_extended_json(view.form, view.definition, stats, created_by)


def form_media_response(
    request: Request,
    services: Services,
    source: tuple[FormAttachment, Blob | None, Dataset | None],
    actor: Actor | None = None,
) -> Response:
    """A form's media file as phones and browsers fetch it: the uploaded file, or the
    entity list of the dataset linked in its place."""
    attachment, blob, dataset = source
    if dataset is not None:
        return entity_list_response(request, services, dataset, attachment.name, actor)
    assert blob is not None
    return blob_download(services, blob.sha256, attachment.content_type, attachment.name)
