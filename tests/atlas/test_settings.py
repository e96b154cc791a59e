"""Publishing an atlas over REST: the settings, and what may never be chosen."""

from __future__ import annotations

import httpx

from tests.atlas.support import FORM_ID, SLUG, create_atlas, publish_form


def test_an_atlas_is_made_read_and_changed(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_form(client, admin_headers, project_id)
    made = create_atlas(client, admin_headers, project_id)
    assert made["precision"] == "village"
    assert made["fields"] == ["/nama", "/sektor", "/anggota", "/kab_kota"]
    assert made["url"] == f"/atlas/{SLUG}"
    base = f"/v1/projects/{project_id}/atlases"
    listed = client.get(base, headers=admin_headers).json()
    assert [a["slug"] for a in listed] == [SLUG]
    changed = client.patch(
        f"{base}/{SLUG}", json={"precision": "rounded", "noindex": True}, headers=admin_headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["precision"] == "rounded"
    assert changed.json()["noindex"] is True
    assert changed.json()["fields"] == made["fields"]


def test_every_field_is_private_until_chosen(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_form(client, admin_headers, project_id)
    body = {"slug": "kosong", "xmlFormId": FORM_ID, "title": {"id": "A", "en": "A"}}
    made = client.post(f"/v1/projects/{project_id}/atlases", json=body, headers=admin_headers)
    assert made.status_code == 200, made.text
    assert made.json()["fields"] == [] and made.json()["photos"] == []
    assert made.json()["published"] is False


def test_bad_settings_are_refused(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_form(client, admin_headers, project_id)
    base = f"/v1/projects/{project_id}/atlases"
    for change in (
        {"slug": "../etc"},
        {"slug": "Peta Besar"},
        {"fields": ["/lokasi"]},  # a location is published only through the precision
        {"fields": ["/foto"]},  # photos are chosen apart
        {"photos": ["/nama"]},
        {"fields": ["/tidak_ada"]},
        {"precision": "street"},
        {"consentField": "/nama"},
        {"title": {"id": "", "en": "x"}},
        {"fields": "nama"},
    ):
        response = create_atlas_raw(client, admin_headers, base, change)
        assert response.status_code == 400, (change, response.text)


def create_atlas_raw(
    client: httpx.Client, headers: dict[str, str], base: str, change: dict[str, object]
) -> httpx.Response:
    body = {"slug": "baik", "xmlFormId": FORM_ID, "title": {"id": "A", "en": "A"}, **change}
    return client.post(base, json=body, headers=headers)


def test_a_second_atlas_with_the_same_slug_is_a_conflict(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_form(client, admin_headers, project_id)
    create_atlas(client, admin_headers, project_id)
    again = client.post(
        f"/v1/projects/{project_id}/atlases",
        json={"slug": SLUG, "xmlFormId": FORM_ID, "title": {"id": "A", "en": "A"}},
        headers=admin_headers,
    )
    assert again.status_code == 409, again.text


def test_only_managers_publish(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_form(client, admin_headers, project_id)
    anonymous = client.post(
        f"/v1/projects/{project_id}/atlases",
        json={"slug": "x", "xmlFormId": FORM_ID, "title": {"id": "A", "en": "A"}},
    )
    assert anonymous.status_code in (401, 403)


def test_viewers_read_atlases_and_only_managers_change_them(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_form(client, admin_headers, project_id)
    create_atlas(client, admin_headers, project_id)
    other = client.post("/v1/projects", json={"name": "Lain"}, headers=admin_headers).json()["id"]
    callers = {}
    for role, project in (("viewer", project_id), ("manager", project_id), ("outsider", other)):
        email = f"{role}@example.org"
        user = client.post(
            "/v1/users",
            json={"email": email, "password": "kata-sandi-panjang"},
            headers=admin_headers,
        ).json()
        assigned = client.post(
            f"/v1/projects/{project}/assignments/{'manager' if role == 'outsider' else role}"
            f"/{user['id']}",
            headers=admin_headers,
        )
        assert assigned.status_code == 200, assigned.text
        token = client.post(
            "/v1/sessions", json={"email": email, "password": "kata-sandi-panjang"}
        ).json()["token"]
        callers[role] = {"Authorization": f"Bearer {token}"}
    base = f"/v1/projects/{project_id}/atlases/{SLUG}"
    assert client.get(base, headers=callers["viewer"]).status_code == 200
    assert client.get(base, headers=callers["outsider"]).status_code == 403
    for role, expected in (("viewer", 403), ("outsider", 403), ("manager", 200)):
        changed = client.patch(base, json={"noindex": True}, headers=callers[role])
        assert changed.status_code == expected, (role, changed.text)
        withdrawn = client.post(
            f"{base}/withdrawals", json={"instanceId": "uuid:x"}, headers=callers[role]
        )
        assert withdrawn.status_code == expected, (role, withdrawn.text)
