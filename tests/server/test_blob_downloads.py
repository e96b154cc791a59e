"""Downloads from the blob store, on each store the database allows (files everywhere,
PostgreSQL as well when DATABASE_URL is PostgreSQL): attachments, form media and the CSV
zip read through the store; ``Range`` requests; a lost blob is a 500.2 problem sent
before any byte of the body, and logged."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import random
import zipfile

import httpx
import pytest
from sqlalchemy import text

from server.domain import Services
from server.settings import Settings
from tests.builders import create_app_user, publish_xform, xform
from tests.reliability.conftest import Phone
from tests.reliability.support import FORM, FORM_ID, Sent, new_submission, post_submission

STORES = ["files", "postgres"] if os.environ.get("DATABASE_URL") else ["files"]
MIB = 1 << 20


@pytest.fixture(params=STORES)
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return settings.model_copy(update={"blob_store": request.param})


@pytest.fixture
def phone(client: httpx.Client, admin_headers: dict[str, str], project_id: int) -> Phone:
    assert publish_xform(client, admin_headers, project_id, FORM).status_code == 200
    app_user = create_app_user(client, admin_headers, project_id, forms=(FORM_ID,))
    return Phone(token=app_user["token"], project_id=project_id)


def _submit(client: httpx.Client, phone: Phone, size: int) -> Sent:
    sent = new_submission(random.Random(size), size=size)
    sent.files = {name: random.Random(name).randbytes(size) for name in sent.files}
    assert post_submission(client, phone.server_url(str(client.base_url)), sent) == 201
    return sent


def _attachment_url(phone: Phone, sent: Sent, name: str) -> str:
    return (
        f"/v1/projects/{phone.project_id}/forms/{FORM_ID}/submissions/{sent.instance_id}"
        f"/attachments/{name}"
    )


def _blob_count(services: Services) -> tuple[int, int]:
    """(files in the blobs folder, blobs in the database)."""
    root = services.settings.blob_dir
    files = sum(1 for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp")
    with services.db.read() as session:
        rows = session.execute(text("SELECT count(*) FROM blob_chunks WHERE idx = 0")).scalar_one()
    return files, int(rows)


def _lose(services: Services, sha: str) -> None:
    """Remove a blob behind the database's back (by hand, as an operator might)."""
    if services.blobs.kind == "files":
        (services.settings.blob_dir / sha[:2] / sha[2:4] / sha).unlink()
    else:
        with services.db.write() as session:
            session.execute(text("DELETE FROM blob_chunks WHERE sha256 = :s"), {"s": sha})


def test_attachments_stream_whole_and_in_ranges(
    client: httpx.Client, admin_headers: dict[str, str], phone: Phone, services: Services
) -> None:
    sent = _submit(client, phone, 3 * MIB + 123)
    assert _blob_count(services) == ((2, 0) if services.blobs.kind == "files" else (0, 2))
    name, content = next(iter(sent.files.items()))
    url = _attachment_url(phone, sent, name)

    whole = client.get(url, headers=admin_headers)
    assert whole.status_code == 200
    assert whole.content == content
    assert whole.headers["content-length"] == str(len(content))
    assert whole.headers["accept-ranges"] == "bytes"

    across = client.get(url, headers={**admin_headers, "Range": f"bytes={MIB - 5}-{MIB + 4}"})
    assert across.status_code == 206
    assert across.content == content[MIB - 5 : MIB + 5]
    assert across.headers["content-range"] == f"bytes {MIB - 5}-{MIB + 4}/{len(content)}"

    tail = client.get(url, headers={**admin_headers, "Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == content[-10:]

    several = client.get(url, headers={**admin_headers, "Range": f"bytes=0-3,{2 * MIB}-{2 * MIB}"})
    assert several.status_code == 206
    assert several.headers["content-type"].startswith("multipart/byteranges")
    assert content[:4] in several.content and content[2 * MIB : 2 * MIB + 1] in several.content

    beyond = client.get(url, headers={**admin_headers, "Range": f"bytes={len(content)}-"})
    assert beyond.status_code == 416

    etag = whole.headers["etag"]
    same = client.get(url, headers={**admin_headers, "Range": "bytes=0-0", "If-Range": etag})
    assert same.status_code == 206 and same.content == content[:1]
    changed = client.get(url, headers={**admin_headers, "Range": "bytes=0-0", "If-Range": '"x"'})
    assert changed.status_code == 200 and changed.content == content


def test_form_media_and_the_csv_zip_read_through_the_store(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, phone: Phone
) -> None:
    created = client.post(
        f"/v1/projects/{project_id}/forms",
        params={"publish": "false"},
        content=xform(form_id="media", media=("desa.csv",)),
        headers={**admin_headers, "Content-Type": "application/xml"},
    )
    assert created.status_code == 200, created.text
    base = f"/v1/projects/{project_id}/forms/media"
    media = b"name,label\n" + b"".join(b"%d,Desa %d\n" % (i, i) for i in range(200_000))
    assert len(media) > 2 * MIB
    put = client.post(
        f"{base}/draft/attachments/desa.csv",
        content=media,
        headers={**admin_headers, "Content-Type": "text/csv"},
    )
    assert put.json() == {"success": True}
    assert client.post(f"{base}/draft/publish", headers=admin_headers).status_code == 200
    served = client.get(f"{base}/attachments/desa.csv", headers=admin_headers)
    assert served.content == media
    listed = client.get(f"{base}/attachments", headers=admin_headers).json()
    assert listed[0]["hash"] == hashlib.md5(media, usedforsecurity=False).hexdigest()

    sent = _submit(client, phone, 300_000)
    zipped = client.get(
        f"/v1/projects/{phone.project_id}/forms/{FORM_ID}/submissions.csv.zip",
        headers=admin_headers,
    )
    assert zipped.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(zipped.content))
    for name, content in sent.files.items():
        assert archive.read(f"media/{name}") == content


def test_a_lost_blob_is_a_problem_before_any_byte_and_is_logged(
    client: httpx.Client,
    admin_headers: dict[str, str],
    phone: Phone,
    services: Services,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent = _submit(client, phone, 2 * MIB)
    (lost, content), (kept, kept_content) = sent.files.items()
    sha = hashlib.sha256(content).hexdigest()
    _lose(services, sha)
    with caplog.at_level(logging.ERROR, logger="jaring"):
        response = client.get(_attachment_url(phone, sent, lost), headers=admin_headers)
        ranged = client.get(
            _attachment_url(phone, sent, lost), headers={**admin_headers, "Range": "bytes=5-9"}
        )
        zipped = client.get(
            f"/v1/projects/{phone.project_id}/forms/{FORM_ID}/submissions.csv.zip",
            headers=admin_headers,
        )
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == 500.2
    assert response.json()["details"] == {"sha256": sha}
    assert ranged.status_code == 500 and ranged.json()["code"] == 500.2
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert sum(sha in message for message in logged) >= 3  # two downloads and the export
    # The export leaves the lost file out, as a file never received, and keeps the rest.
    archive = zipfile.ZipFile(io.BytesIO(zipped.content))
    assert f"media/{lost}" not in archive.namelist()
    assert archive.read(f"media/{kept}") == kept_content
    assert client.get(_attachment_url(phone, sent, kept), headers=admin_headers).content == (
        kept_content
    )
