"""Forms filled in Chromium with ODK Web Forms, on the real instruments: each of the three
opens; the initiative profile is filled in Indonesian through the wilayah cascade, with a
photo, typed in as a paper interview, and found with its photo through the REST API; a
preview stores nothing; a reload in the middle keeps the answers; a draft is tried
through its test page. No request leaves the server and the browser logs no error.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from server.domain import Services
from server.store.tables import Submission
from server.tasks.instruments import CompiledInstrument, compile_instrument, publishing_order
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.console.browser import SCREENSHOTS, WatchedPage, sign_in

INSTRUMENTS = Path(__file__).resolve().parents[2] / "instruments"
PROFILE = "ess_profil_inisiatif"


def _png(width: int = 64, height: int = 48) -> bytes:
    """A small PNG photo (a red picture), as from the office's scanner or camera."""
    row = b"\x00" + b"\xc0\x20\x20" * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


# The answers a paper interview gives, by the start of the question's Indonesian label;
# every other required question gets its first choice (or 1, or a short text).
PAPER_INTERVIEW = {
    "Kode pendata": "E012",
    "Kode inisiatif": "53-KWT0012",
    "Apa nama kelompok": "KWT Mawar Kupang",
    "Provinsi": "Nusa Tenggara Timur",
    "Kabupaten/Kota": "Kabupaten Kupang",
    "Kecamatan": "Kupang Timur",
    "Desa/Kelurahan": "Babau",
    "Tahun berapa kelompok mulai": "2015",
}

# What still needs an answer: every visible question without one, as the page shows it.
UNANSWERED = """
() => [...document.querySelectorAll(".odk-form .question-container")]
  .filter((box) => box.offsetParent !== null)
  .map((box) => {
    const label = box.querySelector(".control-text label")?.textContent.trim() ?? "";
    const required = !!box.querySelector(".control-text label.required");
    const radios = box.querySelectorAll("input[type=radio]");
    const checks = box.querySelectorAll("input[type=checkbox]");
    const select = box.querySelector(".p-select");
    const date = box.querySelector(".p-datepicker input");
    const number = box.querySelector(".p-inputnumber input");
    const text = box.querySelector("input[type=text], textarea");
    let kind = null, answered = true;
    if (radios.length) { kind = "radio"; answered = [...radios].some((r) => r.checked); }
    else if (checks.length) { kind = "checkbox"; answered = [...checks].some((c) => c.checked); }
    else if (date) { kind = "date"; answered = date.value !== ""; }
    else if (select) { kind = "select"; answered = !!box.querySelector(".p-inputwrapper-filled"); }
    else if (number) { kind = "number"; answered = number.value !== ""; }
    else if (text) { kind = "text"; answered = text.value !== ""; }
    return { id: box.id, label, required, kind, answered };
  })
  .filter((q) => q.kind && !q.answered)
"""


def _answer(page: Page, question: dict[str, object], given: str | None) -> None:
    box = page.locator(f"[id='{question['id']}']")
    kind = question["kind"]
    if kind in ("radio", "checkbox"):
        option = (
            box.locator("label.value-option", has_text=given).first
            if given
            else box.locator("label.value-option").first
        )
        option.click()
    elif kind == "select":
        box.locator(".p-select").click()
        node = str(question["id"]).removesuffix("_container")
        overlay = page.locator(f".p-select-overlay:has([id='{node}_list'])")
        if given:
            overlay.locator("input.p-select-filter").fill(given)
            overlay.locator(".p-select-option", has_text=given).first.click()
        else:
            overlay.locator(".p-select-option").first.click()
    elif kind == "date":
        box.locator(".p-datepicker input").click()
        page.locator(".p-datepicker-panel .p-datepicker-buttonbar button").first.click()
    elif kind == "number":
        field = box.locator(".p-inputnumber input")
        field.fill(given or "1")
        field.blur()
    else:
        field = box.locator("input[type=text], textarea").first
        field.fill(given or "Dicatat dari kertas")
        field.blur()


