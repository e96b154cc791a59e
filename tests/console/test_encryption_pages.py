"""The console's encryption pages: turning managed encryption on in a project's settings,
an encrypted form's submissions with their status, and a download that asks for the
passphrase in a POST (never in an address)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from server.domain import Services
from server.domain.access import SYSTEM
from server.domain.accounts import create_user
from server.domain.users import add_project_member
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.console.browser import CHROMIUM, CHROMIUM_ARGS, WatchedPage, sign_in
from tests.console.support import Console, page, text
from tests.encryption.support import (
    FORM,
    PASSPHRASE,
    PHOTO,
    csv_rows,
    encrypted,
    post,
    publish_plain,
    unzip,
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """This module's own Chromium, closed when the module ends: Playwright's synchronous
    API keeps an event loop marked running while it is open, which later tests that
    start a loop of their own (asyncio.run) cannot share."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


BASIC = {
    "Authorization": "Basic "
    + base64.b64encode(f"{ADMIN_EMAIL}:{ADMIN_PASSWORD}".encode()).decode()
}


def _project(client: httpx.Client) -> int:
    response = client.post("/v1/projects", json={"name": "Wawancara"}, headers=BASIC)
    project: int = response.json()["id"]
    publish_plain(client, BASIC, project)
    return project


def _turn_on(console: Console, project: int, **changes: str) -> httpx.Response:
    data = {
        "passphrase": PASSPHRASE,
        "again": PASSPHRASE,
        "hint": "buku merah",
        "understood": "yes",
        **changes,
    }
    return console.post(f"/projects/{project}/settings/encryption", data=data)


def test_turning_encryption_on_asks_twice_and_warns(
    admin_console: Console, client: httpx.Client
) -> None:
    project = _project(client)
    settings = admin_console.get(f"/projects/{project}/settings")
    assert page(settings).cssselect(f'a[href="/projects/{project}/settings/encryption"]')
    form = admin_console.get(f"/projects/{project}/settings/encryption")
    assert form.status_code == 200
    tree = page(form)
    assert len(tree.cssselect("input[type=password]")) == 2
    assert tree.cssselect(".encryption-warning")
    mismatch = _turn_on(admin_console, project, again="kata sandi lain sekali")
    assert mismatch.status_code == 400 and text(mismatch, ".problem")
    unticked = _turn_on(admin_console, project, understood="")
    assert unticked.status_code == 400
    short = _turn_on(admin_console, project, passphrase="pendek", again="pendek")
    assert short.status_code == 400 and text(short, ".problem")
    assert client.get(f"/v1/projects/{project}", headers=BASIC).json()["keyId"] is None
    done = _turn_on(admin_console, project)
    assert done.status_code == 303
    shown = admin_console.get(done.headers["location"])
    assert "buku merah" in " ".join(text(shown, ".facts dd"))
    assert not page(shown).cssselect("input[type=password]")
    assert client.get(f"/v1/projects/{project}", headers=BASIC).json()["keyId"] is not None
    assert PASSPHRASE not in shown.text


def test_encrypted_submissions_listed_and_downloaded_with_the_passphrase(
    admin_console: Console, client: httpx.Client
) -> None:
    project = _project(client)
    assert _turn_on(admin_console, project).status_code == 303
    sent = encrypted(client, BASIC, project, name="Ibu Dewi")
    waiting = encrypted(client, BASIC, project, name="Ibu Sari")
    assert post(client, BASIC, project, sent).status_code == 201
    first_part = {"foto.jpg.enc": waiting.files["foto.jpg.enc"]}
    assert post(client, BASIC, project, waiting, first_part).status_code == 201
    overview = admin_console.get(f"/projects/{project}/forms/{FORM}")
    link = f"/projects/{project}/forms/{FORM}/encrypted"
    assert page(overview).cssselect(f'a[href="{link}"]')
    listing = admin_console.get(link)
    assert listing.status_code == 200
    states = text(listing, "table.list tbody td:nth-child(3)")
    assert sorted(states) == sorted(["Terenkripsi", "Data terenkripsi belum diterima"]) or sorted(
        states
    ) == sorted(["Encrypted", "Encrypted data not received yet"])
    assert "Ibu Dewi" not in listing.text
    download_form = page(listing).cssselect("form.decrypt-form")[0]
    assert download_form.get("method") == "post"
    assert "passphrase" not in download_form.get("action")
    target = download_form.get("action")
    wrong = admin_console.post(target, data={"passphrase": "salah sekali"})
    assert wrong.status_code == 400
    right = admin_console.post(target, data={"passphrase": PASSPHRASE})
    assert right.status_code == 200, right.text[:300]
    files = unzip(right.content)
    rows = {r["KEY"]: r for r in csv_rows(files[f"{FORM}.csv"])}
    assert rows[sent.instance_id]["name"] == "Ibu Dewi"
    assert rows[waiting.instance_id]["Status"] == "missing encrypted form data"
    assert files["media/foto.jpg"] == PHOTO


def test_a_viewer_sees_statuses_but_not_the_settings(
    admin_console: Console, client: httpx.Client, services: Services, console_as
) -> None:  # type: ignore[no-untyped-def]
    project = _project(client)
    assert _turn_on(admin_console, project).status_code == 303
    create_user(services, email="viewer@example.org", password="kata-sandi-pemirsa")
    add_project_member(
        services, SYSTEM, project_id=project, email="viewer@example.org", role="viewer"
    )
    viewer = console_as("viewer@example.org", "kata-sandi-pemirsa")
    assert viewer.get(f"/projects/{project}/settings/encryption").status_code == 403
    assert viewer.get(f"/projects/{project}/forms/{FORM}/encrypted").status_code == 200
    refused = viewer.post(
        f"/projects/{project}/settings/encryption",
        data={"passphrase": "x" * 20, "again": "x" * 20, "understood": "yes"},
    )
    assert refused.status_code == 403


def test_the_pages_in_a_browser(
    desktop: WatchedPage, client: httpx.Client, admin_console: Console
) -> None:
    project = _project(client)
    sign_in(desktop)
    desktop.goto(f"/projects/{project}/settings/encryption")
    desktop.screenshot("encryption-settings")
    desktop.page.fill("#passphrase", PASSPHRASE)
    desktop.page.fill("#again", PASSPHRASE)
    desktop.page.fill("#hint", "buku merah")
    desktop.page.check("input[name=understood]")
    desktop.page.click("main form button[type=submit]")
    desktop.page.wait_for_selector(".encryption-on")
    sent = encrypted(client, BASIC, project)
    assert post(client, BASIC, project, sent).status_code == 201
    desktop.goto(f"/projects/{project}/forms/{FORM}/encrypted")
    desktop.screenshot("encrypted-submissions")
    desktop.check_clean()
