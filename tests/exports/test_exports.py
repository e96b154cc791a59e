"""CSV zip, CSV, XLSX and GeoJSON exports against a live server, as Central makes them."""

from __future__ import annotations

import csv
import io
import zipfile

import httpx
from openpyxl import load_workbook

from tests.builders import publish_xform, submission, xform
from tests.exports.support import FORM, PHOTO, post_submission, seed

ROOT_HEADER = [
    "SubmissionDate",
    "name",
    "group-members",
    "group-values",
    "location-Latitude",
    "location-Longitude",
    "location-Altitude",
    "location-Accuracy",
    "photo",
    "meta-instanceID",
    "meta-instanceName",
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
]


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def _base(project_id: int) -> str:
    return f"/v1/projects/{project_id}/forms/{FORM}/submissions"


def test_csv_zip_files_headers_rows_and_media(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    ids = seed(client, admin_headers, project_id)
    response = client.get(_base(project_id) + ".csv.zip", headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="profil.zip"' in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    assert archive.namelist() == ["profil.csv", "profil-activity.csv", "media/a.jpg"]
    assert archive.read("media/a.jpg") == PHOTO
    root = _csv(archive.read("profil.csv"))
    assert root[0] == ROOT_HEADER
    assert [r[11] for r in root[1:]] == ids[::-1]  # newest first, as Central
    oldest = dict(zip(root[0], root[3], strict=True))
    assert oldest["name"] == "Koperasi Wanita Sejahtera"
    assert oldest["group-members"] == "23" and oldest["group-values"] == "a b"
    assert (oldest["location-Latitude"], oldest["location-Longitude"]) == ("-5.1477", "119.4327")
    assert (oldest["location-Altitude"], oldest["location-Accuracy"]) == ("12.0", "4.5")
    assert oldest["photo"] == "a.jpg"
    assert (oldest["AttachmentsPresent"], oldest["AttachmentsExpected"]) == ("1", "1")
    assert oldest["SubmitterName"] == "koordinator@example.org"
    assert (oldest["Edits"], oldest["FormVersion"], oldest["Status"]) == ("0", "1", "")
    assert root[1][1] == 'Warung, "Ibu"'
    assert b'"Warung, ""Ibu"""' in archive.read("profil.csv")
    repeat = _csv(archive.read("profil-activity.csv"))
    assert repeat == [
        ["kind", "income", "PARENT_KEY", "KEY"],
        ["padi", "900", "uuid:bbb-2", "uuid:bbb-2/activity[1]"],
        ["tenun", "1500000", "uuid:aaa-1", "uuid:aaa-1/activity[1]"],
        ["kopi", "250000", "uuid:aaa-1", "uuid:aaa-1/activity[2]"],
    ]
    etag = response.headers["etag"]
    again = client.get(
        _base(project_id) + ".csv.zip", headers={**admin_headers, "If-None-Match": etag}
    )
    assert again.status_code == 304


def test_csv_zip_options_and_post_body(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    seed(client, admin_headers, project_id)
    response = client.post(
        _base(project_id) + ".csv.zip",
        headers=admin_headers,
        json={"attachments": False, "groupPaths": False, "splitSelectMultiples": True},
    )
    assert response.status_code == 200, response.text
    assert 'filename="profil.csv.zip"' in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["profil.csv", "profil-activity.csv"]
    header, first, *_ = _csv(archive.read("profil.csv"))
    assert header[1:6] == ["name", "members", "values", "values/a", "values/b"]
    assert first[3:6] == ["a b", "1", "1"]
    assert "instanceID" in header
    filtered = client.get(
        _base(project_id) + ".csv.zip",
        params={"attachments": "false", "$filter": "__system/submitterId eq 999"},
        headers=admin_headers,
    )
    rows = _csv(zipfile.ZipFile(io.BytesIO(filtered.content)).read("profil.csv"))
    assert len(rows) == 1


def test_csv_root_only_and_filters(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    ids = seed(client, admin_headers, project_id)
    response = client.get(_base(project_id) + ".csv", headers=admin_headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = _csv(response.content)
    assert rows[0] == ROOT_HEADER and len(rows) == 4
    year = client.get(
        _base(project_id) + ".csv",
        params={
            "$filter": "year(__system/submissionDate) ge 2000 and __system/reviewState eq null"
        },
        headers=admin_headers,
    )
    assert len(_csv(year.content)) == 4
    none = client.get(
        _base(project_id) + ".csv",
        params={"$filter": "__system/submissionDate lt 2001-01-01"},
        headers=admin_headers,
    )
    assert len(_csv(none.content)) == 1
    bad = client.get(_base(project_id) + ".csv", params={"$filter": "year("}, headers=admin_headers)
    assert bad.status_code == 400 and bad.json()["code"] == 400.18
    field = client.get(
        _base(project_id) + ".csv", params={"$filter": "name eq 'x'"}, headers=admin_headers
    )
    assert field.status_code == 501 and field.json()["code"] == 501.5
    anonymous = client.get(_base(project_id) + ".csv")
    assert anonymous.status_code == 401
    assert ids


def test_columns_cover_deleted_fields_of_older_versions(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    seed(client, admin_headers, project_id)
    newer = (
        xform(version="2")
        .replace(b"<name/>", b"")
        .replace(b'<bind nodeset="/data/name" type="string"/>', b"")
        .replace(b'<input ref="/data/name"><label>Nama</label></input>', b"")
    )
    draft = client.post(
        f"/v1/projects/{project_id}/forms/{FORM}/draft",
        content=newer,
        headers={**admin_headers, "Content-Type": "application/xml"},
    )
    assert draft.status_code == 200, draft.text
    published = client.post(
        f"/v1/projects/{project_id}/forms/{FORM}/draft/publish", headers=admin_headers
    )
    assert published.status_code == 200, published.text
    current = _csv(client.get(_base(project_id) + ".csv", headers=admin_headers).content)
    assert "name" not in current[0]
    merged = _csv(
        client.get(
            _base(project_id) + ".csv", params={"deletedFields": "true"}, headers=admin_headers
        ).content
    )
    assert merged[0][:2] == ["SubmissionDate", "name"]


def test_xlsx_sheets_and_label_row(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    seed(client, admin_headers, project_id)
    response = client.get(
        _base(project_id) + ".xlsx", params={"labels": "true"}, headers=admin_headers
    )
    assert response.status_code == 200, response.text
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["profil", "profil-activity"]
    root = [list(r) for r in workbook["profil"].iter_rows(values_only=True)]
    assert list(root[0]) == ROOT_HEADER
    assert root[1][1:4] == ["Nama", "Anggota", "Nilai"]
    assert root[1][4:8] == ["Lokasi"] * 4
    assert len(root) == 5 and root[4][1] == "Koperasi Wanita Sejahtera"
    repeat = [list(r) for r in workbook["profil-activity"].iter_rows(values_only=True)]
    assert repeat[0] == ["kind", "income", "PARENT_KEY", "KEY"]
    assert repeat[1] == ["Jenis", "Pendapatan", None, None]
    assert repeat[2][:2] == ["padi", "900"] and len(repeat) == 5
    workbook.close()


def test_geojson_feature_collection(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    seed(client, admin_headers, project_id)
    post_submission(
        client,
        admin_headers,
        project_id,
        submission(instance_id="uuid:no-geo").replace(
            b"<location>-5.1477 119.4327 12.0 4.5</location>", b"<location/>"
        ),
    )
    response = client.get(_base(project_id) + ".geojson", headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert [f["id"] for f in features] == ["uuid:ccc-3", "uuid:bbb-2", "uuid:aaa-1"]
    for feature in features:
        assert feature["type"] == "Feature"
        assert feature["geometry"] == {"type": "Point", "coordinates": [119.4327, -5.1477, 12]}
        lon, lat = feature["geometry"]["coordinates"][:2]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert feature["properties"]["fieldpath"] == "/location"
    assert features[2]["properties"]["name"] == "Koperasi Wanita Sejahtera"
    limited = client.get(
        _base(project_id) + ".geojson", params={"limit": "1"}, headers=admin_headers
    )
    assert len(limited.json()["features"]) == 1


def test_export_of_a_form_without_submissions(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    assert publish_xform(client, admin_headers, project_id, xform()).status_code == 200
    response = client.get(_base(project_id) + ".csv.zip", headers=admin_headers)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert _csv(archive.read("profil.csv")) == [ROOT_HEADER]
    assert _csv(archive.read("profil-activity.csv")) == [["kind", "income", "PARENT_KEY", "KEY"]]
    missing = client.get(
        f"/v1/projects/{project_id}/forms/nope/submissions.csv.zip", headers=admin_headers
    )
    assert missing.status_code == 404
