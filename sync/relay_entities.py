"""Down: the upstream project's entity lists mirrored into the hub's datasets.

Phones at the hub pick initiatives registered anywhere: each entity list an upstream form
reads (a manifest entry of type ``entityList``) is downloaded as a phone downloads it
(``name,label,__version,<properties>``) whenever its hash changed, and applied to the
hub's dataset of that name through the hub's Central REST API: missing properties are
added, unknown entities created with their upstream uuid, changed ones updated. Entities
made at the hub travel up inside their submissions (same uuid) and, back down, are found
already there: nothing is doubled. Entities only the hub has are left alone.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import httpx

from sync.central import CentralClient
from sync.errors import ServerRefused
from sync.openrosa import CollectClient, MediaFileItem
from sync.relay_backoff import RateLimiter
from sync.relay_state import RelayState
from sync.relay_uploader import HubDown

STATE_PREFIX = "entity_list:"


def ensure_dataset(hub: CentralClient, project_id: int, name: str) -> None:
    """The hub's dataset ``name``, made when it has none."""
    try:
        hub.request("POST", f"/projects/{project_id}/datasets", json={"name": name})
    except ServerRefused as refused:
        if refused.status != 409:
            raise


def mirror_entity_lists(
    upstream: CollectClient,
    hub: CentralClient,
    *,
    project_id: int,
    state: RelayState,
    limiter: RateLimiter,
) -> list[str]:
    """Bring every upstream entity list whose hash changed into the hub; return their names."""
    seen: dict[str, MediaFileItem] = {}
    for item in upstream.form_list():
        for entry in upstream.manifest(item):
            if entry.type == "entityList" and entry.filename.endswith(".csv"):
                seen.setdefault(entry.filename[:-4], entry)
    changed = []
    for name, entry in sorted(seen.items()):
        key = f"{STATE_PREFIX}{name}"
        if state.get(key) == entry.hash:
            continue
        content = upstream.download_media(entry)
        limiter.spend(len(content))
        try:
            _apply(hub, project_id, name, content)
        except httpx.HTTPError as error:
            raise HubDown(f"the hub is unreachable: {error}") from error
        state.put(**{key: entry.hash})
        changed.append(name)
    return changed


def _apply(hub: CentralClient, project_id: int, name: str, body: bytes) -> None:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    if not rows:
        return
    header = rows[0]
    properties = [h for h in header if h not in ("name", "label") and not h.startswith("__")]
    ensure_dataset(hub, project_id, name)
    base = f"/projects/{project_id}/datasets/{quote(name, safe='')}"
    for prop in properties:
        try:
            hub.request("POST", f"{base}/properties", json={"name": prop})
        except ServerRefused as refused:
            if refused.status != 409:
                raise
    have = _hub_entities(hub, base)
    new = []
    for row in rows[1:]:
        record = dict(zip(header, row, strict=False))
        uuid, label = record.get("name", ""), record.get("label", "")
        if not uuid or not label:
            continue
        data = {p: record.get(p, "") for p in properties}
        if uuid not in have:
            new.append({"uuid": uuid, "label": label, "data": data})
        elif have[uuid] != (label, data):
            hub.request(
                "PATCH",
                f"{base}/entities/{quote(uuid, safe='')}",
                params={"force": "true"},
                json={"label": label, "data": data},
            )
    for start in range(0, len(new), 1000):
        _create(hub, base, new[start : start + 1000])


def _create(hub: CentralClient, base: str, entities: list[dict[str, object]]) -> None:
    try:
        hub.request(
            "POST",
            f"{base}/entities",
            json={"entities": entities, "source": {"name": "relay"}},
        )
    except ServerRefused as refused:
        if refused.status != 409:
            raise
        for entity in entities:  # one of them was deleted here: the others still come
            try:
                hub.request("POST", f"{base}/entities", json=entity)
            except ServerRefused as single:
                if single.status != 409:
                    raise


def _hub_entities(hub: CentralClient, base: str) -> dict[str, tuple[str, dict[str, str]]]:
    response = hub.request("GET", f"{base}/entities.csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    if not rows:
        return {}
    header = rows[0]
    properties = [h for h in header[2:] if not h.startswith("__")]
    found = {}
    for row in rows[1:]:
        record = dict(zip(header, row, strict=False))
        found[record["__id"]] = (record["label"], {p: record.get(p, "") for p in properties})
    return found
