"""Administration, for site administrators only (the domain refuses everyone else):
web users (creating one, setting a new password for someone who forgot theirs, the
administrator role), the audit log as sentences, and the server's health.

A password made by the server is shown once, on the page that answers the form that
asked for it (never put in a redirect or a cookie); the administrator hands it over.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from server import problems
from server.console import urls
from server.console.audit_sentences import describe
from server.console.errors import ConsoleRoute, explain
from server.console.rendering import redirect, templates_of
from server.console.session import ConsoleUser, ServicesDep, UserDep, field, posted_form
from server.domain import Services, audits, health, users
from server.http.urls import phone_origin

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

AUDITS_PER_PAGE = 50
# The filters of the audit log (Central's action groups that Jaring records).
AUDIT_GROUPS = ("user", "field_key", "project", "form", "submission")
LAST_ADMINISTRATOR = "409.51"


# Users ----------------------------------------------------------------------------------


@router.get("/admin/users")
def user_list(request: Request, services: ServicesDep, user: UserDep) -> Response:
    return _users_page(request, services, user)


@router.post("/admin/users")
async def create_user(request: Request, services: ServicesDep, user: UserDep) -> Response:
    form = await posted_form(request, user)
    _ = templates_of(request).gettext(request)
    values = {"email": field(form, "email"), "name": field(form, "name")}
    password, again = _secret(form, "password"), _secret(form, "password_again")
    if password != again:
        return await run_in_threadpool(
            _users_page, request, services, user, error=_mismatch(_), values=values, status=400
        )
    try:
        row, created, generated = await run_in_threadpool(
            users.create_user_with_password,
            services,
            user.actor,
            email=values["email"],
            display_name=values["name"] or None,
            password=password or None,
        )
    except problems.Problem as problem:
        if problem.status in (401, 403):
            raise
        error = explain(problem, _)
        return await run_in_threadpool(
            _users_page, request, services, user, error=error, values=values, status=problem.status
        )
    assert row.id is not None
    if generated is not None:
        return _password_page(request, row.id, row.display_name, created.email, generated)
    return redirect(
        urls.admin_user(row.id),
        notice=_("The account is ready: {name} can sign in with the password you chose.").format(
            name=row.display_name
        ),
    )


@router.get("/admin/users/{actor_id}")
def user_page(request: Request, services: ServicesDep, user: UserDep, actor_id: int) -> Response:
    return _user_page(request, services, user, actor_id)


@router.post("/admin/users/{actor_id}/password")
async def reset_password(
    request: Request, services: ServicesDep, user: UserDep, actor_id: int
) -> Response:
    form = await posted_form(request, user)
    _ = templates_of(request).gettext(request)
    password, again = _secret(form, "password"), _secret(form, "password_again")
    if password != again:
        return await run_in_threadpool(
            _user_page, request, services, user, actor_id, error=_mismatch(_), status=400
        )
    try:
        generated = await run_in_threadpool(
            users.reset_or_generate_password,
            services,
            user.actor,
            actor_id=actor_id,
            new=password or None,
        )
    except problems.Problem as problem:
        if problem.status in (401, 403, 404):
            raise
        return await run_in_threadpool(
            _user_page,
            request,
            services,
            user,
            actor_id,
            error=explain(problem, _),
            status=problem.status,
        )
    found = await run_in_threadpool(
        users.account_with_roles, services, user.actor, actor_id=actor_id
    )
    if generated is not None:
        return _password_page(
            request, actor_id, found.actor.display_name, found.user.email, generated, reset=True
        )
    return redirect(
        urls.admin_user(actor_id),
        notice=_(
            "The new password is set. {name} was signed out everywhere and signs in again with it."
        ).format(name=found.actor.display_name),
    )


@router.post("/admin/users/{actor_id}/administrator")
async def administrator_role(
    request: Request, services: ServicesDep, user: UserDep, actor_id: int
) -> Response:
    """Make a user an administrator (``action=grant``) or remove the role (``revoke``)."""
    form = await posted_form(request, user)
    _ = templates_of(request).gettext(request)
    action = field(form, "action")
    if action not in ("grant", "revoke"):
        raise problems.unexpected_value("action", action, "expected grant or revoke.")
    change = users.assign_site_role if action == "grant" else users.unassign_site_role
    try:
        await run_in_threadpool(change, services, user.actor, role="admin", actor_id=actor_id)
    except problems.Problem as problem:
        if problem.code != LAST_ADMINISTRATOR:
            raise
        error = _(
            "This is the only administrator. Make someone else an administrator first, so"
            " that someone can still manage users."
        )
        return await run_in_threadpool(
            _user_page, request, services, user, actor_id, error=error, status=problem.status
        )
    if action == "revoke" and actor_id == user.id:
        return redirect(urls.projects(), notice=_("You are no longer an administrator."))
    found = await run_in_threadpool(
        users.account_with_roles, services, user.actor, actor_id=actor_id
    )
    name = found.actor.display_name
    notice = (
        _("{name} is now an administrator.")
        if action == "grant"
        else _("{name} is no longer an administrator.")
    )
    return redirect(urls.admin_user(actor_id), notice=notice.format(name=name))


def _users_page(
    request: Request,
    services: Services,
    user: ConsoleUser,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    found = users.accounts_with_roles(services, user.actor)
    return templates_of(request).page(
        request,
        "admin_users.html",
        {"accounts": found, "error": error, "values": values or {}, "tab": "users"},
        status=status,
    )


def _user_page(
    request: Request,
    services: Services,
    user: ConsoleUser,
    actor_id: int,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    found = users.account_with_roles(services, user.actor, actor_id=actor_id)
    return templates_of(request).page(
        request,
        "admin_user.html",
        {"account": found, "is_self": found.id == user.id, "error": error, "tab": "users"},
        status=status,
    )


def _password_page(
    request: Request, actor_id: int, name: str, email: str, password: str, *, reset: bool = False
) -> Response:
    return templates_of(request).page(
        request,
        "admin_password.html",
        {
            "actor_id": actor_id,
            "name": name,
            "email": email,
            "password": password,
            "reset": reset,
            "tab": "users",
        },
    )


def _secret(form: FormData, name: str) -> str:
    """A password field as typed (not stripped: spaces may be part of it)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _mismatch(_: Callable[[str], str]) -> str:
    return _("The two passwords are not the same. Type the same one twice, or leave both empty.")


