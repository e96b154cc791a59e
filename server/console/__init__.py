"""The web console: pages for coordinators and analysts, served at ``/`` by the same app.

Pages are rendered on the server from Jinja2 templates (autoescaped), in Bahasa Indonesia
or English (Babel), and enhanced by htmx where it helps; every page works as plain HTML
forms and links. A page gathers what it shows through the same domain functions as the
REST API, with the same permission checks: nothing here runs SQL or decides who may do
what. Browser files of other projects (htmx, Leaflet, Swagger UI, ODK Web Forms) are served from
``static/vendor/``, never from another host, so the console works on a field hub with
no internet.

`install_console(app, settings)` adds the pages, the static files, the offline ``/docs``,
HTML error pages for console addresses, compression and the console's security headers.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from server import problems
from server.console.errors import error_page, explain
from server.console.pages import (
    admin,
    app_users,
    atlas,
    atlas_public,
    auth,
    datasets,
    downloads,
    encryption,
    forms,
    maps,
    projects,
    submissions,
    summary,
    web_forms,
)
from server.console.rendering import STATIC_DIR, Templates, static, templates_of
from server.console.web import ConsoleHeaders, VersionedStaticFiles, is_console_path
from server.settings import Settings

PAGE_ROUTERS = (
    auth.router,
    projects.router,
    datasets.router,
    forms.router,
    app_users.router,
    downloads.router,
    admin.router,
    maps.router,
    summary.router,
    submissions.router,
    encryption.router,
    atlas.router,
    atlas_public.router,
    web_forms.router,
    web_forms.api_router,
)
SWAGGER = "vendor/swagger-ui-dist-5.35.0"


async def problem_page(scope: Scope, problem: problems.Problem) -> bytes | None:
    """The console's error page for a Problem met before any route (a 100 MB upload
    refused at once), or None for the API's addresses."""
    if not is_console_path(scope.get("path", "")):
        return None
    request = Request(scope)
    templates = templates_of(request)

    def render() -> bytes:
        _ = templates.gettext(request)
        context = {"message": explain(problem, _), "problem": problem}
        return templates.render_text(request, "error.html", context).encode()

    return await run_in_threadpool(render)


def install_console(app: FastAPI, settings: Settings) -> None:
    app.state.console_templates = Templates(settings)
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", VersionedStaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI for the OpenAPI document, from this server's own files."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Jaring API",
            swagger_js_url=static(f"{SWAGGER}/swagger-ui-bundle.js"),
            swagger_css_url=static(f"{SWAGGER}/swagger-ui.css"),
            swagger_favicon_url=static("favicon.svg"),
        )

    api_handler = app.exception_handlers[StarletteHTTPException]

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if is_console_path(request.url.path) and exc.status_code in (404, 405):
            problem = (
                problems.not_found()
                if exc.status_code == 404
                else problems.Problem("405.1", "This method is not allowed on this resource.")
            )
            return error_page(request, problem)
        result = api_handler(request, exc)
        return await result if hasattr(result, "__await__") else result  # type: ignore[no-any-return]

    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_middleware(atlas_public.PublicAtlasFirst)
    app.add_middleware(ConsoleHeaders)
