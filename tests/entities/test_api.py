"""The datasets and entities REST API: every body rule and problem code Central has."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.builders import create_app_user

ENTITY_KEYS = {"uuid", "creatorId", "conflict", "createdAt", "updatedAt", "deletedAt"}
VERSION_KEYS = {
    "current",
    "label",
    "creatorId",
    "userAgent",
    "data",
    "version",
    "baseVersion",
    "dataReceived",
    "conflictingProperties",
    "createdAt",
    "branchId",
    "trunkVersion",
    "branchBaseVersion",
}


@pytest.fixture
def trees(client: httpx.Client, admin_headers: dict[str, str], project_id: int) -> str:
    """A dataset made through the API, with two properties; returns its URL."""
    made = client.post(
        f"/v1/projects/{project_id}/datasets", json={"name": "trees"}, headers=admin_headers
    )
    assert made.status_code == 200, made.text
    url = f"/v1/projects/{project_id}/datasets/trees"
    for prop in ("species", "height"):
        added = client.post(f"{url}/properties", json={"name": prop}, headers=admin_headers)
        assert added.status_code == 200 and added.json() == {"success": True}
    return url


def _problem(response: httpx.Response) -> float:
    assert 400 <= response.status_code < 500, response.text
    code: float = response.json()["code"]
    return code


def test_a_dataset_made_through_the_api(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, trees: str
) -> None:
    body = client.get(trees, headers=admin_headers).json()
    assert set(body) >= {
        "name",
        "createdAt",
        "projectId",
        "approvalRequired",
        "ownerOnly",
        "deletedAt",
        "lastUpdate",
        "linkedForms",
        "sourceForms",
        "draftLinkedForms",
        "draftSourceForms",
        "properties",
    }
    assert body["approvalRequired"] is False
    assert [p["name"] for p in body["properties"]] == ["species", "height"]
    assert body["properties"][0]["forms"] == []
    datasets = f"/v1/projects/{project_id}/datasets"
    assert _problem(client.post(datasets, json={"name": "trees"}, headers=admin_headers)) == 409.3
    assert _problem(client.post(datasets, json={"name": "TREES"}, headers=admin_headers)) == 409.16
    for bad in ("tr/ees", "__trees", "tr.ees", "../x"):
        assert _problem(client.post(datasets, json={"name": bad}, headers=admin_headers)) == 400.8
    assert _problem(client.post(datasets, json={}, headers=admin_headers)) == 400.2
    props = f"{trees}/properties"
    assert _problem(client.post(props, json={"name": "HEIGHT"}, headers=admin_headers)) == 409.3
    for reserved in ("name", "label", "__x", "a b"):
        response = client.post(props, json={"name": reserved}, headers=admin_headers)
        assert _problem(response) == 400.8


def test_entities_created_read_updated_deleted_and_restored(
    client: httpx.Client, admin_headers: dict[str, str], trees: str
) -> None:
    made = client.post(
        f"{trees}/entities",
        json={
            "uuid": "uuid:12345678-1234-4123-8123-1234567890AB",
            "label": "Oak",
            "data": {"species": "Oak"},
        },
        headers={**admin_headers, "User-Agent": "pyodk/1.3.0"},
    )
    assert made.status_code == 200, made.text
    entity = made.json()
    uuid = "12345678-1234-4123-8123-1234567890ab"
    assert entity["uuid"] == uuid
    assert set(entity) == ENTITY_KEYS | {"currentVersion"}
    assert set(entity["currentVersion"]) == VERSION_KEYS
    assert entity["currentVersion"]["userAgent"] == "pyodk/1.3.0"
    assert entity["currentVersion"]["dataReceived"] == {"species": "Oak", "label": "Oak"}
    url = f"{trees}/entities/{uuid}"

    stale = client.patch(
        url, params={"baseVersion": "2"}, json={"label": "x"}, headers=admin_headers
    )
    assert stale.status_code == 409 and stale.json()["code"] == 409.15
    missing = client.patch(url, json={"label": "x"}, headers=admin_headers)
    assert missing.status_code == 409
    updated = client.patch(
        url, params={"baseVersion": "1"}, json={"data": {"height": "9"}}, headers=admin_headers
    )
    assert updated.status_code == 200, updated.text
    current = updated.json()["currentVersion"]
    assert current["version"] == 2 and current["label"] == "Oak"
    assert current["data"] == {"species": "Oak", "height": "9"}
    forced = client.patch(
        url, params={"force": "True"}, json={"label": "Old oak"}, headers=admin_headers
    )
    assert forced.json()["currentVersion"]["version"] == 3
    diffs = client.get(f"{url}/diffs", headers=admin_headers).json()
    assert diffs == [
        [{"old": None, "new": "9", "propertyName": "height"}],
        [{"old": "Oak", "new": "Old oak", "propertyName": "label"}],
    ]
    versions = client.get(f"{url}/versions", headers=admin_headers).json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[0]["source"] == {}
    audits = client.get(f"{url}/audits", headers=admin_headers).json()
    assert [a["action"] for a in audits].count("entity.update.version") == 2

    assert client.delete(url, headers=admin_headers).json() == {"success": True}
    assert client.get(url, headers=admin_headers).status_code == 404
    assert client.get(f"{trees}/entities", headers=admin_headers).json() == []
    deleted = client.get(f"{trees}/entities", params={"deleted": "true"}, headers=admin_headers)
    assert [e["uuid"] for e in deleted.json()] == [uuid]
    again = client.post(
        f"{trees}/entities", json={"uuid": uuid, "label": "Oak"}, headers=admin_headers
    )
    assert _problem(again) == 409.19
    assert client.post(f"{url}/restore", headers=admin_headers).json() == {"success": True}
    assert client.get(url, headers=admin_headers).json()["currentVersion"]["label"] == "Old oak"
    duplicate = client.post(
        f"{trees}/entities", json={"uuid": uuid, "label": "Oak"}, headers=admin_headers
    )
    assert _problem(duplicate) == 409.3


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"label": "Oak", "data": {"height": 10}}, 400.11),
        ({"label": "Oak", "data": {"height": None}}, 400.11),
        ({"label": "Oak", "data": {"girth": "1"}}, 400.28),
        ({"label": "Oak", "data": {f"p{i}": "1" for i in range(10_000)}}, 400.28),
        ({"label": "Oak", "colour": "green"}, 400.31),
        ({"label": "   "}, 400.8),
        ({"label": "x" * 100_000}, 400.8),
        ({"data": {"height": "1"}}, 400.2),
        ({"label": 5}, 400.11),
        ({"label": "Oak", "uuid": "not-a-uuid"}, 400.11),
        ({"label": "Oak", "uuid": 7}, 400.11),
        ({"label": "Oak", "data": "height=1"}, 400.11),
        ({"entities": [{"label": "Oak"}]}, 400.2),
        ({"entities": [{"label": "Oak"}, {"label": ""}], "source": {"name": "x.csv"}}, 400.8),
        ([1, 2], 400.31),
    ],
)
def test_bad_entity_bodies_are_refused_and_nothing_is_half_applied(
    client: httpx.Client, admin_headers: dict[str, str], trees: str, body: Any, code: float
) -> None:
    response = client.post(f"{trees}/entities", json=body, headers=admin_headers)
    assert _problem(response) == code
    assert client.get(f"{trees}/entities", headers=admin_headers).json() == []


def test_bad_updates_are_refused(
    client: httpx.Client, admin_headers: dict[str, str], trees: str
) -> None:
    made = client.post(f"{trees}/entities", json={"label": "Oak"}, headers=admin_headers).json()
    url = f"{trees}/entities/{made['uuid']}"
    for body, code in (
        ({"data": {"height": 3}}, 400.11),
        ({"data": {"girth": "3"}}, 400.28),
        ({}, 400.28),
        ({"label": ""}, 400.8),
        ({"uuid": made["uuid"], "label": "x", "extra": 1}, 400.31),
    ):
        response = client.patch(url, params={"baseVersion": "1"}, json=body, headers=admin_headers)
        assert _problem(response) == code, body
    assert client.get(url, headers=admin_headers).json()["currentVersion"]["version"] == 1
    unknown = f"{trees}/entities/0e4a3f4c-0d4c-4c7e-9d4e-2f0a3b1c5d6e"
    assert client.get(unknown, headers=admin_headers).status_code == 404
    assert (
        client.patch(
            unknown, params={"force": "true"}, json={"label": "x"}, headers=admin_headers
        ).status_code
        == 404
    )


def test_bulk_create_and_unknown_datasets(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, trees: str
) -> None:
    bulk = client.post(
        f"{trees}/entities",
        json={
            "entities": [{"label": "Oak", "data": {"height": "1"}}, {"label": "Fir"}],
            "source": {"name": "pyodk v1.3.0", "size": 2},
        },
        headers=admin_headers,
    )
    assert bulk.status_code == 200 and bulk.json() == {"success": True}
    listed = client.get(f"{trees}/entities", headers=admin_headers).json()
    assert sorted(e["currentVersion"]["label"] for e in listed) == ["Fir", "Oak"]
    extended = client.get(
        f"/v1/projects/{project_id}/datasets",
        headers={**admin_headers, "X-Extended-Metadata": "true"},
    ).json()
    assert extended[0]["entities"] == 2 and extended[0]["lastEntity"] is not None
    for path in ("datasets/nope", "datasets/nope/entities", "datasets/..%2Fx/entities"):
        response = client.get(f"/v1/projects/{project_id}/{path}", headers=admin_headers)
        assert response.status_code == 404, (path, response.text)


def test_roles_as_for_submissions(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, trees: str
) -> None:
    app_user = create_app_user(client, admin_headers, project_id, forms=())
    phone = f"/v1/key/{app_user['token']}/projects/{project_id}"
    assert client.get(f"{phone}/datasets/trees/entities").status_code == 403
    assert client.post(f"{phone}/datasets/trees/entities", json={"label": "x"}).status_code == 403
    assert client.get(f"{phone}/datasets").status_code == 403
    assert client.get(f"{trees}/entities").status_code == 401


def test_bulk_delete_restore_creators_geojson_and_extended_metadata(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, trees: str
) -> None:
    added = client.post(f"{trees}/properties", json={"name": "geometry"}, headers=admin_headers)
    assert added.status_code == 200
    made = [
        client.post(
            f"{trees}/entities",
            json={"label": label, "data": {"geometry": geometry}},
            headers=admin_headers,
        ).json()["uuid"]
        for label, geometry in (
            ("Oak", "-5.1477 119.4327 12 4.5"),
            ("Fir", ""),
            ("Path", "-5.1 119.4 0 0;-5.2 119.5 0 0"),
        )
    ]
    collection = client.get(f"{trees}/entities.geojson", headers=admin_headers).json()
    assert collection["type"] == "FeatureCollection"
    by_id = {f["id"]: f["geometry"] for f in collection["features"]}
    assert by_id[made[0]] == {"type": "Point", "coordinates": [119.4327, -5.1477, 12]}
    assert by_id[made[2]]["type"] == "LineString" and made[1] not in by_id
    one = client.get(f"{trees}/entities/{made[0]}/geojson", headers=admin_headers).json()
    assert [f["id"] for f in one["features"]] == [made[0]]

    extended = client.get(
        f"{trees}/entities/{made[0]}", headers={**admin_headers, "X-Extended-Metadata": "true"}
    ).json()
    assert extended["creator"]["displayName"] and extended["currentVersion"]["creator"]["id"]
    creators = client.get(f"{trees}/entities/creators", headers=admin_headers).json()
    assert [c["id"] for c in creators] == [extended["creatorId"]]

    unknown = "0e4a3f4c-0d4c-4c7e-9d4e-2f0a3b1c5d6e"
    deleted = client.post(
        f"{trees}/entities/bulk-delete", json={"ids": made[:2] + [unknown]}, headers=admin_headers
    )
    assert deleted.json() == {"count": 2}
    assert [e["uuid"] for e in client.get(f"{trees}/entities", headers=admin_headers).json()] == [
        made[2]
    ]
    restored = client.post(
        f"{trees}/entities/bulk-restore", json={"ids": made}, headers=admin_headers
    )
    assert restored.json() == {"count": 2}
    bad = client.post(f"{trees}/entities/bulk-delete", json={"ids": "x"}, headers=admin_headers)
    assert bad.status_code == 400


def test_a_dataset_no_form_uses_can_be_deleted(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, trees: str
) -> None:
    from tests.entities.builders import update_form, upload

    made = client.post(
        f"{trees}/entities",
        json={"label": "Mangga", "data": {"species": "mangga", "height": "3"}},
        headers=admin_headers,
    )
    assert made.status_code == 200, made.text
    assert client.delete(trees, headers=admin_headers).json() == {"success": True}
    assert client.get(trees, headers=admin_headers).status_code == 404
    # The trash: listed with the id its routes take, and its entities still readable.
    datasets = f"/v1/projects/{project_id}/datasets"
    assert client.get(datasets, headers=admin_headers).json() == []
    [trashed] = client.get(datasets, params={"deleted": "true"}, headers=admin_headers).json()
    assert trashed["name"] == "trees" and trashed["deletedAt"] is not None
    kept = client.get(
        f"/v1/projects/{project_id}/trash/datasets/{trashed['id']}/entities.csv",
        headers=admin_headers,
    )
    assert kept.status_code == 200, kept.text
    assert kept.headers["content-disposition"] == 'attachment; filename="trees-deleted.csv"'
    assert kept.text.splitlines()[0].startswith("__id,label,species,height,")
    assert kept.text.splitlines()[1].split(",")[1:4] == ["Mangga", "mangga", "3"]
    assert (
        client.get(
            f"/v1/projects/{project_id}/trash/datasets/{trashed['id'] + 99}/entities.csv",
            headers=admin_headers,
        ).status_code
        == 404
    )
    assert upload(client, admin_headers, project_id, update_form()).status_code == 200
    refused = client.delete(trees, headers=admin_headers)
    assert refused.status_code == 409 and refused.json()["code"] == 409.21
    # The name is free again: a new list of that name, the old one still in the trash.
    live = client.get(datasets, headers=admin_headers).json()
    assert [d["name"] for d in live] == ["trees"] and "id" not in live[0]
    assert (
        client.get(
            f"/v1/projects/{project_id}/trash/datasets/{trashed['id']}/entities.csv",
            headers=admin_headers,
        ).status_code
        == 200
    )


def test_a_property_is_deleted_once_no_form_writes_it_and_no_entity_holds_a_value(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, trees: str
) -> None:
    from tests.entities.builders import create_form, upload

    uuid = "12345678-1234-4123-8234-123456789abc"
    made = client.post(
        f"{trees}/entities",
        json={"uuid": uuid, "label": "Mangga", "data": {"species": "mangga", "height": "10m"}},
        headers=admin_headers,
    )
    assert made.status_code == 200, made.text
    assert client.delete(f"{trees}/properties/tinggi", headers=admin_headers).status_code == 404
    held = client.delete(f"{trees}/properties/height", headers=admin_headers)
    assert _problem(held) == 409.22
    assert held.json()["details"]["propertyName"] == "height"
    blocking = held.json()["details"]["prerequisites"]["nonEmptyEntities"]
    assert "non-empty" in blocking["message"]
    assert blocking["details"] == {"totalCount": 1, "entities": [{"uuid": uuid, "label": "Mangga"}]}

    cleared = client.patch(
        f"{trees}/entities/{uuid}",
        params={"baseVersion": 1},
        json={"data": {"height": " "}},
        headers=admin_headers,
    )
    assert cleared.status_code == 200, cleared.text
    deleted = client.delete(f"{trees}/properties/height", headers=admin_headers)
    assert deleted.status_code == 200 and deleted.json() == {"success": True}

    # Gone from what is read (the stored versions keep what they held)...
    entity = client.get(f"{trees}/entities/{uuid}", headers=admin_headers).json()
    assert entity["currentVersion"]["data"] == {"species": "mangga"}
    versions = client.get(f"{trees}/entities/{uuid}/versions", headers=admin_headers).json()
    assert all("height" not in v["data"] for v in versions)
    assert [p["name"] for p in client.get(trees, headers=admin_headers).json()["properties"]] == [
        "species"
    ]
    csv = client.get(f"{trees}/entities.csv", headers=admin_headers).text
    assert csv.splitlines()[0].split(",")[:3] == ["__id", "label", "species"]
    assert "height" not in csv
    odata = client.get(f"{trees}.svc/Entities", headers=admin_headers).json()
    assert odata["value"][0]["species"] == "mangga" and "height" not in odata["value"][0]
    # ...no new value can be written to it, and it is recorded.
    refused = client.post(
        f"{trees}/entities",
        json={"label": "Jambu", "data": {"species": "jambu", "height": "2m"}},
        headers=admin_headers,
    )
    assert refused.status_code == 400, refused.text
    audits = client.get("/v1/audits", headers=admin_headers).json()
    deletion = [a for a in audits if a["action"] == "dataset.update.property.delete"]
    assert [a["details"] for a in deletion] == [{"properties": ["height"]}]
    # It may be made again.
    again = client.post(f"{trees}/properties", json={"name": "height"}, headers=admin_headers)
    assert again.status_code == 200, again.text

    # A property a published form saves to stays.
    assert upload(client, admin_headers, project_id, create_form()).status_code == 200
    written = client.delete(f"{trees}/properties/species", headers=admin_headers)
    assert _problem(written) == 409.22
    forms = written.json()["details"]["prerequisites"]["dependentForms"]["details"]["forms"]
    assert forms == [{"formName": "tree_registration", "xmlFormId": "tree_registration"}]
