"""A draft's test submissions as Central keeps them: sent by web users or through the
draft's test URL, listed and served apart (``…/draft/submissions``, ``draft.svc``), out of
the form's real submissions, exports and OData, and dropped on publishing."""

from __future__ import annotations

import httpx
from lxml import etree

from sync import CollectClient
from tests.builders import OPENROSA, publish_xform, submission, xform

XML = {"Content-Type": "application/xml"}


def _post(client: httpx.Client, url: str, headers: dict[str, str], xml: bytes) -> httpx.Response:
    return client.post(
        url,
        headers={**headers, **OPENROSA},
        files={"xml_submission_file": ("s.xml", xml, "text/xml")},
    )


def test_draft_submissions_stay_apart_and_go_on_publishing(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, base_url: str
) -> None:
    publish_xform(client, admin_headers, project_id, xform(version="1"))
    base = f"/v1/projects/{project_id}/forms/profil"
    client.post(f"{base}/draft", content=xform(version="2"), headers={**admin_headers, **XML})
    real = _post(
        client,
        f"/v1/projects/{project_id}/submission",
        admin_headers,
        submission("profil", instance_id="uuid:real"),
    )
    assert real.status_code == 201, real.text
    sent = _post(
        client,
        f"{base}/draft/submission",
        admin_headers,
        submission(instance_id="uuid:test-1", version="2"),
    )
    assert sent.status_code == 201, sent.text
    token = client.get(f"{base}/draft", headers=admin_headers).json()["draftToken"]
    test_url = f"{base_url}/v1/test/{token}/projects/{project_id}/forms/profil/draft"
    with CollectClient(test_url) as phone:
        phone.submit(submission(instance_id="uuid:test-2", version="2"))

    raw = client.post(
        f"{base}/draft/submissions",
        content=submission(instance_id="uuid:test-3", version="2"),
        headers={**admin_headers, **XML},
    )
    assert raw.status_code == 200, raw.text
    assert raw.json()["instanceId"] == "uuid:test-3"
    again = client.post(
        f"{base}/draft/submissions",
        content=submission(instance_id="uuid:test-3", version="2"),
        headers={**admin_headers, **XML},
    )
    assert again.status_code == 409 and again.json()["code"] == 409.3

    drafts = client.get(f"{base}/draft/submissions", headers=admin_headers).json()
    assert sorted(s["instanceId"] for s in drafts) == ["uuid:test-1", "uuid:test-2", "uuid:test-3"]
    one = client.get(f"{base}/draft/submissions/uuid:test-1", headers=admin_headers)
    assert one.status_code == 200 and one.json()["instanceId"] == "uuid:test-1"
    live = client.get(f"{base}/submissions", headers=admin_headers).json()
    assert [s["instanceId"] for s in live] == ["uuid:real"]
    assert client.get(f"{base}/submissions/uuid:test-1", headers=admin_headers).status_code == 404
    assert "uuid:test-1" not in client.get(f"{base}/submissions.csv", headers=admin_headers).text
    odata = client.get(f"{base}.svc/Submissions", headers=admin_headers).json()
    assert [e["__id"] for e in odata["value"]] == ["uuid:real"]
    extended = client.get(base, headers={**admin_headers, "X-Extended-Metadata": "true"})
    assert extended.json()["submissions"] == 1

    # The draft's own OData service.
    service = client.get(f"{base}/draft.svc", headers=admin_headers)
    assert service.status_code == 200 and service.headers["odata-version"] == "4.0"
    assert service.json()["@odata.context"].endswith(f"{base}/draft.svc/$metadata")
    metadata = client.get(f"{base}/draft.svc/$metadata", headers=admin_headers)
    assert etree.fromstring(metadata.content).tag.endswith("Edmx")
    table = client.get(f"{base}/draft.svc/Submissions", headers=admin_headers).json()
    assert sorted(e["__id"] for e in table["value"]) == [
        "uuid:test-1",
        "uuid:test-2",
        "uuid:test-3",
    ]
    repeats = client.get(f"{base}/draft.svc/Submissions.activity", headers=admin_headers)
    assert repeats.status_code == 200 and len(repeats.json()["value"]) == 6

    # A submission naming another form is refused here as everywhere.
    other = _post(
        client,
        f"{base}/draft/submission",
        admin_headers,
        submission("lain", instance_id="uuid:other", version="2"),
    )
    assert other.status_code == 400
    assert "did not match the form ID in the URL" in other.text
    assert _post(client, f"{base}/draft/submission", {}, submission()).status_code == 401

    client.post(f"{base}/draft/publish", headers=admin_headers)
    assert client.get(f"{base}/draft/submissions", headers=admin_headers).status_code == 404
    live = client.get(f"{base}/submissions", headers=admin_headers).json()
    assert [s["instanceId"] for s in live] == ["uuid:real"]
