"""ASGI middleware: the OpenRosa version header, encoded slashes, a body-size cap, request IDs
and access logs.

Each endpoint checks its own limit against ``Content-Length``; the cap here catches
bodies without one (chunked uploads) so that no request can stream without bound.
`RequestContext` gives every request an ID (echoed as ``X-Request-ID``), tells the
domain the caller's address (for login rate limits), writes one structured access-log
line per request, answers 408 to a request body that stalls and 431 to headers above
64 kB (`jaring serve` runs uvicorn's h11 parser, which refuses those before they are
even read whole).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import problems
from server.domain import ratelimit
from server.formats.openrosa import OPENROSA_VERSION
from server.http import logs

_OPENROSA_HEADER = (b"x-openrosa-version", OPENROSA_VERSION.encode())
_ODATA_HEADER = (b"odata-version", b"4.0")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
BODY_IDLE_SECONDS = 30.0
MAX_HEADER_BYTES = 64 * 1024

access_log = logging.getLogger("jaring.access")


class OpenRosaHeaders:
    """``X-OpenRosa-Version`` on every response, and ``OData-Version`` on every answer of
    an OData service (``….svc``), errors included, as Central sends them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = [_OPENROSA_HEADER]
        if ".svc" in scope["path"]:
            added.append(_ODATA_HEADER)

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, send_with_header)


ENCODED_SLASH = "\x00"
"""What an encoded slash (``%2F``) in a path becomes for routing: see `EncodedSlashes`."""
_ENCODED_SLASH = re.compile(rb"%2f", re.IGNORECASE)


class EncodedSlashes:
    """Keep an encoded slash inside one path segment, as Central's router does.

    The server decodes ``%2F`` to ``/`` before routing, so an instanceID holding a slash
    could never be addressed. Here such a slash is routed as `ENCODED_SLASH` instead (a
    character a path cannot otherwise usefully hold) and the routes that take free-form
    IDs turn it back (`restore_encoded_slashes`).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if raw and b"%" in raw and _ENCODED_SLASH.search(raw):
            path = _ENCODED_SLASH.sub(b"%00", raw.split(b"?", 1)[0])
            scope = {**scope, "path": unquote(path.decode("ascii", "replace"))}
        await self.app(scope, receive, send)


def restore_encoded_slashes(request: Request) -> None:
    """A route dependency: the path parameters with their encoded slashes back."""
    params = request.scope.get("path_params")
    if params:
        for name, value in params.items():
            if isinstance(value, str) and ENCODED_SLASH in value:
                params[name] = value.replace(ENCODED_SLASH, "/")


class BodyTooLarge(Exception):
    pass


ProblemPage = Callable[[Scope, problems.Problem], Awaitable[bytes | None]]
"""An HTML page for a Problem met before a route (the console's), or None for JSON."""


class BodySizeLimit:
    """Refuse a request whose body exceeds ``limit`` bytes, declared or streamed.

    ``page`` gives an HTML answer for addresses that want one (a browser's upload to the
    console); everything else gets the Problem as JSON.
    """

    def __init__(self, app: ASGIApp, limit: int, page: ProblemPage | None = None) -> None:
        self.app = app
        self.limit = limit
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and (declared < 0 or declared > self.limit):
            problem = problems.request_too_large(self.limit)
            html = await self.page(scope, problem) if self.page is not None else None
            if html is not None:
                await _send_body(send, problem.status, html, b"text/html; charset=utf-8")
            else:
                await _send_problem(send, problem)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise problems.request_too_large(self.limit)
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None


async def _send_problem(send: Send, problem: Any) -> None:
    import json

    await _send_body(send, problem.status, json.dumps(problem.as_json()).encode())


async def _send_body(
    send: Send, status: int, body: bytes, content_type: bytes = b"application/json"
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                _OPENROSA_HEADER,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyTooSlow(Exception):
    pass


class RequestContext:
    """A request ID for every request, the caller's address for the domain, an access log.

    The ID is the client's ``X-Request-ID`` when it is short and plain, otherwise a new
    one; it is echoed in the response and carried by every log line written while the
    request runs. A request body that stalls for ``body_idle_seconds`` between two
    chunks is answered 408 (slow clients cannot hold a worker by trickling bytes).
    """

    def __init__(self, app: ASGIApp, body_idle_seconds: float = BODY_IDLE_SECONDS) -> None:
        self.app = app
        self.body_idle_seconds = body_idle_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if sum(len(name) + len(value) for name, value in scope.get("headers", [])) > (
            MAX_HEADER_BYTES
        ):
            too_big = problems.Problem("431.1", "The request's headers are too large.")
            await _send_problem(send, too_big)
            return
        request_id = _request_id_from(scope)
        client = scope.get("client")
        address = client[0] if client else None
        id_token = logs.request_id.set(request_id)
        address_token = ratelimit.client_address.set(address)
        started = time.monotonic()
        status = 0
        body_done = False
        response_started = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()
            try:
                # asyncio.timeout, unlike wait_for, starts no task for each chunk received.
                async with asyncio.timeout(self.body_idle_seconds):
                    message = await receive()
            except TimeoutError as error:
                raise BodyTooSlow from error
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, timed_receive, send_with_id)
        except BodyTooSlow:
            if not response_started:
                problem = problems.Problem(
                    "408.1", "The request body arrived too slowly; nothing was stored."
                )
                await _send_problem(send_with_id, problem)
            else:
                raise
        except BaseException:
            status = status or 500
            raise
        finally:
            access_log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": logs.redact(scope.get("path", "")),
                    **_query_of(scope),
                    "status": status,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "client": address,
                },
            )
            ratelimit.client_address.reset(address_token)
            logs.request_id.reset(id_token)


def _query_of(scope: Scope) -> dict[str, str]:
    """The query string for the access log, secrets blanked (passphrases of exports)."""
    query = scope.get("query_string", b"").decode("latin-1")
    return {"query": logs.redact(f"?{query}")[1:]} if query else {}


def _request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex
