"""Up: finding the hub's submissions (`discover`) and offering them upstream (`upload`).

`discover` reads the hub through its Central REST API: the submissions of every published
form, and for an edited submission its versions (original first, then each edit), and
appends every version not seen before to the outbox, with its XML exactly as the hub
serves it, in order of arrival.

`upload` goes through the outbox in that order. Each version is sent as ODK Collect
sends it (`CollectClient.submit`): the XML with as many attachments as fit under the
upstream's ``X-OpenRosa-Accept-Content-Length``, then the remaining attachments in
further POSTs carrying the same XML. Every 2xx is recorded at once, so after a cut only
what is missing goes again; a resend is safe because upstream deduplicates by
instanceID. A refusal (409 conflict, unknown form or version, too large) marks the entry
failed with its reason. Anything that looks like a bad link (a transport error, 5xx,
408, 429) or a credential problem upstream (401, 403) stops the pass with `UplinkDown`,
and nothing is skipped: the next pass starts again at the same entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from lxml import etree

from sync.central import CentralClient
from sync.errors import ProtocolError, ServerRefused, SyncError
from sync.openrosa import MULTIPART_OVERHEAD, CollectClient
from sync.relay_backoff import RateLimiter
from sync.relay_state import OutboxEntry, RelayState

TRANSIENT_STATUSES = frozenset({401, 403, 408, 425, 429})
ENQUEUE_CHUNK = 20


class UplinkDown(SyncError):
    """Upstream could not be reached or did not answer usefully; try again later."""


class HubDown(SyncError):
    """The hub's own server could not be reached; try again later."""


@dataclass
class UploadReport:
    offered: int = 0
    confirmed: int = 0
    failed: int = 0
    waiting: int = 0
    more: bool = False


def is_transient(error: Exception) -> bool:
    if isinstance(error, httpx.HTTPError | ProtocolError):
        return True
    if isinstance(error, ServerRefused):
        return error.status >= 500 or error.status in TRANSIENT_STATUSES
    return False


# Discovery -------------------------------------------------------------------------------


def discover(hub: CentralClient, *, project_id: int, state: RelayState, limit: int = 500) -> int:
    """Append the hub's oldest ``limit`` submission versions not yet in the outbox, in
    order of arrival; return how many."""
    try:
        return _discover(hub, project_id, state, limit)
    except httpx.HTTPError as error:
        raise HubDown(f"the hub is unreachable: {error}") from error


def _discover(hub: CentralClient, project_id: int, state: RelayState, limit: int) -> int:
    known = state.known_instance_ids()
    found: list[tuple[str, int, str, str, str]] = []  # createdAt, tiebreak, form, root, version
    for form in hub.json("GET", f"/projects/{project_id}/forms"):
        if not form.get("publishedAt"):
            continue
        form_id = form["xmlFormId"]
        base = f"/projects/{project_id}/forms/{quote(form_id, safe='')}/submissions"
        for listed in hub.json("GET", base):
            root = listed["instanceId"]
            current = (listed.get("currentVersion") or {}).get("instanceId") or root
            if current in known or listed.get("deletedAt"):
                continue
            if current == root:
                found.append((listed["createdAt"], 0, form_id, root, root))
                continue
            for position, version in enumerate(_versions(hub, base, root, listed)):
                if version["instanceId"] not in known:
                    found.append(
                        (version["createdAt"], position, form_id, root, version["instanceId"])
                    )
    found.sort()
    added = 0
    entries: list[tuple[str, str, str, bytes]] = []
    for _, _, form_id, root, instance_id in found[:limit]:
        base = f"/projects/{project_id}/forms/{quote(form_id, safe='')}/submissions"
        xml = _version_xml(hub, base, root, instance_id)
        if xml is None:
            break  # it changed under us (an edit came in): keep the order, look again next time
        entries.append((form_id, root, instance_id, xml))
        if len(entries) >= ENQUEUE_CHUNK:  # keep what was read if the relay dies now
            added += state.enqueue(entries)
            entries = []
    return added + state.enqueue(entries)


