"""OData v4 as Central serves it: service document, $metadata, pages, filters, repeats,
and pyODK's ``submissions.get_table`` against the live server."""

from __future__ import annotations

import base64
import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from server.store import exports as store
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD, submission
from tests.exports.support import FORM, post_submission, seed
from tests.sync.test_pyodk import pyodk_client

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


def _svc(project_id: int) -> str:
    return f"/v1/projects/{project_id}/forms/{FORM}.svc"


def test_service_document_and_metadata(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, base_url: str
) -> None:
    seed(client, admin_headers, project_id)
    service = client.get(_svc(project_id), headers=admin_headers)
    assert service.status_code == 200, service.text
    assert service.json() == {
        "@odata.context": f"{base_url}{_svc(project_id)}/$metadata",
        "value": [
            {"name": "Submissions", "kind": "EntitySet", "url": "Submissions"},
            {"name": "Submissions.activity", "kind": "EntitySet", "url": "Submissions.activity"},
        ],
    }
    metadata = client.get(_svc(project_id) + "/$metadata", headers=admin_headers)
    assert metadata.status_code == 200
    assert metadata.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(metadata.content)
    types = {
        e.get("Name"): {p.get("Name"): p.get("Type") for p in e if p.get("Type")}
        for e in root.iter(f"{EDM}EntityType", f"{EDM}ComplexType")
    }
    submissions = types["Submissions"]
    assert submissions["__system"] == "org.opendatakit.submission.metadata"
    assert submissions["location"] == "Edm.GeographyPoint"
    assert submissions["group"] == "org.opendatakit.user.profil.group"
    assert submissions["activity"] == "Collection(org.opendatakit.user.profil.Submissions.activity)"
    assert types["group"] == {"members": "Edm.Int64", "values": "Edm.String"}
    assert types["Submissions.activity"]["__Submissions-id"] == "Edm.String"
    assert types["Submissions.activity"]["income"] == "Edm.Decimal"
    basic = base64.b64encode(f"{ADMIN_EMAIL}:{ADMIN_PASSWORD}".encode()).decode()
    with_basic = client.get(_svc(project_id), headers={"Authorization": f"Basic {basic}"})
    assert with_basic.status_code == 200
    assert client.get(_svc(project_id)).status_code == 401


def test_submissions_paging_is_stable_while_submissions_arrive(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, base_url: str
) -> None:
    ids = seed(client, admin_headers, project_id)
    first = client.get(
        _svc(project_id) + "/Submissions",
        params={"$top": "2", "$count": "true"},
        headers=admin_headers,
    ).json()
    assert [e["__id"] for e in first["value"]] == [ids[2], ids[1]]
    assert first["@odata.count"] == 3
    assert first["@odata.context"] == f"{base_url}{_svc(project_id)}/$metadata#Submissions"
    entity = first["value"][1]
    assert entity["group"] == {"members": 23, "values": "a b"}
    assert entity["location"] == {
        "type": "Point",
        "coordinates": [119.4327, -5.1477, 12],
        "properties": {"accuracy": 4.5},
    }
    assert entity["__system"]["submitterName"] == "koordinator@example.org"
    assert entity["activity@odata.navigationLink"] == "Submissions('uuid%3Abbb-2')/activity"
    post_submission(client, admin_headers, project_id, submission(instance_id="uuid:ddd-4"))
    following = client.get(first["@odata.nextLink"], headers=admin_headers).json()
    assert [e["__id"] for e in following["value"]] == [ids[0]]
    assert "@odata.nextLink" not in following
    skipped = client.get(
        _svc(project_id) + "/Submissions",
        params={"$skip": "3", "$wkt": "true"},
        headers=admin_headers,
    ).json()
    assert [e["__id"] for e in skipped["value"]] == [ids[0]]
    assert skipped["value"][0]["location"] == "POINT (119.4327 -5.1477 12)"


