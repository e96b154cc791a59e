"""Deleting and restoring submissions (Central 2024.2): the trash, and its purge."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from lxml import etree

from server.domain import Services, submissions, utcnow
from tests.builders import OPENROSA, create_app_user, submission
from tests.exports.support import FORM, seed


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [s["instanceId"] for s in response.json()]


def test_a_deleted_submission_vanishes_and_comes_back(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, base_url: str
) -> None:
    ids = seed(client, admin_headers, project_id)
    form = f"/v1/projects/{project_id}/forms/{FORM}"
    base = f"{form}/submissions"
    extended = {**admin_headers, "X-Extended-Metadata": "true"}

    gone = client.delete(f"{base}/{ids[1]}", headers=admin_headers)
    assert gone.json() == {"success": True}
    assert _ids(client.get(base, headers=admin_headers)) == [ids[2], ids[0]]
    assert _ids(client.get(base, params={"deleted": "true"}, headers=admin_headers)) == [ids[1]]
    assert client.get(f"{base}/{ids[1]}", headers=admin_headers).status_code == 404
    assert client.delete(f"{base}/{ids[1]}", headers=admin_headers).status_code == 404
    # Counts, statistics, exports and OData leave it out.
    assert client.get(form, headers=extended).json()["submissions"] == 2
    csv = client.get(f"{base}.csv", headers=admin_headers).text
    assert ids[1] not in csv and ids[0] in csv
    odata = client.get(
        f"{form}.svc/Submissions", params={"$count": "true"}, headers=admin_headers
    ).json()
    assert odata["@odata.count"] == 2 and ids[1] not in {e["__id"] for e in odata["value"]}
    trash = client.get(
        f"{form}.svc/Submissions",
        params={"$filter": "__system/deletedAt ne null"},
        headers=admin_headers,
    ).json()
    assert [e["__id"] for e in trash["value"]] == [ids[1]]

    # A phone sending it again is refused, as Central refuses it.
    phone = create_app_user(client, admin_headers, project_id, forms=(FORM,))
    again = client.post(
        f"/v1/key/{phone['token']}/projects/{project_id}/submission",
        headers=OPENROSA,
        files={
            "xml_submission_file": (
                "s.xml",
                submission(instance_id=ids[1], name="Kelompok Tani", activities=(("padi", "900"),)),
                "text/xml",
            )
        },
    )
    assert again.status_code == 409
    message = etree.fromstring(again.content)[0].text
    assert message == "This submission has been deleted. You may not resubmit it."

    restored = client.post(f"{base}/{ids[1]}/restore", headers=admin_headers)
    assert restored.json() == {"success": True}
    assert _ids(client.get(base, headers=admin_headers)) == ids[::-1]
    assert client.get(base, params={"deleted": "true"}, headers=admin_headers).json() == []
    assert client.post(f"{base}/{ids[1]}/restore", headers=admin_headers).status_code == 404
    actions = [
        a["action"]
        for a in client.get("/v1/audits", headers=admin_headers).json()
        if a["action"].startswith("submission.")
        and a["action"] in ("submission.delete", "submission.restore")
    ]
    assert actions == ["submission.restore", "submission.delete"]


def test_the_trash_is_purged_after_30_days(
    services: Services, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    ids = seed(client, admin_headers, project_id)
    base = f"/v1/projects/{project_id}/forms/{FORM}/submissions"
    client.delete(f"{base}/{ids[0]}", headers=admin_headers)
    assert submissions.purge_trash(services, now=utcnow() + timedelta(days=29)) == 0
    assert submissions.purge_trash(services, now=utcnow() + timedelta(days=31)) == 1
    assert client.get(base, params={"deleted": "true"}, headers=admin_headers).json() == []
    assert client.post(f"{base}/{ids[0]}/restore", headers=admin_headers).status_code == 404
    [purge] = client.get(
        "/v1/audits", params={"action": "submission.purge"}, headers=admin_headers
    ).json()
    assert purge["details"] == {"submissions_deleted": 1}


@pytest.mark.parametrize("role", ["viewer", "formfill"])
def test_only_managers_delete_and_restore(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, role: str
) -> None:
    ids = seed(client, admin_headers, project_id)
    email, password = f"{role}@example.org", "sandi-yang-panjang"
    user = client.post(
        "/v1/users", json={"email": email, "password": password}, headers=admin_headers
    ).json()
    client.post(f"/v1/projects/{project_id}/assignments/{role}/{user['id']}", headers=admin_headers)
    auth = httpx.BasicAuth(email, password)
    base = f"/v1/projects/{project_id}/forms/{FORM}/submissions"
    assert client.delete(f"{base}/{ids[0]}", auth=auth).status_code == 403
    client.delete(f"{base}/{ids[0]}", headers=admin_headers)
    assert client.post(f"{base}/{ids[0]}/restore", auth=auth).status_code == 403
