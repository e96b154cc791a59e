"""Every console page for every kind of person: who sees it, who is sent away, and that no
page ever fails (a 500) or answers an outsider with another project's names."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from server.domain import Services
from server.domain.accounts import create_user
from tests.builders import create_app_user
from tests.console import initiatives
from tests.console.support import Console, page

PASSWORD = "sandi-yang-panjang"
ROLES = ("manager", "viewer", "formfill")
# Page -> the people who may open it (the rest get a 403 page; signed out, the sign-in page).
EVERYONE = {"admin", "manager", "viewer", "formfill"}
READERS = {"admin", "manager", "viewer"}
MANAGERS = {"admin", "manager"}


def _pages(project_id: int, instance_id: str, app_user_id: int) -> dict[str, set[str]]:
    form = f"/projects/{project_id}/forms/{initiatives.FORM_ID}"
    submission = f"{form}/submissions/{instance_id}"
    return {
        "/projects": EVERYONE | {"outsider"},
        "/account": EVERYONE | {"outsider"},
        f"/projects/{project_id}": EVERYONE,
        f"/projects/{project_id}/settings": MANAGERS,
        f"/projects/{project_id}/members": MANAGERS,
        f"/projects/{project_id}/app-users": MANAGERS,
        f"/projects/{project_id}/app-users/sheet": MANAGERS,
        f"/projects/{project_id}/app-users/{app_user_id}": MANAGERS,
        f"/projects/{project_id}/app-users/{app_user_id}/qr.png": MANAGERS,
        f"/projects/{project_id}/forms/new": MANAGERS,
        form: EVERYONE,
        f"{form}/submissions": READERS,
        submission: READERS,
        f"{form}/map": READERS,
        f"{form}/map.geojson": READERS,
        f"{form}/summary": READERS,
        f"{form}/downloads": READERS,
        f"{form}/preview": EVERYONE,
        f"{form}/enter": MANAGERS | {"formfill"},
        f"{submission}/edit": MANAGERS,
        "/admin/users": {"admin"},
        "/admin/audits": {"admin"},
        "/admin/health": {"admin"},
    }


@pytest.fixture
def people(
    services: Services,
    admin_console: Console,
    admin_headers: dict[str, str],
    console_as: Callable[[str, str], Console],
) -> tuple[dict[str, Console], dict[str, set[str]]]:
    client = admin_console.client
    project_id = client.post(
        "/v1/projects", json={"name": "Proyek Rahasia Timur"}, headers=admin_headers
    ).json()
    project_id = project_id["id"]
    initiatives.publish_form(client, admin_headers, project_id)
    instance_id = initiatives.submit(
        client, admin_headers, project_id, initiatives.Initiative(photo=True)
    )
    phone = create_app_user(client, admin_headers, project_id, forms=(initiatives.FORM_ID,))
    consoles = {"admin": admin_console}
    for role in (*ROLES, "outsider"):
        email = f"{role}@example.org"
        create_user(services, email=email, password=PASSWORD)
        if role in ROLES:
            admin_console.post(f"/projects/{project_id}/members", {"email": email, "role": role})
        consoles[role] = console_as(email, PASSWORD)
    return consoles, _pages(project_id, instance_id, phone["id"])


def test_every_page_for_every_person(
    people: tuple[dict[str, Console], dict[str, set[str]]], base_url: str
) -> None:
    consoles, pages = people
    for path, allowed in pages.items():
        for person, console in consoles.items():
            response = console.get(path)
            expected = 200 if person in allowed else 403
            assert response.status_code == expected, (person, path, response.status_code)
            if response.headers["content-type"].startswith("text/html"):
                body = response.text
                assert "Traceback" not in body
                if person == "outsider":
                    assert "Proyek Rahasia Timur" not in body
                if expected == 403:
                    assert "Peran Anda tidak mengizinkan ini" in body
        with httpx.Client(base_url=base_url) as anonymous:
            signed_out = anonymous.get(path)
            assert signed_out.status_code == 303, path
            assert signed_out.headers["location"].startswith("/login?next=")


def test_the_navigation_shows_only_what_a_person_may_open(
    people: tuple[dict[str, Console], dict[str, set[str]]],
) -> None:
    consoles, pages = people
    for person, console in consoles.items():
        if person == "outsider":
            continue
        for path in pages:
            response = console.get(path)
            if response.status_code != 200 or "text/html" not in response.headers["content-type"]:
                continue
            for link in page(response).cssselect("nav.tabs a, nav.mainnav a"):
                target = link.get("href")
                opened = console.get(target)
                assert opened.status_code == 200, (person, path, target)
