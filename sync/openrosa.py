"""A client that talks OpenRosa as ODK Collect does: form list, form and media download,
and submissions, with large submissions split across several POSTs.

Collect asks ``HEAD …/submission`` for ``X-OpenRosa-Accept-Content-Length``, then sends
the XML with as many attachments as fit under it; the remaining attachments follow in
further POSTs, each carrying the same XML again. The server recognises the resend and
adds the new files.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from lxml import etree

from sync.errors import ProtocolError, ServerRefused

OPENROSA_HEADERS = {"X-OpenRosa-Version": "1.0"}
XFORMS_LIST_NS = "{http://openrosa.org/xforms/xformsList}"
MANIFEST_NS = "{http://openrosa.org/xforms/xformsManifest}"
RESPONSE_NS = "{http://openrosa.org/http/response}"
DEFAULT_ACCEPT_LENGTH = 10_000_000
MULTIPART_OVERHEAD = 512  # bytes of boundary and headers per part, counted generously


@dataclass(frozen=True)
class FormListItem:
    form_id: str
    name: str
    version: str
    hash: str
    download_url: str
    manifest_url: str | None


@dataclass(frozen=True)
class MediaFileItem:
    filename: str
    hash: str
    download_url: str
    type: str | None = None  # "entityList" for a dataset's list (Central 2024.2+)


class CollectClient:
    """OpenRosa calls under one server URL (``…/v1/key/{token}/projects/{id}``)."""

    def __init__(
        self,
        server_url: str,
        *,
        client: httpx.Client | None = None,
        device_id: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self._owns_client = client is None
        self.client = client or httpx.Client(timeout=timeout)
        self.device_id = device_id or f"jaring:{uuid.uuid4()}"

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> CollectClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def form_list(self) -> list[FormListItem]:
        root = self._xml(self._get(f"{self.server_url}/formList"))
        items = []
        for xform in root.iter(f"{XFORMS_LIST_NS}xform"):
            items.append(
                FormListItem(
                    form_id=_text(xform, f"{XFORMS_LIST_NS}formID"),
                    name=_text(xform, f"{XFORMS_LIST_NS}name"),
                    version=_text(xform, f"{XFORMS_LIST_NS}version"),
                    hash=_text(xform, f"{XFORMS_LIST_NS}hash"),
                    download_url=_text(xform, f"{XFORMS_LIST_NS}downloadUrl"),
                    manifest_url=_text(xform, f"{XFORMS_LIST_NS}manifestUrl") or None,
                )
            )
        return items

    def download_form(self, item: FormListItem) -> bytes:
        return self._get(item.download_url).content

    def manifest(self, item: FormListItem) -> list[MediaFileItem]:
        if item.manifest_url is None:
            return []
        root = self._xml(self._get(item.manifest_url))
        return [
            MediaFileItem(
                filename=_text(media, f"{MANIFEST_NS}filename"),
                hash=_text(media, f"{MANIFEST_NS}hash"),
                download_url=_text(media, f"{MANIFEST_NS}downloadUrl"),
                type=media.get("type"),
            )
            for media in root.iter(f"{MANIFEST_NS}mediaFile")
        ]

    def download_media(self, media: MediaFileItem) -> bytes:
        return self._get(media.download_url).content

    def accepted_length(self) -> int:
        response = self.client.head(f"{self.server_url}/submission", headers=OPENROSA_HEADERS)
        _raise_for(response)
        value = response.headers.get("x-openrosa-accept-content-length")
        return int(value) if value and value.isdigit() else DEFAULT_ACCEPT_LENGTH

    def submit(self, xml: bytes, attachments: dict[str, bytes | Path] | None = None) -> int:
        """Send a submission and its attachments; return how many POSTs it took."""
        limit = self.accepted_length()
        batches = _batches(xml, attachments or {}, limit)
        for batch in batches:
            files: list[tuple[str, tuple[str, bytes, str]]] = [
                ("xml_submission_file", ("submission.xml", xml, "text/xml"))
            ]
            for name, content in batch:
                files.append((name, (name, content, _content_type(name))))
            response = self.client.post(
                f"{self.server_url}/submission",
                params={"deviceID": self.device_id},
                headers=OPENROSA_HEADERS,
                files=files,
            )
            _raise_for(response)
            if response.status_code not in (200, 201, 202):
                raise ProtocolError(f"unexpected status {response.status_code} for a submission")
        return len(batches)

    def _get(self, url: str) -> httpx.Response:
        response = self.client.get(url, headers=OPENROSA_HEADERS)
        _raise_for(response)
        return response

    @staticmethod
    def _xml(response: httpx.Response) -> etree._Element:
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            return etree.fromstring(response.content, parser=parser)
        except etree.XMLSyntaxError as error:
            raise ProtocolError(f"the server sent malformed XML: {error}") from error


def _batches(
    xml: bytes, attachments: dict[str, bytes | Path], limit: int
) -> list[list[tuple[str, bytes]]]:
    """Split attachments so that each POST (XML plus its files) stays under ``limit``."""
    base = len(xml) + MULTIPART_OVERHEAD
    batches: list[list[tuple[str, bytes]]] = [[]]
    size = base
    for name, source in attachments.items():
        content = source.read_bytes() if isinstance(source, Path) else source
        cost = len(content) + MULTIPART_OVERHEAD
        if batches[-1] and size + cost > limit:
            batches.append([])
            size = base
        batches[-1].append((name, content))
        size += cost
    return batches


def _raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    message = response.text
    try:
        root = etree.fromstring(response.content, parser=etree.XMLParser(resolve_entities=False))
        found = root.find(f"{RESPONSE_NS}message")
        if found is not None and found.text:
            message = found.text
    except etree.XMLSyntaxError:
        pass
    raise ServerRefused(response.status_code, message)


def _text(element: etree._Element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _content_type(name: str) -> str:
    import mimetypes

    return mimetypes.guess_type(name)[0] or "application/octet-stream"
