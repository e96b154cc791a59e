"""The content-addressed blob store: attachment and media files under the data directory.

A blob is named by the SHA-256 of its bytes (``blobs/ab/cd/abcd…``), so identical files
are stored once. Writing is atomic and durable: the bytes go to a temporary file in the
same folder tree, are flushed with ``fsync``, renamed into place, and the folder is
synced too; a crash leaves either the whole blob or a stray temporary file, never half
a blob under its name. Only this module knows where blobs live, so another store
(S3-compatible) can stand behind the same four calls.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class BlobRef:
    sha256: str
    md5: str
    size: int


class BlobStore:
    """Files named by their SHA-256 under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_bytes(self, data: bytes) -> BlobRef:
        return self.put_stream(_chunks_of(data))

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
        return open(self.path(sha256), "rb")

    def read_bytes(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()


def _chunks_of(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK_BYTES):
        yield data[start : start + CHUNK_BYTES]
    if not data:
        yield b""


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
