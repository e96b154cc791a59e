"""Reading query parameters as Central does: booleans as true/false in any case (pyODK
sends ``True``), and request bodies bounded by a size limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from server import problems
from server.domain.refs import FormRef, SubmissionRef
from server.formats.openrosa import OPENROSA_VERSION

INTEGER_MIN = -(2**31)
INTEGER_MAX = 2**31 - 1

DatabaseId = Annotated[int, Path(ge=INTEGER_MIN, le=INTEGER_MAX)]
"""A numeric ID in a URL (a project's, a user's): as in Central, a value that is not a
number is 400.11 and one no database integer can hold 400.22, on every route (see
`server.http.errors`); an ID that could exist but does not is 404.1."""


def flag(value: str | None, *, name: str, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise problems.unexpected_value(name, value, "expected true or false.")


def check_declared_length(request: Request, limit: int) -> None:
    """Refuse at once a body whose Content-Length is above ``limit`` (or nonsense)."""
    declared = request.headers.get("content-length")
    if declared is None:
        return
    try:
        length = int(declared)
    except ValueError as error:
        raise problems.invalid_header("Content-Length", declared) from error
    if length < 0:
        raise problems.invalid_header("Content-Length", declared)
    if length > limit:
        raise problems.request_too_large(limit)


async def bounded_body(request: Request, limit: int) -> bytes:
    check_declared_length(request, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise problems.request_too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def extended(request: Request) -> bool:
    """Whether the caller asked for Central's extended metadata (``X-Extended-Metadata``)."""
    return (request.headers.get("x-extended-metadata") or "").lower() == "true"


def require_openrosa_version(request: Request) -> None:
    """Refuse, as Central does (400.6), an OpenRosa request (form list, manifest,
    submission) without ``X-OpenRosa-Version: 1.0``: before its body is read, so a
    refused submission stores nothing."""
    value = request.headers.get("x-openrosa-version")
    if value != OPENROSA_VERSION:
        raise problems.invalid_header("X-OpenRosa-Version", value)


def form_ref(project_id: DatabaseId, xml_form_id: str) -> FormRef:
    return FormRef(project_id, xml_form_id)


def submission_ref(project_id: DatabaseId, xml_form_id: str, instance_id: str) -> SubmissionRef:
    return SubmissionRef(project_id, xml_form_id, instance_id)


FormRefDep = Annotated[FormRef, Depends(form_ref)]
"""The form a route's path names (``/projects/{project_id}/forms/{xml_form_id}…``)."""
SubmissionRefDep = Annotated[SubmissionRef, Depends(submission_ref)]
"""The submission a route's path names (``…/submissions/{instance_id}…``)."""
