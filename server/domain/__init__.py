"""Domain logic: what Jaring does with forms, submissions, users and projects.

Nothing here knows about HTTP. Functions take the `Services` container and plain values,
run their work in one transaction, and raise `server.problems.Problem` when a request
cannot be honoured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from server.external.blobs import BlobStore, BlobStoreUnavailable, FileBlobStore
from server.settings import Settings
from server.store.database import Database


@dataclass
class Services:
    """What the domain needs from the outside world, built once per process."""

    settings: Settings
    db: Database
    blobs: BlobStore

    @classmethod
    def from_settings(cls, settings: Settings, *, pooled: bool = True) -> Services:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url(), pooled=pooled)
        return cls(settings=settings, db=db, blobs=blob_store(settings, db))


def blob_store(settings: Settings, db: Database, kind: str | None = None) -> BlobStore:
    """The blob store ``settings`` ask for (or the one of ``kind``) on ``db``."""
    kind = kind or settings.resolved_blob_store()
    if kind == "postgres":
        from server.store.blobs import PostgresBlobStore

        if db.is_sqlite:
            raise BlobStoreUnavailable(
                "JARING_BLOB_STORE=postgres keeps blobs in PostgreSQL: set DATABASE_URL to a"
                " PostgreSQL database, or unset JARING_BLOB_STORE."
            )
        return PostgresBlobStore(db)
    return FileBlobStore(settings.blob_dir)


def utcnow() -> datetime:
    return datetime.now(UTC)
