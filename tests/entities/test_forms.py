"""Forms that declare entities: versions, names, publishing, drafts, dataset-diff."""

from __future__ import annotations

import httpx
import pytest

from tests.builders import XLSX, xlsform
from tests.entities.builders import create_form, update_form, upload


def _datasets(client: httpx.Client, headers: dict[str, str], project_id: int) -> list[dict]:
    response = client.get(f"/v1/projects/{project_id}/datasets", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_publishing_a_create_form_makes_the_dataset_and_its_properties(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    assert upload(client, admin_headers, project_id, create_form()).status_code == 200
    listed = _datasets(client, admin_headers, project_id)
    assert [(d["name"], d["approvalRequired"], d["projectId"]) for d in listed] == [
        ("trees", False, project_id)
    ]
    found = client.get(f"/v1/projects/{project_id}/datasets/trees", headers=admin_headers).json()
    assert [p["name"] for p in found["properties"]] == ["species", "height"]
    assert found["sourceForms"] == [{"name": "tree_registration", "xmlFormId": "tree_registration"}]
    assert found["properties"][0]["forms"] == found["sourceForms"]
    assert found["linkedForms"] == [] and found["lastUpdate"] is not None


@pytest.mark.parametrize(
    ("entities_version", "reason"),
    [
        ("2021.1.0", "Entities specification version [2021.1.0] is not supported."),
        ("2025.2.0", "Entities specification version [2025.2.0] is not supported."),
        ("", "Entities specification version is missing."),
        ("banana", "Entities specification version [banana] is not supported."),
    ],
)
def test_unsupported_entities_versions_are_refused(
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    entities_version: str,
    reason: str,
) -> None:
    response = upload(
        client, admin_headers, project_id, create_form(entities_version=entities_version)
    )
    assert response.status_code == 400
    assert response.json()["code"] == 400.25
    assert response.json()["details"]["reason"] == reason
    assert _datasets(client, admin_headers, project_id) == []


def test_an_old_entities_version_is_a_warning(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    old = create_form(entities_version="2022.1.0")
    warned = upload(client, admin_headers, project_id, old)
    assert warned.status_code == 400 and warned.json()["code"] == 400.16
    [warning] = warned.json()["details"]["warnings"]["workflowWarnings"]
    assert warning["type"] == "oldEntityVersion"
    accepted = upload(client, admin_headers, project_id, old, ignoreWarnings="true")
    assert accepted.status_code == 200, accepted.text
    assert [d["name"] for d in _datasets(client, admin_headers, project_id)] == ["trees"]


@pytest.mark.parametrize("name", ["__trees", "tre.es", "1trees", "tr/ees", "tr ees"])
def test_bad_dataset_names_are_refused(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, name: str
) -> None:
    response = upload(client, admin_headers, project_id, create_form(dataset=name))
    assert response.status_code == 400
    assert response.json()["code"] in (400.25, 400.1)
    assert _datasets(client, admin_headers, project_id) == []


@pytest.mark.parametrize("prop", ["name", "LABEL", "__x", "1st"])
def test_bad_property_names_are_refused(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, prop: str
) -> None:
    form = create_form(
        properties=("species", "extra"), saveto={"species": "species", "extra": prop}
    )
    response = upload(client, admin_headers, project_id, form)
    assert response.status_code == 400
    assert response.json()["code"] == 400.25
    assert response.json()["details"]["reason"] == "Invalid entity property name."


def test_a_draft_keeps_its_dataset_unpublished_until_it_is_published(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    assert (
        upload(client, admin_headers, project_id, create_form(), publish=False).status_code == 200
    )
    assert _datasets(client, admin_headers, project_id) == []
    unknown = client.get(f"/v1/projects/{project_id}/datasets/trees", headers=admin_headers)
    assert unknown.status_code == 404
    diff = client.get(
        f"/v1/projects/{project_id}/forms/tree_registration/draft/dataset-diff",
        headers=admin_headers,
    )
    assert diff.json() == [
        {
            "name": "trees",
            "isNew": True,
            "properties": [
                {"name": "species", "inForm": True, "isNew": True},
                {"name": "height", "inForm": True, "isNew": True},
            ],
        }
    ]
    published = client.post(
        f"/v1/projects/{project_id}/forms/tree_registration/draft/publish", headers=admin_headers
    )
    assert published.status_code == 200
    assert [d["name"] for d in _datasets(client, admin_headers, project_id)] == ["trees"]
    diff = client.get(
        f"/v1/projects/{project_id}/forms/tree_registration/dataset-diff", headers=admin_headers
    )
    assert diff.json() == [
        {
            "name": "trees",
            "properties": [
                {"name": "species", "inForm": True},
                {"name": "height", "inForm": True},
            ],
        }
    ]


def test_a_new_draft_property_stays_unpublished_while_the_dataset_is_live(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    upload(client, admin_headers, project_id, create_form(properties=("species",)))
    draft = client.post(
        f"/v1/projects/{project_id}/forms/tree_registration/draft",
        content=create_form(version="2", properties=("species", "circumference")),
        headers={**admin_headers, "Content-Type": "application/xml"},
    )
    assert draft.status_code == 200, draft.text
    found = client.get(f"/v1/projects/{project_id}/datasets/trees", headers=admin_headers).json()
    assert [p["name"] for p in found["properties"]] == ["species"]
    diff = client.get(
        f"/v1/projects/{project_id}/forms/tree_registration/draft/dataset-diff",
        headers=admin_headers,
    ).json()
    assert diff[0]["isNew"] is False
    assert diff[0]["properties"] == [
        {"name": "species", "inForm": True, "isNew": False},
        {"name": "circumference", "inForm": True, "isNew": True},
    ]


def test_a_case_only_clash_with_an_existing_dataset_is_refused(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    upload(client, admin_headers, project_id, create_form())
    clash = upload(client, admin_headers, project_id, create_form("other", dataset="Trees"))
    assert clash.status_code == 409 and clash.json()["code"] == 409.16


def test_an_encrypted_form_makes_no_dataset(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    from server.data.encryption import generate_managed_key
    from server.data.xform import with_public_key

    public, _ = generate_managed_key("unused passphrase")
    form = with_public_key(create_form(), public, "")
    assert upload(client, admin_headers, project_id, form).status_code == 200
    assert _datasets(client, admin_headers, project_id) == []
    diff = client.get(
        f"/v1/projects/{project_id}/forms/tree_registration/dataset-diff", headers=admin_headers
    )
    assert diff.json() == []


def test_an_update_form_needs_its_dataset_linked_only_once_it_exists(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    assert upload(client, admin_headers, project_id, update_form()).status_code == 200
    found = client.get(f"/v1/projects/{project_id}/datasets/trees", headers=admin_headers).json()
    assert found["linkedForms"] == [{"name": "tree_update", "xmlFormId": "tree_update"}]
    assert found["sourceForms"] == [{"name": "tree_update", "xmlFormId": "tree_update"}]
    attachments = client.get(
        f"/v1/projects/{project_id}/forms/tree_update/attachments", headers=admin_headers
    ).json()
    assert attachments == [
        {
            "name": "trees.csv",
            "type": "file",
            "hash": None,
            "exists": True,
            "blobExists": False,
            "datasetExists": True,
        }
    ]


def test_an_xlsform_with_an_entities_sheet_declares_its_dataset(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    import io

    from openpyxl import load_workbook

    book = load_workbook(
        io.BytesIO(
            xlsform(
                [
                    ["type", "name", "label", "save_to"],
                    ["text", "nama", "Nama inisiatif", "nama"],
                    ["text", "desa", "Desa", "desa"],
                ],
                settings=[["form_id", "version"], ["profil_inisiatif", "1"]],
            )
        )
    )
    sheet = book.create_sheet("entities")
    sheet.append(["list_name", "label"])
    sheet.append(["inisiatif", "concat(${nama}, ' - ', ${desa})"])
    out = io.BytesIO()
    book.save(out)
    response = client.post(
        f"/v1/projects/{project_id}/forms",
        params={"publish": "true"},
        content=out.getvalue(),
        headers={**admin_headers, "Content-Type": XLSX},
    )
    assert response.status_code == 200, response.text
    found = client.get(
        f"/v1/projects/{project_id}/datasets/inisiatif", headers=admin_headers
    ).json()
    assert [p["name"] for p in found["properties"]] == ["nama", "desa"]
