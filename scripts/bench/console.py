"""Console benchmark: the pages a coordinator opens, over 100,000 initiative profiles.

One command: ``.venv/bin/python scripts/bench/console.py [--db sqlite|postgresql]
[--submissions 100000] [--rounds 20]``. It makes a temporary data folder (and PostgreSQL
database when asked), publishes the real initiative profile with its wilayah lists, and
stores N submissions straight into the tables as ingest stores them (built from the form
by the instruments' submission builder, varied in province, regency, sector, name and
point; one province in ten is Nusa Tenggara Timur, so its map has N/10 points). Then it
starts ``jaring serve``, signs in through the console as a person does, and measures:

- the submissions table: pages 1, 10, 100, 1,000 and the last (keyset cursors), filtered
  and not; the server's time per request (``duration_ms`` of its access log) and the
  client's, median (p50) and the slowest of ``--rounds`` requests;
- one submission's page, for ``--rounds`` submissions spread over the form;
- the map's GeoJSON for the province with N/10 points: the whole streamed download;
- what a first visit transfers (cold cache, gzip as a browser asks for it) for the main
  pages, in Chromium: the HTML, scripts, styles, images and data each page loads.

Targets (issue: the console): table page p50 under 100 ms server time on any page; one
submission page under 100 ms; map GeoJSON for 10,000 points under 2 s; a first page load
under 300 KB transferred.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import (  # noqa: E402
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ROOT,
    create_admin,
    database,
    machine,
    running,
    start_jaring,
    workspace,
)
from server.data.submission import flatten_values, read_submission  # noqa: E402
from server.data.xform import FieldInfo  # noqa: E402
from server.domain import Services  # noqa: E402
from server.domain.access import SYSTEM  # noqa: E402
from server.domain.forms import (  # noqa: E402
    create_form,
    prepare_definition,
    publish_draft,
    set_draft_attachment,
)
from server.domain.projects import create_project  # noqa: E402
from server.external.xlsform import XLSX_CONTENT_TYPE  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.store.tables import FormDef, Submission, SubmissionDef  # noqa: E402
from tests.instruments.submission_builder import build_submission  # noqa: E402

INSTRUMENT = ROOT / "instruments" / "initiative_profile.xlsx"
MEDIA = ROOT / "instruments" / "media"
CSRF = re.compile(r'name="__csrf" value="([^"]+)"')
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
TEMPLATES = 80
MAP_POINTS = 10_000
PLACES = [("73", "Makassar"), ("32", "Bandung"), ("33", "Semarang"), ("35", "Malang")]
PLACES += [("34", "Sleman"), ("31", "Jakarta"), ("11", "Aceh"), ("32", "Bogor"), ("33", "Solo")]


def publish(services: Services, project_name: str) -> tuple[int, str, int, int]:
    """The initiative profile published with its lists: (project, xmlFormId, form, def)."""
    project = create_project(services, SYSTEM, name=project_name)
    assert project.id is not None
    definition = prepare_definition(INSTRUMENT.read_bytes(), XLSX_CONTENT_TYPE)
    form = create_form(
        services, SYSTEM, project_id=project.id, definition=definition, publish=False
    )
    for name in definition.info.media:
        with (MEDIA / name).open("rb") as source:
            set_draft_attachment(
                services,
                SYSTEM,
                project_id=project.id,
                xml_form_id=form.xml_form_id,
                name=name,
                content=source,
                content_type="text/csv",
            )
    published = publish_draft(services, SYSTEM, project_id=project.id, xml_form_id=form.xml_form_id)
    assert published.id is not None and published.current_def_id is not None
    return project.id, form.xml_form_id, published.id, published.current_def_id


def templates(xform: bytes) -> list[bytes]:
    """Varied submissions of the form: every tenth in Nusa Tenggara Timur."""
    media = {path.name: path for path in MEDIA.glob("*.csv")}
    made = []
    for n in range(TEMPLATES):
        province = "53" if n % 10 == 0 else PLACES[n % len(PLACES)][0]
        overrides = {
            "/data/a2/provinsi": province,
            "/data/a2/nama_inisiatif": f"Kelompok {PLACES[n % len(PLACES)][1]} {n}",
        }
        built = build_submission(xform, media, overrides=overrides, repeat_count=1)
        made.append(built.xml)
    return made


def insert(services: Services, form_id: int, form_def_id: int, count: int) -> None:
    """``count`` submissions as ingest stores them, 2,000 per transaction."""
    with services.db.read() as session:
        form_def = session.get(FormDef, form_def_id)
        assert form_def is not None
        fields = [FieldInfo.from_json(f) for f in form_def.schema_]
        xform = form_def.xml
    bodies = templates(xform)
    parsed = []
    for body in bodies:
        info = read_submission(body)
        parsed.append((body, info.instance_id, flatten_values(info.root, fields)))
    started = time.perf_counter()
    for chunk in range(0, count, 2000):
        numbers = range(chunk, min(chunk + 2000, count))
        with services.db.write() as session:
            rows = [
                {
                    "form_id": form_id,
                    "instance_id": f"uuid:bench-{n:08d}",
                    "submitter_id": 1,
                    "created_at": BASE_TIME + timedelta(seconds=n),
                }
                for n in numbers
            ]
            session.execute(Submission.__table__.insert(), rows)  # type: ignore[attr-defined]
            ids = dict(
                session.execute(
                    Submission.__table__.select()  # type: ignore[attr-defined]
                    .with_only_columns(Submission.instance_id, Submission.id)
                    .where(Submission.instance_id.in_([r["instance_id"] for r in rows]))  # type: ignore[attr-defined]
                ).all()
            )
            defs = []
            for n in numbers:
                body, template_id, values = parsed[n % len(parsed)]
                instance_id = f"uuid:bench-{n:08d}"
                xml = body.replace(template_id.encode(), instance_id.encode())
                defs.append(
                    {
                        "submission_id": ids[instance_id],
                        "form_id": form_id,
                        "form_def_id": form_def_id,
                        "instance_id": instance_id,
                        "xml": xml,
                        "xml_sha256": f"{n:064d}",
                        "instance_name": None,
                        "current": True,
                        "fields": {**values, "/meta/instanceID": instance_id},
                        "created_at": BASE_TIME + timedelta(seconds=n),
                    }
                )
            session.execute(SubmissionDef.__table__.insert(), defs)  # type: ignore[attr-defined]
    print(f"  stored {count:,} submissions in {time.perf_counter() - started:.1f} s")


def cursor(n: int, submission_id: int) -> str:
    """The keyset cursor that starts the page after submission number ``n``."""
    return f"{(BASE_TIME + timedelta(seconds=n)).isoformat()}~{submission_id}"


def sign_in(base_url: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=120)
    form = client.get("/login")
    token = next(t for t in CSRF.findall(form.text) if t)
    signed = client.post(
        "/login", data={"__csrf": token, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert signed.status_code == 303, signed.text
    return client


class AccessLog:
    """The server's access log, read for each request's ``duration_ms``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size

    def durations(self, path_prefix: str) -> list[float]:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            text = log.read().decode(errors="replace")
            self.offset = log.tell()
        found = []
        for line in text.splitlines():
            if '"jaring.access"' not in line:
                continue
            entry = json.loads(line)
            if entry.get("path", "").startswith(path_prefix):
                found.append(float(entry["duration_ms"]))
        return found