def _versions(
    hub: CentralClient, base: str, root: str, listed: dict[str, Any]
) -> list[dict[str, Any]]:
    """The versions of an edited submission, oldest first (Central lists newest first)."""
    try:
        versions: list[dict[str, Any]] = hub.json("GET", f"{base}/{quote(root, safe='')}/versions")
    except ServerRefused as refused:
        if refused.status != 404:
            raise
        # A hub without the versions endpoint: only the current version can be read.
        return [listed["currentVersion"]]
    indexed = list(enumerate(reversed(versions)))
    indexed.sort(key=lambda pair: (pair[1]["createdAt"], pair[0]))
    return [version for _, version in indexed]


def _version_xml(hub: CentralClient, base: str, root: str, instance_id: str) -> bytes | None:
    """The XML of one version, or None if it can no longer be read as that version."""
    path = f"{base}/{quote(root, safe='')}/versions/{quote(instance_id, safe='')}.xml"
    try:
        return hub.request("GET", path).content
    except ServerRefused as refused:
        if refused.status != 404:
            raise
    xml = hub.request("GET", f"{base}/{quote(root, safe='')}.xml").content
    return xml if instance_id_of(xml) == instance_id else None


def instance_id_of(xml: bytes) -> str | None:
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        root = etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError:
        return None
    for element in root.iter("{*}instanceID"):
        return (element.text or "").strip()
    return None


# Upload ----------------------------------------------------------------------------------


def upload(
    upstream: CollectClient,
    hub: CentralClient,
    *,
    project_id: int,
    state: RelayState,
    limiter: RateLimiter,
    batch_size: int,
) -> UploadReport:
    """Offer up to ``batch_size`` outbox entries upstream, oldest first."""
    report = UploadReport()
    limit: int | None = None
    after = 0
    while report.offered < batch_size:
        entries = state.due(batch_size, after_seq=after)
        if not entries:
            return report
        for entry in entries:
            after = entry.seq
            base = (
                f"/projects/{project_id}/forms/{quote(entry.xml_form_id, safe='')}"
                f"/submissions/{quote(entry.root_id, safe='')}"
            )
            try:
                prefix, present, missing = _version_base(hub, base, entry)
            except ServerRefused as refused:
                if refused.status >= 500:
                    raise HubDown(f"the hub failed: {refused}") from refused
                state.mark_failed(entry.seq, f"on the hub: {refused.status} {refused.message}")
                report.failed += 1
                continue
            todo = [name for name in present if name not in entry.attachments_sent]
            if entry.xml_confirmed and not todo:
                _settle(state, entry, missing, report)
                continue
            if report.offered >= batch_size:
                report.more = True
                return report
            if limit is None:
                limit = _call(upstream.accepted_length)
            report.offered += 1
            state.mark_attempt(entry.seq)
            try:
                _send(upstream, hub, prefix, entry, todo, limit, state, limiter)
            except ServerRefused as refused:
                if is_transient(refused):
                    raise UplinkDown(str(refused)) from refused
                state.mark_failed(entry.seq, f"{refused.status} {refused.message}")
                report.failed += 1
                continue
            _settle(state, entry, missing, report)
    report.more = True
    return report


def _send(
    upstream: CollectClient,
    hub: CentralClient,
    prefix: str,
    entry: OutboxEntry,
    todo: list[str],
    limit: int,
    state: RelayState,
    limiter: RateLimiter,
) -> None:
    """POST the XML and the attachments in ``todo``, as few per POST as the limit wants."""
    sent = set(entry.attachments_sent)
    batch: dict[str, bytes] = {}
    size = len(entry.xml) + MULTIPART_OVERHEAD
    posted = False

    def flush() -> None:
        _call(lambda: upstream.submit(entry.xml, dict(batch)))
        limiter.spend(len(entry.xml) + sum(len(c) for c in batch.values()))
        sent.update(batch)
        state.mark_progress(entry.seq, sent)
        batch.clear()

    for name in todo:
        content = _hub_file(hub, prefix, name)
        cost = len(content) + MULTIPART_OVERHEAD
        if batch and size + cost > limit:
            flush()
            posted = True
            size = len(entry.xml) + MULTIPART_OVERHEAD
        batch[name] = content
        size += cost
    if batch or not (posted or entry.xml_confirmed):
        flush()
    entry.attachments_sent = sent
    entry.xml_confirmed = True


