"""Encrypted submissions through a field hub: the hub holds no private key, relays the
manifest and the ``.enc`` files byte for byte, and upstream they open with the passphrase."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD, publish_xform, xform
from tests.encryption.support import (
    FORM,
    PHOTO,
    csv_rows,
    decrypted_zip,
    enable,
    encrypted,
    post,
)
from tests.relay.servers import ServerProcess, run_relay


def test_a_field_hub_relays_encrypted_submissions_it_cannot_read(
    central: ServerProcess,
    central_admin: httpx.Client,
    hub: ServerProcess,
    hub_admin: httpx.Client,
    hub_dir: Path,
) -> None:
    project = central_admin.post("/v1/projects", json={"name": "Pusat"}).json()["id"]
    assert publish_xform(central_admin, {}, project, xform(FORM)).status_code == 200
    key_id = enable(central_admin, {}, project)
    setup = run_relay(
        hub_dir,
        "--once",
        "--hub", hub.url,
        "--upstream", central.url,
        "--upstream-project", str(project),
        "--email", ADMIN_EMAIL,
        JARING_UPSTREAM_PASSWORD=ADMIN_PASSWORD,
    )  # fmt: skip
    assert setup.returncode == 0, setup.stdout + setup.stderr
    hub_project = hub_admin.get("/v1/projects").json()[0]["id"]
    big = PHOTO * 6  # 60 KB, under the central's accepted length of 100 KB
    sent = encrypted(hub_admin, {}, hub_project, photo=big)
    assert post(hub_admin, {}, hub_project, sent).status_code == 201
    # The hub holds no private key: it shows the submission as sealed.
    hub_rows = csv_rows(
        hub_admin.get(f"/v1/projects/{hub_project}/forms/{FORM}/submissions.csv").content
    )
    assert [r["Status"] for r in hub_rows] == ["not decrypted"]
    again = run_relay(hub_dir, "--once", JARING_UPSTREAM_PASSWORD=ADMIN_PASSWORD)
    assert again.returncode == 0, again.stdout + again.stderr
    one = f"/v1/projects/{project}/forms/{FORM}/submissions/{sent.instance_id}"
    assert central_admin.get(f"{one}.xml").content == sent.manifest
    for name, data in sent.files.items():
        assert central_admin.get(f"{one}/attachments/{name}").content == data
    files = decrypted_zip(central_admin, project, key_id)
    assert files["media/foto.jpg"] == big
    assert csv_rows(files[f"{FORM}.csv"])[0]["name"] == "Ibu Siti"
