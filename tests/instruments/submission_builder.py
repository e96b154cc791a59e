"""Build a complete submission for a compiled XForm, as ODK Collect would send it.

`build_submission` walks the XForm's primary instance and binds and answers every leaf
with a value valid for its type: choices come from the form's own lists or from its CSV
media, following equality ``choice_filter``s (so a location cascade stays consistent);
numbers respect the simple bounds of their constraints; text matching a ``regex()``
constraint is made to match; every repeat gets ``repeat_count`` instances; every binary
field gets a small PNG attachment. Relevance is ignored on purpose: every field is
answered. ``overrides`` (absolute path without repeat index → value) fix chosen answers.
"""

from __future__ import annotations

import csv
import re
import struct
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

XF = "http://www.w3.org/2002/xforms"
JR = "http://openrosa.org/javarosa"
NS = {"xf": XF, "h": "http://www.w3.org/1999/xhtml", "jr": JR}

_LOWER = re.compile(r"\.\s*>(=?)\s*(-?[0-9]+(?:\.[0-9]+)?)")
_UPPER = re.compile(r"<(=?)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*(?:\)|and|or|$)")
_REGEX = re.compile(r"regex\(\s*\.\s*,\s*'([^']*)'\s*\)")
_EXCLUSIVE = re.compile(r"selected\(\s*\.\s*,\s*'([^']+)'\s*\)")
_MAX_SELECTED = re.compile(r"count-selected\(\s*\.\s*\)\s*<=\s*([0-9]+)")
_NODESET = re.compile(r"^instance\('([^']+)'\)(/[\w/]+?)(?:\[(.*)\])?$")
_TERM = re.compile(r"^\s*([\w.-]+)\s*(!=|=)\s*(.+?)\s*$")


