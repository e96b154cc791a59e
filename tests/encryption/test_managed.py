"""Managed encryption over HTTP: turning it on, the forms it rewrites, and exports that
decrypt byte for byte with the passphrase and not without it."""

from __future__ import annotations

import re

import httpx
from sqlmodel import select

from server.data import encryption as e
from server.data.submission import flatten_values, read_submission
from server.data.xform import read_xform
from server.domain import Services
from server.store.tables import Key, SubmissionAttachment, SubmissionDef
from tests.builders import create_app_user, publish_xform, submission, xform
from tests.encryption.support import (
    FORM,
    PASSPHRASE,
    PHOTO,
    csv_rows,
    enable,
    encrypted,
    form_version,
    post,
    publish_plain,
    self_keyed_xform,
    unzip,
)
from tests.exports.support import post_submission

H = dict[str, str]


def test_turning_it_on_follows_centrals_rules(
    client: httpx.Client, admin_headers: H, project_id: int, services: Services
) -> None:
    url = f"/v1/projects/{project_id}/key"
    for body, code in (
        ({}, 400.2),
        ({"passphrase": "   "}, 400.2),
        ({"passphrase": "pendek"}, 400.21),
        ({"passphrase": "x" * 10_000_000}, 400.8),
        ({"passphrase": "panjang sekali", "hint": ["bukan teks"]}, 400.8),
    ):
        response = client.post(url, json=body, headers=admin_headers)
        assert response.json()["code"] == code, response.text
    assert client.get(f"/v1/projects/{project_id}", headers=admin_headers).json()["keyId"] is None
    key_id = enable(client, admin_headers, project_id)
    assert isinstance(key_id, int)
    again = client.post(url, json={"passphrase": PASSPHRASE}, headers=admin_headers)
    assert again.status_code == 409 and again.json()["code"] == 409.4
    with services.db.read() as session:
        key = session.get(Key, key_id)
    assert key is not None and key.managed and key.hint == "buku catatan merah"
    assert key.private is not None and set(key.private) == {"pubkey", "privkey", "salt", "iv"}
    assert PASSPHRASE not in repr(key.private)
    audits = client.get("/v1/audits?action=project.update", headers=admin_headers).json()
    assert any(a["details"] == {"encrypted": True} for a in audits)


