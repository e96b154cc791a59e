"""The public pages: where initiatives are drawn, the directory's filters and search,
the figures, the downloads with their licence, both languages, freshness, noindex and
the limit per address."""

from __future__ import annotations

import csv
import io

import httpx

from server.data.atlas import province_centres, public_id
from server.domain import Services, atlas_public
from tests.atlas.support import SLUG, Initiative, create_atlas, publish_form, review, submit

BASE = f"/atlas/{SLUG}"
MAKASSAR = Initiative(name="Tenun Ina Makassar", latitude=-5.147665, longitude=119.432732)
KUPANG = Initiative(
    name="Kopi Flores Bersama",
    sector="kopi",
    province="53",
    regency="53.71",
    latitude=-10.171234,
    longitude=123.607654,
    photo=False,
)


def publish(
    client: httpx.Client, headers: dict[str, str], project_id: int, **settings: object
) -> list[Initiative]:
    publish_form(client, headers, project_id)
    create_atlas(client, headers, project_id, **settings)
    found = [Initiative(**{**MAKASSAR.__dict__}), Initiative(**{**KUPANG.__dict__})]
    for it in found:
        it.instance_id = f"uuid:{id(it)}-{project_id}-{it.name.replace(' ', '')}"
        submit(client, headers, project_id, it)
        review(client, headers, project_id, it.instance_id, "approved")
    return found


def points(client: httpx.Client) -> dict[str, list[float]]:
    data = client.get(f"{BASE}/points.geojson").json()
    return {f["id"]: f["geometry"]["coordinates"] for f in data["features"]}


