"""Phones in the console: access for an enumerator's phone, its forms, its QR code (on
screen, as a PNG and on a printable sheet) with an address a phone can reach, revoking."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from server.domain import Services
from server.domain.accounts import create_user
from server.formats.qr import collect_qr, png
from server.http import urls as http_urls
from tests.builders import publish_xform, xform
from tests.console.support import Console, page, text

PASSWORD = "sandi-yang-panjang"


@pytest.fixture
def project(admin_console: Console, admin_headers: dict[str, str]) -> int:
    created = admin_console.post("/projects", {"name": "Jawa Tengah"})
    project_id = int(created.headers["location"].rsplit("/", 1)[1])
    publish_xform(admin_console.client, admin_headers, project_id, xform("profil"))
    publish_xform(admin_console.client, admin_headers, project_id, xform("kunjungan"))
    return project_id


def _create(console: Console, project_id: int, name: str, forms: list[str]) -> int:
    listed = console.get(f"/projects/{project_id}/app-users")
    boxes = {
        box.tail.strip() if box.tail else "": box.get("value")
        for box in page(listed).cssselect("input[name=forms]")
    }
    values = [boxes[f] for f in forms]
    response = console.post(f"/projects/{project_id}/app-users", {"name": name, "forms": values})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_a_phone_gets_access_and_a_qr_code(
    admin_console: Console, project: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_urls, "lan_address", lambda: "192.168.1.20")
    actor_id = _create(admin_console, project, "E012 Rina", ["Profil inisiatif"])
    shown = admin_console.get(f"/projects/{project}/app-users/{actor_id}")
    assert text(shown, "h2") == ["E012 Rina"]
    checked = [b.get("value") for b in page(shown).cssselect("input[name=forms][checked]")]
    assert len(checked) == 1
    [app_user] = [
        a
        for a in admin_console.get(f"/v1/projects/{project}/app-users").json()
        if a["id"] == actor_id
    ]
    port = admin_console.client.base_url.port
    server_url = f"http://192.168.1.20:{port}/v1/key/{app_user['token']}/projects/{project}"
    assert server_url in shown.text  # to set up by hand
    qr = admin_console.get(f"/projects/{project}/app-users/{actor_id}/qr.png")
    assert qr.headers["content-type"] == "image/png"
    assert qr.content == png(collect_qr(server_url, "Jawa Tengah"), scale=5)
    download = admin_console.get(f"/projects/{project}/app-users/{actor_id}/qr.png?download=true")
    assert (
        download.headers["content-disposition"] == f'attachment; filename="collect-{actor_id}.png"'
    )
    assert download.content == png(collect_qr(server_url, "Jawa Tengah"), scale=8)
    # The phone's form list holds exactly its form.
    form_list = httpx.get(
        f"{admin_console.client.base_url}/v1/key/{app_user['token']}/projects/{project}/formList",
        headers={"X-OpenRosa-Version": "1.0"},
    )
    assert "<formID>profil</formID>" in form_list.text
    assert "kunjungan" not in form_list.text


def test_the_public_url_wins_and_an_unreachable_address_is_said(
    admin_console: Console, project: int, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    actor_id = _create(admin_console, project, "E013", [])
    monkeypatch.setattr(http_urls, "lan_address", lambda: None)
    alone = admin_console.get(f"/projects/{project}/app-users/{actor_id}")
    assert "JARING_PUBLIC_URL" in " ".join(text(alone, ".warning"))
    services.settings.public_url = "https://jaring.example.org/"
    public = admin_console.get(f"/projects/{project}/app-users/{actor_id}")
    assert page(public).cssselect(".warning") == []
    assert "https://jaring.example.org/v1/key/" in public.text


def test_forms_of_a_phone_and_the_printable_sheet(admin_console: Console, project: int) -> None:
    first = _create(admin_console, project, "E001 Ani", ["Profil inisiatif"])
    second = _create(admin_console, project, "E002 Budi", [])
    listed = admin_console.get(f"/projects/{project}/app-users")
    rows = text(listed, "tbody tr")
    assert rows[0].startswith("E002 Budi belum ada formulir")
    assert rows[1].startswith("E001 Ani Profil inisiatif")
    # Give the second phone both forms.
    boxes = [
        b.get("value")
        for b in page(admin_console.get(f"/projects/{project}/app-users/{second}")).cssselect(
            "input[name=forms]"
        )
    ]
    saved = admin_console.post(f"/projects/{project}/app-users/{second}/forms", {"forms": boxes})
    assert saved.status_code == 303
    after = admin_console.get(f"/projects/{project}/app-users")
    assert text(after, "tbody tr")[0].startswith("E002 Budi Profil inisiatif, Profil inisiatif")
    # Take them away again.
    admin_console.post(f"/projects/{project}/app-users/{second}/forms", {})
    assert (
        "belum ada formulir"
        in text(admin_console.get(f"/projects/{project}/app-users"), "tbody tr")[0]
    )
    # A form of another project cannot be given.
    other = admin_console.post(f"/projects/{project}/app-users/{second}/forms", {"forms": ["9999"]})
    assert other.status_code == 404
    sheet = admin_console.get(f"/projects/{project}/app-users/sheet")
    assert text(sheet, ".slip-name") == ["E002 Budi", "E001 Ani"]
    images = [img.get("src") for img in page(sheet).cssselect(".qr-slip img")]
    assert images == [
        f"/projects/{project}/app-users/{second}/qr.png",
        f"/projects/{project}/app-users/{first}/qr.png",
    ]
    assert all(img.get("alt") for img in page(sheet).cssselect(".qr-slip img"))


def test_revoking_stops_the_phone_at_once(admin_console: Console, project: int) -> None:
    actor_id = _create(admin_console, project, "E099 hilang", ["Profil inisiatif"])
    [token] = [
        a["token"]
        for a in admin_console.get(f"/v1/projects/{project}/app-users").json()
        if a["id"] == actor_id
    ]
    form_list = f"{admin_console.client.base_url}/v1/key/{token}/projects/{project}/formList"
    headers = {"X-OpenRosa-Version": "1.0"}
    assert httpx.get(form_list, headers=headers).status_code == 200
    revoked = admin_console.post(f"/projects/{project}/app-users/{actor_id}/revoke")
    assert revoked.status_code == 303
    assert httpx.get(form_list, headers=headers).status_code == 403
    assert "E099 hilang" not in admin_console.get(f"/projects/{project}/app-users").text
    assert admin_console.get(f"/projects/{project}/app-users/{actor_id}").status_code == 404


def test_only_managers_handle_phones(
    services: Services,
    admin_console: Console,
    project: int,
    console_as: Callable[[str, str], Console],
) -> None:
    actor_id = _create(admin_console, project, "E020", [])
    create_user(services, email="lihat@example.org", password=PASSWORD)
    admin_console.post(
        f"/projects/{project}/members", {"email": "lihat@example.org", "role": "viewer"}
    )
    viewer = console_as("lihat@example.org", PASSWORD)
    for path in (
        "app-users",
        f"app-users/{actor_id}",
        f"app-users/{actor_id}/qr.png",
        "app-users/sheet",
    ):
        assert viewer.get(f"/projects/{project}/{path}").status_code == 403, path
    assert viewer.post(f"/projects/{project}/app-users", {"name": "Liar"}).status_code == 403
    assert viewer.post(f"/projects/{project}/app-users/{actor_id}/revoke").status_code == 403
    assert len(admin_console.get(f"/v1/projects/{project}/app-users").json()) == 1


def test_an_app_user_name_is_shown_as_text(admin_console: Console, project: int) -> None:
    actor_id = _create(admin_console, project, "<img src=x onerror=alert(1)>", [])
    for path in ("app-users", f"app-users/{actor_id}", "app-users/sheet"):
        response = admin_console.get(f"/projects/{project}/{path}")
        assert "<img src=x" not in response.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in response.text
