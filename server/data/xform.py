"""Reading an XForm: its identity (id, version, title), field schema and media files.

The field schema is the list Central's ``/fields`` endpoint gives: one entry per node of
the primary instance, in document order, with its path (without the root), name, type
(``structure`` for a group, ``repeat`` for a repeat, the bind type otherwise), whether it
is a select_multiple, and whether it holds a file (``binary``). Exports and the
submission parser work from it; nothing re-reads the XForm on the hot path.

An encrypted form carries its RSA public key on ``model/submission``
(``base64RsaPublicKey``); `with_public_key` puts a managed key there, as Central does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from server.data.xml import XmlError, local_name, parse_untrusted_xml

XFORMS_NS = "http://www.w3.org/2002/xforms"
XHTML_NS = "http://www.w3.org/1999/xhtml"
MEDIA_REFERENCE = re.compile(r"jr://(images|audio|video|file|file-csv)/([^\s\"'<>]+)")
MEDIA_TYPES = {"images": "image", "audio": "audio", "video": "video", "file": "file"}
MEDIA_TYPES["file-csv"] = "file"


@dataclass(frozen=True)
class FieldInfo:
    path: str
    name: str
    type: str
    binary: bool = False
    select_multiple: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "type": self.type,
            "binary": True if self.binary else None,
            "selectMultiple": True if self.select_multiple else None,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FieldInfo:
        return cls(
            path=raw["path"],
            name=raw["name"],
            type=raw["type"],
            binary=bool(raw.get("binary")),
            select_multiple=bool(raw.get("selectMultiple")),
        )


@dataclass(frozen=True)
class XFormInfo:
    xml_form_id: str
    version: str
    title: str | None
    root_name: str
    fields: list[FieldInfo]
    media: dict[str, str] = field(default_factory=dict)  # file name -> type
    public_key: str | None = None  # base64RsaPublicKey: submissions come encrypted

    @property
    def encrypted(self) -> bool:
        return self.public_key is not None


def read_xform(content: bytes) -> XFormInfo:
    """Parse an XForm and describe it; raise `XmlError` if it is not a usable XForm."""
    root = parse_untrusted_xml(content)
    if local_name(root) != "html":
        raise XmlError("an XForm's root element must be h:html")
    head = _child(root, "head")
    model = _child(head, "model") if head is not None else None
    if head is None or model is None:
        raise XmlError("the XForm has no h:head/model")
    instance = next(
        (
            el
            for el in model
            if isinstance(el.tag, str) and local_name(el) == "instance" and el.get("id") is None
        ),
        None,
    )
    data = None
    if instance is not None:
        data = next((el for el in instance if isinstance(el.tag, str)), None)
    if data is None:
        raise XmlError("the XForm has no primary instance")
    xml_form_id = (data.get("id") or "").strip()
    if not xml_form_id:
        raise XmlError("the primary instance's root element has no id attribute")
    title_el = _child(head, "title")
    title = (title_el.text or "").strip() if title_el is not None else None
    binds = {
        _strip_root(bind.get("nodeset", ""), local_name(data)): bind
        for bind in model
        if isinstance(bind.tag, str) and local_name(bind) == "bind"
    }
    body = _child(root, "body")
    repeats, selects, uploads = _body_controls(body, local_name(data))
    fields: list[FieldInfo] = []
    _walk(data, "", binds, repeats, selects, uploads, fields)
    media = {
        match.group(2): MEDIA_TYPES[match.group(1)]
        for match in MEDIA_REFERENCE.finditer(content.decode("utf-8", errors="replace"))
    }
    submission = next(
        (el for el in model if isinstance(el.tag, str) and local_name(el) == "submission"), None
    )
    return XFormInfo(
        xml_form_id=xml_form_id,
        version=(data.get("version") or "").strip(),
        title=title or None,
        root_name=local_name(data),
        fields=fields,
        media=media,
        public_key=(
            (submission.get("base64RsaPublicKey") or "").strip() or None
            if submission is not None
            else None
        ),
    )


def with_public_key(xml: bytes, public_key: str, version_suffix: str) -> bytes:
    """The XForm with ``base64RsaPublicKey`` on its ``model/submission`` (added just
    before ``</model>`` when there is none) and ``version_suffix`` appended to its
    primary instance's version: Central's managed-key rewrite."""
    root = parse_untrusted_xml(xml)
    head = _child(root, "head")
    model = _child(head, "model") if head is not None else None
    if model is None:
        raise XmlError("the XForm has no h:head/model")
    instance = next(
        (
            el
            for el in model
            if isinstance(el.tag, str) and local_name(el) == "instance" and el.get("id") is None
        ),
        None,
    )
    data = None
    if instance is not None:
        data = next((el for el in instance if isinstance(el.tag, str)), None)
    if data is None:
        raise XmlError("the XForm has no primary instance")
    submission = _child(model, "submission")
    if submission is None:
        submission = etree.SubElement(model, f"{{{XFORMS_NS}}}submission")
    submission.set("base64RsaPublicKey", public_key)
    data.set("version", (data.get("version") or "") + version_suffix)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8")


def _child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if isinstance(child.tag, str) and local_name(child) == name:
            return child
    return None


def _strip_root(nodeset: str, root_name: str) -> str:
    prefix = f"/{root_name}"
    return nodeset[len(prefix) :] if nodeset.startswith(prefix) else nodeset


def _body_controls(
    body: etree._Element | None, root_name: str
) -> tuple[set[str], set[str], set[str]]:
    repeats: set[str] = set()
    selects: set[str] = set()
    uploads: set[str] = set()
    if body is None:
        return repeats, selects, uploads
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue
        name = local_name(element)
        if name == "repeat" and element.get("nodeset"):
            repeats.add(_strip_root(element.get("nodeset", ""), root_name))
        elif name == "select" and element.get("ref"):
            selects.add(_strip_root(element.get("ref", ""), root_name))
        elif name == "upload" and element.get("ref"):
            uploads.add(_strip_root(element.get("ref", ""), root_name))
    return repeats, selects, uploads


def _walk(
    element: etree._Element,
    prefix: str,
    binds: dict[str, etree._Element],
    repeats: set[str],
    selects: set[str],
    uploads: set[str],
    out: list[FieldInfo],
) -> None:
    seen: set[str] = set()
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = local_name(child)
        path = f"{prefix}/{name}"
        if path in seen:  # a repeat's template and its instances share one path
            continue
        seen.add(path)
        has_children = any(isinstance(c.tag, str) for c in child)
        if path in repeats:
            out.append(FieldInfo(path=path, name=name, type="repeat"))
            _walk(child, path, binds, repeats, selects, uploads, out)
        elif has_children:
            out.append(FieldInfo(path=path, name=name, type="structure"))
            _walk(child, path, binds, repeats, selects, uploads, out)
        else:
            bind = binds.get(path)
            bind_type = _bind_type(bind.get("type") if bind is not None else None)
            binary = bind_type == "binary" or path in uploads
            out.append(
                FieldInfo(
                    path=path,
                    name=name,
                    type=bind_type,
                    binary=binary,
                    select_multiple=path in selects,
                )
            )


def _bind_type(raw: str | None) -> str:
    if not raw:
        return "string"
    value = raw.split(":", 1)[-1]  # "xsd:string" -> "string"
    return {"select": "string", "select1": "string"}.get(value, value)
