"""Submissions as tables: Central's CSV columns and rows, OData entities, geometries.

Everything here works from a form's field schema (`FieldInfo` list, in document order)
and a submission's stored values (leaf path -> text, repeat path -> list of instances),
so no submission XML is parsed again. The root table has one row per submission; each
repeat is a table of its own whose rows point at their parent (CSV ``PARENT_KEY``/``KEY``,
OData ``__id`` and ``__Submissions…-id``).

CSV as Central's briefcase export: ``SubmissionDate``, the fields (group paths joined by
``-`` unless ``groupPaths=false``; geopoints in four columns; a select multiple followed
by one ``name/value`` column per known value with ``splitSelectMultiples``), then ``KEY``,
``SubmitterID``, ``SubmitterName``, ``AttachmentsPresent``, ``AttachmentsExpected``,
``Status``, ``ReviewState``, ``DeviceID``, ``Edits``, ``FormVersion``. A repeat table has
its fields then ``PARENT_KEY`` and ``KEY``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import quote

from lxml import etree

from server.data.xform import FieldInfo
from server.data.xml import local_name, parse_untrusted_xml

ROOT_META = (
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
)
GEO_TYPES = ("geopoint", "geotrace", "geoshape")


class Row(Protocol):
    """What a table row is made from: a submission's current version and its metadata."""

    instance_id: str
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None
    review_state: str | None
    device_id: str | None
    submitter_id: int | None
    submitter_name: str | None
    form_version: str
    edits: int
    attachments_present: int
    attachments_expected: int
    values: dict[str, Any]

    @property
    def status(self) -> str | None:
        """None, or (an encrypted submission not decrypted) ``notDecrypted`` or
        ``missingEncryptedFormData``."""
        ...


CSV_STATUS = {
    "notDecrypted": "not decrypted",
    "missingEncryptedFormData": "missing encrypted form data",
}


def iso(moment: datetime | None) -> str | None:
    """Central's timestamps: UTC, milliseconds, ``Z``."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def merged_fields(versions: list[list[FieldInfo]]) -> list[FieldInfo]:
    """The fields of several versions (newest first) in one list: the newest version's
    order, with fields only older versions have placed after their former predecessor."""
    merged: list[FieldInfo] = []
    seen: set[str] = set()
    for version in versions:
        previous: str | None = None
        for info in version:
            if info.path not in seen:
                seen.add(info.path)
                position = 0
                if previous is not None and info.path.startswith(previous + "/"):
                    position = next(i + 1 for i, f in enumerate(merged) if f.path == previous)
                elif previous is not None:
                    position = _end_of_subtree(merged, previous)
                elif "/" in info.path[1:]:
                    parent = info.path.rsplit("/", 1)[0]
                    position = next(
                        (i + 1 for i, f in enumerate(merged) if f.path == parent), len(merged)
                    )
                merged.insert(position, info)
            previous = info.path
    return merged


def _end_of_subtree(fields: list[FieldInfo], path: str) -> int:
    index = next((i for i, f in enumerate(fields) if f.path == path), len(fields) - 1)
    index += 1
    while index < len(fields) and fields[index].path.startswith(path + "/"):
        index += 1
    return index


def by_path(fields: list[FieldInfo]) -> dict[str, FieldInfo]:
    return {f.path: f for f in fields}


def repeat_chain(fields: list[FieldInfo], path: str) -> list[str]:
    """The repeats enclosing ``path`` (and ``path`` itself if a repeat), outermost first."""
    paths = by_path(fields)
    parts = path.split("/")[1:]
    prefixes = ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]
    return [p for p in prefixes if p in paths and paths[p].type == "repeat"]


def structural_stack(fields: list[FieldInfo], path: str) -> list[FieldInfo]:
    """The groups and repeats from the root down to ``path`` (included if structural)."""
    paths = by_path(fields)
    parts = path.split("/")[1:]
    prefixes = ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]
    return [paths[p] for p in prefixes if p in paths and paths[p].type in ("structure", "repeat")]


def repeat_instances(
    values: dict[str, Any], chain: list[str]
) -> Iterator[tuple[dict[str, Any], dict[str, int]]]:
    """Each instance of the last repeat of ``chain``, with every enclosing repeat's index."""

    def walk(
        current: dict[str, Any], depth: int, indices: dict[str, int]
    ) -> Iterator[tuple[dict[str, Any], dict[str, int]]]:
        instances = current.get(chain[depth])
        if not isinstance(instances, list):
            return
        for index, instance in enumerate(instances):
            if not isinstance(instance, dict):
                continue
            here = {**indices, chain[depth]: index}
            if depth == len(chain) - 1:
                yield instance, here
            else:
                yield from walk(instance, depth + 1, here)

    if chain:
        yield from walk(values, 0, {})


