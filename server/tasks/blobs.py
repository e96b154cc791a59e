"""Moving the blob store between files and PostgreSQL: `jaring blobs migrate --to`.

Blob by blob, in SHA-256 order: the blob is copied from the store it is in to the other
one (into PostgreSQL in one transaction per blob; to a file written atomically), the
copy is read back and its SHA-256 checked against the blob's name, and only then is the
source removed (unless ``keep_source``). Each blob is done or not done, so the work can
be interrupted at any moment (Ctrl-C, a crash, SIGKILL) and simply run again: a blob
whose copy is already there and checks out has only its source removed; a copy that
does not check out is replaced. A source blob whose own bytes do not match its name is
left where it is and reported (``damaged``), never copied.

The ``blobs`` rows (SHA-256, MD5, size) are the same whichever store holds the bytes, so
nothing else in the database changes. Servers still running with the old
``JARING_BLOB_STORE`` answer 500.2 for the blobs already moved: stop them first, or
migrate with ``keep_source`` and remove the sources with a second run once every server
uses the new store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from server.domain import Services, blob_store
from server.external.blobs import CHUNK_BYTES, BlobStore, FileBlobStore
from server.store.blobs import PostgresBlobStore, write_chunks


class MigrateError(Exception):
    """The blob store cannot be moved as asked; the message says why."""


@dataclass
class MigrateSummary:
    moved: int = 0  # copied, checked (and the source removed unless kept)
    already: int = 0  # a checked copy was there already (an earlier, interrupted run)
    damaged: list[str] = field(default_factory=list)  # sources whose bytes miss their name


Progress = Callable[[str], None]


def migrate(
    services: Services,
    *,
    to: str,
    keep_source: bool = False,
    progress: Progress | None = None,
) -> MigrateSummary:
    """Move every blob of the other store into the ``to`` store (``files``/``postgres``)."""
    say = progress or (lambda _message: None)
    if to not in ("files", "postgres"):
        raise MigrateError(f"there is no blob store called {to!r}: use files or postgres")
    if services.db.is_sqlite:
        raise MigrateError("blobs can be kept in the database only on PostgreSQL (DATABASE_URL)")
    source = blob_store(services.settings, services.db, "files" if to == "postgres" else "postgres")
    destination = blob_store(services.settings, services.db, to)
    summary = MigrateSummary()
    for sha in _digests(source):
        if _copy_checks_out(destination, sha):
            summary.already += 1
        elif not _copy(source, destination, sha):
            summary.damaged.append(sha)
            say(f"damaged: {sha} (its bytes do not hash to its name; left in place)")
            continue
        elif not _copy_checks_out(destination, sha):
            raise MigrateError(f"the copy of blob {sha} does not check out; its source is kept")
        else:
            summary.moved += 1
        if not keep_source:
            source.delete(sha)
        say(f"{summary.moved + summary.already} {sha}")
    return summary


def _digests(store: BlobStore) -> Iterator[str]:
    if isinstance(store, FileBlobStore | PostgresBlobStore):
        return store.digests()
    raise MigrateError(f"cannot list the blobs of the {store.kind} store")


def _sha256_of(reader: BinaryIO) -> str:
    sha = hashlib.sha256()
    for chunk in iter(lambda: reader.read(CHUNK_BYTES), b""):
        sha.update(chunk)
    return sha.hexdigest()


def _copy_checks_out(store: BlobStore, sha: str) -> bool:
    """Whether ``store`` holds the blob whole: read back, its bytes hash to its name."""
    if not store.exists(sha):
        return False
    with store.open(sha) as reader:
        if _sha256_of(reader) == sha:
            return True
    store.delete(sha)  # a damaged copy (never a source): replaced below
    return False


class _Damaged(Exception):
    pass


def _copy(source: BlobStore, destination: BlobStore, sha: str) -> bool:
    """Copy one blob, checking on the way that its bytes match its name; False if not."""
    with source.open(sha) as reader:
        if isinstance(destination, PostgresBlobStore):

            def chunks() -> Iterator[bytes]:
                digest = hashlib.sha256()
                for chunk in iter(lambda: reader.read(CHUNK_BYTES), b""):
                    digest.update(chunk)
                    yield chunk
                if digest.hexdigest() != sha:
                    raise _Damaged  # rolls the transaction back

            try:
                destination.db.write_together(lambda driver: write_chunks(driver, sha, chunks()))
            except _Damaged:
                return False
            return True
        assert isinstance(destination, FileBlobStore)
        ref = destination.put_stream(iter(lambda: reader.read(CHUNK_BYTES), b""))
        # A damaged source is stored under the name of what it now holds (content
        # addressing keeps that harmless) and is not counted as this blob's copy.
        if ref.sha256 != sha:
            return False
        return True
