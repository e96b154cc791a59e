"""Coordinators over HTTP: web users, project roles, REST submissions (create, edit,
review, comments, versions, attachments) and the audit log."""

from __future__ import annotations

import httpx

from tests.builders import ADMIN_EMAIL, OPENROSA, publish_xform, submission, xform

XML = {"Content-Type": "application/xml"}
PASSWORD = "sandi-yang-panjang"


def _login(client: httpx.Client, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/v1/sessions", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_users_roles_and_password(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    created = client.post(
        "/v1/users", json={"email": "ani@example.org", "password": PASSWORD}, headers=admin_headers
    )
    assert created.status_code == 200, created.text
    ani = created.json()
    assert (ani["email"], ani["type"], ani["displayName"]) == (
        "ani@example.org",
        "user",
        "ani@example.org",
    )
    again = client.post("/v1/users", json={"email": "ani@example.org"}, headers=admin_headers)
    assert again.status_code == 409
    listed = client.get("/v1/users", headers=admin_headers).json()
    assert sorted(u["email"] for u in listed) == sorted([ADMIN_EMAIL, "ani@example.org"])
    ani_headers = _login(client, "ani@example.org")
    # Not an administrator: no listing, but an exact email finds the person.
    assert client.get("/v1/users", headers=ani_headers).json() == []
    found = client.get("/v1/users", params={"q": ADMIN_EMAIL}, headers=ani_headers).json()
    assert [u["email"] for u in found] == [ADMIN_EMAIL]
    assert (
        client.post("/v1/users", json={"email": "b@example.org"}, headers=ani_headers).status_code
        == 403
    )
    assert client.get(f"/v1/projects/{project_id}", headers=ani_headers).status_code == 403
    assert client.get("/v1/projects", headers=ani_headers).json() == []
    roles = {r["system"]: r["id"] for r in client.get("/v1/roles").json()}
    assert roles == {"admin": 1, "app-user": 2, "manager": 5, "viewer": 6, "formfill": 8}
    url = f"/v1/projects/{project_id}/assignments/viewer/{ani['id']}"
    assert client.post(url, headers=admin_headers).json() == {"success": True}
    assert client.post(url, headers=admin_headers).status_code == 409
    assignments = client.get(f"/v1/projects/{project_id}/assignments", headers=admin_headers)
    assert assignments.json() == [{"actorId": ani["id"], "roleId": 6}]
    [project] = client.get("/v1/projects", headers=ani_headers).json()
    assert "submission.list" in project["verbs"] and "form.create" not in project["verbs"]
    assert client.delete(url, headers=admin_headers).json() == {"success": True}
    assert client.get(f"/v1/projects/{project_id}", headers=ani_headers).status_code == 403
    # Site-wide admin.
    admin_url = f"/v1/assignments/admin/{ani['id']}"
    assert client.post(admin_url, headers=admin_headers).json() == {"success": True}
    assert client.get(f"/v1/projects/{project_id}", headers=ani_headers).status_code == 200
    assert client.delete(admin_url, headers=admin_headers).json() == {"success": True}
    # Password change needs the old password.
    me = f"/v1/users/{ani['id']}/password"
    wrong = client.put(
        me, json={"old": "nope-nope-nope", "new": "baru-baru-baru"}, headers=ani_headers
    )
    assert wrong.status_code == 401
    short = client.put(me, json={"old": PASSWORD, "new": "pendek"}, headers=ani_headers)
    assert short.status_code == 400 and short.json()["code"] == 400.21
    ok = client.put(me, json={"old": PASSWORD, "new": "baru-baru-baru"}, headers=ani_headers)
    assert ok.json() == {"success": True}
    assert (
        client.get("/v1/users/current", auth=("ani@example.org", "baru-baru-baru")).status_code
        == 200
    )
    extended = client.get(
        "/v1/users/current", headers={**ani_headers, "X-Extended-Metadata": "true"}
    ).json()
    assert extended["verbs"] == [] and extended["email"] == "ani@example.org"


