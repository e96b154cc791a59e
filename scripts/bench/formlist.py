"""Form list and form download: 100 published forms, 16 phones, Jaring against the floor.

    .venv/bin/python scripts/bench/formlist.py [--db sqlite|postgresql] [--forms 100]
        [--phones 16] [--seconds 10] [--tool auto|wrk|python] [--workers N]

``jaring serve`` runs in a temporary data folder with ``--forms`` forms published and an
app user assigned to all of them; the phones ask for ``formList`` (as ODK Collect does on
"Download form"), then, in a second run, download the forms' XML in turn. The floor
(``floor_app.py``) then answers the very bytes Jaring gave, held in memory, on the same
uvicorn set-up (with ``--workers N``, both as N server processes). p50/p99 latency and
requests/s are printed for each, with the ratios.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import common


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--forms", type=int, default=100)
    parser.add_argument("--phones", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--workers",
        type=int,
        default=common.default_workers(),
        help="server processes, each server (default: as jaring serve, one per core)",
    )
    args = parser.parse_args()
    tool = common.choose_tool(args.tool)
    load: dict[str, Any] = dict(connections=args.phones, seconds=args.seconds, prefix="")
    warm: dict[str, Any] = dict(connections=args.phones, seconds=args.warmup, prefix="")
    results: dict[str, dict[str, common.LoadReport]] = {"jaring": {}, "floor": {}}

    with common.workspace("formlist") as folder, common.database(args.db) as database_url:
        print(
            f"form list on {args.db}: {args.forms} forms, {args.phones} phones,"
            f" {args.seconds:g} s per figure; load tool {tool}, one connection per phone;"
            f" {args.workers} server workers"
        )
        print(common.machine(folder))
        data_dir = folder / "data"
        fixtures = folder / "fixtures"
        (fixtures / "forms").mkdir(parents=True)
        common.create_admin(data_dir, database_url)
        jaring_server = common.start_jaring(data_dir, database_url, workers=args.workers)
        with common.running(jaring_server) as jaring:
            xforms = [common.bench_xform(f"sensus_{n:03d}") for n in range(1, args.forms + 1)]
            site = common.prepare_site(jaring.url, xforms)
            base = site.collect_path()
            downloads = [f"{base}/forms/{form_id}.xml" for form_id in site.form_ids]
            form_list = site.client.client.get(
                f"{jaring.url}{base}/formList", headers=common.COLLECT_HEADERS
            )
            form_list.raise_for_status()
            listed = form_list.text.count("<xform>")
            if listed != args.forms:
                raise SystemExit(f"the form list shows {listed} forms, not {args.forms}")
            (fixtures / "formList.xml").write_bytes(form_list.content)
            for form_id, path in zip(site.form_ids, downloads, strict=True):
                body = site.client.client.get(f"{jaring.url}{path}", headers=common.COLLECT_HEADERS)
                body.raise_for_status()
                (fixtures / "forms" / f"{form_id}.xml").write_bytes(body.content)
            results["jaring"] = _measure(tool, jaring, folder, base, downloads, load, warm)

        floor_server = common.start_floor(folder, fixtures, workers=args.workers)
        with common.running(floor_server) as floor:
            floor_base = "/v1/key/floor/projects/1"
            floor_downloads = [f"{floor_base}/forms/{form_id}.xml" for form_id in site.form_ids]
            results["floor"] = _measure(
                tool, floor, folder, floor_base, floor_downloads, load, warm
            )

    ok = True
    for figure in ("formList", "form download"):
        for name in ("floor", "jaring"):
            report = results[name][figure]
            ok = ok and report.count("200") == report.responses and not report.errors
            print(
                f"{name:6} {figure:13} {args.db:10} {common.latency_text(report)}"
                f"  {report.per_second():8.1f} requests/s"
                f"  server CPU {report.cpu_ms_per():.2f} ms each"
                f"  ({report.count('200')} × 200, {report.other_statuses('200')})"
            )
        ratio = results["jaring"][figure].per_second() / results["floor"][figure].per_second()
        print(f"ratio = jaring / floor ({figure}, requests/s) = {ratio:.2f}")
    return 0 if ok else 1


def _measure(
    tool: str,
    server: common.Server,
    folder: Path,
    base: str,
    downloads: list[str],
    load: dict[str, Any],
    warm: dict[str, Any],
) -> dict[str, common.LoadReport]:
    figures = {}
    for figure, paths in (("formList", [f"{base}/formList"]), ("form download", downloads)):
        spec = common.get_spec(folder, paths)
        common.run_load(tool, server.url, spec, **warm)
        figures[figure] = common.run_load(tool, server.url, spec, servers=[server], **load)
    return figures


if __name__ == "__main__":
    sys.exit(main())
