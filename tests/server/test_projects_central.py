"""Projects and forms as Central serves them: ``?forms=true``, PUT, DELETE, the uploaded
XLSForm byte for byte, and ``lastLoginAt``."""

from __future__ import annotations

import httpx

from tests.builders import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    OPENROSA,
    create_app_user,
    publish_xform,
    xform,
)
from tests.server.test_rest import XLSX, xlsform


def test_projects_with_their_forms(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_xform(client, admin_headers, project_id, xform("a", title="Anggrek"))
    publish_xform(client, admin_headers, project_id, xform("b", title="Bakau"))
    other = client.post("/v1/projects", json={"name": "Aceh"}, headers=admin_headers).json()
    listed = client.get("/v1/projects", params={"forms": "true"}, headers=admin_headers).json()
    by_name = {p["name"]: p for p in listed}
    assert sorted(f["xmlFormId"] for f in by_name["Sulawesi Selatan"]["formList"]) == ["a", "b"]
    form = by_name["Sulawesi Selatan"]["formList"][0]
    assert {"submissions", "reviewStates", "createdBy", "name"} <= set(form)
    assert by_name["Aceh"]["formList"] == [] and by_name["Aceh"]["id"] == other["id"]
    assert "formList" not in client.get("/v1/projects", headers=admin_headers).json()[0]


def test_put_replaces_the_project_its_forms_states_and_assignments(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_xform(client, admin_headers, project_id, xform("a"))
    publish_xform(client, admin_headers, project_id, xform("b"))
    ani = create_app_user(client, admin_headers, project_id, forms=("a",), name="HP Ani")
    budi = create_app_user(client, admin_headers, project_id, forms=(), name="HP Budi")
    url = f"/v1/projects/{project_id}"
    client.patch(url, json={"description": "Lama"}, headers=admin_headers)
    body = {
        "name": "Sulsel",
        "archived": False,
        "forms": [
            {
                "xmlFormId": "a",
                "state": "closing",
                "assignments": [{"actorId": budi["id"], "roleId": 2}],
            },
            {"xmlFormId": "b", "state": "open", "assignments": []},
        ],
    }
    replaced = client.put(url, json=body, headers=admin_headers)
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["name"], replaced.json()["description"]) == ("Sulsel", None)
    a = client.get(f"{url}/forms/a", headers=admin_headers).json()
    assert a["state"] == "closing"
    assigned = client.get(f"{url}/forms/a/assignments/app-user", headers=admin_headers).json()
    assert [actor["id"] for actor in assigned] == [budi["id"]]
    assert ani["id"] not in [actor["id"] for actor in assigned]
    # The forms must be exactly the project's.
    fewer = client.put(
        url, json={"name": "X", "forms": [{"xmlFormId": "a"}]}, headers=admin_headers
    )
    assert fewer.status_code == 501 and fewer.json()["code"] == 501.2
    twice = {"name": "X", "forms": [{"xmlFormId": "a"}, {"xmlFormId": "a"}]}
    assert client.put(url, json=twice, headers=admin_headers).json()["code"] == 400.8
    bad_role = {
        "name": "X",
        "forms": [
            {"xmlFormId": "a", "assignments": [{"actorId": budi["id"], "roleId": 99}]},
            {"xmlFormId": "b"},
        ],
    }
    assert client.put(url, json=bad_role, headers=admin_headers).json()["code"] == 400.14
    assert client.put(url, json={"description": "x"}, headers=admin_headers).json()["code"] == 400.2
    # A bad state or an unknown app user in the last form changes nothing before it.
    late_faults = [
        {"xmlFormId": "b", "state": "bogus"},
        {"xmlFormId": "b", "assignments": [{"actorId": 987654, "roleId": 2}]},
    ]
    for fault in late_faults:
        body = {"name": "Berubah", "forms": [{"xmlFormId": "a", "state": "closed"}, fault]}
        refused = client.put(url, json=body, headers=admin_headers)
        assert refused.status_code in (400, 404), refused.text
    assert client.get(url, headers=admin_headers).json()["name"] == "Sulsel"
    assert client.get(f"{url}/forms/a", headers=admin_headers).json()["state"] == "closing"


def test_delete_project(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    phone = create_app_user(client, admin_headers, project_id, forms=("profil",))
    url = f"/v1/projects/{project_id}"
    assert client.delete(url).status_code == 401
    assert client.delete(url, headers=admin_headers).json() == {"success": True}
    assert client.get(url, headers=admin_headers).status_code == 404
    assert client.get("/v1/projects", headers=admin_headers).json() == []
    form_list = f"/v1/key/{phone['token']}/projects/{project_id}/formList"
    assert client.get(form_list, headers=OPENROSA).status_code == 404
    assert client.delete(url, headers=admin_headers).status_code == 404
    [audit] = client.get(
        "/v1/audits", params={"action": "project.delete"}, headers=admin_headers
    ).json()
    assert audit["acteeId"] is not None or audit["action"] == "project.delete"


def test_the_uploaded_xlsform_comes_back_byte_for_byte(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    first = xlsform([["text", "nama", "Nama"]], [["form_id", "version"], ["kwt", "1"]])
    second = xlsform([["text", "nama", "Nama baru"]], [["form_id", "version"], ["kwt", "2"]])
    base = f"/v1/projects/{project_id}/forms"
    created = client.post(
        base,
        params={"publish": "true"},
        content=first,
        headers={**admin_headers, "Content-Type": XLSX},
    )
    assert created.status_code == 200, created.text
    draft = client.post(
        f"{base}/kwt/draft", content=second, headers={**admin_headers, "Content-Type": XLSX}
    )
    assert draft.status_code == 200, draft.text
    published = client.get(f"{base}/kwt.xlsx", headers=admin_headers)
    assert published.content == first and published.headers["content-type"] == XLSX
    assert client.get(f"{base}/kwt/draft.xlsx", headers=admin_headers).content == second
    assert client.get(f"{base}/kwt/versions/1.xlsx", headers=admin_headers).content == first


def test_last_login_is_kept(client: httpx.Client, admin_headers: dict[str, str]) -> None:
    [me] = [
        u
        for u in client.get("/v1/users", headers=admin_headers).json()
        if u["email"] == ADMIN_EMAIL
    ]
    assert me["lastLoginAt"] is not None
    again = client.post("/v1/sessions", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert again.status_code == 200
    current = client.get("/v1/users/current", headers=admin_headers).json()
    assert current["lastLoginAt"] >= me["lastLoginAt"]
    fresh = client.post("/v1/users", json={"email": "baru@example.org"}, headers=admin_headers)
    assert fresh.json()["lastLoginAt"] is None