def fill_in(page: Page, answers: dict[str, str], *, everything: bool = True) -> None:
    """Answer the form as a person does: what ``answers`` names, then (``everything``)
    every other required question, until nothing visible is left unanswered."""
    done: set[str] = set()
    for _ in range(200):
        todo = [
            q
            for q in page.evaluate(UNANSWERED)
            if q["id"] not in done
            and (
                any(str(q["label"]).startswith(k) for k in answers)
                or (everything and q["required"])
            )
        ]
        if not todo:
            return
        question = todo[0]
        given = next((v for k, v in answers.items() if str(question["label"]).startswith(k)), None)
        _answer(page, question, given)
        done.add(str(question["id"]))
    raise AssertionError("the form kept asking")


@pytest.fixture(scope="module")
def compiled() -> dict[str, CompiledInstrument]:
    return {path.stem: compile_instrument(path) for path in sorted(INSTRUMENTS.glob("*.xlsx"))}


def _publish(
    client: httpx.Client,
    headers: dict[str, str],
    project_id: int,
    instrument: CompiledInstrument,
    *,
    publish: bool = True,
) -> str:
    response = client.post(
        f"/v1/projects/{project_id}/forms",
        content=instrument.xform,
        headers={**headers, "Content-Type": "application/xml"},
    )
    assert response.status_code == 200, response.text
    form_id = instrument.form_id
    for name, path in instrument.media.items():
        response = client.post(
            f"/v1/projects/{project_id}/forms/{form_id}/draft/attachments/{name}",
            content=path.read_bytes(),
            headers={**headers, "Content-Type": "text/csv"},
        )
        assert response.status_code == 200, response.text
    if publish:
        response = client.post(
            f"/v1/projects/{project_id}/forms/{form_id}/draft/publish", headers=headers
        )
        assert response.status_code == 200, response.text
    return form_id


@pytest.fixture
def published(
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    compiled: dict[str, CompiledInstrument],
) -> Iterator[dict[str, str]]:
    stems = {instrument.form_id: stem for stem, instrument in compiled.items()}
    ordered = publishing_order(list(compiled.values()))
    yield {
        stems[instrument.form_id]: _publish(client, admin_headers, project_id, instrument)
        for instrument in ordered
    }


def _ready(page: Page) -> None:
    expect(page.locator("#web-form[data-state=ready]")).to_be_attached(timeout=30_000)
    expect(page.locator(".odk-form")).to_be_visible(timeout=30_000)


def test_each_instrument_opens_in_indonesian(
    desktop: WatchedPage, published: dict[str, str], project_id: int
) -> None:
    sign_in(desktop, ADMIN_EMAIL, ADMIN_PASSWORD)
    for stem, form_id in published.items():
        desktop.goto(f"/projects/{project_id}/forms/{form_id}/preview")
        _ready(desktop.page)
        desktop.screenshot(f"web-form-open-{stem}")
        expect(desktop.page.locator(".odk-form button", has_text="Kirim")).to_be_visible()


