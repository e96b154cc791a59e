"""OData v4 as ODK Central serves a form: service document, EDMX ``$metadata``, and JSON
pages of entities written one by one.

Edm types per field type follow Central (``int`` Edm.Int64, ``decimal`` Edm.Decimal,
``geopoint`` Edm.GeographyPoint, …, anything else Edm.String); groups are complex types,
repeats entity sets ``Submissions.<path>`` joined to their parent by
``__Submissions…-id``. A ``$skiptoken`` is ``01`` + base64 of a small JSON object, as
Central makes it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from typing import Any
from xml.sax.saxutils import quoteattr

from server.data.tables import odata_table_name, repeat_chain, sanitize_odata
from server.data.xform import FieldInfo
from server.formats.json_stream import json_array_chunks

FQDN_ROOT = "org.opendatakit.user"
TYPE_MAP = {
    "int": "Edm.Int64",
    "decimal": "Edm.Decimal",
    "boolean": "Edm.Boolean",
    "geopoint": "Edm.GeographyPoint",
    "geotrace": "Edm.GeographyLineString",
    "geoshape": "Edm.GeographyPolygon",
    "date": "Edm.Date",
    "dateTime": "Edm.DateTimeOffset",
}
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
XML_CONTENT_TYPE = "application/xml"


def skiptoken(data: dict[str, Any]) -> str:
    return "01" + base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def parse_skiptoken(token: str) -> dict[str, Any] | None:
    """The token's data, or None when it is not one of ours."""
    if not token.startswith("01"):
        return None
    try:
        data = json.loads(base64.b64decode(token[2:] + "=" * (-len(token[2:]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def service_document(fields: list[FieldInfo], service_url: str) -> dict[str, Any]:
    tables = ["Submissions"] + [odata_table_name(f.path) for f in fields if f.type == "repeat"]
    return {
        "@odata.context": f"{service_url}/$metadata",
        "value": [{"name": t, "kind": "EntitySet", "url": t} for t in tables],
    }


def edmx(xml_form_id: str, fields: list[FieldInfo]) -> str:
    """The ``$metadata`` document of a form."""
    fqdn = f"{FQDN_ROOT}.{sanitize_odata(xml_form_id)}"
    entities: list[dict[str, Any]] = [
        {"name": "Submissions", "primary": True, "path": None, "properties": []}
    ]
    complexes: list[dict[str, Any]] = []
    stack: list[dict[str, Any]] = [entities[0]]
    for info in fields:
        while stack[-1]["path"] is not None and not info.path.startswith(stack[-1]["path"] + "/"):
            stack.pop()
        out = stack[-1]
        name = sanitize_odata(info.name)
        type_name = ".".join(sanitize_odata(p) for p in info.path.split("/")[1:])
        if info.type == "structure":
            bag: dict[str, Any] = {"name": type_name, "path": info.path, "properties": []}
            complexes.append(bag)
            stack.append(bag)
            out["properties"].append((name, f"{fqdn}.{type_name}", False))
        elif info.type == "repeat":
            chain = repeat_chain(fields, info.path)
            parent = ["Submissions"]
            if len(chain) > 1:
                parent += [sanitize_odata(p) for p in chain[-2].split("/")[1:]]
            entity = {
                "name": f"Submissions.{type_name}",
                "primary": False,
                "path": info.path,
                "properties": [(f"__{'-'.join(parent)}-id", "Edm.String", False)],
            }
            entities.append(entity)
            stack.append(entity)
            out["properties"].append((name, f"Collection({fqdn}.Submissions.{type_name})", True))
        else:
            out["properties"].append((name, TYPE_MAP.get(info.type, "Edm.String"), False))

    def props(items: list[tuple[str, str, bool]]) -> str:
        return "".join(
            f'<NavigationProperty Name="{n}" Type="{t}"/>'
            if nav
            else f'<Property Name="{n}" Type="{t}"/>'
            for n, t, nav in items
        )

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
        "<edmx:DataServices>",
        '<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" '
        'Namespace="org.opendatakit.submission">',
        '<ComplexType Name="metadata">'
        '<Property Name="submissionDate" Type="Edm.DateTimeOffset"/>'
        '<Property Name="updatedAt" Type="Edm.DateTimeOffset"/>'
        '<Property Name="deletedAt" Type="Edm.DateTimeOffset"/>'
        '<Property Name="submitterId" Type="Edm.String"/>'
        '<Property Name="submitterName" Type="Edm.String"/>'
        '<Property Name="attachmentsPresent" Type="Edm.Int64"/>'
        '<Property Name="attachmentsExpected" Type="Edm.Int64"/>'
        '<Property Name="status" Type="org.opendatakit.submission.Status"/>'
        '<Property Name="reviewState" Type="org.opendatakit.submission.ReviewState"/>'
        '<Property Name="deviceId" Type="Edm.String"/>'
        '<Property Name="edits" Type="Edm.Int64"/>'
        '<Property Name="formVersion" Type="Edm.String"/>'
        "</ComplexType>",
        '<EnumType Name="Status"><Member Name="notDecrypted"/>'
        '<Member Name="missingEncryptedFormData"/></EnumType>',
        '<EnumType Name="ReviewState"><Member Name="hasIssues"/><Member Name="edited"/>'
        '<Member Name="rejected"/><Member Name="approved"/></EnumType>',
        "</Schema>",
        f'<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="{fqdn}">',
    ]
    for entity in entities:
        lines.append(
            f'<EntityType Name="{entity["name"]}"><Key><PropertyRef Name="__id"/></Key>'
            '<Property Name="__id" Type="Edm.String"/>'
            + (
                '<Property Name="__system" Type="org.opendatakit.submission.metadata"/>'
                if entity["primary"]
                else ""
            )
            + props(entity["properties"])
            + "</EntityType>"
        )
    for bag in complexes:
        lines.append(f'<ComplexType Name="{bag["name"]}">{props(bag["properties"])}</ComplexType>')
    lines.append(f"<EntityContainer Name={quoteattr(xml_form_id)}>")
    for entity in entities:
        annotations = ""
        if entity["primary"]:
            non_filterable = "".join(
                f"<PropertyPath>{n}</PropertyPath>" for n, _t, _nav in entity["properties"]
            )
            annotations = (
                '<Annotation Term="Org.OData.Capabilities.V1.ConformanceLevel" '
                'EnumMember="Org.OData.Capabilities.V1.ConformanceLevelType/Minimal"/>'
                '<Annotation Term="Org.OData.Capabilities.V1.BatchSupported" Bool="false"/>'
                '<Annotation Term="Org.OData.Capabilities.V1.CountRestrictions"><Record>'
                '<PropertyValue Property="Countable" Bool="true"/></Record></Annotation>'
                '<Annotation Term="Org.OData.Capabilities.V1.FilterFunctions"><Record>'
                '<PropertyValue Property="NonCountableProperties"><Collection>'
                "<String>eq</String></Collection></PropertyValue></Record></Annotation>"
                '<Annotation Term="Org.OData.Capabilities.V1.FilterFunctions"><Record>'
                '<PropertyValue Property="Filterable" Bool="true"/>'
                '<PropertyValue Property="RequiresFilter" Bool="false"/>'
                '<PropertyValue Property="NonFilterableProperties"><Collection>'
                f"{non_filterable}</Collection></PropertyValue></Record></Annotation>"
                '<Annotation Term="Org.OData.Capabilities.V1.SortRestrictions"><Record>'
                '<PropertyValue Property="Sortable" Bool="false"/></Record></Annotation>'
                '<Annotation Term="Org.OData.Capabilities.V1.ExpandRestrictions"><Record>'
                '<PropertyValue Property="Expandable" Bool="false"/></Record></Annotation>'
            )
        lines.append(
            f'<EntitySet Name="{entity["name"]}" EntityType="{fqdn}.{entity["name"]}">'
            f"{annotations}</EntitySet>"
        )
    lines += ["</EntityContainer>", "</Schema>", "</edmx:DataServices>", "</edmx:Edmx>"]
    return "\n".join(lines)


def page_bytes(entities: Iterable[dict[str, Any]], footer: dict[str, Any]) -> Iterator[bytes]:
    """``{"value":[…],"@odata.context":…[,"@odata.nextLink":…][,"@odata.count":…]}``.

    ``footer`` is read only once ``entities`` is exhausted, so the caller may fill in
    the next link and count while the entities stream."""

    def closing() -> str:
        ordered = {
            k: footer[k]
            for k in ("@odata.context", "@odata.nextLink", "@odata.count")
            if k in footer
        }
        tail = json.dumps(ordered, ensure_ascii=False, separators=(",", ":"))
        return "]," + tail[1:] if tail != "{}" else "]}"

    return json_array_chunks('{"value":[', entities, closing)
