"""Where a phone's request does its work: on the event loop or in a worker thread.

On SQLite, reading a form list or an XForm, or checking and parsing a submission, is a
few hundred microseconds of work on a local file: less than a trip through the
worker-thread pool costs a busy server (two thread switches, and a contest for the GIL
with every other worker thread). Such work runs right on the event loop, and a
submission's commit is left to the group commit's own thread. On PostgreSQL a read waits
on the network, and a web user's password check is slow on purpose, so those go to a
worker thread as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from fastapi.concurrency import run_in_threadpool

from server.domain import Services, submissions
from server.domain.accounts import Credentials
from server.domain.submissions import IncomingFile, IngestResult

# A submission's XML is a few kilobytes; one far larger (up to the upload limit) would hold
# the event loop while it is parsed, so it is parsed in a worker thread instead.
LARGEST_XML_ON_THE_LOOP = 256 * 1024

P = ParamSpec("P")
T = TypeVar("T")


def _on_the_loop(services: Services, credentials: Credentials) -> bool:
    return services.db.is_sqlite and credentials.app_user_token is not None


async def run_phone_read(
    services: Services,
    credentials: Credentials,
    read: Callable[P, T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """``read(*args, **kwargs)``, a read-only piece of domain work for an app user."""
    if _on_the_loop(services, credentials):
        return read(*args, **kwargs)
    return await run_in_threadpool(read, *args, **kwargs)


async def ingest_phone_submission(
    services: Services,
    credentials: Credentials,
    *,
    project_id: int,
    xml: bytes,
    files: list[IncomingFile],
    device_id: str | None,
    user_agent: str | None,
) -> IngestResult:
    """`submissions.ingest` of a phone's POST, the caller looked up in the same read."""
    submission: dict[str, Any] = dict(
        project_id=project_id, xml=xml, files=files, device_id=device_id, user_agent=user_agent
    )
    if _on_the_loop(services, credentials) and len(xml) <= LARGEST_XML_ON_THE_LOOP:
        return await submissions.ingest_async(services, credentials, **submission)
    return await run_in_threadpool(submissions.ingest, services, credentials, **submission)
