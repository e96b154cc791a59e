"""The OpenRosa endpoints ODK Collect calls: form list, manifest, and submission.

Form and media downloads are the REST endpoints in `forms.py` (the same URLs Central
uses). Everything here answers with OpenRosa XML, errors included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import lru_cache
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from server import problems
from server.domain import Services, datasets, forms, submissions
from server.domain.access import Actor
from server.domain.projects import accepts_phone_requests
from server.domain.submissions import IncomingFile
from server.formats import openrosa
from server.http.auth import ActorDep, CredentialsDep, ServicesDep, phone_caller
from server.http.params import DatabaseId, check_declared_length, require_openrosa_version
from server.http.reads import ingest_phone_submission, run_phone_read
from server.http.urls import form_base, project_base

router = APIRouter(tags=["openrosa"])

OPENROSA_XML = "text/xml; charset=utf-8"
XML_PART = "xml_submission_file"
OPENROSA_ONLY = [Depends(require_openrosa_version)]
"""For the OpenRosa routes solved through dependencies: the version is checked first."""


@router.get("/projects/{project_id}/formList")
async def form_list(
    request: Request,
    project_id: DatabaseId,
    formID: str | None = None,  # noqa: N803 - Central's query parameter
) -> Response:
    require_openrosa_version(request)
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
            xml_form_id=formID,
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


@router.get("/projects/{project_id}/forms/{xml_form_id}/manifest", dependencies=OPENROSA_ONLY)
def manifest(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
) -> Response:
    form, definition = forms.published_definition(
        services, actor, project_id=project_id, xml_form_id=xml_form_id
    )
    assert definition.id is not None
    base = form_base(request, services.settings, project_id, form.xml_form_id)
    return manifest_response(
        services, definition.id, base, project_base(request, services.settings, project_id), actor
    )


def manifest_response(
    services: Services,
    form_def_id: int,
    form_url: str,
    project_url: str | None = None,
    actor: Actor | None = None,
) -> Response:
    """The OpenRosa manifest of a form definition's uploaded media and linked entity
    lists, under ``form_url``; an entity list's hash changes exactly when the list does,
    and ``project_url`` gives its integrity URL."""
    files = []
    for attachment, blob in forms.attachments_with_blobs(services, form_def_id=form_def_id):
        url = f"{form_url}/attachments/{quote(attachment.name, safe='')}"
        dataset = datasets.linked_dataset(services, attachment)
        if dataset is not None:
            integrity = (
                f"{project_url}/datasets/{quote(dataset.name, safe='')}/integrity"
                if project_url
                else None
            )
            files.append(
                openrosa.MediaFile(
                    name=attachment.name,
                    md5=datasets.list_hash(dataset, datasets.list_owner(dataset, actor)),
                    download_url=url,
                    # Collect keeps its offline creates only in a list that needs no
                    # approval (Central 2025.2).
                    type="approvalEntityList" if dataset.approval_required else "entityList",
                    integrity_url=integrity,
                )
            )
        elif blob is not None:
            files.append(openrosa.MediaFile(name=attachment.name, md5=blob.md5, download_url=url))
    return Response(openrosa.manifest(files), media_type=OPENROSA_XML)


@router.head("/projects/{project_id}/submission", dependencies=OPENROSA_ONLY)
@router.get("/projects/{project_id}/submission", dependencies=OPENROSA_ONLY)
def submission_preflight(
    services: ServicesDep, credentials: CredentialsDep, project_id: DatabaseId
) -> Response:
    accepts_phone_requests(services, credentials, project_id)
    return Response(
        status_code=204,
        headers={"X-OpenRosa-Accept-Content-Length": str(services.settings.max_submission_bytes)},
    )


@router.post("/projects/{project_id}/submission")
async def submit(
    request: Request,
    project_id: DatabaseId,
    deviceID: str | None = None,  # noqa: N803 - the query parameter Collect sends
) -> Response:
    require_openrosa_version(request)
    services, credentials = phone_caller(request)
    if credentials.anonymous:
        raise problems.authentication_failed()
    async with submission_parts(request, services) as (xml, files):
        with credentials_refused():
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


@router.head(
    "/projects/{project_id}/forms/{xml_form_id}/draft/submission", dependencies=OPENROSA_ONLY
)
@router.get(
    "/projects/{project_id}/forms/{xml_form_id}/draft/submission", dependencies=OPENROSA_ONLY
)
def draft_submission_preflight(
    services: ServicesDep, credentials: CredentialsDep, project_id: DatabaseId, xml_form_id: str
) -> Response:
    return submission_preflight(services, credentials, project_id)


@router.post(
    "/projects/{project_id}/forms/{xml_form_id}/draft/submission", dependencies=OPENROSA_ONLY
)
async def draft_submit(
    request: Request,
    services: ServicesDep,
    credentials: CredentialsDep,
    project_id: DatabaseId,
    xml_form_id: str,
    deviceID: str | None = None,  # noqa: N803 - the query parameter Collect sends
) -> Response:
    """A web user's test submission to a form's draft (Central's draft submission URL):
    kept with the draft, apart from the form's real submissions, dropped on publishing."""
    if credentials.anonymous:
        raise problems.authentication_failed()
    async with submission_parts(request, services) as (xml, files):
        with credentials_refused():
            await run_in_threadpool(
                submissions.ingest,
                services,
                credentials,
                project_id=project_id,
                xml=xml,
                files=files,
                device_id=deviceID or None,
                user_agent=request.headers.get("user-agent"),
                expected_form_id=xml_form_id,
                draft=True,
            )
    return Response(
        openrosa.response("full submission upload was successful!"),
        status_code=201,
        media_type=OPENROSA_XML,
    )


@contextmanager
def credentials_refused() -> Iterator[None]:
    """Central answers a phone that may not submit to a form as if its credentials were
    wrong (401.2 rather than 403.1), so that Collect asks for them again."""
    try:
        yield
    except problems.Problem as problem:
        if problem.code == "403.1":
            raise problems.authentication_failed() from problem
        raise


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
            IncomingFile(name=key, content_type=part.content_type, file=part.file)
            for key, part in form.multi_items()
            if key != XML_PART and isinstance(part, UploadFile)
        ]
        yield xml, files
    finally:
        await form.close()
