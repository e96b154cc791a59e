"""`jaring blobs migrate --to postgres|files`: both ways, killed half-way (SIGKILL) and run
again, every blob checked by its SHA-256 at every step; a damaged blob is left where it
is. On SQLite there is no database store to move to, and the command says so."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
from pathlib import Path

from server.domain import Services, blob_store
from server.external.blobs import CHUNK_BYTES, BlobMissing
from server.settings import Settings
from server.store.migrate import upgrade
from tests.reliability.support import JARING, server_env

ON_POSTGRES = bool(os.environ.get("DATABASE_URL"))


def _migrate(settings: Settings, to: str, *, kill_after: int | None = None) -> tuple[int, str]:
    """Run the command; with ``kill_after``, SIGKILL it once that many blobs are done."""
    process = subprocess.Popen(
        [JARING, "blobs", "migrate", "--to", to],
        env=server_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None and process.stdout is not None
    done = 0
    if kill_after is not None:
        for line in process.stderr:
            done += line.startswith("… ")
            if done >= kill_after:
                process.send_signal(signal.SIGKILL)
                break
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


def _blobs(rng: random.Random) -> dict[str, bytes]:
    sizes = [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 2 * CHUNK_BYTES + 7]
    sizes += [rng.randint(1, 700_000) for _ in range(18)]
    contents = [rng.randbytes(size) for size in sizes]
    return {hashlib.sha256(c).hexdigest(): c for c in contents}


def _check_whole(services: Services, blobs: dict[str, bytes], *, only_in: str | None) -> None:
    """Every blob is whole in some store (``only_in``: in that store and not the other)."""
    stores = {kind: blob_store(services.settings, services.db, kind) for kind in STORES}
    for sha, content in blobs.items():
        found = []
        for kind, store in stores.items():
            try:
                with store.open(sha) as reader:
                    data = reader.read()
            except BlobMissing:
                continue
            assert hashlib.sha256(data).hexdigest() == sha and data == content
            found.append(kind)
        assert found, f"blob {sha} was lost"
        if only_in is not None:
            assert found == [only_in], f"blob {sha} is in {found}"


STORES = ("files", "postgres")


if ON_POSTGRES:

    def test_migrate_both_ways_interrupted_and_resumed(settings: Settings) -> None:
        files_settings = settings.model_copy(update={"blob_store": "files"})
        services = Services.from_settings(files_settings)
        upgrade(services.db)
        try:
            blobs = _blobs(random.Random(16))
            for content in blobs.values():
                services.blobs.put_bytes(content)

            code, _ = _migrate(files_settings, "postgres", kill_after=5)
            assert code == -signal.SIGKILL
            _check_whole(services, blobs, only_in=None)
            code, output = _migrate(files_settings, "postgres")
            assert code == 0, output
            assert "every SHA-256 checked" in output
            _check_whole(services, blobs, only_in="postgres")
            assert not any(p.is_file() and len(p.name) == 64 for p in settings.blob_dir.rglob("*"))

            code, _ = _migrate(files_settings, "files", kill_after=7)
            assert code == -signal.SIGKILL
            _check_whole(services, blobs, only_in=None)
            code, output = _migrate(files_settings, "files")
            assert code == 0, output
            _check_whole(services, blobs, only_in="files")
            code, output = _migrate(files_settings, "files")
            assert code == 0 and "Moved 0 blobs" in output
        finally:
            services.db.dispose()

    def test_a_damaged_blob_is_reported_and_left_in_place(settings: Settings) -> None:
        files_settings = settings.model_copy(update={"blob_store": "files"})
        services = Services.from_settings(files_settings)
        upgrade(services.db)
        try:
            good = services.blobs.put_bytes(b"foto koperasi")
            bad = services.blobs.put_bytes(b"foto nelayan")
            path: Path = settings.blob_dir / bad.sha256[:2] / bad.sha256[2:4] / bad.sha256
            path.write_bytes(b"foto nelayaN")
            code, output = _migrate(files_settings, "postgres")
            assert code == 1
            assert "1 blobs are damaged" in output and bad.sha256 in output
            assert path.read_bytes() == b"foto nelayaN"
            postgres = blob_store(settings, services.db, "postgres")
            assert postgres.read_bytes(good.sha256) == b"foto koperasi"
            assert not postgres.exists(bad.sha256)
        finally:
            services.db.dispose()

else:

    def test_there_is_no_database_store_on_sqlite(settings: Settings) -> None:
        code, output = _migrate(settings, "postgres")
        assert code == 1
        assert "only on PostgreSQL" in output
        assert "Traceback" not in output
        serving = subprocess.run(
            [JARING, "projects", "list"],
            env=server_env(settings.model_copy(update={"blob_store": "postgres"})),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert serving.returncode == 1
        assert serving.stderr.strip() == (
            "Error: JARING_BLOB_STORE=postgres keeps blobs in PostgreSQL: set DATABASE_URL"
            " to a PostgreSQL database, or unset JARING_BLOB_STORE."
        )
