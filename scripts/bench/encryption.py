"""Encryption benchmark: ingest of encrypted against plain submissions, and the decrypted
CSV zip export of many encrypted submissions (time and the server's peak memory).

    .venv/bin/python scripts/bench/encryption.py [--ingest 300] [--phones 8]
        [--sizes 1000,10000] [--export-photo 2048]

One temporary data directory (SQLite, or the database in ``DATABASE_URL``), ``jaring
serve`` in a process of its own. Two projects with the same form (a photo question):
one plain, one with managed encryption. Every body is prepared before the clock starts
(the encrypted ones exactly as ODK Collect makes them, by the tests' simulator), so only
the server is measured.

1. Ingest: ``--ingest`` submissions with a distinct 200 KB photo each, sent by
   ``--phones`` threads (one kept-alive connection each) to each project in turn: rate,
   p50/p99 latency, server CPU per submission.
2. Export: the encrypted project is filled to each of ``--sizes`` submissions (each with
   an ``--export-photo`` bytes photo); for each size a fresh server process streams the
   CSV zip without the passphrase and with it (POST body), and reports the wall time and
   its peak resident memory (``VmHWM``). The decrypted zip's row count and media count
   are checked.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from export import Server  # noqa: E402

from server.domain import Services  # noqa: E402
from server.domain.access import SYSTEM  # noqa: E402
from server.domain.accounts import create_user  # noqa: E402
from server.domain.encryption import enable_managed_encryption  # noqa: E402
from server.domain.forms import create_form, prepare_definition  # noqa: E402
from server.domain.projects import create_project  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.store.migrate import upgrade  # noqa: E402
from tests.encryption.collect import encrypt_submission  # noqa: E402

EMAIL, PASSWORD = "bench@example.org", "bench-password-123"
PASSPHRASE = "benchmark passphrase of the analysts"
FORM = "wawancara"
FORM_XML = f"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
 xmlns:jr="http://openrosa.org/javarosa"><h:head><h:title>Bench</h:title><model>
<instance><data id="{FORM}" version="1"><name/><income/><decision/><photo/>
<meta><instanceID/></meta></data></instance>
<bind nodeset="/data/name" type="string"/><bind nodeset="/data/income" type="int"/>
<bind nodeset="/data/decision" type="string"/><bind nodeset="/data/photo" type="binary"/>
<bind nodeset="/data/meta/instanceID" type="string"/></model></h:head><h:body>
<input ref="/data/name"><label>N</label></input><input ref="/data/income"><label>I</label></input>
<input ref="/data/decision"><label>D</label></input>
<upload ref="/data/photo" mediatype="image/*"><label>P</label></upload>
</h:body></h:html>""".encode()

Body = list[tuple[str, tuple[str, bytes, str]]]


def submission_xml(instance_id: str, version: str, n: int) -> bytes:
    return (
        f'<data id="{FORM}" version="{version}"><name>Ibu {n}</name><income>{n * 1000}'
        f"</income><decision>bersama</decision><photo>{photo_name(n)}</photo>"
        f"<meta><instanceID>{instance_id}</instanceID></meta></data>"
    ).encode()


def photo_name(n: int) -> str:
    return f"foto-{n}.jpg"  # Collect names each photo after the time it was taken


