"""The administration and downloads pages in a real browser, at desktop and phone widths:
an administrator creates a user and gets a password to hand over, then reads the audit
log and the server's health; a coordinator copies the OData address."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from server.console import i18n
from tests.console.browser import WatchedPage, sign_in
from tests.exports.support import FORM, seed

ID = i18n.translations("id")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_an_administrator_creates_a_user_and_checks_the_server(
    request: pytest.FixtureRequest, admin_headers: dict[str, str], width: str
) -> None:
    tab: WatchedPage = request.getfixturevalue(width)
    sign_in(tab)
    page = tab.page
    page.get_by_role("link", name=ID.gettext("Administration")).click()
    page.wait_for_url("**/admin/users")
    tab.screenshot(f"admin-users-{width}")

    page.get_by_label(ID.gettext("Email"), exact=True).fill(f"baru-{width}@example.org")
    page.get_by_label(ID.gettext("Name (optional)")).fill("Nur Aini")
    page.get_by_role("button", name=ID.gettext("Create the user")).click()
    password_field = page.locator("#generated-password")
    password_field.wait_for()
    password = password_field.input_value()
    assert len(password) >= 16
    tab.screenshot(f"admin-password-{width}")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = page.locator('button[data-copy="generated-password"]')
    copy.click()
    expect(copy).to_have_attribute("data-copied", "")
    expect(copy).to_have_text(ID.gettext("Copied"))
    assert page.evaluate("navigator.clipboard.readText()") == password

    page.get_by_role("link", name=ID.gettext("Done")).click()
    page.wait_for_url("**/admin/users/*")
    tab.screenshot(f"admin-user-{width}")

    page.get_by_role("link", name=ID.gettext("Audit log")).click()
    page.wait_for_url("**/admin/audits")
    page.locator("#audits").wait_for()
    tab.screenshot(f"admin-audits-{width}")
    page.get_by_label(ID.gettext("What")).select_option("user")
    page.get_by_role("button", name=ID.gettext("Show")).click()
    page.wait_for_url("**/admin/audits?action=user*")
    assert set(page.locator("#audits .action-name").all_inner_texts()) <= {
        "user.create",
        "user.session.create",
        "user.assignment.create",
    }

    page.get_by_role("link", name=ID.gettext("Server health")).click()
    page.wait_for_url("**/admin/health")
    assert page.locator("#database").get_attribute("data-answers") == "yes"
    tab.screenshot(f"admin-health-{width}")
    # Nothing is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The new user signs in with the password they were handed.
    page.context.clear_cookies()
    sign_in(tab, f"baru-{width}@example.org", password)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_downloads_page(
    request: pytest.FixtureRequest,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    width: str,
) -> None:
    seed(client, admin_headers, project_id)
    tab: WatchedPage = request.getfixturevalue(width)
    sign_in(tab)
    page = tab.page
    tab.goto(f"/projects/{project_id}/forms/{FORM}/downloads")
    page.locator("#download-odata").wait_for()
    tab.screenshot(f"downloads-{width}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = page.locator('button[data-copy="odata-url"]')
    expect(copy).to_have_text(ID.gettext("Copy"))
    copy.click()
    expect(copy).to_have_attribute("data-copied", "")
    address = page.get_by_label(ID.gettext("OData address")).input_value()
    assert page.evaluate("navigator.clipboard.readText()") == address
    assert address.endswith(f"/v1/projects/{project_id}/forms/{FORM}.svc")
    with page.expect_download() as started:
        page.locator("#download-csv a").click()
    assert started.value.suggested_filename.endswith(".zip")
