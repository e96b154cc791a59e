"""Blobs kept in PostgreSQL: `PostgresBlobStore`, the `BlobStore` of ``JARING_BLOB_STORE=postgres``.

Each blob is a run of rows in ``blob_chunks`` keyed by (SHA-256, index), every chunk 1 MiB
but the last; an empty blob has one empty chunk, so "chunk 0 exists" means "the blob
exists". Why chunks of ``bytea`` rather than PostgreSQL's large objects:

* **In the caller's transaction.** Chunks are ordinary rows: `record` inserts them in
  the very transaction that inserts the submission (or form attachment) naming the blob,
  so they commit together or not at all, and a 201 still means durable. Large objects
  are transactional too, but are named by an OID that has to be kept in a row of ours
  and unlinked by hand (or by ``vacuumlo``) when no row names it any more; chunks keyed
  by the SHA-256 need no second name and are deduplicated by the primary key
  (``ON CONFLICT DO NOTHING`` lets two requests store the same photo at once).
* **Streaming both ways.** A chunk is written or read with one statement of 1 MiB, so a
  100 MB video never sits whole in memory, and a ``Range`` request reads only the
  chunks it covers (offset // 1 MiB). A reader takes a pooled connection per chunk and
  gives it back, so a slow download holds no connection between chunks.
* **Ordinary tools.** ``pg_dump`` and replication carry rows without the privileges and
  ``--blobs`` options large objects need, so `jaring backup` carries the blobs with the
  database dump.

The SQL for both stores' ``blobs`` rows lives beside the other statements in
`server.store.forms`; only the chunks are here.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from tempfile import SpooledTemporaryFile
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from server.external.blobs import (
    CHUNK_BYTES,
    BlobMissing,
    BlobRef,
    BlobStore,
    StagedBlob,
    check_digest,
    digest_chunks,
)
from server.store.database import Database
from server.store.driver import Driver, Statement
from server.store.tables import Blob, BlobChunk

_chunks = BlobChunk.__table__  # type: ignore[attr-defined]
_blobs = Blob.__table__  # type: ignore[attr-defined]

_HAS_CHUNK_0 = Statement(
    sa.select(_chunks.c.idx).where(_chunks.c.sha256 == sa.bindparam("sha"), _chunks.c.idx == 0)
)
_INSERT_CHUNK = Statement(
    postgresql.insert(_chunks).on_conflict_do_nothing(), columns=["sha256", "idx", "data"]
)
_INSERT_BLOB = Statement(
    postgresql.insert(_blobs).on_conflict_do_nothing(), columns=["sha256", "md5", "size"]
)
_SHAPE = Statement(
    sa.select(
        sa.func.count().label("chunks"),
        sa.func.coalesce(sa.func.sum(sa.func.octet_length(_chunks.c.data)), 0).label("size"),
    ).where(_chunks.c.sha256 == sa.bindparam("sha"))
)
_CHUNK = Statement(
    sa.select(_chunks.c.data).where(
        _chunks.c.sha256 == sa.bindparam("sha"), _chunks.c.idx == sa.bindparam("idx")
    )
)
_DELETE = Statement(sa.delete(_chunks).where(_chunks.c.sha256 == sa.bindparam("sha")))
_DIGESTS_AFTER = Statement(
    sa.select(_chunks.c.sha256)
    .where(_chunks.c.idx == 0, _chunks.c.sha256 > sa.bindparam("after"))
    .order_by(_chunks.c.sha256)
    .limit(sa.bindparam("limit"))
)
SPOOL_IN_MEMORY = CHUNK_BYTES


class PostgresBlobStore(BlobStore):
    """Blobs as rows of ``blob_chunks`` in ``db`` (a PostgreSQL database)."""

    kind = "postgres"

    def __init__(self, db: Database) -> None:
        if db.is_sqlite:
            raise ValueError("blobs can be kept in the database only on PostgreSQL")
        self.db = db

    def stage(self, source: BinaryIO) -> StagedBlob:
        if not source.seekable():
            # Kept (on disk past 1 MiB) to be read again inside the transaction.
            spool = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
            for chunk in iter(lambda: source.read(CHUNK_BYTES), b""):
                spool.write(chunk)
            spool.seek(0)
            source = spool  # type: ignore[assignment]
        start = source.tell()
        ref = digest_chunks(iter(lambda: source.read(CHUNK_BYTES), b""))
        return StagedBlob(ref, source, start)

    def record(self, driver: Driver, staged: StagedBlob) -> None:
        ref = staged.ref
        write_chunks(driver, ref.sha256, staged.chunks())
        driver.execute(_INSERT_BLOB, {"sha256": ref.sha256, "md5": ref.md5, "size": ref.size})

    def put_file(self, source: BinaryIO) -> BlobRef:
        staged = self.stage(source)
        self.db.write_together(lambda driver: write_chunks(driver, staged.sha256, staged.chunks()))
        return staged.ref

    def exists(self, sha256: str) -> bool:
        check_digest(sha256)
        with self.db.driver_read() as driver:
            return driver.first(_HAS_CHUNK_0, {"sha": sha256}) is not None

    def open(self, sha256: str) -> BinaryIO:
        check_digest(sha256)
        with self.db.driver_read() as driver:
            shape = driver.first(_SHAPE, {"sha": sha256})
        if shape is None or not shape.chunks:
            raise BlobMissing(sha256, self.kind)
        reader = ChunkReader(self, sha256, int(shape.size), int(shape.chunks))
        return io.BufferedReader(reader, buffer_size=CHUNK_BYTES)  # type: ignore[return-value]

    def chunk(self, sha256: str, idx: int) -> bytes:
        with self.db.driver_read() as driver:
            row = driver.first(_CHUNK, {"sha": sha256, "idx": idx})
        if row is None:
            raise BlobMissing(sha256, self.kind)
        return bytes(row.data)

    def delete(self, sha256: str) -> None:
        check_digest(sha256)
        self.db.write_together(lambda driver: driver.execute(_DELETE, {"sha": sha256}))

    def digests(self, *, page: int = 500) -> Iterator[str]:
        """Every stored blob's SHA-256, in order, a page of them per statement."""
        after = ""
        while True:
            with self.db.driver_read() as driver:
                rows = driver.all(_DIGESTS_AFTER, {"after": after, "limit": page})
            for row in rows:
                yield row.sha256
            if len(rows) < page:
                return
            after = rows[-1].sha256