def _text(values: dict[str, Any], path: str) -> str | None:
    value = values.get(path)
    return value if isinstance(value, str) else None


# ---------------------------------------------------------------------------- CSV


@dataclass
class CsvTable:
    """One CSV file of the export: its name, header and how to fill each row."""

    file_name: str
    repeat: FieldInfo | None  # None for the root table
    header: list[str] = field(default_factory=list)
    columns: list[tuple[str, FieldInfo | None, list[str]]] = field(default_factory=list)
    stack: list[FieldInfo] = field(default_factory=list)
    chain: list[str] = field(default_factory=list)
    parent_stack: list[FieldInfo] = field(default_factory=list)


def csv_tables(
    fields: list[FieldInfo],
    xml_form_id: str,
    *,
    select_values: dict[str, list[str]] | None = None,
    group_paths: bool = True,
    root_only: bool = False,
) -> list[CsvTable]:
    """The root table and (unless ``root_only``) one table per repeat, in Central's order."""
    root = CsvTable(file_name=f"{sanitize_file_name(xml_form_id)}.csv", repeat=None)
    root.header.append("SubmissionDate")
    root.columns.append(("date", None, []))
    tables = [root]
    by_repeat: dict[str, CsvTable] = {}
    for info in fields:
        if info.type == "structure":
            continue
        chain = repeat_chain(fields, info.path)
        owner_path = chain[-1] if info.type != "repeat" and chain else None
        if info.type == "repeat":
            if root_only:
                continue
            table = CsvTable(file_name="", repeat=info)
            table.stack = structural_stack(fields, info.path)
            table.chain = chain
            if len(chain) > 1:
                parent = chain[-2]
                table.parent_stack = structural_stack(fields, parent)
            by_repeat[info.path] = table
            tables.append(table)
            continue
        if owner_path is not None and root_only:
            continue
        table = by_repeat[owner_path] if owner_path is not None else root
        prefix = owner_path or ""
        base = info.path[len(prefix) + 1 :].replace("/", "-") if group_paths else info.name
        if info.type == "geopoint":
            table.header.extend(
                f"{base}-{part}" for part in ("Latitude", "Longitude", "Altitude", "Accuracy")
            )
            table.columns.append(("geopoint", info, []))
        elif info.select_multiple:
            known = (select_values or {}).get(info.path)
            table.header.append(base)
            table.columns.append(("value", info, []))
            if known is not None:
                table.header.extend(f"{base}/{value}" for value in known)
                table.columns.append(("choices", info, known))
        else:
            table.header.append(base)
            table.columns.append(("value", info, []))
    for table in tables[1:]:
        table.header.extend(["PARENT_KEY", "KEY"])
    root.header.extend(ROOT_META)
    _name_repeat_files(tables[1:], xml_form_id)
    return tables


def _name_repeat_files(tables: list[CsvTable], xml_form_id: str) -> None:
    totals: dict[str, int] = {}
    for table in tables:
        assert table.repeat is not None
        totals[table.repeat.name] = totals.get(table.repeat.name, 0) + 1
    counts: dict[str, int] = {}
    for table in tables:
        assert table.repeat is not None
        name = table.repeat.name
        if totals[name] > 1:
            counts[name] = counts.get(name, 0) + 1
            table.file_name = sanitize_file_name(f"{xml_form_id}-{name}~{counts[name]}.csv")
        else:
            table.file_name = sanitize_file_name(f"{xml_form_id}-{name}.csv")


