"""The load tool used when wrk cannot be had: httpx in separate processes.

It reads the same spec folder as ``wrk.lua`` (see there) and writes the same JSON report,
so the benchmarks treat both alike. Each process runs its share of the connections on an
asyncio loop; every connection sends one request at a time on a kept-alive connection, as
wrk does. Being Python, it spends far more CPU per request than wrk: its figures are a
lower bound of what the server can do, and the report says which tool made them.

    python scripts/bench/pyload.py URL --spec DIR --out FILE --connections 16 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import time
from pathlib import Path
from typing import Any

import httpx

MARKER = b"@@ID@@"


def read_spec(spec: Path) -> dict[str, Any]:
    headers = {}
    for line in (spec / "headers").read_text().splitlines():
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip()] = value.strip()
    mode = (spec / "mode").read_text().strip()
    loaded: dict[str, Any] = {"mode": mode, "headers": headers}
    if mode == "submit":
        loaded["path"] = (spec / "path").read_text().strip()
        loaded["pieces"] = (spec / "body").read_bytes().split(MARKER)
    else:
        loaded["paths"] = [p for p in (spec / "paths").read_text().splitlines() if p]
    return loaded


async def connection(
    client: httpx.AsyncClient, spec: dict[str, Any], thread_id: str, stop_at: float
) -> dict[str, Any]:
    sent, statuses, refused, unknown, latencies = 0, {}, [], [], []
    while time.monotonic() < stop_at:
        sent += 1
        started = time.perf_counter()
        try:
            if spec["mode"] == "submit":
                instance_id = f"{thread_id}{sent}"
                body = instance_id.encode().join(spec["pieces"])
                response = await client.post(spec["path"], content=body, headers=spec["headers"])
            else:
                path = spec["paths"][(sent - 1) % len(spec["paths"])]
                response = await client.get(path, headers=spec["headers"])
        except httpx.HTTPError:
            if spec["mode"] == "submit":
                unknown.append(instance_id)
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        key = str(response.status_code)
        statuses[key] = statuses.get(key, 0) + 1
        if spec["mode"] == "submit" and response.status_code != 201:
            refused.append(f"{instance_id} {key}")
    return {
        "id": thread_id,
        "sent": sent,
        "statuses": statuses,
        "refused": refused,
        "unknown": unknown,
        "latencies": latencies,
    }


async def drive(url: str, spec: dict[str, Any], ids: list[str], seconds: float) -> Any:
    """Run the connections; return (start, end, per-connection results), wall-clock times."""
    limits = httpx.Limits(max_connections=len(ids), max_keepalive_connections=len(ids))
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0) as client:
        started = time.time()
        stop_at = time.monotonic() + seconds
        results = await asyncio.gather(*(connection(client, spec, i, stop_at) for i in ids))
        return started, time.time(), results


def worker(url: str, spec_dir: str, ids: list[str], seconds: float, queue: Any) -> None:
    spec = read_spec(Path(spec_dir))
    queue.put(asyncio.run(drive(url, spec, ids, seconds)))


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--spec", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    ids = [f"{args.prefix}{n}-" for n in range(1, args.connections + 1)]
    shares = [ids[p :: args.processes] for p in range(args.processes)]
    queue: Any = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=worker, args=(args.url, args.spec, s, args.seconds, queue))
        for s in shares
        if s
    ]
    for proc in procs:
        proc.start()
    outcomes = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    threads = [t for _, _, results in outcomes for t in results]
    duration = max(end for _, end, _ in outcomes) - min(start for start, _, _ in outcomes)
    latencies = [ms for t in threads for ms in t.pop("latencies")]
    report = {
        "tool": f"python (httpx, {len(procs)} processes)",
        "duration_s": duration,
        "responses": len(latencies),
        "errors": sum(len(t["unknown"]) for t in threads),
        "latency_ms": {
            "p50": percentile(latencies, 0.50),
            "p90": percentile(latencies, 0.90),
            "p99": percentile(latencies, 0.99),
            "max": max(latencies, default=0.0),
            "mean": sum(latencies) / len(latencies) if latencies else 0.0,
        },
        "threads": threads,
    }
    Path(args.out).write_text(json.dumps(report))


if __name__ == "__main__":
    main()
