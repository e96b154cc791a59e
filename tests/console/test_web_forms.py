"""The web form pages over HTTP: who may open them, and the submission from the browser,
which is an ordinary submission with a phone's checks (tested in Chromium in
`test_web_forms_browser.py`)."""

from __future__ import annotations

import uuid

import httpx

from tests.builders import publish_xform, submission, xform
from tests.console.support import Console, page, text
from tests.encryption.support import self_keyed_xform

FORM = "profil"
ENTER = "/projects/{project_id}/forms/profil/enter"


def _send(console: Console, project_id: int, body: bytes, **headers: str) -> httpx.Response:
    return console.client.post(
        ENTER.format(project_id=project_id),
        params={"deviceID": "web:chrome:1234"},
        files={"xml_submission_file": ("submission.xml", body, "text/xml")},
        headers={"X-CSRF-Token": console.csrf, **headers},
    )


def test_a_submission_from_the_browser_is_an_ordinary_submission(
    admin_console: Console,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    instance = f"uuid:{uuid.uuid4()}"
    response = _send(admin_console, project_id, submission(instance_id=instance))
    assert response.status_code == 201, response.text
    assert response.json() == {"instanceId": instance}
    again = _send(admin_console, project_id, submission(instance_id=instance))
    assert again.status_code == 201  # sent twice, stored once
    listed = client.get(
        f"/v1/projects/{project_id}/forms/{FORM}/submissions", headers=admin_headers
    ).json()
    assert [(s["instanceId"], s["deviceId"]) for s in listed] == [(instance, "web:chrome:1234")]


def test_a_submission_from_the_browser_gets_the_phones_checks(
    admin_console: Console, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    wrong_form = _send(admin_console, project_id, submission(form_id="lain"))
    assert wrong_form.status_code == 400
    assert wrong_form.json()["code"] == 400.8
    assert "lain" in wrong_form.json()["message"]
    broken = _send(admin_console, project_id, b"<data")
    assert broken.status_code == 400
    assert broken.json()["code"] == 400.1
    client.patch(
        f"/v1/projects/{project_id}/forms/{FORM}", json={"state": "closed"}, headers=admin_headers
    )
    closed = _send(admin_console, project_id, submission())
    assert closed.status_code == 409


def test_a_submission_from_the_browser_needs_the_session_and_its_token(
    admin_console: Console, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    forged = _send(admin_console, project_id, submission(), **{"X-CSRF-Token": "x" * 40})
    assert forged.status_code == 401
    anonymous = client.post(
        ENTER.format(project_id=project_id),
        files={"xml_submission_file": ("submission.xml", submission(), "text/xml")},
    )
    assert anonymous.status_code == 401
    assert (
        client.get(
            f"/v1/projects/{project_id}/forms/{FORM}/submissions", headers=admin_headers
        ).json()
        == []
    )


def test_an_encrypted_form_is_not_entered_in_the_browser(
    admin_console: Console, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    body, _ = self_keyed_xform()
    assert publish_xform(client, admin_headers, project_id, body).status_code == 200
    shown = admin_console.get(ENTER.format(project_id=project_id))
    assert page(shown).cssselect("#web-form") == []
    assert "terenkripsi" in text(shown, "[role=alert]")[0]
    form_page = page(admin_console.get(f"/projects/{project_id}/forms/{FORM}")).text_content()
    assert "Masukkan wawancara kertas" not in form_page
    assert "Pratinjau di peramban" in form_page