def test_by_default_initiatives_are_drawn_at_a_place_centre_never_their_point(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    found = publish(client, admin_headers, project_id)
    drawn = points(client)
    centres = province_centres()
    for it in found:
        where = drawn[public_id(SLUG, it.instance_id)]
        assert where == list(centres[it.province])
        assert abs(where[0] - it.longitude) > 0.01 or abs(where[1] - it.latitude) > 0.01
    downloads = client.get(f"{BASE}/data.geojson").json()
    assert {tuple(f["geometry"]["coordinates"]) for f in downloads["features"]} == {
        centres["73"],
        centres["53"],
    }
    rows = list(csv.DictReader(io.StringIO(client.get(f"{BASE}/data.csv").text.lstrip("\ufeff"))))
    assert {(float(r["longitude"]), float(r["latitude"])) for r in rows} == {
        centres["73"],
        centres["53"],
    }


def test_rounded_and_exact_precision(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    found = publish(client, admin_headers, project_id, precision="rounded")
    drawn = points(client)
    for it in found:
        assert drawn[public_id(SLUG, it.instance_id)] == [
            round(it.longitude, 2),
            round(it.latitude, 2),
        ]
    changed = client.patch(
        f"/v1/projects/{project_id}/atlases/{SLUG}",
        json={"precision": "exact"},
        headers=admin_headers,
    )
    assert changed.status_code == 200
    drawn = points(client)
    for it in found:
        assert drawn[public_id(SLUG, it.instance_id)] == [it.longitude, it.latitude]


def test_the_directory_filters_and_searches_public_fields_only(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    makassar, kupang = publish(client, admin_headers, project_id)

    def names(query: str) -> str:
        response = client.get(f"{BASE}/initiatives{query}")
        assert response.status_code == 200, response.text
        return response.text

    everything = names("")
    assert makassar.name in everything and kupang.name in everything
    only_ntt = names("?province=53")
    assert kupang.name in only_ntt and makassar.name not in only_ntt
    coffee = names("?sektor=kopi")
    assert kupang.name in coffee and makassar.name not in coffee
    assert makassar.name in names("?kab_kota=73.71") and kupang.name not in names("?kab_kota=73.71")
    assert kupang.name in names("?q=flores") and makassar.name not in names("?q=flores")
    assert kupang.name in names("?q=coffee")  # a choice's label in either language
    # A private field is neither a filter nor searched.
    assert makassar.name in names(f"?ketua={kupang.chair}")
    assert makassar.name not in names(f"?q={makassar.chair}")
    assert makassar.name not in names(f"?q={makassar.phone}")
    assert makassar.name not in names("?page=99999999999999999999999")
    assert makassar.name in names("?page=abc")


def test_pages_in_both_languages_with_figures_and_licence(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    makassar, _kupang = publish(client, admin_headers, project_id)
    home = client.get(BASE)
    assert home.status_code == 200
    assert "Peta Inisiatif Perempuan" in home.text and 'lang="id"' in home.text
    assert "CC BY 4.0" in home.text
    assert "Sulawesi Selatan" in home.text and "<svg" in home.text  # figures by province
    english = client.get(f"{BASE}?lang=en")
    assert "Atlas of Women's Initiatives" in english.text.replace("&#39;", "'")
    assert "Weaving" in english.text  # the sector chart, labelled in English
    page = client.get(f"{BASE}/initiatives/{public_id(SLUG, makassar.instance_id)}?lang=en")
    assert "Group name" in page.text and "Number of members" in page.text
    assert "Kota Makassar" in page.text
    table = client.get(f"{BASE}/data.csv")
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text.lstrip("\ufeff"))))
    assert set(rows[0]) == {
        "id", "nama", "sektor", "anggota", "kab_kota", "province_code", "province",
        "longitude", "latitude", "licence",
    }  # fmt: skip
    assert {r["licence"] for r in rows} == {"CC BY 4.0"}
    geojson = client.get(f"{BASE}/data.geojson?lang=en").json()
    assert geojson["licence"] == "CC BY 4.0"
    assert {f["properties"]["sektor"] for f in geojson["features"]} == {"Weaving", "Coffee"}


def test_bad_addresses_are_not_found(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish(client, admin_headers, project_id)
    for path in (
        "/atlas/tidak-ada",
        "/atlas/..%2F..%2Fetc",
        "/atlas/PETA-JARING",
        f"{BASE}/initiatives/0000000000000000",
        f"{BASE}/initiatives/%2E%2E",
        f"{BASE}/initiatives/0000000000000000/photos/0.jpg",
    ):
        assert client.get(path).status_code == 404, path


def test_an_unpublished_atlas_is_not_found(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish(client, admin_headers, project_id, published=False)
    assert client.get(BASE).status_code == 404
    assert client.get(f"{BASE}/data.csv").status_code == 404


def test_a_newly_approved_initiative_shows_once_the_snapshot_is_due(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, services: Services
) -> None:
    publish(client, admin_headers, project_id)
    late = Initiative(name="Kelompok Baru Disetujui")
    submit(client, admin_headers, project_id, late)
    assert late.name not in client.get(f"{BASE}/initiatives").text
    review(client, admin_headers, project_id, late.instance_id, "approved")
    kept = atlas_public._snapshots[services.db][SLUG]
    assert atlas_public.FRESH_SECONDS <= 60
    kept.built -= atlas_public.FRESH_SECONDS  # as it will be, FRESH_SECONDS from now
    assert late.name in client.get(f"{BASE}/initiatives").text


def test_responses_are_cached_by_etag_and_noindex_on_request(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish(client, admin_headers, project_id, noindex=True)
    first = client.get(f"{BASE}/points.geojson")
    assert first.headers["x-robots-tag"] == "noindex, nofollow"
    again = client.get(f"{BASE}/points.geojson", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert 'name="robots" content="noindex' in client.get(BASE).text


def test_one_address_is_limited(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, services: Services
) -> None:
    services.settings.atlas_requests_per_minute = 60  # a burst of 12, then one a second
    publish(client, admin_headers, project_id)
    statuses = [client.get(f"{BASE}/points.geojson").status_code for _ in range(40)]
    assert statuses[0] == 200
    assert 429 in statuses
    refused = client.get(f"{BASE}/points.geojson")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    # The phones' and the API's endpoints are not counted against the atlas's limit.
    assert client.get("/v1/projects", headers=admin_headers).status_code == 200


def test_photos_only_with_their_own_consent(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_form(client, admin_headers, project_id)
    create_atlas(client, admin_headers, project_id, photoConsentField="/izin_foto")
    agreed = Initiative(name="Foto Boleh")
    refused = Initiative(name="Foto Tidak Boleh", photo_consent="tidak")
    for it in (agreed, refused):
        submit(client, admin_headers, project_id, it)
        review(client, admin_headers, project_id, it.instance_id, "approved")
    for it, photos in ((agreed, 1), (refused, 0)):
        key = public_id(SLUG, it.instance_id)
        page = client.get(f"{BASE}/initiatives/{key}").text
        assert page.count("/photos/") == photos, it.name
        status = client.get(f"{BASE}/initiatives/{key}/photos/0.jpg").status_code
        assert status == (200 if photos else 404)


def test_withdrawals_over_rest(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    makassar, _kupang = publish(client, admin_headers, project_id)
    base = f"/v1/projects/{project_id}/atlases/{SLUG}/withdrawals"
    bad = client.post(
        base, json={"instanceId": makassar.instance_id, "reason": "bosan"}, headers=admin_headers
    )
    assert bad.status_code == 400
    assert client.post(base, json={}, headers=admin_headers).status_code == 400
    done = client.post(
        base, json={"instanceId": makassar.instance_id, "reason": "error"}, headers=admin_headers
    )
    assert done.status_code == 200
    assert client.get(base, headers=admin_headers).json() == [
        {"instanceId": makassar.instance_id, "reason": "error"}
    ]
    key = public_id(SLUG, makassar.instance_id)
    assert client.get(f"{BASE}/initiatives/{key}").status_code == 404
    logged = client.get("/v1/audits", params={"action": "atlas.withdraw"}, headers=admin_headers)
    assert [entry["details"] for entry in logged.json()] == [
        {"instanceId": makassar.instance_id, "reason": "error"}
    ]
    assert client.get(base).status_code == 401  # withdrawals are the managers' business
    back = client.delete(f"{base}/{makassar.instance_id}", headers=admin_headers)
    assert back.status_code == 200
    assert client.get(f"{BASE}/initiatives/{key}").status_code == 200
    assert client.delete(f"{base}/{makassar.instance_id}", headers=admin_headers).status_code == 404


def test_a_kept_page_never_carries_another_visitors_parameters(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish(client, admin_headers, project_id)
    for path in (BASE, f"{BASE}/initiatives?sektor=kopi"):
        joiner = "&" if "?" in path else "?"
        first = client.get(f"{path}{joiner}x=RACUN-CACHE&lang=id")
        assert first.status_code == 200
        assert "RACUN-CACHE" not in first.text
        assert "RACUN-CACHE" not in client.get(path).text


def test_all_addresses_together_are_limited_and_the_phones_go_on(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, services: Services
) -> None:
    services.settings.atlas_requests_per_second = 5  # a burst of 1, then five a second
    publish(client, admin_headers, project_id)
    statuses = [client.get(f"{BASE}/points.geojson").status_code for _ in range(30)]
    assert 503 in statuses
    busy = next(
        r for r in (client.get(f"{BASE}/points.geojson") for _ in range(10)) if r.status_code == 503
    )
    assert busy.headers["retry-after"] == "1"
    listed = client.get(
        f"/v1/projects/{project_id}/forms", headers={**admin_headers, "X-OpenRosa-Version": "1.0"}
    )
    assert listed.status_code == 200
