"""Public atlas benchmark: the map's data and initiative pages under load, on two cores.

One command: ``.venv/bin/python scripts/bench/atlas.py [--db sqlite|postgresql]
[--initiatives 300] [--seconds 10] [--connections 16] [--workers 2] [--tool auto|wrk|python]``.
It makes a temporary data folder (and PostgreSQL database when asked), starts ``jaring
serve`` with ``--workers`` processes (the per-address limit switched off, as behind a
proxy that counts by forwarded address), publishes a small initiative form, sends and
approves N initiatives over the API, publishes an atlas of them, and then measures, with
``wrk`` (or the Python load tool), each for ``--seconds``:

- ``points.geojson``: the map's data (every initiative's id, name and place);
- the initiative pages, each of the N in turn;
- a mix of home, directory, points and initiative pages;
- the phones' form list alone, then while the atlas is under load from many addresses,
  first with no limit at all, then (a second server on the same data) with the default
  limit on all addresses together (`JARING_ATLAS_REQUESTS_PER_SECOND`, 400 a process).

It prints requests per second and the p50 and p99 latencies. Target (issue 18): at least
500 requests/s for the map data and initiative pages on two cores, p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import (  # noqa: E402
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    LoadReport,
    _environment,
    _jaring,
    _start,
    choose_tool,
    create_admin,
    database,
    finish_load,
    free_port,
    get_spec,
    latency_text,
    machine,
    run_load,
    running,
    start_load,
    workspace,
)
from tests.atlas.support import (  # noqa: E402
    SLUG,
    Initiative,
    create_atlas,
    publish_form,
    review,
    submit,
)

PROVINCES = [("73", "73.71"), ("73", "73.09"), ("53", "53.71")]


def seed(base_url: str, count: int) -> tuple[list[str], int]:
    """N approved initiatives and a published atlas; the initiative pages' paths."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        token = client.post(
            "/v1/sessions", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        project = client.post("/v1/projects", json={"name": "Atlas"}, headers=headers).json()
        project_id = int(project["id"])
        publish_form(client, headers, project_id)
        create_atlas(client, headers, project_id)
        for n in range(count):
            province, regency = PROVINCES[n % len(PROVINCES)]
            it = Initiative(
                name=f"Kelompok {n:05d}",
                sector=("tenun", "kopi")[n % 2],
                province=province,
                regency=regency,
                photo=n % 50 == 0,
            )
            submit(client, headers, project_id, it)
            review(client, headers, project_id, it.instance_id, "approved")
        points = client.get(f"/atlas/{SLUG}/points.geojson").json()
        paths = [f"/atlas/{SLUG}/initiatives/{f['id']}" for f in points["features"]]
        assert len(paths) == count, (len(paths), count)
        app_user = client.post(
            f"/v1/projects/{project_id}/app-users", json={"displayName": "HP"}, headers=headers
        ).json()
        client.post(
            f"/v1/projects/{project_id}/forms/atlas_uji/assignments/app-user/{app_user['id']}",
            headers=headers,
        )
    form_list = f"/v1/key/{app_user['token']}/projects/{project_id}/formList"
    return paths, form_list


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--initiatives", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tool", default="auto", choices=("auto", "wrk", "python"))
    args = parser.parse_args()
    tool = choose_tool(args.tool)
    with workspace("atlas") as folder, database(args.db) as database_url:
        data_dir = folder / "data"
        create_admin(data_dir, database_url)
        port = free_port()
        argv = [*_jaring(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--data-dir", str(data_dir), "--workers", str(args.workers)]
        unlimited = {
            **_environment(database_url),
            "JARING_ATLAS_REQUESTS_PER_MINUTE": "0",
            "JARING_ATLAS_REQUESTS_PER_SECOND": "0",
        }
        server = _start("jaring", argv, folder / "jaring.log", unlimited, port, args.workers)
        with running(server):
            base_url = f"http://127.0.0.1:{port}"
            paths, form_list = seed(base_url, args.initiatives)
            print(machine(folder))
            print(
                f"atlas of {args.initiatives} initiatives, {args.db}, {args.workers} workers,"
                f" {args.connections} connections, {tool}, {args.seconds:g} s each"
            )
            base = f"/atlas/{SLUG}"
            runs = {
                "map data (points.geojson)": [f"{base}/points.geojson"],
                "initiative pages": paths,
                "mixed pages": [base, f"{base}/initiatives", f"{base}/points.geojson"] + paths[:50],
            }
            _warm(base_url, sorted({p for run in runs.values() for p in run}))
            for name, run in runs.items():
                spec = get_spec(folder, run)
                report = run_load(
                    tool,
                    base_url,
                    spec,
                    connections=args.connections,
                    seconds=args.seconds,
                    prefix="",
                    servers=[server],
                )
                _show(name, report)
            _phones_beside(tool, base_url, folder, form_list, runs["mixed pages"], args, "off")
        # The same server with the default limit on all addresses together.
        port = free_port()
        argv = [*_jaring(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--data-dir", str(data_dir), "--workers", str(args.workers)]
        per_address_off = {**_environment(database_url), "JARING_ATLAS_REQUESTS_PER_MINUTE": "0"}
        limited = _start(
            "jaring", argv, folder / "jaring-2.log", per_address_off, port, args.workers
        )
        with running(limited):
            base_url = f"http://127.0.0.1:{port}"
            _warm(base_url, runs["mixed pages"])
            _phones_beside(tool, base_url, folder, form_list, runs["mixed pages"], args, "400/s")


def _phones_beside(
    tool: str,
    base_url: str,
    folder: Path,
    form_list: str,
    atlas_paths: list[str],
    args: argparse.Namespace,
    limit: str,
) -> None:
    """The phones' form list alone, then while the atlas is under load from many
    addresses (``limit``: the limit on all addresses together, per process)."""
    phones = get_spec(folder, [form_list])
    few = max(1, args.connections // 4)
    alone = run_load(tool, base_url, phones, connections=few, seconds=args.seconds, prefix="")
    _show(f"formList alone (limit {limit})", alone)
    atlas_spec = get_spec(folder, atlas_paths)
    out = folder / f"report-atlas-beside-{uuid.uuid4().hex[:6]}.json"
    beside = start_load(
        tool,
        base_url,
        atlas_spec,
        connections=args.connections,
        seconds=args.seconds + 2,
        prefix="",
        out=out,
    )
    time.sleep(1)
    during = run_load(tool, base_url, phones, connections=few, seconds=args.seconds, prefix="")
    _show(f"formList + atlas (limit {limit})", during)
    _show(f"atlas beside (limit {limit})", finish_load(beside, out), ok="200")


def _warm(base_url: str, paths: list[str]) -> None:
    """Every path asked for on many new connections, so that each server process has
    made its snapshot and pages before the clock starts."""
    for _ in range(12):
        with httpx.Client(base_url=base_url) as client:
            for path in paths:
                client.get(path)


def _show(name: str, report: LoadReport, ok: str = "200") -> None:
    cpu = f"  server CPU {report.cpu_ms_per(ok):.2f} ms/req" if report.server_cpu_s else ""
    print(
        f"{name:32} {report.per_second(ok):8.0f} req/s  {latency_text(report)}{cpu}"
        f"  (other: {report.other_statuses(ok)})"
    )


if __name__ == "__main__":
    main()
