"""Forms travel down: a version published upstream is on the hub's form list, with its
media, after one relay cycle; here the hub logs in upstream as a web user (``--email``)."""

from __future__ import annotations

from pathlib import Path

import httpx

from sync.relay_state import RelayState
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.relay.forms import MEDIA_NAME, publish_with_media, relay_xform
from tests.relay.servers import ServerProcess, run_relay

NEW_MEDIA = b"kode,nama\n74,Sulawesi Tenggara\n"


def test_new_version_reaches_the_hub_after_one_cycle(
    central: ServerProcess,
    central_admin: httpx.Client,
    hub: ServerProcess,
    hub_admin: httpx.Client,
    hub_dir: Path,
) -> None:
    project = central_admin.post("/v1/projects", json={"name": "Pusat"}).json()["id"]
    publish_with_media(central_admin, project, relay_xform("laporan", "1"))
    first = run_relay(
        hub_dir,
        "--once",
        "--hub", hub.url,
        "--upstream", central.url,
        "--upstream-project", str(project),
        "--email", ADMIN_EMAIL,
        JARING_UPSTREAM_PASSWORD=ADMIN_PASSWORD,
    )  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    state = RelayState.in_data_dir(hub_dir)
    hub_project = state.get("hub_project")
    assert state.get("app_user_token") is None and state.get("upstream_email") == ADMIN_EMAIL
    state.close()

    draft = central_admin.post(
        f"/v1/projects/{project}/forms/laporan/draft",
        content=relay_xform("laporan", "2"),
        headers={"Content-Type": "application/xml"},
    )
    assert draft.status_code == 200, draft.text
    uploaded = central_admin.post(
        f"/v1/projects/{project}/forms/laporan/draft/attachments/{MEDIA_NAME}",
        content=NEW_MEDIA,
        headers={"Content-Type": "text/csv"},
    )
    assert uploaded.status_code == 200, uploaded.text
    published = central_admin.post(f"/v1/projects/{project}/forms/laporan/draft/publish")
    assert published.status_code == 200, published.text
    publish_with_media(central_admin, project, relay_xform("pasar", "1", media=False), media=False)

    again = run_relay(hub_dir, "--once", JARING_UPSTREAM_PASSWORD=ADMIN_PASSWORD)
    assert again.returncode == 0, again.stdout + again.stderr
    forms = hub_admin.get(f"/v1/projects/{hub_project}/forms").json()
    assert sorted((f["xmlFormId"], f["version"]) for f in forms) == [
        ("laporan", "2"),
        ("pasar", "1"),
    ]
    xml = hub_admin.get(f"/v1/projects/{hub_project}/forms/laporan.xml").content
    assert xml == central_admin.get(f"/v1/projects/{project}/forms/laporan.xml").content
    media = hub_admin.get(f"/v1/projects/{hub_project}/forms/laporan/attachments/{MEDIA_NAME}")
    assert media.content == NEW_MEDIA

    status = run_relay(hub_dir, "status")
    assert "laporan version '2' mirrored" in status.stdout, status.stdout
    assert f"as {ADMIN_EMAIL}" in status.stdout
