"""Shared steps of the encryption tests: keyed forms, and submissions sent as Collect does."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile

import httpx

from server.data.encryption import generate_managed_key
from server.data.xform import with_public_key
from tests.builders import publish_xform, submission, xform
from tests.encryption.collect import EncryptedSubmission, encrypt_submission

FORM = "profil"
PASSPHRASE = "kata sandi para analis 2026"
PHOTO = bytes(range(256)) * 40 + b"\xff\xd9"  # 10 KB that is not a multiple of 16


def self_keyed_xform(form_id: str = FORM, version: str = "1") -> tuple[bytes, str]:
    """A form carrying its own public key (and the key's text)."""
    public, _ = generate_managed_key("unused passphrase")
    return with_public_key(xform(form_id, version), public, ""), public


def enable(client: httpx.Client, headers: dict[str, str], project_id: int) -> int:
    """Managed encryption on the project; returns its keyId."""
    response = client.post(
        f"/v1/projects/{project_id}/key",
        json={"passphrase": PASSPHRASE, "hint": "buku catatan merah"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    key_id: int = client.get(f"/v1/projects/{project_id}", headers=headers).json()["keyId"]
    return key_id


def form_public_key(client: httpx.Client, headers: dict[str, str], project_id: int) -> str:
    xml = client.get(f"/v1/projects/{project_id}/forms/{FORM}.xml", headers=headers).content
    start = xml.index(b'base64RsaPublicKey="') + len(b'base64RsaPublicKey="')
    return xml[start : xml.index(b'"', start)].decode()


def form_version(client: httpx.Client, headers: dict[str, str], project_id: int) -> str:
    form = client.get(f"/v1/projects/{project_id}/forms/{FORM}", headers=headers).json()
    version: str = form["version"]
    return version


def encrypted(
    client: httpx.Client,
    headers: dict[str, str],
    project_id: int,
    *,
    name: str = "Ibu Siti",
    photo: bytes | None = PHOTO,
    instance_id: str | None = None,
    deprecated_id: str | None = None,
) -> EncryptedSubmission:
    """A member's submission to the project's keyed form, encrypted as Collect does."""
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    version = form_version(client, headers, project_id)
    xml = submission(
        FORM,
        version,
        instance_id=instance_id,
        name=name,
        photo="foto.jpg" if photo is not None else "",
        deprecated_id=deprecated_id,
    )
    return encrypt_submission(
        form_public_key(client, headers, project_id),
        form_id=FORM,
        version=version,
        instance_id=instance_id,
        xml=xml,
        media={"foto.jpg": photo} if photo is not None else {},
        deprecated_id=deprecated_id,
    )


def post(
    client: httpx.Client,
    headers: dict[str, str],
    project_id: int,
    sent: EncryptedSubmission,
    parts: dict[str, bytes] | None = None,
) -> httpx.Response:
    """One OpenRosa POST of the manifest and ``parts`` (all the ``.enc`` files by default)."""
    files: list[tuple[str, tuple[str, bytes, str]]] = [
        ("xml_submission_file", ("submission.xml", sent.manifest, "text/xml"))
    ]
    for name, data in (sent.parts() if parts is None else parts).items():
        files.append((name, (name, data, "application/octet-stream")))
    return client.post(
        f"/v1/projects/{project_id}/submission",
        headers={**headers, "X-OpenRosa-Version": "1.0"},
        files=files,
    )


def publish_plain(client: httpx.Client, headers: dict[str, str], project_id: int) -> None:
    assert publish_xform(client, headers, project_id, xform(FORM)).status_code == 200


def unzip(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def csv_rows(text: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.decode("utf-8"))))


def decrypted_zip(http: httpx.Client, project: int, key_id: int) -> dict[str, bytes]:
    """The form's CSV zip, decrypted with the passphrase (given in a POST body)."""
    response = http.post(
        f"/v1/projects/{project}/forms/{FORM}/submissions.csv.zip", json={str(key_id): PASSPHRASE}
    )
    assert response.status_code == 200, response.text
    return unzip(response.content)
