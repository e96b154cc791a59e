"""Forms in the console: uploading spreadsheets (errors named by sheet, row and column),
drafts, media, the draft's test QR code, publishing, states, versions and downloads."""

from __future__ import annotations

import json
from collections.abc import Callable

from server.domain import Services
from server.domain.accounts import create_user
from server.formats.qr import collect_qr, png
from tests.builders import XLSX, xlsform
from tests.console.support import Console, page, text

PASSWORD = "sandi-yang-panjang"
SURVEY = [
    ["type", "name", "label::Bahasa Indonesia (id)", "label::English (en)"],
    ["text", "nama", "Nama kelompok", "Group name"],
    ["select_one sektor", "sektor", "Bidang", "Sector"],
    ["geopoint", "lokasi", "Lokasi", "Location"],
]
CHOICES = [
    ["list_name", "name", "label::Bahasa Indonesia (id)", "label::English (en)"],
    ["sektor", "tenun", "Tenun", "Weaving"],
    ["sektor", "kopi", "Kopi", "Coffee"],
]


def _settings(version: str = "2026120401", form_id: str = "profil_uji") -> list[list[str]]:
    return [["form_id", "version", "form_title"], [form_id, version, "Profil uji"]]


def _project(console: Console) -> int:
    response = console.post("/projects", {"name": "Sulawesi Selatan"})
    return int(response.headers["location"].rsplit("/", 1)[1])


def _upload(console: Console, path: str, body: bytes, name: str = "profil.xlsx", **fields: str):  # type: ignore[no-untyped-def]
    return console.post(path, fields, files={"file": (name, body, XLSX)})


def test_an_error_names_its_sheet_row_and_column(admin_console: Console) -> None:
    project_id = _project(admin_console)
    broken = xlsform(
        [*SURVEY, ["txet", "catatan", "Catatan", "Notes"]], choices=CHOICES, settings=_settings()
    )
    response = _upload(admin_console, f"/projects/{project_id}/forms/new", broken)
    assert response.status_code == 400
    assert "Lembar kerja ini tidak bisa dijadikan formulir" in response.text
    [finding] = text(response, ".findings li")
    assert finding.startswith("Lembar “survey”, baris 5, kolom “type”:")
    assert "txet" in finding
    duplicate = xlsform([*SURVEY, ["text", "nama", "Lagi", "Again"]], choices=CHOICES)
    response = _upload(admin_console, f"/projects/{project_id}/forms/new", duplicate)
    [finding] = text(response, ".findings li")
    assert finding.startswith("Lembar “survey”, baris 5, kolom “name”:")
    # Nothing was made.
    assert admin_console.get(f"/v1/projects/{project_id}/forms").json() == []


def test_odk_validate_errors_are_shown_too(admin_console: Console) -> None:
    project_id = _project(admin_console)
    survey = [[*row, ""] for row in SURVEY] + [["integer", "umur", "Umur", "Age", "bogus(${nama})"]]
    survey[0][-1] = "relevant"
    response = _upload(
        admin_console, f"/projects/{project_id}/forms/new", xlsform(survey, choices=CHOICES)
    )
    assert response.status_code == 400
    assert "bogus" in " ".join(text(response, ".findings li"))


def test_warnings_can_be_accepted_without_choosing_the_file_again(admin_console: Console) -> None:
    project_id = _project(admin_console)
    warned = xlsform(
        [*SURVEY, ["begin_repeat", "kegiatan", "", ""], ["text", "jenis", "Jenis", "Kind"]]
        + [["end_repeat", "", "", ""]],
        choices=CHOICES,
    )
    response = _upload(admin_console, f"/projects/{project_id}/forms/new", warned)
    assert response.status_code == 400
    assert "punya peringatan" in response.text
    assert text(response, ".findings li")[0].startswith("Lembar “survey”, baris 5:")
    accept = page(response).cssselect("#upload-problem form")[0]
    fields = {i.get("name"): i.get("value") for i in accept.cssselect("input")}
    assert fields["accept_warnings"] == "yes" and len(fields["staged"]) == 64
    # A token made for another session (or forged) does not bring the file back.
    forged = admin_console.post(
        f"/projects/{project_id}/forms/new", {**fields, "staged_token": "0" * 64}
    )
    assert (
        forged.status_code == 400
        and admin_console.get(f"/v1/projects/{project_id}/forms").json() == []
    )
    accepted = admin_console.post(f"/projects/{project_id}/forms/new", fields)
    assert accepted.status_code == 303, accepted.text
    [form] = admin_console.get(f"/v1/projects/{project_id}/forms").json()
    assert form["publishedAt"] is None  # a new form starts as a draft


