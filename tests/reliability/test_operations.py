"""Operations: /healthz, request IDs in responses and logs, and graceful shutdown."""

from __future__ import annotations

import io
import json
import logging
import random
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.domain import Services
from server.external.blobs import FileBlobStore
from server.http.logs import JsonLines, RedactTokens
from server.settings import Settings
from server.store.database import Database
from tests.reliability.conftest import Phone
from tests.reliability.support import (
    OPENROSA,
    ServerProcess,
    check_no_half_writes,
    check_stored,
    multipart_files,
    new_submission,
)


def test_healthz_says_ok_when_the_database_answers(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_down(
    live_server: tuple[str, Any], settings: Settings, tmp_path: Path
) -> None:
    url, switch = live_server
    broken = Services(
        settings=settings,
        db=Database(f"sqlite:///{tmp_path}/no/such/folder/jaring.db", pooled=False),
        blobs=FileBlobStore(tmp_path / "blobs"),
    )
    switch.target = create_app(settings, services=broken)
    try:
        response = httpx.get(f"{url}/healthz")
    finally:
        switch.target = None
    assert response.status_code == 503
    assert response.json()["database"] == "down"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Jaring's log lines as `jaring serve` writes them, captured."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    handler.addFilter(RedactTokens())
    logger = logging.getLogger("jaring")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(previous)


def test_request_ids_are_echoed_and_logged(client: httpx.Client, json_log: io.StringIO) -> None:
    given = client.get("/v1/projects", headers={"X-Request-ID": "phone-42.retry-1"})
    assert given.headers["x-request-id"] == "phone-42.retry-1"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    access = {line["request_id"]: line for line in lines if line["logger"] == "jaring.access"}
    assert access["phone-42.retry-1"]["status"] == 401
    assert access["phone-42.retry-1"]["path"] == "/v1/projects"
    assert access[made.headers["x-request-id"]]["status"] == 200


def _slow_body(body: bytes, sent_half: threading.Event) -> Iterator[bytes]:
    half = len(body) // 2
    yield body[:half]
    sent_half.set()
    for start in range(half, len(body), len(body) // 10):
        time.sleep(0.15)
        yield body[start : start + len(body) // 10]


def test_sigterm_lets_an_upload_in_flight_finish(
    settings: Settings, services: Services, phone: Phone, tmp_path: Path
) -> None:
    sent = new_submission(random.Random(5), size=400_000)
    request = httpx.Request("POST", "http://x/", files=multipart_files(sent))
    body = request.read()
    server = ServerProcess(settings, tmp_path / "serve.log").start()
    url = phone.server_url(server.url)
    sent_half = threading.Event()
    outcome: dict[str, Any] = {}

    def upload() -> None:
        try:
            response = httpx.post(
                f"{url}/submission",
                content=_slow_body(body, sent_half),
                headers={**OPENROSA, "Content-Type": request.headers["Content-Type"]},
                timeout=60,
            )
            outcome["status"] = response.status_code
        except httpx.TransportError as error:
            outcome["error"] = error

    uploader = threading.Thread(target=upload)
    uploader.start()
    try:
        assert sent_half.wait(30)
        time.sleep(0.2)
        terminated = threading.Thread(target=lambda: outcome.update(code=server.terminate()))
        terminated.start()
        time.sleep(0.3)
        # A phone arriving now is refused (or, if it slipped in first, served in full).
        late = new_submission(random.Random(6), size=1000)
        try:
            late_status: int | str = httpx.post(
                f"{url}/submission", headers=OPENROSA, files=multipart_files(late), timeout=30
            ).status_code
        except httpx.TransportError as error:
            late_status = type(error).__name__
        uploader.join(60)
        terminated.join(60)
    finally:
        server.kill()
    # The upload in flight completed, then the server stopped cleanly.
    assert outcome.get("status") == 201, outcome
    # uvicorn re-raises SIGTERM once it has shut down cleanly, so the status says so.
    assert outcome["code"] in (0, -signal.SIGTERM)
    assert "Finished server process" in (tmp_path / "serve.log").read_text()
    if late_status == 201:
        check_stored(services, [sent, late])
        assert check_no_half_writes(services) == 2
    else:
        assert late_status in ("ConnectError", "RemoteProtocolError", 503), late_status
        check_stored(services, [sent])
        assert check_no_half_writes(services) == 1
