"""The JSON shapes of ODK Central's REST API: one function per resource.

Keys and their order follow Central's frames (``forApi``); timestamps are ISO 8601 in
UTC with milliseconds and a ``Z``, as Central writes them. pyODK's models expect some
keys to be present even when null (a form's ``enketoId``, ``keyId``, ``publishedAt``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.domain.access import Role
from server.store.tables import (
    Actor,
    Audit,
    AuthSession,
    Blob,
    Comment,
    FieldKey,
    Form,
    FormAttachment,
    FormDef,
    Key,
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
    return {"email": user.email, "lastLoginAt": timestamp(user.last_login_at), **actor_json(actor)}


def session_json(session: AuthSession, token: str) -> dict[str, Any]:
    return {
        "token": token,
        "csrf": session.csrf,
        "expiresAt": timestamp(session.expires_at),
        "createdAt": timestamp(session.created_at),
    }


def app_user_json(actor: Actor, key: FieldKey) -> dict[str, Any]:
    return {"projectId": key.project_id, **actor_json(actor), "token": key.token}


APP_USER_SESSION_EXPIRY = "9999-12-31T23:59:59.000Z"


def new_app_user_json(actor: Actor, key: FieldKey) -> dict[str, Any]:
    """``POST …/app-users``: the app user and its new session, as Central answers it."""
    return {**app_user_json(actor, key), "csrf": None, "expiresAt": APP_USER_SESSION_EXPIRY}


def project_json(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "archived": project.archived,
        "keyId": project.key_id,
        "createdAt": timestamp(project.created_at),
        "updatedAt": timestamp(project.updated_at),
        "deletedAt": timestamp(project.deleted_at),
    }


def key_json(key: Key) -> dict[str, Any]:
    """A key as ``…/submissions/keys`` lists it: a self-supplied key has no hint and
    ``managed`` null."""
    return {
        "id": key.id,
        "public": key.public,
        "managed": True if key.managed else None,
        "hint": key.hint,
        "createdAt": timestamp(key.created_at),
    }


def project_extended_json(project: Project, stats: dict[str, Any]) -> dict[str, Any]:
    """``X-Extended-Metadata: true``: counts and the last submission's time."""
    return {
        **project_json(project),
        "forms": stats.get("forms", 0),
        "appUsers": stats.get("appUsers", 0),
        "datasets": 0,
        "lastSubmission": timestamp(stats.get("lastSubmission")),
        "lastEntity": None,
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
        "version": definition.version if definition else "",
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
        "exists": attachment.blob_sha is not None or attachment.dataset_id is not None,
        "blobExists": attachment.blob_sha is not None,
        "datasetExists": attachment.dataset_id is not None,
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


def submission_extended_json(
    submission: Submission, definition: SubmissionDef, submitter: Actor | None
) -> dict[str, Any]:
    data = submission_json(submission, definition)
    data["submitter"] = actor_json(submitter) if submitter is not None else None
    return data


def submission_row_json(submission: Submission) -> dict[str, Any]:
    """The submission without its current version (``PATCH`` answers this)."""
    return {
        "instanceId": submission.instance_id,
        "submitterId": submission.submitter_id,
        "deviceId": submission.device_id,
        "createdAt": timestamp(submission.created_at),
        "updatedAt": timestamp(submission.updated_at),
        "reviewState": submission.review_state,
        "deletedAt": timestamp(submission.deleted_at),
    }


def submission_version_json(definition: SubmissionDef) -> dict[str, Any]:
    return {
        "instanceId": definition.instance_id,
        "instanceName": definition.instance_name,
        "submitterId": definition.submitter_id,
        "deviceId": definition.device_id,
        "userAgent": definition.user_agent,
        "createdAt": timestamp(definition.created_at),
        "current": definition.current,
    }


def comment_json(comment: Comment, author: Actor | None = None) -> dict[str, Any]:
    """Central's comment; with ``author`` (extended metadata), its ``actor`` too."""
    body: dict[str, Any] = {
        "body": comment.body,
        "actorId": comment.actor_id,
        "createdAt": timestamp(comment.created_at),
    }
    if author is not None:
        body["actor"] = actor_json(author)
    return body


def audit_json(audit: Audit, actor: Actor | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "actorId": audit.actor_id,
        "action": audit.action,
        "acteeId": audit.actee,
        "details": audit.details,
        "loggedAt": timestamp(audit.logged_at),
    }
    if actor is not None:
        data["actor"] = actor_json(actor)
    return data


def role_json(role: Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "system": role.system,
        "createdAt": None,
        "updatedAt": None,
        "verbs": sorted(role.verbs),
    }


def submission_attachment_json(attachment: SubmissionAttachment) -> dict[str, Any]:
    return {"name": attachment.name, "exists": attachment.blob_sha is not None}


def form_extended_json(
    form: Form, definition: FormDef | None, stats: dict[str, Any], created_by: Actor | None
) -> dict[str, Any]:
    """``X-Extended-Metadata: true`` on forms: submission counts and who created it."""
    return {
        **form_json(form, definition),
        "submissions": stats.get("submissions", 0),
        "entityRelated": False,
        "reviewStates": stats.get("reviewStates", {"received": 0, "hasIssues": 0, "edited": 0}),
        "lastSubmission": timestamp(stats.get("lastSubmission")),
        "excelContentType": stats.get("excelContentType"),
        "publicLinks": 0,
        "createdBy": actor_json(created_by) if created_by is not None else None,
    }
