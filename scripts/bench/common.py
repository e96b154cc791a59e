"""What the benchmarks share: servers in temporary folders, databases, load, and checks.

Every benchmark starts its own processes (``jaring serve`` in a temporary data folder, or
the bare floor app in ``floor_app.py``), on its own PostgreSQL database when asked
(created on 127.0.0.1:5432 as user ``postgres`` and dropped afterwards), drives them with
a load tool in a separate process, and stops them again. With ``workers`` above one, Jaring
(``jaring serve --workers N``) and the floor both run N uvicorn processes, and a server's
CPU time counts its workers too.

The load tool is wrk with ``wrk.lua`` (installed from Debian when missing and possible);
without it, ``pyload.py`` (httpx in separate processes) stands in, and every report line
says which one ran. Both run one request at a time per kept-alive connection, as ODK
Collect does, and name the instanceIDs the server acknowledged, so `check_stored` can
compare them with what the server then lists through its REST API.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sync.central import CentralClient, Credentials  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
ADMIN_EMAIL = "bench@example.org"
ADMIN_PASSWORD = "benchmark-password"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PHOTO_NAME = "foto.jpg"
PHOTO_BYTES = 200_000
BOUNDARY = "----jaringbench7f3a9c"
COLLECT_HEADERS = {
    "X-OpenRosa-Version": "1.0",
    "User-Agent": "org.odk.collect.android/v2024.3.1 okhttp/4.12.0",
}


# The machine -----------------------------------------------------------------------------


def machine(folder: Path) -> str:
    """Cores, CPU, memory, the disk holding ``folder`` with its fsync time, Python."""
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = 0.0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) / 1024 / 1024
    device, fs = _mount_of(folder)
    return (
        f"machine: {os.cpu_count()} cores ({cpu}), {memory:.1f} GiB RAM; disk {device} ({fs},"
        f" {_rotational(device)}), write+fsync of 4 KiB {fsync_ms(folder):.2f} ms;"
        f" Python {platform.python_version()}, Linux {platform.release()};"
        f" load average {os.getloadavg()[0]:.1f} before the run"
    )


def fsync_ms(folder: Path, rounds: int = 200) -> float:
    path = folder / f"fsync-probe-{uuid.uuid4().hex}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        started = time.perf_counter()
        for _ in range(rounds):
            os.write(fd, b"x" * 4096)
            os.fsync(fd)
        return (time.perf_counter() - started) / rounds * 1000
    finally:
        os.close(fd)
        path.unlink()


def _mount_of(folder: Path) -> tuple[str, str]:
    best = ("?", "?", "")
    target = str(folder.resolve())
    for line in Path("/proc/mounts").read_text().splitlines():
        device, point, fs = line.split()[:3]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[2]):
            best = (device, fs, point)
    return best[0], best[1]


def _rotational(device: str) -> str:
    name = Path(device).name
    for candidate in (name, name.rstrip("0123456789"), name.rstrip("0123456789").rstrip("p")):
        flag = Path(f"/sys/block/{candidate}/queue/rotational")
        if flag.is_file():
            return f"rotational={flag.read_text().strip()}"
    return "rotational=?"


# Databases and processes -----------------------------------------------------------------


@contextmanager
def database(kind: str) -> Iterator[str | None]:
    """None for SQLite (the data folder's default file), or a fresh PostgreSQL database URL."""
    if kind == "sqlite":
        yield None
        return
    if kind != "postgresql":
        raise SystemExit(f"unknown database {kind!r}: sqlite or postgresql")
    import psycopg

    name = f"jaring_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def workspace(name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"jaring-bench-{name}-") as folder:
        yield Path(folder)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARING_")}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _jaring() -> list[str]:
    script = BIN / "jaring"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from server.cli import main; main()"]


@dataclass
class Server:
    """A server process on 127.0.0.1:port, its output going to a log file."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    workers: int = 1

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"{self.name} exited; see its log:\n{self.log.read_text()[-3000:]}"
                )
            try:
                httpx.get(f"{self.url}/v1/users/current", timeout=1.0)
                if self.workers == 1 or self._workers_started() >= self.workers:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"{self.name} did not start within {timeout} s; see {self.log}")

    def _workers_started(self) -> int:
        return self.log.read_text(errors="replace").count("Application startup complete")

    def cpu_seconds(self) -> float:
        """User and system CPU time used so far by the process and all below it (workers)."""
        pids = [self.process.pid, *_descendants(self.process.pid)]
        return sum(_cpu_seconds(pid) for pid in pids)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                # Its own session (see `_start`): the workers go with it.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name; None once it has gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _cpu_seconds(pid: int) -> float:
    fields = _proc_stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (uvicorn's workers and their helpers), walking /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        fields = _proc_stat(int(entry.name)) if entry.name.isdigit() else None
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    waiting = [pid]
    while waiting:
        below = children.get(waiting.pop(), [])
        found += below
        waiting += below
    return found


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def _start(
    name: str, argv: list[str], log: Path, env: dict[str, str], port: int, workers: int
) -> Server:
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True
        )
    return Server(name=name, port=port, process=process, log=log, workers=workers)


def create_admin(data_dir: Path, database_url: str | None) -> None:
    """The benchmark's administrator, made with ``jaring users create`` (schema upgraded)."""
    subprocess.run(
        [*_jaring(), "users", "create", ADMIN_EMAIL, "--admin", "--password-stdin"]
        + ["--data-dir", str(data_dir)],
        input=f"{ADMIN_PASSWORD}\n".encode(),
        env=_environment(database_url),
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def default_workers() -> int:
    """What ``jaring serve`` runs without ``--workers``: one process per core."""
    from server.cli import default_workers as serve_default

    return serve_default()


def start_jaring(
    data_dir: Path,
    database_url: str | None,
    *,
    name: str = "jaring",
    workers: int = 1,
    blob_store: str | None = None,
) -> Server:
    """``jaring serve`` on a free port, as an operator would run it (``blob_store``:
    JARING_BLOB_STORE, unset for the default)."""
    port = free_port()
    argv = [*_jaring(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--data-dir", str(data_dir), "--workers", str(workers)]
    log = data_dir.parent / f"{name}-{port}.log"
    env = _environment(database_url)
    if blob_store:
        env["JARING_BLOB_STORE"] = blob_store
    return _start(name, argv, log, env, port, workers)


def start_floor(folder: Path, fixtures: Path | None = None, *, workers: int = 1) -> Server:
    """The bare FastAPI app of ``floor_app.py`` on the same uvicorn set-up (and workers)."""
    port = free_port()
    argv = [sys.executable, str(BENCH_DIR / "floor_app.py"), "--port", str(port)]
    argv += ["--workers", str(workers)]
    if fixtures is not None:
        argv += ["--fixtures", str(fixtures)]
    log = folder / f"floor-{port}.log"
    return _start("floor", argv, log, _environment(None), port, workers)


# A project to work against ---------------------------------------------------------------


@dataclass
class Site:
    """A project on a running Jaring with published forms and an app user assigned to them."""

    client: CentralClient
    project_id: int
    form_ids: list[str]
    token: str

    def collect_path(self) -> str:
        return f"/v1/key/{self.token}/projects/{self.project_id}"

    def stored_instance_ids(self, form_id: str) -> list[str]:
        rows = self.client.json("GET", f"/projects/{self.project_id}/forms/{form_id}/submissions")
        return [row["instanceId"] for row in rows]


def prepare_site(base_url: str, forms: list[bytes]) -> Site:
    """Log in as the administrator, create a project, publish ``forms``, make an app user."""
    client = CentralClient(Credentials(base_url, ADMIN_EMAIL, ADMIN_PASSWORD), timeout=120)
    project = client.json("POST", "/projects", json={"name": "Benchmark"})
    project_id = int(project["id"])
    form_ids = []
    for xml in forms:
        created = client.json(
            "POST",
            f"/projects/{project_id}/forms",
            params={"publish": "true"},
            content=xml,
            headers={"Content-Type": "application/xml"},
        )
        form_ids.append(created["xmlFormId"])
    app_user = client.json("POST", f"/projects/{project_id}/app-users", json={"displayName": "HP"})
    for form_id in form_ids:
        client.request(
            "POST", f"/projects/{project_id}/forms/{form_id}/assignments/app-user/{app_user['id']}"
        )
    return Site(client=client, project_id=project_id, form_ids=form_ids, token=app_user["token"])


# The benchmark form and its submissions --------------------------------------------------


def bench_xform(form_id: str = "sensus_usaha", version: str = "2026.1") -> bytes:
    """A mapping questionnaire: sections, selects, a geopoint, a repeat, a photo."""
    text = [
        "enumerator", "nama_usaha", "nama_pemilik", "no_hp", "alamat", "desa", "kecamatan",
        "kabupaten", "provinsi", "produk_utama", "mitra", "tantangan", "catatan",
    ]  # fmt: skip
    ints = ["umur", "tahun_berdiri", "jumlah_anggota", "anggota_perempuan", "pekerja_tetap"]
    decimals = ["omzet_bulanan", "modal_awal"]
    selects = ["jenis_kelamin", "sektor", "badan_hukum", "pembukuan", "akses_kredit"]
    multi = ["pasar", "pelatihan"]
    fields = text + ints + decimals + selects + multi
    binds = [f'<bind nodeset="/data/usaha/{n}" type="string"/>' for n in text]
    binds += [f'<bind nodeset="/data/usaha/{n}" type="int"/>' for n in ints]
    binds += [f'<bind nodeset="/data/usaha/{n}" type="decimal"/>' for n in decimals]
    binds += [f'<bind nodeset="/data/usaha/{n}" type="select1"/>' for n in selects]
    binds += [f'<bind nodeset="/data/usaha/{n}" type="select"/>' for n in multi]
    body = [f'<input ref="/data/usaha/{n}"><label>{n}</label></input>' for n in fields]
    instance = "".join(f"<{n}/>" for n in fields)
    return f"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
 xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms"
 xmlns:odk="http://www.opendatakit.org/xforms">
<h:head><h:title>Sensus usaha {form_id}</h:title><model odk:xforms-version="1.0.0">
<instance><data id="{form_id}" version="{version}">
<start/><end/><usaha>{instance}</usaha><lokasi/><foto/>
<kegiatan jr:template=""><jenis/><pendapatan/></kegiatan>
<meta><instanceID/><instanceName/></meta></data></instance>
<bind nodeset="/data/start" type="dateTime" jr:preload="timestamp" jr:preloadParams="start"/>
<bind nodeset="/data/end" type="dateTime" jr:preload="timestamp" jr:preloadParams="end"/>
{"".join(binds)}
<bind nodeset="/data/lokasi" type="geopoint"/>
<bind nodeset="/data/foto" type="binary"/>
<bind nodeset="/data/kegiatan/jenis" type="string"/>
<bind nodeset="/data/kegiatan/pendapatan" type="decimal"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
<bind nodeset="/data/meta/instanceName" type="string" calculate="/data/usaha/nama_usaha"/>
</model></h:head>
<h:body><group ref="/data/usaha">{"".join(body)}</group>
<input ref="/data/lokasi"><label>Lokasi</label></input>
<upload ref="/data/foto" mediatype="image/*"><label>Foto</label></upload>
<group ref="/data/kegiatan"><repeat nodeset="/data/kegiatan">
<input ref="/data/kegiatan/jenis"><label>Jenis</label></input>
<input ref="/data/kegiatan/pendapatan"><label>Pendapatan</label></input>
</repeat></group></h:body></h:html>""".encode()


def bench_submission(
    form_id: str = "sensus_usaha",
    version: str = "2026.1",
    *,
    instance_id: str = "@@ID@@",
    photo: bool = False,
) -> bytes:
    """About 2 KB of submission XML for `bench_xform`, as ODK Collect writes it."""
    usaha = {
        "enumerator": "Siti Rahmawati (enumerator Makassar 03)",
        "nama_usaha": "Koperasi Wanita Tenun Sejahtera Bersama",
        "nama_pemilik": "Ibu Nurhayati Daeng Caya",
        "no_hp": "+62 812 4455 6677",
        "alamat": "Jl. Poros Malino km 12, RT 03 / RW 05, dekat masjid Nurul Iman",
        "desa": "Bontoparang",
        "kecamatan": "Parangloe",
        "kabupaten": "Gowa",
        "provinsi": "Sulawesi Selatan",
        "produk_utama": "kain tenun sutra, sarung, selendang dan tas anyaman lontar",
        "mitra": "Dinas Koperasi, Bank NTB Syariah, komunitas pengrajin Sengkang",
        "tantangan": "harga benang naik; pemasaran daring masih terbatas; akses modal kerja",
        "catatan": "Anggota bertemu setiap Jumat. Rencana membuka toko bersama di pasar kecamatan"
        " dan pelatihan pewarna alami bersama kelompok tani hutan.",
        "umur": "47",
        "tahun_berdiri": "2014",
        "jumlah_anggota": "32",
        "anggota_perempuan": "29",
        "pekerja_tetap": "6",
        "omzet_bulanan": "18500000",
        "modal_awal": "7500000",
        "jenis_kelamin": "perempuan",
        "sektor": "kerajinan",
        "badan_hukum": "koperasi",
        "pembukuan": "sederhana",
        "akses_kredit": "ya",
        "pasar": "lokal kabupaten provinsi daring",
        "pelatihan": "keuangan pemasaran produksi",
    }
    kegiatan = [
        ("tenun sutra", "9500000"),
        ("anyaman lontar", "4200000"),
        ("pewarnaan alami", "2800000"),
        ("simpan pinjam", "2000000"),
    ]
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in usaha.items())
    repeats = "".join(
        f"<kegiatan><jenis>{j}</jenis><pendapatan>{p}</pendapatan></kegiatan>" for j, p in kegiatan
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms"'
        f' id="{form_id}" version="{version}">'
        "<start>2026-03-14T09:12:45.118+08:00</start><end>2026-03-14T09:41:02.730+08:00</end>"
        f"<usaha>{fields}</usaha><lokasi>-5.2783719 119.6387124 412.5 4.8</lokasi>"
        f"<foto>{PHOTO_NAME if photo else ''}</foto>{repeats}"
        f"<meta><instanceID>{instance_id}</instanceID>"
        f"<instanceName>{usaha['nama_usaha']}</instanceName></meta></data>"
    ).encode()


def multipart_body(xml: bytes, *, photo: bool) -> bytes:
    """What ODK Collect POSTs: the XML part, then (here) one photo made distinct by its ID."""
    parts = [
        f"--{BOUNDARY}\r\n".encode(),
        b'Content-Disposition: form-data; name="xml_submission_file"; filename="submission.xml"'
        b"\r\nContent-Type: text/xml\r\n\r\n",
        xml,
        b"\r\n",
    ]
    if photo:
        noise = (bytes(range(256)) * (PHOTO_BYTES // 256 + 1))[:PHOTO_BYTES]
        parts += [
            f"--{BOUNDARY}\r\n".encode(),
            f'Content-Disposition: form-data; name="{PHOTO_NAME}";'.encode(),
            f' filename="{PHOTO_NAME}"'.encode(),
            b"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0@@ID@@",
            noise,
            b"\r\n",
        ]
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def submit_spec(
    folder: Path, path: str, *, photo: bool = False, form_id: str = "sensus_usaha"
) -> Path:
    """A spec folder for the load tool: POST distinct submissions to ``path``."""
    spec = folder / f"spec-submit-{uuid.uuid4().hex[:8]}"
    spec.mkdir()
    (spec / "mode").write_text("submit\n")
    (spec / "path").write_text(path + "\n")
    headers = {**COLLECT_HEADERS, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    (spec / "headers").write_text("".join(f"{k}: {v}\n" for k, v in headers.items()))
    (spec / "body").write_bytes(multipart_body(bench_submission(form_id, photo=photo), photo=photo))
    return spec


def get_spec(folder: Path, paths: list[str]) -> Path:
    """A spec folder for the load tool: GET ``paths`` in turn."""
    spec = folder / f"spec-get-{uuid.uuid4().hex[:8]}"
    spec.mkdir()
    (spec / "mode").write_text("get\n")
    (spec / "paths").write_text("".join(p + "\n" for p in paths))
    (spec / "headers").write_text("".join(f"{k}: {v}\n" for k, v in COLLECT_HEADERS.items()))
    return spec


# The load tool ---------------------------------------------------------------------------


def choose_tool(preference: str = "auto") -> str:
    """``wrk`` (installing it from Debian if need be and allowed) or ``python``."""
    if preference == "python":
        return "python"
    if shutil.which("wrk") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing it from Debian (apt-get install wrk)…", file=sys.stderr)
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    if shutil.which("wrk") is not None:
        return "wrk"
    if preference == "wrk":
        raise SystemExit("wrk is not installed and could not be installed (apt-get install wrk)")
    print("wrk is not available: using the Python load tool (pyload.py)", file=sys.stderr)
    return "python"


@dataclass
class LoadReport:
    """What one load run saw: counts, latencies, and (for submissions) instanceIDs."""

    tool: str
    duration_s: float
    responses: int
    errors: int
    latency_ms: dict[str, float]
    threads: list[dict[str, Any]]
    server_cpu_s: float = 0.0

    def cpu_ms_per(self, status: str | None = None) -> float:
        """Server CPU time per response (of ``status``): the work each one cost."""
        done = self.responses if status is None else self.count(status)
        return self.server_cpu_s * 1000 / done if done else 0.0

    def statuses(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for thread in self.threads:
            for key, count in thread["statuses"].items():
                totals[key] = totals.get(key, 0) + count
        return totals

    def count(self, status: str) -> int:
        return self.statuses().get(status, 0)

    def per_second(self, status: str | None = None) -> float:
        done = self.responses if status is None else self.count(status)
        return done / self.duration_s if self.duration_s else 0.0

    def maybe_ids(self) -> set[str]:
        """Sent but never answered: dropped with a connection, or in flight at the end."""
        return {i for thread in self.threads for i in thread["unknown"]}

    def refused(self) -> dict[str, str]:
        return {
            entry.rsplit(" ", 1)[0]: entry.rsplit(" ", 1)[1]
            for thread in self.threads
            for entry in thread["refused"]
        }

    def acked_ids(self) -> set[str]:
        sent = {f"{t['id']}{n}" for t in self.threads for n in range(1, int(t["sent"]) + 1)}
        return sent - self.maybe_ids() - set(self.refused())

    def other_statuses(self, expected: str) -> str:
        others = {k: v for k, v in self.statuses().items() if k != expected}
        text = ", ".join(f"{v} × {k}" for k, v in sorted(others.items())) or "none other"
        return text + (f", {self.errors} socket errors" if self.errors else "")


def start_load(
    tool: str,
    url: str,
    spec: Path,
    *,
    connections: int,
    seconds: float,
    prefix: str,
    out: Path,
) -> subprocess.Popen[bytes]:
    """Start the load tool in its own process; `finish_load` waits for it and reads its report."""
    if tool == "wrk":
        env = {**os.environ, "BENCH_SPEC": str(spec), "BENCH_OUT": str(out), "BENCH_PREFIX": prefix}
        argv = ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{seconds:g}s"]
        argv += ["--timeout", "30s", "-s", str(BENCH_DIR / "wrk.lua"), url]
        return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    argv = [sys.executable, str(BENCH_DIR / "pyload.py"), url, "--spec", str(spec)]
    argv += ["--out", str(out), "--prefix", prefix, "--connections", str(connections)]
    argv += ["--seconds", str(seconds)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL)


def finish_load(process: subprocess.Popen[bytes], out: Path) -> LoadReport:
    if process.wait() != 0 or not out.is_file():
        raise SystemExit(f"the load tool failed (exit status {process.returncode})")
    return LoadReport(**json.loads(out.read_text()))


def run_load(
    tool: str,
    url: str,
    spec: Path,
    *,
    connections: int,
    seconds: float,
    prefix: str,
    servers: list[Server] | None = None,
) -> LoadReport:
    """Run the load tool to its end; ``servers``' CPU time over the run goes in the report."""
    out = spec.parent / f"report-{prefix or 'get'}-{uuid.uuid4().hex[:6]}.json"
    before = sum(s.cpu_seconds() for s in servers or [])
    process = start_load(
        tool, url, spec, connections=connections, seconds=seconds, prefix=prefix, out=out
    )
    report = finish_load(process, out)
    report.server_cpu_s = sum(s.cpu_seconds() for s in servers or []) - before
    return report


# Checking and printing -------------------------------------------------------------------


@dataclass
class Verdict:
    """The stored rows against what the load tool saw acknowledged."""

    stored: int
    distinct: int
    acked: int
    maybe_stored: int
    maybe: int
    lost: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.stored - self.distinct

    @property
    def ok(self) -> bool:
        return not self.lost and not self.unexpected and self.duplicates == 0

    def line(self) -> str:
        return (
            f"stored {self.stored} rows = {self.acked} acknowledged (201)"
            f" + {self.maybe_stored} of {self.maybe} unanswered when the load stopped;"
            f" duplicates {self.duplicates}, lost {len(self.lost)},"
            f" never acknowledged {len(self.unexpected)}: {'OK' if self.ok else 'FAILED'}"
            + (f" e.g. lost {self.lost[:3]}" if self.lost else "")
            + (f" e.g. unexpected {self.unexpected[:3]}" if self.unexpected else "")
        )


def check_stored(stored_ids: list[str], reports: list[LoadReport]) -> Verdict:
    """Every acknowledged instanceID stored once; nothing stored that was not sent."""
    acked = set().union(*(r.acked_ids() for r in reports))
    maybe = set().union(*(r.maybe_ids() for r in reports)) - acked
    stored = set(stored_ids)
    return Verdict(
        stored=len(stored_ids),
        distinct=len(stored),
        acked=len(acked),
        maybe_stored=len(stored & maybe),
        maybe=len(maybe),
        lost=sorted(acked - stored),
        unexpected=sorted(stored - acked - maybe),
    )


def latency_text(report: LoadReport) -> str:
    lat = report.latency_ms
    return f"p50 {lat['p50']:.1f} ms  p99 {lat['p99']:.1f} ms"


def settle(seconds: float = 1.0) -> None:
    """Let requests still in flight when the load tool stopped finish on the server."""
    time.sleep(seconds)
