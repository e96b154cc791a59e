"""Public links: off by default; a manager makes one, anyone holding it fills the form
(the link is the submitter), it has its own hourly limit, and once revoked it opens
nothing."""

from __future__ import annotations

import re

import httpx

from server.domain import Services
from server.store.tables import Actor
from tests.builders import publish_xform, submission, xform
from tests.console.support import Console, page

FORM = "/projects/{project_id}/forms/profil"


def _make_link(console: Console, project_id: int, name: str = "Kader Desa Babau") -> str:
    response = console.post(FORM.format(project_id=project_id) + "/public-links", {"name": name})
    assert response.status_code == 303, response.text
    shown = console.get(FORM.format(project_id=project_id)).text
    found = re.findall(r'href="(/f/[A-Za-z0-9_\-]+)"', shown)
    assert found, "the form page shows the link"
    return str(found[-1])  # the newest


def _submit(client: httpx.Client, link: str, body: bytes) -> httpx.Response:
    return client.post(
        f"{link}/submission",
        params={"deviceID": "web:firefox:1"},
        files={"xml_submission_file": ("submission.xml", body, "text/xml")},
    )


def test_public_links_are_off_by_default(
    admin_console: Console, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    form_page = admin_console.get(FORM.format(project_id=project_id))
    assert page(form_page).cssselect("#public-links") == []
    refused = admin_console.post(
        FORM.format(project_id=project_id) + "/public-links", {"name": "Semua orang"}
    )
    assert refused.status_code == 404


def test_anyone_with_a_link_fills_the_form_until_it_is_revoked(
    services: Services,
    admin_console: Console,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    services.settings.public_links = True
    publish_xform(client, admin_headers, project_id, xform())
    link = _make_link(admin_console, project_id)
    with httpx.Client(base_url=str(client.base_url)) as stranger:
        opened = stranger.get(link)
        assert opened.status_code == 200
        assert page(opened).cssselect("#web-form")
        assert b'<data id="profil"' in stranger.get(f"{link}/form.xml").content
        sent = _submit(stranger, link, submission(instance_id="uuid:publik-1"))
        assert sent.status_code == 201, sent.text
    listed = client.get(
        f"/v1/projects/{project_id}/forms/profil/submissions", headers=admin_headers
    ).json()
    assert [s["instanceId"] for s in listed] == ["uuid:publik-1"]
    with services.db.read() as session:
        submitter = session.get(Actor, listed[0]["submitterId"])
    assert submitter is not None
    assert (submitter.type, submitter.display_name) == ("public_link", "Kader Desa Babau")
    assert listed[0]["deviceId"] == "web:firefox:1"
    # Revoked: the link opens nothing and takes nothing.
    form_page = admin_console.get(FORM.format(project_id=project_id)).text
    revoke = re.search(r'action="([^"]+/revoke)"', form_page)
    assert revoke
    assert admin_console.post(revoke.group(1)).status_code == 303
    assert client.get(link).status_code == 404
    assert _submit(client, link, submission(instance_id="uuid:publik-2")).status_code == 404
    assert "dicabut" in admin_console.get(FORM.format(project_id=project_id)).text


def test_a_link_takes_a_limited_number_of_submissions_an_hour(
    services: Services,
    admin_console: Console,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    services.settings.public_links = True
    services.settings.public_link_submissions_per_hour = 2
    publish_xform(client, admin_headers, project_id, xform())
    link = _make_link(admin_console, project_id)
    assert _submit(client, link, submission()).status_code == 201
    assert _submit(client, link, submission()).status_code == 201
    third = _submit(client, link, submission())
    assert third.status_code == 429
    assert int(third.headers["Retry-After"]) > 0
    # Another link has its own count.
    other = _make_link(admin_console, project_id, "Kader Desa Naibonat")
    assert other != link
    assert _submit(client, other, submission()).status_code == 201


def test_a_link_fills_only_its_own_form(
    services: Services,
    admin_console: Console,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    services.settings.public_links = True
    publish_xform(client, admin_headers, project_id, xform())
    publish_xform(client, admin_headers, project_id, xform("lain"))
    link = _make_link(admin_console, project_id)
    other_form = _submit(client, link, submission(form_id="lain"))
    assert other_form.status_code == 400
    assert client.get(f"{link}x").status_code == 404


def test_public_links_through_the_api_as_central_has_them(
    services: Services, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    base = f"/v1/projects/{project_id}/forms/profil/public-links"
    publish_xform(client, admin_headers, project_id, xform())
    assert client.post(base, json={"displayName": "x"}, headers=admin_headers).status_code == 404
    services.settings.public_links = True
    made = client.post(base, json={"displayName": "Kader"}, headers=admin_headers)
    assert made.status_code == 200, made.text
    link = made.json()
    assert (link["displayName"], link["type"]) == ("Kader", "public_link")
    assert client.get(f"/f/{link['token']}").status_code == 200
    assert [x["id"] for x in client.get(base, headers=admin_headers).json()] == [link["id"]]
    missing = client.post(base, json={}, headers=admin_headers)
    assert missing.status_code == 400
    gone = client.delete(f"{base}/{link['id']}", headers=admin_headers)
    assert gone.json() == {"success": True}
    assert client.get(base, headers=admin_headers).json() == []
    assert client.get(f"/f/{link['token']}").status_code == 404
    assert client.delete(f"{base}/999999", headers=admin_headers).status_code == 404
