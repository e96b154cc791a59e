"""The submissions table and one submission's page in a real browser, at desktop and
phone width: filtering swaps the table and keeps the address, a submission is approved
with a comment, what a phone sent shows as text and runs nothing (no dialog opens), and
nothing is asked of another host; screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import httpx
from playwright.sync_api import Dialog

from tests.builders import create_app_user
from tests.console.browser import WatchedPage, sign_in
from tests.console.reviewed import FORM_ID, Profile, publish_form, submit

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def _profiles(client: httpx.Client, headers: dict[str, str], project_id: int) -> dict[str, str]:
    publish_form(client, headers, project_id)
    token = create_app_user(client, headers, project_id, forms=(FORM_ID,), name="HP Ina")["token"]
    sent = {
        "ina": Profile(
            photo=True,
            document=True,
            products=[("Sarung tenun ikat", "350000"), ("Selendang", "120000")],
        ),
        "maros": Profile(name="Kopi Maros", sector="kopi", activities="produksi", regency="73.09"),
        "kupang": Profile(name="Kopi Kupang", sector="kopi", province="53", regency="53.71"),
        "script": Profile(name=SCRIPT, members=IMG, products=[(IMG, "1")]),
    }
    ids = {key: submit(client, token, project_id, it) for key, it in sent.items()}
    edit = Profile(
        photo=True,
        document=True,
        members="14",
        products=[("Sarung tenun ikat", "375000"), ("Selendang", "120000")],
        deprecated_id=ids["ina"],
    )
    submit(client, token, project_id, edit)
    return ids


def _watch_dialogs(tab: WatchedPage) -> list[str]:
    opened: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    tab.page.on("dialog", dismiss)
    return opened


def test_submissions_and_a_review_in_a_browser(
    desktop: WatchedPage,
    phone: WatchedPage,
    admin_headers: dict[str, str],
    project_id: int,
    base_url: str,
) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        ids = _profiles(client, admin_headers, project_id)
    table = f"/projects/{project_id}/forms/{FORM_ID}/submissions"
    dialogs = _watch_dialogs(desktop)
    sign_in(desktop)
    page = desktop.page
    page.emulate_media(reduced_motion="reduce")
    desktop.goto(table)
    page.wait_for_load_state("networkidle")
    assert page.inner_text("#submissions-count").strip() == "4 kiriman"
    # The script's name and answer are text in the table.
    first = page.locator("#submissions-results tbody tr").first
    assert first.locator("th a").inner_text() == SCRIPT
    assert IMG in first.inner_text()
    assert page.locator("main img[src='x']").count() == 0
    # The photo's thumbnail loaded, at most 160 pixels wide.
    thumb = page.locator("img.thumb")
    assert thumb.count() == 1
    assert page.evaluate("document.querySelector('img.thumb').naturalWidth") == 160

    # Filtering fetches the table only, and the address follows the filters.
    with page.expect_response(lambda r: "province=73" in r.url):
        page.select_option("#sub-province", "73")
    page.wait_for_function("document.querySelector('#submissions-count').innerText.startsWith('3')")
    assert "province=73" in page.url
    assert page.locator("#submission-filters").count() == 1  # the form was not reloaded
    regencies = page.locator("#sub-regency option").all_inner_texts()
    assert regencies == ["Semua kabupaten/kota", "Kota Makassar", "Kabupaten Maros"]
    with page.expect_response(lambda r: "state=received" in r.url):
        page.check("input[name=state][value=received]")
    page.wait_for_function("document.querySelector('#submissions-count').innerText.startsWith('2')")
    names = page.locator("#submissions-results tbody th a").all_inner_texts()
    assert names == [SCRIPT, "Kopi Maros"]  # Tenun Ina was edited since
    page.go_back()
    page.wait_for_function("document.querySelector('#submissions-count').innerText.startsWith('3')")

    # One submission: its answers, its edit, and a review with a comment.
    page.click("#submissions-results tbody th a >> text=Kelompok Tenun Ina")
    page.wait_for_selector("#submission-map path.point-marker")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("h1") == "Kelompok Tenun Ina"
    assert page.locator(".answer-block").count() == 2
    assert page.evaluate("document.querySelector('img.photo').naturalWidth") == 640
    changes = page.locator(".changes tbody tr").all_inner_texts()
    assert [" ".join(row.split()) for row in changes] == [
        "Jumlah anggota 12 14",
        "Produk 1 › Harga 350000 375000",
    ]
    page.fill("#review-comment", "Sudah dicek di lapangan. <b>Bagus</b>")
    page.click("button[value=approved]")
    page.wait_for_selector("#review-panel .notice")
    assert page.inner_text("#review-panel .review-now .state") == "Disetujui"
    assert page.inner_text(".comment-body") == "Sudah dicek di lapangan. <b>Bagus</b>"
    assert page.locator(".comment-body b").count() == 0
    assert page.inner_text("#review-panel .notice") == (
        "Kiriman disetujui. Komentar Anda sudah ditambahkan."
    )
    assert page.input_value("#review-comment") == ""
    # The page itself says the same after a reload (the review was saved, not just shown).
    page.reload()
    assert page.inner_text(".review-now .state") == "Disetujui"
    assert "ditandai" not in page.inner_text(".submission-activity")
    assert "sebagai “Disetujui”" in page.inner_text(".submission-activity")

    # What a phone sent runs nothing: no dialog, no broken image, the text as it was sent.
    desktop.goto(f"{table}/{ids['script'].replace(':', '%3A')}")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("h1") == SCRIPT
    assert IMG in page.inner_text(".submission-answers")
    assert page.locator("main img[src='x']").count() == 0
    assert dialogs == []
    # Screenshots last: a screenshot leaves marks in the page that its next swap trips on.
    desktop.goto(table)
    page.wait_for_load_state("networkidle")
    desktop.screenshot("submissions-desktop")
    desktop.goto(f"{table}/{ids['ina'].replace(':', '%3A')}")
    page.wait_for_selector("#submission-map path.point-marker")
    page.wait_for_load_state("networkidle")
    desktop.screenshot("submission-desktop")

    # A phone: the filters folded away, the table scrolling inside its frame.
    sign_in(phone)
    tab = phone.page
    tab.emulate_media(reduced_motion="reduce")
    phone.goto(table)
    tab.wait_for_load_state("networkidle")
    assert tab.evaluate("document.getElementById('submission-filter-box').open") is False
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    wrap = "document.querySelector('#submissions-results .table-wrap')"
    assert tab.evaluate(f"{wrap}.scrollWidth > {wrap}.clientWidth")
    phone.screenshot("submissions-phone")
    tab.click("#submission-filter-box > summary")
    assert tab.is_visible("#sub-province")
    phone.screenshot("submissions-filters-phone")
    phone.goto(f"{table}/{ids['ina'].replace(':', '%3A')}")
    tab.wait_for_selector("#submission-map path.point-marker")
    tab.wait_for_load_state("networkidle")
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot("submission-phone")
