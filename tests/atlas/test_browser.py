"""The atlas in a real browser (Debian's Chromium), signed out: the map with its
clusters, the directory filtered by province, an initiative, the CSV download; nothing
asked of another host. Then the folder copy opened from ``file://``: the same map and
directory, its filters working in the page. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Browser

from server.domain import Services
from server.tasks.atlas_export import export_atlas
from tests.atlas.support import SLUG
from tests.atlas.test_leakage import seed
from tests.console.browser import SCREENSHOTS, WatchedPage, sign_in


def test_the_atlas_signed_out_and_from_a_folder(
    desktop: WatchedPage,
    phone: WatchedPage,
    browser: Browser,
    admin_headers: dict[str, str],
    project_id: int,
    base_url: str,
    services: Services,
    tmp_path: Path,
) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        shown, hidden = seed(client, admin_headers, project_id)
    makassar, kupang = shown
    page = desktop.page
    page.emulate_media(reduced_motion="reduce")
    desktop.goto(f"/atlas/{SLUG}")
    page.wait_for_selector("#atlas-map[data-loaded='2']")
    page.wait_for_selector(".atlas-pin, .atlas-cluster", state="visible")
    page.wait_for_load_state("networkidle")
    assert page.locator(".leaflet-marker-icon").count() == 2  # two provinces, two places
    desktop.screenshot("atlas-home")
    page.click("text=Direktori")
    page.select_option("#atlas-province", "53")
    page.click("#atlas-filters button[type=submit]")
    page.wait_for_url("**province=53**")
    assert page.locator("#atlas-list li").all_inner_texts() == [
        f"{kupang.name} · Nusa Tenggara Timur"
    ]
    desktop.screenshot("atlas-directory")
    page.click(f"text={kupang.name}")
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == kupang.name
    assert "Kota Kupang" in page.inner_text(".atlas-fields")
    desktop.screenshot("atlas-initiative")
    desktop.goto(f"/atlas/{SLUG}")
    with page.expect_download() as download:
        page.click("text=Unduh CSV")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert makassar.name in text and kupang.name in text and "CC BY 4.0" in text
    assert not any(it.name in text for it in hidden)

    phone.page.emulate_media(reduced_motion="reduce")
    phone.goto(f"/atlas/{SLUG}?lang=en")
    phone.page.wait_for_selector("#atlas-map[data-loaded='2']")
    phone.page.wait_for_load_state("networkidle")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone's screen
    phone.screenshot("atlas-phone")

    out = tmp_path / "atlas"
    export_atlas(services, SLUG, out)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    folder = context.new_page()
    asked: list[str] = []
    errors: list[str] = []
    folder.on("request", lambda request: asked.append(request.url))
    folder.on("pageerror", lambda error: errors.append(str(error)))
    folder.emulate_media(reduced_motion="reduce")
    folder.goto((out / "index.html").as_uri())
    folder.wait_for_selector("#atlas-map[data-loaded='2']")
    # "networkidle" is not a state a file:// page reliably reports; its data has loaded.
    folder.wait_for_load_state("load")
    assert folder.locator(".leaflet-marker-icon").count() == 2
    folder.screenshot(path=str(SCREENSHOTS / "atlas-folder-home.png"), full_page=True)
    folder.click("text=Direktori")
    folder.select_option("#atlas-province", "53")
    visible = folder.locator("#atlas-list li:visible").all_inner_texts()
    assert visible == [f"{kupang.name} · Nusa Tenggara Timur"]
    folder.screenshot(path=str(SCREENSHOTS / "atlas-folder-directory.png"), full_page=True)
    folder.click(f"text={kupang.name}")
    assert folder.inner_text("h1") == kupang.name
    context.close()
    assert [url for url in asked if not url.startswith("file://")] == []
    assert errors == []

    # The manager's page of the atlas: what is public, and a withdraw button per initiative.
    sign_in(desktop)
    desktop.goto(f"/projects/{project_id}/atlases/{SLUG}")
    assert page.locator("#initiatives button:has-text('Tarik')").count() == len(shown) + 1
    assert page.locator("input[name=fields][value='/ketua']").is_checked() is False
    assert page.locator("input[name=fields][value='/nama']").is_checked()
    desktop.screenshot("atlas-manage")
