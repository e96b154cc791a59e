"""The FastAPI application: `create_app(settings)` wires services, middleware and routers.

`create_app_from_environment` is the factory each process of ``jaring serve --workers N``
imports and calls: it reads the settings the command line handed on in the environment.

Every router is mounted twice: under ``/v1`` for web users and under
``/v1/key/{key}`` for app users, whose token is part of the server URL ODK Collect is
configured with (as in ODK Central). The web console (`server.console`) has the rest of
the address space, from ``/``.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from server.console import install_console, problem_page
from server.domain import Services
from server.http.errors import install_error_handlers
from server.http.middleware import (
    BodySizeLimit,
    EncodedSlashes,
    OpenRosaHeaders,
    RequestContext,
)
from server.resources import (
    app_users,
    atlas,
    audits,
    datasets,
    draft_testing,
    encryption,
    exports,
    forms,
    health,
    odata,
    openrosa,
    projects,
    public_links,
    sessions,
    submissions,
    users,
)
from server.settings import Settings
from server.store.migrate import upgrade

# Bodies of any kind above this are cut off even without a Content-Length.
BODY_SLACK_BYTES = 1_000_000


API_ROUTERS = (
    openrosa.router,
    sessions.router,
    projects.router,
    exports.router,  # before forms: {xmlFormId}.svc must not be read as a form id
    odata.router,
    datasets.router,
    forms.router,
    app_users.router,
    public_links.router,
    encryption.router,  # before submissions: …/submissions/keys is not an instanceID
    submissions.router,
    users.router,
    audits.router,
)
"""The API's routers, in the order a request is matched against them: each under ``/v1``
and, for the phones, ``/v1/key/{key}``."""


def create_app(settings: Settings, *, services: Services | None = None) -> FastAPI:
    """The ASGI app for ``settings``; the schema is brought up to date on start-up."""
    services = services or Services.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        upgrade(services.db)
        # What exists now (the app, its libraries, about 160,000 objects) lives as long
        # as the process: out of the cycle collector's sight, since a full collection
        # over it stopped the event loop for about 90 ms, every request waiting behind.
        gc.collect()
        gc.freeze()
        yield
        services.db.dispose()

    app = FastAPI(
        title="Jaring",
        summary="OpenRosa for ODK Collect and the ODK Central API, on SQLite or PostgreSQL.",
        version="0.1.0",
        lifespan=lifespan,
        # The console serves Swagger UI from this server's own files (no CDN); ReDoc
        # would load from one, so there is none.
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    install_error_handlers(app)
    # The app users' URLs first: they carry the phones' traffic, and a request is
    # matched against the routes in order (the OpenRosa ones first of all).
    for router in API_ROUTERS:
        app.include_router(router, prefix="/v1/key/{key}", include_in_schema=False)
    for router in API_ROUTERS:
        app.include_router(router, prefix="/v1")
    app.include_router(atlas.router, prefix="/v1")
    app.include_router(draft_testing.router, prefix="/v1/test/{draft_token}")
    app.include_router(health.router)
    install_console(app, settings)
    limit = max(settings.max_submission_bytes, settings.max_form_bytes) + BODY_SLACK_BYTES
    app.add_middleware(BodySizeLimit, limit=limit, page=problem_page)
    app.add_middleware(OpenRosaHeaders)
    app.add_middleware(EncodedSlashes)
    app.add_middleware(RequestContext)
    return app


def create_app_from_environment() -> FastAPI:
    """The app for `Settings()` read from the environment (``JARING_DATA_DIR``, …)."""
    return create_app(Settings())
