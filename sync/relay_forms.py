"""Down: mirroring the upstream project's published forms, versions and media on the hub.

Upstream is read as a phone reads it (OpenRosa form list, form download, manifest and
media), so an app user's token is enough and a stock ODK Central works. Each form whose
``md5:`` hash the hub has not mirrored yet is installed through the hub's Central REST
API: a new form is uploaded as a draft, an existing one gets a new draft
(``POST …/forms/{id}/draft``); the media go into the draft, and the draft is published.
A draft left by a relay killed half way is found again by its hash and finished.
An entity list is not copied as a file: the hub links the form to its own dataset of that
name, which `sync.relay_entities` keeps up to date.
"""

from __future__ import annotations

import hashlib
import mimetypes
from urllib.parse import quote

import httpx

from sync.central import CentralClient
from sync.errors import ServerRefused
from sync.openrosa import CollectClient, FormListItem
from sync.relay_backoff import RateLimiter
from sync.relay_entities import ensure_dataset
from sync.relay_state import RelayState
from sync.relay_uploader import HubDown

XML = {"Content-Type": "application/xml"}


def mirror_forms(
    upstream: CollectClient,
    hub: CentralClient,
    *,
    project_id: int,
    state: RelayState,
    limiter: RateLimiter,
) -> list[str]:
    """Install on the hub every upstream form version not mirrored yet; return their ids.

    Transport errors and 5xx answers (of either end) propagate: the cycle is retried.
    A refusal by the hub (say, a version it already published with other content) is
    recorded against the form and shown by ``jaring relay status``.
    """
    changed = []
    for item in upstream.form_list():
        if state.mirrored_hash(item.form_id) == item.hash:
            continue
        xml = upstream.download_form(item)
        limiter.spend(len(xml))
        media: list[tuple[str, bytes]] = []
        for entry in upstream.manifest(item):
            if entry.type == "entityList":
                # The hub serves its own copy of the list (`sync.relay_entities`).
                try:
                    ensure_dataset(hub, project_id, entry.filename.removesuffix(".csv"))
                except httpx.HTTPError as error:
                    raise HubDown(f"the hub is unreachable: {error}") from error
                continue
            content = upstream.download_media(entry)
            limiter.spend(len(content))
            media.append((entry.filename, content))
        try:
            _install(hub, project_id, item, xml, media)
        except httpx.HTTPError as error:
            raise HubDown(f"the hub is unreachable: {error}") from error
        except ServerRefused as refused:
            if refused.status >= 500 or refused.status in (401, 408, 429):
                raise
            state.record_form(
                item.form_id,
                version=item.version,
                hash=item.hash,
                problem=f"the hub refused version {item.version!r}: {refused}",
            )
            continue
        state.record_form(item.form_id, version=item.version, hash=item.hash)
        changed.append(item.form_id)
    return changed


def _install(
    hub: CentralClient,
    project_id: int,
    item: FormListItem,
    xml: bytes,
    media: list[tuple[str, bytes]],
) -> None:
    path = f"/projects/{project_id}/forms/{quote(item.form_id, safe='')}"
    md5 = hashlib.md5(xml, usedforsecurity=False).hexdigest()
    try:
        current = hub.json("GET", path)
    except ServerRefused as refused:
        if refused.status != 404:
            raise
        current = None
    if current is None:
        hub.request(
            "POST",
            f"/projects/{project_id}/forms",
            params={"ignoreWarnings": "true"},
            content=xml,
            headers=XML,
        )
    elif current.get("hash") == md5 and current.get("publishedAt"):
        return  # already published here (the relay's state was lost, or it was set up by hand)
    elif current.get("hash") != md5:  # a new version; an equal unpublished draft is reused
        hub.request(
            "POST", f"{path}/draft", params={"ignoreWarnings": "true"}, content=xml, headers=XML
        )
    for name, content in media:
        hub.request(
            "POST",
            f"{path}/draft/attachments/{quote(name, safe='')}",
            content=content,
            headers={"Content-Type": mimetypes.guess_type(name)[0] or "application/octet-stream"},
        )
    hub.request("POST", f"{path}/draft/publish")
