"""`pull`: copy a project's submissions from a Jaring or ODK Central server into a folder.

Only the public API is used: the form list, OData ``Submissions`` with ``$expand=*`` (so a
submission arrives whole, with its repeats) and the submission attachment endpoints.
Each form gets a folder ``DIR/<xmlFormId>/`` holding:

- ``.pull/records.jsonl``: every submission pulled so far, one OData entity a line;
- ``.pull/cursor.json``: the latest change time seen and the submissions changed at
  exactly that time;
- the tables made from the records (``<form>.csv`` plus ``<form>-<repeat>.csv``, or one
  ``<form>.xlsx``, or ``<form>.geojson``) and the attachments in ``media/``.

With the analysts' passphrase, the tables of a form with encrypted submissions are
made by the server, decrypted (see `sync.pull_decrypted`), and their media decrypted into
``media/``; the encrypted ``.enc`` files are then not downloaded.

A run asks only for submissions created or updated since the cursor (``$filter`` on
``__system/updatedAt`` and ``__system/submissionDate``, ``ge`` so that submissions sharing
the cursor's millisecond are not missed; those already seen at that instant are skipped).
Every file is written to a temporary name and renamed into place, and the cursor last:
an interrupted run leaves the folder as the previous run left it (plus any attachments
already complete), and the next run simply asks again from the old cursor.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from sync.central import CentralClient
from sync.errors import ProtocolError
from sync.pull_decrypted import managed_keys, pull_decrypted

PAGE = 500
FORMATS = ("csv", "xlsx", "geojson")
Progress = Callable[[str, int, int | None], None]
"""Called as (form id, submissions received so far, how many are expected or None)."""


@dataclass
class PullResult:
    form_id: str
    fetched: int  # new or changed submissions received in this run
    total: int  # submissions in the folder after the run
    attachments: int  # attachment files downloaded in this run


def pull(
    client: CentralClient,
    *,
    project_id: int,
    out: Path,
    form_id: str | None = None,
    fmt: str = "csv",
    progress: Progress | None = None,
    passphrase: str | None = None,
) -> list[PullResult]:
    """Pull one form (or every form of the project) into ``out``; with ``passphrase``,
    encrypted submissions are written decrypted (their tables as CSV)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if passphrase is not None and fmt != "csv":
        raise ValueError("decrypted tables are written as CSV: use --format csv")
    forms = (
        [form_id]
        if form_id
        else [
            f["xmlFormId"]
            for f in client.json("GET", f"/projects/{project_id}/forms")
            if f.get("publishedAt")
        ]
    )
    return [
        pull_form(
            client,
            project_id=project_id,
            form_id=f,
            out=out / f,
            fmt=fmt,
            progress=progress,
            passphrase=passphrase,
        )
        for f in forms
    ]


def pull_form(
    client: CentralClient,
    *,
    project_id: int,
    form_id: str,
    out: Path,
    fmt: str,
    progress: Progress | None = None,
    passphrase: str | None = None,
) -> PullResult:
    state = out / ".pull"
    state.mkdir(parents=True, exist_ok=True)
    cursor_file = state / "cursor.json"
    cursor = json.loads(cursor_file.read_text()) if cursor_file.exists() else {}
    since: str | None = cursor.get("since")
    seen_at_since = set(cursor.get("ids", []))
    base = f"/projects/{project_id}/forms/{quote(form_id, safe='')}"
    key_ids = managed_keys(client, base) if passphrase is not None else []
    changed: dict[str, dict[str, Any]] = {}
    newest = since
    newest_ids: set[str] = set(seen_at_since)
    for entity, expected in _entities(client, base, since):
        stamp = _changed_at(entity)
        if stamp == since and entity["__id"] in seen_at_since:
            continue
        changed[entity["__id"]] = entity
        if newest is None or stamp > newest:
            newest, newest_ids = stamp, {entity["__id"]}
        elif stamp == newest:
            newest_ids.add(entity["__id"])
        if progress is not None:
            progress(form_id, len(changed), expected)
    downloaded = 0
    for entity in changed.values():
        system = entity.get("__system", {})
        if system.get("attachmentsPresent") and not (key_ids and system.get("status")):
            downloaded += _attachments(client, base, entity["__id"], out / "media")
    total = _merge(state / "records.jsonl", changed)
    if key_ids and passphrase is not None:
        downloaded += pull_decrypted(
            client, base=base, out=out, key_ids=key_ids, passphrase=passphrase
        )
    else:
        _write_tables(state / "records.jsonl", out, form_id, fmt)
    if changed or not cursor_file.exists():
        _atomic_text(cursor_file, json.dumps({"since": newest, "ids": sorted(newest_ids)}))
    return PullResult(form_id, len(changed), total, downloaded)


