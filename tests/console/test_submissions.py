"""A form's submissions in the console: the table (keyset pages, filters, columns, answers
worded in the reader's language, thumbnails of photos), one submission's page (labels,
groups, repeats, files, point, edits and what they changed, comments, audit), the
review, who may do what, and text from phones shown as text."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image

from server.data import images
from server.data.changes import Change, changes
from server.domain import Services, browse
from server.domain.accounts import create_user
from tests.builders import create_app_user
from tests.console.reviewed import FORM_ID, Profile, publish_form, submit
from tests.console.support import Console, page, text

PASSWORD = "sandi-yang-panjang"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HTMX = {"HX-Request": "true"}


@dataclass
class Profiled:
    project_id: int
    tokens: dict[str, str]  # phone name -> app user token
    phones: dict[str, int]  # phone name -> actor id
    ids: dict[str, str]  # short name -> instanceID

    @property
    def table(self) -> str:
        return f"/projects/{self.project_id}/forms/{FORM_ID}/submissions"

    def page(self, key: str) -> str:
        return f"{self.table}/{quote(self.ids[key], safe='')}"

    def api(self, key: str) -> str:
        submission = quote(self.ids[key], safe="")
        return f"/v1/projects/{self.project_id}/forms/{FORM_ID}/submissions/{submission}"


@pytest.fixture
def profiled(admin_console: Console, admin_headers: dict[str, str], project_id: int) -> Profiled:
    client = admin_console.client
    publish_form(client, admin_headers, project_id)
    phones = {
        name: create_app_user(client, admin_headers, project_id, forms=(FORM_ID,), name=name)
        for name in ("HP Ina", "HP Kupang")
    }
    tokens = {name: phone["token"] for name, phone in phones.items()}
    sent = {
        "ina": ("HP Ina", Profile(photo=True, document=True, products=[("Sarung", "350000")])),
        "maros": (
            "HP Ina",
            Profile(name="Kopi Maros", sector="kopi", activities="produksi", regency="73.09"),
        ),
        "kupang": (
            "HP Kupang",
            Profile(name="Kopi Kupang", sector="kopi", province="53", regency="53.71"),
        ),
        "script": (
            "HP Kupang",
            Profile(name=SCRIPT, members=IMG, products=[(IMG, "1"), (SCRIPT, "2")]),
        ),
    }
    ids = {key: submit(client, tokens[phone], project_id, it) for key, (phone, it) in sent.items()}
    return Profiled(project_id, tokens, {n: p["id"] for n, p in phones.items()}, ids)


def _review(client: httpx.Client, headers: dict[str, str], url: str, state: str) -> None:
    response = client.patch(url, json={"reviewState": state}, headers=headers)
    assert response.status_code == 200, response.text


def _names(response: httpx.Response) -> list[str]:
    return text(response, "#submissions-results tbody th[scope=row] a")


def _headings(response: httpx.Response) -> list[str]:
    return text(response, "#submissions-results thead th")


def _english(console: Console) -> None:
    assert console.post("/language", {"language": "en", "next": "/projects"}).status_code == 303


# The table ------------------------------------------------------------------------------


def test_the_table_shows_answers_by_their_labels_in_the_readers_language(
    admin_console: Console, profiled: Profiled
) -> None:
    shown = admin_console.get(profiled.table)
    assert shown.status_code == 200
    assert text(shown, ".tabs a[aria-current=page]") == ["Kiriman"]
    assert text(shown, "#submissions-count") == ["4 kiriman"]
    # Newest first; the first few questions and the photo by default.
    assert _names(shown) == [SCRIPT, "Kopi Kupang", "Kopi Maros", "Kelompok Tenun Ina"]
    assert _headings(shown) == [
        "Kiriman",
        "Status pemeriksaan",
        "Dikirim",
        "Dikirim oleh",
        "Nama inisiatif",
        "Bidang utama",
        "Kegiatan bersama",
        "Jumlah anggota",
        "Foto kegiatan",
    ]
    rows = page(shown).cssselect("#submissions-results tbody tr")
    ina = [" ".join(td.text_content().split()) for td in rows[3].cssselect("td")]
    assert ina[2:] == [
        "HP Ina",
        "Kelompok Tenun Ina",
        "Tenun",
        "Produksi, Pemasaran bersama",
        "12",
        "",
    ]
    assert ina[0] == "Diterima"
    maros = [" ".join(td.text_content().split()) for td in rows[2].cssselect("td")]
    assert maros[4:6] == ["Kopi", "Produksi"]
    # Each row leads to its submission; the page to the CSV download.
    link = rows[3].cssselect("th a")[0].get("href")
    assert link == profiled.page("ina")
    downloads = [a.get("href") for a in page(shown).cssselect(".actions a")]
    assert (
        f"/v1/projects/{profiled.project_id}/forms/{FORM_ID}/submissions.csv.zip?attachments=false"
        in downloads
    )

    _english(admin_console)
    english = admin_console.get(profiled.table)
    assert _headings(english)[4:] == [
        "Initiative name",
        "Main sector",
        "Joint activities",
        "Number of members",
        "Photo",
    ]
    rows = page(english).cssselect("#submissions-results tbody tr")
    ina = [" ".join(td.text_content().split()) for td in rows[3].cssselect("td")]
    assert ina[0] == "Received" and ina[4:6] == ["Weaving", "Production, Joint marketing"]
    assert text(english, "#submissions-count") == ["4 submissions"]


def test_keyset_pages_newer_and_older(
    admin_console: Console, profiled: Profiled, client: httpx.Client
) -> None:
    for n in range(5):
        submit(client, profiled.tokens["HP Ina"], profiled.project_id, Profile(name=f"Ke-{n}"))
    everything = _names(admin_console.get(profiled.table))
    assert len(everything) == 9
    seen: list[str] = []
    response = admin_console.get(profiled.table, params={"limit": "4"})
    pages = 0
    while True:
        pages += 1
        assert text(response, "#submissions-count")[0].startswith("9 kiriman")
        seen += _names(response)
        older = page(response).cssselect(".pager a[rel=next]")
        if not older:
            break
        href = older[0].get("href")
        assert "after=" in href and "offset" not in href and "limit=4" in href
        response = admin_console.get(href)
    assert pages == 3 and seen == everything
    # Back again through the newer pages, to the newest.
    back: list[str] = _names(response)
    while newer := page(response).cssselect(".pager a[rel=prev]"):
        assert "before=" in newer[0].get("href")
        response = admin_console.get(newer[0].get("href"))
        back = _names(response) + back
    assert back == everything
    assert page(response).cssselect(".pager a[rel=prev]") == []
    assert len(_names(response)) == 4
    # A cursor that is not one is refused with a page, not a crash.
    bad = admin_console.get(profiled.table, params={"after": "kemarin"})
    assert bad.status_code == 400 and "text/html" in bad.headers["content-type"]


def test_filters(
    admin_console: Console,
    admin_headers: dict[str, str],
    profiled: Profiled,
    services: Services,
) -> None:
    client = admin_console.client
    _review(client, admin_headers, profiled.api("kupang"), "approved")
    _review(client, admin_headers, profiled.api("maros"), "hasIssues")

    def names(**params: str | list[str]) -> list[str]:
        response = admin_console.get(profiled.table, params=params)
        assert response.status_code == 200, response.text
        return _names(response)

    assert names(state="approved") == ["Kopi Kupang"]
    assert names(state=["approved", "hasIssues"]) == ["Kopi Kupang", "Kopi Maros"]
    assert names(state="received") == [SCRIPT, "Kelompok Tenun Ina"]
    # Days are the server's, both ends included.
    today = datetime.now(ZoneInfo(services.settings.timezone)).date()
    day = timedelta(days=1)
    assert len(names(**{"from": str(today), "to": str(today)})) == 4
    assert names(to=str(today - day)) == []
    assert names(**{"from": str(today + day)}) == []
    # Who sent them.
    shown = admin_console.get(profiled.table)
    options = page(shown).cssselect("select[name=submitter] option")
    assert [o.text for o in options] == ["Siapa saja", "HP Ina", "HP Kupang"]
    assert names(submitter=str(profiled.phones["HP Kupang"])) == [SCRIPT, "Kopi Kupang"]
    # The start of an instanceID.
    assert names(instance=profiled.ids["maros"][:14]) == ["Kopi Maros"]
    assert len(names(instance="uuid:")) == 4
    # Province and regency, chosen by their names.
    provinces = page(shown).cssselect("select[name=province] option")
    assert [o.text for o in provinces] == [
        "Semua provinsi",
        "Sulawesi Selatan",
        "Nusa Tenggara Timur",
    ]
    assert names(province="53") == ["Kopi Kupang"]
    assert names(province="73", regency="73.09") == ["Kopi Maros"]
    assert names(province="73", state="received") == [SCRIPT, "Kelompok Tenun Ina"]
    filtered = admin_console.get(profiled.table, params={"province": "73", "state": "received"})
    assert text(filtered, "#submissions-count")[0].startswith("2 kiriman cocok dengan filter ini")
    form = page(filtered).cssselect("form#submission-filters")[0]
    assert [i.get("value") for i in form.cssselect("input[name=state][checked]")] == ["received"]
    assert [o.get("value") for o in form.cssselect("select[name=province] option[selected]")] == [
        "73"
    ]
    regencies = [o.text for o in form.cssselect("select[name=regency] option")]
    assert regencies == ["Semua kabupaten/kota", "Kota Makassar", "Kabupaten Maros"]
    # Every control has its label.
    tree = page(filtered)
    for control in form.cssselect("input:not([type=hidden]):not([type=checkbox]), select"):
        assert tree.cssselect(f"label[for={control.get('id')}]"), control.get("name")
    for bad in ({"from": "kemarin"}, {"state": "diperiksa"}):
        refused = admin_console.get(profiled.table, params=bad)
        assert refused.status_code == 400 and "text/html" in refused.headers["content-type"]


def test_a_filter_on_answers_is_counted_up_to_a_bound(
    admin_console: Console, profiled: Profiled, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counting a filter on answers reads every submission's values; it stops at a bound.
    monkeypatch.setattr(browse, "ANSWER_FILTER_COUNT", 2)
    many = admin_console.get(profiled.table, params={"province": "73"})
    assert text(many, "#submissions-count")[0].startswith(
        "Lebih dari 2 kiriman cocok dengan filter ini"
    )
    assert len(_names(many)) == 3  # the page itself shows every match
    few = admin_console.get(profiled.table, params={"province": "53"})
    assert text(few, "#submissions-count")[0].startswith("1 kiriman cocok dengan filter ini")
    # Other filters are counted exactly.
    exact = admin_console.get(profiled.table, params={"instance": "uuid:"})
    assert text(exact, "#submissions-count")[0].startswith("4 kiriman cocok")


def test_columns_are_chosen_and_kept_in_the_address(
    admin_console: Console, profiled: Profiled, client: httpx.Client
) -> None:
    for n in range(3):
        submit(client, profiled.tokens["HP Ina"], profiled.project_id, Profile(name=f"Ke-{n}"))
    chosen = {"cols": ["/provinsi", "/profil/anggota", "/tidak/ada"], "limit": "3"}
    shown = admin_console.get(profiled.table, params=chosen)
    # In the form's order, whatever the order asked; a field the form has not is ignored.
    assert _headings(shown)[4:] == ["Jumlah anggota", "Provinsi"]
    rows = page(shown).cssselect("#submissions-results tbody tr")
    cells = [td.text_content().strip() for td in rows[0].cssselect("td")]
    assert cells[3:] == ["12", "Sulawesi Selatan"]
    boxes = page(shown).cssselect("input[name=cols]")
    assert [b.get("value") for b in boxes if b.get("checked") is not None] == [
        "/profil/anggota",
        "/provinsi",
    ]
    # Every question outside the repeat can be a column; the meta block cannot.
    assert [b.get("value") for b in boxes] == [
        "/nama",
        "/profil/sektor",
        "/profil/kegiatan",
        "/profil/anggota",
        "/provinsi",
        "/kab_kota",
        "/lokasi",
        "/foto",
        "/dokumen",
    ]
    older = page(shown).cssselect(".pager a[rel=next]")[0].get("href")
    assert "cols=%2Fprovinsi" in older and "cols=%2Fprofil%2Fanggota" in older
    assert _headings(admin_console.get(older))[4:] == ["Jumlah anggota", "Provinsi"]


def test_htmx_gets_only_the_table(admin_console: Console, profiled: Profiled) -> None:
    swapped = admin_console.get(
        profiled.table,
        params={"province": "73"},
        headers={**HTMX, "HX-Target": "submissions-results"},
    )
    assert swapped.status_code == 200
    assert "<html" not in swapped.text and "<form" not in swapped.text
    tree = page(swapped)
    assert tree.get("id") == "submissions-results" or tree.cssselect("#submissions-results")
    assert len(_names(swapped)) == 3
    # The regency list follows the province chosen (swapped beside the table).
    [box] = tree.cssselect("[hx-swap-oob]") if tree.get("hx-swap-oob") is None else [tree]
    assert box.get("id") == "sub-regency-field"
    assert "Kota Kupang" not in box.text_content()
    assert "HX-Request" in swapped.headers["vary"]
    # A whole page when htmx restores history, and without htmx.
    restored = admin_console.get(
        profiled.table,
        headers={**HTMX, "HX-Target": "submissions-results", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restored.text
    form = page(admin_console.get(profiled.table)).cssselect("form#submission-filters")[0]
    assert form.get("method") == "get" and form.get("action") == profiled.table
    assert form.get("hx-get") == profiled.table and form.get("hx-push-url") == "true"
    assert form.get("hx-target") == "#submissions-results"


def test_thumbnails_of_photos(
    admin_console: Console, profiled: Profiled, services: Services
) -> None:
    shown = admin_console.get(profiled.table)
    [img] = page(shown).cssselect("img.thumb")
    assert img.get("loading") == "lazy" and img.get("alt") == "Foto kegiatan: foto-kegiatan.jpg"
    assert img.get("src") == profiled.page("ina") + "/thumbnails/foto-kegiatan.jpg"
    assert img.getparent().get("href") == profiled.api("ina") + "/attachments/foto-kegiatan.jpg"
    for _ in range(2):  # made, then read from the cache
        thumb = admin_console.get(img.get("src"))
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        picture = Image.open(io.BytesIO(thumb.content))
        assert picture.format == "JPEG" and picture.size == (160, 120)
    cached = list((services.settings.data_dir / "cache" / "thumbnails").iterdir())
    assert [p.name.endswith("-160.jpg") for p in cached] == [True]
    # A file that is not a photo has no thumbnail; nor has a file the submission has not.
    for name in ("laporan.pdf", "tidak-ada.jpg"):
        missing = admin_console.get(profiled.page("ina") + f"/thumbnails/{name}")
        assert missing.status_code == 404


def test_a_thumbnail_is_small_whatever_the_photo() -> None:
    def encoded(image: Image.Image, fmt: str) -> bytes:
        out = io.BytesIO()
        image.save(out, fmt)
        return out.getvalue()

    tall = images.thumbnail(encoded(Image.new("RGB", (300, 1200), "red"), "PNG"), 160)
    assert Image.open(io.BytesIO(tall)).size == (40, 160)
    clear = images.thumbnail(encoded(Image.new("RGBA", (20, 10), (0, 0, 0, 0)), "PNG"), 160)
    small = Image.open(io.BytesIO(clear))
    assert small.size == (20, 10) and small.getpixel((5, 5)) == (255, 255, 255)
    # A photo turned by its EXIF orientation comes out the way it was taken.
    turned = Image.new("RGB", (400, 200), "blue")
    exif = turned.getexif()
    exif[0x0112] = 6  # rotated 90°
    out = io.BytesIO()
    turned.save(out, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(images.thumbnail(out.getvalue(), 160))).size == (80, 160)
    # A small file that claims a huge picture is refused before it is decoded: above the
    # limit by our own check (Pillow only warns there), far above it by Pillow.
    for side in (12_000, 16_000):
        bomb = encoded(Image.new("1", (side, side)), "PNG")
        assert len(bomb) < 100_000 and side * side > images.MAX_PIXELS
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with pytest.raises(images.NotAnImage):
                images.thumbnail(bomb, 160)
    with pytest.raises(images.NotAnImage):
        images.thumbnail(b"%PDF-1.4 not a photo", 160)


# One submission --------------------------------------------------------------------------


def _answers(response: httpx.Response) -> dict[str, str]:
    tree = page(response)
    return {
        " ".join(div.cssselect("dt")[0].text_content().split()): " ".join(
            div.cssselect("dd")[0].text_content().split()
        )
        for div in tree.cssselect(".submission-answers > dl > .answer")
    }


def test_the_submission_page(admin_console: Console, profiled: Profiled) -> None:
    shown = admin_console.get(profiled.page("ina"))
    assert shown.status_code == 200
    tree = page(shown)
    assert text(shown, "h1") == ["Kelompok Tenun Ina"]
    assert _answers(shown) == {
        "Nama inisiatif": "Kelompok Tenun Ina",
        "Provinsi": "Sulawesi Selatan",
        "Kabupaten/Kota": "Kota Makassar",
        "Titik lokasi": "-5.147665, 119.432732",
        "Foto kegiatan": "",
        "Dokumen": "laporan.pdf",
    }
    # A group is a section under its label; a repeat, numbered blocks.
    [group] = tree.cssselect(".answer-group")
    assert text(shown, ".answer-group > h3") == ["Profil kelompok"]
    assert [" ".join(dt.text_content().split()) for dt in group.cssselect("dt")] == [
        "Bidang utama",
        "Kegiatan bersama",
        "Jumlah anggota",
    ]
    assert [" ".join(dd.text_content().split()) for dd in group.cssselect("dd")] == [
        "Tenun",
        "Produksi, Pemasaran bersama",
        "12",
    ]
    assert text(shown, ".answer-repeat > h3") == ["Produk (1)"]
    assert text(shown, ".answer-block h4") == ["Produk 1"]
    assert text(shown, ".answer-block dd") == ["Sarung", "350000"]
    # The photo full size, the document as a download, the XML, the point on a map.
    api = profiled.api("ina")
    [photo] = tree.cssselect(".submission-answers img.photo")
    assert photo.get("src") == api + "/attachments/foto-kegiatan.jpg"
    assert photo.get("alt") == "Foto kegiatan: foto-kegiatan.jpg"
    [document] = tree.cssselect(".submission-answers a[download]")
    assert document.get("href") == api + "/attachments/laporan.pdf"
    assert api + ".xml" in [a.get("href") for a in tree.cssselect("a[download]")]
    [spot] = tree.cssselect("#submission-map")
    assert (spot.get("data-lat"), spot.get("data-lon")) == ("-5.147665", "119.432732")
    assert spot.get("data-basemap").startswith("/static/basemap/indonesia-provinces.geojson")
    assert "<script>" not in shown.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert text(shown, ".review-now .state") == ["Diterima"]
    facts = text(shown, ".submission-facts dd")
    assert facts[:2] == [text(shown, ".submission-facts time")[0], "HP Ina"]
    assert text(shown, ".submission-activity li span") == [
        "HP Ina mengirim kiriman Kelompok Tenun Ina untuk formulir Profil uji."
    ]

    _english(admin_console)
    english = admin_console.get(profiled.page("ina"))
    assert _answers(english)["Initiative name"] == "Kelompok Tenun Ina"
    assert text(english, ".answer-group > h3") == ["Group profile"]
    assert text(english, ".answer-block dd")[:1] == ["Sarung"]
    group = page(english).cssselect(".answer-group dd")
    assert " ".join(group[1].text_content().split()) == "Production, Joint marketing"


def test_edits_and_what_they_changed(
    admin_console: Console, profiled: Profiled, client: httpx.Client
) -> None:
    first = profiled.ids["maros"]
    edited = Profile(
        name="Kopi Maros",
        sector="tenun",
        activities="produksi",
        members="15",
        regency="73.09",
        products=[("Sarung", "400000"), ("Kopi bubuk", "60000")],
        deprecated_id=first,
    )
    submit(client, profiled.tokens["HP Ina"], profiled.project_id, edited)
    shown = admin_console.get(profiled.page("maros"))
    assert shown.status_code == 200
    assert text(shown, ".review-now .state") == ["Diubah"]
    assert text(shown, ".submission-facts code")[-1] == edited.instance_id
    [edit] = page(shown).cssselect(".edits > li")
    assert "HP Ina" in edit.cssselect(".edit-meta")[0].text_content()
    rows = [
        [" ".join(td.text_content().split()) for td in tr.cssselect("td")]
        for tr in edit.cssselect("tbody tr")
    ]
    assert rows == [
        ["Bidang utama", "Kopi", "Tenun"],
        ["Jumlah anggota", "12", "15"],
        ["Produk 1 › Harga", "350000", "400000"],
        ["Produk 2 › Nama produk", "Tidak dijawab", "Kopi bubuk"],
        ["Produk 2 › Harga", "Tidak dijawab", "60000"],
    ]
    assert text(shown, ".answer-block h4") == ["Produk 1", "Produk 2"]
    assert text(shown, ".submission-activity li span")[-1] == (
        "HP Ina mengirim versi suntingan kiriman Kopi Maros."
    )
    # The table shows the current version, marked as edited.
    table = admin_console.get(profiled.table)
    [row] = [r for r in page(table).cssselect("tbody tr") if "Kopi Maros" in r.text_content()]
    assert "diubah" in row.cssselect("th")[0].text_content()
    assert [td.text_content().strip() for td in row.cssselect("td")][4:6] == ["Tenun", "Produksi"]


def test_changes_compare_versions_answer_by_answer() -> None:
    before = {
        "/nama": "A",
        "/meta/instanceID": "uuid:1",
        "/produk": [{"/produk/harga": "1"}, {"/produk/harga": "2"}],
        "/hapus": "x",
    }
    after = {
        "/nama": "A",
        "/meta/instanceID": "uuid:2",
        "/meta/deprecatedID": "uuid:1",
        "/produk": [{"/produk/harga": "1"}],
        "/baru": "",
    }
    assert changes(before, after) == [
        Change("/produk/harga", (("/produk", 2),), "2", None),
        Change("/hapus", (), "x", None),
    ]


# Reviews ---------------------------------------------------------------------------------


def _member(services: Services, admin: Console, project_id: int, role: str) -> str:
    email = f"{role}@example.org"
    create_user(services, email=email, password=PASSWORD, display_name=f"Ibu {role}")
    added = admin.post(f"/projects/{project_id}/members", {"email": email, "role": role})
    assert added.status_code == 303, added.text
    return email


def test_a_manager_reviews_with_a_comment(
    services: Services,
    admin_console: Console,
    admin_headers: dict[str, str],
    profiled: Profiled,
    console_as: Callable[[str, str], Console],
) -> None:
    manager = console_as(_member(services, admin_console, profiled.project_id, "manager"), PASSWORD)
    shown = manager.get(profiled.page("ina"))
    [form] = page(shown).cssselect("#review-panel form")
    assert form.get("method") == "post" and form.get("hx-target") == "#review-panel"
    assert [b.get("value") for b in form.cssselect("button[name=review_state]")] == [
        "approved",
        "hasIssues",
        "rejected",
    ]
    assert page(shown).cssselect("label[for=review-comment]")
    done = manager.post(
        form.get("action"), {"review_state": "hasIssues", "comment": "Foto buram, mohon ulang."}
    )
    assert done.status_code == 303
    assert done.headers["location"] == profiled.page("ina") + "#review-panel"
    after = manager.get(done.headers["location"])
    assert text(after, ".notice") == [
        "Kiriman ditandai ada masalah. Komentar Anda sudah ditambahkan."
    ]
    assert text(after, "#review-panel .review-now .state") == ["Ada masalah"]
    assert text(after, ".comment-body") == ["Foto buram, mohon ulang."]
    assert "Ibu manager" in text(after, ".comment-meta")[0]
    # Approved later, without a comment; the comments stay in order, oldest first.
    manager.post(form.get("action"), {"review_state": "approved", "comment": "Sudah diperbaiki."})
    manager.post(form.get("action"), {"review_state": "approved"})
    final = manager.get(profiled.page("ina"))
    assert text(final, ".comment-body") == ["Foto buram, mohon ulang.", "Sudah diperbaiki."]
    assert text(final, ".submission-activity li span")[1:] == [
        "Ibu manager menandai kiriman Kelompok Tenun Ina sebagai “Ada masalah”.",
        "Ibu manager memberi komentar pada kiriman Kelompok Tenun Ina.",
        "Ibu manager menandai kiriman Kelompok Tenun Ina sebagai “Disetujui”.",
        "Ibu manager memberi komentar pada kiriman Kelompok Tenun Ina.",
        "Ibu manager menandai kiriman Kelompok Tenun Ina sebagai “Disetujui”.",
    ]
    # The REST API sees the same review and comments.
    client = admin_console.client
    api = client.get(profiled.api("ina"), headers=admin_headers).json()
    assert api["reviewState"] == "approved"
    comments = client.get(profiled.api("ina") + "/comments", headers=admin_headers).json()
    assert sorted(c["body"] for c in comments) == ["Foto buram, mohon ulang.", "Sudah diperbaiki."]
    # With htmx the review answers with the panel alone.
    swapped = manager.client.post(
        form.get("action"),
        data={"review_state": "rejected", "comment": "Ganda."},
        headers={**HTMX, "HX-Target": "review-panel", "X-CSRF-Token": manager.csrf},
        follow_redirects=True,
    )
    assert swapped.status_code == 200 and "<html" not in swapped.text
    assert page(swapped).get("id") == "review-panel"
    assert text(swapped, ".notice") == ["Kiriman ditolak. Komentar Anda sudah ditambahkan."]
    assert text(swapped, ".review-now .state") == ["Ditolak"]
    assert text(swapped, ".comment-body")[-1] == "Ganda."


def test_a_review_needs_the_forms_token(admin_console: Console, profiled: Profiled) -> None:
    url = profiled.page("ina") + "/review"
    forged = admin_console.client.post(url, data={"review_state": "approved"})
    assert forged.status_code == 401 and "text/html" in forged.headers["content-type"]
    wrong = admin_console.client.post(url, data={"review_state": "approved", "__csrf": "x" * 43})
    assert wrong.status_code == 401
    assert text(admin_console.get(profiled.page("ina")), ".review-now .state") == ["Diterima"]
    # A state that is none is refused.
    assert admin_console.post(url, {"review_state": "edited?"}).status_code == 400


def test_a_viewer_reads_but_does_not_review(
    services: Services,
    admin_console: Console,
    profiled: Profiled,
    console_as: Callable[[str, str], Console],
) -> None:
    viewer = console_as(_member(services, admin_console, profiled.project_id, "viewer"), PASSWORD)
    assert len(_names(viewer.get(profiled.table))) == 4
    shown = viewer.get(profiled.page("ina"))
    assert shown.status_code == 200
    assert page(shown).cssselect("#review-panel form") == []
    assert page(shown).cssselect("button[name=review_state]") == []
    assert viewer.get(profiled.page("ina") + "/thumbnails/foto-kegiatan.jpg").status_code == 200
    refused = viewer.post(profiled.page("ina") + "/review", {"review_state": "approved"})
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert text(refused, ".lead") == [
        "Peran Anda tidak mengizinkan ini. Tanyakan kepada manajer proyek atau administrator."
    ]
    assert text(viewer.get(profiled.page("ina")), ".review-now .state") == ["Diterima"]


def test_a_data_collector_sees_no_submissions(
    services: Services,
    admin_console: Console,
    profiled: Profiled,
    console_as: Callable[[str, str], Console],
    base_url: str,
) -> None:
    collector = console_as(
        _member(services, admin_console, profiled.project_id, "formfill"), PASSWORD
    )
    form_page = collector.get(f"/projects/{profiled.project_id}/forms/{FORM_ID}")
    assert "/submissions" not in form_page.text
    for path in (
        profiled.table,
        profiled.page("ina"),
        profiled.page("ina") + "/thumbnails/foto-kegiatan.jpg",
    ):
        refused = collector.get(path)
        assert refused.status_code == 403, path
        assert "Kelompok Tenun Ina" not in refused.text
    posted = collector.post(profiled.page("ina") + "/review", {"review_state": "approved"})
    assert posted.status_code == 403
    with httpx.Client(base_url=base_url) as anonymous:
        assert anonymous.get(profiled.table).status_code == 303


# Text from phones --------------------------------------------------------------------------


def test_what_a_phone_sent_shows_as_text(admin_console: Console, profiled: Profiled) -> None:
    admin_console.post(
        profiled.page("script") + "/review",
        {"review_state": "hasIssues", "comment": f"{IMG} {SCRIPT}"},
    )
    for response in (
        admin_console.get(profiled.table, params={"cols": ["/nama", "/profil/anggota"]}),
        admin_console.get(profiled.page("script")),
    ):
        assert response.status_code == 200
        body = response.text
        assert SCRIPT not in body and IMG not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "&lt;img src=x onerror=alert(1)&gt;" in body
        assert page(response).cssselect("main img[src=x]") == []
    shown = admin_console.get(profiled.page("script"))
    assert text(shown, "h1") == [SCRIPT]
    assert text(shown, ".comment-body") == [f"{IMG} {SCRIPT}"]
    assert text(shown, ".answer-block dd") == [IMG, "1", SCRIPT, "2"]
    assert _answers(shown)["Nama inisiatif"] == SCRIPT
    table = admin_console.get(profiled.table, params={"cols": ["/nama", "/profil/anggota"]})
    assert _names(table)[0] == SCRIPT
    cells = page(table).cssselect("tbody tr")[0].cssselect("td")
    assert [td.text_content().strip() for td in cells][3:] == [SCRIPT, IMG]


def test_a_deleted_submission_leaves_the_table_and_the_summary(
    admin_console: Console, profiled: Profiled, admin_headers: dict[str, str]
) -> None:
    summary = f"/projects/{profiled.project_id}/forms/{FORM_ID}/summary"
    assert text(admin_console.get(summary), "#summary-count") == ["4 kiriman dihitung"]
    deleted = admin_console.client.delete(profiled.api("maros"), headers=admin_headers)
    assert deleted.status_code == 200
    shown = admin_console.get(profiled.table)
    assert text(shown, "#submissions-count") == ["3 kiriman"]
    assert "Kopi Maros" not in _names(shown)
    assert admin_console.get(profiled.page("maros")).status_code == 404
    assert text(admin_console.get(summary), "#summary-count") == ["3 kiriman dihitung"]
    restored = admin_console.client.post(profiled.api("maros") + "/restore", headers=admin_headers)
    assert restored.status_code == 200
    assert "Kopi Maros" in _names(admin_console.get(profiled.table))