def test_rest_submissions_review_comments_and_edits(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    base = f"/v1/projects/{project_id}/forms/profil/submissions"
    xml = submission(instance_id="uuid:satu", photo="foto.jpg")
    created = client.post(
        base, params={"deviceID": "collect:abc"}, content=xml, headers={**admin_headers, **XML}
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["instanceId"] == "uuid:satu" and body["deviceId"] == "collect:abc"
    assert isinstance(body["submitterId"], int)
    dup = client.post(base, content=xml, headers={**admin_headers, **XML})
    assert dup.status_code == 409
    other = client.post(base, content=submission("lain"), headers={**admin_headers, **XML})
    assert other.status_code in (400, 404)
    # pyODK percent-encodes the colon of uuid: ids.
    one = client.get(f"{base}/uuid%3Asatu", headers=admin_headers)
    assert one.status_code == 200 and one.json()["instanceId"] == "uuid:satu"
    attachments = client.get(f"{base}/uuid:satu/attachments", headers=admin_headers).json()
    assert attachments == [{"name": "foto.jpg", "exists": False}]
    upload = client.post(
        f"{base}/uuid:satu/attachments/foto.jpg",
        content=b"\xff\xd8jpeg",
        headers={**admin_headers, "Content-Type": "image/jpeg"},
    )
    assert upload.json() == {"success": True}
    assert client.get(f"{base}/uuid:satu/attachments/foto.jpg", headers=admin_headers).content == (
        b"\xff\xd8jpeg"
    )
    reviewed = client.patch(
        f"{base}/uuid:satu", json={"reviewState": "hasIssues"}, headers=admin_headers
    )
    assert reviewed.status_code == 200 and reviewed.json()["reviewState"] == "hasIssues"
    bad = client.patch(f"{base}/uuid:satu", json={"reviewState": "great"}, headers=admin_headers)
    assert bad.status_code == 400
    comment = client.post(
        f"{base}/uuid:satu/comments", json={"body": "Cek nama"}, headers=admin_headers
    )
    assert comment.status_code == 200 and comment.json()["body"] == "Cek nama"
    comments = client.get(f"{base}/uuid:satu/comments", headers=admin_headers).json()
    assert [c["body"] for c in comments] == ["Cek nama"]
    # Edits through PUT need a deprecatedID naming the current version.
    no_deprecated = client.put(
        f"{base}/uuid:satu",
        content=submission(instance_id="uuid:dua"),
        headers={**admin_headers, **XML},
    )
    assert no_deprecated.status_code == 400 and no_deprecated.json()["code"] == 400.19
    edit = submission(instance_id="uuid:dua", name="Koperasi Baru", deprecated_id="uuid:satu")
    edited = client.put(f"{base}/uuid:satu", content=edit, headers={**admin_headers, **XML})
    assert edited.status_code == 200, edited.text
    assert edited.json()["currentVersion"]["instanceId"] == "uuid:dua"
    stale = submission(instance_id="uuid:tiga", deprecated_id="uuid:satu")
    conflict = client.put(f"{base}/uuid:satu", content=stale, headers={**admin_headers, **XML})
    assert conflict.status_code == 409 and conflict.json()["code"] == 409.9
    after = client.get(f"{base}/uuid:satu", headers=admin_headers).json()
    assert after["reviewState"] == "edited"
    versions = client.get(f"{base}/uuid:satu/versions", headers=admin_headers).json()
    assert [(v["instanceId"], v["current"]) for v in versions] == [
        ("uuid:dua", True),
        ("uuid:satu", False),
    ]
    old = client.get(f"{base}/uuid:satu/versions/uuid:satu.xml", headers=admin_headers)
    assert old.content == xml
    meta = client.get(base, headers={**admin_headers, "X-Extended-Metadata": "true"}).json()
    assert meta[0]["submitter"]["displayName"] == ADMIN_EMAIL
    form = client.get(
        f"/v1/projects/{project_id}/forms/profil",
        headers={**admin_headers, "X-Extended-Metadata": "true"},
    ).json()
    assert form["submissions"] == 1 and form["reviewStates"]["edited"] == 1
    assert form["createdBy"]["displayName"] == ADMIN_EMAIL
    actions = [
        a["action"] for a in client.get(f"{base}/uuid:satu/audits", headers=admin_headers).json()
    ]
    assert actions[-1] == "submission.create" and "submission.update" in actions
    assert "submission.update.version" in actions and "submission.attachment.update" in actions


def test_audit_log(client: httpx.Client, admin_headers: dict[str, str], project_id: int) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    app_user = client.post(
        f"/v1/projects/{project_id}/app-users", json={"displayName": "HP 1"}, headers=admin_headers
    ).json()
    assert (
        app_user["expiresAt"] == "9999-12-31T23:59:59.000Z" and app_user["projectId"] == project_id
    )
    client.post(
        f"/v1/projects/{project_id}/forms/profil/assignments/app-user/{app_user['id']}",
        headers=admin_headers,
    )
    client.patch(
        f"/v1/projects/{project_id}/forms/profil", json={"state": "closing"}, headers=admin_headers
    )
    client.delete(f"/v1/projects/{project_id}/app-users/{app_user['id']}", headers=admin_headers)
    log = client.get("/v1/audits", headers=admin_headers).json()
    actions = [entry["action"] for entry in log]
    for action in (
        "user.session.create",
        "form.create",
        "field_key.create",
        "field_key.assignment.create",
        "form.update",
        "field_key.delete",
    ):
        assert action in actions, action
    assert actions[0] == "field_key.delete"
    forms_only = client.get("/v1/audits", params={"action": "form"}, headers=admin_headers).json()
    assert {e["action"] for e in forms_only} == {"form.create", "form.update"}
    exact = client.get("/v1/audits", params={"action": "form.update"}, headers=admin_headers).json()
    assert [e["details"] for e in exact] == [{"state": "closing"}]
    page = client.get("/v1/audits", params={"limit": 2, "offset": 1}, headers=admin_headers).json()
    assert [e["action"] for e in page] == actions[1:3]
    future = client.get("/v1/audits", params={"start": "2999-01-01"}, headers=admin_headers).json()
    assert future == []
    past = client.get("/v1/audits", params={"end": "2000-01-01T00:00:00Z"}, headers=admin_headers)
    assert past.json() == []
    assert client.get("/v1/audits").status_code == 401


def test_revoking_an_app_users_access_keeps_the_app_user(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    app_user = client.post(
        f"/v1/projects/{project_id}/app-users", json={"displayName": "HP 2"}, headers=admin_headers
    ).json()
    form_list = f"/v1/key/{app_user['token']}/projects/{project_id}/formList"
    assert client.get(form_list, headers=OPENROSA).status_code == 200
    assert client.delete(f"/v1/sessions/{app_user['token']}").status_code == 401
    ended = client.delete(f"/v1/sessions/{app_user['token']}", headers=admin_headers)
    assert ended.json() == {"success": True}
    assert client.get(form_list, headers=OPENROSA).status_code == 403
    [listed] = client.get(f"/v1/projects/{project_id}/app-users", headers=admin_headers).json()
    assert listed["id"] == app_user["id"] and listed["token"] is None
    unknown = client.delete(f"/v1/sessions/{'x' * 64}", headers=admin_headers)
    assert unknown.status_code == 403
