"""A form's downloads page: who sees it, that every link on it downloads with the console's
cookie alone, the spreadsheet's language, and that the cookie opens no write in the API."""

from __future__ import annotations

import io
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from openpyxl import load_workbook

from server.console import i18n
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD, publish_xform
from tests.console.support import Console, page, text
from tests.exports.support import FORM, seed

PASSWORD = "kata-sandi-peran"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPECTED_TYPES = {
    "download-csv-media": "application/zip",
    "download-csv": "application/zip",
    "download-xlsx": XLSX,
    "download-geojson": "application/geo+json",
}
TRANSLATED_FORM = b"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
 xmlns:jr="http://openrosa.org/javarosa">
<h:head><h:title>Dua bahasa</h:title><model>
<itext>
<translation lang="English (en)">
<text id="/data/name:label"><value>Initiative name</value></text></translation>
<translation lang="Bahasa Indonesia (id)" default="true()">
<text id="/data/name:label"><value>Nama inisiatif</value></text></translation>
</itext>
<instance><data id="dua_bahasa" version="1"><name/><meta><instanceID/></meta></data></instance>
<bind nodeset="/data/name" type="string"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head>
<h:body><input ref="/data/name"><label ref="jr:itext('/data/name:label')"/></input></h:body>
</h:html>"""


def downloads_path(project_id: int, form: str = FORM) -> str:
    return f"/projects/{project_id}/forms/{form}/downloads"


def user_with_role(
    client: httpx.Client, headers: dict[str, str], project_id: int, role: str
) -> str:
    email = f"{role}@example.org"
    created = client.post("/v1/users", json={"email": email, "password": PASSWORD}, headers=headers)
    assert created.status_code == 200, created.text
    assigned = client.post(
        f"/v1/projects/{project_id}/assignments/{role}/{created.json()['id']}", headers=headers
    )
    assert assigned.status_code == 200, assigned.text
    return email


@pytest.fixture
def seeded(client: httpx.Client, admin_headers: dict[str, str], project_id: int) -> int:
    seed(client, admin_headers, project_id)
    return project_id


def test_every_link_downloads_with_the_cookie_alone(
    seeded: int, console_as: Callable[[str, str], Console]
) -> None:
    console = console_as(ADMIN_EMAIL, ADMIN_PASSWORD)
    response = console.get(downloads_path(seeded))
    assert response.status_code == 200
    tree = page(response)
    assert "Authorization" not in console.client.headers
    for block, content_type in EXPECTED_TYPES.items():
        links = tree.cssselect(f"#{block} a[download]")
        assert len(links) == 1, block
        href = links[0].get("href")
        assert href.startswith("/v1/projects/"), href
        download = console.get(href)
        assert download.status_code == 200, (block, download.text[:300])
        assert download.headers["content-type"].startswith(content_type), block
        # Saved as a file, by the server's word or the link's.
        disposition = download.headers.get("content-disposition", "")
        assert "attachment" in disposition or links[0].get("download"), block
    with_photos = console.get(tree.cssselect("#download-csv-media a")[0].get("href"))
    without = console.get(tree.cssselect("#download-csv a")[0].get("href"))
    assert b"media/a.jpg" in with_photos.content
    assert b"media/a.jpg" not in without.content

    odata = tree.cssselect("#odata-url")[0]
    assert odata.get("readonly") is not None
    assert odata.get("value") == f"{console.client.base_url}/v1/projects/{seeded}/forms/{FORM}.svc"
    assert tree.cssselect('button[data-copy="odata-url"]')
    assert tree.cssselect('label[for="odata-url"]')
    service = console.get(odata.get("value"))
    assert service.status_code == 200
    assert service.headers["content-type"].startswith("application/json")
    assert service.json()["value"][0]["name"] == "Submissions"


def test_the_page_tells_the_number_and_the_last_submission(
    seeded: int, console_as: Callable[[str, str], Console]
) -> None:
    console = console_as(ADMIN_EMAIL, ADMIN_PASSWORD)
    response = console.get(downloads_path(seeded))
    summary = text(response, "#downloads-count")[0]
    assert summary.startswith("3 ")
    translations = i18n.translations("id")
    assert translations.ngettext("%(n)s submission", "%(n)s submissions", 3) % {"n": "3"} in (
        summary
    )
    assert text(response, ".tabs a[aria-current=page]") == [translations.gettext("Downloads")]
    # Every download has its sentence of how-to.
    for block in (*EXPECTED_TYPES, "download-odata"):
        assert text(response, f"#{block} p")[0]


def test_an_empty_form_says_so(
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    console_as: Callable[[str, str], Console],
) -> None:
    publish_xform(client, admin_headers, project_id, TRANSLATED_FORM)
    console = console_as(ADMIN_EMAIL, ADMIN_PASSWORD)
    response = console.get(downloads_path(project_id, "dua_bahasa"))
    assert response.status_code == 200
    expected = i18n.translations("id").gettext(
        "No submission yet: the files will only have the column names."
    )
    assert text(response, "#downloads-count") == [expected]


@pytest.mark.parametrize(
    ("language", "wanted", "label"),
    [("id", "Bahasa Indonesia (id)", "Nama inisiatif"), ("en", "English (en)", "Initiative name")],
)
def test_the_workbook_speaks_the_console_language(
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    console_as: Callable[[str, str], Console],
    language: str,
    wanted: str,
    label: str,
) -> None:
    publish_xform(client, admin_headers, project_id, TRANSLATED_FORM)
    console = console_as(ADMIN_EMAIL, ADMIN_PASSWORD)
    console.post("/language", {"language": language, "next": "/projects"})
    response = console.get(downloads_path(project_id, "dua_bahasa"))
    href = page(response).cssselect("#download-xlsx a")[0].get("href")
    query = parse_qs(urlsplit(href).query)
    assert query == {"labels": ["true"], "language": [wanted]}
    workbook = load_workbook(io.BytesIO(console.get(href).content), read_only=True)
    cells = [c for row in workbook.worksheets[0].iter_rows(values_only=True) for c in row]
    assert label in cells


def test_who_may_open_the_downloads(
    client: httpx.Client,
    admin_headers: dict[str, str],
    seeded: int,
    console_as: Callable[[str, str], Console],
    base_url: str,
) -> None:
    translations = i18n.translations("id")
    refused = translations.gettext(
        "Your role does not allow this. Ask a project manager or an administrator."
    )
    for role, allowed in (("manager", True), ("viewer", True), ("formfill", False)):
        email = user_with_role(client, admin_headers, seeded, role)
        console = console_as(email, PASSWORD)
        response = console.get(downloads_path(seeded))
        if allowed:
            assert response.status_code == 200, role
            assert page(response).cssselect("#download-csv-media a[download]"), role
            # Each of them can follow the links too.
            href = page(response).cssselect("#download-csv a")[0].get("href")
            assert console.get(href).status_code == 200, role
        else:
            assert response.status_code == 403, role
            assert response.headers["content-type"].startswith("text/html")
            assert page(response).get("lang") == "id"
            assert text(response, ".error-panel .lead") == [refused]
            export = console.get(f"/v1/projects/{seeded}/forms/{FORM}/submissions.csv.zip")
            assert export.status_code == 403
    with httpx.Client(base_url=base_url) as anonymous:
        response = anonymous.get(downloads_path(seeded))
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
        assert (
            anonymous.get(f"/v1/projects/{seeded}/forms/{FORM}/submissions.csv.zip").status_code
            == 401
        )


def test_an_unknown_form_is_a_404_page(
    seeded: int, console_as: Callable[[str, str], Console]
) -> None:
    console = console_as(ADMIN_EMAIL, ADMIN_PASSWORD)
    response = console.get(downloads_path(seeded, "tidak_ada"))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_the_cookie_changes_nothing_through_the_api(
    client: httpx.Client,
    admin_headers: dict[str, str],
    seeded: int,
    console_as: Callable[[str, str], Console],
) -> None:
    """The console's cookie signs in GETs only: a page on another site cannot make the
    browser change anything through the REST API (no CSRF through the API)."""
    console = console_as(ADMIN_EMAIL, ADMIN_PASSWORD)
    form = f"/v1/projects/{seeded}/forms/{FORM}"
    attempts = [
        console.client.post("/v1/projects", json={"name": "Lewat cookie"}),
        console.client.patch(form, json={"state": "closed"}),
        console.client.delete(form),
        console.client.post("/v1/users", json={"email": "x@example.org", "password": PASSWORD}),
        console.client.patch(f"{form}/submissions/uuid:aaa-1", json={"reviewState": "rejected"}),
        console.client.delete(f"/v1/projects/{seeded}"),
    ]
    for response in attempts:
        assert response.status_code in (401, 405), (response.request.url, response.text)
        assert response.headers["content-type"].startswith("application/json")
    # Nothing changed.
    assert client.get(form, headers=admin_headers).json()["state"] == "open"
    projects = client.get("/v1/projects", headers=admin_headers).json()
    assert [p["name"] for p in projects] == ["Sulawesi Selatan"]
    assert client.get("/v1/users?q=x@example.org", headers=admin_headers).json() == []
    review = client.get(f"{form}/submissions/uuid:aaa-1", headers=admin_headers).json()
    assert review["reviewState"] is None
