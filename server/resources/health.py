"""``GET /healthz``: is the process up, and can it reach its database?

For load balancers, container health checks and uptime monitors: 200 with
``{"status": "ok", "database": "ok"}``, or 503 when the database does not answer.
It needs no credentials and says nothing about the data.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text

from server.http.auth import ServicesDep

router = APIRouter(tags=["operations"])
log = logging.getLogger("jaring.health")


@router.get("/healthz")
async def healthz(services: ServicesDep) -> JSONResponse:
    def probe() -> None:
        with services.db.read() as session:
            session.execute(text("SELECT 1")).one()

    try:
        await run_in_threadpool(probe)
    except Exception:  # noqa: BLE001 - any failure to reach the database is "down"
        log.warning("health check: the database does not answer", exc_info=True)
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
