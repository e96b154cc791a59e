"""``…/forms/{xmlFormId}/submissions.csv.zip|.csv|.xlsx|.geojson``: exports, streamed.

Options as Central reads them, from the query string (or, on POST, also from a JSON or
form-encoded body): ``attachments``, ``groupPaths``, ``splitSelectMultiples``,
``deletedFields``, ``$filter``; for XLSX ``labels`` and ``language``; for GeoJSON
``fieldpath``, ``$filter`` and ``limit``. A matching ``If-None-Match`` is answered 304.

Passphrases for encrypted submissions come as Central takes them: every parameter whose
name is a number is a managed key's id and its value that key's passphrase
(``?1=…``, or better a POST body, JSON ``{"1": "…"}`` or a form ``1=…``, which no
access log or browser history keeps).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from server.domain import exports
from server.http.auth import ActorDep, ServicesDep
from server.http.params import DatabaseId, bounded_body, flag

router = APIRouter(tags=["exports"])

BASE = "/projects/{project_id}/forms/{xml_form_id}/submissions"
MAX_PARAMS_BODY = 100_000
KEY_ID = re.compile(r"^\d{1,9}$")


async def _params(request: Request) -> dict[str, str]:
    params: dict[str, str] = dict(request.query_params)
    if request.method == "POST":
        body = await bounded_body(request, MAX_PARAMS_BODY)
        if body:
            content_type = request.headers.get("content-type", "")
            if "json" in content_type:
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = {}
                if isinstance(parsed, dict):
                    params.update({k: str(v) for k, v in parsed.items() if v is not None})
            else:
                params.update(dict(parse_qsl(body.decode("utf-8", "replace"))))
    return params


def _csv_options(params: dict[str, str], *, attachments_default: bool = True) -> exports.CsvOptions:
    return exports.CsvOptions(
        attachments=flag(
            params.get("attachments"), name="attachments", default=attachments_default
        ),
        group_paths=flag(params.get("groupPaths"), name="groupPaths", default=True),
        split_select_multiples=flag(
            params.get("splitSelectMultiples"), name="splitSelectMultiples"
        ),
        deleted_fields=flag(params.get("deletedFields"), name="deletedFields"),
        filter=params.get("$filter"),
        passphrases={int(k): v for k, v in params.items() if KEY_ID.match(k)},
    )


def _respond(request: Request, export: exports.Export) -> Response:
    headers: dict[str, str] = {}
    if export.filename:
        headers["Content-Disposition"] = (
            f'attachment; filename="{export.filename}"; '
            f"filename*=UTF-8''{quote(export.filename, safe='')}"
        )
    if export.etag:
        headers["ETag"] = export.etag
        if request.headers.get("if-none-match") == export.etag:
            export.body.close()  # type: ignore[attr-defined]
            return Response(status_code=304, headers=headers)
    return StreamingResponse(export.body, media_type=export.content_type, headers=headers)


@router.get(BASE + ".csv.zip")
@router.post(BASE + ".csv.zip")
async def csv_zip(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
) -> Response:
    params = await _params(request)
    export = await _in_thread(
        exports.csv_zip,
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        options=_csv_options(params),
    )
    return _respond(request, export)


@router.get(BASE + ".csv")
@router.post(BASE + ".csv")
async def csv_root(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
) -> Response:
    params = await _params(request)
    export = await _in_thread(
        exports.csv_root,
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        options=_csv_options(params, attachments_default=False),
    )
    return _respond(request, export)


@router.get(BASE + ".xlsx")
async def xlsx(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
) -> Response:
    params = dict(request.query_params)
    export = await _in_thread(
        exports.xlsx,
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        options=_csv_options(params, attachments_default=False),
        labels=flag(params.get("labels"), name="labels"),
        language=params.get("language") or None,
    )
    return _respond(request, export)


@router.get(BASE + ".geojson")
async def geojson(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    project_id: DatabaseId,
    xml_form_id: str,
) -> Response:
    params = request.query_params
    limit_text = params.get("limit")
    limit = int(limit_text) if limit_text and limit_text.isdigit() and int(limit_text) > 0 else None
    export = await _in_thread(
        exports.geojson,
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        fieldpath=params.get("fieldpath") or None,
        filter_text=params.get("$filter"),
        limit=limit,
    )
    return _respond(request, export)


async def _in_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run the blocking first-page read off the event loop."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(function, *args, **kwargs)
