"""Sending a file from the blob store as a download (form media, submission attachments)."""

from __future__ import annotations

from fastapi.responses import FileResponse

from server.domain import Services


def blob_download(
    services: Services, sha256: str, content_type: str | None, name: str
) -> FileResponse:
    return FileResponse(
        services.blobs.path(sha256),
        media_type=content_type or "application/octet-stream",
        filename=name,
        content_disposition_type="attachment",
    )
