"""The floor: a bare FastAPI app on the same uvicorn set-up as ``jaring serve``.

It answers the phone's URLs with no database, no authentication and no parsing of what
arrives: ``POST …/submission`` reads the whole multipart body (as Starlette parses it
for Jaring) and answers 201 with the same OpenRosa message; ``GET …/formList`` and
``GET …/forms/{id}.xml`` answer bytes held in memory (taken from a Jaring server by the
form-list benchmark). Whatever Jaring does beyond this is the price of its work.

    python scripts/bench/floor_app.py --port 8099 [--fixtures DIR] [--workers N]

With ``--workers N`` it runs as ``jaring serve --workers N`` does: N uvicorn processes,
each building the app through a factory (`create_floor_from_environment`), the fixtures
folder handed over in ``FLOOR_FIXTURES``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from server.http.logs import uvicorn_log_config  # noqa: E402

OPENROSA_XML = "text/xml; charset=utf-8"
ACCEPTED = (
    '<OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0">'
    '<message nature="">full submission upload was successful!</message></OpenRosaResponse>'
)
MAX_BYTES = 10_000_000
MAX_PARTS = 500
FIXTURES_VARIABLE = "FLOOR_FIXTURES"


def create_floor(fixtures: Path | None) -> FastAPI:
    app = FastAPI(title="floor")
    form_list = (fixtures / "formList.xml").read_bytes() if fixtures else b""
    form_xml = (
        {p.stem: p.read_bytes() for p in (fixtures / "forms").glob("*.xml")} if fixtures else {}
    )

    @app.post("/v1/key/{key}/projects/{project_id}/submission")
    async def submit(request: Request, key: str, project_id: int) -> Response:
        form = await request.form(
            max_files=MAX_PARTS, max_fields=MAX_PARTS, max_part_size=MAX_BYTES
        )
        try:
            part = form.get("xml_submission_file")
            xml = await part.read() if isinstance(part, UploadFile) else str(part).encode()
            if not xml:
                return Response(status_code=400)
        finally:
            await form.close()
        headers = {"X-OpenRosa-Version": "1.0"}
        return Response(ACCEPTED, status_code=201, media_type=OPENROSA_XML, headers=headers)

    @app.get("/v1/key/{key}/projects/{project_id}/formList")
    def formlist(key: str, project_id: int) -> Response:
        return Response(form_list, media_type=OPENROSA_XML, headers={"X-OpenRosa-Version": "1.0"})

    @app.get("/v1/key/{key}/projects/{project_id}/forms/{xml_form_id}.xml")
    def form_download(key: str, project_id: int, xml_form_id: str) -> Response:
        body = form_xml.get(xml_form_id)
        if body is None:
            return Response(status_code=404)
        return Response(body, media_type="application/xml", headers={"X-OpenRosa-Version": "1.0"})

    return app


def create_floor_from_environment() -> FastAPI:
    """The floor for the fixtures folder named in ``FLOOR_FIXTURES`` (if any): each worker's."""
    fixtures = os.environ.get(FIXTURES_VARIABLE)
    return create_floor(Path(fixtures) if fixtures else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--fixtures", type=Path, help="folder with formList.xml and forms/*.xml")
    parser.add_argument("--http", default="h11", help="uvicorn's HTTP parser (as jaring serve)")
    parser.add_argument("--workers", type=int, default=1, help="processes (as jaring serve)")
    args = parser.parse_args()
    # The options `jaring serve` passes to uvicorn (server/cli/__init__.py): keep them alike.
    options: dict[str, Any] = dict(
        host=args.host,
        port=args.port,
        log_level="info",
        log_config=uvicorn_log_config(),
        access_log=False,
        http=args.http,
        h11_max_incomplete_event_size=64 * 1024,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        timeout_keep_alive=5,
        timeout_graceful_shutdown=30,
    )
    if args.workers == 1:
        uvicorn.run(create_floor(args.fixtures), **options)
        return
    if args.fixtures is not None:
        os.environ[FIXTURES_VARIABLE] = str(args.fixtures.resolve())
    # The workers are spawned with this process's sys.path, which starts at this folder.
    uvicorn.run(
        "floor_app:create_floor_from_environment", factory=True, workers=args.workers, **options
    )


if __name__ == "__main__":
    main()
