"""The content-addressed blob store: attachment and media files, named by their SHA-256.

Two stores stand behind one interface (`BlobStore`), chosen by ``JARING_BLOB_STORE``:

* `FileBlobStore` (the default on SQLite): files under the data directory
  (``blobs/ab/cd/abcd…``). Writing is atomic and durable: the bytes go to a temporary
  file in the same folder tree, are flushed with ``fsync``, renamed into place, and the
  folder is synced too; a crash leaves either the whole blob or a stray temporary file,
  never half a blob under its name.
* `server.store.blobs.PostgresBlobStore` (the default on PostgreSQL): chunks in the
  database itself, so every server process on every machine sees every blob.

Storing a file that a row will reference is two steps, so that "a 201 means durable"
holds in both: `BlobStore.stage` reads the file once, outside any transaction, to learn
its SHA-256 (the files store also writes it to disk then); `BlobStore.record`, called
inside the transaction that inserts the referencing row, records the ``blobs`` row and
(PostgreSQL) writes the bytes, so they commit or vanish with that row. Neither holds a
whole file in memory: both go a chunk at a time.

Reading: `BlobStore.open` returns a seekable binary reader or raises `BlobMissing`
before anything is read, so a download can answer with a problem instead of breaking
off half-way. A blob is identical wherever it lives, which is what
`server.tasks.blobs` relies on to move a store from one place to the other.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from server.store.driver import Driver

CHUNK_BYTES = 1 << 20
STORE_KINDS = ("files", "postgres")


@dataclass(frozen=True)
class BlobRef:
    sha256: str
    md5: str
    size: int


class BlobMissing(Exception):
    """A blob the database refers to is not in the blob store (removed by hand, or the
    store is half-way through `jaring blobs migrate`)."""

    def __init__(self, sha256: str, store: str) -> None:
        super().__init__(f"blob {sha256} is missing from the {store} blob store")
        self.sha256 = sha256
        self.store = store


class BlobStoreUnavailable(ValueError):
    """The blob store asked for cannot be used with this database (a setting to fix)."""


@dataclass
class StagedBlob:
    """A file read once (its digests known), ready to be recorded in a transaction.

    ``source`` and ``start`` let the PostgreSQL store read the bytes again, a chunk at a
    time, inside that transaction (and once more should the transaction be retried).
    """

    ref: BlobRef
    source: BinaryIO | None = None
    start: int = 0

    @property
    def sha256(self) -> str:
        return self.ref.sha256

    def chunks(self) -> Iterator[bytes]:
        assert self.source is not None
        self.source.seek(self.start)
        yield from iter(lambda: self.source.read(CHUNK_BYTES), b"")  # type: ignore[union-attr]


def check_digest(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 digest: {sha256!r}")
    return sha256


class BlobStore(ABC):
    """What the rest of Jaring may ask of a blob store."""

    kind: str

    @abstractmethod
    def stage(self, source: BinaryIO) -> StagedBlob:
        """Read what is left of ``source`` once: its SHA-256, MD5 and size (and, for the
        files store, write it durably). Call outside any transaction."""

    @abstractmethod
    def record(self, driver: Driver, staged: StagedBlob) -> None:
        """Inside the caller's transaction: the ``blobs`` row and, where the store is the
        database, the bytes. Safe to repeat; a blob already stored is not written again."""

    @abstractmethod
    def put_file(self, source: BinaryIO) -> BlobRef:
        """Store the bytes (no ``blobs`` row) on their own, committed when this returns."""

    @abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """A seekable reader of the blob; `BlobMissing` when it is not there."""

    @abstractmethod
    def delete(self, sha256: str) -> None:
        """Remove the bytes (used only by `jaring blobs migrate`, once copied and checked)."""

    def local_path(self, sha256: str) -> Path | None:
        """The blob's file, when the store keeps files (to send with ``sendfile``)."""
        return None

    def stage_bytes(self, data: bytes) -> StagedBlob:
        import io

        return self.stage(io.BytesIO(data))

    def put_bytes(self, data: bytes) -> BlobRef:
        import io

        return self.put_file(io.BytesIO(data))

    def read_bytes(self, sha256: str) -> bytes:
        """The whole blob: for small files only (form definitions, choice lists)."""
        with self.open(sha256) as reader:
            return reader.read()


def digest_chunks(chunks: Iterator[bytes]) -> BlobRef:
    sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    for chunk in chunks:
        sha.update(chunk)
        md5.update(chunk)
        size += len(chunk)
    return BlobRef(sha256=sha.hexdigest(), md5=md5.hexdigest(), size=size)


class FileBlobStore(BlobStore):
    """Files named by their SHA-256 under ``root``."""

    kind = "files"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"

    def path(self, sha256: str) -> Path:
        check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def local_path(self, sha256: str) -> Path | None:
        path = self.path(sha256)
        if not path.is_file():
            raise BlobMissing(sha256, self.kind)
        return path

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def stage(self, source: BinaryIO) -> StagedBlob:
        return StagedBlob(self.put_file(source))

    def record(self, driver: Driver, staged: StagedBlob) -> None:
        from server.store.forms import upsert_blob

        ref = staged.ref
        upsert_blob(driver, sha256=ref.sha256, md5=ref.md5, size=ref.size)

    def put_file(self, source: BinaryIO) -> BlobRef:
        """Store what is left to read in an open binary file."""
        return self.put_stream(iter(lambda: source.read(CHUNK_BYTES), b""))

    def put_stream(self, chunks: Iterator[bytes]) -> BlobRef:
        self._tmp.mkdir(parents=True, exist_ok=True)
        sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    sha.update(chunk)
                    md5.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            ref = BlobRef(sha256=sha.hexdigest(), md5=md5.hexdigest(), size=size)
            final = self.path(ref.sha256)
            if final.is_file() and final.stat().st_size == size:
                os.unlink(tmp_name)
                return ref
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
            _fsync_dir(final.parent)
            return ref
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path(sha256), "rb")
        except FileNotFoundError as error:
            raise BlobMissing(sha256, self.kind) from error

    def delete(self, sha256: str) -> None:
        path = self.path(sha256)
        path.unlink(missing_ok=True)
        _fsync_dir(path.parent)

    def digests(self) -> Iterator[str]:
        """Every blob's SHA-256, in order (not the temporary files being written)."""
        if not self.root.is_dir():
            return
        for first in sorted(p for p in self.root.iterdir() if len(p.name) == 2 and p.is_dir()):
            for second in sorted(p for p in first.iterdir() if p.is_dir()):
                for path in sorted(second.iterdir()):
                    if path.is_file() and len(path.name) == 64:
                        yield path.name


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
