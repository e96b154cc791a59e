"""The server's health: whether the database answers (for ``/healthz``), and everything
an administrator checks when something seems wrong (the console's health page): the
database, the disk where attachments are kept, the files stored, Java for ODK Validate,
the address phones are given, and Jaring's version.

Each fact is gathered on its own, so that one failing (the database down, the disk
unreadable) still lets the others be shown.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from server.domain import Services
from server.domain.access import CONFIG_READ, Actor
from server.external.odk_validate import jar_path
from server.store import forms as form_store

log = logging.getLogger("jaring.health")

# Below either, the disk holding the attachments is said to be nearly full.
LOW_DISK_BYTES = 1_000_000_000
LOW_DISK_SHARE = 0.05


@dataclass(frozen=True)
class DatabaseState:
    kind: str  # "SQLite" or "PostgreSQL"
    answers: bool
    version: str | None  # as the database reports it, when it answers


@dataclass(frozen=True)
class DiskSpace:
    """Space on the file system holding the blob store (attachments and form media)."""

    path: Path
    free_bytes: int
    total_bytes: int

    @property
    def free_share(self) -> float:
        return self.free_bytes / self.total_bytes if self.total_bytes else 0.0

    @property
    def low(self) -> bool:
        return self.free_bytes < LOW_DISK_BYTES or self.free_share < LOW_DISK_SHARE


@dataclass(frozen=True)
class StoredFiles:
    count: int
    total_bytes: int


@dataclass(frozen=True)
class Validator:
    """What ODK Validate needs: a Java runtime on PATH and its jar (shipped with pyxform)."""

    java: str | None  # the Java runtime's path
    jar_present: bool

    @property
    def ready(self) -> bool:
        return self.java is not None and self.jar_present


@dataclass(frozen=True)
class ServerHealth:
    database: DatabaseState
    disk: DiskSpace | None  # None when the folder's file system cannot be read
    files: StoredFiles | None  # None when the database does not answer
    validator: Validator
    phone_origin: str
    phone_reachable: bool
    version: str
    data_dir: Path


def database_state(services: Services) -> DatabaseState:
    """Whether the database answers a query, and what it is."""
    kind = "SQLite" if services.db.is_sqlite else "PostgreSQL"
    try:
        version = services.db.ping()
    except Exception:  # noqa: BLE001 - any failure to reach the database is "down"
        log.warning("health check: the database does not answer", exc_info=True)
        return DatabaseState(kind, answers=False, version=None)
    return DatabaseState(kind, answers=True, version=version)


def server_health(
    services: Services, actor: Actor, *, phone_origin: str, phone_reachable: bool
) -> ServerHealth:
    """Every fact of the health page (administrators only). The address phones are
    given, and whether this machine has one they can reach, come from the HTTP layer
    (they depend on the request) and are reported with the rest."""
    if CONFIG_READ not in actor.verbs():
        raise actor.refusal()
    database = database_state(services)
    return ServerHealth(
        database=database,
        disk=disk_space(services.settings.blob_dir),
        files=_stored_files(services) if database.answers else None,
        validator=Validator(java=shutil.which("java"), jar_present=jar_path().is_file()),
        phone_origin=phone_origin,
        phone_reachable=phone_reachable,
        version=jaring_version(),
        data_dir=services.settings.data_dir.resolve(),
    )


def disk_space(folder: Path) -> DiskSpace | None:
    """Space on the file system of ``folder`` (or of its nearest existing parent: the
    blob store's folder appears with the first file)."""
    path = folder.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        log.warning("health check: cannot read the disk space of %s", path, exc_info=True)
        return None
    return DiskSpace(path=folder.resolve(), free_bytes=usage.free, total_bytes=usage.total)


def _stored_files(services: Services) -> StoredFiles | None:
    try:
        with services.db.read() as session:
            count, total = form_store.blob_totals(session)
    except Exception:  # noqa: BLE001 - shown as unknown, like the database itself
        log.warning("health check: cannot count the stored files", exc_info=True)
        return None
    return StoredFiles(count=count, total_bytes=total)


def jaring_version() -> str:
    try:
        return metadata.version("jaring")
    except metadata.PackageNotFoundError:
        return "unknown"
