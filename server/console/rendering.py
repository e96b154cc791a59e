"""Rendering console pages: Jinja2 environments (one per language), the context every
template receives, redirects that carry a notice, and static file addresses.

Every template autoescapes: text that came from a phone or a person (initiative names,
comments, file names) is shown as text, never run. Nothing is marked safe but markup the
console makes itself (the QR and chart SVGs it draws).

The context every page gets, beside its own (`BASE_CONTEXT` documents each key):
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from server.console import i18n, urls
from server.console.session import (
    CSRF_FIELD,
    ConsoleUser,
    chosen_language,
    current_user,
)
from server.domain.access import Actor
from server.settings import Settings

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
NOTICE_COOKIE = "jaring_notice"

BASE_CONTEXT = {
    "request": "the request being answered",
    "user": "the signed-in ConsoleUser, or None",
    "lang": "the page's language code (id or en)",
    "languages": "every console language: code -> name",
    "csrf_field": "the name of the hidden CSRF field (__csrf)",
    "csrf_token": "the signed-in user's CSRF token ('' when signed out)",
    "urls": "server.console.urls: every address the console links to",
    "static": "static(path): the address of a static file, with its content hash",
    "fmt": "dates and numbers formatted for the language (i18n.Formatter)",
    "notice": "a sentence left by the previous action (after a redirect), or None",
    "can": "can(verb, project_id): whether the user holds a verb on a project",
    "is_admin": "whether the user is a site administrator",
}


@cache
def _file_hash(path: str) -> str:
    target = STATIC_DIR / path
    try:
        return hashlib.sha256(target.read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static(path: str) -> str:
    """The address of a file under ``static/``, versioned by its content."""
    return f"/static/{path}?v={_file_hash(path)}"


class Templates:
    """The console's templates in every language, rendered with the base context."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.environments = {language: self._environment(language) for language in i18n.LANGUAGES}

    def _environment(self, language: str) -> Environment:
        environment = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=select_autoescape(["html", "svg", "xml"]),
            extensions=["jinja2.ext.i18n"],
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.install_gettext_translations(  # type: ignore[attr-defined]
            i18n.translations(language), newstyle=True
        )
        formatter = i18n.formatter(language, self.settings.timezone)
        environment.filters["datetime"] = formatter.datetime
        environment.filters["date"] = formatter.date
        environment.filters["number"] = formatter.number
        environment.filters["percent"] = formatter.percent
        environment.globals.update(
            urls=urls,
            static=static,
            fmt=formatter,
            languages=i18n.LANGUAGES,
            csrf_field=CSRF_FIELD,
        )
        return environment

    def language_of(self, request: Request, user: ConsoleUser | None) -> str:
        return i18n.language_or_default(chosen_language(request, user))

    def gettext(self, request: Request) -> Any:
        """The translation function for the request's language (for messages made in code)."""
        language = self.language_of(request, current_user(request))
        return i18n.translations(language).gettext

    def render_text(self, request: Request, name: str, context: Mapping[str, Any]) -> str:
        user = current_user(request)
        language = self.language_of(request, user)
        template = self.environments[language].get_template(name)
        actor = user.actor if user is not None else Actor()
        notice = request.cookies.get(NOTICE_COOKIE)
        full = {
            "request": request,
            "user": user,
            "lang": language,
            "csrf_token": user.csrf if user is not None else "",
            "notice": unquote(notice)[:500] if notice else None,
            "can": lambda verb, project_id: actor.can(verb, project_id=project_id),
            "is_admin": actor.is_admin,
            **context,
        }
        return template.render(full)

    def page(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        response = HTMLResponse(
            self.render_text(request, name, context or {}),
            status_code=status,
            headers={"Cache-Control": "no-store", **(headers or {})},
        )
        if NOTICE_COOKIE in request.cookies:
            response.delete_cookie(NOTICE_COOKIE, path="/")
        return response


def templates_of(request: Request) -> Templates:
    found: Templates = request.app.state.console_templates
    return found


def redirect(url: str, *, notice: str | None = None) -> RedirectResponse:
    """See other: the page to show after an action, with a sentence saying what was done."""
    response = RedirectResponse(url, status_code=303)
    if notice:
        response.set_cookie(
            NOTICE_COOKIE, quote(notice), max_age=60, path="/", httponly=True, samesite="lax"
        )
    return response


def safe_next(target: str | None) -> str:
    """A page of this server to go to after signing in: a path, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return urls.projects()
    if target.startswith(("/login", "/logout", "/v1/")):
        return urls.projects()
    return target
