"""Trying a draft on a phone before publishing it, as Central offers.

ODK Collect is configured with ``/v1/test/{draftToken}/projects/{id}/forms/{xmlFormId}/draft``
(the token is the form's ``draftToken``); under it sit a form list holding only the
draft, its XML, manifest and media, and a submission endpoint. Test submissions are kept
apart from real ones and are dropped when the draft is published or abandoned. A token
that does not match the form's current draft is 404.1.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from server import problems
from server.domain import forms, submissions
from server.formats import openrosa
from server.http.auth import ServicesDep
from server.http.files import blob_download
from server.http.urls import draft_test_form_base
from server.resources.openrosa import OPENROSA_XML, manifest_response, submission_parts

router = APIRouter(tags=["draft testing"])

BASE = "/projects/{project_id}/forms/{xml_form_id}/draft"


@router.get(BASE + "/formList")
def draft_form_list(
    request: Request, services: ServicesDep, draft_token: str, project_id: int, xml_form_id: str
) -> Response:
    form, draft = forms.draft_by_token(
        services, token=draft_token, project_id=project_id, xml_form_id=xml_form_id
    )
    assert draft.id is not None
    base = draft_test_form_base(
        request, services.settings, draft_token, project_id, form.xml_form_id
    )
    has_media = bool(forms.attachments_with_blobs(services, form_def_id=draft.id))
    entry = openrosa.FormListEntry(
        form_id=form.xml_form_id,
        name=draft.name or form.xml_form_id,
        version=draft.version,
        md5=draft.md5,
        download_url=f"{base}.xml",
        manifest_url=f"{base}/manifest" if has_media else None,
    )
    return Response(openrosa.form_list([entry]), media_type=OPENROSA_XML)


@router.get("/projects/{project_id}/forms/{xml_form_id}/draft.xml")
def draft_xml(
    services: ServicesDep, draft_token: str, project_id: int, xml_form_id: str
) -> Response:
    _, draft = forms.draft_by_token(
        services, token=draft_token, project_id=project_id, xml_form_id=xml_form_id
    )
    return Response(draft.xml, media_type="application/xml")


@router.get(BASE + "/manifest")
def draft_manifest(
    request: Request, services: ServicesDep, draft_token: str, project_id: int, xml_form_id: str
) -> Response:
    form, draft = forms.draft_by_token(
        services, token=draft_token, project_id=project_id, xml_form_id=xml_form_id
    )
    assert draft.id is not None
    base = draft_test_form_base(
        request, services.settings, draft_token, project_id, form.xml_form_id
    )
    return manifest_response(services, draft.id, base)


@router.get(BASE + "/attachments/{name}")
def draft_media(
    services: ServicesDep, draft_token: str, project_id: int, xml_form_id: str, name: str
) -> Response:
    _, draft = forms.draft_by_token(
        services, token=draft_token, project_id=project_id, xml_form_id=xml_form_id
    )
    assert draft.id is not None
    for attachment, blob in forms.attachments_with_blobs(services, form_def_id=draft.id):
        if attachment.name == name and blob is not None:
            return blob_download(services, blob.sha256, attachment.content_type, attachment.name)
    raise problems.not_found()


@router.head(BASE + "/submission")
@router.get(BASE + "/submission")
def draft_submission_preflight(
    services: ServicesDep, draft_token: str, project_id: int, xml_form_id: str
) -> Response:
    forms.draft_by_token(
        services, token=draft_token, project_id=project_id, xml_form_id=xml_form_id
    )
    return Response(
        status_code=204,
        headers={"X-OpenRosa-Accept-Content-Length": str(services.settings.max_submission_bytes)},
    )


@router.post(BASE + "/submission")
async def draft_submit(
    request: Request,
    services: ServicesDep,
    draft_token: str,
    project_id: int,
    xml_form_id: str,
    deviceID: str | None = None,  # noqa: N803 - the query parameter Collect sends
) -> Response:
    async with submission_parts(request, services) as (xml, files):
        await run_in_threadpool(
            submissions.ingest_draft_test,
            services,
            token=draft_token,
            project_id=project_id,
            xml_form_id=xml_form_id,
            xml=xml,
            files=files,
            device_id=deviceID or None,
            user_agent=request.headers.get("user-agent"),
        )
    return Response(
        openrosa.response("full submission upload was successful!"),
        status_code=201,
        media_type=OPENROSA_XML,
    )
