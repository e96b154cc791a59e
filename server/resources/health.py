"""``GET /healthz``: is the process up, and can it reach its database?

For load balancers, container health checks and uptime monitors: 200 with
``{"status": "ok", "database": "ok"}``, or 503 when the database does not answer.
It needs no credentials and says nothing about the data.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from server.domain import health
from server.http.auth import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz(services: ServicesDep) -> JSONResponse:
    state = await run_in_threadpool(health.database_state, services)
    if not state.answers:
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
