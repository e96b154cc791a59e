"""The public atlas at ``/atlas/{slug}``: no sign-in, Indonesian or English (``?lang=``).

Home (map, figures, downloads), the directory (``/initiatives``, filtered by province,
by the public select questions, and by a search), a page per initiative, its photos,
the map's points and the open data (``data.csv``, ``data.geojson``). Every answer is
made from the atlas's snapshot (`server.domain.atlas_public`), which holds public
values only, and kept with it: a busy atlas is served from memory on the event loop,
without a database read or a worker thread; anything not made yet is made in a worker
thread. Responses carry an ETag of the snapshot, so a browser asks again each time but
downloads nothing unchanged; each address is limited in how fast it may ask.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from server import problems
from server.console.atlas_site import LiveLinks, directory_page, home_page, initiative_page
from server.console.errors import ConsoleRoute
from server.console.rendering import templates_of
from server.console.session import LANGUAGE_COOKIE
from server.domain import atlas_public as public
from server.domain.ratelimit import client_address
from server.domain.visit_limits import BusyLimiter, VisitLimiter
from server.http.auth import services_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
HTML = "text/html; charset=utf-8"
GEOJSON = "application/geo+json"


@dataclass(frozen=True)
class Answer:
    """What to send: its key among the snapshot's kept answers, and how to make it."""

    key: tuple[str, ...]
    media_type: str
    make: Callable[[], bytes]
    download: str | None = None


Plan = Callable[[public.Snapshot], Answer]


def _language(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE) or "id"
    return asked if asked in public.LANGUAGES else "id"


def _limiters(request: Request) -> tuple[VisitLimiter, BusyLimiter]:
    state = request.app.state
    found: tuple[VisitLimiter, BusyLimiter] | None = getattr(state, "atlas_limiters", None)
    if found is None:
        settings = services_of(request).settings
        found = (
            VisitLimiter(settings.atlas_requests_per_minute),
            BusyLimiter(settings.atlas_requests_per_second),
        )
        state.atlas_limiters = found
    return found


async def _serve(request: Request, slug: str, plan: Plan) -> Response:
    address = client_address.get() or (request.client.host if request.client else "")
    per_address, everyone = _limiters(request)
    per_address.take(address)
    everyone.take()
    services = services_of(request)
    found = public.recent(services, slug)
    if found is not None:
        answer = plan(found)
        if found.has(answer.key):
            return _respond(request, found, answer)

    def slow() -> Response:
        current = public.snapshot(services, slug)
        return _respond(request, current, plan(current))

    return await run_in_threadpool(slow)


def _respond(request: Request, found: public.Snapshot, answer: Answer) -> Response:
    """The answer, made once per snapshot; 304 when the browser has it already."""
    digest = hashlib.sha256(repr((found.stamp, found.built, answer.key)).encode())
    tag = f'"{digest.hexdigest()[:20]}"'
    headers = {"ETag": tag, "Cache-Control": "no-cache", "Vary": "Cookie"}
    if found.atlas.noindex:
        headers["X-Robots-Tag"] = "noindex, nofollow"
    if answer.download:
        headers["Content-Disposition"] = f'attachment; filename="{answer.download}"'
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    body = found.kept(answer.key, answer.make)
    return Response(body, media_type=answer.media_type, headers=headers)


def _other(lang: str) -> str:
    """The other language. Pages link to themselves in it from what they understood of
    the request, never from its raw parameters: a kept page is the same for everyone."""
    return "en" if lang == "id" else "id"


@router.get("/atlas/{slug}")
async def atlas_home(request: Request, slug: str) -> Response:
    lang = _language(request)
    templates = templates_of(request)
    links = LiveLinks(slug)

    def plan(found: public.Snapshot) -> Answer:
        return Answer(
            ("home", lang),
            HTML,
            lambda: home_page(templates, found, lang, links, links.home(_other(lang))).encode(),
        )

    return await _serve(request, slug, plan)


@router.get("/atlas/{slug}/initiatives")
async def atlas_directory(request: Request, slug: str) -> Response:
    lang = _language(request)
    templates = templates_of(request)
    links = LiveLinks(slug)

    def plan(found: public.Snapshot) -> Answer:
        listing = public.directory(found, dict(request.query_params))
        key = ("directory", lang, *(f"{k}={v}" for k, v in sorted(listing.query.items())))
        other = links.directory(_other(lang), listing.query, listing.page)
        return Answer(
            (*key, str(listing.page)),
            HTML,
            lambda: directory_page(templates, found, listing, lang, links, other).encode(),
        )

    return await _serve(request, slug, plan)


@router.get("/atlas/{slug}/initiatives/{key}")
async def atlas_initiative(request: Request, slug: str, key: str) -> Response:
    lang = _language(request)
    templates = templates_of(request)
    links = LiveLinks(slug)

    def plan(found: public.Snapshot) -> Answer:
        item = public.initiative(found, key)
        other = links.initiative(item.key, _other(lang))
        return Answer(
            ("initiative", item.key, lang),
            HTML,
            lambda: initiative_page(templates, found, item, lang, links, other).encode(),
        )

    return await _serve(request, slug, plan)


@router.get("/atlas/{slug}/initiatives/{key}/photos/{number}.jpg")
async def atlas_photo(request: Request, slug: str, key: str, number: int) -> Response:
    services = services_of(request)

    def plan(found: public.Snapshot) -> Answer:
        item = public.initiative(found, key)
        if not 0 <= number < item.photos:
            raise problems.not_found()
        return Answer(
            ("photo", item.key, str(number)),
            "image/jpeg",
            lambda: public.photo(services, found, item.key, number),
        )

    return await _serve(request, slug, plan)


@router.get("/atlas/{slug}/points.geojson")
async def atlas_points(request: Request, slug: str) -> Response:
    lang = _language(request)

    def plan(found: public.Snapshot) -> Answer:
        return Answer(("points", lang), GEOJSON, lambda: public.map_points(found, lang))

    return await _serve(request, slug, plan)


@router.get("/atlas/{slug}/data.csv")
async def atlas_csv(request: Request, slug: str) -> Response:
    lang = _language(request)

    def plan(found: public.Snapshot) -> Answer:
        return Answer(
            ("csv", lang),
            "text/csv; charset=utf-8",
            lambda: public.csv_download(found, lang),
            download=f"{slug}-{lang}.csv",
        )

    return await _serve(request, slug, plan)


@router.get("/atlas/{slug}/data.geojson")
async def atlas_geojson(request: Request, slug: str) -> Response:
    lang = _language(request)

    def plan(found: public.Snapshot) -> Answer:
        return Answer(
            ("geojson", lang),
            GEOJSON,
            lambda: public.geojson_download(found, lang),
            download=f"{slug}-{lang}.geojson",
        )

    return await _serve(request, slug, plan)


class PublicAtlasFirst:
    """Sends ``/atlas/…`` requests straight to the atlas's routes, before the few hundred
    routes of the API and the console are tried one by one (most of the time a public
    page takes); any other request pays one string comparison."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith("/atlas/"):
            for route in router.routes:
                match, child = route.matches(scope)
                if match is Match.FULL:
                    # What FastAPI's own AsyncExitStackMiddleware gives every route.
                    async with AsyncExitStack() as stack:
                        inner = {**scope, **child, "fastapi_middleware_astack": stack}
                        await route.handle(inner, receive, send)
                    return
        await self.app(scope, receive, send)
