"""Who is using the console: the session cookie, the signed-in user, and CSRF tokens.

Signing in makes an ordinary session, the same as ``POST /v1/sessions`` (same accounts,
same log-in rate limits, same lifetime), and keeps its token in an ``HttpOnly``,
``SameSite=Lax`` cookie, ``Secure`` whenever the request came over HTTPS (a field hub on
a plain-HTTP LAN must still work). Each session has its CSRF token; every form that
changes something carries it in a hidden ``__csrf`` field (or htmx sends it as
``X-CSRF-Token``) and is refused without it. The sign-in form, before any session
exists, is protected by a double-submit cookie instead.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from server import problems
from server.domain import Services
from server.domain.access import Actor
from server.domain.accounts import WebSession, resolve_web_session
from server.http.auth import SESSION_COOKIE, services_of
from server.http.params import check_declared_length

CSRF_FIELD = "__csrf"
CSRF_HEADER = "x-csrf-token"
LOGIN_CSRF_COOKIE = "jaring_login_csrf"
LANGUAGE_COOKIE = "jaring_lang"
# Forms without files are small; anything larger is not one of ours.
MAX_PLAIN_FORM_BYTES = 1_000_000


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in web user, with the roles the domain checks."""

    actor: Actor
    email: str
    csrf: str
    language: str | None

    @property
    def id(self) -> int:
        assert self.actor.id is not None
        return self.actor.id

    @property
    def name(self) -> str:
        return self.actor.display_name or self.email


def current_user(request: Request) -> ConsoleUser | None:
    """The user whose session cookie this request carries, or None."""
    cached: ConsoleUser | None = getattr(request.state, "console_user", None)
    if cached is not None:
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 1024:
        return None
    try:
        web: WebSession = resolve_web_session(services_of(request), token)
    except problems.Problem:
        return None
    if web.actor.type != "user":
        return None
    user = ConsoleUser(actor=web.actor, email=web.email, csrf=web.csrf, language=web.language)
    request.state.console_user = user
    return user


def signed_in(request: Request) -> ConsoleUser:
    """The signed-in user; a page asked for without one sends the visitor to sign in."""
    user = current_user(request)
    if user is None:
        raise problems.authentication_failed()
    return user


UserDep = Annotated[ConsoleUser, Depends(signed_in)]


async def _services(request: Request) -> Services:
    return services_of(request)


ServicesDep = Annotated[Services, Depends(_services)]


def csrf_failed() -> problems.Problem:
    problem = problems.authentication_failed()
    problem.details = {"reason": "csrf"}
    return problem


async def posted_form(
    request: Request,
    user: ConsoleUser,
    *,
    limit: int = MAX_PLAIN_FORM_BYTES,
    max_files: int = 0,
) -> FormData:
    """The fields of a console form POST, once its CSRF token is checked."""
    check_declared_length(request, limit)
    form = await request.form(max_files=max_files, max_fields=1000, max_part_size=limit)
    given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not isinstance(given, str) or not secrets.compare_digest(given, user.csrf):
        await form.close()
        raise csrf_failed()
    return form


def field(form: FormData, name: str) -> str:
    """A text field of a posted form ("" when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request)
    )


def login_csrf(request: Request) -> str:
    """The sign-in form's token: the one its cookie holds, or a new one."""
    existing = request.cookies.get(LOGIN_CSRF_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing
    return secrets.token_urlsafe(32)


def set_login_csrf_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def check_login_csrf(request: Request, form: FormData) -> None:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    given = form.get(CSRF_FIELD)
    if not cookie or not isinstance(given, str) or not secrets.compare_digest(given, cookie):
        raise csrf_failed()


def chosen_language(request: Request, user: ConsoleUser | None) -> str | None:
    """The language the visitor chose: their saved one, else the language cookie."""
    if user is not None and user.language:
        return user.language
    return request.cookies.get(LANGUAGE_COOKIE)


def set_language_cookie(response: Response, request: Request, language: str) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=365 * 24 * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def form_values(form: FormData, name: str) -> list[str]:
    """Every text value of a repeated field (checkboxes, multiple selects)."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
