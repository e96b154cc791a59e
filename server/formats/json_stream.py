"""Writing a large JSON document as a stream: an array of items between an opening and a
closing, sent in chunks of about 64 KB, never held whole in memory."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

CHUNK_BYTES = 64 * 1024


def json_array_chunks(
    opening: str, items: Iterable[Any], closing: Callable[[], str]
) -> Iterator[bytes]:
    """``opening`` + the items as a JSON array's elements + ``closing()``, in chunks.

    ``closing`` is called only once ``items`` is exhausted, so it may depend on what
    streaming the items found out (a next-page link, a count)."""
    parts = [opening]
    size = 0
    first = True
    for item in items:
        text = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
        parts.append(text if first else "," + text)
        first = False
        size += len(text)
        if size >= CHUNK_BYTES:
            yield "".join(parts).encode("utf-8")
            parts.clear()
            size = 0
    parts.append(closing())
    yield "".join(parts).encode("utf-8")
