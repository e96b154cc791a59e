"""The Central REST core over HTTP: sessions, users, projects, forms, app users."""

from __future__ import annotations

import io

import httpx
import openpyxl

from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD, publish_xform, xform

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsform(rows: list[list[str]], settings: list[list[str]] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    for row in [["type", "name", "label"], *rows]:
        survey.append(row)
    if settings:
        sheet = workbook.create_sheet("settings")
        for row in settings:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_session_lifecycle(client: httpx.Client, admin_headers: dict[str, str]) -> None:
    me = client.get("/v1/users/current", headers=admin_headers)
    assert me.status_code == 200
    assert me.json()["email"] == ADMIN_EMAIL and me.json()["type"] == "user"
    assert client.delete("/v1/sessions/current", headers=admin_headers).json() == {"success": True}
    gone = client.get("/v1/users/current", headers=admin_headers)
    assert gone.status_code == 401 and gone.json()["code"] == 401.2


def test_wrong_password_and_bad_tokens(client: httpx.Client, admin_headers: dict[str, str]) -> None:
    wrong = client.post("/v1/sessions", json={"email": ADMIN_EMAIL, "password": "not it"})
    assert wrong.status_code == 401 and wrong.json()["code"] == 401.2
    nobody = client.post("/v1/sessions", json={"email": "x@y.z", "password": "whatever!!"})
    assert nobody.status_code == 401
    missing = client.post("/v1/sessions", json={"email": ADMIN_EMAIL})
    assert missing.status_code == 400 and missing.json()["code"] == 400.3
    bogus = client.get("/v1/projects", headers={"Authorization": "Bearer nope"})
    assert bogus.status_code == 401
    garbled = client.get("/v1/projects", headers={"Authorization": "Basic %%%"})
    assert garbled.status_code == 401
    assert client.get("/v1/projects").status_code == 401


def test_basic_auth_works_like_a_session(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    listed = client.get("/v1/projects", auth=(ADMIN_EMAIL, ADMIN_PASSWORD))
    assert listed.status_code == 200 and [p["id"] for p in listed.json()] == [project_id]
    assert client.get("/v1/projects", auth=(ADMIN_EMAIL, "wrong")).status_code == 401


def test_projects(client: httpx.Client, admin_headers: dict[str, str], project_id: int) -> None:
    one = client.get(f"/v1/projects/{project_id}", headers=admin_headers).json()
    assert one["name"] == "Sulawesi Selatan" and one["archived"] is False
    assert client.get("/v1/projects/999", headers=admin_headers).status_code == 404
    unnamed = client.post("/v1/projects", json={}, headers=admin_headers)
    assert unnamed.status_code == 400 and unnamed.json()["code"] == 400.2


def test_form_json_has_central_keys(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    created = publish_xform(client, admin_headers, project_id, xform())
    assert created.status_code == 200
    form = created.json()
    for key in (
        "projectId",
        "xmlFormId",
        "name",
        "version",
        "enketoId",
        "keyId",
        "hash",
        "publishedAt",
        "state",
        "createdAt",
    ):
        assert key in form
    assert form["xmlFormId"] == "profil" and form["state"] == "open"
    listed = client.get(f"/v1/projects/{project_id}/forms", headers=admin_headers).json()
    assert [f["xmlFormId"] for f in listed] == ["profil"]
    xml = client.get(f"/v1/projects/{project_id}/forms/profil.xml", headers=admin_headers)
    assert xml.content == xform() and xml.headers["content-type"].startswith("application/xml")
    fields = client.get(f"/v1/projects/{project_id}/forms/profil/fields", headers=admin_headers)
    paths = {f["path"]: f["type"] for f in fields.json()}
    assert paths["/activity"] == "repeat" and paths["/location"] == "geopoint"


def test_duplicate_form_is_409_3(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    again = publish_xform(client, admin_headers, project_id, xform())
    assert again.status_code == 409 and again.json()["code"] == 409.3


def test_publishing_a_used_version_is_409_6(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, services
) -> None:
    from server.domain.access import SYSTEM
    from server.domain.forms import create_draft

    publish_xform(client, admin_headers, project_id, xform())
    create_draft(services, SYSTEM, project_id=project_id, xml_form_id="profil", definition=None)
    base = f"/v1/projects/{project_id}/forms/profil/draft/publish"
    refused = client.post(base, headers=admin_headers)
    assert refused.status_code == 409 and refused.json()["code"] == 409.6
    accepted = client.post(base, params={"version": "2"}, headers=admin_headers)
    assert accepted.status_code == 200
    form = client.get(f"/v1/projects/{project_id}/forms/profil", headers=admin_headers).json()
    assert form["version"] == "2"
    xml = client.get(f"/v1/projects/{project_id}/forms/profil.xml", headers=admin_headers)
    assert b'version="2"' in xml.content


def test_xlsform_upload(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    body = xlsform([["text", "nama", "Nama kelompok"]], [["form_id", "version"], ["kwt", "7"]])
    created = client.post(
        f"/v1/projects/{project_id}/forms",
        params={"publish": "True"},
        content=body,
        headers={**admin_headers, "Content-Type": XLSX},
    )
    assert created.status_code == 200, created.text
    assert (created.json()["xmlFormId"], created.json()["version"]) == ("kwt", "7")


def test_xlsform_fallback_id(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    body = xlsform([["text", "nama", "Nama"]])
    created = client.post(
        f"/v1/projects/{project_id}/forms",
        content=body,
        headers={**admin_headers, "Content-Type": XLSX, "X-XlsForm-FormId-Fallback": "cadangan"},
    )
    assert created.status_code == 200, created.text
    assert created.json()["xmlFormId"] == "cadangan"


def test_xlsform_errors_and_warnings(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    headers = {**admin_headers, "Content-Type": XLSX}
    url = f"/v1/projects/{project_id}/forms"
    broken = client.post(url, content=xlsform([["bogus_type", "q", "Q"]]), headers=headers)
    assert broken.status_code == 400 and broken.json()["code"] == 400.15
    assert broken.json()["details"]["error"]
    garbage = client.post(url, content=b"PK\x03\x04 not really a zip", headers=headers)
    assert garbage.status_code == 400 and garbage.json()["code"] == 400.15
    warned_body = xlsform([["begin repeat", "r", ""], ["text", "q", "Q"], ["end repeat", "", ""]])
    warned = client.post(url, content=warned_body, headers=headers)
    assert warned.status_code == 400 and warned.json()["code"] == 400.16
    assert "Repeat has no label" in warned.json()["details"]["warnings"]["xlsFormWarnings"][0]
    accepted = client.post(
        url, params={"ignoreWarnings": "true"}, content=warned_body, headers=headers
    )
    assert accepted.status_code == 200, accepted.text


def test_hostile_xml_is_refused(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<h:html xmlns:h='http://www.w3.org/1999/xhtml'>&lol2;</h:html>"
    )
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<h:html xmlns:h='http://www.w3.org/1999/xhtml'>&e;</h:html>"
    )
    for body in (laughs, xxe, b"not xml at all", b""):
        refused = publish_xform(client, admin_headers, project_id, body)
        assert refused.status_code == 400, body
        assert refused.json()["code"] == 400.1
        assert b"root:" not in refused.content


def test_oversized_upload_is_413(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, services
) -> None:
    services.settings.max_form_bytes = 1000
    refused = publish_xform(client, admin_headers, project_id, xform() + b" " * 2000)
    assert refused.status_code == 413
    assert refused.json()["details"]["limit"] == 1000


def test_app_users_listing_and_deletion(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    url = f"/v1/projects/{project_id}/app-users"
    created = client.post(url, json={"displayName": "HP Makassar 1"}, headers=admin_headers)
    assert created.status_code == 200
    body = created.json()
    assert body["type"] == "field_key" and len(body["token"]) >= 64
    assert body["projectId"] == project_id
    listed = client.get(url, headers=admin_headers).json()
    assert [a["displayName"] for a in listed] == ["HP Makassar 1"]
    assert client.delete(f"{url}/{body['id']}", headers=admin_headers).status_code == 200
    assert client.get(url, headers=admin_headers).json() == []
    assert client.delete(f"{url}/{body['id']}", headers=admin_headers).status_code == 404


def test_unknown_routes_and_methods_are_problems(client: httpx.Client) -> None:
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["code"] == 404.1
    wrong_method = client.put("/v1/sessions")
    assert wrong_method.status_code == 405
