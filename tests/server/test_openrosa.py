"""ODK Collect's conversation with Jaring, over HTTP, through the Collect-like client."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from lxml import etree

from server.domain import Services, submissions
from server.http.reads import LARGEST_XML_ON_THE_LOOP
from sync import CollectClient, ServerRefused
from tests.builders import OPENROSA, collect_url, create_app_user, publish_xform, submission, xform

CSV = b"name,label\nv1,Desa Satu\nv2,Desa Dua\n"


@pytest.fixture
def phone(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, base_url: str
) -> Iterator[CollectClient]:
    assert publish_xform(client, admin_headers, project_id, xform()).status_code == 200
    app_user = create_app_user(client, admin_headers, project_id, forms=("profil",))
    with CollectClient(collect_url(base_url, app_user["token"], project_id)) as phone:
        yield phone


def test_form_list_download_and_hash(phone: CollectClient) -> None:
    [item] = phone.form_list()
    assert (item.form_id, item.name, item.version) == ("profil", "Profil inisiatif", "1")
    assert item.manifest_url is None
    body = phone.download_form(item)
    assert body == xform()
    assert item.hash == "md5:" + hashlib.md5(body).hexdigest()


def test_every_response_has_the_openrosa_version_header(phone: CollectClient) -> None:
    response = phone.client.get(f"{phone.server_url}/formList", headers=OPENROSA)
    assert response.headers["x-openrosa-version"] == "1.0"
    missing = phone.client.get(f"{phone.server_url}/forms/nope.xml")
    assert missing.status_code == 404
    assert missing.headers["x-openrosa-version"] == "1.0"


def test_form_media_through_draft_then_publish(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, base_url: str
) -> None:
    body = xform("desa", media=("villages.csv",))
    created = publish_xform(client, admin_headers, project_id, body, publish="false")
    assert created.status_code == 200, created.text
    assert created.json()["publishedAt"] is None
    listed = client.get(
        f"/v1/projects/{project_id}/forms/desa/draft/attachments", headers=admin_headers
    ).json()
    assert listed == [
        {
            "name": "villages.csv",
            "type": "file",
            "hash": None,
            "exists": False,
            "blobExists": False,
            "datasetExists": False,
        }
    ]
    uploaded = client.post(
        f"/v1/projects/{project_id}/forms/desa/draft/attachments/villages.csv",
        content=CSV,
        headers={**admin_headers, "Content-Type": "text/csv"},
    )
    assert uploaded.status_code == 200, uploaded.text
    published = client.post(
        f"/v1/projects/{project_id}/forms/desa/draft/publish", headers=admin_headers
    )
    assert published.status_code == 200, published.text
    app_user = create_app_user(client, admin_headers, project_id, forms=("desa",))
    with CollectClient(collect_url(base_url, app_user["token"], project_id)) as phone:
        [item] = phone.form_list()
        assert item.manifest_url is not None
        assert item.manifest_url.endswith("/forms/desa/manifest")
        [media] = phone.manifest(item)
        assert media.filename == "villages.csv"
        assert media.hash == "md5:" + hashlib.md5(CSV).hexdigest()
        assert phone.download_media(media) == CSV


def test_head_submission_announces_accepted_length(phone: CollectClient) -> None:
    response = phone.client.head(f"{phone.server_url}/submission", headers=OPENROSA)
    assert response.status_code == 204
    assert int(response.headers["x-openrosa-accept-content-length"]) == 10_000_000


def test_submission_is_stored_byte_for_byte(
    phone: CollectClient, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    xml = submission(instance_id="uuid:kwt-1", photo="foto.jpg")
    assert phone.submit(xml, {"foto.jpg": b"\xff\xd8jpeg bytes"}) == 1
    base = f"/v1/projects/{project_id}/forms/profil/submissions"
    assert client.get(f"{base}/uuid:kwt-1.xml", headers=admin_headers).content == xml
    meta = client.get(f"{base}/uuid:kwt-1", headers=admin_headers).json()
    assert meta["instanceId"] == "uuid:kwt-1"
    assert meta["deviceId"] == phone.device_id
    assert meta["currentVersion"]["instanceName"] == "Koperasi Wanita Sejahtera"
    attachments = client.get(f"{base}/uuid:kwt-1/attachments", headers=admin_headers).json()
    assert attachments == [{"name": "foto.jpg", "exists": True}]
    photo = client.get(f"{base}/uuid:kwt-1/attachments/foto.jpg", headers=admin_headers)
    assert photo.content == b"\xff\xd8jpeg bytes"
    listing = client.get(base, headers=admin_headers).json()
    assert [s["instanceId"] for s in listing] == ["uuid:kwt-1"]


def test_submission_response_is_openrosa(phone: CollectClient) -> None:
    response = phone.client.post(
        f"{phone.server_url}/submission",
        headers=OPENROSA,
        files={"xml_submission_file": ("s.xml", submission(), "text/xml")},
    )
    assert response.status_code == 201
    root = etree.fromstring(response.content)
    assert root.tag == "{http://openrosa.org/http/response}OpenRosaResponse"
    assert "successful" in root[0].text


def test_identical_resend_is_success_without_duplicate(
    phone: CollectClient,
    services: Services,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    xml = submission()
    phone.submit(xml)
    phone.submit(xml)
    listing = client.get(
        f"/v1/projects/{project_id}/forms/profil/submissions", headers=admin_headers
    ).json()
    assert len(listing) == 1


def test_split_upload_merges_attachments(
    phone: CollectClient,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    services: Services,
) -> None:
    services.settings.max_submission_bytes = 6_000
    xml = submission(instance_id="uuid:split", photo="a.jpg")
    # The XML names one file; a second, unexpected file is ignored.
    posts = phone.submit(xml, {"a.jpg": b"A" * 4_000, "stray.bin": b"B" * 4_000})
    assert posts == 2
    base = f"/v1/projects/{project_id}/forms/profil/submissions/uuid:split"
    assert client.get(f"{base}/attachments", headers=admin_headers).json() == [
        {"name": "a.jpg", "exists": True}
    ]


def test_resend_completes_missing_attachment(
    phone: CollectClient, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    xml = submission(instance_id="uuid:later", photo="p.jpg")
    phone.submit(xml)
    base = f"/v1/projects/{project_id}/forms/profil/submissions/uuid:later"
    assert client.get(f"{base}/attachments", headers=admin_headers).json() == [
        {"name": "p.jpg", "exists": False}
    ]
    phone.submit(xml, {"p.jpg": b"photo"})
    assert client.get(f"{base}/attachments", headers=admin_headers).json() == [
        {"name": "p.jpg", "exists": True}
    ]
    # A later resend with other bytes for a file already received changes nothing.
    phone.submit(xml, {"p.jpg": b"other"})
    assert client.get(f"{base}/attachments/p.jpg", headers=admin_headers).content == b"photo"


def test_same_instance_id_other_xml_is_409(phone: CollectClient) -> None:
    phone.submit(submission(instance_id="uuid:x", name="Satu"))
    with pytest.raises(ServerRefused) as refused:
        phone.submit(submission(instance_id="uuid:x", name="Dua"))
    assert refused.value.status == 409
    assert "different XML" in refused.value.message


def test_edit_with_deprecated_id(
    phone: CollectClient, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    phone.submit(submission(instance_id="uuid:v1", name="Lama"))
    edited = submission(instance_id="uuid:v2", name="Baru", deprecated_id="uuid:v1")
    phone.submit(edited)
    base = f"/v1/projects/{project_id}/forms/profil/submissions"
    listing = client.get(base, headers=admin_headers).json()
    assert [s["instanceId"] for s in listing] == ["uuid:v1"]
    assert listing[0]["currentVersion"]["instanceId"] == "uuid:v2"
    assert listing[0]["reviewState"] == "edited"
    assert client.get(f"{base}/uuid:v1.xml", headers=admin_headers).content == edited
    with pytest.raises(ServerRefused) as stale:
        phone.submit(submission(instance_id="uuid:v3", deprecated_id="uuid:v1"))
    assert stale.value.status == 409
    with pytest.raises(ServerRefused) as unknown:
        phone.submit(submission(instance_id="uuid:v4", deprecated_id="uuid:nowhere"))
    assert unknown.value.status == 404


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (submission(form_id="nope"), 404, "Could not find"),
        (submission(version="9"), 404, "form version"),
        (b"<data id='profil'><meta><instanceID>x", 400, "not well-formed"),
        (b"<data id='profil'><name>no meta</name></data>", 400, "instanceID"),
        (b"<data><meta><instanceID>uuid:1</instanceID></meta></data>", 400, "id attribute"),
    ],
)
def test_bad_submissions_are_refused_clearly(
    phone: CollectClient, body: bytes, status: int, words: str
) -> None:
    with pytest.raises(ServerRefused) as refused:
        phone.submit(body)
    assert refused.value.status == status
    assert words in refused.value.message


def test_missing_xml_part_is_400(phone: CollectClient) -> None:
    response = phone.client.post(
        f"{phone.server_url}/submission",
        headers=OPENROSA,
        files={"other": ("x.txt", b"hello", "text/plain")},
    )
    assert response.status_code == 400
    assert b"xml_submission_file" in response.content
    assert response.headers["content-type"].startswith("text/xml")


def test_closed_form_refuses_submissions(
    phone: CollectClient, services: Services, project_id: int
) -> None:
    with services.db.write() as session:
        from server.store.forms import form_by_xml_id

        form = form_by_xml_id(session, project_id=project_id, xml_form_id="profil")
        assert form is not None
        form.state = "closed"
        session.add(form)
    assert phone.form_list() == []
    with pytest.raises(ServerRefused) as refused:
        phone.submit(submission())
    assert refused.value.status == 409


def test_app_user_sees_only_assigned_forms_of_its_project(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, base_url: str
) -> None:
    publish_xform(client, admin_headers, project_id, xform("a"))
    publish_xform(client, admin_headers, project_id, xform("b"))
    app_user = create_app_user(client, admin_headers, project_id, forms=("a",))
    with CollectClient(collect_url(base_url, app_user["token"], project_id)) as phone:
        assert [item.form_id for item in phone.form_list()] == ["a"]
        with pytest.raises(ServerRefused) as refused:
            phone.submit(submission("b"))
    # Central's answer to a phone submitting where it may not: ask for credentials again.
    assert refused.value.status == 401
    other = client.post("/v1/projects", json={"name": "Aceh"}, headers=admin_headers).json()
    with CollectClient(collect_url(base_url, app_user["token"], other["id"])) as elsewhere:
        assert elsewhere.form_list() == []


def test_revoked_token_stops_at_once(
    phone: CollectClient, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    [app_user] = client.get(f"/v1/projects/{project_id}/app-users", headers=admin_headers).json()
    phone.form_list()
    deleted = client.delete(
        f"/v1/projects/{project_id}/app-users/{app_user['id']}", headers=admin_headers
    )
    assert deleted.status_code == 200
    with pytest.raises(ServerRefused) as refused:
        phone.form_list()
    # Central answers a well-formed but dead app-user token with 403.1, not 401.
    assert refused.value.status == 403


def test_web_user_basic_auth_for_collect(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, base_url: str
) -> None:
    from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD

    publish_xform(client, admin_headers, project_id, xform())
    with httpx.Client(auth=(ADMIN_EMAIL, ADMIN_PASSWORD)) as http:
        phone = CollectClient(f"{base_url}/v1/projects/{project_id}", client=http)
        assert [item.form_id for item in phone.form_list()] == ["profil"]
        phone.submit(submission())
    with CollectClient(f"{base_url}/v1/projects/{project_id}") as anonymous:
        with pytest.raises(ServerRefused) as refused:
            anonymous.form_list()
    assert refused.value.status == 401


def test_concurrent_retries_of_one_instance_store_one(
    phone: CollectClient,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    base_url: str,
) -> None:
    xml = submission(instance_id=f"uuid:{uuid.uuid4()}")
    statuses: list[int] = []

    def send() -> None:
        with httpx.Client() as http:
            response = http.post(
                f"{phone.server_url}/submission",
                headers=OPENROSA,
                files={"xml_submission_file": ("s.xml", xml, "text/xml")},
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 8
    listing = client.get(
        f"/v1/projects/{project_id}/forms/profil/submissions", headers=admin_headers
    ).json()
    assert len(listing) == 1


def test_serialisation_variants_are_accepted(
    phone: CollectClient, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    variants = [
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<data xmlns="http://opendatakit.org/submissions" xmlns:orx="http://openrosa.org/xforms"'
        b' id="profil" version="1"><name>Satu</name>'
        b"<orx:meta><orx:instanceID>uuid:ns-1</orx:instanceID></orx:meta></data>",
        b"<data id='profil' version='1'><name>Dua</name><location>-5.1 119.4 0 5</location>"
        b"<meta><instanceID>uuid:ns-2</instanceID></meta></data>",
    ]
    for variant in variants:
        phone.submit(variant)
    base = f"/v1/projects/{project_id}/forms/profil/submissions"
    for number, variant in enumerate(variants, start=1):
        stored = client.get(f"{base}/uuid:ns-{number}.xml", headers=admin_headers)
        assert stored.content == variant


def test_earlier_versions_keep_their_attachments(
    phone: CollectClient, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    phone.submit(submission(instance_id="uuid:p1", photo="lama.jpg"), {"lama.jpg": b"old"})
    edited = submission(instance_id="uuid:p2", photo="baru.jpg", deprecated_id="uuid:p1")
    phone.submit(edited, {"baru.jpg": b"new"})
    base = f"/v1/projects/{project_id}/forms/profil/submissions/uuid:p1"
    first = client.get(f"{base}/versions/uuid:p1/attachments", headers=admin_headers)
    assert first.json() == [{"name": "lama.jpg", "exists": True}]
    old = client.get(f"{base}/versions/uuid:p1/attachments/lama.jpg", headers=admin_headers)
    assert old.content == b"old"
    assert client.get(f"{base}/attachments/baru.jpg", headers=admin_headers).content == b"new"
    missing = client.get(f"{base}/versions/uuid:nope/attachments", headers=admin_headers)
    assert missing.status_code == 404


def test_a_submission_is_parsed_on_the_event_loop_unless_its_xml_is_large(
    phone: CollectClient,
    services: Services,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    on_the_loop: list[int] = []
    ingest_async = submissions.ingest_async

    async def counted(*args: Any, **kwargs: Any) -> Any:
        on_the_loop.append(len(kwargs["xml"]))
        return await ingest_async(*args, **kwargs)

    monkeypatch.setattr(submissions, "ingest_async", counted)
    small = submission(instance_id="uuid:small")
    large = submission(
        instance_id="uuid:large", activities=(("x" * (LARGEST_XML_ON_THE_LOOP + 1), "1"),)
    )

    assert phone.submit(small) == 1
    assert phone.submit(large) == 1

    listed = client.get(
        f"/v1/projects/{project_id}/forms/profil/submissions", headers=admin_headers
    ).json()
    assert {row["instanceId"] for row in listed} == {"uuid:small", "uuid:large"}
    # On SQLite the small one stays on the event loop; PostgreSQL reads over the network,
    # so every submission goes to a worker thread there.
    assert on_the_loop == ([len(small)] if services.db.is_sqlite else [])


def test_an_overlong_instance_name_or_device_id_is_cut_to_fit_not_refused(
    phone: CollectClient, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    long_name = "Koperasi " + "sangat " * 400
    xml = submission(instance_id="uuid:long-labels", name=long_name)
    response = phone.client.post(
        f"{phone.server_url}/submission",
        headers=OPENROSA,
        params={"deviceID": "collect:" + "d" * 400},
        files={"xml_submission_file": ("submission.xml", xml, "text/xml")},
    )
    assert response.status_code == 201, response.text

    stored = client.get(
        f"/v1/projects/{project_id}/forms/profil/submissions/uuid:long-labels",
        headers=admin_headers,
    ).json()
    assert stored["deviceId"] == ("collect:" + "d" * 400)[:300]
    assert stored["currentVersion"]["instanceName"] == long_name[:1000]
    xml_back = client.get(
        f"/v1/projects/{project_id}/forms/profil/submissions/uuid:long-labels.xml",
        headers=admin_headers,
    )
    assert xml_back.content == xml  # the whole name is still in the XML


def test_an_overlong_attachment_name_is_refused_and_an_overlong_type_dropped(
    phone: CollectClient, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    long_name = "foto-" + "x" * 300 + ".jpg"
    refused = phone.client.post(
        f"{phone.server_url}/submission",
        headers=OPENROSA,
        files={
            "xml_submission_file": (
                "submission.xml",
                submission(instance_id="uuid:long-file", photo=long_name),
                "text/xml",
            )
        },
    )
    assert refused.status_code == 400
    assert "attachment name" in refused.text

    odd_type = "image/jpeg; " + "p=1; " * 60
    accepted = phone.client.post(
        f"{phone.server_url}/submission",
        headers=OPENROSA,
        files={
            "xml_submission_file": (
                "submission.xml",
                submission(instance_id="uuid:odd-type", photo="foto.jpg"),
                "text/xml",
            ),
            "foto.jpg": ("foto.jpg", b"\xff\xd8jpeg", odd_type),
        },
    )
    assert accepted.status_code == 201, accepted.text

    listed = client.get(
        f"/v1/projects/{project_id}/forms/profil/submissions", headers=admin_headers
    ).json()
    assert [row["instanceId"] for row in listed] == ["uuid:odd-type"]
    photo = client.get(
        f"/v1/projects/{project_id}/forms/profil/submissions/uuid:odd-type/attachments/foto.jpg",
        headers=admin_headers,
    )
    assert photo.status_code == 200 and photo.content == b"\xff\xd8jpeg"


def _form_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    return [node.text or "" for node in root.iter("{http://openrosa.org/xforms/xformsList}formID")]


def test_form_list_by_form_id_and_in_centrals_order(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, base_url: str
) -> None:
    publish_xform(client, admin_headers, project_id, xform("a", title="Zaitun"))
    publish_xform(client, admin_headers, project_id, xform("b", title="Anggrek"))
    publish_xform(client, admin_headers, project_id, xform("c", title="Melati"))
    app_user = create_app_user(client, admin_headers, project_id, forms=("a", "b", "c"))
    form_list = f"{collect_url(base_url, app_user['token'], project_id)}/formList"
    # By the name the phone shows, as Central sorts them.
    assert _form_ids(client.get(form_list, headers=OPENROSA)) == ["b", "c", "a"]
    only = client.get(form_list, params={"formID": "c"}, headers=OPENROSA)
    assert _form_ids(only) == ["c"]
    assert _form_ids(client.get(form_list, params={"formID": "xyz"}, headers=OPENROSA)) == []


def test_a_web_user_without_a_role_gets_an_empty_form_list(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    email, password = "tamu@example.org", "sandi-yang-panjang"
    client.post("/v1/users", json={"email": email, "password": password}, headers=admin_headers)
    auth = httpx.BasicAuth(email, password)
    listed = client.get(f"/v1/projects/{project_id}/formList", auth=auth, headers=OPENROSA)
    assert _form_ids(listed) == []
    unknown = client.get("/v1/projects/999999/formList", auth=auth, headers=OPENROSA)
    assert unknown.status_code == 404
    assert client.get(f"/v1/projects/{project_id}/formList", headers=OPENROSA).status_code == 401


@pytest.mark.parametrize("version", [None, "2.0", ""])
def test_openrosa_requests_without_the_version_header_are_refused(
    phone: CollectClient,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    version: str | None,
) -> None:
    headers = {} if version is None else {"X-OpenRosa-Version": version}
    requests = [
        ("GET", f"{phone.server_url}/formList", {}),
        ("HEAD", f"{phone.server_url}/submission", {}),
        ("GET", f"{phone.server_url}/forms/profil/manifest", {}),
        (
            "POST",
            f"{phone.server_url}/submission",
            {"files": {"xml_submission_file": ("s.xml", submission(), "text/xml")}},
        ),
    ]
    for method, url, extra in requests:
        response = phone.client.request(method, url, headers=headers, **extra)
        assert response.status_code == 400, (method, url, response.text)
        if method != "HEAD":
            assert response.headers["content-type"].startswith("text/xml")
            message = etree.fromstring(response.content)[0].text or ""
            assert message.startswith(
                "An expected header field (X-OpenRosa-Version) did not match the expected format"
            )
    # Nothing was stored.
    listed = client.get(
        f"/v1/projects/{project_id}/forms/profil/submissions", headers=admin_headers
    )
    assert listed.json() == []


def test_attachments_are_named_by_their_multipart_field(
    phone: CollectClient, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    for instance_id, filename in (("uuid:etc", "/etc/passwd"), ("uuid:win", "C:\\x.jpg")):
        xml = submission(instance_id=instance_id, photo="plain.jpg")
        posted = phone.client.post(
            f"{phone.server_url}/submission",
            headers=OPENROSA,
            files={
                "xml_submission_file": ("submission.xml", xml, "text/xml"),
                "plain.jpg": (filename, b"\xff\xd8" + filename.encode(), "image/jpeg"),
            },
        )
        assert posted.status_code == 201, posted.text
        base = f"/v1/projects/{project_id}/forms/profil/submissions/{instance_id}"
        listed = client.get(f"{base}/attachments", headers=admin_headers).json()
        assert listed == [{"name": "plain.jpg", "exists": True}]
        photo = client.get(f"{base}/attachments/plain.jpg", headers=admin_headers)
        assert photo.content == b"\xff\xd8" + filename.encode()
        assert "plain.jpg" in photo.headers["content-disposition"]


def test_an_instance_id_with_reserved_characters_reads_back_url_encoded(
    phone: CollectClient, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    instance_id = "uuid:a/b?c#d%2Fe"
    xml = submission(instance_id=instance_id, photo="foto.jpg")
    assert phone.submit(xml, {"foto.jpg": b"\xff\xd8"}) == 1
    base = f"/v1/projects/{project_id}/forms/profil/submissions/{quote(instance_id, safe='')}"
    meta = client.get(base, headers=admin_headers)
    assert meta.status_code == 200, meta.text
    assert meta.json()["instanceId"] == instance_id
    assert client.get(f"{base}.xml", headers=admin_headers).content == xml
    photo = client.get(f"{base}/attachments/foto.jpg", headers=admin_headers)
    assert photo.content == b"\xff\xd8"
    assert client.get(f"{base}/versions", headers=admin_headers).status_code == 200


def test_a_phones_submission_is_checked_in_centrals_order(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, base_url: str
) -> None:
    """Who calls, then the project, then the form: the app user and the form are read in
    one statement, and each refusal is still the one Central gives."""
    publish_xform(client, admin_headers, project_id, xform())
    app_user = create_app_user(client, admin_headers, project_id, forms=("profil",))
    other = client.post("/v1/projects", json={"name": "Sulsel"}, headers=admin_headers).json()
    publish_xform(client, admin_headers, other["id"], xform())
    gone = client.post("/v1/projects", json={"name": "NTT"}, headers=admin_headers).json()
    assert client.delete(f"/v1/projects/{gone['id']}", headers=admin_headers).status_code == 200

    def status(token: str, project: int, form_id: str = "profil") -> int:
        with CollectClient(collect_url(base_url, token, project)) as phone:
            try:
                phone.submit(submission(form_id, instance_id=f"uuid:{uuid.uuid4()}"))
            except ServerRefused as refused:
                return refused.status
        return 201

    token = app_user["token"]
    assert status(token, project_id) == 201
    assert status(token, project_id, "tidak-ada") == 404  # no such form
    assert status(token, 999_999) == 404  # no such project, before the app user's project
    assert status(token, gone["id"]) == 404  # a deleted project
    assert status(token, other["id"]) == 401  # another project: credentials asked for again
    assert status("not-a-token", project_id) == 401
    assert status("x" * 64, project_id) == 403  # well-formed, but no live app user has it
    with CollectClient(collect_url(base_url, token, project_id)) as phone:
        phone.submit(submission(instance_id="uuid:tercatat"))
        with pytest.raises(ServerRefused) as conflict:  # its insert fails whole: no entry
            phone.submit(submission(instance_id="uuid:tercatat", name="Lain"))
    assert conflict.value.status == 409
    audits = client.get("/v1/audits?action=submission.create", headers=admin_headers).json()
    [entry] = [a for a in audits if a["details"].get("instanceId") == "uuid:tercatat"]
    assert entry["actorId"] == app_user["id"]
    listed = client.get(
        f"/v1/projects/{project_id}/forms/profil/submissions/uuid:tercatat/audits",
        headers=admin_headers,
    ).json()
    assert [a["action"] for a in listed] == ["submission.create"]