def test_a_paper_interview_typed_in_the_office(
    desktop: WatchedPage,
    published: dict[str, str],
    project_id: int,
    client: httpx.Client,
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    page = desktop.page
    photo = tmp_path / "foto-produk.png"
    photo.write_bytes(_png())
    sign_in(desktop, ADMIN_EMAIL, ADMIN_PASSWORD)
    desktop.goto(f"/projects/{project_id}/forms/{PROFILE}")
    page.click("text=Masukkan wawancara kertas")
    _ready(page)
    fill_in(page, PAPER_INTERVIEW)
    photo_box = page.locator(".question-container", has_text="Foto produk/kegiatan 1")
    photo_box.locator("input[type=file]").set_input_files(str(photo))
    expect(photo_box.locator("img")).to_be_visible()
    fill_in(page, PAPER_INTERVIEW)  # the photo asks whether it shows a face
    desktop.screenshot("web-form-entry-filled")
    page.click(".odk-form button:has-text('Kirim')")
    expect(page.locator(".web-form-message.success")).to_contain_text(
        "Terkirim ke server", timeout=30_000
    )
    desktop.screenshot("web-form-entry-sent")

    base = f"/v1/projects/{project_id}/forms/{PROFILE}/submissions"
    listed = client.get(base, headers=admin_headers).json()
    assert len(listed) == 1
    submission = listed[0]
    assert submission["deviceId"].startswith("web:chrome:")
    me = client.get("/v1/users/current", headers=admin_headers).json()
    assert submission["submitterId"] == me["id"]
    instance = submission["instanceId"]
    xml = client.get(f"{base}/{instance}.xml", headers=admin_headers).text
    assert "<desa>53.01.06.1001</desa>" in xml
    assert "deprecatedID" not in xml
    attachments = client.get(f"{base}/{instance}/attachments", headers=admin_headers).json()
    assert [a["exists"] for a in attachments] == [True]
    stored = client.get(
        f"{base}/{instance}/attachments/{attachments[0]['name']}", headers=admin_headers
    )
    assert (
        stored.status_code == 200
        and stored.content[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0"[:4])
        or stored.content[:3] == b"\xff\xd8\xff"
    )


VISIT_LOG = "ess_catatan_kunjungan"
VISIT = {
    "Kode pendata": "E012",
    "Provinsi": "Nusa Tenggara Timur",
    "Kabupaten/Kota": "Kabupaten Kupang",
    "Kecamatan": "Kupang Timur",
    "Desa/Kelurahan": "Babau",
    "Apakah kelompok yang dikunjungi ada di daftar": "Tidak ada di daftar",
    "Apakah kelompok yang dikunjungi sudah punya kode": "Ya, ada kode",
    "Kode inisiatif": "53-KWT0012",
}


def _posts(tab: WatchedPage) -> list[str]:
    posts: list[str] = []
    tab.page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    return posts


def _submissions(
    client: httpx.Client, headers: dict[str, str], project_id: int, form_id: str
) -> list[dict[str, object]]:
    response = client.get(f"/v1/projects/{project_id}/forms/{form_id}/submissions", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_preview_stores_nothing(
    desktop: WatchedPage,
    published: dict[str, str],
    project_id: int,
    client: httpx.Client,
    admin_headers: dict[str, str],
) -> None:
    page = desktop.page
    sign_in(desktop, ADMIN_EMAIL, ADMIN_PASSWORD)
    desktop.goto(f"/projects/{project_id}/forms/{VISIT_LOG}")
    page.click("text=Pratinjau di peramban")
    _ready(page)
    posts = _posts(desktop)
    page.click(".odk-form button:has-text('Kirim')")
    expect(page.locator(".odk-form")).to_contain_text("Pertanyaan ini wajib dijawab")
    expect(page.locator(".odk-form")).to_contain_text("pertanyaan bermasalah")
    desktop.screenshot("web-form-preview-errors")
    fill_in(page, VISIT)
    page.click(".odk-form button:has-text('Kirim')")
    expect(page.locator(".web-form-message.success")).to_contain_text(
        "Ini pratinjau", timeout=30_000
    )
    desktop.screenshot("web-form-preview-sent")
    assert posts == []
    assert _submissions(client, admin_headers, project_id, VISIT_LOG) == []


def test_a_reload_in_the_middle_keeps_the_answers(
    desktop: WatchedPage,
    published: dict[str, str],
    project_id: int,
    client: httpx.Client,
    admin_headers: dict[str, str],
) -> None:
    page = desktop.page
    sign_in(desktop, ADMIN_EMAIL, ADMIN_PASSWORD)
    desktop.goto(f"/projects/{project_id}/forms/{VISIT_LOG}/enter")
    _ready(page)
    fill_in(page, {k: VISIT[k] for k in ("Kode pendata", "Provinsi")}, everything=False)
    page.wait_for_timeout(1500)  # the answers are kept a moment after the last change
    page.reload()
    _ready(page)
    expect(page.locator(".web-form-message")).to_contain_text("dipulihkan", timeout=30_000)
    kode = page.locator(".question-container", has_text="Kode pendata").locator("input")
    expect(kode).to_have_value("E012")
    province = page.locator(".question-container", has_text="Provinsi").locator("input:checked")
    expect(province).to_have_value("53")
    desktop.screenshot("web-form-restored")
    fill_in(page, VISIT)
    page.click(".odk-form button:has-text('Kirim')")
    expect(page.locator(".web-form-message.success")).to_contain_text(
        "Terkirim ke server", timeout=30_000
    )
    (submission,) = _submissions(client, admin_headers, project_id, VISIT_LOG)
    xml = client.get(
        f"/v1/projects/{project_id}/forms/{VISIT_LOG}/submissions/{submission['instanceId']}.xml",
        headers=admin_headers,
    ).text
    assert "<kode_pendata>E012</kode_pendata>" in xml
    assert "deprecatedID" not in xml


def test_a_submission_made_offline_is_sent_once_when_the_connection_is_back(
    desktop: WatchedPage,
    published: dict[str, str],
    project_id: int,
    client: httpx.Client,
    admin_headers: dict[str, str],
) -> None:
    page = desktop.page
    sign_in(desktop, ADMIN_EMAIL, ADMIN_PASSWORD)
    desktop.goto(f"/projects/{project_id}/forms/{VISIT_LOG}/enter")
    _ready(page)
    fill_in(page, VISIT)
    page.context.set_offline(True)
    page.click(".odk-form button:has-text('Kirim')")
    expect(page.locator(".web-form-message.warning")).to_contain_text(
        "Menunggu dikirim: 1", timeout=30_000
    )
    desktop.screenshot("web-form-offline-waiting")
    assert _submissions(client, admin_headers, project_id, VISIT_LOG) == []
    page.context.set_offline(False)
    expect(page.locator(".web-form-message.success")).to_contain_text(
        "Terkirim ke server", timeout=30_000
    )
    # Chromium logs the attempt it made while offline; that attempt is the point here.
    desktop.errors[:] = [e for e in desktop.errors if "ERR_INTERNET_DISCONNECTED" not in e]
    page.reload()  # nothing is left to send
    _ready(page)
    page.wait_for_timeout(500)
    assert len(_submissions(client, admin_headers, project_id, VISIT_LOG)) == 1
    expect(page.locator(".web-form-message")).to_have_count(0)


def test_a_draft_is_tried_in_the_browser_through_its_test_link(
    desktop: WatchedPage,
    services: Services,
    project_id: int,
    client: httpx.Client,
    admin_headers: dict[str, str],
    compiled: dict[str, CompiledInstrument],
) -> None:
    page = desktop.page
    # The profile registers the initiatives the visit log lists, so it comes first.
    _publish(client, admin_headers, project_id, compiled["initiative_profile"])
    form_id = _publish(
        client, admin_headers, project_id, compiled["field_visit_log"], publish=False
    )
    sign_in(desktop, ADMIN_EMAIL, ADMIN_PASSWORD)
    desktop.goto(f"/projects/{project_id}/forms/{form_id}")
    # The coordinator's preview of the draft.
    page.click("text=Pratinjau draf di peramban")
    _ready(page)
    desktop.screenshot("web-form-draft-preview")
    # The test link, opened where nobody is signed in (an enumerator's laptop).
    desktop.goto(f"/projects/{project_id}/forms/{form_id}")
    link = page.locator("a", has_text="halaman uji coba draf").get_attribute("href")
    assert link is not None
    page.context.clear_cookies()
    desktop.goto(link)
    _ready(page)
    fill_in(page, VISIT)
    page.click(".odk-form button:has-text('Kirim')")
    expect(page.locator(".web-form-message.success")).to_contain_text(
        "Terkirim ke server", timeout=30_000
    )
    desktop.screenshot("web-form-draft-test-sent")
    # A test submission: kept apart from the real ones, which stay empty.
    assert _submissions(client, admin_headers, project_id, form_id) == []
    with services.db.read() as session:
        stored = session.exec(select(Submission)).all()
    assert [s.device_id.split(":")[0] for s in stored if s.device_id] == ["web"]


def test_a_form_that_cannot_be_loaded_is_named(
    desktop: WatchedPage,
    project_id: int,
    client: httpx.Client,
    admin_headers: dict[str, str],
    compiled: dict[str, CompiledInstrument],
) -> None:
    visit_log = compiled["field_visit_log"]
    without_media = CompiledInstrument(**{**visit_log.__dict__, "media": {}})
    form_id = _publish(client, admin_headers, project_id, without_media)
    sign_in(desktop, ADMIN_EMAIL, ADMIN_PASSWORD)
    desktop.goto(f"/projects/{project_id}/forms/{form_id}/enter")
    message = desktop.page.locator(".web-form-message.error")
    expect(message).to_contain_text(f"Formulir {form_id} tidak dapat dibuka", timeout=30_000)
    desktop.screenshot("web-form-load-failed")
    # The media files the form names are missing: that is the point of this page.
    desktop.errors[:] = [e for e in desktop.errors if "status of 404" not in e]


def test_a_public_link_opens_the_form_to_someone_without_an_account(
    desktop: WatchedPage,
    services: Services,
    published: dict[str, str],
    project_id: int,
    client: httpx.Client,
    admin_headers: dict[str, str],
) -> None:
    services.settings.public_links = True
    page = desktop.page
    sign_in(desktop, ADMIN_EMAIL, ADMIN_PASSWORD)
    desktop.goto(f"/projects/{project_id}/forms/{VISIT_LOG}")
    page.fill("#public-link-name", "Kader Desa Babau")
    page.click("text=Buat tautan publik")
    expect(page.locator(".notice")).to_contain_text("Tautan publik sudah siap")
    desktop.screenshot("web-form-public-link-made")
    link = page.locator("#public-links a").first.get_attribute("href")
    assert link is not None and link.startswith("/f/")
    page.context.clear_cookies()
    desktop.goto(link)
    _ready(page)
    fill_in(page, VISIT)
    page.click(".odk-form button:has-text('Kirim')")
    expect(page.locator(".web-form-message.success")).to_contain_text(
        "Terkirim ke server", timeout=30_000
    )
    desktop.screenshot("web-form-public-link-sent")
    (submission,) = _submissions(client, admin_headers, project_id, VISIT_LOG)
    assert str(submission["deviceId"]).startswith("web:chrome:")


def test_a_submission_is_corrected_in_the_browser_as_an_edit(
    desktop: WatchedPage,
    published: dict[str, str],
    project_id: int,
    client: httpx.Client,
    admin_headers: dict[str, str],
) -> None:
    page = desktop.page
    sign_in(desktop, ADMIN_EMAIL, ADMIN_PASSWORD)
    desktop.goto(f"/projects/{project_id}/forms/{VISIT_LOG}/enter")
    _ready(page)
    fill_in(page, VISIT)
    page.click(".odk-form button:has-text('Kirim')")
    expect(page.locator(".web-form-message.success")).to_contain_text(
        "Terkirim ke server", timeout=30_000
    )
    (first,) = _submissions(client, admin_headers, project_id, VISIT_LOG)
    instance = str(first["instanceId"])
    desktop.goto(f"/projects/{project_id}/forms/{VISIT_LOG}/submissions/{instance}")
    page.click("text=Sunting di peramban")
    _ready(page)
    kode = page.locator(".question-container", has_text="Kode pendata").locator("input")
    expect(kode).to_have_value("E012")
    note = page.locator(".question-container", has_text="Catatan").last.locator("textarea, input")
    note.fill("Dikoreksi dari lembar kertas")
    note.blur()
    page.click(".odk-form button:has-text('Kirim')")
    page.wait_for_url(re.compile(r"/submissions/[^/]+$"))  # back on the submission's page
    desktop.screenshot("web-form-edited")
    base = f"/v1/projects/{project_id}/forms/{VISIT_LOG}/submissions/{instance}"
    versions = client.get(f"{base}/versions", headers=admin_headers).json()
    assert len(versions) == 2
    xml = client.get(f"{base}.xml", headers=admin_headers).text
    assert "Dikoreksi dari lembar kertas" in xml
    assert f"<deprecatedID>{instance}</deprecatedID>" in xml


def test_the_map_question_asks_no_other_host_for_tiles(
    desktop: WatchedPage, published: dict[str, str], project_id: int
) -> None:
    page = desktop.page
    sign_in(desktop, ADMIN_EMAIL, ADMIN_PASSWORD)
    desktop.goto(f"/projects/{project_id}/forms/{PROFILE}/preview")
    _ready(page)
    answers = {**PAPER_INTERVIEW, "Apakah kegiatan kelompok dijalankan di rumah": "Tidak"}
    fill_in(page, answers)
    point = page.locator(".question-container:has(label:text-matches('^Titik lokasi'))")
    expect(point).to_be_visible()
    point.scroll_into_view_if_needed()
    expect(point.locator("canvas, .map-container").first).to_be_visible(timeout=30_000)
    expect(point).to_contain_text("Belum ada titik tersimpan")
    page.wait_for_timeout(1000)  # time for any tile the map would fetch
    desktop.screenshot("web-form-map-question")
    point.screenshot(path=str(SCREENSHOTS / "web-form-map-question-only.png"))
    assert desktop.foreign == []
