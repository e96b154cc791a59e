"""Encrypted forms over HTTP: self-supplied keys, Collect's encrypted submissions stored as
received, and what the API shows of them without the private key."""

from __future__ import annotations

import base64

import httpx

from tests.builders import publish_xform, xform
from tests.encryption.support import (
    FORM,
    PHOTO,
    csv_rows,
    encrypted,
    post,
    self_keyed_xform,
    unzip,
)

H = dict[str, str]


def test_a_form_with_its_own_key_gets_a_key_id(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    body, public = self_keyed_xform()
    assert publish_xform(client, admin_headers, project_id, body).status_code == 200
    form = client.get(f"/v1/projects/{project_id}/forms/{FORM}", headers=admin_headers).json()
    assert isinstance(form["keyId"], int)
    # The same key always has the same id.
    again = publish_xform(client, admin_headers, project_id, self_keyed_xform("lain")[0])
    assert again.status_code == 200
    other = client.get(f"/v1/projects/{project_id}/forms/lain", headers=admin_headers).json()
    assert other["keyId"] != form["keyId"]
    same = body.replace(f'id="{FORM}"'.encode(), b'id="sama"')
    assert publish_xform(client, admin_headers, project_id, same).status_code == 200
    twin = client.get(f"/v1/projects/{project_id}/forms/sama", headers=admin_headers).json()
    assert twin["keyId"] == form["keyId"]
    assert (
        public
        in client.get(f"/v1/projects/{project_id}/forms/{FORM}.xml", headers=admin_headers).text
    )


def test_a_key_that_is_not_a_key_is_refused(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    body = xform().replace(b"</model>", b'<submission base64RsaPublicKey="abc"/></model>')
    response = publish_xform(client, admin_headers, project_id, body)
    assert response.status_code == 400
    assert response.json()["code"] == 400.8
    assert "base64RsaPublicKey" in response.json()["message"]


def test_encrypted_submission_is_stored_as_received(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    body, _ = self_keyed_xform()
    assert publish_xform(client, admin_headers, project_id, body).status_code == 200
    sent = encrypted(client, admin_headers, project_id)
    assert post(client, admin_headers, project_id, sent).status_code == 201
    base = f"/v1/projects/{project_id}/forms/{FORM}/submissions"
    listed = client.get(base, headers=admin_headers).json()
    assert [s["instanceId"] for s in listed] == [sent.instance_id]
    assert "keyId" not in listed[0] and "status" not in listed[0]
    one = f"{base}/{sent.instance_id}"
    assert client.get(f"{one}.xml", headers=admin_headers).content == sent.manifest
    assert client.get(f"{one}/attachments", headers=admin_headers).json() == [
        {"name": "foto.jpg.enc", "exists": True},
        {"name": "submission.xml.enc", "exists": True},
    ]
    for name, data in sent.files.items():
        download = client.get(f"{one}/attachments/{name}", headers=admin_headers)
        assert download.status_code == 200
        assert download.content == data
    # A resend of the same manifest is a success and adds nothing.
    assert post(client, admin_headers, project_id, sent).status_code == 201
    assert len(client.get(base, headers=admin_headers).json()) == 1
    keys = client.get(f"{base}/keys", headers=admin_headers).json()
    assert len(keys) == 1 and keys[0]["managed"] is None and keys[0]["hint"] is None
    assert len(keys[0]["public"]) == 392


def test_split_upload_and_statuses_without_the_key(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    body, _ = self_keyed_xform()
    assert publish_xform(client, admin_headers, project_id, body).status_code == 200
    sent = encrypted(client, admin_headers, project_id)
    first = {"foto.jpg.enc": sent.files["foto.jpg.enc"], "tidak-diminta.enc": b"extra"}
    assert post(client, admin_headers, project_id, sent, first).status_code == 201
    svc = f"/v1/projects/{project_id}/forms/{FORM}.svc/Submissions"
    entity = client.get(svc, headers=admin_headers).json()["value"][0]
    assert set(entity) == {"__id", "__system"}
    assert entity["__system"]["status"] == "missingEncryptedFormData"
    assert entity["__system"]["attachmentsExpected"] == 2
    assert entity["__system"]["attachmentsPresent"] == 1
    base = f"/v1/projects/{project_id}/forms/{FORM}/submissions"
    rows = csv_rows(client.get(f"{base}.csv", headers=admin_headers).content)
    assert rows[0]["Status"] == "missing encrypted form data" and rows[0]["name"] == ""
    rest = {"submission.xml.enc": sent.files["submission.xml.enc"]}
    assert post(client, admin_headers, project_id, sent, rest).status_code == 201
    entity = client.get(svc, headers=admin_headers).json()["value"][0]
    assert entity["__system"]["status"] == "notDecrypted"
    assert set(entity) == {"__id", "__system"}
    metadata = client.get(
        f"/v1/projects/{project_id}/forms/{FORM}.svc/$metadata", headers=admin_headers
    ).text
    assert 'Member Name="notDecrypted"' in metadata
    files = unzip(client.get(f"{base}.csv.zip", headers=admin_headers).content)
    assert list(files) == [f"{FORM}.csv", f"{FORM}-activity.csv"]
    assert csv_rows(files[f"{FORM}.csv"])[0]["Status"] == "not decrypted"
    # A passphrase for a key that is not managed opens nothing and is not an error.
    given = client.post(f"{base}.csv", json={"1": "whatever it is"}, headers=admin_headers)
    assert given.status_code == 200


def test_encrypted_manifest_without_instance_id_is_400_2(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    body, _ = self_keyed_xform()
    assert publish_xform(client, admin_headers, project_id, body).status_code == 200
    sent = encrypted(client, admin_headers, project_id)
    sent.manifest = sent.manifest.replace(
        f"<orx:instanceID>{sent.instance_id}</orx:instanceID>".encode(), b""
    )
    response = post(client, admin_headers, project_id, sent)
    assert response.status_code == 400
    assert b"instanceId (required for encrypted submissions)" in response.content


def test_a_wrapped_key_that_cannot_be_one_is_refused(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    body, _ = self_keyed_xform()
    assert publish_xform(client, admin_headers, project_id, body).status_code == 200
    sent = encrypted(client, admin_headers, project_id)
    start = sent.manifest.index(b"<base64EncryptedKey>") + len(b"<base64EncryptedKey>")
    end = sent.manifest.index(b"</base64EncryptedKey>")
    wrapped = base64.b64decode(sent.manifest[start:end])
    for bad in (base64.b64encode(wrapped[:100]), b"not base64 at all!", b""):
        broken = sent.manifest[:start] + bad + sent.manifest[end:]
        sent_bad = type(sent)(sent.instance_id, broken, sent.files, sent.aes_key)
        response = post(client, admin_headers, project_id, sent_bad)
        assert response.status_code == 400, response.text
    base = f"/v1/projects/{project_id}/forms/{FORM}/submissions"
    assert client.get(base, headers=admin_headers).json() == []
    assert post(client, admin_headers, project_id, sent).status_code == 201


def test_an_encrypted_submission_to_a_plain_form_keeps_its_photo_name_by_field(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    """Parts are found by field name, whatever file name they carry."""
    body, _ = self_keyed_xform()
    assert publish_xform(client, admin_headers, project_id, body).status_code == 200
    sent = encrypted(client, admin_headers, project_id, photo=PHOTO)
    files = [
        ("xml_submission_file", ("submission.xml", sent.manifest, "text/xml")),
        ("foto.jpg.enc", ("blob", sent.files["foto.jpg.enc"], "application/octet-stream")),
        ("submission.xml.enc", ("b2", sent.files["submission.xml.enc"], "text/plain")),
    ]
    response = client.post(
        f"/v1/projects/{project_id}/submission",
        headers={**admin_headers, "X-OpenRosa-Version": "1.0"},
        files=files,
    )
    assert response.status_code == 201
    one = f"/v1/projects/{project_id}/forms/{FORM}/submissions/{sent.instance_id}"
    listed = client.get(f"{one}/attachments", headers=admin_headers).json()
    assert all(a["exists"] for a in listed)
