"""Reading query parameters as Central does: booleans as true/false in any case (pyODK
sends ``True``), and request bodies bounded by a size limit."""

from __future__ import annotations

from fastapi import Request

from server import problems


def flag(value: str | None, *, name: str, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise problems.unexpected_value(name, value, "expected true or false.")


def check_declared_length(request: Request, limit: int) -> None:
    """Refuse at once a body whose Content-Length is above ``limit`` (or nonsense)."""
    declared = request.headers.get("content-length")
    if declared is None:
        return
    try:
        length = int(declared)
    except ValueError as error:
        raise problems.invalid_header("Content-Length", declared) from error
    if length < 0:
        raise problems.invalid_header("Content-Length", declared)
    if length > limit:
        raise problems.request_too_large(limit)


async def bounded_body(request: Request, limit: int) -> bytes:
    check_declared_length(request, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise problems.request_too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def extended(request: Request) -> bool:
    """Whether the caller asked for Central's extended metadata (``X-Extended-Metadata``)."""
    return (request.headers.get("x-extended-metadata") or "").lower() == "true"
