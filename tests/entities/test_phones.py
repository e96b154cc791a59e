"""What ODK Collect gets: the dataset as ``{name}.csv``, its manifest entry and hash, the
ETag and 304, the integrity answer, and a draft's attachment linked by hand."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re

import httpx

from tests.builders import create_app_user, xform
from tests.entities.builders import (
    create_form,
    create_submission,
    submit,
    update_form,
    update_submission,
    upload,
)

OPENROSA = {"X-OpenRosa-Version": "1.0"}


def _setup(client: httpx.Client, headers: dict[str, str], project_id: int) -> str:
    """The create and update forms published; returns an app user's token for both."""
    assert upload(client, headers, project_id, create_form()).status_code == 200
    assert upload(client, headers, project_id, update_form()).status_code == 200
    user = create_app_user(client, headers, project_id, forms=("tree_registration", "tree_update"))
    return str(user["token"])


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def test_collect_reads_the_list_with_centrals_columns_etag_and_manifest_hash(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    token = _setup(client, admin_headers, project_id)
    phone = f"/v1/key/{token}/projects/{project_id}"
    first, oak = create_submission(values={"species": "Oak", "height": "10"})
    assert submit(client, {}, project_id, first).status_code == 401
    assert (
        client.post(
            f"{phone}/submission",
            files={"xml_submission_file": ("s.xml", first, "text/xml")},
            headers=OPENROSA,
        ).status_code
        == 201
    )
    second, fir = create_submission(label="Fir, tall", values={"species": "Fir", "height": ""})
    assert (
        client.post(
            f"{phone}/submission",
            files={"xml_submission_file": ("s.xml", second, "text/xml")},
            headers=OPENROSA,
        ).status_code
        == 201
    )

    listed = client.get(f"{phone}/forms/tree_update/attachments/trees.csv", headers=OPENROSA)
    assert listed.status_code == 200
    assert listed.headers["content-type"].startswith("text/csv")
    assert 'filename="trees.csv"' in listed.headers["content-disposition"]
    assert _rows(listed.content) == [
        ["name", "label", "__version", "species", "height"],
        [fir, "Fir, tall", "1", "Fir", ""],
        [oak, "Oak", "1", "Oak", "10"],
    ]
    etag = listed.headers["etag"]

    manifest = client.get(f"{phone}/forms/tree_update/manifest", headers=OPENROSA)
    assert manifest.status_code == 200
    text = manifest.text
    assert '<mediaFile type="entityList"><filename>trees.csv</filename>' in text
    md5 = re.search(r"<hash>md5:([0-9a-f]{32})</hash>", text)
    assert md5 is not None and etag == f'"{md5.group(1)}"'
    assert f"/v1/key/{token}/projects/{project_id}/datasets/trees/integrity</integrityUrl>" in text
    # Central's rule: the MD5 of the JSON naming the list's latest change.
    dataset = client.get(f"/v1/projects/{project_id}/datasets/trees", headers=admin_headers)
    latest = json.dumps({"latestAuditEntry": dataset.json()["lastUpdate"]}, separators=(",", ":"))
    assert md5.group(1) == hashlib.md5(latest.encode()).hexdigest()

    again = client.get(
        f"{phone}/forms/tree_update/attachments/trees.csv",
        headers={**OPENROSA, "If-None-Match": etag},
    )
    assert again.status_code == 304 and again.content == b""

    update = update_submission(oak, base_version="1", values={"height": "12"})
    assert (
        client.post(
            f"{phone}/submission",
            files={"xml_submission_file": ("s.xml", update, "text/xml")},
            headers=OPENROSA,
        ).status_code
        == 201
    )
    changed = client.get(
        f"{phone}/forms/tree_update/attachments/trees.csv",
        headers={**OPENROSA, "If-None-Match": etag},
    )
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert _rows(changed.content)[2] == [oak, "Oak", "2", "Oak", "12"]
    manifest_after = client.get(f"{phone}/forms/tree_update/manifest", headers=OPENROSA).text
    assert changed.headers["etag"].strip('"') in manifest_after

    # A list whose creates wait for approval is named so: Collect then keeps no offline
    # creates in it (Central 2025.2).
    approval = client.patch(
        f"/v1/projects/{project_id}/datasets/trees",
        json={"approvalRequired": True},
        headers=admin_headers,
    )
    assert approval.status_code == 200, approval.text
    manifest_approval = client.get(f"{phone}/forms/tree_update/manifest", headers=OPENROSA).text
    assert '<mediaFile type="approvalEntityList"><filename>trees.csv</filename>' in (
        manifest_approval
    )


def test_integrity_reports_deleted_entities(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    token = _setup(client, admin_headers, project_id)
    uuids = []
    for species in ("Oak", "Fir"):
        xml, uuid = create_submission(label=species)
        assert submit(client, admin_headers, project_id, xml).status_code == 201
        uuids.append(uuid)
    deleted = client.delete(
        f"/v1/projects/{project_id}/datasets/trees/entities/{uuids[0]}", headers=admin_headers
    )
    assert deleted.status_code == 200
    unknown = "0e4a3f4c-0d4c-4c7e-9d4e-2f0a3b1c5d6e"
    answer = client.get(
        f"/v1/key/{token}/projects/{project_id}/datasets/trees/integrity",
        params={"id": f"{uuids[0]},{uuids[1]},{unknown}"},
        headers=OPENROSA,
    )
    assert answer.status_code == 200, answer.text
    assert f'<entity id="{uuids[0]}"><deleted>true</deleted></entity>' in answer.text
    assert f'<entity id="{uuids[1]}"><deleted>false</deleted></entity>' in answer.text
    assert unknown not in answer.text
    everything = client.get(
        f"/v1/projects/{project_id}/datasets/trees/integrity", headers=admin_headers
    )
    assert everything.text.count("<entity ") == 2


def test_a_draft_attachment_is_linked_to_a_dataset_by_hand(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    media = xform("pohon", media=("trees.csv", "photo.png"))
    assert upload(client, admin_headers, project_id, media, publish=False).status_code == 200
    url = f"/v1/projects/{project_id}/forms/pohon/draft/attachments"
    missing = client.patch(f"{url}/trees.csv", json={"dataset": True}, headers=admin_headers)
    assert missing.status_code == 404 and missing.json()["code"] == 404.7
    assert upload(client, admin_headers, project_id, create_form()).status_code == 200
    xml, uuid = create_submission()
    assert submit(client, admin_headers, project_id, xml).status_code == 201
    linked = client.patch(f"{url}/trees.csv", json={"dataset": True}, headers=admin_headers)
    assert linked.status_code == 200 and linked.json() == {"success": True}
    listed = {a["name"]: a for a in client.get(url, headers=admin_headers).json()}
    assert listed["trees.csv"]["datasetExists"] is True
    body = client.get(f"{url}/trees.csv", headers=admin_headers)
    assert _rows(body.content)[1][0] == uuid
    wrong_kind = client.patch(f"{url}/photo.png", json={"dataset": True}, headers=admin_headers)
    assert wrong_kind.status_code == 400
    bad_body = client.patch(f"{url}/trees.csv", json={"dataset": "yes"}, headers=admin_headers)
    assert bad_body.status_code == 400 and bad_body.json()["code"] == 400.11
    unlinked = client.patch(f"{url}/trees.csv", json={"dataset": False}, headers=admin_headers)
    assert unlinked.status_code == 200
    gone = client.get(f"{url}/trees.csv", headers=admin_headers)
    assert gone.status_code == 404
    published = client.post(
        f"/v1/projects/{project_id}/forms/pohon/draft/publish", headers=admin_headers
    )
    assert published.status_code == 200


def test_a_long_list_is_served_page_by_page_whole(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    _setup(client, admin_headers, project_id)
    entities = [{"label": f"tree {i}", "data": {"height": str(i)}} for i in range(1100)]
    made = client.post(
        f"/v1/projects/{project_id}/datasets/trees/entities",
        json={"entities": entities, "source": {"name": "survey.csv"}},
        headers=admin_headers,
    )
    assert made.status_code == 200, made.text
    body = client.get(
        f"/v1/projects/{project_id}/forms/tree_update/attachments/trees.csv",
        headers=admin_headers,
    )
    rows = _rows(body.content)
    assert len(rows) == 1101
    assert len({row[0] for row in rows[1:]}) == 1100
    assert sorted(int(row[4]) for row in rows[1:]) == list(range(1100))


def test_an_owner_only_list_shows_each_phone_its_own_entities(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    token = _setup(client, admin_headers, project_id)
    other = create_app_user(
        client, admin_headers, project_id, forms=("tree_registration", "tree_update"), name="B"
    )
    patched = client.patch(
        f"/v1/projects/{project_id}/datasets/trees", json={"ownerOnly": True}, headers=admin_headers
    )
    assert patched.status_code == 200 and patched.json()["ownerOnly"] is True
    mine, uuid = create_submission()
    assert (
        client.post(
            f"/v1/key/{token}/projects/{project_id}/submission",
            files={"xml_submission_file": ("s.xml", mine, "text/xml")},
            headers=OPENROSA,
        ).status_code
        == 201
    )
    submit(client, admin_headers, project_id, create_submission(label="Fir")[0])
    path = f"/projects/{project_id}/forms/tree_update/attachments/trees.csv"
    own = client.get(f"/v1/key/{token}{path}", headers=OPENROSA)
    assert [row[0] for row in _rows(own.content)[1:]] == [uuid]
    theirs = client.get(f"/v1/key/{other['token']}{path}", headers=OPENROSA)
    assert _rows(theirs.content)[1:] == []
    assert own.headers["etag"] != theirs.headers["etag"]
    everything = client.get(f"/v1{path}", headers=admin_headers)
    assert len(_rows(everything.content)) == 3
