"""``/v1/projects/{id}/forms/{xmlFormId}/submissions``: reading, creating, editing,
reviewing, deleting and restoring submissions, their versions, comments, attachments and
audit entries, and a draft's test submissions. Each route receives the form or the
submission it addresses as one value (`FormRef`, `SubmissionRef`)."""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from server import problems
from server.domain import Services, submissions
from server.domain.access import Actor
from server.formats.central_json import (
    audit_json,
    comment_json,
    submission_attachment_json,
    submission_extended_json,
    submission_json,
    submission_row_json,
    submission_version_json,
)
from server.http.auth import ActorDep, ServicesDep
from server.http.files import blob_download
from server.http.middleware import restore_encoded_slashes
from server.http.params import FormRef, FormRefDep, SubmissionRefDep, bounded_body, extended, flag

# Free-form instanceIDs may hold a slash, sent encoded (%2F).
router = APIRouter(tags=["submissions"], dependencies=[Depends(restore_encoded_slashes)])

BASE = "/projects/{project_id}/forms/{xml_form_id}/submissions"


@router.get(BASE)
def list_submissions(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    form: FormRefDep,
    deleted: str | None = None,
) -> list[dict[str, Any]]:
    """The submissions, or with ``?deleted=true`` those in the trash."""
    views = submissions.list_submissions(
        services,
        actor,
        **form.where(),
        deleted=flag(deleted, name="deleted"),
    )
    return [_render(services, request, view) for view in views]


DRAFT_BASE = "/projects/{project_id}/forms/{xml_form_id}/draft/submissions"
"""A draft's test submissions (sent through ``…/draft/submission`` or its test URL)."""


@router.get(DRAFT_BASE)
def list_draft_submissions(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    form: FormRefDep,
) -> list[dict[str, Any]]:
    views = submissions.list_submissions(services, actor, **form.where(), draft=True)
    return [_render(services, request, view) for view in views]


@router.get(DRAFT_BASE + "/{instance_id}")
def get_draft_submission(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
) -> dict[str, Any]:
    view = submissions.get_submission(
        services,
        actor,
        **ref.where(),
        draft=True,
    )
    return _render(services, request, view)


@router.delete(BASE + "/{instance_id}")
def delete_submission(
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
) -> dict[str, bool]:
    submissions.delete_submission(services, actor, **ref.where())
    return {"success": True}


@router.post(BASE + "/{instance_id}/restore")
def restore_submission(
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
) -> dict[str, bool]:
    submissions.restore_submission(services, actor, **ref.where())
    return {"success": True}


@router.post(BASE)
async def create_submission(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    form: FormRefDep,
    deviceID: str | None = None,  # noqa: N803 - Central's name
) -> dict[str, Any]:
    """A submission as a raw XML body (pyODK's ``submissions.create``)."""
    return await _create(request, services, actor, form, deviceID, draft=False)


@router.post(DRAFT_BASE)
async def create_draft_submission(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    form: FormRefDep,
    deviceID: str | None = None,  # noqa: N803 - Central's name
) -> dict[str, Any]:
    """A test submission to the form's draft as a raw XML body; dropped on publishing."""
    return await _create(request, services, actor, form, deviceID, draft=True)


async def _create(
    request: Request,
    services: Services,
    actor: Actor,
    form: FormRef,
    device_id: str | None,
    *,
    draft: bool,
) -> dict[str, Any]:
    xml = await bounded_body(request, services.settings.max_submission_bytes)
    result = await run_in_threadpool(
        submissions.ingest,
        services,
        actor,
        project_id=form.project_id,
        xml=xml,
        files=[],
        device_id=device_id or None,
        user_agent=request.headers.get("user-agent"),
        expected_form_id=form.xml_form_id,
        draft=draft,
    )
    if not result.created:
        raise problems.uniqueness_violation(["instanceID"], [result.definition.instance_id])
    data = submission_json(result.submission, result.definition)
    del data["reviewState"], data["deletedAt"]
    return data


@router.get(BASE + "/{instance_id}.xml")
def submission_xml(
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
) -> Response:
    view = submissions.get_submission(services, actor, **ref.where())
    return Response(view.definition.xml, media_type="application/xml")


@router.get(BASE + "/{instance_id}")
def get_submission(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
) -> dict[str, Any]:
    view = submissions.get_submission(services, actor, **ref.where())
    return _render(services, request, view)


