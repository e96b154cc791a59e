"""Two `jaring serve` processes on one database answer as one server.

On PostgreSQL the two processes have separate data directories: they stand for two
machines behind a load balancer, with no shared disk, the blobs in the database. On
SQLite, whose database only processes of one machine can share, they share one data
directory. Either way: a submission sent to one is listed, downloaded and exported
through the other; Collect's split upload may cross from one to the other; a form
published through one is served to phones by the other with the same hashes; the log-in
limits count both together; killing one (SIGKILL) during uploads loses nothing it
acknowledged while the other keeps serving; and a backup made through one restores
every blob byte for byte.
"""

from __future__ import annotations

import hashlib
import io
import random
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from server.domain import Services
from server.domain.accounts import create_user
from server.domain.ratelimit import ACCOUNT_FAILURES
from server.settings import Settings
from tests.builders import create_app_user, xform
from tests.reliability.conftest import Phone
from tests.reliability.support import (
    FORM_ID,
    JARING,
    OPENROSA,
    Sent,
    ServerProcess,
    check_no_half_writes,
    check_stored,
    new_submission,
    post_submission,
    server_env,
)

MEDIA = b"kode,nama\n7371,Kota Makassar\n1101,Kabupaten Simeulue\n"


@pytest.fixture
def machines(settings: Settings, tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    if settings.database_url:
        a_settings = settings.model_copy(update={"data_dir": tmp_path / "machine-a"})
        b_settings = settings.model_copy(update={"data_dir": tmp_path / "machine-b"})
    else:
        a_settings = b_settings = settings
    a = ServerProcess(a_settings, tmp_path / "a.log")
    b = ServerProcess(b_settings, tmp_path / "b.log")
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        a.kill()
        b.kill()


def _submissions_url(origin: str, phone: Phone) -> str:
    return f"{origin}/v1/projects/{phone.project_id}/forms/{FORM_ID}/submissions"


def _listed(origin: str, phone: Phone, headers: dict[str, str]) -> list[str]:
    response = httpx.get(_submissions_url(origin, phone), headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return [row["instanceId"] for row in response.json()]


def test_a_submission_sent_to_one_is_listed_downloaded_and_exported_by_the_other(
    machines: tuple[ServerProcess, ServerProcess],
    phone: Phone,
    admin_headers: dict[str, str],
) -> None:
    a, b = machines
    rng = random.Random(16)
    whole, split = new_submission(rng), new_submission(rng, name="Ibu Nur")
    with httpx.Client(timeout=30) as http:
        assert post_submission(http, phone.server_url(a.url), whole) == 201
        # Collect's split upload: the XML with the photo to A, the XML with the rest to B.
        photo, audio = list(split.files)
        first = [
            ("xml_submission_file", ("submission.xml", split.xml, "text/xml")),
            (photo, (photo, split.files[photo], "image/jpeg")),
        ]
        second = [
            ("xml_submission_file", ("submission.xml", split.xml, "text/xml")),
            (audio, (audio, split.files[audio], "audio/mp4")),
        ]
        sent_first = http.post(
            f"{phone.server_url(a.url)}/submission", headers=OPENROSA, files=first
        )
        assert sent_first.status_code == 201, sent_first.text
        sent_second = http.post(
            f"{phone.server_url(b.url)}/submission", headers=OPENROSA, files=second
        )
        assert sent_second.status_code == 201, sent_second.text

        assert sorted(_listed(b.url, phone, admin_headers)) == sorted(
            [whole.instance_id, split.instance_id]
        )
        for item in (whole, split):
            for origin in (a.url, b.url):
                base = f"{_submissions_url(origin, phone)}/{item.instance_id}/attachments"
                listed = http.get(base, headers=admin_headers).json()
                assert {(x["name"], x["exists"]) for x in listed} == {
                    (name, True) for name in item.files
                }
                for name, content in item.files.items():
                    served = http.get(f"{base}/{name}", headers=admin_headers)
                    assert served.status_code == 200 and served.content == content

        export = http.get(
            f"{b.url}/v1/projects/{phone.project_id}/forms/{FORM_ID}/submissions.csv.zip",
            headers=admin_headers,
        )
        assert export.status_code == 200, export.text
        archive = zipfile.ZipFile(io.BytesIO(export.content))
        for item in (whole, split):
            for name, content in item.files.items():
                assert archive.read(f"media/{name}") == content


def test_a_form_published_through_one_is_served_to_phones_by_the_other(
    machines: tuple[ServerProcess, ServerProcess],
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    a, b = machines
    with httpx.Client(base_url=a.url, timeout=30) as through_a:
        created = through_a.post(
            f"/v1/projects/{project_id}/forms",
            content=xform("wilayah_desa", media=("desa.csv",)),
            headers={**admin_headers, "Content-Type": "application/xml"},
        )
        assert created.status_code == 200, created.text
        base = f"/v1/projects/{project_id}/forms/wilayah_desa"
        uploaded = through_a.post(
            f"{base}/draft/attachments/desa.csv",
            content=MEDIA,
            headers={**admin_headers, "Content-Type": "text/csv"},
        )
        assert uploaded.status_code == 200, uploaded.text
        published = through_a.post(f"{base}/draft/publish", headers=admin_headers)
        assert published.status_code == 200, published.text
        app_user = create_app_user(through_a, admin_headers, project_id, forms=("wilayah_desa",))

    lists = {}
    with httpx.Client(timeout=30, headers=OPENROSA) as http:
        for origin in (a.url, b.url):
            phone_url = f"{origin}/v1/key/{app_user['token']}/projects/{project_id}"
            form_list = http.get(f"{phone_url}/formList")
            assert form_list.status_code == 200, form_list.text
            lists[origin] = form_list.text.replace(origin, "ORIGIN")
            manifest = http.get(f"{phone_url}/forms/wilayah_desa/manifest")
            assert manifest.status_code == 200, manifest.text
            assert f"md5:{hashlib.md5(MEDIA).hexdigest()}" in manifest.text
            media = http.get(f"{phone_url}/forms/wilayah_desa/attachments/desa.csv")
            assert media.status_code == 200 and media.content == MEDIA
    assert lists[a.url] == lists[b.url]
    assert "wilayah_desa" in lists[a.url]


def test_log_in_limits_count_both_together(
    machines: tuple[ServerProcess, ServerProcess], services: Services
) -> None:
    a, b = machines
    email, password = "analis@example.org", "kata-sandi-analis"
    create_user(services, email=email, password=password)
    with httpx.Client(timeout=30) as http:
        for number in range(ACCOUNT_FAILURES):
            origin = (a.url, b.url)[number % 2]
            wrong = http.post(
                f"{origin}/v1/sessions", json={"email": email, "password": f"salah-{number}"}
            )
            assert wrong.status_code == 401, wrong.text
        for origin in (a.url, b.url):
            refused = http.post(
                f"{origin}/v1/sessions", json={"email": email, "password": password}
            )
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["Retry-After"]) > 0


def test_killing_one_during_uploads_loses_nothing_it_acknowledged(
    machines: tuple[ServerProcess, ServerProcess],
    phone: Phone,
    admin_headers: dict[str, str],
    services: Services,
) -> None:
    a, b = machines
    rng = random.Random(2026)
    sent = [new_submission(rng, size=60_000) for _ in range(60)]
    to_a, to_b = sent[0::2], sent[1::2]
    a_started = threading.Event()

    def send(origin: str, queue: list[Sent], started: threading.Event | None) -> None:
        with httpx.Client(timeout=30) as http:
            for item in queue:
                try:
                    post_submission(http, phone.server_url(origin), item)
                except httpx.TransportError as error:
                    item.statuses.append(type(error).__name__)
                if started is not None and item.acked:
                    started.set()

    threads = [
        threading.Thread(target=send, args=(a.url, to_a, a_started)),
        threading.Thread(target=send, args=(b.url, to_b, None)),
    ]
    for thread in threads:
        thread.start()
    assert a_started.wait(60), "A acknowledged nothing"
    a.kill()
    for thread in threads:
        thread.join(120)
    assert any(not item.acked for item in to_a), "A finished before it was killed"
    assert all(item.acked for item in to_b), [item.statuses for item in to_b]

    # What A never acknowledged, the phones send again, to B; nothing comes twice.
    with httpx.Client(timeout=30) as http:
        for item in sent:
            if not item.acked:
                assert post_submission(http, phone.server_url(b.url), item) == 201
    listed = _listed(b.url, phone, admin_headers)
    assert sorted(listed) == sorted(item.instance_id for item in sent)
    check_stored(services, sent)
    assert check_no_half_writes(services) == len(sent)


def test_a_backup_through_one_restores_the_blobs_both_received(
    machines: tuple[ServerProcess, ServerProcess],
    phone: Phone,
    settings: Settings,
    tmp_path: Path,
) -> None:
    a, b = machines
    rng = random.Random(5)
    sent = [new_submission(rng) for _ in range(6)]
    with httpx.Client(timeout=30) as http:
        for index, item in enumerate(sent):
            origin = (a.url, b.url)[index % 2]
            assert post_submission(http, phone.server_url(origin), item) == 201
    out = tmp_path / "backup"
    made = _jaring("backup", str(out), settings=b.settings)
    assert made.returncode == 0, made.stderr
    with _restore_target(settings, tmp_path / "restored") as target_settings:
        restored = _jaring(
            "restore",
            str(out),
            "--data-dir",
            str(target_settings.data_dir),
            settings=target_settings,
        )
        assert restored.returncode == 0, restored.stderr
        target = Services.from_settings(target_settings)
        try:
            check_stored(target, sent)
            assert check_no_half_writes(target) == len(sent)
        finally:
            target.db.dispose()


def _jaring(*args: str, settings: Settings) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [JARING, *args], env=server_env(settings), capture_output=True, text=True, timeout=180
    )


@contextmanager
def _restore_target(settings: Settings, data_dir: Path) -> Iterator[Settings]:
    """A fresh place to restore into: a new data directory, and on PostgreSQL a new empty
    database, dropped afterwards."""
    if not settings.database_url:
        yield Settings(data_dir=data_dir)
        return
    url = make_url(settings.database_url)
    name = f"{url.database}_restored"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Settings(
            data_dir=data_dir, database_url=url.set(database=name).render_as_string(False)
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