def _settle(
    state: RelayState, entry: OutboxEntry, missing: list[str], report: UploadReport
) -> None:
    if missing:
        state.mark_waiting(
            entry.seq,
            f"waiting for {len(missing)} attachment(s) to reach the hub: {', '.join(missing)}",
        )
        report.waiting += 1
    else:
        state.mark_confirmed(entry.seq)
        report.confirmed += 1


def _call(work: Any) -> Any:
    """Run an upstream call, turning a bad link into `UplinkDown`."""
    try:
        return work()
    except (httpx.HTTPError, ProtocolError) as error:
        raise UplinkDown(f"{type(error).__name__}: {error}") from error
    except ServerRefused as refused:
        if is_transient(refused):
            raise UplinkDown(str(refused)) from refused
        raise


def _version_base(
    hub: CentralClient, base: str, entry: OutboxEntry
) -> tuple[str, list[str], list[str]]:
    """Where the hub serves this version's attachments, and which it has and lacks.

    The submission's own path while this version is the current one; otherwise
    ``…/versions/{instanceId}/attachments`` (Central's API) if the hub has it. An earlier
    version on a hub without that endpoint can still go if its XML names no file (by the
    form's binary fields); one that names files is refused here with the reason.
    """
    current = _hub(lambda: hub.json("GET", base))
    if (current.get("currentVersion") or {}).get("instanceId") == entry.instance_id:
        return (base, *_hub_attachments(hub, base))
    versioned = f"{base}/versions/{quote(entry.instance_id, safe='')}"
    try:
        return (versioned, *_hub_attachments(hub, versioned))
    except ServerRefused as refused:
        if refused.status != 404:
            raise
    form_base = base.split("/submissions/", 1)[0]
    fields = _hub(lambda: hub.json("GET", f"{form_base}/fields"))
    named = binary_values(entry.xml, [f["path"] for f in fields if f.get("binary")])
    if named:
        raise ServerRefused(
            404,
            "the hub does not serve the attachments of an earlier version"
            f" ({', '.join(named)}); it lacks …/versions/{{instanceId}}/attachments",
        )
    return (base, [], [])


def binary_values(xml: bytes, paths: list[str]) -> list[str]:
    """The file names a submission's XML gives in the binary fields at ``paths``."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(xml, parser=parser)
    names: list[str] = []
    for path in paths:
        steps = [step for step in path.split("/") if step]
        nodes = [root]
        for step in steps:
            nodes = [
                child
                for node in nodes
                for child in node
                if isinstance(child.tag, str) and etree.QName(child).localname == step
            ]
        names.extend((node.text or "").strip() for node in nodes if (node.text or "").strip())
    return names


def _hub_attachments(hub: CentralClient, prefix: str) -> tuple[list[str], list[str]]:
    listed = _hub(lambda: hub.json("GET", f"{prefix}/attachments"))
    present = [a["name"] for a in listed if a.get("exists")]
    missing = [a["name"] for a in listed if not a.get("exists")]
    return present, missing


def _hub_file(hub: CentralClient, prefix: str, name: str) -> bytes:
    response = _hub(lambda: hub.request("GET", f"{prefix}/attachments/{quote(name, safe='')}"))
    content: bytes = response.content
    return content


def _hub(work: Any) -> Any:
    try:
        return work()
    except httpx.HTTPError as error:
        raise HubDown(f"the hub is unreachable: {error}") from error
