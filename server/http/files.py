"""Sending a file from the blob store as a download (form media, submission attachments).

The blob is looked up before the response starts: one the store has lost raises
`BlobMissing`, answered as problem 500.2 (`server.http.errors`) with nothing of a body
sent. A file of the files store goes out as Starlette's `FileResponse` (``sendfile``,
``Range``, ``If-Range``); a blob kept in PostgreSQL goes out through the same class,
reading chunk by chunk from the database in a worker thread, with the same ``Range``
handling (single and multiple ranges, 206 and 416) and an ETag that is the blob's
SHA-256.
"""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, BinaryIO

import anyio
from fastapi.responses import FileResponse
from starlette.types import Receive, Scope, Send

from server.domain import Services


def blob_download(
    services: Services, sha256: str, content_type: str | None, name: str
) -> FileResponse:
    media_type = content_type or "application/octet-stream"
    path = services.blobs.local_path(sha256)
    if path is not None:
        return FileResponse(
            path, media_type=media_type, filename=name, content_disposition_type="attachment"
        )
    reader = services.blobs.open(sha256)
    return _BlobResponse(reader, sha256, media_type, name)


class _BlobResponse(FileResponse):
    """`FileResponse` over an open reader instead of a path."""

    chunk_size = 256 * 1024

    def __init__(self, reader: BinaryIO, sha256: str, media_type: str, name: str) -> None:
        size = reader.seek(0, os.SEEK_END)
        reader.seek(0)
        # Last-Modified is the epoch: a blob never changes once named (If-Range compares
        # against that header or the ETag).
        fake_stat = os.stat_result((stat.S_IFREG | 0o444, 0, 0, 1, 0, 0, size, 0, 0, 0))
        super().__init__(
            sha256,
            media_type=media_type,
            filename=name,
            stat_result=fake_stat,
            content_disposition_type="attachment",
            headers={"etag": f'"{sha256}"'},
        )
        self._reader = reader

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # There is no path to hand to a server's ``pathsend``.
        extensions = {k: v for k, v in scope.get("extensions", {}).items() if "pathsend" not in k}
        try:
            await super().__call__({**scope, "extensions": extensions}, receive, send)
        finally:
            self._reader.close()

    @asynccontextmanager
    async def _open_file(self) -> AsyncIterator[Any]:
        yield _AsyncReader(self._reader)


class _AsyncReader:
    """The two calls `FileResponse` makes on a file, run in a worker thread."""

    def __init__(self, reader: BinaryIO) -> None:
        self._reader = reader

    async def read(self, size: int) -> bytes:
        return await anyio.to_thread.run_sync(self._reader.read, size)

    async def seek(self, offset: int) -> int:
        return await anyio.to_thread.run_sync(self._reader.seek, offset)
