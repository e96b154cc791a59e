"""Entities in XForms and submissions: what a form declares, and what a submission says.

A form declares entities with ``<entity dataset="…" create="…" update="…">`` blocks under
``meta`` in its primary instance (at the root, or inside a repeat from entities-version
2025.1), ``entities:entities-version`` on its model, and ``entities:saveto`` on the binds
of the fields that fill the entity's properties. `read_entity_spec` reads all of it and
refuses what ODK Central refuses (400.25); `read_submitted_entities` reads one
submission's entity blocks against that declaration. Names follow Central's rules.
Nothing here touches the database.
"""

from __future__ import annotations

import re
import uuid as uuid_module
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from server.data.xml import local_name, parse_untrusted_xml

ENTITIES_NS = "http://www.opendatakit.org/xforms/entities"
OLDEST_VERSION = (2022, 1)
NEWEST_VERSION = (2025, 1)
OFFLINE_VERSION = (2024, 1)

_DATASET_NAME = re.compile(r"^(?!__)[^\W\d][\w:-]*$")
_PROPERTY_NAME = re.compile(r"^(?!__)(?!name$)(?!label$)[^\W\d][\w.-]*$")
_TRUE = ("1", "true")


class EntityFormError(ValueError):
    """The form's entity declaration is not one Central accepts (400.25)."""


@dataclass(frozen=True)
class DatasetDeclaration:
    """One ``<entity>`` block of a form: its dataset, actions, where it sits (``""`` at
    the root, else the repeat's path), and which field fills each property."""

    name: str
    actions: tuple[str, ...]
    path: str
    properties: dict[str, str] = field(default_factory=dict)  # property -> field path


@dataclass(frozen=True)
class EntitySpec:
    version: str
    datasets: tuple[DatasetDeclaration, ...]
    warnings: tuple[dict[str, Any], ...] = ()

    def dataset(self, name: str) -> DatasetDeclaration | None:
        return next((d for d in self.datasets if d.name == name), None)


def valid_dataset_name(name: str) -> bool:
    """Central's rule: a letter, ``:`` or ``_`` first, then letters, digits, ``:_-``; no
    ``.``, no leading ``__``."""
    return _DATASET_NAME.match(name) is not None and _letters_only(name, extra=":_-")


def valid_property_name(name: str) -> bool:
    """Central's rule (checked lowercased): no leading ``__``, not ``name`` or ``label``,
    a letter or ``_`` first, then letters, digits, ``._-``."""
    lowered = name.lower()
    return _PROPERTY_NAME.match(lowered) is not None and _letters_only(lowered, extra="._-")


def _letters_only(name: str, *, extra: str) -> bool:
    """``\\w`` also takes digits of other scripts and marks; Central takes letters and
    ASCII digits only."""
    return all(ch.isalpha() or ch in "0123456789" or ch in extra for ch in name)


def _version_tuple(raw: str) -> tuple[int, int, int] | None:
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", raw.strip())
    if match is None:
        return None
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def read_entity_spec(xml: bytes | etree._Element) -> EntitySpec | None:
    """The entity declarations of an XForm, None when it has none; `EntityFormError`
    when Central would refuse them."""
    root = parse_untrusted_xml(xml) if isinstance(xml, bytes) else xml
    head = _child(root, "head")
    model = _child(head, "model") if head is not None else None
    if model is None:
        return None
    instance = next(
        (
            el
            for el in model
            if isinstance(el.tag, str) and local_name(el) == "instance" and el.get("id") is None
        ),
        None,
    )
    data = (
        next((el for el in instance if isinstance(el.tag, str)), None)
        if instance is not None
        else None
    )
    if data is None:
        return None
    blocks: list[tuple[str, etree._Element]] = []
    _find_entity_blocks(data, "", blocks)
    if not blocks:
        return None
    version = model.get(f"{{{ENTITIES_NS}}}entities-version")
    warnings = _check_version(version)
    declared: list[tuple[str, tuple[str, ...], str]] = []
    for path, block in blocks:
        attributes = {etree.QName(k).localname: v for k, v in block.attrib.items()}
        name = attributes.get("dataset")
        if name is None:
            raise EntityFormError("Dataset name is missing.")
        name = name.strip()
        if not valid_dataset_name(name):
            raise EntityFormError("Invalid dataset name.")
        actions = tuple(a for a in ("create", "update") if attributes.get(a) is not None)
        if not actions:
            raise EntityFormError(
                "The form must specify at least one entity action, for example, create or update."
            )
        declared.append((name, actions, path))
    root_name = local_name(data)
    saveto: list[tuple[str, str]] = []
    for bind in model:
        if not isinstance(bind.tag, str) or local_name(bind) != "bind":
            continue
        prop = bind.get(f"{{{ENTITIES_NS}}}saveto")
        if prop is None:
            continue
        nodeset = bind.get("nodeset", "")
        prefix = f"/{root_name}"
        path = nodeset[len(prefix) :] if nodeset.startswith(prefix) else nodeset
        saveto.append((path, prop.strip()))
    if any(not valid_property_name(prop) for _, prop in saveto):
        raise EntityFormError("Invalid entity property name.")
    by_depth = sorted({p for _, _, p in declared}, key=lambda p: -p.count("/"))
    properties: dict[str, dict[str, str]] = {p: {} for _, _, p in declared}
    for path, prop in saveto:
        owner = next((p for p in by_depth if path.startswith(p + "/") or p == ""), None)
        if owner is not None:
            properties[owner].setdefault(prop, path)
    datasets = tuple(
        DatasetDeclaration(name=name, actions=actions, path=path, properties=properties[path])
        for name, actions, path in declared
    )
    return EntitySpec(version=(version or "").strip(), datasets=datasets, warnings=warnings)


