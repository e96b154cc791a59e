"""Backups and restores: the database, the blob store, and a manifest of checksums.

`backup` runs while the server takes submissions. It first takes a consistent snapshot
of the database (SQLite's online backup API in one step, or ``pg_dump``, which reads one
transaction snapshot), then copies the blobs folder of the data directory. Blobs kept in
PostgreSQL (``JARING_BLOB_STORE=postgres``) are rows of the database and travel inside
its dump, consistent with the rows naming them. Blobs kept as files are written and
synced before the transaction that records them commits, and never change once named,
so every blob the snapshot refers to is already on disk when the copy starts; blobs that
arrive later are copied too and do no harm. Files left in the blobs folder of a
PostgreSQL store (a store half-way through `jaring blobs migrate`) are copied as well, so
a backup carries every blob wherever it lives. ``manifest.json`` is written last, with
the SHA-256 and size of every file and the store the blobs were kept in; a backup folder
without it is incomplete.

`restore` checks every checksum first, then puts the database (a SQLite file in the
data directory, or ``pg_restore`` into an empty PostgreSQL database) and the blobs in
place. It refuses to overwrite an existing database or blob store.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from server.settings import Settings

MANIFEST = "manifest.json"
FORMAT = "jaring-backup"
FORMAT_VERSION = 1
SQLITE_FILE = "jaring.db"
PG_DUMP_FILE = "database.pgdump"
BLOBS = "blobs"
CHUNK_BYTES = 1 << 20


class BackupError(Exception):
    """A backup or restore could not be made; the message says why."""


@dataclass(frozen=True)
class BackupSummary:
    folder: Path
    database: str
    blob_count: int
    total_bytes: int


Progress = Callable[[str], None]


def backup(settings: Settings, out: Path, *, progress: Progress | None = None) -> BackupSummary:
    """Write a backup of ``settings``' database and blob store into the new folder ``out``."""
    say = progress or (lambda _message: None)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} already exists and is not empty")
    out.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    backend = make_url(url).get_backend_name()
    files: list[dict[str, Any]] = []
    in_database = 0
    if backend == "sqlite":
        say("copying the SQLite database (online backup)")
        database = _sqlite_path(url)
        if not database.is_file():
            raise BackupError(f"there is no database at {database}")
        _sqlite_backup(database, out / SQLITE_FILE)
        files.append(_entry(out, SQLITE_FILE))
        kind = "sqlite"
    elif backend == "postgresql":
        say("dumping the PostgreSQL database (pg_dump)")
        in_database = _blobs_in_database(url)
        _pg_dump(url, out / PG_DUMP_FILE)
        files.append(_entry(out, PG_DUMP_FILE))
        kind = "postgresql"
    else:
        raise BackupError(f"cannot back up a {backend} database")
    say("copying the blob store's files")
    blob_files = _copy_blobs(settings.blob_dir, out / BLOBS)
    files.extend(blob_files)
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": kind,
        "blob_store": settings.resolved_blob_store(),
        "files": files,
    }
    _write_atomically(out / MANIFEST, json.dumps(manifest, indent=1).encode())
    return BackupSummary(
        folder=out,
        database=kind,
        blob_count=len(blob_files) + in_database,
        total_bytes=sum(f["size"] for f in files),
    )


def restore(backup_dir: Path, settings: Settings, *, progress: Progress | None = None) -> str:
    """Restore the backup in ``backup_dir`` into ``settings``' data directory and database.

    Returns the kind of database restored (``sqlite`` or ``postgresql``).
    """
    say = progress or (lambda _message: None)
    manifest = read_manifest(backup_dir)
    say("checking checksums")
    verify(backup_dir, manifest)
    kind = manifest["database"]
    url = settings.resolved_database_url()
    backend = make_url(url).get_backend_name()
    if kind != backend:
        raise BackupError(
            f"the backup holds a {kind} database but the target is {backend}"
            + (" (set DATABASE_URL)" if kind == "postgresql" else " (unset DATABASE_URL)")
        )
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    blob_dir = settings.blob_dir
    if blob_dir.exists() and any(p.is_file() for p in blob_dir.rglob("*")):
        raise BackupError(f"{blob_dir} already holds files; restore into a fresh data directory")
    if kind == "sqlite":
        target = _sqlite_path(url)
        if target.exists():
            raise BackupError(f"{target} already exists; restore into a fresh data directory")
        say("restoring the SQLite database")
        tmp = target.with_name(target.name + ".restoring")
        shutil.copyfile(backup_dir / SQLITE_FILE, tmp)
        _fsync(tmp)
        os.replace(tmp, target)
    else:
        say("restoring the PostgreSQL database (pg_restore)")
        _pg_restore(url, backup_dir / PG_DUMP_FILE)
    say("restoring the blob store")
    for entry in manifest["files"]:
        if entry["path"].startswith(BLOBS + "/"):
            destination = data_dir / entry["path"]
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(backup_dir / entry["path"], destination)
    return str(kind)