def test_filters_select_expand_and_refusals(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    ids = seed(client, admin_headers, project_id)
    url = _svc(project_id) + "/Submissions"

    def get(**params: str) -> httpx.Response:
        return client.get(url, params=params, headers=admin_headers)

    assert len(get(**{"$filter": "__system/submitterId eq 1"}).json()["value"]) == 3
    assert get(**{"$filter": "__system/submitterId ne 1"}).json()["value"] == []
    assert len(get(**{"$filter": "not (__system/reviewState eq 'approved')"}).json()["value"]) == 3
    assert (
        get(
            **{
                "$filter": "__system/submissionDate gt now()"
                " or month(__system/submissionDate) eq 13"
            }
        ).json()["value"]
        == []
    )
    selected = get(**{"$select": "__id,name,group/members", "$top": "1"}).json()["value"]
    assert selected == [{"name": 'Warung, "Ibu"', "group": {"members": 23}, "__id": ids[2]}]
    expanded = get(**{"$expand": "*", "$filter": "__system/submitterId eq 1"}).json()["value"]
    assert [a["kind"] for a in expanded[2]["activity"]] == ["tenun", "kopi"]
    one = client.get(f"{url}('{ids[0]}')", headers=admin_headers).json()["value"]
    assert [e["__id"] for e in one] == [ids[0]]
    assert client.get(f"{url}('uuid:nope')", headers=admin_headers).status_code == 404
    assert get(**{"$expand": "activity"}).json()["code"] == 501.6
    assert get(**{"$orderby": "name"}).json()["code"] == 501.5
    assert get(**{"$orderby": "__id sideways"}).json()["code"] == 501.5
    both = get(**{"$orderby": "__id", "$skiptoken": "x"}).json()
    assert both["code"] == 501.1
    assert get(**{"$filter": "name eq 'x'"}).json()["code"] == 501.5
    assert get(**{"$filter": "length(__system/reviewState) eq 1"}).json()["code"] == 501.4
    assert get(**{"$filter": "__system/submitterId eq"}).json()["code"] == 400.18
    assert get(**{"$skiptoken": "nonsense"}).json()["code"] == 400.35
    assert get(**{"$select": "nope"}).json()["code"] == 400.23
    assert client.get(_svc(project_id) + "/Nope", headers=admin_headers).status_code == 404


def test_repeat_table_pages(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    seed(client, admin_headers, project_id)
    url = _svc(project_id) + "/Submissions.activity"
    everything = client.get(url, params={"$count": "true"}, headers=admin_headers).json()
    rows = everything["value"]
    assert everything["@odata.count"] == 3 and "@odata.nextLink" not in everything
    assert [(r["kind"], r["income"], r["__Submissions-id"]) for r in rows] == [
        ("padi", 900, "uuid:bbb-2"),
        ("tenun", 1500000, "uuid:aaa-1"),
        ("kopi", 250000, "uuid:aaa-1"),
    ]
    seen = []
    page = client.get(url, params={"$top": "1"}, headers=admin_headers).json()
    while True:
        seen += [r["__id"] for r in page["value"]]
        if "@odata.nextLink" not in page:
            break
        page = client.get(page["@odata.nextLink"], headers=admin_headers).json()
    assert seen == [r["__id"] for r in rows]
    skipped = client.get(url, params={"$skip": "2"}, headers=admin_headers).json()["value"]
    assert [r["kind"] for r in skipped] == ["kopi"]
    nested = client.get(
        _svc(project_id) + "/Submissions('uuid:aaa-1')/activity", headers=admin_headers
    ).json()["value"]
    assert [r["kind"] for r in nested] == ["tenun", "kopi"]
    expanded = client.get(
        _svc(project_id) + "/Submissions", params={"$expand": "*"}, headers=admin_headers
    ).json()["value"]
    assert [a["__id"] for a in expanded[2]["activity"]] == [r["__id"] for r in rows[1:]]


def test_pyodk_get_table(
    tmp_path: Path,
    base_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    ids = seed(client, admin_headers, project_id)
    with pyodk_client(tmp_path, base_url, project_id) as odk:
        table = odk.submissions.get_table(form_id=FORM)
        assert [r["__id"] for r in table["value"]] == ids[::-1]
        assert table["value"][2]["name"] == "Koperasi Wanita Sejahtera"
        filtered = odk.submissions.get_table(
            form_id=FORM, filter=f"__system/submissionDate le {_iso(table, 1)}", count=True
        )
        assert [r["__id"] for r in filtered["value"]] == [ids[1], ids[0]]
        assert filtered["@odata.count"] == 2
        paged = odk.submissions.get_table(form_id=FORM, top=1, skip=1, count=True)
        assert [r["__id"] for r in paged["value"]] == [ids[1]]
        assert paged["@odata.count"] == 3 and "@odata.nextLink" in paged
        repeat = odk.submissions.get_table(form_id=FORM, table_name="Submissions.activity")
        assert [r["kind"] for r in repeat["value"]] == ["padi", "tenun", "kopi"]
        expanded = odk.submissions.get_table(form_id=FORM, expand="*", wkt=True)
        assert expanded["value"][2]["location"] == "POINT (119.4327 -5.1477 12)"
        assert len(expanded["value"][2]["activity"]) == 2


def _iso(table: dict[str, list[dict[str, dict[str, str]]]], index: int) -> str:
    return table["value"][index]["__system"]["submissionDate"]


def test_exports_and_pages_span_many_store_pages(
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = seed(client, admin_headers, project_id)
    for n in range(4):
        post_submission(client, admin_headers, project_id, submission(instance_id=f"uuid:p-{n}"))
    monkeypatch.setattr(store, "PAGE_SIZE", 2)
    newest_first = [f"uuid:p-{n}" for n in reversed(range(4))] + ids[::-1]
    archive = zipfile.ZipFile(
        io.BytesIO(
            client.get(
                f"/v1/projects/{project_id}/forms/{FORM}/submissions.csv.zip",
                headers=admin_headers,
            ).content
        )
    )
    root = list(csv.reader(io.StringIO(archive.read("profil.csv").decode())))
    assert [r[11] for r in root[1:]] == newest_first
    assert len(archive.read("profil-activity.csv").decode().splitlines()) == 1 + 8 + 3
    url = _svc(project_id) + "/Submissions"
    everything = client.get(url, headers=admin_headers).json()["value"]
    assert [e["__id"] for e in everything] == newest_first
    seen: list[str] = []
    page = client.get(url, params={"$top": "3"}, headers=admin_headers).json()
    while True:
        seen += [e["__id"] for e in page["value"]]
        if "@odata.nextLink" not in page:
            break
        page = client.get(page["@odata.nextLink"], headers=admin_headers).json()
    assert seen == newest_first
    repeat = client.get(
        _svc(project_id) + "/Submissions.activity",
        params={"$count": "true"},
        headers=admin_headers,
    ).json()
    assert repeat["@odata.count"] == 11 and len(repeat["value"]) == 11


def test_every_odata_answer_carries_the_odata_version(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    seed(client, admin_headers, project_id)
    for path in ("", "/$metadata", "/Submissions", "/Submissions.activity", "/Nope"):
        response = client.get(_svc(project_id) + path, headers=admin_headers)
        assert response.headers["odata-version"] == "4.0", path
    refused = client.get(_svc(project_id) + "/Submissions")
    assert refused.status_code == 401 and refused.headers["odata-version"] == "4.0"
    assert "odata-version" not in client.get("/v1/projects", headers=admin_headers).headers


def test_filter_on_id_and_orderby_both_ways(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    ids = seed(client, admin_headers, project_id)
    url = _svc(project_id) + "/Submissions"

    def get(**params: str) -> dict[str, Any]:
        response = client.get(url, params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        return response.json()

    only = get(**{"$filter": f"__id eq '{ids[1]}'"})["value"]
    assert [e["__id"] for e in only] == [ids[1]]
    others = get(**{"$filter": f"__id ne '{ids[1]}'"})["value"]
    assert [e["__id"] for e in others] == [ids[2], ids[0]]
    oldest = get(**{"$orderby": "__system/submissionDate asc"})["value"]
    assert [e["__id"] for e in oldest] == ids
    newest = get(**{"$orderby": "__system/submissionDate desc"})["value"]
    assert [e["__id"] for e in newest] == ids[::-1]
    by_id = get(**{"$orderby": "__id desc", "$top": "2"})
    assert [e["__id"] for e in by_id["value"]] == [ids[2], ids[1]]
    following = client.get(by_id["@odata.nextLink"], headers=admin_headers).json()
    assert "$skip=2" in by_id["@odata.nextLink"]
    assert [e["__id"] for e in following["value"]] == [ids[0]]
    rows = client.get(
        url + ".activity",
        params={"$orderby": "$root/Submissions/__system/submissionDate asc"},
        headers=admin_headers,
    ).json()["value"]
    assert [r["kind"] for r in rows][-1] == "padi"


def test_pyodk_get_table_with_a_filter_on_id_and_an_order(
    tmp_path: Path,
    base_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    ids = seed(client, admin_headers, project_id)
    with pyodk_client(tmp_path, base_url, project_id) as odk:
        table = odk.submissions.get_table(form_id=FORM, filter=f"__id eq '{ids[0]}'")
        assert [e["__id"] for e in table["value"]] == [ids[0]]
        ordered = odk.submissions.get_table(
            form_id=FORM, filter="__system/submitterId eq 1", expand="*"
        )
        assert len(ordered["value"]) == 3
        raw = odk.get(
            f"projects/{project_id}/forms/{FORM}.svc/Submissions",
            params={"$orderby": "__system/submissionDate asc"},
        )
        assert raw.headers["OData-Version"] == "4.0"
        assert [e["__id"] for e in raw.json()["value"]] == ids