def test_a_file_that_is_not_a_form_is_refused_plainly(admin_console: Console) -> None:
    project_id = _project(admin_console)
    path = f"/projects/{project_id}/forms/new"
    not_xlsx = _upload(admin_console, path, b"GIF89a not a spreadsheet")
    assert not_xlsx.status_code == 400 and "bukan" not in not_xlsx.text.lower()[:0]
    assert "not an .xlsx file" in " ".join(text(not_xlsx, ".findings li"))
    wrong_type = _upload(admin_console, path, b"hello", name="foto.jpg")
    assert wrong_type.status_code == 400 and "pilih lembar kerja XLSForm" in wrong_type.text
    nothing = admin_console.post(path, {})
    assert nothing.status_code == 400


def test_an_upload_over_the_limit_is_a_sentence(services: Services, admin_console: Console) -> None:
    project_id = _project(admin_console)
    limit = services.settings.max_form_bytes
    huge = _upload(admin_console, f"/projects/{project_id}/forms/new", b"0" * (limit + 1))
    assert huge.status_code == 413
    assert "text/html" in huge.headers["content-type"]
    assert "Berkas terlalu besar: batasnya 20 MB." in huge.text


def test_a_100_mb_upload_is_refused_at_once_with_a_page(admin_console: Console) -> None:
    import http.client
    from urllib.parse import urlsplit

    project_id = _project(admin_console)
    where = urlsplit(str(admin_console.client.base_url))
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=30)
    connection.putrequest("POST", f"/projects/{project_id}/forms/new")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", "100000000")
    connection.putheader(
        "Cookie", f"jaring_session={admin_console.client.cookies['jaring_session']}"
    )
    connection.endheaders()
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    assert response.status == 413
    assert response.getheader("content-type") == "text/html; charset=utf-8"
    assert "Berkas terlalu besar" in body
    # The API answers the same refusal as a Problem.
    api = http.client.HTTPConnection(where.hostname or "", where.port, timeout=30)
    api.putrequest("POST", f"/v1/projects/{project_id}/forms")
    api.putheader("Content-Length", "100000000")
    api.endheaders()
    refused = api.getresponse()
    assert refused.status == 413 and json.loads(refused.read())["code"] == 413.1
    api.close()


def test_draft_media_test_code_and_publishing(admin_console: Console, services: Services) -> None:
    project_id = _project(admin_console)
    survey = [*SURVEY, ["select_one_from_file desa.csv", "desa", "Desa", "Village"]]
    body = xlsform(survey, choices=CHOICES, settings=_settings())
    created = _upload(admin_console, f"/projects/{project_id}/forms/new", body)
    assert created.status_code == 303
    form_page = created.headers["location"]
    assert form_page == f"/projects/{project_id}/forms/profil_uji"
    shown = admin_console.get(form_page)
    assert text(shown, ".checklist li") == ["✗ desa.csv belum diunggah"]
    # The draft's QR code: Collect's settings for the draft's test URL.
    draft = admin_console.get(f"/v1/projects/{project_id}/forms/profil_uji/draft").json()
    qr = admin_console.get(f"{form_page}/draft/qr.png")
    assert qr.headers["content-type"] == "image/png"
    token = draft["draftToken"]
    origin = str(admin_console.client.base_url).replace("127.0.0.1", "{lan}")
    assert token
    expected_urls = [
        f"{origin}/v1/test/{token}/projects/{project_id}/forms/profil_uji/draft",
    ]
    drawn = [
        png(collect_qr(url.format(lan=lan), "[Draf] Profil uji", icon="📝"), scale=5)
        for url in expected_urls
        for lan in _lan_addresses()
    ]
    assert qr.content in drawn
    # Media: a file the form does not name is refused; the right one is taken.
    stray = admin_console.post(
        f"{form_page}/draft/media", {}, files={"files": ("lain.csv", b"name,label\n", "text/csv")}
    )
    assert stray.status_code == 400 and "desa.csv" in stray.text
    media = admin_console.post(
        f"{form_page}/draft/media",
        {},
        files={"files": ("desa.csv", b"name,label\n01,Desa Satu\n", "text/csv")},
    )
    assert media.status_code == 303
    assert text(admin_console.get(form_page), ".checklist li")[0].startswith("✓ desa.csv")
    # Publish; the spreadsheet comes back byte for byte.
    published = admin_console.post(f"{form_page}/draft/publish", {"version": "2026120401"})
    assert published.status_code == 303
    form = admin_console.get(f"/v1/projects/{project_id}/forms/profil_uji").json()
    assert form["version"] == "2026120401" and form["publishedAt"]
    assert admin_console.get(f"/v1/projects/{project_id}/forms/profil_uji.xlsx").content == body
    # A new draft with the same version is offered a new one; publishing it as it is fails.
    again = _upload(admin_console, f"{form_page}/draft", body)
    assert again.status_code == 303
    shown = admin_console.get(form_page)
    assert page(shown).cssselect("#version")[0].get("value") == "2026120401-2"
    clash = admin_console.post(f"{form_page}/draft/publish", {"version": "2026120401"})
    assert clash.status_code == 409 and "sudah pernah diterbitkan" in clash.text
    assert (
        admin_console.post(f"{form_page}/draft/publish", {"version": "2026120402"}).status_code
        == 303
    )
    versions = text(admin_console.get(form_page), "#versions-h ~ .table-wrap tbody td:first-child")
    assert versions == ["2026120402 terkini", "2026120401"]
    assert (
        admin_console.get(
            f"/v1/projects/{project_id}/forms/profil_uji/versions/2026120401.xlsx"
        ).content
        == body
    )


