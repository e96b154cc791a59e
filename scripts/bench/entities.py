"""Entities: entity-creating submissions against plain ones, and a long entity list.

    .venv/bin/python scripts/bench/entities.py [--db sqlite|postgresql] [--phones 8]
        [--seconds 10] [--entities 100000]

One ``jaring serve`` in a temporary data folder. First the ingest rate: phones (concurrent
kept-alive connections, one submission at a time) POST plain submissions to a form that
declares no entities, then submissions that each create an entity; the ratio of the two
rates is printed. Then the list: entities are added in bulk until there are ``--entities``,
and the list phones download (``{name}.csv``) is fetched at a tenth of that size and at the
full size, with the time taken and the server's resident memory (sampled during the
download): flat memory means the list is streamed. Benchmarks are not tests: nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import threading
import time
import uuid
from pathlib import Path

import common
import httpx

PLAIN = b"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
 xmlns:jr="http://openrosa.org/javarosa">
<h:head><h:title>plain</h:title><model>
<instance><data id="plain" version="1"><nama/><desa/><meta><instanceID/></meta></data></instance>
<bind nodeset="/data/nama" type="string"/><bind nodeset="/data/desa" type="string"/>
</model></h:head><h:body/></h:html>"""

ENTITY = b"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
 xmlns:jr="http://openrosa.org/javarosa"
 xmlns:entities="http://www.opendatakit.org/xforms/entities">
<h:head><h:title>registrasi</h:title><model entities:entities-version="2024.1.0">
<instance><data id="registrasi" version="1"><nama/><desa/><meta><instanceID/>
<entity dataset="inisiatif" id="" create="1"><label/></entity></meta></data></instance>
<bind nodeset="/data/nama" type="string" entities:saveto="nama"/>
<bind nodeset="/data/desa" type="string" entities:saveto="desa"/>
<bind nodeset="/data/meta/entity/label" calculate="/data/nama" type="string"/>
</model></h:head><h:body/></h:html>"""

READER = b"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">
<h:head><h:title>kunjungan</h:title><model>
<instance><data id="kunjungan" version="1"><pilih/><meta><instanceID/></meta></data></instance>
<instance id="inisiatif" src="jr://file-csv/inisiatif.csv"/>
</model></h:head><h:body/></h:html>"""


def _submission(form_id: str, entity: bool) -> bytes:
    block = (
        f'<entity dataset="inisiatif" id="{uuid.uuid4()}" create="1"><label>Koperasi</label>'
        "</entity>"
        if entity
        else ""
    )
    return (
        f'<data id="{form_id}" version="1"><nama>Koperasi Wanita Sejahtera</nama>'
        f"<desa>Barombong</desa><meta><instanceID>uuid:{uuid.uuid4()}</instanceID>{block}"
        "</meta></data>"
    ).encode()


async def _load(
    url: str, path: str, form_id: str, entity: bool, phones: int, seconds: float
) -> int:
    done = 0
    deadline = time.monotonic() + seconds

    async def phone(client: httpx.AsyncClient) -> None:
        nonlocal done
        while time.monotonic() < deadline:
            xml = _submission(form_id, entity)
            response = await client.post(
                path,
                files={"xml_submission_file": ("s.xml", xml, "text/xml")},
                headers={"X-OpenRosa-Version": "1.0"},
            )
            if response.status_code == 201:
                done += 1

    limits = httpx.Limits(max_connections=phones)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        await asyncio.gather(*(phone(client) for _ in range(phones)))
    return done


def _rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def _download(server: common.Server, url: str, headers: dict[str, str]) -> tuple[float, int, int]:
    """Seconds, bytes, and the peak resident memory (KB) of the server while it served."""
    pids = [server.process.pid, *common._descendants(server.process.pid)]
    peak = _rss_kb(pids)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _rss_kb(pids))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    size = 0
    with httpx.stream("GET", url, headers=headers, timeout=600) as response:
        for chunk in response.iter_bytes():
            size += len(chunk)
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    return elapsed, size, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--phones", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--entities", type=int, default=100_000)
    args = parser.parse_args()
    with common.workspace("entities") as folder, common.database(args.db) as database_url:
        print(f"entities on {args.db}: {args.phones} phones, {args.seconds:g} s per run")
        print(common.machine(folder))
        data_dir = folder / "data"
        common.create_admin(data_dir, database_url)
        with common.running(common.start_jaring(data_dir, database_url)) as jaring:
            site = common.prepare_site(jaring.url, [PLAIN, ENTITY, READER])
            path = f"{site.collect_path()}/submission"
            rates = {}
            for form_id, entity in (("plain", False), ("registrasi", True)):
                asyncio.run(_load(jaring.url, path, form_id, entity, args.phones, 2.0))
                count = asyncio.run(
                    _load(jaring.url, path, form_id, entity, args.phones, args.seconds)
                )
                rates[form_id] = count / args.seconds
                print(f"{form_id:10} {rates[form_id]:8.1f} submissions/s")
            print(f"ratio = entity-creating / plain = {rates['registrasi'] / rates['plain']:.2f}")

            token = site.client.log_in()
            headers = {"Authorization": f"Bearer {token}"}
            base = f"{jaring.url}/v1/projects/{site.project_id}"
            listed = f"{base}/forms/kunjungan/attachments/inisiatif.csv"
            have = len(httpx.get(f"{base}/datasets/inisiatif/entities", headers=headers).json())
            numbers = itertools.count()
            for target in (args.entities // 10, args.entities):
                started = time.monotonic()
                while have < target:
                    batch = min(5000, target - have)
                    body = {
                        "entities": [
                            {"label": f"inisiatif {next(numbers)}", "data": {"desa": "Barombong"}}
                            for _ in range(batch)
                        ],
                        "source": {"name": "bench"},
                    }
                    response = httpx.post(
                        f"{base}/datasets/inisiatif/entities",
                        json=body,
                        headers=headers,
                        timeout=600,
                    )
                    response.raise_for_status()
                    have += batch
                print(
                    f"{have:7} entities in the list (added in {time.monotonic() - started:.1f} s)"
                )
                elapsed, size, peak = _download(jaring, listed, headers)
                print(
                    f"  inisiatif.csv: {size / 1e6:.1f} MB in {elapsed:.2f} s,"
                    f" server peak RSS {peak / 1024:.0f} MB"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
