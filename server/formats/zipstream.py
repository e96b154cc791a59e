"""A zip archive written as a stream of bytes: entries go out as they are written.

The standard library's `zipfile` writes to a sink that cannot seek (it then uses data
descriptors and ZIP64 where needed), and the sink hands back what was written so far;
nothing holds more than one entry's pending chunk in memory.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterable, Iterator

CHUNK = 64 * 1024


class _Sink:
    """A write-only file object that keeps what is written until it is drained."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def tell(self) -> int:
        raise OSError("not seekable")

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self._size = 0
        return data

    @property
    def pending(self) -> int:
        return self._size


class ZipStream:
    """Add entries from iterables of bytes; each call yields the archive's next bytes."""

    def __init__(self, compresslevel: int = 6) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(
            self._sink,  # type: ignore[arg-type]
            "w",
            compression=zipfile.ZIP_DEFLATED,
            compresslevel=compresslevel,
        )

    def entry(
        self, name: str, chunks: Iterable[bytes], *, compress: bool = True
    ) -> Iterator[bytes]:
        info = zipfile.ZipInfo(name, date_time=time.gmtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        with self._zip.open(info, "w", force_zip64=True) as target:
            for chunk in chunks:
                target.write(chunk)
                if self._sink.pending >= CHUNK:
                    yield self._sink.drain()
        data = self._sink.drain()
        if data:
            yield data

    def close(self) -> Iterator[bytes]:
        self._zip.close()
        data = self._sink.drain()
        if data:
            yield data