@router.patch(BASE + "/{instance_id}")
def review_submission(
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
    body: dict[str, Any] = Body(...),
) -> dict[str, Any]:
    submission = submissions.set_review_state(
        services,
        actor,
        **ref.where(),
        review_state=body.get("reviewState"),
    )
    return submission_row_json(submission)


@router.put(BASE + "/{instance_id}")
async def edit_submission(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
) -> dict[str, Any]:
    xml = await bounded_body(request, services.settings.max_submission_bytes)
    result = await run_in_threadpool(
        submissions.edit,
        services,
        actor,
        **ref.where(),
        xml=xml,
        user_agent=request.headers.get("user-agent"),
    )
    return submission_json(result.submission, result.definition)


@router.get(BASE + "/{instance_id}/comments")
def list_comments(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
) -> list[dict[str, Any]]:
    # Central adds the author as an Actor under X-Extended-Metadata.
    with_actor = extended(request)
    return [
        comment_json(c, author if with_actor else None)
        for c, author in submissions.list_comments(
            services,
            actor,
            **ref.where(),
        )
    ]


@router.post(BASE + "/{instance_id}/comments")
def add_comment(
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
    body: dict[str, Any] = Body(...),
) -> dict[str, Any]:
    comment = submissions.add_comment(
        services,
        actor,
        **ref.where(),
        body=body.get("body"),
    )
    return comment_json(comment)


@router.get(BASE + "/{instance_id}/versions")
def list_versions(
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
) -> list[dict[str, Any]]:
    return [
        submission_version_json(d)
        for d in submissions.list_versions(
            services,
            actor,
            **ref.where(),
        )
    ]


@router.get(BASE + "/{instance_id}/versions/{version_id}.xml")
def version_xml(
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
    version_id: str,
) -> Response:
    definition = submissions.get_version(
        services,
        actor,
        **ref.where(),
        version_id=version_id,
    )
    return Response(definition.xml, media_type="application/xml")


@router.get(BASE + "/{instance_id}/versions/{version_id}")
def get_version(
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
    version_id: str,
) -> dict[str, Any]:
    definition = submissions.get_version(
        services,
        actor,
        **ref.where(),
        version_id=version_id,
    )
    return submission_version_json(definition)


@router.get(BASE + "/{instance_id}/versions/{version_id}/attachments")
def list_version_attachments(
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
    version_id: str,
) -> list[dict[str, Any]]:
    return [
        submission_attachment_json(a)
        for a in submissions.list_attachments(
            services,
            actor,
            **ref.where(),
            version_id=version_id,
        )
    ]


@router.get(BASE + "/{instance_id}/versions/{version_id}/attachments/{name}")
def version_attachment(
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
    version_id: str,
    name: str,
) -> Response:
    found, blob = submissions.attachment_blob(
        services,
        actor,
        **ref.where(),
        name=name,
        version_id=version_id,
    )
    return blob_download(services, blob.sha256, found.content_type, found.name)


@router.get(BASE + "/{instance_id}/audits")
def submission_audits(
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
) -> list[dict[str, Any]]:
    return [
        audit_json(v.audit, v.actor)
        for v in submissions.submission_audits(
            services,
            actor,
            **ref.where(),
        )
    ]


@router.post(BASE + "/{instance_id}/attachments/{name}")
async def upload_attachment(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
    name: str,
) -> dict[str, bool]:
    body = await bounded_body(request, services.settings.max_submission_bytes)
    await run_in_threadpool(
        submissions.upload_attachment,
        services,
        actor,
        **ref.where(),
        name=name,
        content=io.BytesIO(body),
        content_type=request.headers.get("content-type"),
    )
    return {"success": True}


@router.get(BASE + "/{instance_id}/attachments")
def list_attachments(
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
) -> list[dict[str, Any]]:
    return [
        submission_attachment_json(a)
        for a in submissions.list_attachments(
            services,
            actor,
            **ref.where(),
        )
    ]


def _render(services: ServicesDep, request: Request, view: submissions.SubmissionView) -> Any:
    if not extended(request):
        return submission_json(view.submission, view.definition)
    return submission_extended_json(
        view.submission, view.definition, submissions.submitter_of(services, view.submission)
    )


@router.get(BASE + "/{instance_id}/attachments/{name}")
def attachment(
    services: ServicesDep,
    actor: ActorDep,
    ref: SubmissionRefDep,
    name: str,
) -> Response:
    found, blob = submissions.attachment_blob(
        services,
        actor,
        **ref.where(),
        name=name,
    )
    return blob_download(services, blob.sha256, found.content_type, found.name)
