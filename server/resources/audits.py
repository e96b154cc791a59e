"""``GET /v1/audits``: the audit log, for administrators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from server import problems
from server.domain import audits
from server.formats.central_json import audit_json
from server.http.auth import ActorDep, ServicesDep
from server.http.params import extended

router = APIRouter(tags=["audits"])


@router.get("/audits")
def list_audits(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    action: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    views = audits.list_audits(
        services,
        actor,
        action=action,
        start=_moment("start", start),
        end=_moment("end", end),
        limit=limit,
        offset=offset,
    )
    more = extended(request)
    return [audit_json(v.audit, v.actor if more else None) for v in views]


def _moment(name: str, value: str | None) -> datetime | None:
    """An ISO 8601 date or time; a bare date means the start of that day (UTC)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise problems.unexpected_value(name, value, "expected an ISO 8601 date.") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
