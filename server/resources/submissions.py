"""``/v1/projects/{id}/forms/{xmlFormId}/submissions``: reading, creating, editing and
reviewing submissions, their versions, comments, attachments and audit entries."""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from server import problems
from server.domain import submissions
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
from server.http.params import bounded_body, extended

router = APIRouter(tags=["submissions"])

BASE = "/projects/{project_id}/forms/{xml_form_id}/submissions"


@router.get(BASE)
def list_submissions(
    request: Request, services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str
) -> list[dict[str, Any]]:
    views = submissions.list_submissions(
        services, actor, project_id=project_id, xml_form_id=xml_form_id
    )
    return [_render(services, request, view) for view in views]


@router.post(BASE)
async def create_submission(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: int,
    xml_form_id: str,
    deviceID: str | None = None,  # noqa: N803 - Central's name
) -> dict[str, Any]:
    """A submission as a raw XML body (pyODK's ``submissions.create``)."""
    xml = await bounded_body(request, services.settings.max_submission_bytes)
    result = await run_in_threadpool(
        submissions.ingest,
        services,
        actor,
        project_id=project_id,
        xml=xml,
        files=[],
        device_id=deviceID or None,
        user_agent=request.headers.get("user-agent"),
        expected_form_id=xml_form_id,
    )
    if not result.created:
        raise problems.uniqueness_violation(["instanceID"], [result.definition.instance_id])
    data = submission_json(result.submission, result.definition)
    del data["reviewState"], data["deletedAt"]
    return data


@router.get(BASE + "/{instance_id}.xml")
def submission_xml(
    services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str, instance_id: str
) -> Response:
    view = submissions.get_submission(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, instance_id=instance_id
    )
    return Response(view.definition.xml, media_type="application/xml")


@router.get(BASE + "/{instance_id}")
def get_submission(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
) -> dict[str, Any]:
    view = submissions.get_submission(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, instance_id=instance_id
    )
    return _render(services, request, view)


@router.patch(BASE + "/{instance_id}")
def review_submission(
    services: ServicesDep,
    actor: ActorDep,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    body: dict[str, Any] = Body(...),
) -> dict[str, Any]:
    submission = submissions.set_review_state(
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        instance_id=instance_id,
        review_state=body.get("reviewState"),
    )
    return submission_row_json(submission)


@router.put(BASE + "/{instance_id}")
async def edit_submission(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
) -> dict[str, Any]:
    xml = await bounded_body(request, services.settings.max_submission_bytes)
    result = await run_in_threadpool(
        submissions.edit,
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        instance_id=instance_id,
        xml=xml,
        user_agent=request.headers.get("user-agent"),
    )
    return submission_json(result.submission, result.definition)


@router.get(BASE + "/{instance_id}/comments")
def list_comments(
    services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str, instance_id: str
) -> list[dict[str, Any]]:
    return [
        comment_json(c)
        for c in submissions.list_comments(
            services,
            actor,
            project_id=project_id,
            xml_form_id=xml_form_id,
            instance_id=instance_id,
        )
    ]


@router.post(BASE + "/{instance_id}/comments")
def add_comment(
    services: ServicesDep,
    actor: ActorDep,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    body: dict[str, Any] = Body(...),
) -> dict[str, Any]:
    comment = submissions.add_comment(
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        instance_id=instance_id,
        body=body.get("body"),
    )
    return comment_json(comment)


@router.get(BASE + "/{instance_id}/versions")
def list_versions(
    services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str, instance_id: str
) -> list[dict[str, Any]]:
    return [
        submission_version_json(d)
        for d in submissions.list_versions(
            services,
            actor,
            project_id=project_id,
            xml_form_id=xml_form_id,
            instance_id=instance_id,
        )
    ]


@router.get(BASE + "/{instance_id}/versions/{version_id}.xml")
def version_xml(
    services: ServicesDep,
    actor: ActorDep,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    version_id: str,
) -> Response:
    definition = submissions.get_version(
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        instance_id=instance_id,
        version_id=version_id,
    )
    return Response(definition.xml, media_type="application/xml")


@router.get(BASE + "/{instance_id}/versions/{version_id}")
def get_version(
    services: ServicesDep,
    actor: ActorDep,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    version_id: str,
) -> dict[str, Any]:
    definition = submissions.get_version(
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        instance_id=instance_id,
        version_id=version_id,
    )
    return submission_version_json(definition)


@router.get(BASE + "/{instance_id}/versions/{version_id}/attachments")
def list_version_attachments(
    services: ServicesDep,
    actor: ActorDep,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    version_id: str,
) -> list[dict[str, Any]]:
    return [
        submission_attachment_json(a)
        for a in submissions.list_attachments(
            services,
            actor,
            project_id=project_id,
            xml_form_id=xml_form_id,
            instance_id=instance_id,
            version_id=version_id,
        )
    ]


@router.get(BASE + "/{instance_id}/versions/{version_id}/attachments/{name}")
def version_attachment(
    services: ServicesDep,
    actor: ActorDep,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    version_id: str,
    name: str,
) -> Response:
    found, blob = submissions.attachment_blob(
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        instance_id=instance_id,
        name=name,
        version_id=version_id,
    )
    return blob_download(services, blob.sha256, found.content_type, found.name)


@router.get(BASE + "/{instance_id}/audits")
def submission_audits(
    services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str, instance_id: str
) -> list[dict[str, Any]]:
    return [
        audit_json(v.audit, v.actor)
        for v in submissions.submission_audits(
            services,
            actor,
            project_id=project_id,
            xml_form_id=xml_form_id,
            instance_id=instance_id,
        )
    ]


@router.post(BASE + "/{instance_id}/attachments/{name}")
async def upload_attachment(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    name: str,
) -> dict[str, bool]:
    body = await bounded_body(request, services.settings.max_submission_bytes)
    await run_in_threadpool(
        submissions.upload_attachment,
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        instance_id=instance_id,
        name=name,
        content=io.BytesIO(body),
        content_type=request.headers.get("content-type"),
    )
    return {"success": True}


@router.get(BASE + "/{instance_id}/attachments")
def list_attachments(
    services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str, instance_id: str
) -> list[dict[str, Any]]:
    return [
        submission_attachment_json(a)
        for a in submissions.list_attachments(
            services,
            actor,
            project_id=project_id,
            xml_form_id=xml_form_id,
            instance_id=instance_id,
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
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    name: str,
) -> Response:
    found, blob = submissions.attachment_blob(
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        instance_id=instance_id,
        name=name,
    )
    return blob_download(services, blob.sha256, found.content_type, found.name)
