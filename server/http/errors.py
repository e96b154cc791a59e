"""Rendering errors: Problems as Central's JSON, or as OpenRosa XML to phones.

Every failure leaves as a Problem: FastAPI's own validation errors become 400s, a full
disk a 507, a blob the store has lost a 500.2 (logged with its digest), anything
unexpected a 500.1 whose details stay in the log.
"""

from __future__ import annotations

import errno
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server import problems
from server.external.blobs import BlobMissing
from server.formats import openrosa
from server.problems import Problem

log = logging.getLogger("jaring.http")

OPENROSA_PATH_ENDINGS = ("/formList", "/manifest", "/submission")


def is_openrosa_request(request: Request) -> bool:
    return request.url.path.endswith(OPENROSA_PATH_ENDINGS)


def render_problem(request: Request, problem: Problem) -> Response:
    headers = dict(problem.headers)
    if problem.status == 401:
        headers.setdefault("WWW-Authenticate", 'Basic charset="UTF-8"')
    if is_openrosa_request(request):
        return Response(
            openrosa.response(problem.message, nature="error"),
            status_code=problem.status,
            media_type="text/xml; charset=utf-8",
            headers=headers,
        )
    return JSONResponse(problem.as_json(), status_code=problem.status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return render_problem(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("loc", ("",))[0] == "path":
            problem = _path_problem(first)
            if problem is not None:
                return render_problem(request, problem)
        location = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        reason = str(first.get("msg", "invalid value"))
        if first.get("type") == "missing":
            problem = problems.missing_parameter(location or "body")
        else:
            problem = problems.unexpected_value(location or "body", first.get("input"), reason)
        return render_problem(request, problem)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return render_problem(request, problems.not_found())
        if exc.status_code == 405:
            return render_problem(
                request, Problem("405.1", "This method is not allowed on this resource.")
            )
        return render_problem(request, Problem(f"{exc.status_code}.1", str(exc.detail)))

    async def on_blob_missing(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BlobMissing)
        log_blob_missing(request, exc)
        return render_problem(request, problems.blob_missing(exc.sha256))

    async def on_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, OverflowError) or _sqlstate(exc) == POSTGRES_OUT_OF_RANGE:
            # An ID beyond what the database can hold names nothing that exists.
            return render_problem(request, problems.not_found())
        if isinstance(exc, DBAPIError) and "NUL (0x00)" in str(exc.orig):
            # PostgreSQL text cannot hold NUL characters (SQLite can); refuse, do not fail.
            return render_problem(
                request,
                problems.unexpected_value("text", "NUL", "text may not contain NUL characters."),
            )
        if is_disk_full(exc):
            log.error("disk full while handling %s %s", request.method, request.url.path)
            return render_problem(request, problems.storage_full())
        log.exception("unexpected error handling %s %s", request.method, request.url.path)
        return render_problem(request, problems.unknown())

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(BlobMissing, on_blob_missing)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_error)
    # Handled here rather than by the catch-all above, which re-raises to the server (a
    # traceback per request and a dropped connection) after answering.
    app.add_exception_handler(OSError, on_error)
    app.add_exception_handler(DBAPIError, on_error)
    app.add_exception_handler(OverflowError, on_error)


def log_blob_missing(request: Request, exc: BlobMissing) -> None:
    log.error(
        "blob %s is missing from the %s blob store (%s %s)",
        exc.sha256,
        exc.store,
        request.method,
        request.url.path,
        extra={"sha256": exc.sha256, "blob_store": exc.store},
    )


def _path_problem(error: Any) -> Problem | None:
    """Central's answer to a numeric ID in the path that cannot be one (see `DatabaseId`)."""
    value = str(error.get("input"))
    if error.get("type") in ("int_parsing", "int_from_float"):
        return problems.invalid_data_type(value, "type integer")
    if error.get("type") in ("greater_than_equal", "less_than_equal"):
        return problems.value_out_of_range(value, "integer")
    return None


SQLITE_FULL = 13
POSTGRES_DISK_FULL = "53100"
POSTGRES_OUT_OF_RANGE = "22003"


def _sqlstate(exc: BaseException) -> str | None:
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return state if isinstance(state, str) else None


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a full disk: a file write, SQLite or PostgreSQL."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        original = getattr(seen, "orig", None)
        if getattr(original, "sqlite_errorcode", None) == SQLITE_FULL:
            return True
        if getattr(original, "sqlstate", None) == POSTGRES_DISK_FULL:
            return True
        seen = seen.__cause__ or seen.__context__
    return False
