"""Entity lists in the console: the project's lists with their counts, a list's entities
in pages, their points, one entity's versions, and a conflict resolved through the page
as the REST API resolves it (same rights, same version check)."""

from __future__ import annotations

from collections.abc import Callable

from server.domain import Services
from server.domain.accounts import create_user
from tests.builders import ADMIN_EMAIL
from tests.console.entity_lists import entity, offline_update, publish_forms, register
from tests.console.support import Console, csrf_of, page, text

PASSWORD = "sandi-yang-panjang"


def test_the_project_lists_its_entity_lists_with_counts(
    admin_console: Console, admin_headers: dict[str, str], project_id: int
) -> None:
    client = admin_console.client
    shown = admin_console.get(f"/projects/{project_id}")
    assert "Belum ada daftar entitas" in shown.text
    publish_forms(client, admin_headers, project_id)
    oak = register(client, admin_headers, project_id, "Oak")
    register(client, admin_headers, project_id, "Fir")
    offline_update(client, admin_headers, project_id, oak, "12")
    offline_update(client, admin_headers, project_id, oak, "13")
    rows = text(admin_console.get(f"/projects/{project_id}"), "table.dataset-list tbody tr")
    assert len(rows) == 1 and rows[0].startswith("trees 2 1 ")
    link = page(admin_console.get(f"/projects/{project_id}")).cssselect("table.dataset-list a")
    assert link[0].get("href") == f"/projects/{project_id}/datasets/trees"


def test_the_table_shows_entities_newest_first_in_pages(
    admin_console: Console, admin_headers: dict[str, str], project_id: int
) -> None:
    client = admin_console.client
    publish_forms(client, admin_headers, project_id)
    made = client.post(
        f"/v1/projects/{project_id}/datasets/trees/entities",
        json={
            "entities": [
                {"label": f"Pohon {n:02d}", "data": {"species": "jati", "height": str(n)}}
                for n in range(55)
            ],
            "source": {"name": "uji"},
        },
        headers=admin_headers,
    )
    assert made.status_code == 200, made.text
    newest = register(client, admin_headers, project_id, "<b>Beringin</b>", height="30")
    first = admin_console.get(f"/projects/{project_id}/datasets/trees")
    assert first.status_code == 200
    assert text(first, "#entity-count") == ["56"]
    assert text(first, ".entity-table thead th") == [
        "Label", "species", "height", "location", "Versi", "Dibuat", "Diperbarui",
    ]  # fmt: skip
    rows = page(first).cssselect(".entity-table tbody tr")
    assert len(rows) == 50
    top = rows[0]
    assert top.cssselect("th a")[0].text_content() == "<b>Beringin</b>"  # text, never markup
    assert top.cssselect("th a b") == []
    assert top.cssselect("th a")[0].get("href") == (
        f"/projects/{project_id}/datasets/trees/entities/{newest}"
    )
    assert [c.text_content() for c in top.cssselect("td")][:4] == ["<b>Beringin</b>", "30", "", "1"]
    labels = [r.cssselect("th a")[0].text_content() for r in rows]
    older = page(first).cssselect(".pager a[rel=next]")[0].get("href")
    second = admin_console.get(older)
    more = [
        r.cssselect("th a")[0].text_content()
        for r in page(second).cssselect(".entity-table tbody tr")
    ]
    assert len(more) == 6 and not set(more) & set(labels)
    assert sorted(labels[1:] + more) == [f"Pohon {n:02d}" for n in range(55)]
    assert page(second).cssselect(".pager a[rel=next]") == []
    back = admin_console.get(page(second).cssselect(".pager a[rel=prev]")[0].get("href"))
    assert [
        r.cssselect("th a")[0].text_content()
        for r in page(back).cssselect(".entity-table tbody tr")
    ] == labels
    bad = admin_console.get(f"/projects/{project_id}/datasets/trees?after=kemarin")
    assert bad.status_code == 400
    for name in ("pohon", "..%2Ftrees"):
        assert admin_console.get(f"/projects/{project_id}/datasets/{name}").status_code == 404


def test_points_come_from_the_geopoint_property(
    admin_console: Console, admin_headers: dict[str, str], project_id: int
) -> None:
    client = admin_console.client
    publish_forms(client, admin_headers, project_id)
    kupang = register(client, admin_headers, project_id, "Kupang", location="-10.1772 123.607 0 5")
    register(client, admin_headers, project_id, "Tanpa titik")
    shown = admin_console.get(f"/projects/{project_id}/datasets/trees/map")
    assert shown.status_code == 200
    element = page(shown).cssselect("#map")[0]
    assert element.get("data-points") == (
        f"/projects/{project_id}/datasets/trees/map.geojson?property=location"
    )
    points = admin_console.get(element.get("data-points"))
    assert points.status_code == 200
    assert points.json() == {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": kupang,
                "geometry": {"type": "Point", "coordinates": [123.607, -10.1772]},
                "properties": {"name": "Kupang"},
            }
        ],
        "count": 1,
    }
    wrong = admin_console.get(f"/projects/{project_id}/datasets/trees/map.geojson?property=x")
    assert wrong.status_code == 400