def _changed_at(entity: dict[str, Any]) -> str:
    system = entity.get("__system") or {}
    return str(system.get("updatedAt") or system.get("submissionDate") or "")


def _entities(
    client: CentralClient, base: str, since: str | None
) -> Iterator[tuple[dict[str, Any], int | None]]:
    params: dict[str, str] = {"$expand": "*", "$top": str(PAGE), "$count": "true"}
    if since:
        params["$filter"] = f"__system/updatedAt ge {since} or __system/submissionDate ge {since}"
    page = client.json("GET", f"{base}.svc/Submissions", params=params)
    expected = page.get("@odata.count")
    while True:
        if not isinstance(page.get("value"), list):
            raise ProtocolError("an OData page without a value list")
        for entity in page["value"]:
            yield entity, expected
        link = page.get("@odata.nextLink")
        if not link:
            return
        page = client.json("GET", _relative(client, link))


def _relative(client: CentralClient, link: str) -> str:
    """A nextLink as a path under the client's ``/v1``."""
    if link.startswith(client.api):
        return link[len(client.api) :]
    parts = urlsplit(link)
    path = parts.path.split("/v1", 1)[-1]
    return f"{path}?{parts.query}" if parts.query else path


def _attachments(client: CentralClient, base: str, instance_id: str, media: Path) -> int:
    listing = client.json("GET", f"{base}/submissions/{quote(instance_id, safe='')}/attachments")
    count = 0
    for item in listing:
        name = os.path.basename(str(item.get("name", "")))
        if not item.get("exists") or not name or name in (".", ".."):
            continue
        target = media / name
        if target.exists():
            continue
        media.mkdir(parents=True, exist_ok=True)
        path = f"{base}/submissions/{quote(instance_id, safe='')}/attachments/{quote(name)}"
        with client.stream("GET", path) as response:
            _atomic_chunks(target, response.iter_bytes())
        count += 1
    return count


def _merge(records: Path, changed: dict[str, dict[str, Any]]) -> int:
    """Rewrite the records file with ``changed`` in place of (or after) the old lines."""
    pending = dict(changed)
    total = 0
    with _atomic_file(records) as target:
        if records.exists():
            with records.open(encoding="utf-8") as source:
                for line in source:
                    if not line.strip():
                        continue
                    entity = json.loads(line)
                    entity = pending.pop(entity["__id"], entity)
                    target.write(json.dumps(entity, ensure_ascii=False) + "\n")
                    total += 1
        for entity in pending.values():
            target.write(json.dumps(entity, ensure_ascii=False) + "\n")
            total += 1
    return total


def _read(records: Path) -> Iterator[dict[str, Any]]:
    if not records.exists():
        return
    with records.open(encoding="utf-8") as source:
        for line in source:
            if line.strip():
                yield json.loads(line)


# ---------------------------------------------------------------------------- tables


