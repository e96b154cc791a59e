"""What analysts read: ``entities.csv``, OData over a dataset, and pyODK's entity calls."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from tests.entities.builders import create_form, create_submission, submit, upload
from tests.sync.test_pyodk import pyodk_client


@pytest.fixture
def trees(client: httpx.Client, admin_headers: dict[str, str], project_id: int) -> list[str]:
    """Three entities of ``trees`` from submissions, oldest first; returns their uuids."""
    assert upload(client, admin_headers, project_id, create_form()).status_code == 200
    uuids = []
    for species, height in (("Oak", "10"), ("Fir", ""), ("Pine", "30")):
        xml, uuid = create_submission(label=species, values={"species": species, "height": height})
        assert submit(client, admin_headers, project_id, xml).status_code == 201
        uuids.append(uuid)
    return uuids


def test_entities_csv_has_centrals_columns(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, trees: list[str]
) -> None:
    response = client.get(
        f"/v1/projects/{project_id}/datasets/trees/entities.csv", headers=admin_headers
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "__id",
        "label",
        "species",
        "height",
        "__createdAt",
        "__creatorId",
        "__creatorName",
        "__updates",
        "__updatedAt",
        "__version",
    ]
    assert [r[0] for r in rows[1:]] == list(reversed(trees))
    pine = rows[1]
    assert pine[1:4] == ["Pine", "Pine", "30"] and pine[7:] == ["0", "", "1"]
    assert rows[2][3] == ""
    etag = response.headers["etag"]
    cached = client.get(
        f"/v1/projects/{project_id}/datasets/trees/entities.csv",
        headers={**admin_headers, "If-None-Match": etag},
    )
    assert cached.status_code == 304
    filtered = client.get(
        f"/v1/projects/{project_id}/datasets/trees/entities.csv",
        params={"$filter": f"__id eq '{trees[0]}' or __id eq '{trees[2]}'"},
        headers=admin_headers,
    )
    assert [r[0] for r in list(csv.reader(io.StringIO(filtered.text)))[1:]] == [trees[2], trees[0]]
    bad = client.get(
        f"/v1/projects/{project_id}/datasets/trees/entities.csv",
        params={"$filter": "__id eq"},
        headers=admin_headers,
    )
    assert bad.status_code == 400 and bad.json()["code"] == 400.18


def test_odata_service_metadata_and_entities(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, trees: list[str]
) -> None:
    service = f"/v1/projects/{project_id}/datasets/trees.svc"
    document = client.get(service, headers=admin_headers).json()
    assert document["value"] == [{"name": "Entities", "kind": "EntitySet", "url": "Entities"}]
    assert document["@odata.context"].endswith("/datasets/trees.svc/$metadata")
    metadata = client.get(f"{service}/$metadata", headers=admin_headers).text
    assert '<ComplexType Name="metadata">' in metadata
    assert '<Property Name="species" Type="Edm.String"/>' in metadata

    first = client.get(
        f"{service}/Entities", params={"$top": "2", "$count": "true"}, headers=admin_headers
    ).json()
    assert [e["__id"] for e in first["value"]] == [trees[2], trees[1]]
    assert first["@odata.count"] == 3
    fir = first["value"][1]
    assert fir["label"] == "Fir" and fir["height"] == "" and fir["species"] == "Fir"
    assert fir["__system"]["creatorId"].isdigit() and fir["__system"]["version"] == 1
    assert fir["__system"]["updates"] == 0 and "deletedAt" not in fir["__system"]
    following = client.get(first["@odata.nextLink"], headers=admin_headers).json()
    assert [e["__id"] for e in following["value"]] == [trees[0]]
    assert "@odata.nextLink" not in following

    skipped = client.get(f"{service}/Entities", params={"$skip": "2"}, headers=admin_headers)
    assert [e["__id"] for e in skipped.json()["value"]] == [trees[0]]
    filtered = client.get(
        f"{service}/Entities", params={"$filter": f"__id eq '{trees[1]}'"}, headers=admin_headers
    )
    assert [e["__id"] for e in filtered.json()["value"]] == [trees[1]]
    none = client.get(
        f"{service}/Entities",
        params={"$filter": "__system/conflict ne null"},
        headers=admin_headers,
    )
    assert none.json()["value"] == []
    selected = client.get(
        f"{service}/Entities", params={"$select": "__id,height"}, headers=admin_headers
    ).json()
    assert selected["value"][0] == {"__id": trees[2], "height": "30"}
    quirk = client.get(f"{service}/Entities", params={"$select": "label"}, headers=admin_headers)
    assert quirk.status_code == 400 and quirk.json()["code"] == 400.23
    bad = client.get(
        f"{service}/Entities", params={"$filter": "height eq '1'"}, headers=admin_headers
    )
    assert bad.status_code == 501


def test_odata_entities_orderby(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, trees: list[str]
) -> None:
    service = f"/v1/projects/{project_id}/datasets/trees.svc"

    def ids(params: dict[str, str]) -> list[str]:
        response = client.get(f"{service}/Entities", params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        return [e["__id"] for e in response.json()["value"]]

    assert ids({"$orderby": "__system/createdAt asc"}) == trees
    assert ids({"$orderby": "__system/createdAt desc"}) == trees[::-1]
    first = client.get(
        f"{service}/Entities",
        params={"$orderby": "__system/createdAt", "$top": "2"},
        headers=admin_headers,
    ).json()
    assert [e["__id"] for e in first["value"]] == trees[:2]
    assert "%24skip=2" in first["@odata.nextLink"] or "$skip=2" in first["@odata.nextLink"]
    following = client.get(first["@odata.nextLink"], headers=admin_headers).json()
    assert [e["__id"] for e in following["value"]] == trees[2:]

    # Never-updated entities sort after the updated one going up, as PostgreSQL sorts nulls.
    patched = client.patch(
        f"/v1/projects/{project_id}/datasets/trees/entities/{trees[0]}",
        params={"baseVersion": "1"},
        json={"data": {"height": "12"}},
        headers=admin_headers,
    )
    assert patched.status_code == 200, patched.text
    assert ids({"$orderby": "__system/updatedAt asc"}) == [trees[0], trees[2], trees[1]]
    assert ids({"$orderby": "__system/updatedAt desc"}) == [trees[2], trees[1], trees[0]]
    assert ids({"$orderby": "__id", "$filter": f"__id ne '{trees[1]}'"}) == sorted(
        [trees[0], trees[2]]
    )
    both = {"$orderby": "__id", "$skiptoken": "01e30="}
    mixed = client.get(f"{service}/Entities", params=both, headers=admin_headers)
    assert mixed.status_code == 501 and mixed.json()["code"] == 501.1
    unknown = client.get(f"{service}/Entities", params={"$orderby": "label"}, headers=admin_headers)
    assert unknown.status_code == 501 and unknown.json()["code"] == 501.5


def test_pyodk_entity_lists_and_entities(
    tmp_path: Path,
    base_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    with pyodk_client(tmp_path, base_url, project_id) as odk:
        made = odk.entity_lists.create(entity_list_name="inisiatif")
        assert made.name == "inisiatif" and made.approvalRequired is False
        assert odk.entity_lists.add_property(name="desa", entity_list_name="inisiatif")
        assert odk.entity_lists.add_property(name="status", entity_list_name="inisiatif")
        assert [d.name for d in odk.entity_lists.list()] == ["inisiatif"]
        assert odk.entity_lists.get(entity_list_name="inisiatif").name == "inisiatif"
        entity = odk.entities.create(
            label="Koperasi Wanita Sejahtera - Barombong",
            data={"desa": "Barombong", "status": "aktif"},
            entity_list_name="inisiatif",
        )
        assert entity.currentVersion.version == 1
        odk.entities.create_many(
            data=[
                {"label": "Kelompok Tenun - Galesong", "desa": "Galesong", "status": "aktif"},
                {"label": "Dapur Bersama - Takalar", "desa": "Takalar", "status": "baru"},
            ],
            entity_list_name="inisiatif",
        )
        assert len(odk.entities.list(entity_list_name="inisiatif")) == 3
        updated = odk.entities.update(
            uuid=entity.uuid,
            entity_list_name="inisiatif",
            data={"status": "tutup"},
            base_version=1,
        )
        assert updated.currentVersion.data["status"] == "tutup"
        forced = odk.entities.update(
            uuid=entity.uuid, entity_list_name="inisiatif", label="KWS - Barombong", force=True
        )
        assert forced.currentVersion.version == 3
        table = odk.entities.get_table(entity_list_name="inisiatif", count=True, top=2)
        assert table["@odata.count"] == 3 and len(table["value"]) == 2
        odk.entities.merge(
            data=[
                {"label": "KWS - Barombong", "desa": "Barombong", "status": "aktif"},
                {"label": "Warung Ibu - Maros", "desa": "Maros", "status": "baru"},
            ],
            entity_list_name="inisiatif",
            match_keys=["label"],
            delete_not_matched=True,
        )
        rows = odk.entities.get_table(entity_list_name="inisiatif")["value"]
        assert sorted((r["label"], r["status"]) for r in rows) == [
            ("KWS - Barombong", "aktif"),
            ("Warung Ibu - Maros", "baru"),
        ]
        assert odk.entities.delete(uuid=entity.uuid, entity_list_name="inisiatif")
        assert len(odk.entities.list(entity_list_name="inisiatif")) == 1
