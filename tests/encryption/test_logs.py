"""No passphrase in any log line of `jaring serve`, however it was sent."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from server.domain import Services
from server.domain.accounts import create_user
from server.http.logs import redact
from server.settings import Settings
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD, publish_xform, xform
from tests.encryption.support import FORM, PASSPHRASE
from tests.reliability.support import ServerProcess

WRONG = "tebakan-sandi-yang-salah"


def test_passphrases_never_reach_the_log(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    create_user(services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True)
    log = tmp_path / "serve.log"
    with ServerProcess(settings, log) as server, httpx.Client(base_url=server.url) as http:
        auth = (ADMIN_EMAIL, ADMIN_PASSWORD)
        project = http.post("/v1/projects", json={"name": "Rahasia"}, auth=auth).json()["id"]
        token = http.post("/v1/sessions", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['token']}"}
        assert publish_xform(http, headers, project, xform(FORM)).status_code == 200
        short = http.post(
            f"/v1/projects/{project}/key", json={"passphrase": "pendek"}, headers=headers
        )
        assert short.status_code == 400
        on = http.post(
            f"/v1/projects/{project}/key", json={"passphrase": PASSPHRASE}, headers=headers
        )
        assert on.status_code == 200
        key_id = http.get(f"/v1/projects/{project}", headers=headers).json()["keyId"]
        base = f"/v1/projects/{project}/forms/{FORM}/submissions"
        for passphrase, status in ((PASSPHRASE, 200), (WRONG, 400)):
            got = http.get(f"{base}.csv.zip", params={str(key_id): passphrase}, headers=headers)
            assert got.status_code == status
            posted = http.post(f"{base}.csv", json={str(key_id): passphrase}, headers=headers)
            assert posted.status_code == status
            form = http.post(f"{base}.csv", data={str(key_id): passphrase}, headers=headers)
            assert form.status_code == status
        server.terminate()
    text = log.read_text()
    for secret in (PASSPHRASE, WRONG, "pendek"):
        assert secret not in text
    for encoded in (PASSPHRASE.replace(" ", "+"), PASSPHRASE.replace(" ", "%20")):
        assert encoded not in text
    access = [json.loads(line) for line in text.splitlines() if '"jaring.access"' in line]
    assert any(line.get("query") == f"{key_id}=[redacted]" for line in access)


def test_redact_blanks_passphrases() -> None:
    line = '?1=rahasia%20sekali&attachments=false {"passphrase": "kata sandi"} &12=x+y'
    cleaned = redact(line)
    for secret in ("rahasia", "kata sandi", "x+y"):
        assert secret not in cleaned
    assert "attachments=false" in cleaned
