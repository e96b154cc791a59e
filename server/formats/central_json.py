"""The JSON shapes of ODK Central's REST API: one function per resource.

Keys and their order follow Central's frames (``forApi``); timestamps are ISO 8601 in
UTC with milliseconds and a ``Z``, as Central writes them. pyODK's models expect some
keys to be present even when null (a form's ``enketoId``, ``keyId``, ``publishedAt``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.store.tables import (
    Actor,
    AuthSession,
    Blob,
    FieldKey,
    Form,
    FormAttachment,
    FormDef,
    Project,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
    User,
)


def timestamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def actor_json(actor: Actor) -> dict[str, Any]:
    return {
        "id": actor.id,
        "type": actor.type,
        "displayName": actor.display_name,
        "createdAt": timestamp(actor.created_at),
        "updatedAt": timestamp(actor.updated_at),
        "deletedAt": timestamp(actor.deleted_at),
    }


def user_json(actor: Actor, user: User) -> dict[str, Any]:
    return {**actor_json(actor), "email": user.email}


def session_json(session: AuthSession, token: str) -> dict[str, Any]:
    return {
        "token": token,
        "csrf": session.csrf,
        "expiresAt": timestamp(session.expires_at),
        "createdAt": timestamp(session.created_at),
    }


def app_user_json(actor: Actor, key: FieldKey) -> dict[str, Any]:
    return {
        **actor_json(actor),
        "token": key.token,
        "projectId": key.project_id,
        "createdBy": key.created_by,
    }


def project_json(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "archived": project.archived,
        "keyId": None,
        "createdAt": timestamp(project.created_at),
        "updatedAt": timestamp(project.updated_at),
        "deletedAt": timestamp(project.deleted_at),
    }


def form_json(form: Form, definition: FormDef | None) -> dict[str, Any]:
    return {
        "projectId": form.project_id,
        "xmlFormId": form.xml_form_id,
        "state": form.state,
        "enketoId": None,
        "enketoOnceId": None,
        "createdAt": timestamp(form.created_at),
        "updatedAt": timestamp(form.updated_at),
        "webformsEnabled": False,
        "keyId": definition.key_id if definition else None,
        "version": definition.version if definition else None,
        "hash": definition.md5 if definition else None,
        "sha256": definition.sha256 if definition else None,
        "draftToken": form.draft_token if definition and definition.published_at is None else None,
        "publishedAt": timestamp(definition.published_at) if definition else None,
        "name": definition.name if definition else None,
    }


def form_attachment_json(attachment: FormAttachment, blob: Blob | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": attachment.name,
        "type": attachment.type,
        "hash": blob.md5 if blob else None,
        "exists": attachment.blob_sha is not None,
        "blobExists": attachment.blob_sha is not None,
        "datasetExists": False,
    }
    if attachment.updated_at is not None:
        data["updatedAt"] = timestamp(attachment.updated_at)
    if blob is not None:
        data["size"] = blob.size
    return data


def submission_json(submission: Submission, definition: SubmissionDef) -> dict[str, Any]:
    return {
        "instanceId": submission.instance_id,
        "submitterId": submission.submitter_id,
        "deviceId": submission.device_id,
        "createdAt": timestamp(submission.created_at),
        "updatedAt": timestamp(submission.updated_at),
        "reviewState": submission.review_state,
        "userAgent": definition.user_agent,
        "deletedAt": timestamp(submission.deleted_at),
        "currentVersion": {
            "instanceId": definition.instance_id,
            "instanceName": definition.instance_name,
            "submitterId": definition.submitter_id,
            "deviceId": definition.device_id,
            "userAgent": definition.user_agent,
            "createdAt": timestamp(definition.created_at),
            "current": definition.current,
        },
    }


def submission_attachment_json(attachment: SubmissionAttachment) -> dict[str, Any]:
    return {"name": attachment.name, "exists": attachment.blob_sha is not None}
