"""Entity lists travel down and entities made at the hub travel up once: a hub's phones
see initiatives registered anywhere, and nothing is doubled on the way back."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.entities.builders import create_form, create_submission, update_form
from tests.relay.servers import ServerProcess, run_relay


def _post_form(client: httpx.Client, project: int, xml: bytes) -> None:
    response = client.post(
        f"/v1/projects/{project}/forms",
        params={"publish": "true"},
        content=xml,
        headers={"Content-Type": "application/xml"},
    )
    assert response.status_code == 200, response.text


def _submit(client: httpx.Client, project: int, xml: bytes) -> None:
    response = client.post(
        f"/v1/projects/{project}/submission",
        files={"xml_submission_file": ("s.xml", xml, "text/xml")},
        headers={"X-OpenRosa-Version": "1.0"},
    )
    assert response.status_code == 201, response.text


def _entities(client: httpx.Client, project: int) -> dict[str, tuple[str, int]]:
    response = client.get(f"/v1/projects/{project}/datasets/trees/entities")
    assert response.status_code == 200, response.text
    return {
        e["uuid"]: (e["currentVersion"]["label"], e["currentVersion"]["version"])
        for e in response.json()
    }


def test_entity_lists_come_down_and_hub_entities_go_up_once(
    central: ServerProcess,
    central_admin: httpx.Client,
    hub: ServerProcess,
    hub_admin: httpx.Client,
    hub_dir: Path,
) -> None:
    project = central_admin.post("/v1/projects", json={"name": "Pusat"}).json()["id"]
    _post_form(central_admin, project, create_form())
    _post_form(central_admin, project, update_form())
    upstream_oak, oak = create_submission(label="Oak")
    _submit(central_admin, project, upstream_oak)

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
    hub_project = hub_admin.get("/v1/projects").json()[0]["id"]
    assert _entities(hub_admin, hub_project) == {oak: ("Oak", 1)}
    listed = hub_admin.get(f"/v1/projects/{hub_project}/forms/tree_update/attachments/trees.csv")
    assert listed.status_code == 200 and oak in listed.text

    hub_fir, fir = create_submission(label="Fir")
    _submit(hub_admin, hub_project, hub_fir)
    for _ in range(2):
        again = run_relay(hub_dir, "--once", JARING_UPSTREAM_PASSWORD=ADMIN_PASSWORD)
        assert again.returncode == 0, again.stdout + again.stderr
    assert _entities(central_admin, project) == {oak: ("Oak", 1), fir: ("Fir", 1)}
    assert _entities(hub_admin, hub_project) == {oak: ("Oak", 1), fir: ("Fir", 1)}

    central_admin.patch(
        f"/v1/projects/{project}/datasets/trees/entities/{oak}",
        params={"baseVersion": "1"},
        json={"label": "Old oak"},
    )
    last = run_relay(hub_dir, "--once", JARING_UPSTREAM_PASSWORD=ADMIN_PASSWORD)
    assert last.returncode == 0, last.stdout + last.stderr
    assert _entities(hub_admin, hub_project)[oak][0] == "Old oak"
