"""`jaring serve` logs: JSON lines with request IDs, and no password or token in them."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx

from server.domain import Services
from server.domain.accounts import create_user
from server.http.logs import redact
from server.settings import Settings
from tests.builders import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    OPENROSA,
    create_app_user,
    publish_xform,
    xform,
)
from tests.reliability.support import ServerProcess

WRONG_PASSWORD = "tebakan-RAHASIA-salah"


def test_serve_logs_are_json_lines_without_secrets(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    create_user(services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True)
    log = tmp_path / "serve.log"
    with ServerProcess(settings, log) as server, httpx.Client(base_url=server.url) as http:
        session = http.post("/v1/sessions", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        token = session.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        project = http.post("/v1/projects", json={"name": "Rahasia"}, headers=headers).json()["id"]
        assert publish_xform(http, headers, project, xform()).status_code == 200
        app_user = create_app_user(http, headers, project, forms=("profil",))
        key = app_user["token"]
        assert (
            http.get(f"/v1/key/{key}/projects/{project}/formList", headers=OPENROSA).status_code
            == 200
        )
        assert (
            http.get(f"/v1/test/{key}/projects/{project}/formList", headers=OPENROSA).status_code
            == 404
        )
        assert http.get("/v1/users/current", auth=(ADMIN_EMAIL, ADMIN_PASSWORD)).status_code == 200
        assert http.get("/v1/users/current", auth=(ADMIN_EMAIL, WRONG_PASSWORD)).status_code == 401
        wrong = http.post("/v1/sessions", json={"email": ADMIN_EMAIL, "password": WRONG_PASSWORD})
        assert wrong.status_code == 401
        assert (
            http.get("/v1/projects", headers={"Authorization": f"Bearer {key}"}).status_code == 401
        )
        traced = http.get("/healthz", headers={"X-Request-ID": "trace-me-1"})
        assert traced.headers["x-request-id"] == "trace-me-1"
        # uvicorn's h11 parser refuses a header block above 64 kB before reading it all.
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 1_000_000)
            reply = sock.recv(1024)
        assert reply.startswith(b"HTTP/1.1 4"), reply[:100]
        assert http.get("/healthz").status_code == 200
        server.terminate()

    text = log.read_text()
    for secret in (ADMIN_PASSWORD, WRONG_PASSWORD, token, key):
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert lines and len(lines) == len([line for line in text.splitlines() if line.strip()]) - 1
    access = [line for line in lines if line["logger"] == "jaring.access"]
    assert all(line["request_id"] for line in access)
    assert any(line["request_id"] == "trace-me-1" and line["status"] == 200 for line in access)
    assert any("/v1/key/[redacted]/projects" in line["path"] for line in access)


def test_redact_blanks_every_kind_of_secret() -> None:
    line = (
        "GET /v1/key/abcDEF123_-x/projects/1/formList Authorization: Bearer tok.en-1 "
        'authorization=Basic dXNlcjpwYXNz {"email": "a@b.c", "password": "rahasia 1"} '
        "password='x y' /v1/test/draftTOKEN/projects/2"
    )
    cleaned = redact(line)
    for secret in ("abcDEF123_-x", "tok.en-1", "dXNlcjpwYXNz", "rahasia 1", "x y", "draftTOKEN"):
        assert secret not in cleaned
    assert '"email": "a@b.c"' in cleaned
