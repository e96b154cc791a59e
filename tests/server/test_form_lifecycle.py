"""Form lifecycle over HTTP, as Central: drafts, media, publishing, versions, states, and
trying a draft on a phone through its test URL."""

from __future__ import annotations

import httpx
import pytest

from sync import CollectClient, ServerRefused
from tests.builders import OPENROSA, collect_url, create_app_user, publish_xform, submission, xform

XML = {"Content-Type": "application/xml"}


def _form(project_id: int) -> str:
    return f"/v1/projects/{project_id}/forms/profil"


def test_unpublished_form_then_draft_media_and_publish(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    created = client.post(
        f"/v1/projects/{project_id}/forms",
        params={"publish": "false"},
        content=xform(media=("desa.csv",)),
        headers={**admin_headers, **XML},
    )
    assert created.status_code == 200, created.text
    form = created.json()
    assert form["publishedAt"] is None and form["draftToken"]
    base = _form(project_id)
    listed = client.get(f"{base}/draft/attachments", headers=admin_headers).json()
    assert [(a["name"], a["exists"]) for a in listed] == [("desa.csv", False)]
    put = client.post(
        f"{base}/draft/attachments/desa.csv",
        content=b"name,label\n1,Satu\n",
        headers={**admin_headers, "Content-Type": "text/csv"},
    )
    assert put.json() == {"success": True}
    assert client.get(f"{base}/draft/attachments/desa.csv", headers=admin_headers).content == (
        b"name,label\n1,Satu\n"
    )
    unexpected = client.post(
        f"{base}/draft/attachments/other.csv", content=b"x", headers=admin_headers
    )
    assert unexpected.status_code == 404
    # A never-published form's only definition cannot be dropped.
    kept = client.delete(f"{base}/draft", headers=admin_headers)
    assert kept.status_code == 409 and kept.json()["code"] == 409.7
    assert client.get(f"{base}.xml", headers=admin_headers).status_code == 404
    assert client.post(f"{base}/draft/publish", headers=admin_headers).json() == {"success": True}
    published = client.get(base, headers=admin_headers).json()
    assert published["publishedAt"] is not None and published["draftToken"] is None
    assert client.get(f"{base}/attachments/desa.csv", headers=admin_headers).status_code == 200
    assert client.get(f"{base}/draft", headers=admin_headers).status_code == 404


def test_new_definition_versions_and_409_6(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, base_url: str
) -> None:
    publish_xform(client, admin_headers, project_id, xform(version="1"))
    base = _form(project_id)
    phone_user = create_app_user(client, admin_headers, project_id, forms=("profil",))
    with CollectClient(collect_url(base_url, phone_user["token"], project_id)) as phone:
        phone.submit(submission(version="1"))
    draft = client.post(
        f"{base}/draft",
        content=xform(version="2", title="Profil v2"),
        headers={**admin_headers, **XML},
    )
    assert draft.json() == {"success": True}
    assert client.get(f"{base}/draft", headers=admin_headers).json()["version"] == "2"
    # The published version still serves phones while the draft waits.
    assert client.get(base, headers=admin_headers).json()["version"] == "1"
    wrong = client.post(f"{base}/draft", content=xform("lain"), headers={**admin_headers, **XML})
    assert wrong.status_code == 400 and wrong.json()["code"] == 400.8
    assert client.post(f"{base}/draft/publish", headers=admin_headers).status_code == 200
    # An empty body copies the published definition; its version is then taken.
    assert client.post(f"{base}/draft", headers=admin_headers).status_code == 200
    taken = client.post(f"{base}/draft/publish", params={"version": "1"}, headers=admin_headers)
    assert taken.status_code == 409 and taken.json()["code"] == 409.6
    assert taken.json()["details"] == {"xmlFormId": "profil", "version": "1"}
    assert client.delete(f"{base}/draft", headers=admin_headers).json() == {"success": True}
    versions = client.get(f"{base}/versions", headers=admin_headers).json()
    assert [v["version"] for v in versions] == ["2", "1"]
    old = client.get(f"{base}/versions/1.xml", headers=admin_headers)
    assert old.status_code == 200 and b'version="1"' in old.content
    assert client.get(f"{base}/versions/9.xml", headers=admin_headers).status_code == 404
    # Submissions keep the version they were made with; the old version is still accepted.
    with CollectClient(collect_url(base_url, phone_user["token"], project_id)) as phone:
        phone.submit(submission(version="1"))
        phone.submit(submission(version="2"))
    rows = client.get(f"{base}/submissions", headers=admin_headers).json()
    assert len(rows) == 3


def test_form_states_and_their_effects(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, base_url: str
) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    app_user = create_app_user(client, admin_headers, project_id, forms=("profil",))
    base = _form(project_id)
    with CollectClient(collect_url(base_url, app_user["token"], project_id)) as phone:
        closing = client.patch(base, json={"state": "closing"}, headers=admin_headers)
        assert closing.json()["state"] == "closing"
        assert phone.form_list() == []
        phone.submit(submission())  # closing still accepts
        client.patch(base, json={"state": "closed"}, headers=admin_headers)
        with pytest.raises(ServerRefused) as refused:
            phone.submit(submission())
        assert refused.value.status == 409
        bad = client.patch(base, json={"state": "asleep"}, headers=admin_headers)
        assert bad.status_code == 400 and bad.json()["code"] == 400.8
        client.patch(base, json={"state": "open"}, headers=admin_headers)
        assert [item.form_id for item in phone.form_list()] == ["profil"]
    assert client.delete(base, headers=admin_headers).json() == {"success": True}
    assert client.get(base, headers=admin_headers).status_code == 404


def test_draft_test_endpoints(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, base_url: str
) -> None:
    publish_xform(client, admin_headers, project_id, xform(version="1"))
    base = _form(project_id)
    client.post(
        f"{base}/draft",
        content=xform(version="2", media=("desa.csv",)),
        headers={**admin_headers, **XML},
    )
    client.post(f"{base}/draft/attachments/desa.csv", content=b"a,b\n", headers=admin_headers)
    token = client.get(f"{base}/draft", headers=admin_headers).json()["draftToken"]
    test_url = f"{base_url}/v1/test/{token}/projects/{project_id}/forms/profil/draft"
    with CollectClient(test_url) as phone:
        [item] = phone.form_list()
        assert (item.form_id, item.version) == ("profil", "2")
        assert b'version="2"' in phone.download_form(item)
        [media] = phone.manifest(item)
        assert phone.download_media(media) == b"a,b\n"
        phone.submit(submission(version="2"))
    # Test submissions stay out of the real ones, and vanish on publishing.
    assert client.get(f"{base}/submissions", headers=admin_headers).json() == []
    wrong = httpx.get(
        f"{base_url}/v1/test/{'x' * 64}/projects/{project_id}/forms/profil/draft/formList",
        headers=OPENROSA,
    )
    assert wrong.status_code == 404
    client.post(f"{base}/draft/publish", headers=admin_headers)
    assert client.get(f"{base}/submissions", headers=admin_headers).json() == []
    gone = httpx.get(f"{test_url}/formList", headers=OPENROSA)
    assert gone.status_code == 404


def test_pyodk_style_fallback_header_is_percent_decoded(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    from tests.server.test_rest import XLSX, xlsform

    created = client.post(
        f"/v1/projects/{project_id}/forms",
        content=xlsform([["text", "nama", "Nama"]]),
        headers={**admin_headers, "Content-Type": XLSX, "X-XlsForm-FormId-Fallback": "kwt%5Fbaru"},
    )
    assert created.status_code == 200, created.text
    assert created.json()["xmlFormId"] == "kwt_baru"
