"""Backups: `jaring backup` while phones submit, `jaring restore` into a fresh place.

Every submission acknowledged before the backup started comes back byte for byte (XML
and attachment files), on each blob store the database allows (files; on PostgreSQL
also blobs in the database, and a store half-way between the two); the manifest's
checksums catch a damaged backup; a restore never overwrites an existing data directory
or database; a missing pg_dump is a clear error.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from server.domain import Services, blob_store
from server.settings import Settings
from server.tasks import backup
from tests.reliability.conftest import Phone
from tests.reliability.support import (
    JARING,
    Sent,
    ServerProcess,
    check_no_half_writes,
    check_stored,
    new_submission,
    post_submission,
    server_env,
)

STORES = ["files", "postgres"] if os.environ.get("DATABASE_URL") else ["files"]


@pytest.fixture(params=STORES)
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return settings.model_copy(update={"blob_store": request.param})


@pytest.fixture
def restore_settings(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Where to restore: a new data directory, and a new empty database on PostgreSQL;
    the same blob store as the backed-up server's."""
    data_dir = tmp_path / "restored"
    if not settings.database_url:
        yield Settings(data_dir=data_dir, blob_store=settings.blob_store)
        return
    url = make_url(settings.database_url)
    name = f"{url.database}_restored"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield Settings(
        data_dir=data_dir,
        database_url=url.set(database=name).render_as_string(False),
        blob_store=settings.blob_store,
    )
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _jaring(*args: str, settings: Settings) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [JARING, *args],
        env=server_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_backup_under_load_restores_every_acknowledged_submission(
    settings: Settings,
    services: Services,
    phone: Phone,
    restore_settings: Settings,
    tmp_path: Path,
) -> None:
    sent: list[Sent] = []
    stop = threading.Event()
    enough = threading.Event()

    def submit(seed: int, url: str) -> None:
        rng = random.Random(seed)
        with httpx.Client(timeout=30) as http:
            while not stop.is_set():
                item = new_submission(rng, size=50_000)
                sent.append(item)
                assert post_submission(http, url, item) == 201
                if sum(s.acked for s in sent) >= 6:
                    enough.set()

    out = tmp_path / "backup"
    with ServerProcess(settings, tmp_path / "serve.log") as server:
        phones = [
            threading.Thread(target=submit, args=(seed, phone.server_url(server.url)))
            for seed in (1, 2)
        ]
        for thread in phones:
            thread.start()
        try:
            assert enough.wait(30)
            before = [s for s in list(sent) if s.acked]
            made = _jaring("backup", str(out), settings=settings)
            during = len(sent)
        finally:
            stop.set()
            for thread in phones:
                thread.join(30)
    assert made.returncode == 0, made.stderr
    assert "Backed up" in made.stdout
    assert len(sent) > during or during > len(before), "no submission arrived during the backup"

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "jaring-backup"
    assert manifest["blob_store"] == settings.blob_store
    blob_files = [f for f in manifest["files"] if f["path"].startswith("blobs/")]
    if settings.blob_store == "files":
        assert len(blob_files) >= 2 * len(before)
    else:  # the blobs travel inside the database's dump
        assert blob_files == []

    restored = _jaring(
        "restore", str(out), "--data-dir", str(restore_settings.data_dir), settings=restore_settings
    )
    assert restored.returncode == 0, restored.stderr
    target = Services.from_settings(restore_settings)
    try:
        check_stored(target, before)
        assert check_no_half_writes(target) >= len(before)
    finally:
        target.db.dispose()

    # Restoring again over what is there now is refused.
    with pytest.raises(backup.BackupError, match="fresh|not empty"):
        backup.restore(out, restore_settings)


def test_a_damaged_backup_is_refused(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    blob = services.blobs.put_bytes(b"foto koperasi")
    out = tmp_path / "backup"
    backup.backup(settings, out)
    backup.verify(out, backup.read_manifest(out))
    damaged = out / "blobs" / blob.sha256[:2] / blob.sha256[2:4] / blob.sha256
    if settings.resolved_blob_store() == "postgres":  # the blob is inside the dump
        assert not damaged.exists()
        damaged = out / backup.PG_DUMP_FILE
    content = bytearray(damaged.read_bytes())
    content[-1] ^= 1
    damaged.write_bytes(bytes(content))
    with pytest.raises(backup.BackupError, match="does not match its checksum"):
        backup.restore(out, Settings(data_dir=tmp_path / "fresh"))
    (out / "manifest.json").unlink()
    with pytest.raises(backup.BackupError, match="not a \\(complete\\) Jaring backup"):
        backup.restore(out, Settings(data_dir=tmp_path / "fresh"))
    assert not (tmp_path / "fresh" / "jaring.db").exists()
    shutil.rmtree(out)
    out.mkdir()
    (out / "something").write_text("x")
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.backup(settings, out)


def test_a_missing_pg_dump_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(backup.BackupError, match="pg_dump is not installed.*postgresql-client"):
        backup._require("pg_dump")


def test_a_store_half_way_between_files_and_postgres_is_backed_up_whole(
    settings: Settings, services: Services, restore_settings: Settings, tmp_path: Path
) -> None:
    if services.db.is_sqlite:
        assert settings.resolved_blob_store() == "files"  # the only store on SQLite
        return
    contents = [random.Random(seed).randbytes(1_500_000 + seed) for seed in range(4)]
    stores = [blob_store(settings, services.db, kind) for kind in ("files", "postgres")]
    for index, content in enumerate(contents):
        stores[index % 2].put_bytes(content)
    out = tmp_path / "backup"
    backup.backup(settings, out)
    backup.restore(out, restore_settings)
    target = Services.from_settings(restore_settings)
    try:
        restored = [blob_store(restore_settings, target.db, kind) for kind in ("files", "postgres")]
        for index, content in enumerate(contents):
            sha = hashlib.sha256(content).hexdigest()
            assert restored[index % 2].read_bytes(sha) == content
            assert not restored[1 - index % 2].exists(sha)
    finally:
        target.db.dispose()
