"""Export benchmark: time and peak memory of ``jaring serve`` exporting N submissions.

One command: ``.venv/bin/python scripts/bench/export.py [--sizes 10000,100000]``. It makes
a temporary data directory (SQLite, or the database in ``DATABASE_URL``), publishes a form
with a group, a repeat (two instances each), a geopoint and a select multiple, and inserts
N submissions straight into the tables (as ingest would store them). For each N it starts
``jaring serve`` as a separate process per measurement, downloads the CSV zip and then
reads every OData page (``$top=1000`` following ``@odata.nextLink``), and reports the
wall time and the server's peak resident memory (``VmHWM`` in ``/proc/<pid>/status``).
The floor is Python's csv module writing the same root and repeat rows from memory.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server.data.submission import flatten_values, read_submission  # noqa: E402
from server.data.xform import FieldInfo  # noqa: E402
from server.domain import Services  # noqa: E402
from server.domain.access import SYSTEM  # noqa: E402
from server.domain.accounts import create_user  # noqa: E402
from server.domain.forms import create_form, prepare_definition  # noqa: E402
from server.domain.projects import create_project  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.store.migrate import upgrade  # noqa: E402
from server.store.tables import Submission, SubmissionDef  # noqa: E402

EMAIL, PASSWORD = "bench@example.org", "bench-password-123"
FORM_XML = b"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
 xmlns:jr="http://openrosa.org/javarosa"><h:head><h:title>Bench</h:title><model>
<instance><data id="bench" version="1"><name/><group><members/><values/></group>
<location/><activity jr:template=""><kind/><income/></activity>
<meta><instanceID/></meta></data></instance>
<bind nodeset="/data/name" type="string"/><bind nodeset="/data/group/members" type="int"/>
<bind nodeset="/data/group/values" type="string"/>
<bind nodeset="/data/location" type="geopoint"/>
<bind nodeset="/data/activity/kind" type="string"/>
<bind nodeset="/data/activity/income" type="decimal"/>
<bind nodeset="/data/meta/instanceID" type="string"/></model></h:head><h:body>
<input ref="/data/name"><label>Name</label></input>
<group ref="/data/group"><input ref="/data/group/members"><label>M</label></input>
<select ref="/data/group/values"><label>V</label><item><label>A</label><value>a</value></item>
<item><label>B</label><value>b</value></item></select></group>
<input ref="/data/location"><label>L</label></input>
<group ref="/data/activity"><repeat nodeset="/data/activity">
<input ref="/data/activity/kind"><label>K</label></input>
<input ref="/data/activity/income"><label>I</label></input></repeat></group>
</h:body></h:html>"""


def submission_xml(n: int) -> bytes:
    return (
        f'<data id="bench" version="1"><name>Koperasi {n}</name><group><members>{n % 97}'
        f"</members><values>a b</values></group><location>-5.{n % 10000:04d} 119.4327 12 4"
        f"</location><activity><kind>tenun</kind><income>{n}.5</income></activity>"
        f"<activity><kind>kopi</kind><income>{n % 1000}</income></activity>"
        f"<meta><instanceID>uuid:bench-{n:08d}</instanceID></meta></data>"
    ).encode()


def prepare(data_dir: Path) -> tuple[Services, int, int, int]:
    settings = Settings(data_dir=data_dir, database_url=os.environ.get("DATABASE_URL"))
    services = Services.from_settings(settings, pooled=False)
    upgrade(services.db)
    create_user(services, email=EMAIL, password=PASSWORD, admin=True)
    project = create_project(services, SYSTEM, name="Bench")
    assert project.id is not None
    form = create_form(
        services,
        SYSTEM,
        project_id=project.id,
        definition=prepare_definition(FORM_XML, "application/xml"),
        publish=True,
    )
    assert form.id is not None and form.current_def_id is not None
    return services, project.id, form.id, form.current_def_id