def _check_version(version: str | None) -> tuple[dict[str, Any], ...]:
    if version is None or not version.strip():
        raise EntityFormError("Entities specification version is missing.")
    parsed = _version_tuple(version)
    if parsed is None or not (OLDEST_VERSION <= parsed[:2] <= NEWEST_VERSION):
        raise EntityFormError(f"Entities specification version [{version}] is not supported.")
    if parsed[:2] >= OFFLINE_VERSION:
        return ()
    return (
        {
            "type": "oldEntityVersion",
            "details": {"version": version},
            "reason": f"Entities specification version [{version}] is not compatible with"
            " Offline Entities. Please use version 2024.1.0 or later.",
        },
    )


def _find_entity_blocks(
    element: etree._Element, path: str, out: list[tuple[str, etree._Element]]
) -> None:
    """Every ``meta/entity`` under ``element``; a repeat's instances share one path."""
    seen: set[str] = set()
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = local_name(child)
        if name in seen:
            continue
        seen.add(name)
        if name == "meta":
            entity = _child(child, "entity")
            if entity is not None:
                out.append((path, entity))
            continue
        _find_entity_blocks(child, f"{path}/{name}", out)


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    for child in element:
        if isinstance(child.tag, str) and local_name(child) == name:
            return child
    return None


# Submissions --------------------------------------------------------------------------------


@dataclass
class SubmittedEntity:
    """What one ``<entity>`` block of a submission asks for."""

    dataset: str
    uuid: str
    create: bool
    update: bool
    base_version: str
    trunk_version: str
    branch_id: str
    label: str | None  # None: absent (an update keeps the label)
    data: dict[str, str]  # the properties present in the submission


def read_submitted_entities(root: etree._Element, spec: EntitySpec) -> list[SubmittedEntity]:
    """Every entity block of a submission (``root`` = its instance element), in document
    order, with the saved-to fields of its own scope."""
    found: list[SubmittedEntity] = []
    for declaration in spec.datasets:
        for scope in _scopes(root, declaration.path):
            block = _child(_child(scope, "meta"), "entity")
            if block is None:
                continue
            found.append(_submitted(block, scope, declaration))
    return found


def _scopes(root: etree._Element, path: str) -> list[etree._Element]:
    scopes = [root]
    for step in [s for s in path.split("/") if s]:
        scopes = [c for s in scopes for c in s if isinstance(c.tag, str) and local_name(c) == step]
    return scopes


def _submitted(
    block: etree._Element, scope: etree._Element, declaration: DatasetDeclaration
) -> SubmittedEntity:
    attributes = {etree.QName(k).localname: v for k, v in block.attrib.items()}
    label_element = _child(block, "label")
    data: dict[str, str] = {}
    for prop, path in declaration.properties.items():
        relative = path[len(declaration.path) :]
        node: etree._Element | None = scope
        for step in [s for s in relative.split("/") if s]:
            node = _child(node, step)
            if node is None:
                break
        if node is not None:
            data[prop] = (node.text or "") if len(node) == 0 else ""
    return SubmittedEntity(
        dataset=(attributes.get("dataset") or "").strip(),
        uuid=(attributes.get("id") or "").strip(),
        create=(attributes.get("create") or "").strip().lower() in _TRUE,
        update=(attributes.get("update") or "").strip().lower() in _TRUE,
        base_version=(attributes.get("baseVersion") or "").strip(),
        trunk_version=(attributes.get("trunkVersion") or "").strip(),
        branch_id=(attributes.get("branchId") or "").strip(),
        label=(label_element.text or "") if label_element is not None else None,
        data=data,
    )


def normal_uuid(raw: str) -> str | None:
    """A v4 UUID, optionally ``uuid:``-prefixed, lowercased without the prefix; else None."""
    value = raw.strip().lower()
    if value.startswith("uuid:"):
        value = value[5:]
    if not re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value
    ):
        return None
    return str(uuid_module.UUID(value))
