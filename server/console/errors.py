"""Errors as the console shows them: a sentence in the user's language, never JSON or a
stack trace.

`ConsoleRoute` is the route class of every console router: a Problem raised while a page
is made (by the domain, a permission check, a bad parameter) becomes an error page with
the Problem's HTTP status; a missing or expired sign-in sends the visitor to the sign-in
page and back. `explain` turns a Problem into the sentence shown.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute

from server import problems
from server.console import urls
from server.console.rendering import redirect, templates_of
from server.console.session import current_user
from server.http.errors import is_disk_full

log = logging.getLogger("jaring.console")


def explain(problem: problems.Problem, _: Callable[[str], str]) -> str:
    """The sentence a person reads for ``problem`` (``_`` translates)."""
    details = problem.details or {}
    code = problem.code
    if code.startswith("401"):
        if details.get("reason") == "csrf":
            return _(
                "This form was open too long or came from another site. Go back, reload the"
                " page and try again."
            )
        return _("The email or password is not right.")  # also a wrong current password
    if code == "403.1":
        return _("Your role does not allow this. Ask a project manager or an administrator.")
    if code.startswith("404"):
        return _("This page does not exist, or it was removed.")
    if code == "400.15":
        return _("The spreadsheet could not be turned into a form. See what is wrong below.")
    if code == "400.16":
        return _("The form can be used, but the spreadsheet has warnings. See them below.")
    if code == "400.21":
        return _("The password is too short: it needs at least 10 characters.")
    if code == "400.38":
        return _("The password is too long: it may have at most 288 characters.")
    if code == "409.3":
        return _("This already exists: {values}.").format(
            values=", ".join(str(v) for v in details.get("values", []))
        )
    if code == "409.6":
        return _("Version {version} was published before. Give this draft a new version.").format(
            version=details.get("version", "")
        )
    if code == "409.15":
        return _(
            "Someone changed this entity while you were looking at it. Reload the page and"
            " check it again."
        )
    if code == "400.32":
        return _("This entity has no conflict left to resolve.")
    if code == "409.7":
        return _("A form that was never published must keep its draft.")
    if code == "409.2":
        return _("This form is closed and accepts no submissions.")
    if code.startswith("413"):
        limit = details.get("limit")
        megabytes = math.floor(limit / 1_000_000) if isinstance(limit, int) else "?"
        return _("The file is too large: the limit is {megabytes} MB.").format(megabytes=megabytes)
    if code.startswith("429"):
        minutes = max(1, math.ceil(int(details.get("retryAfter", 60)) / 60))
        return _("Too many wrong passwords. Wait {minutes} minutes, then try again.").format(
            minutes=minutes
        )
    if code == "507.1":
        return _("The server's disk is full; nothing was saved. Tell your administrator.")
    if problem.status >= 500:
        return _("Something went wrong on the server. Try again in a moment.")
    if code in ("400.2", "400.8"):
        return _("Something in what you entered is not right: {message}").format(
            message=problem.message
        )
    return _("This could not be done: {message}").format(message=problem.message)


def error_page(request: Request, problem: problems.Problem) -> Response:
    """The error page for ``problem``, or the sign-in page when signing in is the answer."""
    signed_out = current_user(request) is None
    if problem.status == 401 and signed_out and (problem.details or {}).get("reason") != "csrf":
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return redirect(urls.login(target if request.method == "GET" else None))
    templates = templates_of(request)
    _ = templates.gettext(request)
    return templates.page(
        request,
        "error.html",
        {"message": explain(problem, _), "problem": problem},
        status=problem.status,
        headers=problem.headers,
    )


class ConsoleRoute(APIRoute):
    """A console route: Problems and bad parameters become pages, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except problems.Problem as problem:
                return error_page(request, problem)
            except RequestValidationError as error:
                first = error.errors()[0] if error.errors() else {}
                location = ".".join(str(p) for p in first.get("loc", ()))
                return error_page(
                    request,
                    problems.unexpected_value(location, first.get("input"), "not understood."),
                )
            except Exception as error:
                if is_disk_full(error):
                    return error_page(request, problems.storage_full())
                log.exception("unexpected error on %s %s", request.method, request.url.path)
                return error_page(request, problems.unknown())

        return guarded
