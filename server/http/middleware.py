"""ASGI middleware: the OpenRosa version header on every response, and a body-size cap.

Each endpoint checks its own limit against ``Content-Length``; the cap here catches
bodies without one (chunked uploads) so that no request can stream without bound.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import problems
from server.formats.openrosa import OPENROSA_VERSION

_OPENROSA_HEADER = (b"x-openrosa-version", OPENROSA_VERSION.encode())


class OpenRosaHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), _OPENROSA_HEADER]
            await send(message)

        await self.app(scope, receive, send_with_header)


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuse a request whose body exceeds ``limit`` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and (declared < 0 or declared > self.limit):
            await _send_problem(send, problems.request_too_large(self.limit))
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

    body = json.dumps(problem.as_json()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": problem.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                _OPENROSA_HEADER,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