def photo(n: int, size: int) -> bytes:
    seed = n.to_bytes(8, "big")
    return (seed * (size // 8 + 1))[:size]


def plain_body(version: str, n: int, size: int) -> Body:
    instance_id = f"uuid:{uuid.uuid4()}"
    return [
        ("xml_submission_file", ("s.xml", submission_xml(instance_id, version, n), "text/xml")),
        (photo_name(n), (photo_name(n), photo(n, size), "image/jpeg")),
    ]


def encrypted_body(public_key: str, version: str, n: int, size: int) -> Body:
    instance_id = f"uuid:{uuid.uuid4()}"
    sent = encrypt_submission(
        public_key,
        form_id=FORM,
        version=version,
        instance_id=instance_id,
        xml=submission_xml(instance_id, version, n),
        media={photo_name(n): photo(n, size)},
    )
    body: Body = [("xml_submission_file", ("submission.xml", sent.manifest, "text/xml"))]
    body += [(k, (k, v, "application/octet-stream")) for k, v in sent.files.items()]
    return body


def prepare(data_dir: Path) -> tuple[Services, int, int]:
    settings = Settings(data_dir=data_dir, database_url=os.environ.get("DATABASE_URL"))
    services = Services.from_settings(settings, pooled=False)
    upgrade(services.db)
    create_user(services, email=EMAIL, password=PASSWORD, admin=True)
    ids = []
    for name in ("plain", "encrypted"):
        project = create_project(services, SYSTEM, name=name)
        assert project.id is not None
        definition = prepare_definition(FORM_XML, "application/xml")
        create_form(services, SYSTEM, project_id=project.id, definition=definition, publish=True)
        ids.append(project.id)
    enable_managed_encryption(services, SYSTEM, project_id=ids[1], passphrase=PASSPHRASE, hint=None)
    return services, ids[0], ids[1]


def form_key(http: httpx.Client, project_id: int) -> tuple[str, str, int]:
    form = http.get(f"/v1/projects/{project_id}/forms/{FORM}").json()
    xml = http.get(f"/v1/projects/{project_id}/forms/{FORM}.xml").text
    start = xml.index('base64RsaPublicKey="') + len('base64RsaPublicKey="')
    return xml[start : xml.index('"', start)], form["version"], form["keyId"]


def send_all(url: str, project_id: int, bodies: list[Body], phones: int) -> list[float]:
    """POST every body, ``phones`` at a time; the latency of each, in seconds."""
    latencies: list[float] = []
    lock = threading.Lock()
    queue = list(reversed(bodies))

    def phone() -> None:
        with httpx.Client(base_url=url, auth=(EMAIL, PASSWORD), timeout=120) as http:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                started = time.perf_counter()
                response = http.post(
                    f"/v1/projects/{project_id}/submission",
                    files=body,
                    headers={"X-OpenRosa-Version": "1.0"},
                )
                took = time.perf_counter() - started
                if response.status_code != 201:
                    raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
                with lock:
                    latencies.append(took)

    threads = [threading.Thread(target=phone) for _ in range(phones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(latencies) != len(bodies):
        raise RuntimeError("some submissions were not acknowledged")
    return latencies


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingest(data_dir: Path, plain_id: int, sealed_id: int, count: int, phones: int) -> None:
    server = Server(data_dir)
    try:
        with httpx.Client(base_url=server.url, auth=(EMAIL, PASSWORD)) as http:
            public, version, _ = form_key(http, sealed_id)
            plain_version = http.get(f"/v1/projects/{plain_id}/forms/{FORM}").json()["version"]
        cases: list[tuple[str, int, Callable[[int], Body]]] = [
            ("plain    ", plain_id, lambda n: plain_body(plain_version, n, 200_000)),
            ("encrypted", sealed_id, lambda n: encrypted_body(public, version, n, 200_000)),
        ]
        for name, project_id, make in cases:
            warm = [make(n) for n in range(phones * 2)]
            send_all(server.url, project_id, warm, phones)
            bodies = [make(n) for n in range(count)]
            cpu = cpu_seconds(server.process.pid)
            started = time.perf_counter()
            latencies = sorted(send_all(server.url, project_id, bodies, phones))
            seconds = time.perf_counter() - started
            cpu = cpu_seconds(server.process.pid) - cpu
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            print(
                f"ingest {name}: {count / seconds:7.1f} submissions/s with a 200 KB photo,"
                f" p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms,"
                f" server CPU {cpu / count * 1000:.2f} ms each ({phones} phones)",
                flush=True,
            )
    finally:
        server.stop()


def fill(data_dir: Path, project_id: int, upto: int, done: int, size: int, phones: int) -> None:
    server = Server(data_dir)
    try:
        with httpx.Client(base_url=server.url, auth=(EMAIL, PASSWORD)) as http:
            public, version, _ = form_key(http, project_id)
        bodies = [encrypted_body(public, version, n, size) for n in range(done, upto)]
        send_all(server.url, project_id, bodies, phones)
    finally:
        server.stop()


def export(data_dir: Path, project_id: int, key_id: int | None, n: int) -> str:
    server = Server(data_dir)
    try:
        idle = server.peak_mb()
        url = f"{server.url}/v1/projects/{project_id}/forms/{FORM}/submissions.csv.zip"
        body = {str(key_id): PASSPHRASE} if key_id is not None else {}
        started = time.perf_counter()
        size = 0
        with tempfile.TemporaryFile() as target:
            with (
                httpx.Client(auth=(EMAIL, PASSWORD), timeout=3600) as http,
                http.stream("POST", url, json=body) as response,
            ):
                response.raise_for_status()
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    target.write(chunk)
            seconds = time.perf_counter() - started
            with zipfile.ZipFile(target) as archive:
                names = archive.namelist()
                rows = sum(1 for _ in archive.open(f"{FORM}.csv")) - 1
        media = sum(1 for name in names if name.startswith("media/"))
        if key_id is not None and (rows != n or media != n):
            raise RuntimeError(f"expected {n} rows and files, got {rows} and {media}")
        what = "decrypted" if key_id is not None else "sealed   "
        return (
            f"csv.zip {what} N={n}: {seconds:.2f} s ({n / seconds:.0f} submissions/s),"
            f" {size / 1e6:.1f} MB, {rows} rows, {media} media; server peak RSS"
            f" {server.peak_mb():.0f} MB (idle {idle:.0f} MB)"
        )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ingest", type=int, default=300)
    parser.add_argument("--phones", type=int, default=8)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--export-photo", type=int, default=2048)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jaring-bench-encryption-") as tmp:
        data_dir = Path(tmp)
        services, plain_id, sealed_id = prepare(data_dir)
        services.db.dispose()
        if args.ingest:
            ingest(data_dir, plain_id, sealed_id, args.ingest, args.phones)
        export_dir = data_dir / "export"
        export_dir.mkdir()
        services, _, sealed_id = prepare(export_dir)
        services.db.dispose()
        done = 0
        for n in sorted(int(s) for s in args.sizes.split(",")):
            started = time.perf_counter()
            fill(export_dir, sealed_id, n, done, args.export_photo, args.phones)
            done = n
            print(f"seed N={n}: {time.perf_counter() - started:.1f} s over HTTP", flush=True)
            server = Server(export_dir)
            try:
                with httpx.Client(base_url=server.url, auth=(EMAIL, PASSWORD)) as http:
                    key_id = form_key(http, sealed_id)[2]
            finally:
                server.stop()
            print(export(export_dir, sealed_id, None, n), flush=True)
            print(export(export_dir, sealed_id, key_id, n), flush=True)


if __name__ == "__main__":
    main()
