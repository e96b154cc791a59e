"""A full disk: uploads are refused with 507 and a clear message; nothing acknowledged is lost.

The data directory is a 4 MB tmpfs the test mounts (it runs as root in CI; elsewhere it
needs passwordless ``sudo mount``), so the blob store and, on SQLite, the database
itself run out of space for real. First attachments no longer fit (blob writes fail),
then, with the rest of the space taken by a filler file, even a submission without
files cannot be written on SQLite (its database write fails; on PostgreSQL the database
lives elsewhere and the submission is stored). Once space is freed the
server takes submissions again, and every one acknowledged before is intact.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from server.domain import Services
from server.domain.accounts import create_user
from server.settings import Settings
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD, create_app_user, publish_xform
from tests.reliability.support import (
    FORM,
    FORM_ID,
    OPENROSA,
    Sent,
    ServerProcess,
    check_no_half_writes,
    check_stored,
    new_submission,
    post_submission,
)

SIZE = "4m"


def _as_root(*command: str) -> None:
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    subprocess.run([*prefix, *command], check=True, capture_output=True)


@pytest.fixture
def small_data_dir(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    _as_root("mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0777", "tmpfs", str(mount_point))
    try:
        yield mount_point
    finally:
        _as_root("umount", "-l", str(mount_point))


def _fill(directory: Path) -> Path:
    """Take every free byte of the file system with one file; return its path."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def test_disk_full_is_507_and_loses_nothing(
    settings: Settings, small_data_dir: Path, tmp_path: Path
) -> None:
    # The files store: on the small disk (blobs in PostgreSQL would live elsewhere).
    small = Settings(
        data_dir=small_data_dir, database_url=settings.database_url, blob_store="files"
    )
    on_sqlite = make_url(small.resolved_database_url()).get_backend_name() == "sqlite"
    if on_sqlite:
        shutil.copyfile(settings.data_dir / "jaring.db", small_data_dir / "jaring.db")
    services = Services.from_settings(small)
    create_user(services, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True)
    rng = random.Random(8)
    acked: list[Sent] = []
    with (
        ServerProcess(small, tmp_path / "serve.log") as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        login = http.post("/v1/sessions", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        project = http.post("/v1/projects", json={"name": "Penuh"}, headers=headers).json()["id"]
        assert publish_xform(http, headers, project, FORM).status_code == 200
        token = create_app_user(http, headers, project, forms=(FORM_ID,))["token"]
        url = f"{server.url}/v1/key/{token}/projects/{project}"

        # Room kept aside, to be freed at the end.
        reserve = small_data_dir / "reserve"
        reserve.write_bytes(b"\0" * 1_500_000)

        # 1. Attachments until the blob store runs out of room.
        refused = None
        for _ in range(40):
            sent = new_submission(rng, size=300_000)
            status = post_submission(http, url, sent)
            if status == 201:
                acked.append(sent)
                continue
            refused = http.post(
                f"{url}/submission",
                headers=OPENROSA,
                files=[("xml_submission_file", ("s.xml", sent.xml, "text/xml"))]
                + [(n, (n, c, "application/octet-stream")) for n, c in sent.files.items()],
            )
            break
        assert refused is not None, "4 MB never filled up"
        assert acked, "nothing fitted at all"
        assert refused.status_code == 507, refused.text
        assert "disk is full" in refused.text

        # 2. Not a byte left: even a submission without files cannot be stored.
        filler = _fill(small_data_dir)
        bare = new_submission(rng, size=2, name="x" * 200_000)
        bare.files = {}
        bare.xml = bare.xml.replace(b"<photo>", b"<photo/><x>").replace(b"</photo>", b"</x>")
        bare.xml = bare.xml.replace(b"<audio>", b"<audio/><y>").replace(b"</audio>", b"</y>")
        status = post_submission(http, url, bare)
        # On PostgreSQL the database lives elsewhere and has room: stored, not refused.
        assert status == (507 if on_sqlite else 201), f"a submission without files got {status}"
        assert http.get("/healthz").status_code == 200

        # 3. Space again: nothing acknowledged was lost, and uploads work again.
        filler.unlink()
        reserve.unlink()
        retry = new_submission(rng, size=10_000)
        assert post_submission(http, url, retry) == 201
        acked.append(retry)
        assert post_submission(http, url, bare) == 201
        acked.append(bare)
    check_stored(services, acked)
    assert check_no_half_writes(services, files_per_submission=None) == len(acked)
    services.db.dispose()