# The audit log --------------------------------------------------------------------------


@router.get("/admin/audits")
def audit_log(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    action: str = "",
    start: str = "",
    end: str = "",
    offset: int = 0,
) -> Response:
    """The log, newest first, a page at a time; dates are days in the server's time zone."""
    zone = ZoneInfo(services.settings.timezone)
    if action and action not in AUDIT_GROUPS:
        raise problems.unexpected_value("action", action, "expected one of the listed groups.")
    first, last = _day("start", start, zone), _day("end", end, zone)
    page = audits.audit_page(
        services,
        user.actor,
        action=action or None,
        start=first,
        end=last + timedelta(days=1) - timedelta(microseconds=1) if last else None,
        limit=AUDITS_PER_PAGE,
        offset=offset,
    )
    _ = templates_of(request).gettext(request)
    filters = {"action": action, "start": start, "end": end}
    newer = max(offset - AUDITS_PER_PAGE, 0)
    return templates_of(request).page(
        request,
        "admin_audits.html",
        {
            "rows": [(view, describe(view, page.subjects, _)) for view in page.entries],
            "filters": filters,
            "groups": AUDIT_GROUPS,
            "timezone": services.settings.timezone,
            "newer_url": urls.with_query(urls.admin_audits(), **filters, offset=newer or None)
            if offset > 0
            else None,
            "older_url": urls.with_query(
                urls.admin_audits(), **filters, offset=offset + AUDITS_PER_PAGE
            )
            if page.more
            else None,
            "tab": "audits",
        },
    )


def _day(name: str, value: str, zone: ZoneInfo) -> datetime | None:
    """The start of a day (``YYYY-MM-DD``) in the server's time zone."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise problems.unexpected_value(name, value, "expected a date (YYYY-MM-DD).") from error
    return datetime.combine(day, time(), tzinfo=zone)


# The server's health ----------------------------------------------------------------------


@router.get("/admin/health")
def server_health(request: Request, services: ServicesDep, user: UserDep) -> Response:
    phone = phone_origin(request, services.settings)
    report = health.server_health(
        services, user.actor, phone_origin=phone.origin, phone_reachable=phone.reachable
    )
    return templates_of(request).page(
        request,
        "admin_health.html",
        {"health": report, "timezone": services.settings.timezone, "tab": "health"},
    )