def test_a_conflict_is_shown_side_by_side_and_resolved(
    services: Services,
    admin_console: Console,
    admin_headers: dict[str, str],
    project_id: int,
    console_as: Callable[[str, str], Console],
) -> None:
    client = admin_console.client
    publish_forms(client, admin_headers, project_id)
    oak = register(client, admin_headers, project_id, "Oak")
    offline_update(client, admin_headers, project_id, oak, "12")
    offline_update(client, admin_headers, project_id, oak, "15")
    assert entity(client, admin_headers, project_id, oak)["conflict"] == "hard"
    path = f"/projects/{project_id}/datasets/trees/entities/{oak}"
    shown = admin_console.get(path)
    assert shown.status_code == 200
    assert text(shown, "h1 .state-conflict") == ["Konflik"]
    assert text(shown, ".conflict-table thead th")[1:] == [
        "Versi 1 awal pembaruan-pembaruan ini",
        f"Versi 2 oleh {ADMIN_EMAIL}, dari versi 1",
        f"Versi 3 oleh {ADMIN_EMAIL}, dari versi 1",
    ]
    assert text(shown, ".conflict-table tbody tr") == ["height berbeda 10 12 15"]
    assert text(shown, ".conflict-table td.conflict-cell") == ["15"]
    assert text(shown, ".entity-versions > li .edit-meta strong") == [
        "Versi 3",
        "Versi 2",
        "Versi 1",
    ]

    # A viewer sees the conflict but may not resolve it, as in the API.
    create_user(services, email="viewer@example.org", password=PASSWORD)
    admin_console.post(
        f"/projects/{project_id}/members", {"email": "viewer@example.org", "role": "viewer"}
    )
    viewer = console_as("viewer@example.org", PASSWORD)
    seen = viewer.get(path)
    assert seen.status_code == 200 and page(seen).cssselect(".resolve-form") == []
    refused = viewer.post(f"{path}/resolve", {"base_version": "3"})
    assert refused.status_code == 403
    # Without the page's token the POST is refused.
    forged = client.post(f"{path}/resolve", data={"base_version": "3"})
    assert forged.status_code == 401
    # A stale version is refused as the API's PATCH refuses it.
    stale = admin_console.post(f"{path}/resolve", {"base_version": "2"})
    assert stale.status_code == 409
    assert entity(client, admin_headers, project_id, oak)["conflict"] == "hard"

    form = page(shown).cssselect(".resolve-form")[0]
    assert [i.get("name") for i in form.cssselect("input[name^='value:']")] == ["value:height"]
    done = admin_console.post(
        f"{path}/resolve",
        {"__csrf": csrf_of(shown), "base_version": "3", "value:height": "15"},
    )
    assert done.status_code == 303 and done.headers["location"] == path
    after = entity(client, admin_headers, project_id, oak)
    assert after["conflict"] is None
    assert after["currentVersion"]["version"] == 3  # nothing changed: no new version
    resolved = admin_console.get(path)
    assert "Konflik ditandai sudah selesai." in resolved.text
    assert page(resolved).cssselect("#conflict") == []
    assert "selesai" in text(resolved, "#version-3 .edit-meta")[0]


def test_resolving_with_an_edited_value_saves_a_new_version(
    admin_console: Console, admin_headers: dict[str, str], project_id: int
) -> None:
    client = admin_console.client
    publish_forms(client, admin_headers, project_id)
    oak = register(client, admin_headers, project_id, "Oak")
    offline_update(client, admin_headers, project_id, oak, "12")
    offline_update(client, admin_headers, project_id, oak, "15")
    path = f"/projects/{project_id}/datasets/trees/entities/{oak}"
    done = admin_console.post(f"{path}/resolve", {"base_version": "3", "value:height": "14"})
    assert done.status_code == 303
    after = entity(client, admin_headers, project_id, oak)
    assert after["conflict"] is None
    current = after["currentVersion"]
    assert isinstance(current, dict)
    assert current["version"] == 4 and current["data"]["height"] == "14"
    assert current["baseVersion"] == 3
    notice = admin_console.get(path)
    assert "Nilai baru disimpan dan konflik ditandai sudah selesai." in notice.text
    again = admin_console.post(f"{path}/resolve", {"base_version": "4"})
    assert again.status_code == 400  # no conflict left (400.32)


def test_without_rights_the_list_is_not_shown(
    services: Services,
    admin_console: Console,
    admin_headers: dict[str, str],
    project_id: int,
    console_as: Callable[[str, str], Console],
) -> None:
    publish_forms(admin_console.client, admin_headers, project_id)
    create_user(services, email="isi@example.org", password=PASSWORD)
    admin_console.post(
        f"/projects/{project_id}/members", {"email": "isi@example.org", "role": "formfill"}
    )
    collector = console_as("isi@example.org", PASSWORD)
    assert page(collector.get(f"/projects/{project_id}")).cssselect("#entity-lists") == []
    assert collector.get(f"/projects/{project_id}/datasets/trees").status_code == 403
    assert (
        collector.get(
            f"/projects/{project_id}/datasets/trees/map.geojson?property=location"
        ).status_code
        == 403
    )