def sanitize_file_name(name: str) -> str:
    """As the sanitize-filename package Central uses: no path, control or reserved names."""
    cleaned = re.sub(r'[/\?<>\\:\*\|"\x00-\x1f\x80-\x9f]', "", name)
    cleaned = re.sub(r"^\.+$", "", cleaned)
    cleaned = re.sub(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", "", cleaned, flags=re.I)
    cleaned = re.sub(r"[\. ]+$", "", cleaned)
    return cleaned.encode("utf-8")[:255].decode("utf-8", "ignore")


def csv_key(instance_id: str, stack: list[FieldInfo], indices: dict[str, int]) -> str:
    parts = [instance_id]
    for info in stack:
        parts.append(
            f"{info.name}[{indices[info.path] + 1}]" if info.type == "repeat" else info.name
        )
    return "/".join(parts)


def csv_rows(table: CsvTable, row: Row) -> Iterator[list[Any]]:
    """The rows ``table`` gets from one submission: one for the root, any number for a repeat."""
    if table.repeat is None:
        out = _fill(table, row.values)
        out[0] = iso(row.created_at)
        status = CSV_STATUS.get(row.status) if row.status else None
        out.extend(
            [
                row.instance_id,
                row.submitter_id,
                row.submitter_name,
                row.attachments_present,
                row.attachments_expected,
                status,
                row.review_state,
                row.device_id,
                row.edits,
                row.form_version,
            ]
        )
        yield out
        return
    for instance, indices in repeat_instances(row.values, table.chain):
        out = _fill(table, instance)
        parent = (
            csv_key(row.instance_id, table.parent_stack, indices)
            if table.parent_stack
            else row.instance_id
        )
        out.extend([parent, csv_key(row.instance_id, table.stack, indices)])
        yield out


def _fill(table: CsvTable, values: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for kind, info, known in table.columns:
        if info is None:  # SubmissionDate
            out.append(None)
            continue
        text = _text(values, info.path)
        if kind == "geopoint":
            parts = text.split() if text else []
            out.extend((parts + [None] * 4)[:4] if parts else [None] * 4)
        elif kind == "choices":
            chosen = set(text.split()) if text else set()
            out.extend(1 if value in chosen else 0 for value in known)
        else:
            out.append(text if text else None)
    return out


def select_multiple_paths(fields: list[FieldInfo]) -> list[str]:
    return [f.path for f in fields if f.select_multiple]


def collect_choices(values: dict[str, Any], paths: set[str], into: dict[str, set[str]]) -> None:
    """Add the values chosen in ``values`` (and its repeats) for each select multiple."""
    for path, value in values.items():
        if isinstance(value, list):
            for instance in value:
                if isinstance(instance, dict):
                    collect_choices(instance, paths, into)
        elif path in paths and isinstance(value, str):
            into.setdefault(path, set()).update(value.split())


# ---------------------------------------------------------------------------- labels


def field_labels(xform: bytes, language: str | None) -> dict[str, str]:
    """Each field's label (path without the root -> text), in ``language`` when the
    form has translations (else its default one)."""
    root = parse_untrusted_xml(xform)
    translations: dict[str, dict[str, str]] = {}
    default_lang: str | None = None
    for element in root.iter():
        if isinstance(element.tag, str) and local_name(element) == "translation":
            lang = element.get("lang") or ""
            if element.get("default") is not None and default_lang is None:
                default_lang = lang
            texts: dict[str, str] = {}
            for text in element:
                if not isinstance(text.tag, str) or local_name(text) != "text":
                    continue
                value = next(
                    (
                        v
                        for v in text
                        if isinstance(v.tag, str)
                        and local_name(v) == "value"
                        and v.get("form") is None
                    ),
                    None,
                )
                if value is not None:
                    texts[text.get("id") or ""] = "".join(value.itertext()).strip()
            translations[lang] = texts
    chosen = translations.get(language or "") or translations.get(default_lang or "")
    if chosen is None and translations:
        chosen = next(iter(translations.values()))
    labels: dict[str, str] = {}
    root_name = _root_name(root)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        ref = element.get("ref") or element.get("nodeset")
        if not ref:
            continue
        label = next(
            (c for c in element if isinstance(c.tag, str) and local_name(c) == "label"), None
        )
        if label is None:
            continue
        path = ref[len(root_name) :] if ref.startswith(root_name + "/") else ref
        itext = re.match(r"jr:itext\('([^']+)'\)", label.get("ref") or "")
        if itext and chosen is not None:
            text = chosen.get(itext.group(1))
            if text is not None:
                labels.setdefault(path, text)
        elif label.text and label.text.strip():
            labels.setdefault(path, "".join(label.itertext()).strip())
    return labels


def _root_name(root: etree._Element) -> str:
    for element in root.iter():
        if isinstance(element.tag, str) and local_name(element) == "instance":
            if element.get("id") is None:
                data = next((c for c in element if isinstance(c.tag, str)), None)
                if data is not None:
                    return "/" + local_name(data)
    return ""


def label_row(table: CsvTable, labels: dict[str, str]) -> list[str]:
    out: list[str] = [""] if table.repeat is None else []
    for kind, info, known in table.columns:
        if info is None:
            continue
        label = labels.get(info.path, "")
        if kind == "geopoint":
            out.extend([label] * 4)
        elif kind == "choices":
            out.extend([label] * len(known))
        else:
            out.append(label)
    return out + [""] * (len(table.header) - len(out))


# ---------------------------------------------------------------------------- OData


@lru_cache(maxsize=4096)
def sanitize_odata(name: str) -> str:
    """Central's OData identifiers: letters, digits and ``_``; not starting with a digit."""
    return re.sub(r"[^A-Za-z0-9_]", "_", re.sub(r"^([^A-Za-z_])", r"_\1", name))


def odata_table_name(path: str) -> str:
    return ".".join(["Submissions", *(sanitize_odata(p) for p in path.split("/")[1:])])


def odata_tables(fields: list[FieldInfo]) -> dict[str, FieldInfo | None]:
    """Table name -> its repeat field (None for Submissions), in document order."""
    tables: dict[str, FieldInfo | None] = {"Submissions": None}
    for info in fields:
        if info.type == "repeat":
            tables[odata_table_name(info.path)] = info
    return tables


def _hash_id(instance_id: str, stack: list[FieldInfo], indices: dict[str, int]) -> str:
    if not stack:
        return instance_id
    parts = [f"Submissions#{instance_id}"]
    for info in stack:
        parts.append(
            f"{info.name}#{indices[info.path]}" if info.type == "repeat" else f"{info.name}#"
        )
    return hashlib.sha1("%%".join(parts).encode()).hexdigest()


def _navigation_link(instance_id: str, stack: list[FieldInfo], indices: dict[str, int]) -> str:
    parts = [f"Submissions('{quote(instance_id, safe='')}')"]
    for position, info in enumerate(stack):
        name = sanitize_odata(info.name)
        if info.type == "repeat" and position < len(stack) - 1:
            parts.append(f"{name}('{_hash_id(instance_id, stack[: position + 1], indices)}')")
        else:
            parts.append(name)
    return "/".join(parts)


@dataclass
class ODataShape:
    """A form's fields arranged for OData: children per parent path."""

    fields: list[FieldInfo]
    children: dict[str, list[FieldInfo]]
    stacks: dict[str, list[FieldInfo]]

    @classmethod
    def of(cls, fields: list[FieldInfo]) -> ODataShape:
        children: dict[str, list[FieldInfo]] = {}
        for info in fields:
            children.setdefault(info.path.rsplit("/", 1)[0], []).append(info)
        stacks = {f.path: structural_stack(fields, f.path) for f in fields if f.type == "repeat"}
        return cls(fields=fields, children=children, stacks=stacks)


def odata_value(info: FieldInfo, text: str | None, wkt: bool) -> Any:
    """A value as Central's OData gives it: numbers, GeoJSON (or WKT) geometries, text."""
    if text is None or text == "":
        return None
    if info.type == "int":
        try:
            return int(text.strip())
        except ValueError:
            return None
    if info.type == "decimal":
        try:
            number = float(text.strip())
        except ValueError:
            return None
        return _js_number(number) if number == number and abs(number) != float("inf") else None
    if info.type == "geopoint":
        numbers = _floats(text)
        if len(numbers) < 2 or numbers[0] is None or numbers[1] is None:
            return None
        coordinates = [numbers[1], numbers[0]]
        if len(numbers) > 2 and numbers[2] is not None:
            coordinates.append(numbers[2])
        if wkt:
            return f"POINT ({' '.join(_num(c) for c in coordinates)})"
        point: dict[str, Any] = {"type": "Point", "coordinates": coordinates}
        if len(numbers) > 3 and numbers[3] is not None:
            point["properties"] = {"accuracy": numbers[3]}
        return point
    if info.type in ("geotrace", "geoshape"):
        points = []
        for chunk in re.split(r"; ?", text):
            numbers = _floats(chunk)
            if len(numbers) < 2 or numbers[0] is None or numbers[1] is None:
                continue
            point_coords = [numbers[1], numbers[0]]
            if len(numbers) > 2 and numbers[2] is not None:
                point_coords.append(numbers[2])
            points.append(point_coords)
        if not points:
            return None
        if wkt:
            joined = ",".join(" ".join(_num(c) for c in p) for p in points)
            return f"LINESTRING ({joined})" if info.type == "geotrace" else f"POLYGON (({joined}))"
        if info.type == "geotrace":
            return {"type": "LineString", "coordinates": points}
        return {"type": "Polygon", "coordinates": [points]}
    return text


def _js_number(value: float) -> float | int:
    """A number as JavaScript writes it in JSON: 12.0 is 12."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _floats(text: str) -> list[float | None]:
    out: list[float | None] = []
    for part in text.split():
        try:
            value = float(part)
            out.append(_js_number(value) if value == value and abs(value) != float("inf") else None)
        except ValueError:
            out.append(None)
    return out


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def odata_system(row: Row) -> dict[str, Any]:
    return {
        "submissionDate": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
        "deletedAt": iso(row.deleted_at),
        "submitterId": None if row.submitter_id is None else str(row.submitter_id),
        "submitterName": row.submitter_name or None,
        "attachmentsPresent": row.attachments_present,
        "attachmentsExpected": row.attachments_expected,
        "status": row.status,
        "reviewState": row.review_state or None,
        "deviceId": row.device_id or None,
        "edits": row.edits,
        "formVersion": row.form_version,
    }


@dataclass
class ODataOptions:
    wkt: bool = False
    expand: bool = False
    select: list[str] | None = None  # top-level property names, or None for all


def odata_submission(shape: ODataShape, row: Row, options: ODataOptions) -> dict[str, Any]:
    """The Submissions entity of one row; an encrypted one has no data, only ``__system``."""
    if row.status is not None:
        return _selected({"__id": row.instance_id, "__system": odata_system(row)}, options)
    out = _frame(shape, "", row.values, row.instance_id, {}, options)
    repeats = out.pop("\x00repeats")
    out["__id"] = row.instance_id
    out["__system"] = odata_system(row)
    out.update(repeats)
    return _selected(out, options)


def odata_repeat_rows(
    shape: ODataShape, repeat: FieldInfo, row: Row, options: ODataOptions
) -> Iterator[dict[str, Any]]:
    """The entities of one repeat table that one submission holds."""
    stack = shape.stacks[repeat.path]
    chain = [f.path for f in stack if f.type == "repeat"]
    parent_stack = structural_stack(shape.fields, chain[-2]) if len(chain) > 1 else []
    parent_name = "-".join(
        [
            "Submissions",
            *(sanitize_odata(p) for p in (chain[-2].split("/")[1:] if len(chain) > 1 else [])),
        ]
    )
    for instance, indices in repeat_instances(row.values, chain):
        out = _frame(shape, repeat.path, instance, row.instance_id, indices, options)
        repeats = out.pop("\x00repeats")
        out["__id"] = _hash_id(row.instance_id, stack, indices)
        out[f"__{parent_name}-id"] = _hash_id(row.instance_id, parent_stack, indices)
        out.update(repeats)
        yield _selected(out, options)


def odata_system_keys() -> tuple[str, ...]:
    return (
        "submissionDate",
        "updatedAt",
        "deletedAt",
        "submitterId",
        "submitterName",
        "attachmentsPresent",
        "attachmentsExpected",
        "status",
        "reviewState",
        "deviceId",
        "edits",
        "formVersion",
    )


def select_entity(out: dict[str, Any], options: ODataOptions) -> dict[str, Any]:
    """Only the properties ``$select`` names (``a``, ``group/field``, ``__system/x``)."""
    if options.select is None:
        return out
    tree: dict[str, Any] = {}
    for name in options.select:
        node = tree
        parts = name.split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if node is True:
                break
        else:
            node[parts[-1]] = True
    return _prune(out, tree)


def _prune(out: dict[str, Any], tree: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in out.items():
        wanted = tree.get(key)
        if wanted is True:
            kept[key] = value
        elif isinstance(wanted, dict) and isinstance(value, dict):
            kept[key] = _prune(value, wanted)
    return kept


_selected = select_entity


def _frame(
    shape: ODataShape,
    prefix: str,
    values: dict[str, Any],
    instance_id: str,
    indices: dict[str, int],
    options: ODataOptions,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    repeats: dict[str, Any] = {}
    for info in shape.children.get(prefix, []):
        name = sanitize_odata(info.name)
        if info.type == "structure":
            inner = _frame(shape, info.path, values, instance_id, indices, options)
            repeats_inner = inner.pop("\x00repeats")
            inner.update(repeats_inner)
            out[name] = inner
        elif info.type == "repeat":
            instances = values.get(info.path)
            if not isinstance(instances, list) or not instances:
                continue
            stack = shape.stacks[info.path]
            repeats[f"{name}@odata.navigationLink"] = _navigation_link(instance_id, stack, indices)
            if options.expand:
                bags = []
                for index, instance in enumerate(instances):
                    here = {**indices, info.path: index}
                    bag = _frame(shape, info.path, instance, instance_id, here, options)
                    nested = bag.pop("\x00repeats")
                    bag["__id"] = _hash_id(instance_id, stack, here)
                    bag.update(nested)
                    bags.append(bag)
                repeats[name] = bags
        else:
            out[name] = odata_value(info, _text(values, info.path), options.wkt)
    out["\x00repeats"] = repeats
    return out


# ---------------------------------------------------------------------------- GeoJSON


def geo_fields(fields: list[FieldInfo]) -> list[FieldInfo]:
    return [f for f in fields if f.type in GEO_TYPES]


def geojson_feature(
    fields: list[FieldInfo], geo: FieldInfo, row: Row, properties: list[tuple[str, FieldInfo]]
) -> dict[str, Any] | None:
    """Central's Feature for one submission: id = instanceID, the field's geometry (a
    GeometryCollection when a repeat holds several), properties its field path and the
    root table's values."""
    chain = repeat_chain(fields, geo.path)
    geometries: list[Any] = []
    if chain:
        owner = chain[-1]
        for instance, _indices in repeat_instances(row.values, chain):
            value = odata_value(geo, _text(instance, geo.path), False)
            if value is not None:
                geometries.append(_geometry(value))
        del owner
    else:
        value = odata_value(geo, _text(row.values, geo.path), False)
        if value is not None:
            geometries.append(_geometry(value))
    if not geometries:
        return None
    geometry = (
        geometries[0]
        if len(geometries) == 1
        else {"type": "GeometryCollection", "geometries": geometries}
    )
    props: dict[str, Any] = {"fieldpath": geo.path}
    for column, info in properties:
        props[column] = _text(row.values, info.path) or None
    props["__id"] = row.instance_id
    props["SubmissionDate"] = iso(row.created_at)
    return {"type": "Feature", "id": row.instance_id, "geometry": geometry, "properties": props}


def _geometry(value: dict[str, Any]) -> dict[str, Any]:
    return {"type": value["type"], "coordinates": value["coordinates"]}


def root_properties(fields: list[FieldInfo]) -> list[tuple[str, FieldInfo]]:
    """Root-table leaves outside repeats, named as CSV columns (group paths joined by -)."""
    out = []
    for info in fields:
        if info.type in ("structure", "repeat") or repeat_chain(fields, info.path):
            continue
        out.append((info.path[1:].replace("/", "-"), info))
    return out
