"""Ingest: phones POSTing distinct submissions, Jaring against the bare floor in one run.

    .venv/bin/python scripts/bench/ingest.py [--db sqlite|postgresql] [--phones 16]
        [--seconds 10] [--photo] [--blobs files|postgres|both] [--tool auto|wrk|python]
        [--workers N]

Each phone is one kept-alive connection sending one submission at a time (about 2 KB of
XML; with ``--photo`` also a distinct 200 KB photo), every one with its own instanceID.
The floor (``floor_app.py``) runs first, then ``jaring serve`` in a temporary data folder
(on a fresh PostgreSQL database with ``--db postgresql``); each gets a short warm-up
before the measured run. Afterwards the submissions Jaring lists through its REST API
are compared with the instanceIDs it acknowledged: each stored exactly once, none lost,
nothing stored that was not acknowledged (but those still in flight when the load tool
stopped, which may or may not have been stored). The exit status is 1 if that fails.
``--workers N`` runs both Jaring and the floor as N server processes.

``--blobs`` sets JARING_BLOB_STORE (unset: the default, files on SQLite and postgres on
PostgreSQL). ``--blobs both`` (PostgreSQL, photos) runs Jaring twice, each on a fresh
database and data folder, with the photos as files and then in PostgreSQL, and prints
the ratio of the two rates (target: at least 0.7).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import common


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--phones", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--photo", action="store_true", help="one 200 KB photo per submission")
    parser.add_argument("--blobs", choices=["files", "postgres", "both"], default=None)
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--workers",
        type=int,
        default=common.default_workers(),
        help="server processes, each server (default: as jaring serve, one per core)",
    )
    args = parser.parse_args()
    if args.blobs == "both":
        if args.db != "postgresql":
            parser.error("--blobs both compares blob stores on PostgreSQL: add --db postgresql")
        args.photo = True
    tool = common.choose_tool(args.tool)
    what = "2 KB XML + one 200 KB photo" if args.photo else "2 KB XML"
    load = dict(connections=args.phones, seconds=args.seconds)
    warm = dict(connections=args.phones, seconds=args.warmup)
    stores: list[str | None] = ["files", "postgres"] if args.blobs == "both" else [args.blobs]

    with common.workspace("ingest") as folder:
        print(
            f"ingest on {args.db}: {args.phones} phones, {args.seconds:g} s, {what};"
            f" load tool {tool}, one connection per phone; {args.workers} server workers"
        )
        print(common.machine(folder))

        with common.running(common.start_floor(folder, workers=args.workers)) as floor:
            spec = common.submit_spec(
                folder, "/v1/key/floor/projects/1/submission", photo=args.photo
            )
            common.run_load(tool, floor.url, spec, prefix="uuid:warm-", **warm)
            floor_report = common.run_load(
                tool, floor.url, spec, prefix="uuid:floor-", servers=[floor], **load
            )

        runs = []
        for store in stores:
            with common.database(args.db) as database_url:
                runs.append(
                    (store, *_jaring_run(folder, database_url, store, args, tool, warm, load))
                )

    ok = True
    print(_line("floor ", args.db, floor_report))
    for store, report, verdict, photos in runs:
        name = f"jaring (blobs: {store or 'default'})" if store else "jaring"
        print(_line(name, args.db, report))
        ratio = report.per_second("201") / floor_report.per_second("201")
        print(f"ratio = {name} / floor = {ratio:.2f}")
        cpu_ratio = floor_report.cpu_ms_per("201") / max(report.cpu_ms_per("201"), 1e-9)
        print(f"ratio of server CPU per submission = floor / {name} = {cpu_ratio:.2f}")
        print(f"check: {verdict.line()}")
        if photos is not None:
            print(f"check: photos stored for {photos[0]} of {photos[1]} sampled submissions")
        ok = ok and verdict.ok and (photos is None or photos[0] == photos[1])
    if len(runs) == 2:
        files, postgres = runs[0][1], runs[1][1]
        ratio = postgres.per_second("201") / files.per_second("201")
        print(f"ratio = blobs in PostgreSQL / blobs on files = {ratio:.2f} (target >= 0.7)")
    return 0 if ok else 1


def _jaring_run(
    folder: Any,
    database_url: str | None,
    store: str | None,
    args: Any,
    tool: str,
    warm: Any,
    load: Any,
) -> tuple[common.LoadReport, Any, tuple[int, int] | None]:
    data_dir = folder / f"data-{store or 'default'}"
    common.create_admin(data_dir, database_url)
    server = common.start_jaring(data_dir, database_url, workers=args.workers, blob_store=store)
    with common.running(server) as jaring:
        site = common.prepare_site(jaring.url, [common.bench_xform()])
        path = f"{site.collect_path()}/submission"
        spec = common.submit_spec(folder, path, photo=args.photo)
        warm_report = common.run_load(tool, jaring.url, spec, prefix="uuid:warm-", **warm)
        report = common.run_load(
            tool, jaring.url, spec, prefix="uuid:bench-", servers=[jaring], **load
        )
        common.settle()
        verdict = common.check_stored(
            site.stored_instance_ids(site.form_ids[0]), [warm_report, report]
        )
        photos = _photos_present(site, report) if args.photo else None
    return report, verdict, photos


def _line(name: str, db: str, result: common.LoadReport) -> str:
    return (
        f"{name} {db:10} {result.per_second('201'):8.1f} submissions/s"
        f"  {common.latency_text(result)}  server CPU {result.cpu_ms_per('201'):.2f} ms each"
        f"  ({result.count('201')} × 201, {result.other_statuses('201')})"
    )


def _photos_present(site: common.Site, report: common.LoadReport) -> tuple[int, int]:
    sample = sorted(report.acked_ids())[:: max(1, len(report.acked_ids()) // 20)][:20]
    base = f"/projects/{site.project_id}/forms/{site.form_ids[0]}/submissions"
    present = 0
    for instance_id in sample:
        attachments = site.client.json("GET", f"{base}/{instance_id}/attachments")
        present += all(a["exists"] for a in attachments) and len(attachments) == 1
    return present, len(sample)


if __name__ == "__main__":
    sys.exit(main())
