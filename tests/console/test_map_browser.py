"""The map and the summary in a real browser, at desktop and phone width: markers in
clusters on the offline basemap, popups with their name as text, their photo's thumbnail
and their link, nothing asked of another host (OpenStreetMap stays off until switched on);
screenshots of both pages (and the summary as printed) in test-artifacts/screenshots/."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.console.browser import WatchedPage, sign_in
from tests.console.initiatives import FORM_ID, Initiative, publish_form, submit

MARKUP_NAME = "<b>Kopi</b> Kupang"


def _initiatives(client: httpx.Client, headers: dict[str, str], project_id: int) -> str:
    """Three initiatives a street apart in Makassar, one in Kupang; Kupang's instanceID."""
    publish_form(client, headers, project_id)
    near = [
        Initiative(name="Tenun Ina", point="-5.147665 119.432732 12 4", photo=True),
        Initiative(name="Warung Bersama", sector="kopi", point="-5.148101 119.433511 12 4"),
        Initiative(name="Olahan Ikan Ibu", sector="pangan", point="-5.146902 119.431975 12 4"),
    ]
    for initiative in near:
        submit(client, headers, project_id, initiative)
    kupang = Initiative(
        name=MARKUP_NAME, sector="kopi", province="53", regency="53.71", point="-10.1772 123.607"
    )
    return submit(client, headers, project_id, kupang)


def _open_map(tab: WatchedPage, path: str) -> None:
    tab.page.emulate_media(reduced_motion="reduce")  # no fading: screenshots as they settle
    tab.goto(path)
    tab.page.wait_for_selector("#map[data-loaded='4']")
    tab.page.wait_for_selector(".map-cluster", state="visible")
    tab.page.wait_for_load_state("networkidle")


def test_the_map_and_the_summary_in_a_browser(
    desktop: WatchedPage,
    phone: WatchedPage,
    admin_headers: dict[str, str],
    project_id: int,
    base_url: str,
) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        kupang = _initiatives(client, admin_headers, project_id)
    form = f"/projects/{project_id}/forms/{FORM_ID}"
    sign_in(desktop)
    _open_map(desktop, f"{form}/map?color=%2Fprofil%2Fsektor")
    page = desktop.page
    # Three points a street apart make one cluster; Kupang's stands alone.
    assert page.inner_text(".map-cluster") == "3"
    assert page.locator(".map-pin").count() == 1
    legend = page.locator("#map-legend li").all_inner_texts()
    assert [" ".join(item.split()) for item in legend] == ["Tenun 1", "Kopi 2", "Olahan pangan 1"]
    # The layer list: the offline provinces on, OpenStreetMap off.
    page.hover(".leaflet-control-layers")
    boxes = page.locator(".leaflet-control-layers-overlays label")
    assert boxes.count() == 2
    assert boxes.nth(0).locator("input").is_checked()
    assert "OpenStreetMap" in boxes.nth(1).inner_text()
    assert not boxes.nth(1).locator("input").is_checked()
    page.mouse.move(10, 400)
    # A popup: the name as text, the colour's label, the link to the submission.
    page.click(".map-pin")
    popup = page.wait_for_selector(".map-popup")
    assert popup.query_selector(".map-popup-name").inner_text() == MARKUP_NAME
    assert popup.query_selector(".map-popup-name b") is None
    assert "Bidang utama: Kopi" in popup.inner_text()
    link = popup.query_selector("a.map-popup-link")
    assert link.get_attribute("href") == f"{form}/submissions/{kupang.replace(':', '%3A')}"
    assert link.inner_text() == "Buka kiriman"
    desktop.screenshot("map-desktop")
    # Opening the cluster shows its three points.
    page.keyboard.press("Escape")
    page.click(".map-cluster")
    page.locator(".map-pin").nth(2).wait_for()
    page.wait_for_selector(".map-cluster", state="detached")
    # A point with a photo shows its thumbnail, described by the initiative's name.
    with page.expect_response(lambda response: "/thumbnails/" in response.url) as answer:
        page.click(".map-pin[title='Tenun Ina']")
    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "image/jpeg"
    photo = page.locator(".map-popup img")
    assert photo.get_attribute("alt") == "Foto Tenun Ina"
    assert photo.get_attribute("loading") == "lazy"
    expect(photo).to_have_js_property("complete", True)
    assert photo.evaluate("img => img.naturalWidth") > 0
    desktop.screenshot("map-desktop-zoomed")

    sign_in(phone)
    _open_map(phone, f"{form}/map?color=%2Fprofil%2Fsektor")
    box = phone.page.locator("#map").bounding_box()
    assert box is not None and box["width"] >= 389 and box["height"] >= 320
    phone.screenshot("map-phone")

    desktop.goto(f"{form}/summary")
    desktop.page.wait_for_selector("svg.chart")
    desktop.screenshot("summary-desktop")
    desktop.page.emulate_media(media="print")
    assert not desktop.page.is_visible("#summary-filters")
    assert not desktop.page.is_visible(".tabs")
    desktop.screenshot("summary-print")
    phone.goto(f"{form}/summary?province=73")
    phone.page.wait_for_selector("svg.chart")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the screen
    phone.screenshot("summary-phone")
