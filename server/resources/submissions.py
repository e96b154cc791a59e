"""``/v1/projects/{id}/forms/{xmlFormId}/submissions``: reading submissions, their XML and
their attachments."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from server.domain import submissions
from server.formats.central_json import submission_attachment_json, submission_json
from server.http.auth import ActorDep, ServicesDep

router = APIRouter(tags=["submissions"])

BASE = "/projects/{project_id}/forms/{xml_form_id}/submissions"


@router.get(BASE)
def list_submissions(
    services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str
) -> list[dict[str, Any]]:
    return [
        submission_json(view.submission, view.definition)
        for view in submissions.list_submissions(
            services, actor, project_id=project_id, xml_form_id=xml_form_id
        )
    ]


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
    services: ServicesDep, actor: ActorDep, project_id: int, xml_form_id: str, instance_id: str
) -> dict[str, Any]:
    view = submissions.get_submission(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, instance_id=instance_id
    )
    return submission_json(view.submission, view.definition)


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
    return FileResponse(
        services.blobs.path(blob.sha256),
        media_type=found.content_type or "application/octet-stream",
        filename=found.name,
        content_disposition_type="attachment",
    )