def insert(services: Services, form_id: int, form_def_id: int, start: int, stop: int) -> None:
    """Submissions ``start`` ≤ n < ``stop``, as ingest stores them, 2,000 per transaction."""
    fields = None
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for chunk in range(start, stop, 2000):
        with services.db.write() as session:
            if fields is None:
                from server.store.tables import FormDef

                form_def = session.get(FormDef, form_def_id)
                assert form_def is not None
                fields = [FieldInfo.from_json(f) for f in form_def.schema_]
            subs = []
            for n in range(chunk, min(chunk + 2000, stop)):
                subs.append(
                    {
                        "form_id": form_id,
                        "instance_id": f"uuid:bench-{n:08d}",
                        "submitter_id": 1,
                        "created_at": base + timedelta(seconds=n),
                    }
                )
            session.execute(Submission.__table__.insert(), subs)  # type: ignore[attr-defined]
            ids = dict(
                session.execute(
                    Submission.__table__.select()  # type: ignore[attr-defined]
                    .with_only_columns(Submission.instance_id, Submission.id)
                    .where(Submission.instance_id.in_([s["instance_id"] for s in subs]))  # type: ignore[attr-defined]
                ).all()
            )
            defs = []
            for n in range(chunk, min(chunk + 2000, stop)):
                xml = submission_xml(n)
                info = read_submission(xml)
                defs.append(
                    {
                        "submission_id": ids[info.instance_id],
                        "form_id": form_id,
                        "form_def_id": form_def_id,
                        "instance_id": info.instance_id,
                        "xml": xml,
                        "xml_sha256": hashlib.sha256(xml).hexdigest(),
                        "current": True,
                        "fields": flatten_values(info.root, fields),
                        "created_at": base + timedelta(seconds=n),
                    }
                )
            session.execute(SubmissionDef.__table__.insert(), defs)  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``jaring serve`` in its own process, and its peak resident memory."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "jaring"),
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(data_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{self.url}/v1/projects", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("jaring serve did not start") from None
                time.sleep(0.2)

    def peak_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def measure_csv_zip(data_dir: Path, project_id: int) -> tuple[float, float, float, int, list[int]]:
    server = Server(data_dir)
    try:
        idle = server.peak_mb()
        started = time.perf_counter()
        size = 0
        url = f"{server.url}/v1/projects/{project_id}/forms/bench/submissions.csv.zip"
        with tempfile.TemporaryFile() as target:
            with (
                httpx.Client(auth=(EMAIL, PASSWORD), timeout=600) as http,
                http.stream("GET", url) as response,
            ):
                response.raise_for_status()
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    target.write(chunk)
            seconds = time.perf_counter() - started
            with zipfile.ZipFile(target) as archive:
                lines = [sum(1 for _ in archive.open(name)) - 1 for name in archive.namelist()]
        return seconds, server.peak_mb(), idle, size, lines
    finally:
        server.stop()


def measure_odata(data_dir: Path, project_id: int, table: str) -> tuple[float, float, int]:
    server = Server(data_dir)
    try:
        started = time.perf_counter()
        rows = 0
        url: str | None = (
            f"{server.url}/v1/projects/{project_id}/forms/bench.svc/{table}?%24top=1000"
        )
        with httpx.Client(auth=(EMAIL, PASSWORD), timeout=600) as http:
            while url:
                response = http.get(url)
                response.raise_for_status()
                page = response.json()
                rows += len(page["value"])
                url = page.get("@odata.nextLink")
        return time.perf_counter() - started, server.peak_mb(), rows
    finally:
        server.stop()


def floor(n: int) -> float:
    """Python's csv module writing the root and repeat rows of N submissions from memory."""
    root = [
        [
            "2026-01-01T00:00:00.000Z",
            f"Koperasi {i}",
            str(i % 97),
            "a b",
            "-5.1",
            "119.4",
            "12",
            "4",
            f"uuid:bench-{i:08d}",
            f"uuid:bench-{i:08d}",
            "1",
            "bench",
            "0",
            "0",
            "",
            "",
            "",
            "0",
            "1",
        ]
        for i in range(n)
    ]
    repeat = [
        ["tenun", f"{i}.5", f"uuid:bench-{i:08d}", f"uuid:bench-{i:08d}/activity[1]"]
        for i in range(2 * n)
    ]
    started = time.perf_counter()
    for rows in (root, repeat):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows(rows)
        buffer.getvalue().encode()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory(prefix="jaring-bench-export-") as tmp:
        data_dir = Path(tmp)
        services, project_id, form_id, form_def_id = prepare(data_dir)
        done = 0
        peaks: dict[str, list[float]] = {}
        for n in sizes:
            started = time.perf_counter()
            insert(services, form_id, form_def_id, done, n)
            done = n
            print(f"seed N={n}: {time.perf_counter() - started:.1f} s", flush=True)
            seconds, peak, idle, size, lines = measure_csv_zip(data_dir, project_id)
            base = floor(n)
            print(
                f"csv.zip N={n}: {seconds:.2f} s, {size / 1e6:.1f} MB zip, rows {lines}, "
                f"server peak RSS "
                f"{peak:.0f} MB (idle {idle:.0f} MB); csv-module floor {base:.2f} s, "
                f"ratio {seconds / base:.1f}x",
                flush=True,
            )
            peaks.setdefault("csv.zip", []).append(peak)
            for table in ("Submissions", "Submissions.activity"):
                seconds, peak, rows = measure_odata(data_dir, project_id, table)
                print(
                    f"odata {table} N={n}: {rows} rows in {seconds:.2f} s "
                    f"({rows / seconds:.0f} rows/s), server peak RSS {peak:.0f} MB",
                    flush=True,
                )
                peaks.setdefault(table, []).append(peak)
        if len(sizes) > 1:
            for name, values in peaks.items():
                print(
                    f"memory {name}: peak RSS at N={sizes[-1]} / N={sizes[0]} = "
                    f"{values[-1] / values[0]:.2f}",
                    flush=True,
                )
        services.db.dispose()


if __name__ == "__main__":
    main()