def tiny_png() -> bytes:
    """A valid 1×1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xc8\x50\x50")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@dataclass
class Submission:
    """The submission XML, its attachments and every value put in it by leaf path."""

    xml: bytes
    instance_id: str
    attachments: dict[str, bytes] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def string_matching(pattern: str) -> str:
    """The shortest string matching a simple regular expression (classes, quantifiers)."""
    out: list[str] = []
    index = 0
    body = pattern.removeprefix("^").removesuffix("$")
    while index < len(body):
        char = body[index]
        if char == "[":
            end = body.index("]", index)
            choices = body[index + 1 : end]
            if choices.startswith("^"):
                raise ValueError(f"negated class in {pattern!r} is not supported")
            piece = choices[0]
            index = end + 1
        elif char == "\\":
            piece = {"d": "0", "w": "a", "s": " "}.get(body[index + 1], body[index + 1])
            index += 2
        elif char in "().|":
            raise ValueError(f"{char!r} in {pattern!r} is not supported")
        else:
            piece = char
            index += 1
        count = 1
        if index < len(body) and body[index] == "{":
            end = body.index("}", index)
            count = int(body[index + 1 : end].split(",")[0])
            index = end + 1
        elif index < len(body) and body[index] in "?*+":
            count = 0 if body[index] in "?*" else 1
            index += 1
        out.append(piece * count)
    text = "".join(out)
    if not re.fullmatch(pattern.removeprefix("^").removesuffix("$"), text):
        raise ValueError(f"could not make a string matching {pattern!r}")
    return text


def _number(constraint: str, preferred: float, is_int: bool) -> str:
    value = preferred
    for strict, bound in _LOWER.findall(constraint):
        low = float(bound) + (1 if strict == "" and is_int else 0.5 if strict == "" else 0)
        value = max(value, low)
    for strict, bound in _UPPER.findall(constraint):
        high = float(bound) - (0 if strict == "=" else 1)
        value = min(value, high)
    return str(int(value)) if is_int else f"{value:g}"


class _Builder:
    def __init__(
        self,
        xform: bytes,
        media: Mapping[str, Path],
        overrides: Mapping[str, str],
        repeat_count: int,
    ) -> None:
        self.doc = etree.fromstring(xform)
        self.media = media
        self.overrides = dict(overrides)
        self.repeat_count = repeat_count
        model = self.doc.find("h:head/xf:model", NS)
        if model is None:
            raise ValueError("the XForm has no model")
        self.model = model
        self.binds = {b.get("nodeset"): b for b in model.findall("xf:bind", NS)}
        self.controls = {
            c.get("ref"): c
            for c in self.doc.iter(f"{{{XF}}}select1", f"{{{XF}}}select", f"{{{XF}}}upload")
        }
        self.repeats = {r.get("nodeset") for r in self.doc.iter(f"{{{XF}}}repeat")}
        self.secondary = {
            i.get("id"): i for i in model.findall("xf:instance", NS) if i.get("id") is not None
        }
        self.answers: dict[str, str] = {}
        self.values: dict[str, str] = {}
        self.attachments: dict[str, bytes] = {}
        self.csv_cache: dict[str, list[dict[str, str]]] = {}

    # choices ---------------------------------------------------------------------------------
    def _items(self, instance_id: str) -> list[dict[str, str]]:
        if instance_id in self.csv_cache:
            return self.csv_cache[instance_id]
        instance = self.secondary[instance_id]
        src = instance.get("src")
        if src:
            name = src.rsplit("/", 1)[-1]
            if name not in self.media:
                raise ValueError(f"media file {name} for instance {instance_id!r} not given")
            with Path(self.media[name]).open(encoding="utf-8", newline="") as handle:
                items = list(csv.DictReader(handle))
        else:
            items = [
                {etree.QName(child).localname: (child.text or "") for child in item}
                for item in instance.iter(f"{{{XF}}}item")
            ]
        self.csv_cache[instance_id] = items
        return items

    def _matches(self, item: dict[str, str], predicate: str | None) -> bool:
        if not predicate:
            return True
        for term in re.split(r"\s+and\s+", predicate):
            match = _TERM.match(term)
            if not match:
                raise ValueError(f"choice filter {predicate!r} is not a conjunction of equalities")
            column, operator, right = match.groups()
            if right.startswith("/"):
                expected = self.answers.get(right.strip(), "")
            elif right[0] in "'\"":
                expected = right[1:-1]
            else:
                raise ValueError(f"choice filter term {term!r} is not supported")
            if (item.get(column, "") == expected) != (operator == "="):
                return False
        return True

    def _choices(self, control: etree._Element) -> list[str]:
        itemset = control.find("xf:itemset", NS)
        if itemset is None:
            return [v.text or "" for v in control.findall("xf:item/xf:value", NS)]
        match = _NODESET.match(itemset.get("nodeset", "").strip())
        if not match:
            raise ValueError(f"itemset {itemset.get('nodeset')!r} is not supported")
        instance_id, _path, predicate = match.groups()
        value_ref = itemset.find("xf:value", NS)
        key = value_ref.get("ref") if value_ref is not None else "name"
        items = [i for i in self._items(instance_id) if self._matches(i, predicate)]
        return [i[key] for i in items if i.get(key)]

    # values ------------------------------------------------------------------------------------
    def value_for(self, path: str, name: str) -> str:
        if path in self.overrides:
            return self.overrides[path]
        bind = self.binds.get(path)
        kind = (bind.get("type") if bind is not None else None) or "string"
        kind = kind.split(":")[-1]
        constraint = (bind.get("constraint") if bind is not None else None) or ""
        calculate = (bind.get("calculate") if bind is not None else None) or ""
        control = self.controls.get(path)
        if calculate:
            literal = re.fullmatch(r"\s*'([^']*)'\s*", calculate)
            return literal.group(1) if literal else f"nilai {name}"
        if kind == "select1" or (control is not None and control.tag == f"{{{XF}}}select1"):
            if control is None:
                return "1"
            choices = self._choices(control)
            if not choices:
                raise ValueError(f"no choice available for {path}")
            return choices[0]
        if kind == "select" or (control is not None and control.tag == f"{{{XF}}}select"):
            if control is None:
                return "a b"
            excluded = set(_EXCLUSIVE.findall(constraint))
            limit = min(int(m) for m in _MAX_SELECTED.findall(constraint) or ["2"])
            choices = [c for c in self._choices(control) if c not in excluded]
            return " ".join(choices[: max(1, min(2, limit))])
        if kind == "int":
            return _number(constraint, 2, True)
        if kind == "decimal":
            return _number(constraint, 1.5, False)
        if kind == "date":
            return "2026-11-20"
        if kind == "dateTime":
            return "2026-11-20T09:30:00.000+07:00"
        if kind == "time":
            return "09:30:00.000+07:00"
        if kind in ("geopoint",):
            return "-10.1772 123.6070 45.0 4.5"
        if kind in ("geotrace", "geoshape"):
            return "-10.1772 123.6070 45.0 4.5;-10.1780 123.6080 45.0 4.5"
        if kind == "binary" or (control is not None and control.tag == f"{{{XF}}}upload"):
            filename = f"{name}.png"
            self.attachments[filename] = tiny_png()
            return filename
        regex = _REGEX.search(constraint)
        if regex:
            return string_matching(regex.group(1))
        if name == "instanceID":
            return ""
        return f"jawaban {name}"

    # walking ------------------------------------------------------------------------------------
    def copy(self, source: etree._Element, path: str, label: str) -> etree._Element:
        name = etree.QName(source).localname
        target = etree.Element(name)
        children = [c for c in source if isinstance(c.tag, str)]
        if not children:
            value = self.value_for(path, name)
            target.text = value
            self.answers[path] = value
            self.values[label] = value
            return target
        seen_repeats: set[str] = set()
        for child in children:
            child_name = etree.QName(child).localname
            child_path = f"{path}/{child_name}"
            if child_path in self.repeats:
                if child_path in seen_repeats:
                    continue
                seen_repeats.add(child_path)
                for index in range(1, self.repeat_count + 1):
                    target.append(self.copy(child, child_path, f"{label}/{child_name}[{index}]"))
                continue
            target.append(self.copy(child, child_path, f"{label}/{child_name}"))
        return target

    def build(self, instance_id: str) -> Submission:
        primary = self.model.find("xf:instance", NS)
        if primary is None:
            raise ValueError("the XForm has no primary instance")
        root = next(c for c in primary if isinstance(c.tag, str))
        root_name = etree.QName(root).localname
        self.overrides.setdefault(f"/{root_name}/meta/instanceID", instance_id)
        out = self.copy(root, f"/{root_name}", f"/{root_name}")
        for attribute in ("id", "version"):
            if root.get(attribute) is not None:
                out.set(attribute, root.get(attribute) or "")
        xml = etree.tostring(out, xml_declaration=True, encoding="UTF-8")
        return Submission(
            xml=xml, instance_id=instance_id, attachments=self.attachments, values=self.values
        )


def build_submission(
    xform: bytes,
    media: Mapping[str, Path] | None = None,
    *,
    overrides: Mapping[str, str] | None = None,
    repeat_count: int = 2,
    instance_id: str | None = None,
) -> Submission:
    """A submission answering every field of ``xform`` (see the module docstring)."""
    builder = _Builder(xform, media or {}, overrides or {}, repeat_count)
    return builder.build(instance_id or f"uuid:{uuid.uuid4()}")
