"""Which fields of an XForm may ever be published, and on which consent.

A form marks each field that may appear on a public map, in an atlas or in an open-data
export with the bind attribute ``jaring:public`` (namespace `PUBLIC_NAMESPACE`). In an
XLSForm that is a ``bind::jaring:public`` column (`PUBLIC_COLUMN`) with
``jaring="urn:jaring:xforms"`` in the settings sheet's ``namespaces``. The attribute's value
names the field that decides, submission by submission, whether the marked one may be
published: usually a calculation that is ``ya`` only when every consent it needs was given.
A field without the mark is never public. Nothing here publishes anything; it reads what a
form allows (`public_fields`) and applies it to one submission's values (`publishable`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.data.xform import XFORMS_NS, read_xform
from server.data.xml import XmlError, parse_untrusted_xml

PUBLIC_NAMESPACE = "urn:jaring:xforms"
PUBLIC_ATTRIBUTE = f"{{{PUBLIC_NAMESPACE}}}public"
PUBLIC_COLUMN = "bind::jaring:public"
PUBLISH_VALUE = "ya"


@dataclass(frozen=True)
class PublicField:
    """A field that may be published (``path``) when the field at ``gate`` holds ``ya``;
    both paths as in the field schema, without the root."""

    path: str
    gate: str


def public_fields(xform: bytes) -> list[PublicField]:
    """Every field ``xform`` marks as publishable, in the order of its binds.

    Raises `XmlError` when a mark names no field of the form, or when a marked field or its
    gate sits in a repeat (a submission's values hold one value per path only outside
    repeats).
    """
    info = read_xform(xform)
    fields = {field.path: field for field in info.fields}
    repeats = [field.path for field in info.fields if field.type == "repeat"]
    prefix = f"/{info.root_name}"
    marked: list[PublicField] = []
    for bind in parse_untrusted_xml(xform).iter(f"{{{XFORMS_NS}}}bind"):
        gate_ref = bind.get(PUBLIC_ATTRIBUTE)
        if gate_ref is None:
            continue
        path = _field_path(bind.get("nodeset", ""), prefix)
        gate = _field_path(gate_ref, prefix)
        for role, value in (("field", path), ("gate", gate)):
            if value not in fields or fields[value].type in ("structure", "repeat"):
                raise XmlError(f"jaring:public on {path or '?'}: its {role} is not a field")
            if any(value == r or value.startswith(r + "/") for r in repeats):
                raise XmlError(f"jaring:public on {path}: its {role} is inside a repeat")
        marked.append(PublicField(path=path, gate=gate))
    return marked


def publishable(fields: Sequence[PublicField], values: Mapping[str, Any]) -> dict[str, Any]:
    """The part of one submission's values (field path → value, as stored at ingest) that
    may be published: each marked field whose gate holds ``ya``, and nothing else."""
    return {
        field.path: values[field.path]
        for field in fields
        if field.path in values and values.get(field.gate) == PUBLISH_VALUE
    }


def _field_path(reference: str, prefix: str) -> str:
    reference = reference.strip()
    if reference.startswith(prefix + "/"):
        return reference[len(prefix) :]
    return ""