def _flatten(
    entity: dict[str, Any], prefix: str = ""
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """A row of scalars (groups joined by ``-``, geopoints in four columns) and the repeats."""
    row: dict[str, Any] = {}
    repeats: dict[str, list[Any]] = {}
    for key, value in entity.items():
        if key.endswith("@odata.navigationLink") or key == "__system":
            continue
        name = f"{prefix}{key}"
        if isinstance(value, list):
            repeats[name] = value
        elif isinstance(value, dict) and value.get("type") == "Point":
            coordinates = list(value.get("coordinates") or []) + [None, None, None]
            accuracy = (value.get("properties") or {}).get("accuracy")
            row[f"{name}-Latitude"] = coordinates[1]
            row[f"{name}-Longitude"] = coordinates[0]
            row[f"{name}-Altitude"] = coordinates[2]
            row[f"{name}-Accuracy"] = accuracy
        elif isinstance(value, dict) and "coordinates" in value:
            row[name] = json.dumps(value)
        elif isinstance(value, dict):
            inner, inner_repeats = _flatten(value, f"{name}-")
            row.update(inner)
            repeats.update(inner_repeats)
        else:
            row[name] = value
    return row, repeats


def _table_rows(records: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table name, row) for the root table and every repeat, KEY and PARENT_KEY included."""
    for entity in _read(records):
        row, repeats = _flatten(entity)
        for key, value in (entity.get("__system") or {}).items():
            row[f"__system-{key}"] = value
        yield "", row
        yield from _repeat_rows(repeats, entity["__id"])


def _repeat_rows(
    repeats: dict[str, list[Any]], parent: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, items in repeats.items():
        for item in items:
            if not isinstance(item, dict):
                continue
            row, nested = _flatten(item)
            row["PARENT_KEY"] = parent
            yield name, row
            yield from _repeat_rows(
                {f"{name}-{k}": v for k, v in nested.items()}, str(item.get("__id"))
            )


def _columns(records: Path) -> dict[str, list[str]]:
    columns: dict[str, dict[str, None]] = {}
    for table, row in _table_rows(records):
        columns.setdefault(table, {}).update(dict.fromkeys(row))
    return {table: list(names) for table, names in columns.items()}


def _write_tables(records: Path, out: Path, form_id: str, fmt: str) -> None:
    if fmt == "geojson":
        _write_geojson(records, out / f"{form_id}.geojson")
        return
    columns = _columns(records) or {"": ["__id"]}
    names = {t: form_id if not t else f"{form_id}-{t}" for t in columns}
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheets = {t: workbook.create_sheet(names[t][:31]) for t in columns}
        for table, header in columns.items():
            sheets[table].append(header)
        for table, row in _table_rows(records):
            sheets[table].append([_cell(row.get(c)) for c in columns[table]])
        with _atomic_file(out / f"{form_id}.xlsx", binary=True) as target:
            workbook.save(target)
        return
    with ExitStack() as stack:
        handles = {t: stack.enter_context(_atomic_file(out / f"{names[t]}.csv")) for t in columns}
        writers = {t: csv.writer(handles[t], lineterminator="\n") for t in columns}
        for table, header in columns.items():
            writers[table].writerow(header)
        for table, row in _table_rows(records):
            writers[table].writerow([_cell(row.get(c)) for c in columns[table]])


def _cell(value: Any) -> Any:
    return "" if value is None else value


def _write_geojson(records: Path, target_path: Path) -> None:
    with _atomic_file(target_path) as target:
        target.write('{"type":"FeatureCollection","features":[')
        first = True
        for entity in _read(records):
            geometry = _first_geometry(entity)
            if geometry is None:
                continue
            row, _repeats = _flatten(entity)
            feature = {
                "type": "Feature",
                "id": entity["__id"],
                "geometry": geometry,
                "properties": row,
            }
            target.write(("" if first else ",") + json.dumps(feature, ensure_ascii=False))
            first = False
        target.write("]}")


def _first_geometry(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        if value.get("type") in ("Point", "LineString", "Polygon") and "coordinates" in value:
            return {"type": value["type"], "coordinates": value["coordinates"]}
        for key, inner in value.items():
            if key != "__system":
                found = _first_geometry(inner)
                if found is not None:
                    return found
    return None


# ---------------------------------------------------------------------------- files


class _atomic_file:  # noqa: N801 - used like open()
    """A file written under a temporary name, fsynced and renamed into place on success."""

    def __init__(self, path: Path, *, binary: bool = False) -> None:
        self.path = path
        self.binary = binary

    def __enter__(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".part"
        )
        self.temp = Path(name)
        self.handle = (
            os.fdopen(fd, "wb") if self.binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        )
        return self.handle

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                self.handle.flush()
                os.fsync(self.handle.fileno())
            self.handle.close()
            if exc_type is None:
                os.replace(self.temp, self.path)
        finally:
            if self.temp.exists():
                self.temp.unlink()


def _atomic_text(path: Path, text: str) -> None:
    with _atomic_file(path) as target:
        target.write(text)


def _atomic_chunks(path: Path, chunks: Iterator[bytes]) -> None:
    with _atomic_file(path, binary=True) as target:
        for chunk in chunks:
            target.write(chunk)
