"""The OpenRosa endpoints ODK Collect calls: form list, manifest, and submission.

Form and media downloads are the REST endpoints in `forms.py` (the same URLs Central
uses). Everything here answers with OpenRosa XML, errors included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from server import problems
from server.domain import Services, forms
from server.domain.accounts import resolve_caller
from server.domain.submissions import IncomingFile
from server.formats import openrosa
from server.http.auth import ActorDep, CredentialsDep, ServicesDep, phone_caller
from server.http.params import check_declared_length
from server.http.reads import ingest_phone_submission, run_phone_read
from server.http.urls import form_base, project_base

router = APIRouter(tags=["openrosa"])

OPENROSA_XML = "text/xml; charset=utf-8"
XML_PART = "xml_submission_file"


@router.get("/projects/{project_id}/formList")
async def form_list(request: Request, project_id: int) -> Response:
    services, credentials = phone_caller(request)
    if credentials.anonymous:
        raise problems.authentication_failed()
    forms_base = f"{project_base(request, services.settings, project_id)}/forms/"
    phone_forms = tuple(
        await run_phone_read(
            services,
            credentials,
            forms.open_forms_for_phone,
            services,
            credentials,
            project_id=project_id,
        )
    )
    return Response(_form_list_document(forms_base, phone_forms), media_type=OPENROSA_XML)


# Phones ask for the same list over and over; the document follows from its arguments.
@lru_cache(maxsize=256)
def _form_list_document(forms_base: str, phone_forms: tuple[forms.PhoneForm, ...]) -> bytes:
    entries = []
    for form in phone_forms:
        base = forms_base + quote(form.xml_form_id, safe="")
        entries.append(
            openrosa.FormListEntry(
                form_id=form.xml_form_id,
                name=form.name or form.xml_form_id,
                version=form.version,
                md5=form.md5,
                download_url=f"{base}.xml",
                manifest_url=f"{base}/manifest" if form.has_media else None,
            )
        )
    return openrosa.form_list(entries).encode()


@router.get("/projects/{project_id}/forms/{xml_form_id}/manifest")
def manifest(
    request: Request, services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str
) -> Response:
    form, definition = forms.published_definition(
        services, actor, project_id=project_id, xml_form_id=xml_form_id
    )
    assert definition.id is not None
    base = form_base(request, services.settings, project_id, form.xml_form_id)
    return manifest_response(services, definition.id, base)


def manifest_response(services: Services, form_def_id: int, form_url: str) -> Response:
    """The OpenRosa manifest of a form definition's uploaded media, under ``form_url``."""
    files = [
        openrosa.MediaFile(
            name=attachment.name,
            md5=blob.md5,
            download_url=f"{form_url}/attachments/{quote(attachment.name, safe='')}",
        )
        for attachment, blob in forms.attachments_with_blobs(services, form_def_id=form_def_id)
        if blob is not None
    ]
    return Response(openrosa.manifest(files), media_type=OPENROSA_XML)


@router.head("/projects/{project_id}/submission")
@router.get("/projects/{project_id}/submission")
def submission_preflight(
    services: ServicesDep, credentials: CredentialsDep, project_id: int
) -> Response:
    if credentials.anonymous:
        raise problems.authentication_failed()
    resolve_caller(services, credentials)
    return Response(
        status_code=204,
        headers={"X-OpenRosa-Accept-Content-Length": str(services.settings.max_submission_bytes)},
    )


@router.post("/projects/{project_id}/submission")
async def submit(
    request: Request,
    project_id: int,
    deviceID: str | None = None,  # noqa: N803 - the query parameter Collect sends
) -> Response:
    services, credentials = phone_caller(request)
    if credentials.anonymous:
        raise problems.authentication_failed()
    async with submission_parts(request, services) as (xml, files):
        await ingest_phone_submission(
            services,
            credentials,
            project_id=project_id,
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


@asynccontextmanager
async def submission_parts(
    request: Request, services: Services
) -> AsyncIterator[tuple[bytes, list[IncomingFile]]]:
    """The XML and the files of a multipart submission, open for the block's duration."""
    settings = services.settings
    check_declared_length(request, settings.max_submission_bytes)
    try:
        form = await request.form(
            max_files=settings.max_submission_parts,
            max_fields=settings.max_submission_parts,
            max_part_size=settings.max_submission_bytes,
        )
    except MultiPartException as error:
        raise problems.multipart_parsing_failed(error.message) from error
    try:
        xml_part = form.get(XML_PART)
        if xml_part is None:
            raise problems.missing_multipart_field(XML_PART)
        xml = await xml_part.read() if isinstance(xml_part, UploadFile) else xml_part.encode()
        files = [
            IncomingFile(
                name=part.filename or key,
                content_type=part.content_type,
                file=part.file,
                field=key,
            )
            for key, part in form.multi_items()
            if key != XML_PART and isinstance(part, UploadFile)
        ]
        yield xml, files
    finally:
        await form.close()
