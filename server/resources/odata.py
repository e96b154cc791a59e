"""``…/forms/{xmlFormId}.svc``: OData v4 as Central serves it (Excel, Power BI, pyODK).

Also ``…/forms/{xmlFormId}/draft.svc``, the same over a draft's test submissions. The
service document, ``$metadata``, and ``Submissions``, ``Submissions.<repeat>``,
``Submissions('<instanceID>')`` and ``Submissions('<instanceID>')/<repeat>``, with
``$top``, ``$skip``, ``$count``, ``$filter``, ``$select``, ``$expand=*``, ``$wkt`` and
``$skiptoken`` (the ``@odata.nextLink`` of the previous page).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from server.domain import exports
from server.formats import odata as odata_format
from server.http import urls
from server.http.auth import ActorDep, ServicesDep
from server.http.params import DatabaseId, flag
from server.problems import Problem

router = APIRouter(tags=["odata"])

SERVICE = "/projects/{project_id}/forms/{xml_form_id}.svc"
DRAFT_SERVICE = "/projects/{project_id}/forms/{xml_form_id}/draft.svc"
"""A draft's own service, over its test submissions, as Central serves it."""
SEGMENT = re.compile(r"^([^(]+)\('((?:uuid:)?[A-Za-z0-9-]+)'\)$")


def _service_url(
    request: Request, project_id: DatabaseId, xml_form_id: str, *, draft: bool = False
) -> str:
    settings = request.app.state.services.settings
    base = urls.form_base(request, settings, project_id, xml_form_id)
    return base + ("/draft.svc" if draft else ".svc")


def _is_draft(request: Request) -> bool:
    return "/draft.svc" in request.url.path


@router.get(SERVICE)
@router.get(SERVICE + "/")
@router.get(DRAFT_SERVICE)
@router.get(DRAFT_SERVICE + "/")
def service_document(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
) -> JSONResponse:
    draft = _is_draft(request)
    data = exports.odata_fields(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, draft=draft
    )
    url = _service_url(request, project_id, xml_form_id, draft=draft)
    return JSONResponse(odata_format.service_document(data.fields, url))


@router.get(SERVICE + "/$metadata")
@router.get(DRAFT_SERVICE + "/$metadata")
def metadata(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
) -> Response:
    data = exports.odata_fields(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, draft=_is_draft(request)
    )
    return Response(
        odata_format.edmx(data.form.xml_form_id, data.fields), media_type="application/xml"
    )


@router.get(SERVICE + "/{table_path:path}")
@router.get(DRAFT_SERVICE + "/{table_path:path}")
async def table(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
    table_path: str,
) -> Response:
    names: list[str] = []
    instance_id: str | None = None
    for position, part in enumerate(p for p in table_path.split("/") if p):
        match = SEGMENT.match(unquote(part))
        if match is None:
            names.append(part)
            continue
        if position != 0:
            raise Problem(
                "501.1",
                "The requested feature addressing a repeat row by its id is not supported by "
                "this server.",
                {"feature": "repeat row ids"},
            )
        names.append(match.group(1))
        instance_id = match.group(2)
    if len(names) == 1:
        table_name = names[0]
    elif instance_id is not None:
        table_name = ".".join(names)
    else:
        raise Problem("404.1", "Could not find the resource you were looking for.")
    query = request.query_params
    odata_query = exports.ODataQuery(
        top=query.get("$top"),
        skip=query.get("$skip"),
        count=flag(query.get("$count"), name="$count"),
        filter=query.get("$filter"),
        select=query.get("$select"),
        expand=query.get("$expand"),
        wkt=flag(query.get("$wkt"), name="$wkt"),
        skiptoken=query.get("$skiptoken"),
        orderby=query.get("$orderby"),
    )
    draft = _is_draft(request)
    service_url = _service_url(request, project_id, xml_form_id, draft=draft)
    page_path = f"{service_url}/{table_path}"
    kept = [(k, v) for k, v in query.multi_items() if k not in ("$skip", "$skiptoken")]

    def next_link(token: dict[str, Any]) -> str:
        if "skip" in token:  # an $orderby's pages go by offset
            params = [*kept, ("$skip", str(token["skip"]))]
        else:
            params = [*kept, ("$skiptoken", odata_format.skiptoken(token))]
        return f"{page_path}?{urlencode(params, quote_via=quote, safe='$')}"

    page = await run_in_threadpool(
        exports.odata_table,
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        table=table_name,
        query=odata_query,
        next_link=next_link,
        context_url=f"{service_url}/$metadata",
        instance_id=instance_id,
        draft=draft,
    )
    return StreamingResponse(
        odata_format.page_bytes(page.entities, page.footer),
        media_type=odata_format.JSON_CONTENT_TYPE,
    )
