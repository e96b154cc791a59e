"""OpenRosa documents: the form list, the manifest, and OpenRosaResponse messages.

Built from strings with every value escaped: these are on the phones' hot path, and a
template is faster and plainer than building a tree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

OPENROSA_VERSION = "1.0"
XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"


@dataclass(frozen=True)
class FormListEntry:
    form_id: str
    name: str
    version: str
    md5: str
    download_url: str
    manifest_url: str | None


@dataclass(frozen=True)
class MediaFile:
    name: str
    md5: str
    download_url: str
    # An entity list (Central 2024.2+): its type, and where Collect checks offline entities.
    type: str | None = None
    integrity_url: str | None = None


def form_list(entries: Iterable[FormListEntry]) -> str:
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<xforms xmlns="{XFORMS_LIST_NS}">']
    for entry in entries:
        parts.append(
            "<xform>"
            f"<formID>{escape(entry.form_id)}</formID>"
            f"<name>{escape(entry.name)}</name>"
            f"<version>{escape(entry.version)}</version>"
            f"<hash>md5:{entry.md5}</hash>"
            f"<downloadUrl>{escape(entry.download_url)}</downloadUrl>"
            + (
                f"<manifestUrl>{escape(entry.manifest_url)}</manifestUrl>"
                if entry.manifest_url
                else ""
            )
            + "</xform>"
        )
    parts.append("</xforms>")
    return "\n".join(parts)


def manifest(files: Iterable[MediaFile]) -> str:
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest xmlns="{MANIFEST_NS}">']
    for media in files:
        opening = f'<mediaFile type="{escape(media.type)}">' if media.type else "<mediaFile>"
        integrity = (
            f"<integrityUrl>{escape(media.integrity_url)}</integrityUrl>"
            if media.integrity_url
            else ""
        )
        parts.append(
            opening + f"<filename>{escape(media.name)}</filename>"
            f"<hash>md5:{media.md5}</hash>"
            f"<downloadUrl>{escape(media.download_url)}</downloadUrl>" + integrity + "</mediaFile>"
        )
    parts.append("</manifest>")
    return "\n".join(parts)


def response(message: str, *, nature: str = "") -> str:
    return (
        f'<OpenRosaResponse xmlns="{RESPONSE_NS}" items="0">'
        f'<message nature="{escape(nature)}">{escape(message)}</message>'
        "</OpenRosaResponse>"
    )
