"""Encrypted submissions in a backup: restored byte for byte, still opening with the
passphrase (the backup holds only the sealed key record)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from server.settings import Settings
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD, publish_xform, xform
from tests.encryption.support import (
    FORM,
    PHOTO,
    csv_rows,
    decrypted_zip,
    enable,
    encrypted,
    post,
)
from tests.reliability.support import JARING, ServerProcess, server_env


@pytest.fixture
def restore_settings(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    data_dir = tmp_path / "restored"
    if not settings.database_url:
        yield Settings(data_dir=data_dir)
        return
    url = make_url(settings.database_url)
    name = f"{url.database}_enc_restored"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield Settings(data_dir=data_dir, database_url=url.set(database=name).render_as_string(False))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _jaring(*args: str, settings: Settings) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [JARING, *args], env=server_env(settings), capture_output=True, text=True, timeout=120
    )


def test_backup_and_restore_keep_encrypted_submissions_openable(
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    settings: Settings,
    restore_settings: Settings,
    tmp_path: Path,
) -> None:
    assert publish_xform(client, admin_headers, project_id, xform(FORM)).status_code == 200
    key_id = enable(client, admin_headers, project_id)
    sent = encrypted(client, admin_headers, project_id)
    assert post(client, admin_headers, project_id, sent).status_code == 201
    out = tmp_path / "backup"
    made = _jaring("backup", str(out), settings=settings)
    assert made.returncode == 0, made.stderr
    restored = _jaring(
        "restore", str(out), "--data-dir", str(restore_settings.data_dir), settings=restore_settings
    )
    assert restored.returncode == 0, restored.stderr
    with ServerProcess(restore_settings, tmp_path / "serve.log") as server:
        with httpx.Client(base_url=server.url, auth=(ADMIN_EMAIL, ADMIN_PASSWORD)) as http:
            base = f"/v1/projects/{project_id}/forms/{FORM}/submissions/{sent.instance_id}"
            assert http.get(f"{base}.xml").content == sent.manifest
            files = decrypted_zip(http, project_id, key_id)
    assert files["media/foto.jpg"] == PHOTO
    assert csv_rows(files[f"{FORM}.csv"])[0]["name"] == "Ibu Siti"