def read_manifest(backup_dir: Path) -> dict[str, Any]:
    path = backup_dir / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_bytes())
    except FileNotFoundError as error:
        raise BackupError(f"{path} is missing: not a (complete) Jaring backup") from error
    except ValueError as error:
        raise BackupError(f"{path} is not valid JSON") from error
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise BackupError(f"{path} is not a Jaring backup manifest of version {FORMAT_VERSION}")
    for entry in manifest.get("files", []):
        relative = Path(entry["path"])
        if relative.is_absolute() or ".." in relative.parts:
            raise BackupError(f"the manifest names an unsafe path: {entry['path']!r}")
    return manifest


def verify(backup_dir: Path, manifest: dict[str, Any]) -> None:
    """Raise `BackupError` unless every file in the manifest is there with its checksum."""
    for entry in manifest["files"]:
        path = backup_dir / entry["path"]
        if not path.is_file():
            raise BackupError(f"{entry['path']} is missing from the backup")
        digest, size = _sha256_of(path)
        if digest != entry["sha256"] or size != entry["size"]:
            raise BackupError(f"{entry['path']} does not match its checksum in the manifest")


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("the SQLite database is not a file")
    return Path(database)


def _sqlite_backup(source: Path, destination: Path) -> None:
    """A consistent copy of a live database: SQLite's backup API, all pages in one step."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(destination)
    try:
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    _fsync(destination)


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise BackupError(
            f"{tool} is not installed; on Debian: apt-get install postgresql-client"
            " (its major version must be at least the server's)"
        )
    return found


def _pg_dump(url: str, destination: Path) -> None:
    command = [
        _require("pg_dump"),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={destination}",
        f"--dbname={_libpq_url(url)}",
    ]
    _run(command, "pg_dump")
    _fsync(destination)


def _blobs_in_database(url: str) -> int:
    """How many blobs the database holds as chunks (they travel in its dump)."""
    import psycopg

    with psycopg.connect(_libpq_url(url)) as connection:
        row = connection.execute("SELECT count(*) FROM blob_chunks WHERE idx = 0").fetchone()
    return int(row[0]) if row else 0


def _pg_restore(url: str, dump: Path) -> None:
    tool = _require("pg_restore")
    import psycopg

    with psycopg.connect(_libpq_url(url)) as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    if tables and tables[0]:
        raise BackupError("the target PostgreSQL database is not empty; restore into a new one")
    command = [
        tool,
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={_libpq_url(url)}",
        str(dump),
    ]
    _run(command, "pg_restore")


def _run(command: list[str], name: str) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        message = completed.stderr.strip().splitlines()[-1:] or ["(no message)"]
        raise BackupError(f"{name} failed: {message[0]}")


def _copy_blobs(source: Path, destination: Path) -> list[dict[str, Any]]:
    """Copy every blob (not the temporary files being written), checking each one's name."""
    entries: list[dict[str, Any]] = []
    if not source.is_dir():
        return entries
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if not path.is_file() or relative.parts[0] == "tmp" or len(relative.parts) != 3:
            continue
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = _copy_hashing(path, target)
        if digest != path.name:
            raise BackupError(f"blob {relative} is damaged: its contents hash to {digest}")
        entries.append({"path": f"{BLOBS}/{relative.as_posix()}", "sha256": digest, "size": size})
    return entries


def _copy_hashing(source: Path, target: Path) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with open(source, "rb") as reader, open(target, "wb") as writer:
        for chunk in iter(lambda: reader.read(CHUNK_BYTES), b""):
            sha.update(chunk)
            size += len(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return sha.hexdigest(), size


def _entry(folder: Path, name: str) -> dict[str, Any]:
    digest, size = _sha256_of(folder / name)
    return {"path": name, "sha256": digest, "size": size}


def _sha256_of(path: Path) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with open(path, "rb") as reader:
        for chunk in iter(lambda: reader.read(CHUNK_BYTES), b""):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


def _write_atomically(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-")
    with os.fdopen(fd, "wb") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
