"""CSV, XLSX and GeoJSON bodies, written row by row from iterators of table rows.

CSV as Central writes it (csv-stringify): fields quoted only when needed, ``\\n`` line
ends, numbers as text, empty cells for nothing. XLSX through openpyxl's write-only mode
into a temporary file (one sheet per table), then streamed. GeoJSON as a
FeatureCollection written feature by feature.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import Workbook

from server.formats.json_stream import json_array_chunks

BATCH_BYTES = 64 * 1024
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_bytes(header: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """The CSV text of ``header`` and ``rows``, in chunks of about 64 KB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() >= BATCH_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def xlsx_bytes(
    sheets: Iterable[tuple[str, list[list[str]], Iterable[list[Any]]]],
) -> Iterator[bytes]:
    """A workbook with one sheet per (title, header rows, rows), streamed from a temp file."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(_sheet_title(title, used))
        for header in headers:
            sheet.append(header)
        for row in rows:
            sheet.append([_cell(v) for v in row])
    with tempfile.TemporaryFile() as target:
        workbook.save(target)
        target.seek(0)
        while chunk := target.read(BATCH_BYTES):
            yield chunk


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _numeric(value):
        return "'" + value  # never let a submitted value become a formula
    return value


def _numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _sheet_title(title: str, used: set[str]) -> str:
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in title)[:31] or "Sheet"
    candidate, n = cleaned, 1
    while candidate.lower() in used:
        n += 1
        suffix = f"~{n}"
        candidate = cleaned[: 31 - len(suffix)] + suffix
    used.add(candidate.lower())
    return candidate


def geojson_bytes(features: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """A GeoJSON FeatureCollection (RFC 7946), feature by feature."""
    return json_array_chunks('{"type":"FeatureCollection","features":[', features, lambda: "]}")
