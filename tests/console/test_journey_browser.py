"""A coordinator's first day, in Chromium and in Indonesian, with nothing but the console:
upload a questionnaire that has a mistake and see the row named, fix it and publish it,
give a phone access and see its QR code, receive a phone's submission (with a photo and
a point), find it, open it, approve it with a comment, see it on the map, and download
the data for an analyst. No request may leave for another host, and the browser may log
no error. Screenshots of every page, at desktop and phone width, for people to look at.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import httpx
from playwright.sync_api import expect

from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD, xlsform
from tests.console import initiatives
from tests.console.browser import WatchedPage, sign_in
from tests.console.initiatives import CHOICES, PROVINCES, REGENCIES, SETTINGS, SURVEY


def _files(tmp_path: Path) -> dict[str, Path]:
    broken = [*SURVEY[:3], ["txet", "catatan", "Catatan", "Notes", "", ""], *SURVEY[3:]]
    files = {
        "broken": (tmp_path / "profil.xlsx", xlsform(broken, choices=CHOICES, settings=SETTINGS)),
        "fixed": (
            tmp_path / "profil-baru.xlsx",
            xlsform(SURVEY, choices=CHOICES, settings=SETTINGS),
        ),
        "provinces": (tmp_path / "provinces.csv", PROVINCES),
        "regencies": (tmp_path / "regencies.csv", REGENCIES),
    }
    for path, body in files.values():
        path.write_bytes(body)
    return {name: path for name, (path, _body) in files.items()}


def test_a_coordinators_first_day(
    desktop: WatchedPage, admin_headers: dict[str, str], base_url: str, tmp_path: Path
) -> None:
    tab, page = desktop, desktop.page
    files = _files(tmp_path)
    sign_in(tab, ADMIN_EMAIL, ADMIN_PASSWORD)
    tab.screenshot("journey-01-projects-empty")
    # A project for the mapping.
    page.fill("#name", "Pemetaan Sulawesi Selatan")
    page.click("text=Buat proyek")
    expect(page.locator("h1")).to_have_text("Pemetaan Sulawesi Selatan")
    project_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    # The questionnaire, with a mistake: the row is named.
    page.click("text=Unggah formulir baru")
    page.set_input_files("#file", str(files["broken"]))
    page.click("main form[enctype] button[type=submit]")
    finding = page.locator(".findings li").first
    expect(finding).to_contain_text("Lembar “survey”, baris 4, kolom “type”")
    expect(finding).to_contain_text("txet")
    tab.screenshot("journey-02-upload-error")
    # Fixed: a draft, its lists, and the test QR code.
    page.set_input_files("#file", str(files["fixed"]))
    page.click("main form[enctype] button[type=submit]")
    expect(page.locator(".notice")).to_contain_text("diunggah sebagai draf")
    page.set_input_files("#media-files", [str(files["provinces"]), str(files["regencies"])])
    page.click("button:has-text('Unggah berkas')")
    expect(page.locator(".notice")).to_contain_text("provinces.csv")
    draft_qr = page.locator(".qr-card img")
    expect(draft_qr).to_be_visible()
    expect(draft_qr).to_have_js_property("complete", True)
    assert page.evaluate("img => img.naturalWidth", draft_qr.element_handle()) > 100
    tab.screenshot("journey-03-draft")
    page.click("text=Terbitkan draf ini")
    expect(page.locator(".notice")).to_contain_text("sudah diterbitkan")
    # A phone for the first enumerator.
    tab.goto(f"/projects/{project_id}/app-users")
    page.fill("#name", "E001 Ina")
    page.click("text=Buat dan tampilkan kode QR")
    qr = page.locator(".qr-card img")
    expect(qr).to_be_visible()
    expect(qr).to_have_js_property("complete", True)
    assert page.evaluate("img => img.naturalWidth", qr.element_handle()) > 100
    page.click("text=Pasang secara manual")
    server_url = page.locator(".qr-card code").inner_text()
    tab.screenshot("journey-04-phone-qr")
    token = re.search(r"/v1/key/([^/]+)/projects/", server_url)
    assert token is not None
    # The phone sends an interview, as ODK Collect does (through the app user's URL).
    with httpx.Client(base_url=base_url) as phone:
        instance_id = initiatives.submit(
            phone,
            {},
            project_id,
            initiatives.Initiative(name="Kelompok Tenun Ina", photo=True),
            app_user_token=token.group(1),
        )
    # Find it in the table and open it.
    tab.goto(f"/projects/{project_id}/forms/{initiatives.FORM_ID}/submissions")
    row = page.locator("tbody tr", has_text="Kelompok Tenun Ina")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Tenun")  # the label, not the choice's name
    tab.screenshot("journey-05-table")
    row.locator("a").first.click()
    expect(page.locator("h1")).to_have_text("Kelompok Tenun Ina")
    expect(page.locator("text=Kota Makassar").first).to_be_visible()
    # Approve it, with a comment.
    page.fill("#review-comment", "Sudah dicek bersama ketua kelompok.")
    page.click("button.review-approve")
    expect(page.locator(".review-now")).to_contain_text("Disetujui")
    expect(page.locator(".comment-body")).to_have_text("Sudah dicek bersama ketua kelompok.")
    tab.screenshot("journey-06-submission")
    state = httpx.get(
        f"{base_url}/v1/projects/{project_id}/forms/{initiatives.FORM_ID}/submissions/{instance_id}",
        headers=admin_headers,
    ).json()["reviewState"]
    assert state == "approved"
    # On the map.
    tab.goto(f"/projects/{project_id}/forms/{initiatives.FORM_ID}/map")
    expect(page.locator(".leaflet-marker-icon").first).to_be_visible()
    tab.screenshot("journey-07-map")
    # The summary to bring to a meeting.
    tab.goto(f"/projects/{project_id}/forms/{initiatives.FORM_ID}/summary")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    tab.screenshot("journey-08-summary")
    # The analyst's download: the CSV zip, with the photo.
    tab.goto(f"/projects/{project_id}/forms/{initiatives.FORM_ID}/downloads")
    tab.screenshot("journey-09-downloads")
    with page.expect_download() as download:
        page.click("text=Unduh dengan foto")
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    names = archive.namelist()
    assert f"{initiatives.FORM_ID}.csv" in names and "media/foto-kegiatan.png" in names
    table = archive.read(f"{initiatives.FORM_ID}.csv").decode()
    assert "Kelompok Tenun Ina" in table and instance_id in table


SAMPLE = (
    ("Kelompok Tenun Ikat Ina", "tenun", "produksi pemasaran", "24", "-10.17 123.60", "53.71"),
    ("Koperasi Kopi Mollo", "kopi", "produksi simpan", "41", "-9.86 124.28", "53.71"),
    ("Dapur Bersama Oesapa", "pangan", "produksi", "15", "-9.10 124.89", "53.71"),
    ("KWT Sumber Rezeki", "pangan", "produksi pemasaran", "19", "-8.84 121.66", "53.71"),
    ("Tenun Sumba Lambanapu", "tenun", "produksi", "32", "-9.65 120.26", "53.71"),
    ("Koperasi Wanita Maros", "kopi", "simpan", "58", "-5.00 119.57", "73.09"),
    ("Olahan Rumput Laut Galesong", "pangan", "produksi pemasaran", "27", "-5.15 119.42", "73.71"),
    ("Bank Sampah Perempuan Tallo", "pangan", "simpan", "36", "-4.01 119.62", "73.71"),
)


def _sample_project(base_url: str, headers: dict[str, str]) -> int:
    """A project with the mapping form and a few initiatives in two provinces."""
    with httpx.Client(base_url=base_url) as client:
        project_id = client.post(
            "/v1/projects", json={"name": "Pemetaan ESS Perempuan"}, headers=headers
        ).json()["id"]
        initiatives.publish_form(client, headers, project_id)
        for number, (name, sector, activities, members, point, regency) in enumerate(SAMPLE):
            instance_id = initiatives.submit(
                client,
                headers,
                project_id,
                initiatives.Initiative(
                    name=name,
                    sector=sector,
                    activities=activities,
                    members=members,
                    point=f"{point} 8 5",
                    province=regency[:2],
                    regency=regency,
                    photo=number % 2 == 0,
                ),
            )
            if number % 3 != 2:
                initiatives.review(
                    client,
                    headers,
                    project_id,
                    instance_id,
                    "approved" if number % 3 == 0 else "hasIssues",
                )
    return project_id


def _main_pages(project_id: int) -> list[tuple[str, str]]:
    form = f"/projects/{project_id}/forms/{initiatives.FORM_ID}"
    return [
        ("projects", "/projects"),
        ("project", f"/projects/{project_id}"),
        ("form", form),
        ("submissions", f"{form}/submissions"),
        ("map", f"{form}/map"),
        ("summary", f"{form}/summary"),
        ("downloads", f"{form}/downloads"),
        ("phones", f"/projects/{project_id}/app-users"),
    ]


def test_the_main_pages_on_a_phone_screen(
    phone: WatchedPage, admin_headers: dict[str, str], base_url: str
) -> None:
    project_id = _sample_project(base_url, admin_headers)
    sign_in(phone)
    width = phone.page.viewport_size["width"] if phone.page.viewport_size else 390
    for name, path in _main_pages(project_id):
        phone.goto(path)
        phone.page.wait_for_load_state("networkidle")
        # Nothing wider than the screen: tables scroll inside their frames.
        scroll_width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{name} is {scroll_width}px wide"
        phone.screenshot(f"phone-{name}")


def test_the_main_pages_on_a_desktop_screen(
    desktop: WatchedPage, admin_headers: dict[str, str], base_url: str
) -> None:
    project_id = _sample_project(base_url, admin_headers)
    sign_in(desktop)
    for name, path in _main_pages(project_id):
        if name == "map":
            path += "?color=/profil/sektor"
        desktop.goto(path)
        desktop.page.wait_for_load_state("networkidle")
        if name == "map":
            expect(desktop.page.locator(".leaflet-marker-icon").first).to_be_visible()
        desktop.screenshot(f"desktop-{name}")
