"""Projects in the console: the list, creating, renaming and archiving, and members."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from server.domain import Services
from server.domain.accounts import create_user
from tests.builders import publish_xform, submission, xform
from tests.console.support import Console, page, text

PASSWORD = "sandi-yang-panjang"


def _project(console: Console, name: str) -> int:
    response = console.post("/projects", {"name": name, "description": "Kelompok tenun"})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_projects_list_with_counts(admin_console: Console, admin_headers: dict[str, str]) -> None:
    project_id = _project(admin_console, "Nusa Tenggara Timur")
    client = admin_console.client
    publish_xform(client, admin_headers, project_id, xform())
    for number in range(3):
        client.post(
            f"/v1/projects/{project_id}/forms/profil/submissions",
            content=submission(instance_id=f"uuid:p-{number}"),
            headers={**admin_headers, "Content-Type": "application/xml"},
        )
    listed = admin_console.get("/projects")
    [card] = page(listed).cssselect(".card")
    assert card.cssselect("h2 a")[0].text_content() == "Nusa Tenggara Timur"
    stats = " ".join(card.cssselect(".stats")[0].text_content().split())
    assert "1 formulir" in stats and "3 kiriman" in stats and "terakhir" in stats
    assert text(listed, ".card .muted") == ["Kelompok tenun"]


def test_rename_and_archive(admin_console: Console) -> None:
    project_id = _project(admin_console, "Aceh")
    settings = f"/projects/{project_id}/settings"
    saved = admin_console.post(settings, {"name": "Aceh Besar", "description": ""})
    assert saved.status_code == 303
    assert "Proyek sudah disimpan." in admin_console.get(saved.headers["location"]).text
    assert admin_console.get(f"/v1/projects/{project_id}").json()["name"] == "Aceh Besar"
    admin_console.post(settings, {"action": "archive"})
    assert admin_console.get(f"/v1/projects/{project_id}").json()["archived"] is True
    listed = admin_console.get("/projects")
    assert page(listed).cssselect(".card") == []
    assert text(listed, ".panel > summary") == ["1 proyek diarsipkan"]
    admin_console.post(settings, {"action": "unarchive"})
    assert admin_console.get(f"/v1/projects/{project_id}").json()["archived"] is False
    # An empty name is refused with a sentence, and nothing changes.
    empty = admin_console.post(settings, {"name": "  "})
    assert empty.status_code == 400 and "Ada isian yang belum benar" in empty.text
    audits = admin_console.get("/v1/audits", params={"action": "project.update"}).json()
    assert len(audits) == 3


def test_the_rest_api_patches_projects_as_central(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    response = client.patch(
        f"/v1/projects/{project_id}",
        json={"name": "Sulsel", "description": "Makassar", "archived": True},
        headers=admin_headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["description"], body["archived"]) == ("Sulsel", "Makassar", True)
    bad = client.patch(f"/v1/projects/{project_id}", json={"archived": "ya"}, headers=admin_headers)
    assert bad.status_code == 400
    assert client.patch(f"/v1/projects/{project_id}", json={"name": "x"}).status_code == 401


def test_members_are_given_and_taken_roles(
    services: Services, admin_console: Console, console_as: Callable[[str, str], Console]
) -> None:
    project_id = _project(admin_console, "Jawa Barat")
    create_user(services, email="sri@example.org", password=PASSWORD, display_name="Sri")
    members = f"/projects/{project_id}/members"
    given = admin_console.post(members, {"email": "sri@example.org", "role": "viewer"})
    assert given.status_code == 303
    listed = admin_console.get(members)
    assert text(listed, "tbody td:nth-child(1)") == ["Sri"]
    assert text(listed, "tbody td:nth-child(3)") == ["Peninjau"]
    again = admin_console.post(members, {"email": "sri@example.org", "role": "viewer"})
    assert again.status_code == 409 and "Ini sudah ada" in again.text
    unknown = admin_console.post(members, {"email": "siapa@example.org", "role": "viewer"})
    assert unknown.status_code == 404
    sri = console_as("sri@example.org", PASSWORD)
    assert sri.get(f"/projects/{project_id}").status_code == 200
    # A viewer sees neither the members nor the settings tab, and is refused both.
    tabs = text(sri.get(f"/projects/{project_id}"), ".tabs a")
    assert tabs == ["Formulir"]
    assert sri.get(members).status_code == 403
    assert sri.get(f"/projects/{project_id}/settings").status_code == 403
    refused = sri.post(f"/projects/{project_id}/settings", {"name": "Milik Sri"})
    assert refused.status_code == 403 and "Peran Anda tidak mengizinkan ini" in refused.text
    [actor_id] = {
        a["actorId"] for a in admin_console.get(f"/v1/projects/{project_id}/assignments").json()
    }
    removed = admin_console.post(f"{members}/{actor_id}/remove", {"role": "viewer"})
    assert removed.status_code == 303
    assert sri.get(f"/projects/{project_id}").status_code == 403


def test_only_administrators_create_projects(
    services: Services, admin_console: Console, console_as: Callable[[str, str], Console]
) -> None:
    project_id = _project(admin_console, "DIY")
    create_user(services, email="manajer@example.org", password=PASSWORD)
    admin_console.post(
        f"/projects/{project_id}/members", {"email": "manajer@example.org", "role": "manager"}
    )
    manager = console_as("manajer@example.org", PASSWORD)
    listed = manager.get("/projects")
    assert page(listed).cssselect("form[action='/projects']") == []
    assert manager.post("/projects", {"name": "Liar"}).status_code == 403
    assert [p["name"] for p in manager.get("/v1/projects").json()] == ["DIY"]
    # A manager has every project tab.
    tabs = text(manager.get(f"/projects/{project_id}"), ".tabs a")
    assert tabs == ["Formulir", "Ponsel", "Anggota", "Pengaturan"]


def test_a_project_name_is_shown_as_text(admin_console: Console) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    project_id = _project(admin_console, hostile)
    for path in ("/projects", f"/projects/{project_id}", f"/projects/{project_id}/settings"):
        response = admin_console.get(path)
        assert "<script>alert(1)" not in response.text and "<img src=x" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