def test_form_states(admin_console: Console) -> None:
    project_id = _project(admin_console)
    _upload(admin_console, f"/projects/{project_id}/forms/new", xlsform(SURVEY, choices=CHOICES))
    form_page = f"/projects/{project_id}/forms/profil"
    admin_console.post(f"{form_page}/draft/publish", {})
    for state in ("closing", "closed", "open"):
        assert admin_console.post(f"{form_page}/state", {"state": state}).status_code == 303
        assert admin_console.get(f"/v1/projects/{project_id}/forms/profil").json()["state"] == state
    bad = admin_console.post(f"{form_page}/state", {"state": "dibuka"})
    assert bad.status_code == 400


def test_roles_on_form_pages(
    services: Services, admin_console: Console, console_as: Callable[[str, str], Console]
) -> None:
    project_id = _project(admin_console)
    _upload(admin_console, f"/projects/{project_id}/forms/new", xlsform(SURVEY, choices=CHOICES))
    form_page = f"/projects/{project_id}/forms/profil"
    admin_console.post(f"{form_page}/draft/publish", {})
    _upload(
        admin_console,
        f"/projects/{project_id}/forms/new",
        xlsform(SURVEY, choices=CHOICES, settings=_settings(form_id="rahasia")),
    )
    for role in ("viewer", "formfill"):
        create_user(services, email=f"{role}@example.org", password=PASSWORD)
        admin_console.post(
            f"/projects/{project_id}/members", {"email": f"{role}@example.org", "role": role}
        )
    viewer = console_as("viewer@example.org", PASSWORD)
    seen = viewer.get(form_page)
    assert seen.status_code == 200
    assert page(seen).cssselect("#draft") == []  # no draft, no upload
    assert "Unggah formulir baru" not in viewer.get(f"/projects/{project_id}").text
    assert viewer.get(f"/projects/{project_id}/forms/new").status_code == 403
    refused = _upload(
        viewer,
        f"/projects/{project_id}/forms/new",
        xlsform(SURVEY, choices=CHOICES, settings=_settings(form_id="baru")),
    )
    assert refused.status_code == 403
    assert viewer.post(f"{form_page}/state", {"state": "closed"}).status_code == 403
    # The never-published form is not shown to those who may not change it.
    assert "rahasia" not in viewer.get(f"/projects/{project_id}").text
    assert viewer.get(f"/projects/{project_id}/forms/rahasia").status_code == 403
    collector = console_as("formfill@example.org", PASSWORD)
    listed = collector.get(f"/projects/{project_id}")
    assert text(listed, "tbody td:first-child a") == ["profil"]
    assert page(listed).cssselect("th.num") == []  # no submission counts
    assert text(listed, ".tabs a") == ["Formulir"]
    assert collector.get(f"/projects/{project_id}/forms/profil/submissions").status_code in (
        403,
        404,
    )


def _lan_addresses() -> list[str]:
    from server.external.network import lan_address

    return [lan_address() or "127.0.0.1"]
