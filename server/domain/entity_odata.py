"""OData over a dataset, as Central serves ``/datasets/{name}.svc``: the service document,
the EDMX, and ``Entities`` with ``$top``, ``$skip``, ``$skiptoken``, ``$count``,
``$filter`` and ``$select``.

``$filter`` takes what Central takes on entities: ``__id`` and
``__system/{createdAt,updatedAt,deletedAt,creatorId,conflict}``, evaluated over each row
as the list is read a page at a time, newest first (``createdAt DESC, id DESC``). A
missing property is ``""``; ``creatorId`` is a string; ``$select=label`` is refused
(400.23), a quirk of Central's kept for its clients.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from server import problems
from server.data import odata_filter as f
from server.data import text_search
from server.domain import Services
from server.domain.access import Actor
from server.domain.datasets import dataset_for, published_properties
from server.formats.central_json import timestamp
from server.store import entities as store
from server.store.entities import EntityRow
from server.store.tables import Actor as ActorRow
from server.store.tables import Dataset

FIELDS = {
    "__id": "uuid",
    "__system/createdAt": "created_at",
    "__system/updatedAt": "updated_at",
    "__system/deletedAt": "deleted_at",
    "__system/creatorId": "creator_id",
    "__system/conflict": "conflict",
}
SYSTEM_COLUMNS = ("__id", "__system", "label")


def odata_name(prop: str) -> str:
    return prop.replace("-", "_").replace(".", "_")


def edmx(dataset: Dataset, properties: list[str]) -> str:
    props = "".join(f'<Property Name="{odata_name(p)}" Type="Edm.String"/>' for p in properties)
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
            "<edmx:DataServices>",
            '<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm"'
            ' Namespace="org.opendatakit.entity">',
            '<ComplexType Name="metadata">'
            '<Property Name="createdAt" Type="Edm.DateTimeOffset"/>'
            '<Property Name="creatorId" Type="Edm.String"/>'
            '<Property Name="creatorName" Type="Edm.String"/>'
            '<Property Name="updates" Type="Edm.Int64"/>'
            '<Property Name="updatedAt" Type="Edm.DateTimeOffset"/>'
            '<Property Name="deletedAt" Type="Edm.DateTimeOffset"/>'
            '<Property Name="version" Type="Edm.Int64"/>'
            '<Property Name="conflict" Type="Edm.String"/>'
            "</ComplexType>",
            "</Schema>",
            '<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm"'
            ' Namespace="org.opendatakit.user.entity">',
            '<EntityType Name="Entities"><Key><PropertyRef Name="__id"/></Key>'
            '<Property Name="__id" Type="Edm.String"/>'
            '<Property Name="__system" Type="org.opendatakit.entity.metadata"/>'
            '<Property Name="label" Type="Edm.String"/>' + props + "</EntityType>",
            f'<EntityContainer Name="{dataset.name}">'
            '<EntitySet Name="Entities" EntityType="org.opendatakit.user.entity.Entities"/>'
            "</EntityContainer>",
            "</Schema>",
            "</edmx:DataServices>",
            "</edmx:Edmx>",
        ]
    )


@dataclass
class EntityPage:
    """The rows of one response, and what its footer says once they are read."""

    rows: Iterator[dict[str, Any]]
    footer: dict[str, Any] = field(default_factory=dict)


def query_entities(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    name: str,
    top: int | None,
    skip: int,
    skiptoken: str | None,
    count: bool,
    filter_text: str | None,
    select: str | None,
    context_url: str,
    next_url: Any,
    orderby: str | None = None,
    search: str | None = None,
) -> EntityPage:
    """A page of ``Entities``; ``next_url(skiptoken=…)`` or, under an ``$orderby``, whose
    order a uuid cannot resume, ``next_url(skip=…)`` builds the ``@odata.nextLink``."""
    from server.formats.odata import parse_skiptoken
    from server.formats.odata import skiptoken as make_token

    dataset = dataset_for(services, actor, project_id=project_id, name=name)
    properties = published_properties(services, dataset)
    keep = row_filter(filter_text, search)
    order = f.parse_orderby(orderby, FIELDS)
    selected = _selection(select, properties)
    after_uuid: str | None = None
    if skiptoken is not None and order:
        raise f.orderby_with_skiptoken()
    if skiptoken is not None:
        data = parse_skiptoken(skiptoken)
        if data is None or not isinstance(data.get("uuid"), str):
            raise problems.unexpected_value("$skiptoken", skiptoken, "not a valid skiptoken.")
        after_uuid = data["uuid"]
    footer: dict[str, Any] = {"@odata.context": f"{context_url}#Entities"}
    names: dict[int, str] = {}

    def rows() -> Iterator[dict[str, Any]]:
        matched = 0
        sent = 0
        last: str | None = None
        passed_token = after_uuid is None
        more = False
        for entity in store.iterate_entities(
            services.db.read, dataset_id=dataset.id or 0, order=order
        ):
            if keep is not None and not keep(entity):
                continue
            matched += 1
            if not passed_token:
                passed_token = entity.uuid == after_uuid
                continue
            if matched <= skip and after_uuid is None:
                continue
            if top is not None and sent >= top:
                more = True
                if not count:
                    break
                continue
            sent += 1
            last = entity.uuid
            yield _row(services, entity, properties, selected, names)
        if more and order:
            footer["@odata.nextLink"] = next_url(skip=skip + sent)
        elif more and last is not None:
            footer["@odata.nextLink"] = next_url(skiptoken=make_token({"uuid": last}))
        if count:
            footer["@odata.count"] = matched

    return EntityPage(rows=rows(), footer=footer)


def row_filter(filter_text: str | None, search_text: str | None = None) -> Any:
    """``$filter`` and ``$search`` as a test of one entity row (None when there are
    neither); a bad filter is refused here, before anything is streamed."""
    expr = f.parse_filter(filter_text, FIELDS)
    search = text_search.parse_search(search_text)
    if expr is None and search is None:
        return None

    def keep(row: EntityRow) -> bool:
        if expr is not None and not _truthy(_evaluate(expr, row)):
            return False
        return search is None or text_search.matches(search, [row.label, *row.data.values()])

    return keep


def _selection(select: str | None, properties: list[str]) -> list[str] | None:
    if select is None or not select.strip():
        return None
    chosen = [s.strip() for s in select.split(",") if s.strip()]
    allowed = {"__id", "__system", *(odata_name(p) for p in properties)}
    for name in chosen:
        if name not in allowed and not name.startswith("__system/"):
            raise problems.Problem(
                "400.23",
                f"The given OData select property '{name}' uses features not supported by this"
                " server.",
                {"property": name},
            )
    return chosen


def _row(
    services: Services,
    entity: EntityRow,
    properties: list[str],
    selected: list[str] | None,
    names: dict[int, str],
) -> dict[str, Any]:
    creator = entity.creator_id
    if creator is not None and creator not in names:
        with services.db.read() as session:
            row = session.get(ActorRow, creator)
        names[creator] = row.display_name if row else ""
    full: dict[str, Any] = {
        "__id": entity.uuid,
        "label": entity.label,
        "__system": {
            "createdAt": timestamp(entity.created_at),
            "creatorId": str(creator) if creator is not None else None,
            "creatorName": names.get(creator, "") if creator is not None else None,
            "updates": entity.version - 1,
            "updatedAt": timestamp(entity.updated_at),
            "version": entity.version,
            "conflict": entity.conflict,
        },
    }
    for prop in properties:
        full[odata_name(prop)] = (entity.data or {}).get(prop, "")
    if selected is None:
        return full
    out: dict[str, Any] = {}
    for name in selected:
        if name.startswith("__system/"):
            out.setdefault("__system", {})[name[9:]] = full["__system"].get(name[9:])
        else:
            out[name] = full.get(name)
    return out


def _evaluate(expr: f.Expr, entity: EntityRow) -> Any:
    if isinstance(expr, f.Field):
        value = getattr(entity, expr.column)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value
    if isinstance(expr, f.Literal):
        return expr.value
    if isinstance(expr, f.Not):
        return not _truthy(_evaluate(expr.operand, entity))
    if isinstance(expr, f.Logical):
        left = _truthy(_evaluate(expr.left, entity))
        if expr.op == "and":
            return left and _truthy(_evaluate(expr.right, entity))
        return left or _truthy(_evaluate(expr.right, entity))
    if isinstance(expr, f.Call):
        if expr.function == "now":
            return datetime.now(UTC)
        value = _evaluate(expr.argument, entity) if expr.argument is not None else None
        return getattr(value, expr.function, None) if isinstance(value, datetime) else None
    if isinstance(expr, f.Compare):
        return _compare(expr.op, _evaluate(expr.left, entity), _evaluate(expr.right, entity))
    return None


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, int) and isinstance(right, str) and right.isdigit():
        right = int(right)
    if isinstance(right, int) and isinstance(left, str) and left.isdigit():
        left = int(left)
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        return bool(
            {"lt": left < right, "le": left <= right, "gt": left > right, "ge": left >= right}[op]
        )
    except TypeError:
        return False


def _truthy(value: Any) -> bool:
    return bool(value)
