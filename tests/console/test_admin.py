"""The administration pages: users (creating, new passwords, the administrator role),
the audit log and the server's health; who may see them, and CSRF on every form."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from server import problems
from server.console import i18n
from server.domain import Services, audits, health, users
from server.domain.access import SYSTEM, Actor
from server.domain.health import LOW_DISK_BYTES, DiskSpace
from server.external.blobs import FileBlobStore
from server.settings import Settings
from server.store import audits as audit_store
from server.store.database import Database
from server.store.driver import Driver
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.console.support import Console, page, sign_in, text
from tests.exports.support import seed

PASSWORD = "kata-sandi-peran"
ADMIN_PAGES = ("/admin/users", "/admin/audits", "/admin/health")
ID = i18n.translations("id")


def _(message: str) -> str:
    """A console text as an Indonesian reader sees it."""
    return ID.gettext(message)


def make_user(
    client: httpx.Client,
    headers: dict[str, str],
    email: str,
    *,
    project_id: int | None = None,
    role: str | None = None,
    name: str | None = None,
) -> int:
    body = {"email": email, "password": PASSWORD, **({"displayName": name} if name else {})}
    created = client.post("/v1/users", json=body, headers=headers)
    assert created.status_code == 200, created.text
    actor_id: int = created.json()["id"]
    if role is not None:
        assigned = client.post(
            f"/v1/projects/{project_id}/assignments/{role}/{actor_id}", headers=headers
        )
        assert assigned.status_code == 200, assigned.text
    return actor_id


def admin_id(client: httpx.Client, headers: dict[str, str]) -> int:
    found: int = client.get("/v1/users/current", headers=headers).json()["id"]
    return found


@pytest.fixture
def admin(admin_headers: dict[str, str], console_as: Callable[[str, str], Console]) -> Console:
    return console_as(ADMIN_EMAIL, ADMIN_PASSWORD)


def signs_in(base_url: str, email: str, password: str) -> bool:
    with httpx.Client(base_url=base_url) as fresh:
        return sign_in(fresh, email, password).status_code == 303


# Who sees what ----------------------------------------------------------------------------


def test_only_administrators_see_and_reach_the_administration(
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    admin: Console,
    console_as: Callable[[str, str], Console],
    base_url: str,
) -> None:
    other = make_user(client, admin_headers, "lain@example.org")
    pages = (*ADMIN_PAGES, f"/admin/users/{other}")
    for path in pages:
        response = admin.get(path)
        assert response.status_code == 200, path
        assert text(response, ".tabs a[aria-current=page]"), path
    assert page(admin.get("/projects")).cssselect('.mainnav a[href="/admin/users"]')

    refused = _("Your role does not allow this. Ask a project manager or an administrator.")
    for role in ("manager", "viewer", "formfill"):
        email = f"{role}@example.org"
        own_id = make_user(client, admin_headers, email, project_id=project_id, role=role)
        console = console_as(email, PASSWORD)
        assert not page(console.get("/projects")).cssselect('.mainnav a[href="/admin/users"]')
        for path in (*pages, f"/admin/users/{own_id}"):
            response = console.get(path)
            assert response.status_code == 403, (role, path)
            assert response.headers["content-type"].startswith("text/html"), (role, path)
            assert page(response).get("lang") == "id"
            assert text(response, ".error-panel .lead") == [refused], (role, path)
        posts = [
            ("/admin/users", {"email": "baru@example.org"}),
            (f"/admin/users/{other}/password", {}),
            (f"/admin/users/{own_id}/administrator", {"action": "grant"}),
        ]
        for path, data in posts:
            response = console.post(path, data)
            assert response.status_code == 403, (role, path)
            assert response.headers["content-type"].startswith("text/html")
        assert "Administrator" not in {r["name"] for r in _roles_of(client, admin_headers, own_id)}
    assert client.get("/v1/users?q=baru@example.org", headers=admin_headers).json() == []

    # In English for whoever chose it.
    english = console_as("viewer@example.org", PASSWORD)
    english.post("/language", {"language": "en", "next": "/projects"})
    response = english.get("/admin/health")
    assert response.status_code == 403
    assert page(response).get("lang") == "en"
    assert text(response, ".error-panel .lead") == [
        "Your role does not allow this. Ask a project manager or an administrator."
    ]

    with httpx.Client(base_url=base_url) as anonymous:
        for path in pages:
            response = anonymous.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == f"/login?next={path.replace('/', '%2F')}"


def _roles_of(client: httpx.Client, headers: dict[str, str], actor_id: int) -> list[dict[str, str]]:
    assignments = client.get("/v1/assignments/admin", headers=headers).json()
    return [{"name": "Administrator"} for a in assignments if a["actorId"] == actor_id]


def test_the_user_list_shows_site_and_project_roles(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, admin: Console
) -> None:
    make_user(
        client, admin_headers, "ani@example.org", project_id=project_id, role="viewer", name="Ani"
    )
    response = admin.get("/admin/users")
    rows = {
        cells[1]: cells for cells in (r.split(" | ") for r in _rows(response, "#accounts tbody tr"))
    }
    assert rows["ani@example.org"] == [
        "Ani",
        "ani@example.org",
        "—",
        f"Sulawesi Selatan: {_('Viewer')}",
    ]
    assert rows[ADMIN_EMAIL][2] == _("Administrator")
    for control in page(response).cssselect("#new-user input:not([type=hidden])"):
        assert page(response).cssselect(f'label[for="{control.get("id")}"]'), control.get("name")


def _rows(response: httpx.Response, selector: str) -> list[str]:
    return [
        " | ".join(" ".join(td.text_content().split()) for td in row.cssselect("td"))
        for row in page(response).cssselect(selector)
    ]


# Creating users ---------------------------------------------------------------------------


def test_a_user_made_with_a_chosen_password_signs_in(
    admin: Console, base_url: str, console_as: Callable[[str, str], Console]
) -> None:
    response = admin.post(
        "/admin/users",
        {
            "email": "sari@example.org",
            "name": "Sari Dewi",
            "password": "kata sandi sari",
            "password_again": "kata sandi sari",
        },
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/admin/users/")
    shown = admin.get(location)
    assert "Sari Dewi" in text(shown, ".notice")[0]
    assert text(shown, "h2.account-name") == ["Sari Dewi"]
    sari = console_as("sari@example.org", "kata sandi sari")
    assert sari.get("/projects").status_code == 200
    # Not an administrator.
    assert sari.get("/admin/users").status_code == 403


def test_a_generated_password_is_shown_once(admin: Console, base_url: str) -> None:
    response = admin.post(
        "/admin/users", {"email": "budi@example.org", "password": "", "password_again": ""}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers
    field = page(response).cssselect("#generated-password")[0]
    password = field.get("value")
    assert len(password) >= 16
    assert field.get("readonly") is not None
    assert page(response).cssselect('button[data-copy="generated-password"]')
    assert text(response, ".password-once .warning") == [
        _(
            "This password is shown only this once. Hand it over in person or by a phone call,"
            " not in a group chat or an email, and ask them to change it under My account"
            " after they sign in."
        )
    ]
    assert signs_in(base_url, "budi@example.org", password)
    user_page = page(response).cssselect(".password-once a.button")[0].get("href")
    for path in (user_page, "/admin/users"):
        assert password not in admin.get(path).text


def test_two_different_passwords_or_a_known_email_are_refused_on_the_form(
    client: httpx.Client, admin_headers: dict[str, str], admin: Console
) -> None:
    response = admin.post(
        "/admin/users",
        {
            "email": "citra@example.org",
            "name": "Citra",
            "password": "kata-sandi-satu",
            "password_again": "kata-sandi-dua",
        },
    )
    assert response.status_code == 400
    assert text(response, "#new-user-error") == [
        _("The two passwords are not the same. Type the same one twice, or leave both empty.")
    ]
    assert page(response).cssselect("#new-email")[0].get("value") == "citra@example.org"
    assert page(response).cssselect("#new-password")[0].get("value") is None
    assert client.get("/v1/users?q=citra@example.org", headers=admin_headers).json() == []

    again = admin.post("/admin/users", {"email": ADMIN_EMAIL})
    assert again.status_code == 409
    assert text(again, "#new-user-error") == [
        _("This already exists: {values}.").format(values=ADMIN_EMAIL)
    ]
    short = admin.post(
        "/admin/users", {"email": "d@example.org", "password": "pendek", "password_again": "pendek"}
    )
    assert short.status_code == 400
    assert text(short, "#new-user-error") == [
        _("The password is too short: it needs at least 10 characters.")
    ]


# New passwords ----------------------------------------------------------------------------


def test_a_reset_password_replaces_the_old_one_and_ends_the_sessions(
    client: httpx.Client,
    admin_headers: dict[str, str],
    admin: Console,
    console_as: Callable[[str, str], Console],
    base_url: str,
) -> None:
    dewi = make_user(client, admin_headers, "dewi@example.org", name="Dewi")
    signed_in = console_as("dewi@example.org", PASSWORD)
    token = client.post(
        "/v1/sessions", json={"email": "dewi@example.org", "password": PASSWORD}
    ).json()["token"]
    assert signed_in.get("/projects").status_code == 200

    response = admin.post(
        f"/admin/users/{dewi}/password",
        {"password": "kata-sandi-baru", "password_again": "kata-sandi-baru"},
    )
    assert response.status_code == 303
    assert "Dewi" in text(admin.get(response.headers["location"]), ".notice")[0]
    assert not signs_in(base_url, "dewi@example.org", PASSWORD)
    assert signs_in(base_url, "dewi@example.org", "kata-sandi-baru")
    ended = signed_in.get("/projects")
    assert ended.status_code == 303
    assert ended.headers["location"].startswith("/login")
    api = client.get("/v1/users/current", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401

    generated = admin.post(f"/admin/users/{dewi}/password", {})
    assert generated.status_code == 200
    password = page(generated).cssselect("#generated-password")[0].get("value")
    assert not signs_in(base_url, "dewi@example.org", "kata-sandi-baru")
    assert signs_in(base_url, "dewi@example.org", password)

    mismatch = admin.post(
        f"/admin/users/{dewi}/password",
        {"password": "kata-sandi-tiga", "password_again": "kata-sandi-empat"},
    )
    assert mismatch.status_code == 400
    assert text(mismatch, "#account-error")
    assert signs_in(base_url, "dewi@example.org", password)
    assert admin.post("/admin/users/99999/password", {}).status_code == 404


def test_an_administrator_changes_their_own_password_on_their_account_page(
    client: httpx.Client, admin_headers: dict[str, str], admin: Console
) -> None:
    response = admin.get(f"/admin/users/{admin_id(client, admin_headers)}")
    assert not page(response).cssselect("#reset-password form")
    assert page(response).cssselect('#reset-password a[href="/account"]')


# The administrator role -------------------------------------------------------------------


def test_promote_and_demote(
    client: httpx.Client,
    admin_headers: dict[str, str],
    admin: Console,
    console_as: Callable[[str, str], Console],
) -> None:
    eka = make_user(client, admin_headers, "eka@example.org", name="Eka")
    response = admin.post(f"/admin/users/{eka}/administrator", {"action": "grant"})
    assert response.status_code == 303
    shown = admin.get(response.headers["location"])
    assert text(shown, ".notice") == [_("{name} is now an administrator.").format(name="Eka")]
    assert text(shown, "#site-role") == [_("Administrator")]
    eka_console = console_as("eka@example.org", PASSWORD)
    assert eka_console.get("/admin/health").status_code == 200

    response = eka_console.post(f"/admin/users/{eka}/administrator", {"action": "revoke"})
    assert response.status_code == 303
    assert response.headers["location"] == "/projects"
    assert eka_console.get("/admin/health").status_code == 403
    assert text(admin.get(f"/admin/users/{eka}"), "#site-role") == [_("Project roles only")]
    assert admin.post(f"/admin/users/{eka}/administrator", {"action": "nah"}).status_code == 400


def test_the_last_administrator_keeps_the_role(
    client: httpx.Client, admin_headers: dict[str, str], admin: Console, services: Services
) -> None:
    me = admin_id(client, admin_headers)
    shown = admin.get(f"/admin/users/{me}")
    assert text(shown, "#only-admin")
    assert not page(shown).cssselect("#administrator form")

    message = _(
        "This is the only administrator. Make someone else an administrator first, so that"
        " someone can still manage users."
    )
    response = admin.post(f"/admin/users/{me}/administrator", {"action": "revoke"})
    assert response.status_code == 409
    assert text(response, "#account-error") == [message]
    assert admin.get("/admin/users").status_code == 200

    # The rule is the domain's: the REST API gives the same answer.
    api = client.delete(f"/v1/assignments/admin/{me}", headers=admin_headers)
    assert api.status_code == 409
    assert api.json()["code"] == 409.51
    with pytest.raises(problems.Problem) as refused:
        users.unassign_site_role(services, SYSTEM, role="admin", actor_id=me)
    assert refused.value.code == "409.51"

    # With a second administrator, either may step down; then the other is the last.
    other = make_user(client, admin_headers, "fitri@example.org")
    users.assign_site_role(services, SYSTEM, role="admin", actor_id=other)
    assert not page(admin.get(f"/admin/users/{me}")).cssselect("#only-admin")
    users.unassign_site_role(services, SYSTEM, role="admin", actor_id=other)
    assert admin.post(f"/admin/users/{me}/administrator", {"action": "revoke"}).status_code == 409


# CSRF -------------------------------------------------------------------------------------


def test_every_form_is_refused_without_its_token(
    client: httpx.Client, admin_headers: dict[str, str], admin: Console, base_url: str
) -> None:
    gita = make_user(client, admin_headers, "gita@example.org")
    posts = [
        ("/admin/users", {"email": "palsu@example.org"}),
        (f"/admin/users/{gita}/password", {"password": "", "password_again": ""}),
        (f"/admin/users/{gita}/administrator", {"action": "grant"}),
    ]
    explanation = _(
        "This form was open too long or came from another site. Go back, reload the page and"
        " try again."
    )
    for path, data in posts:
        for token in (None, "salah"):
            body = data if token is None else {**data, "__csrf": token}
            response = admin.client.post(path, data=body)
            assert response.status_code == 401, (path, token)
            assert text(response, ".error-panel .lead") == [explanation]
    assert client.get("/v1/users?q=palsu@example.org", headers=admin_headers).json() == []
    assert signs_in(base_url, "gita@example.org", PASSWORD)
    assert text(admin.get(f"/admin/users/{gita}"), "#site-role") == [_("Project roles only")]


# The audit log ----------------------------------------------------------------------------


def test_the_audit_log_tells_what_happened_and_filters_it(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, admin: Console
) -> None:
    seed(client, admin_headers, project_id)
    make_user(
        client, admin_headers, "hana@example.org", name="Hana", project_id=project_id, role="viewer"
    )
    admin_name = client.get("/v1/users/current", headers=admin_headers).json()["displayName"]

    everything = admin.get("/admin/audits")
    assert everything.status_code == 200
    sentences = text(everything, "#audits .sentence")
    actions = text(everything, "#audits .action-name")
    assert len(sentences) == len(actions) > 5
    assert _("{who} created the account of {what}.").format(who=admin_name, what="Hana") in (
        sentences
    )
    assert (
        _("{who} gave {what} the role {role} in the project {place}.").format(
            who=admin_name, what="Hana", role=_("Viewer"), place="Sulawesi Selatan"
        )
        in sentences
    )
    assert (
        _("{who} uploaded the form {what}.").format(who=admin_name, what="Profil inisiatif")
        in sentences
    )
    assert _("{who} signed in.").format(who=admin_name) in sentences
    created = _("{who} sent the submission {what} of the form {place}.").format(
        who=admin_name, what="uuid:aaa-1", place="Profil inisiatif"
    )
    assert created in sentences
    links = page(everything).cssselect("#audits td a")
    assert f"/projects/{project_id}/forms/profil/submissions/uuid%3Aaaa-1" in {
        a.get("href") for a in links
    }

    forms_only = admin.get("/admin/audits?action=form")
    assert set(text(forms_only, "#audits .action-name")) == {"form.create"}
    assert (
        page(forms_only).cssselect('#audit-action option[value="form"]')[0].get("selected")
        is not None
    )
    users_only = set(text(admin.get("/admin/audits?action=user"), "#audits .action-name"))
    assert users_only == {"user.create", "user.assignment.create", "user.session.create"}
    for control in page(everything).cssselect("#audit-filters select, #audit-filters input"):
        assert page(everything).cssselect(f'label[for="{control.get("id")}"]')

    assert admin.get("/admin/audits?start=kemarin").status_code == 400
    assert admin.get("/admin/audits?action=rahasia").status_code == 400


def test_the_dates_are_days_in_the_server_time_zone(
    admin: Console, services: Services, client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    me = admin_id(client, admin_headers)
    jakarta = ZoneInfo("Asia/Jakarta")  # the settings' default time zone, UTC+7
    moments = {
        "project.update": datetime(2025, 3, 10, 23, 30, tzinfo=jakarta),  # 16:30 UTC
        "form.create": datetime(2025, 3, 11, 0, 30, tzinfo=jakarta),  # 17:30 UTC on the 10th
        "form.delete": datetime(2025, 3, 11, 23, 59, tzinfo=jakarta),
        "form.update": datetime(2025, 3, 12, 0, 0, tzinfo=jakarta),
    }
    with services.db.write() as session:
        for action, moment in moments.items():
            audit_store.insert_audit(
                Driver.of(session),
                actor_id=me,
                action=action,
                actee=None,
                details=None,
                now=moment.astimezone(UTC),
            )

    def shown(query: str) -> list[str]:
        return text(admin.get(f"/admin/audits?{query}"), "#audits .action-name")

    assert shown("start=2025-03-11&end=2025-03-11") == ["form.delete", "form.create"]
    assert shown("start=2025-03-10&end=2025-03-10") == ["project.update"]
    assert shown("start=2025-03-12&end=2025-03-12") == ["form.update"]
    assert shown("end=2025-03-10") == ["project.update"]
    assert shown("action=form&start=2025-03-11")[-1] == "form.create"
    assert shown("action=form&start=2025-03-11").count("form.update") == 1
    empty = admin.get("/admin/audits?start=2025-01-01&end=2025-01-02")
    assert not page(empty).cssselect("#audits")
    assert text(empty, ".empty") == [_("Nothing was recorded that matches these filters.")]
    times = page(admin.get("/admin/audits?start=2025-03-10&end=2025-03-10")).cssselect("time")
    assert times[0].get("datetime").startswith("2025-03-10T16:30")
    assert "23.30" in times[0].text_content()  # shown at the server's wall-clock time


def test_unknown_actions_show_their_raw_name_and_the_log_pages(
    admin: Console, services: Services, client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    me = Actor(id=admin_id(client, admin_headers))
    with services.db.write() as session:
        audits.record(session, me, "dataset.create", "dataset:9")
        for n in range(60):
            audits.record(session, me, "user.update", f"actor:{me.id}", {"n": n})
    first = admin.get("/admin/audits")
    assert len(text(first, "#audits tbody tr")) == 50
    assert not page(first).cssselect('.pager a[rel="prev"]')
    older = page(first).cssselect('.pager a[rel="next"]')[0].get("href")
    assert older == "/admin/audits?offset=50"
    second = admin.get(older)
    rows = text(second, "#audits .action-name")
    assert 10 < len(rows) < 50
    assert "dataset.create" in rows
    raw = [s for s in text(second, "#audits .sentence") if "dataset.create" in s]
    assert raw and "dataset:9" in raw[0]
    assert page(second).cssselect('.pager a[rel="prev"]')[0].get("href") == "/admin/audits"
    filtered = admin.get("/admin/audits?action=user&offset=50")
    assert page(filtered).cssselect('.pager a[rel="prev"]')[0].get("href") == (
        "/admin/audits?action=user"
    )


# The server's health ----------------------------------------------------------------------


def test_the_health_page_shows_the_facts(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, admin: Console
) -> None:
    seed(client, admin_headers, project_id)
    response = admin.get("/admin/health")
    assert response.status_code == 200
    tree = page(response)
    database = tree.cssselect("#database")[0]
    assert database.get("data-answers") == "yes"
    assert text(response, "#database-kind")[0].split()[0] in ("SQLite", "PostgreSQL")
    disk = tree.cssselect("#disk-free")[0]
    assert int(disk.get("data-bytes")) > 0
    assert int(disk.get("data-total")) >= int(disk.get("data-bytes"))
    files = tree.cssselect("#stored-files")[0]
    # The form's XForm is not a blob; the photo of the first submission is.
    assert int(files.get("data-count")) >= 1
    assert int(files.get("data-bytes")) >= len(b"\xff\xd8jpeg bytes")
    java = tree.cssselect("#java")[0].get("data-present")
    assert java == ("yes" if shutil.which("java") else "no")
    assert text(response, "#version")[0].startswith("Jaring ")
    assert text(response, "#phone-origin")[0].startswith("http://")
    assert tree.cssselect("#phone-reachable")[0].get("data-reachable") in ("yes", "no")


def test_health_when_the_database_is_down(settings: Settings, tmp_path: Path) -> None:
    broken = Services(
        settings=settings,
        db=Database(f"sqlite:///{tmp_path}/no/such/folder/jaring.db", pooled=False),
        blobs=FileBlobStore(tmp_path / "blobs"),
    )
    report = health.server_health(
        broken, SYSTEM, phone_origin="http://192.168.1.10:8080", phone_reachable=True
    )
    assert report.database.answers is False
    assert report.database.kind == "SQLite"
    assert report.files is None
    assert report.disk is not None and report.disk.free_bytes > 0
    with pytest.raises(problems.Problem) as refused:
        health.server_health(
            broken, Actor(id=5, type="user"), phone_origin="", phone_reachable=False
        )
    assert refused.value.code == "403.1"


@pytest.mark.parametrize(
    ("free", "total", "low"),
    [
        (LOW_DISK_BYTES - 1, 10 * LOW_DISK_BYTES, True),  # under 1 GB
        (4 * LOW_DISK_BYTES, 100 * LOW_DISK_BYTES, True),  # under 5 %
        (6 * LOW_DISK_BYTES, 100 * LOW_DISK_BYTES, False),
        (2 * LOW_DISK_BYTES, 3 * LOW_DISK_BYTES, False),
    ],
)
def test_little_disk_space_is_low(free: int, total: int, low: bool) -> None:
    assert DiskSpace(Path("/"), free_bytes=free, total_bytes=total).low is low