def test_only_those_who_may_update_the_project_turn_it_on(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    app_user = create_app_user(client, admin_headers, project_id, forms=())
    response = client.post(
        f"/v1/key/{app_user['token']}/projects/{project_id}/key",
        json={"passphrase": PASSPHRASE},
    )
    assert response.status_code == 403
    assert (
        client.post(f"/v1/projects/{project_id}/key", json={"passphrase": PASSPHRASE}).status_code
        == 401
    )


def test_every_form_existing_and_future_is_rewritten(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    publish_plain(client, admin_headers, project_id)
    base = f"/v1/projects/{project_id}/forms"
    before = client.get(f"{base}/{FORM}", headers=admin_headers).json()
    draft = client.post(f"{base}/{FORM}/draft", headers=admin_headers)
    assert draft.status_code == 200
    key_id = enable(client, admin_headers, project_id)
    after = client.get(f"{base}/{FORM}", headers=admin_headers).json()
    assert after["keyId"] == key_id
    assert re.fullmatch(r"1\[encrypted:[A-Za-z0-9+/]{8}\]", after["version"])
    assert after["hash"] != before["hash"]
    info = read_xform(client.get(f"{base}/{FORM}.xml", headers=admin_headers).content)
    assert info.encrypted and info.version == after["version"]
    versions = client.get(f"{base}/{FORM}/versions", headers=admin_headers).json()
    assert {v["version"] for v in versions} == {"1", after["version"]}
    draft_json = client.get(f"{base}/{FORM}/draft", headers=admin_headers).json()
    assert draft_json["keyId"] == key_id and draft_json["version"] == after["version"]
    # A form added later gets the key and a suffix of its own.
    assert publish_xform(client, admin_headers, project_id, xform("baru")).status_code == 200
    later = client.get(f"{base}/baru", headers=admin_headers).json()
    assert later["keyId"] == key_id and later["version"].startswith("1[encrypted:")
    # Phones see the new version and hash.
    app_user = create_app_user(client, admin_headers, project_id, forms=(FORM,))
    listing = client.get(
        f"/v1/key/{app_user['token']}/projects/{project_id}/formList",
        headers={"X-OpenRosa-Version": "1.0"},
    ).text
    assert after["version"] in listing and f"md5:{after['hash']}" in listing


def test_a_form_with_its_own_key_keeps_it(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    body, public = self_keyed_xform()
    assert publish_xform(client, admin_headers, project_id, body).status_code == 200
    own = client.get(f"/v1/projects/{project_id}/forms/{FORM}", headers=admin_headers).json()
    key_id = enable(client, admin_headers, project_id)
    kept = client.get(f"/v1/projects/{project_id}/forms/{FORM}", headers=admin_headers).json()
    assert kept["keyId"] == own["keyId"] != key_id and kept["version"] == "1"


def _decrypted_values(xml: bytes, client: httpx.Client, headers: H, project_id: int) -> dict:
    fields = read_xform(
        client.get(f"/v1/projects/{project_id}/forms/{FORM}.xml", headers=headers).content
    ).fields
    return flatten_values(read_submission(xml).root, fields)


def test_the_passphrase_decrypts_exactly_and_nothing_else_does(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    publish_plain(client, admin_headers, project_id)
    key_id = enable(client, admin_headers, project_id)
    first = encrypted(client, admin_headers, project_id, name="Ibu Siti")
    second = encrypted(client, admin_headers, project_id, name="Ibu Ani", photo=None)
    for sent in (first, second):
        assert post(client, admin_headers, project_id, sent).status_code == 201
    base = f"/v1/projects/{project_id}/forms/{FORM}/submissions"
    # Without the passphrase: statuses only, no media.
    sealed = unzip(client.get(f"{base}.csv.zip", headers=admin_headers).content)
    assert not [n for n in sealed if n.startswith("media/")]
    assert {r["Status"] for r in csv_rows(sealed[f"{FORM}.csv"])} == {"not decrypted"}
    # A wrong passphrase fails the whole request.
    wrong = client.get(
        f"{base}.csv.zip", params={str(key_id): "salah sekali"}, headers=admin_headers
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == 400.12
    # The right one, in each of Central's ways.
    bodies = [
        client.get(f"{base}.csv.zip", params={str(key_id): PASSPHRASE}, headers=admin_headers),
        client.post(f"{base}.csv.zip", json={str(key_id): PASSPHRASE}, headers=admin_headers),
        client.post(f"{base}.csv.zip", data={str(key_id): PASSPHRASE}, headers=admin_headers),
    ]
    for response in bodies:
        assert response.status_code == 200, response.text
    files = unzip(bodies[0].content)
    assert files == unzip(bodies[1].content) == unzip(bodies[2].content)
    assert files["media/foto.jpg"] == PHOTO
    assert sorted(n for n in files if n.startswith("media/")) == ["media/foto.jpg"]
    rows = {r["KEY"]: r for r in csv_rows(files[f"{FORM}.csv"])}
    for sent in (first, second):
        row = rows[sent.instance_id]
        assert row["Status"] == ""
        values = _decrypted_values(
            sent.plaintext["submission.xml"], client, admin_headers, project_id
        )
        assert row["name"] == values["/name"]
        assert row["group-members"] == values["/group/members"] == "23"
        assert row["photo"] == values["/photo"]
    activities = csv_rows(files[f"{FORM}-activity.csv"])
    assert sorted(r["kind"] for r in activities) == ["kopi", "kopi", "tenun", "tenun"]
    root = csv_rows(
        client.post(f"{base}.csv", json={str(key_id): PASSPHRASE}, headers=admin_headers).content
    )
    assert {r["name"] for r in root} == {"Ibu Siti", "Ibu Ani"}
    # OData never decrypts.
    odata = client.get(
        f"/v1/projects/{project_id}/forms/{FORM}.svc/Submissions", headers=admin_headers
    )
    assert all(set(e) == {"__id", "__system"} for e in odata.json()["value"])
    keys = client.get(f"{base}/keys", headers=admin_headers).json()
    assert [(k["id"], k["managed"], k["hint"]) for k in keys] == [
        (key_id, True, "buku catatan merah")
    ]


def test_plain_rows_stay_and_other_keys_rows_go_once_a_passphrase_is_given(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    publish_plain(client, admin_headers, project_id)
    post_submission(client, admin_headers, project_id, submission(instance_id="uuid:polos"))
    key_id = enable(client, admin_headers, project_id)
    sent = encrypted(client, admin_headers, project_id)
    assert post(client, admin_headers, project_id, sent).status_code == 201
    base = f"/v1/projects/{project_id}/forms/{FORM}/submissions"
    rows = csv_rows(
        client.post(f"{base}.csv", json={str(key_id): PASSPHRASE}, headers=admin_headers).content
    )
    assert {r["KEY"]: r["Status"] for r in rows} == {"uuid:polos": "", sent.instance_id: ""}


def test_edits_and_resends_of_encrypted_submissions(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    publish_plain(client, admin_headers, project_id)
    key_id = enable(client, admin_headers, project_id)
    original = encrypted(client, admin_headers, project_id, name="Sebelum")
    assert post(client, admin_headers, project_id, original).status_code == 201
    assert post(client, admin_headers, project_id, original).status_code == 201
    edit = encrypted(
        client,
        admin_headers,
        project_id,
        name="Sesudah",
        deprecated_id=original.instance_id,
    )
    assert post(client, admin_headers, project_id, edit).status_code == 201
    base = f"/v1/projects/{project_id}/forms/{FORM}/submissions"
    versions = client.get(f"{base}/{original.instance_id}/versions", headers=admin_headers).json()
    assert [v["instanceId"] for v in versions] == [edit.instance_id, original.instance_id]
    rows = csv_rows(
        client.post(f"{base}.csv", json={str(key_id): PASSPHRASE}, headers=admin_headers).content
    )
    assert [(r["KEY"], r["name"], r["Edits"]) for r in rows] == [
        (original.instance_id, "Sesudah", "1")
    ]
    other = encrypted(client, admin_headers, project_id, instance_id=original.instance_id)
    assert post(client, admin_headers, project_id, other).status_code == 409


def test_tampered_and_missing_files_are_left_out_not_half_written(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    publish_plain(client, admin_headers, project_id)
    key_id = enable(client, admin_headers, project_id)
    good = encrypted(client, admin_headers, project_id, name="Utuh")
    cut = encrypted(client, admin_headers, project_id, name="Terpotong")
    cut.files["foto.jpg.enc"] = cut.files["foto.jpg.enc"][:-1]
    altered = encrypted(client, admin_headers, project_id, name="Diubah")
    xml_enc = bytearray(altered.files["submission.xml.enc"])
    xml_enc[-1] ^= 0xFF
    altered.files["submission.xml.enc"] = bytes(xml_enc)
    missing = encrypted(client, admin_headers, project_id, name="Belum")
    for sent, parts in (
        (good, None),
        (cut, None),
        (altered, None),
        (missing, {"foto.jpg.enc": missing.files["foto.jpg.enc"]}),
    ):
        assert post(client, admin_headers, project_id, sent, parts).status_code == 201
    base = f"/v1/projects/{project_id}/forms/{FORM}/submissions"
    response = client.post(f"{base}.csv.zip", json={str(key_id): PASSPHRASE}, headers=admin_headers)
    assert response.status_code == 200
    files = unzip(response.content)
    statuses = {r["KEY"]: (r["name"], r["Status"]) for r in csv_rows(files[f"{FORM}.csv"])}
    assert statuses == {
        good.instance_id: ("Utuh", ""),
        cut.instance_id: ("Terpotong", ""),
        altered.instance_id: ("", "not decrypted"),
        missing.instance_id: ("", "missing encrypted form data"),
    }
    # One photo name, the intact one: the cut file is left out, not sent half.
    assert files["media/foto.jpg"] == PHOTO
    assert [n for n in files if n.startswith("media/")] == ["media/foto.jpg"]
    assert form_version(client, admin_headers, project_id).startswith("1[encrypted:")


def test_the_stored_record_and_the_passphrase_alone_decrypt_what_was_stored(
    client: httpx.Client, admin_headers: H, project_id: int, services: Services
) -> None:
    """No server code: the key record and the blobs, as an analyst with a copy would."""
    publish_plain(client, admin_headers, project_id)
    key_id = enable(client, admin_headers, project_id)
    sent = encrypted(client, admin_headers, project_id)
    assert post(client, admin_headers, project_id, sent).status_code == 201
    with services.db.read() as session:
        record = session.get(Key, key_id)
        definition = session.exec(select(SubmissionDef)).one()
        attachments = list(session.exec(select(SubmissionAttachment)).all())
    assert record is not None and record.private is not None
    private = e.open_managed_key(record.private, PASSPHRASE)
    assert definition.local_key is not None
    aes = e.submission_key(private, definition.local_key)
    for attachment in attachments:
        assert attachment.blob_sha is not None and attachment.enc_index is not None
        stored = services.blobs.read_bytes(attachment.blob_sha)
        assert stored == sent.files[attachment.name]
        iv = e.file_iv(sent.instance_id, aes, attachment.enc_index)
        plain = sent.plaintext[attachment.name.removesuffix(".enc")]
        assert e.decrypt_bytes(aes, iv, stored) == plain


def test_absurd_passphrases_and_selects_are_clear_errors_not_failures(
    client: httpx.Client, admin_headers: H, project_id: int
) -> None:
    publish_plain(client, admin_headers, project_id)
    key_id = enable(client, admin_headers, project_id)
    sent = encrypted(client, admin_headers, project_id)
    assert post(client, admin_headers, project_id, sent).status_code == 201
    base = f"/v1/projects/{project_id}/forms/{FORM}/submissions"
    huge = "x" * 10_000_000
    too_big = client.post(f"{base}.csv.zip", json={str(key_id): huge}, headers=admin_headers)
    assert too_big.status_code == 413
    long = client.post(f"{base}.csv", json={str(key_id): "x" * 5000}, headers=admin_headers)
    assert long.status_code == 400 and long.json()["code"] == 400.12
    selected = client.get(
        f"/v1/projects/{project_id}/forms/{FORM}.svc/Submissions",
        params={"$select": "__id,name,__system/status"},
        headers=admin_headers,
    )
    assert selected.status_code == 200
    assert selected.json()["value"] == [
        {"__id": sent.instance_id, "__system": {"status": "notDecrypted"}}
    ]