def write_chunks(driver: Driver, sha256: str, chunks: Iterator[bytes]) -> None:
    """Insert a blob's chunks in ``driver``'s transaction, unless it is stored already.

    ``chunks`` may come in any sizes; they are cut to 1 MiB pieces here.
    """
    if driver.first(_HAS_CHUNK_0, {"sha": sha256}) is not None:
        return
    idx, pending = 0, bytearray()
    for chunk in chunks:
        pending += chunk
        while len(pending) >= CHUNK_BYTES:
            piece = bytes(pending[:CHUNK_BYTES])
            del pending[:CHUNK_BYTES]
            driver.execute(_INSERT_CHUNK, {"sha256": sha256, "idx": idx, "data": piece})
            idx += 1
    if pending or idx == 0:
        driver.execute(_INSERT_CHUNK, {"sha256": sha256, "idx": idx, "data": bytes(pending)})


class ChunkReader(io.RawIOBase):
    """A seekable raw reader over a blob's chunks, fetching one chunk at a time."""

    def __init__(self, store: PostgresBlobStore, sha256: str, size: int, chunks: int) -> None:
        super().__init__()
        self._store, self._sha, self._size, self._chunks = store, sha256, size, chunks
        self._pos = 0
        self._idx = -1
        self._data = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size:
            return 0
        idx, offset = divmod(self._pos, CHUNK_BYTES)
        if idx != self._idx:
            self._data = self._store.chunk(self._sha, idx)
            self._idx = idx
            expected = CHUNK_BYTES if idx < self._chunks - 1 else self._size - idx * CHUNK_BYTES
            if len(self._data) != expected:
                raise OSError(f"chunk {idx} of blob {self._sha} has the wrong length")
        view = memoryview(buffer).cast("B")
        piece = self._data[offset : offset + len(view)]
        view[: len(piece)] = piece
        self._pos += len(piece)
        return len(piece)
