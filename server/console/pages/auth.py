"""Signing in and out, the language switch, and one's own account."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from server import problems
from server.console import i18n, urls
from server.console.errors import ConsoleRoute, explain
from server.console.rendering import redirect, safe_next, templates_of
from server.console.session import (
    ServicesDep,
    UserDep,
    check_login_csrf,
    clear_session_cookie,
    current_user,
    field,
    login_csrf,
    posted_form,
    set_language_cookie,
    set_login_csrf_cookie,
    set_session_cookie,
)
from server.domain import accounts, users

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/")
def home(request: Request) -> Response:
    if current_user(request) is None:
        return redirect(urls.login())
    return redirect(urls.projects())


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002
    if current_user(request) is not None:
        return redirect(safe_next(next))
    return _login_form(request, next_path=safe_next(next))


def _login_form(
    request: Request,
    *,
    next_path: str,
    email: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    token = login_csrf(request)
    response = templates_of(request).page(
        request,
        "login.html",
        {"login_token": token, "next_path": next_path, "email": email, "error": error},
        status=status,
    )
    set_login_csrf_cookie(response, request, token)
    return response


@router.post("/login")
async def login(request: Request, services: ServicesDep) -> Response:
    form = await request.form(max_files=0, max_fields=20, max_part_size=10_000)
    check_login_csrf(request, form)
    email, password = field(form, "email"), form.get("password")
    next_path = safe_next(field(form, "next"))
    if not email or not isinstance(password, str) or not password:
        _ = templates_of(request).gettext(request)
        return _login_form(
            request,
            next_path=next_path,
            email=email,
            error=_("Enter your email and your password."),
            status=400,
        )
    try:
        new, _actor = await run_in_threadpool(
            accounts.log_in, services, email=email, password=password
        )
    except problems.Problem as problem:
        _ = templates_of(request).gettext(request)
        return _login_form(
            request,
            next_path=next_path,
            email=email,
            error=explain(problem, _),
            status=problem.status,
        )
    response = redirect(next_path)
    set_session_cookie(response, request, new.token, services.settings.session_hours * 3600)
    return response


@router.post("/logout")
async def logout(request: Request, services: ServicesDep, user: UserDep) -> Response:
    await posted_form(request, user)
    if user.actor.session_token_hash:
        await run_in_threadpool(
            accounts.log_out, services, token_hash=user.actor.session_token_hash
        )
    response = redirect(urls.login())
    clear_session_cookie(response, request)
    return response


@router.post("/language")
async def choose_language(request: Request, services: ServicesDep) -> Response:
    """Switch the console's language: remembered for the user, and in a cookie."""
    user = current_user(request)
    if user is not None:
        form = await posted_form(request, user)
    else:
        form = await request.form(max_files=0, max_fields=20, max_part_size=10_000)
    language = i18n.language_or_default(field(form, "language"))
    if user is not None:
        await run_in_threadpool(accounts.set_language, services, user.actor, language=language)
    response = redirect(safe_next(field(form, "next")))
    set_language_cookie(response, request, language)
    return response


@router.get("/account")
def account(request: Request, user: UserDep) -> Response:
    return templates_of(request).page(request, "account.html")


@router.post("/account/password")
async def change_password(request: Request, services: ServicesDep, user: UserDep) -> Response:
    form = await posted_form(request, user)
    old, new = form.get("old"), form.get("new")
    await run_in_threadpool(
        users.change_password,
        services,
        user.actor,
        actor_id=user.id,
        old=old if isinstance(old, str) else "",
        new=new if isinstance(new, str) else "",
    )
    _ = templates_of(request).gettext(request)
    return redirect(urls.account(), notice=_("Your password was changed."))
