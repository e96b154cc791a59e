"""Scale-out: two ``jaring serve`` processes on one PostgreSQL against one process.

    .venv/bin/python scripts/bench/scaleout.py [--phones 16] [--seconds 10] [--photo]
        [--tool auto|wrk|python]

Both runs use the same load: two load-tool processes, each with half the phones, send
the *same* sequence of instanceIDs at the same pace, so every submission arrives twice at
about the same moment, as when a phone retries after a lost acknowledgement (both
answers must be 201: the second is a resend). First both load processes drive one
server; then one drives each of two servers sharing the database, each with a data
folder of its own (two machines: no shared disk, the blobs in PostgreSQL), so the
round-robin is by connection across the two ports. Each server is one process
(``--workers 1``): the ratio is what a second process, or machine, adds. ``--photo``
adds a distinct 200 KB photo to every submission. Each run is checked: every
acknowledged instanceID stored exactly once, nothing stored that was never sent.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

import common


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=16, help="in all, split over two loads")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--photo", action="store_true", help="one 200 KB photo per submission")
    args = parser.parse_args()
    tool = common.choose_tool(args.tool)
    half = max(1, args.phones // 2)
    runs: dict[str, tuple[list[common.LoadReport], common.Verdict]] = {}

    with common.workspace("scaleout") as folder, common.database("postgresql") as database_url:
        print(
            f"scale-out on postgresql: {2 * half} phones as two loads of {half}, every"
            f" instanceID sent twice at once, {args.seconds:g} s; load tool {tool};"
            f" {'2 KB XML + one 200 KB photo' if args.photo else '2 KB XML'}, blobs in"
            " PostgreSQL, a data folder per server"
        )
        print(common.machine(folder))
        data_dir = folder / "data-a"
        common.create_admin(data_dir, database_url)
        first = common.start_jaring(data_dir, database_url, name="jaring-a", blob_store="postgres")
        with common.running(first):
            site = common.prepare_site(first.url, [common.bench_xform()])
            spec = common.submit_spec(folder, f"{site.collect_path()}/submission", photo=args.photo)
            _twins(tool, [first, first], folder, spec, half, args.warmup, "uuid:warm1-")
            one = _twins(tool, [first, first], folder, spec, half, args.seconds, "uuid:one-")
            second = common.start_jaring(
                folder / "data-b", database_url, name="jaring-b", blob_store="postgres"
            )
            with common.running(second):
                pair = [first, second]
                _twins(tool, pair, folder, spec, half, args.warmup, "uuid:warm2-")
                two = _twins(tool, pair, folder, spec, half, args.seconds, "uuid:two-")
                common.settle()
                stored = site.stored_instance_ids(site.form_ids[0])
        for name, reports in (("one process", one), ("two processes", two)):
            prefix = "uuid:one-" if name == "one process" else "uuid:two-"
            mine = [i for i in stored if i.startswith(prefix)]
            runs[name] = (reports, common.check_stored(mine, reports))

    rates = {}
    for name, (reports, verdict) in runs.items():
        seconds = max(r.duration_s for r in reports)
        rates[name] = verdict.acked / seconds
        requests = sum(r.responses for r in reports) / seconds
        worst_p99 = max(r.latency_ms["p99"] for r in reports)
        p50 = max(r.latency_ms["p50"] for r in reports)
        others = "; ".join(r.other_statuses("201") for r in reports)
        cpu = reports[0].server_cpu_s * 1000 / max(verdict.acked, 1)
        print(
            f"{name:13} {rates[name]:8.1f} submissions/s ({requests:.1f} POSTs/s)"
            f"  p50 {p50:.1f} ms  p99 {worst_p99:.1f} ms  server CPU {cpu:.2f} ms each"
            f"  (not 201: {others})"
        )
        print(f"check {name}: {verdict.line()}")
    ratio = rates["two processes"] / rates["one process"]
    print(f"ratio = two processes / one process = {ratio:.2f}")
    return 0 if all(verdict.ok for _, verdict in runs.values()) else 1


def _twins(
    tool: str,
    servers: list[common.Server],
    folder: Path,
    spec: Path,
    phones: int,
    seconds: float,
    prefix: str,
) -> list[common.LoadReport]:
    """Two loads at once sending the same instanceIDs, one to each of ``servers``."""
    outs = [folder / f"twin-{uuid.uuid4().hex[:8]}.json" for _ in servers]
    distinct = list({s.port: s for s in servers}.values())
    before = sum(s.cpu_seconds() for s in distinct)
    processes = [
        common.start_load(
            tool, s.url, spec, connections=phones, seconds=seconds, prefix=prefix, out=out
        )
        for s, out in zip(servers, outs, strict=True)
    ]
    reports = [common.finish_load(p, out) for p, out in zip(processes, outs, strict=True)]
    reports[0].server_cpu_s = sum(s.cpu_seconds() for s in distinct) - before
    return reports


if __name__ == "__main__":
    sys.exit(main())
