"""Entity lists in a real browser, at desktop and phone width: the table reached from the
project, the entities' points on the offline map with popups linking to each entity,
and a conflict made by two offline updates shown side by side and resolved with the
button; screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import httpx

from tests.console.browser import WatchedPage, sign_in
from tests.console.entity_lists import entity, offline_update, publish_forms, register

MARKUP = "<i>Kopi</i> Kupang"


def test_entity_lists_in_a_browser(
    desktop: WatchedPage,
    phone: WatchedPage,
    admin_headers: dict[str, str],
    project_id: int,
    base_url: str,
) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        publish_forms(client, admin_headers, project_id)
        register(client, admin_headers, project_id, "Tenun Ina", location="-5.147665 119.432732")
        register(client, admin_headers, project_id, "Warung Bersama", location="-5.1481 119.4335")
        kupang = register(client, admin_headers, project_id, MARKUP, location="-10.1772 123.607")
        register(client, admin_headers, project_id, "Tanpa titik")
        disputed = register(client, admin_headers, project_id, "Olahan Ikan Ibu", height="4")
        offline_update(client, admin_headers, project_id, disputed, "5")
        offline_update(client, admin_headers, project_id, disputed, "6")

    page = desktop.page
    sign_in(desktop)
    desktop.goto(f"/projects/{project_id}")
    page.click("table.dataset-list a:text('trees')")
    page.wait_for_url(f"**/projects/{project_id}/datasets/trees")
    rows = page.locator(".entity-table tbody tr")
    assert rows.count() == 5
    assert rows.nth(0).locator("th").inner_text().startswith("Olahan Ikan Ibu")
    assert rows.nth(0).locator(".state-conflict").inner_text() == "Konflik"
    assert rows.nth(2).locator("th a").inner_text() == MARKUP  # as text, never markup
    assert rows.nth(2).locator("th a i").count() == 0
    desktop.screenshot("entities-desktop")

    # The map: two points a street apart in a cluster, Kupang alone.
    page.emulate_media(reduced_motion="reduce")
    page.click("nav.tabs a:text('Peta')")
    page.wait_for_selector("#map[data-loaded='3']")
    page.wait_for_selector(".map-cluster", state="visible")
    page.wait_for_load_state("networkidle")
    assert page.inner_text(".map-cluster") == "2"
    assert page.locator(".map-pin").count() == 1
    page.click(".map-pin")
    popup = page.wait_for_selector(".map-popup")
    assert popup.query_selector(".map-popup-name").inner_text() == MARKUP
    link = popup.query_selector("a.map-popup-link")
    assert link.inner_text() == "Buka entitas"
    assert link.get_attribute("href") == f"/projects/{project_id}/datasets/trees/entities/{kupang}"
    desktop.screenshot("entities-map-desktop")

    # The conflict, side by side, resolved with the button.
    desktop.goto(f"/projects/{project_id}/datasets/trees/entities/{disputed}")
    table = page.locator(".conflict-table")
    assert table.locator("tbody tr").all_inner_texts() == ["height berbeda\t4\t5\t6"]
    assert page.locator("td.conflict-cell").inner_text() == "6"
    assert page.input_value("input[name='value:height']") == "6"
    desktop.screenshot("entity-conflict-desktop")
    page.click("#resolve-button")
    page.wait_for_selector(".notice")
    assert "Konflik ditandai sudah selesai." in page.inner_text(".notice")
    assert page.locator("#conflict").count() == 0
    assert page.locator("h1 .state-conflict").count() == 0
    desktop.screenshot("entity-resolved-desktop")
    with httpx.Client(base_url=base_url, timeout=30) as client:
        assert entity(client, admin_headers, project_id, disputed)["conflict"] is None
        offline_update(client, admin_headers, project_id, disputed, "7")

    sign_in(phone)
    phone.goto(f"/projects/{project_id}/datasets/trees")
    phone.page.wait_for_selector(".entity-table")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot("entities-phone")
    phone.goto(f"/projects/{project_id}/datasets/trees/entities/{disputed}")
    phone.page.wait_for_selector(".conflict-table")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot("entity-conflict-phone")
    phone.page.emulate_media(reduced_motion="reduce")
    phone.goto(f"/projects/{project_id}/datasets/trees/map")
    phone.page.wait_for_selector("#map[data-loaded='3']")
    phone.page.wait_for_load_state("networkidle")
    phone.screenshot("entities-map-phone")
