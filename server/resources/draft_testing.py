"""Trying a draft on a phone before publishing it, as Central offers.

ODK Collect is configured with ``/v1/test/{draftToken}/projects/{id}/forms/{xmlFormId}/draft``
(the token is the form's ``draftToken``); under it sit a form list holding only the
draft, its XML, manifest and media, and a submission endpoint. Test submissions are kept
apart from real ones and are dropped when the draft is published or abandoned. A token
that does not match the form's current draft is 404.1. Every route receives the draft its
URL names (`TestDraftDep`), found once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from server.domain import forms, submissions
from server.formats import openrosa
from server.http.auth import ServicesDep
from server.http.params import DatabaseId
from server.http.urls import draft_test_form_base
from server.resources.forms import form_media_response
from server.resources.openrosa import (
    OPENROSA_ONLY,
    OPENROSA_XML,
    manifest_response,
    submission_parts,
)
from server.store.tables import Form, FormDef

router = APIRouter(tags=["draft testing"])

BASE = "/projects/{project_id}/forms/{xml_form_id}/draft"


@dataclass(frozen=True)
class TestDraft:
    """The draft a test URL names: its token, project, form and definition."""

    token: str
    project_id: int
    form: Form
    draft: FormDef

    @property
    def draft_id(self) -> int:
        assert self.draft.id is not None
        return self.draft.id

    def url(self, request: Request, services: ServicesDep) -> str:
        """The test URL of the draft's form, ``…/forms/{xmlFormId}/draft``."""
        return draft_test_form_base(
            request, services.settings, self.token, self.project_id, self.form.xml_form_id
        )


def _test_draft(
    services: ServicesDep, draft_token: str, project_id: DatabaseId, xml_form_id: str
) -> TestDraft:
    form, draft = forms.draft_by_token(
        services, token=draft_token, project_id=project_id, xml_form_id=xml_form_id
    )
    return TestDraft(draft_token, project_id, form, draft)


TestDraftDep = Annotated[TestDraft, Depends(_test_draft)]


@router.get(BASE + "/formList", dependencies=OPENROSA_ONLY)
def draft_form_list(request: Request, services: ServicesDep, test: TestDraftDep) -> Response:
    base = test.url(request, services)
    has_media = bool(forms.attachments_with_blobs(services, form_def_id=test.draft_id))
    entry = openrosa.FormListEntry(
        form_id=test.form.xml_form_id,
        name=test.draft.name or test.form.xml_form_id,
        version=test.draft.version,
        md5=test.draft.md5,
        download_url=f"{base}.xml",
        manifest_url=f"{base}/manifest" if has_media else None,
    )
    return Response(openrosa.form_list([entry]), media_type=OPENROSA_XML)


@router.get("/projects/{project_id}/forms/{xml_form_id}/draft.xml")
def draft_xml(test: TestDraftDep) -> Response:
    return Response(test.draft.xml, media_type="application/xml")


@router.get(BASE + "/manifest", dependencies=OPENROSA_ONLY)
def draft_manifest(request: Request, services: ServicesDep, test: TestDraftDep) -> Response:
    return manifest_response(services, test.draft_id, test.url(request, services))


@router.get(BASE + "/attachments/{name}")
def draft_media(request: Request, services: ServicesDep, test: TestDraftDep, name: str) -> Response:
    source = forms.definition_attachment(services, form_def_id=test.draft_id, name=name)
    return form_media_response(request, services, source)


@router.head(BASE + "/submission", dependencies=OPENROSA_ONLY)
@router.get(BASE + "/submission", dependencies=OPENROSA_ONLY)
def draft_submission_preflight(services: ServicesDep, test: TestDraftDep) -> Response:
    return Response(
        status_code=204,
        headers={"X-OpenRosa-Accept-Content-Length": str(services.settings.max_submission_bytes)},
    )


@router.post(BASE + "/submission", dependencies=OPENROSA_ONLY)
async def draft_submit(
    request: Request,
    services: ServicesDep,
    test: TestDraftDep,
    deviceID: str | None = None,  # noqa: N803 - the query parameter Collect sends
) -> Response:
    async with submission_parts(request, services) as (xml, files):
        await run_in_threadpool(
            submissions.ingest_draft_test,
            services,
            token=test.token,
            project_id=test.project_id,
            xml_form_id=test.form.xml_form_id,
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
