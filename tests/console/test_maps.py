"""The map of a form's initiatives: its page (a GET form that works without JavaScript)
and the GeoJSON its script draws: only submissions with a point, longitude first, the
filters, the colour values with their labels in the reader's language; and who may see
them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from server.domain import Services
from server.domain.accounts import create_user
from tests.builders import XLSX, xlsform
from tests.console.initiatives import FORM_ID, Initiative, publish_form, review, submit
from tests.console.support import Console, page, text

PASSWORD = "sandi-yang-panjang"
SCRIPT = "<script>alert('peta')</script>"


@dataclass
class Mapped:
    project_id: int
    ids: dict[str, str]  # short name -> instanceID

    @property
    def page(self) -> str:
        return f"/projects/{self.project_id}/forms/{FORM_ID}/map"

    @property
    def geojson(self) -> str:
        return self.page + ".geojson"


@pytest.fixture
def mapped(admin_console: Console, admin_headers: dict[str, str], project_id: int) -> Mapped:
    client = admin_console.client
    publish_form(client, admin_headers, project_id)
    sent = {
        "ina": Initiative(photo=True, instance_name="KWT-01 Tenun Ina"),
        "script": Initiative(name=SCRIPT, sector="kopi", regency="73.09", point="-4.9 119.6 0 5"),
        "kupang": Initiative(
            name="Kopi Kupang",
            sector="kopi",
            province="53",
            regency="53.71",
            point="-10.1772 123.607",
        ),
        "nowhere": Initiative(name="Tanpa titik", sector="pangan", point=""),
        "unsorted": Initiative(name="Belum dipilih", sector="", point="-5.2 119.5 0 0"),
    }
    ids = {key: submit(client, admin_headers, project_id, it) for key, it in sent.items()}
    review(client, admin_headers, project_id, ids["kupang"], "approved")
    return Mapped(project_id, ids)


def _features(console: Console, mapped: Mapped, **params: str) -> dict[str, Any]:
    response = console.get(mapped.geojson, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    collection: dict[str, Any] = response.json()
    assert collection["type"] == "FeatureCollection"
    assert collection["count"] == len(collection["features"])
    return collection


def _by_id(collection: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {feature["id"]: feature for feature in collection["features"]}


def test_only_submissions_with_a_point_longitude_first(
    admin_console: Console, mapped: Mapped
) -> None:
    collection = _features(admin_console, mapped)
    features = _by_id(collection)
    ids = mapped.ids
    assert set(features) == {ids["ina"], ids["script"], ids["kupang"], ids["unsorted"]}
    assert features[ids["ina"]] == {
        "type": "Feature",
        "id": ids["ina"],
        "geometry": {"type": "Point", "coordinates": [119.432732, -5.147665]},
        "properties": {"name": "KWT-01 Tenun Ina", "photo": "foto-kegiatan.png"},
    }
    # Without an instance name, the first text answer names the point.
    assert features[ids["kupang"]]["properties"] == {"name": "Kopi Kupang"}
    assert features[ids["kupang"]]["geometry"]["coordinates"] == [123.607, -10.1772]
    assert collection["legend"] == []
    # A name written as a script stays a string in the JSON, never markup.
    assert features[ids["script"]]["properties"]["name"] == SCRIPT
    response = admin_console.get(mapped.geojson)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert json.dumps(SCRIPT)[1:-1] in response.text


def test_colour_values_and_their_labels_in_the_readers_language(
    admin_console: Console, mapped: Mapped
) -> None:
    collection = _features(admin_console, mapped, color="/profil/sektor")
    colours = {f["id"]: f["properties"]["color"] for f in collection["features"]}
    ids = mapped.ids
    assert colours == {
        ids["ina"]: "tenun",
        ids["script"]: "kopi",
        ids["kupang"]: "kopi",
        ids["unsorted"]: None,
    }
    # The form's choices in their order (only those shown), then the points with no answer.
    assert collection["legend"] == [
        {"value": "tenun", "label": "Tenun", "count": 1},
        {"value": "kopi", "label": "Kopi", "count": 2},
        {"value": None, "label": None, "count": 1},
    ]
    admin_console.post("/language", {"language": "en", "next": "/projects"})
    english = _features(admin_console, mapped, color="/profil/sektor")
    assert [entry["label"] for entry in english["legend"]] == ["Weaving", "Coffee", None]
    # A wilayah question is coloured by the names its list gives the codes.
    provinces = _features(admin_console, mapped, color="/provinsi")
    assert provinces["legend"] == [
        {"value": "73", "label": "Sulawesi Selatan", "count": 3},
        {"value": "53", "label": "Nusa Tenggara Timur", "count": 1},
    ]


def test_filters_by_review_state_and_province(admin_console: Console, mapped: Mapped) -> None:
    ids = mapped.ids
    approved = _features(admin_console, mapped, state="approved")
    assert set(_by_id(approved)) == {ids["kupang"]}
    received = _features(admin_console, mapped, state="received")
    assert set(_by_id(received)) == {ids["ina"], ids["script"], ids["unsorted"]}
    south = _features(admin_console, mapped, province="73", color="/profil/sektor")
    assert set(_by_id(south)) == {ids["ina"], ids["script"], ids["unsorted"]}
    assert [(e["value"], e["count"]) for e in south["legend"]] == [
        ("tenun", 1),
        ("kopi", 1),
        (None, 1),
    ]
    assert _features(admin_console, mapped, province="53", state="received")["features"] == []
    # The page counts what the map will draw, with the same filters.
    shown = admin_console.get(mapped.page, params={"province": "73"})
    assert text(shown, "#map-count") == ["Kiriman yang punya titik lokasi: 3 dari 4."]
    link = page(shown).cssselect("#map-download")[0].get("href")
    assert link == f"{mapped.geojson}?province=73"
    assert page(shown).cssselect("#map")[0].get("data-points") == link


def test_the_page_is_a_form_that_works_without_javascript(
    admin_console: Console, mapped: Mapped
) -> None:
    shown = admin_console.get(mapped.page, params={"color": "/profil/sektor", "state": "received"})
    assert shown.status_code == 200
    tree = page(shown)
    assert text(shown, ".tabs a[aria-current=page]") == ["Peta"]
    [form] = tree.cssselect("form#map-filters")
    assert form.get("method") == "get" and form.get("action") == mapped.page
    for select in form.cssselect("select"):
        assert tree.cssselect(f"label[for={select.get('id')}]"), select.get("name")
    names = [select.get("name") for select in form.cssselect("select")]
    assert names == ["color", "state", "province"]  # one location question: no choice of it
    colours = {o.get("value"): o.text for o in form.cssselect("select[name=color] option")}
    assert colours == {
        "": "Satu warna untuk semua",
        "/profil/sektor": "Bidang utama",
        "/provinsi": "Provinsi",
        "/kab_kota": "Kabupaten/Kota",
    }
    assert [o.get("value") for o in form.cssselect("option[selected]")] == [
        "/profil/sektor",
        "received",
    ]
    provinces = [o.text for o in form.cssselect("select[name=province] option")]
    assert provinces == ["Semua provinsi", "Sulawesi Selatan", "Nusa Tenggara Timur"]
    assert text(shown, "#map-count") == ["Kiriman yang punya titik lokasi: 3 dari 4."]
    [legend] = tree.cssselect("#map-legend h2")
    assert legend.text == "Bidang utama"
    # Texts for the script travel as JSON; the map's data as attributes.
    texts = json.loads(tree.cssselect("script#map-texts")[0].text)
    assert texts["open"] == "Buka kiriman"
    [element] = tree.cssselect("#map")
    base = f"/projects/{mapped.project_id}/forms/{FORM_ID}/submissions/"
    assert element.get("data-submission") == base + "__ID__"
    assert element.get("data-thumbnail") == base + "__ID__/thumbnails/__FILE__"
    assert "tile.openstreetmap.org" not in shown.text  # tiles only from the script, on request


def test_choices_that_are_not_the_forms_are_refused(admin_console: Console, mapped: Mapped) -> None:
    for params in (
        {"color": "/profil/kegiatan"},  # a select_multiple colours nothing
        {"field": "/nama"},
        {"state": "diperiksa"},
    ):
        assert admin_console.get(mapped.geojson, params=params).status_code == 400, params
        refused = admin_console.get(mapped.page, params=params)
        assert refused.status_code == 400 and "text/html" in refused.headers["content-type"]


def test_several_location_questions_and_none(
    admin_console: Console, admin_headers: dict[str, str], project_id: int
) -> None:
    client = admin_console.client
    survey = [
        ["type", "name", "label"],
        ["text", "nama", "Nama"],
        ["geopoint", "kantor", "Kantor"],
        ["geopoint", "kebun", "Kebun"],
    ]
    settings = [["form_id", "version"], ["dua_titik", "1"]]
    for body in (xlsform(survey, settings=settings), xlsform(survey[:2])):
        created = client.post(
            f"/v1/projects/{project_id}/forms",
            params={"publish": "true"},
            content=body,
            headers={**admin_headers, "Content-Type": XLSX, "X-XlsForm-FormId-Fallback": "tanpa"},
        )
        assert created.status_code == 200, created.text
    xml = (
        '<data id="dua_titik" version="1"><nama>Kebun Ibu</nama><kantor>-6.2 106.8</kantor>'
        "<kebun>-6.6 106.9</kebun><meta><instanceID>uuid:dua</instanceID></meta></data>"
    )
    posted = client.post(
        f"/v1/projects/{project_id}/forms/dua_titik/submissions",
        content=xml,
        headers={**admin_headers, "Content-Type": "application/xml"},
    )
    assert posted.status_code == 200, posted.text
    base = f"/projects/{project_id}/forms/dua_titik/map"
    shown = admin_console.get(base)
    fields = page(shown).cssselect("select[name=field] option")
    assert [(o.get("value"), o.text, o.get("selected")) for o in fields] == [
        ("/kantor", "Kantor", "selected"),
        ("/kebun", "Kebun", None),
    ]
    garden = admin_console.get(base + ".geojson", params={"field": "/kebun"}).json()
    assert [f["geometry"]["coordinates"] for f in garden["features"]] == [[106.9, -6.6]]
    none = admin_console.get(f"/projects/{project_id}/forms/tanpa/map")
    assert none.status_code == 200
    assert page(none).cssselect("#map") == []
    assert "tidak punya pertanyaan lokasi" in text(none, ".empty")[0]
    assert "leaflet" not in none.text


def test_who_may_see_the_map(
    services: Services,
    admin_console: Console,
    mapped: Mapped,
    console_as: Callable[[str, str], Console],
    base_url: str,
) -> None:
    for role in ("viewer", "formfill"):
        create_user(services, email=f"{role}@example.org", password=PASSWORD)
        admin_console.post(
            f"/projects/{mapped.project_id}/members",
            {"email": f"{role}@example.org", "role": role},
        )
    viewer = console_as("viewer@example.org", PASSWORD)
    assert viewer.get(mapped.page).status_code == 200
    assert len(viewer.get(mapped.geojson).json()["features"]) == 4
    collector = console_as("formfill@example.org", PASSWORD)
    for path in (mapped.page, mapped.geojson):
        refused = collector.get(path)
        assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    with httpx.Client(base_url=base_url) as anonymous:
        assert anonymous.get(mapped.geojson).status_code == 303
