"""Reading a submission's XML: which form it is for, its instanceID, and its values.

`read_submission` identifies a submission (form id and version from the root element,
``meta/instanceID``, ``meta/deprecatedID``, ``meta/instanceName``; the ``meta`` block may
be in the OpenRosa namespace or in none). `flatten_values` turns the instance into the
values stored at ingest for exports: leaf paths (without the root, as in the field
schema) mapped to their text, and each repeat path mapped to a list of its instances,
each a mapping of the same kind. `attachment_names` lists the files the XML names in
its binary fields.

An encrypted submission's XML is the manifest ODK Collect sends in its place (in
Collect's namespace or the specification's: elements are matched by local name):
`read_submission` reads its wrapped key, the encrypted files in manifest order (the
media, then the encrypted XML, which fixes each file's IV) and the signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from server.data.xform import FieldInfo
from server.data.xml import XmlError, local_name, parse_untrusted_xml

MAX_INSTANCE_ID_LENGTH = 300
MAX_INSTANCE_NAME_LENGTH = 1000  # a label for lists; the XML keeps the whole of it


class MissingInstanceId(XmlError):
    """The submission has no meta/instanceID (which an encrypted one must have)."""

    def __init__(self, message: str, *, encrypted: bool) -> None:
        super().__init__(message)
        self.encrypted = encrypted


@dataclass(frozen=True)
class EncryptedManifest:
    """What an encrypted submission's manifest says of its files and key."""

    local_key: str | None  # base64EncryptedKey
    xml_file: str  # encryptedXmlFile, e.g. "submission.xml.enc"
    signature: str | None  # base64EncryptedElementSignature
    media: tuple[str, ...]  # media/file names, in document order

    @property
    def files(self) -> list[str]:
        """Every encrypted file; a file's position is its IV index."""
        return [*self.media, self.xml_file]


@dataclass(frozen=True)
class SubmissionInfo:
    xml_form_id: str
    version: str
    instance_id: str
    deprecated_id: str | None
    instance_name: str | None
    encrypted: bool
    root: etree._Element
    manifest: EncryptedManifest | None = None


def read_submission(content: bytes) -> SubmissionInfo:
    """Parse submission XML and identify it, or raise `XmlError` saying what is wrong."""
    root = parse_untrusted_xml(content)
    xml_form_id = (root.get("id") or "").strip()
    if not xml_form_id:
        raise XmlError("the submission's root element has no id attribute naming its form")
    xml_file = _text(_child(root, "encryptedXmlFile"))
    meta = _child(root, "meta")
    instance_id = _text(_child(meta, "instanceID")) if meta is not None else None
    if not instance_id:
        instance_id = (root.get("instanceID") or "").strip() or None
    if not instance_id:
        raise MissingInstanceId(
            "the submission has no meta/instanceID", encrypted=xml_file is not None
        )
    if len(instance_id) > MAX_INSTANCE_ID_LENGTH or any(ord(c) < 32 for c in instance_id):
        raise XmlError("the submission's instanceID is too long or has control characters")
    deprecated = _text(_child(meta, "deprecatedID")) if meta is not None else None
    name = _text(_child(meta, "instanceName")) if meta is not None else None
    return SubmissionInfo(
        xml_form_id=xml_form_id,
        version=(root.get("version") or "").strip(),
        instance_id=instance_id,
        deprecated_id=deprecated or None,
        instance_name=name[:MAX_INSTANCE_NAME_LENGTH] if name else None,
        encrypted=xml_file is not None,
        root=root,
        manifest=_manifest(root, xml_file) if xml_file is not None else None,
    )


def _manifest(root: etree._Element, xml_file: str) -> EncryptedManifest:
    media = [
        _text(file) or ""
        for element in root
        if isinstance(element.tag, str) and local_name(element) == "media"
        for file in element
        if isinstance(file.tag, str) and local_name(file) == "file"
    ]
    if not xml_file or any(not name for name in media):
        raise XmlError("the encrypted submission's manifest names a file without a name")
    if len(set(media + [xml_file])) != len(media) + 1:
        raise XmlError("the encrypted submission's manifest names a file twice")
    return EncryptedManifest(
        local_key=_text(_child(root, "base64EncryptedKey")) or None,
        xml_file=xml_file,
        signature=_text(_child(root, "base64EncryptedElementSignature")) or None,
        media=tuple(media),
    )


def flatten_values(root: etree._Element, fields: list[FieldInfo]) -> dict[str, Any]:
    """The instance's values: leaf path -> text, repeat path -> list of such mappings."""
    repeats = {f.path for f in fields if f.type == "repeat"}
    return _flatten(root, "", repeats)


def _flatten(element: etree._Element, prefix: str, repeats: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        path = f"{prefix}/{local_name(child)}"
        if path in repeats:
            values.setdefault(path, []).append(_flatten(child, path, repeats))
        elif len(child) and any(isinstance(c.tag, str) for c in child):
            values.update(_flatten(child, path, repeats))
        else:
            values[path] = child.text or ""
    return values


def attachment_names(values: dict[str, Any], fields: list[FieldInfo]) -> list[str]:
    """The file names held in the submission's binary fields, in document order, once each."""
    binary = {f.path for f in fields if f.binary}
    names: list[str] = []
    _collect_binary(values, binary, names)
    return list(dict.fromkeys(names))


def _collect_binary(values: dict[str, Any], binary: set[str], out: list[str]) -> None:
    for path, value in values.items():
        if isinstance(value, list):
            for instance in value:
                _collect_binary(instance, binary, out)
        elif path in binary and value.strip():
            out.append(value.strip())


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    for child in element:
        if isinstance(child.tag, str) and local_name(child) == name:
            return child
    return None


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip()