def timed(
    client: httpx.Client, log: AccessLog, path: str, params: dict[str, str], rounds: int
) -> tuple[float, float, float]:
    """(server p50 ms, server max ms, client p50 ms) of ``rounds`` GETs of one page."""
    walls = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(path, params=params)
        walls.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    server = log.durations(path)[-rounds:]
    return statistics.median(server), max(server), statistics.median(walls)


def transfers(base_url: str, cookie: str, pages: list[tuple[str, str]]) -> list[tuple[str, int]]:
    """Bytes a first visit of each page transfers in Chromium (cold cache, gzip)."""
    from playwright.sync_api import sync_playwright

    from tests.console.browser import CHROMIUM, CHROMIUM_ARGS

    sizes = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, path in pages:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": "jaring_session", "value": cookie, "url": base_url}])
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            total = {"bytes": 0}
            cdp.on(
                "Network.loadingFinished",
                lambda event, total=total: total.__setitem__(
                    "bytes", total["bytes"] + int(event["encodedDataLength"])
                ),
            )
            page.goto(base_url + path, wait_until="networkidle")
            page.wait_for_timeout(500)
            sizes.append((name, total["bytes"]))
            context.close()
        browser.close()
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with workspace("console") as folder, database(args.db) as database_url:
        data_dir = folder / "data"
        data_dir.mkdir()
        print(f"Console benchmark, {args.db}, {args.submissions:,} submissions")
        print(machine(folder))
        create_admin(data_dir, database_url)
        services = Services.from_settings(
            Settings(data_dir=data_dir, database_url=database_url), pooled=False
        )
        project_id, xml_form_id, form_id, form_def_id = publish(services, "Bench")
        insert(services, form_id, form_def_id, args.submissions)
        # A second project whose form holds 10,000 submissions, for the unfiltered map.
        small_project, _, small_form, small_def = publish(services, "Bench 10,000")
        insert(services, small_form, small_def, MAP_POINTS)
        with services.db.read() as session:
            ids = dict(
                session.execute(
                    Submission.__table__.select()  # type: ignore[attr-defined]
                    .with_only_columns(Submission.instance_id, Submission.id)
                    .where(Submission.form_id == form_id)  # type: ignore[arg-type]
                ).all()
            )
        services.db.dispose()
        with running(start_jaring(data_dir, database_url)) as server:
            client = sign_in(server.url)
            log = AccessLog(server.log)
            table = f"/projects/{project_id}/forms/{xml_form_id}/submissions"
            newest = args.submissions - 1
            print("\nSubmissions table (50 rows a page): server p50 / server max / client p50")
            last = args.submissions // 50
            for page_number in sorted({n for n in (1, 10, 100, 1000, last) if n <= last}):
                params = {}
                if page_number > 1:
                    n = newest - (page_number - 1) * 50 + 1
                    params["after"] = cursor(n, ids[f"uuid:bench-{n:08d}"])
                p50, worst, wall = timed(client, log, table, params, args.rounds)
                print(f"  page {page_number:>5,}: {p50:6.1f} / {worst:6.1f} / {wall:6.1f} ms")
            for label, params in (
                ("province filter", {"province": "53"}),
                ("review state filter", {"state": "received"}),
            ):
                p50, worst, wall = timed(client, log, table, params, args.rounds)
                print(f"  {label}: {p50:6.1f} / {worst:6.1f} / {wall:6.1f} ms")
            print("\nOne submission's page: server p50 / server max / client p50")
            step = max(1, args.submissions // args.rounds)
            walls, servers = [], []
            for n in range(0, args.submissions, step):
                path = f"{table}/uuid:bench-{n:08d}"
                started = time.perf_counter()
                response = client.get(path)
                walls.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
                servers += log.durations(path)
            print(
                f"  {len(walls)} submissions: {statistics.median(servers):6.1f} /"
                f" {max(servers):6.1f} / {statistics.median(walls):6.1f} ms"
            )
            print("\nMap GeoJSON, the whole streamed download:")
            for label, project, params in (
                (f"a form of {MAP_POINTS:,}, every point", small_project, {}),
                (f"a form of {args.submissions:,}, one province", project_id, {"province": "53"}),
            ):
                geojson = f"/projects/{project}/forms/{xml_form_id}/map.geojson"
                started = time.perf_counter()
                with client.stream("GET", geojson, params=params) as response:
                    size = sum(len(chunk) for chunk in response.iter_raw())
                    assert response.status_code == 200, response.status_code
                seconds = time.perf_counter() - started
                count = len(client.get(geojson, params=params).json()["features"])
                print(
                    f"  {label}: {count:,} points in {seconds:.2f} s"
                    f" ({size / 1000:,.0f} KB gzipped)"
                )
            form = f"/projects/{project_id}/forms/{xml_form_id}"
            pages = [
                ("sign-in page", "/login"),
                ("projects", "/projects"),
                ("form", form),
                ("submissions table", table),
                ("one submission", f"{table}/uuid:bench-{newest:08d}"),
                ("map (10% of N)", f"{form}/map?province=53"),
                ("summary (10% of N)", f"{form}/summary?province=53"),
            ]
            print("\nFirst visit, bytes transferred (cold cache):")
            cookie = client.cookies.get("jaring_session") or ""
            for name, size in transfers(server.url, cookie, pages):
                print(f"  {name:<20} {size / 1000:7.1f} KB")


if __name__ == "__main__":
    main()
