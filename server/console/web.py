"""HTTP details of the console's responses: static files cached by version, compression,
and the security headers of its pages (the REST API's responses are left as they are).

The Content Security Policy allows scripts, styles and connections only from this
server: a script that slipped into a page (an initiative named ``<script>…``) would not
run even if escaping failed. Map tiles from OpenStreetMap are the one outside source,
and only as images, when a user switches that layer on.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_PREFIXES = ("/v1/", "/healthz", "/openapi.json")
NO_POLICY_PATHS = ("/docs",)  # Swagger UI starts itself with an inline script
OSM_TILES = "https://tile.openstreetmap.org"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    f"img-src 'self' data: blob: {OSM_TILES}; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_PAGE_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


def is_console_path(path: str) -> bool:
    """Whether a path is the console's (its pages and static files), not the API's."""
    return path != "/v1" and not path.startswith(API_PREFIXES)


class VersionedStaticFiles(StaticFiles):
    """Static files; one asked for with its content hash (``?v=…``) is cached for a year."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        versioned = b"v=" in scope.get("query_string", b"")

        async def send_cached(message: Message) -> None:
            if versioned and message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"cache-control", b"public, max-age=31536000, immutable"),
                ]
            await send(message)

        await super().__call__(scope, receive, send_cached)


class ConsoleHeaders:
    """Compression and security headers for the console's responses only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.compressed = GZipMiddleware(app, minimum_size=1000)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path or not is_console_path(path):
            await self.app(scope, receive, send)
            return
        with_policy = not path.startswith(NO_POLICY_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name for name, _ in headers}
                if with_policy:
                    headers += [h for h in _PAGE_HEADERS if h[0] not in names]
                message["headers"] = headers
            await send(message)

        await self.compressed(scope, receive, send_with_headers)
