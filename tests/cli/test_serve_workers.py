"""`jaring serve --workers 2`: two server processes on one data folder lose nothing.

A real ``jaring serve`` is started with two workers (on SQLite, or on PostgreSQL when
DATABASE_URL is set). Eight phones send 200 distinct submissions at once, and some of
them twice, the two copies side by side so they tend to reach the two workers together.
Every submission must be acknowledged with a 201 (no 5xx), and the REST API must then
list each acknowledged instanceID exactly once.
"""

from __future__ import annotations

import os
import random
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from server.settings import Settings
from tests.reliability.conftest import Phone
from tests.reliability.support import (
    FORM_ID,
    Sent,
    ServerProcess,
    new_submission,
    post_submission,
)

WORKERS = 2
SUBMISSIONS = 200
RESENT = 40  # of the submissions are also sent a second time, alongside the first
PHONES = 8


def test_two_workers_store_every_acknowledged_submission_once(
    settings: Settings,
    phone: Phone,
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    sent = [new_submission(rng, size=2_000) for _ in range(SUBMISSIONS)]
    server = ServerProcess(settings, tmp_path / "serve.log", JARING_WORKERS=str(WORKERS))
    try:
        server.start()
        assert server.process is not None
        workers = _wait_for_workers(server.process.pid, server.log_path, WORKERS)
        assert len(workers) == WORKERS, f"worker processes: {workers}"

        url = phone.server_url(server.url)
        queues = _deal(_with_resends(sent, RESENT), PHONES)
        with ThreadPoolExecutor(max_workers=PHONES) as pool:
            for finished in [pool.submit(_send_all, url, queue) for queue in queues]:
                finished.result()

        statuses = [status for item in sent for status in item.statuses]
        assert len(statuses) == SUBMISSIONS + RESENT, f"seed {seed}"
        refused = [
            (item.instance_id, item.statuses) for item in sent if set(item.statuses) != {201}
        ]
        assert not refused, f"answers other than 201: {refused[:5]} (seed {seed})"
        listed = _listed_instance_ids(server.url, phone.project_id, admin_headers)
        assert sorted(listed) == sorted(item.instance_id for item in sent), f"seed {seed}"
        assert server.terminate() == 0
    finally:
        server.terminate()


def _with_resends(sent: list[Sent], resent: int) -> list[Sent]:
    """Every submission once, the first ``resent`` of them twice in a row."""
    return [
        copy for index, item in enumerate(sent) for copy in [item] * (2 if index < resent else 1)
    ]


def _deal(jobs: list[Sent], hands: int) -> list[list[Sent]]:
    """Round robin: neighbours in ``jobs`` (a submission and its resend) go to two phones."""
    return [jobs[start::hands] for start in range(hands)]


def _send_all(url: str, queue: list[Sent]) -> None:
    with httpx.Client(timeout=30) as http:
        for item in queue:
            post_submission(http, url, item)


def _listed_instance_ids(origin: str, project_id: int, headers: dict[str, str]) -> list[str]:
    response = httpx.get(
        f"{origin}/v1/projects/{project_id}/forms/{FORM_ID}/submissions",
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return [row["instanceId"] for row in response.json()]


def _wait_for_workers(server_pid: int, log_path: Path, expected: int) -> list[int]:
    """The server's child processes running uvicorn, once ``expected`` of them have started."""
    deadline = time.monotonic() + 60
    while True:
        started = {
            int(pid)
            for pid in re.findall(r"Started server process \[(\d+)\]", log_path.read_text())
        }
        workers = sorted(started & set(_children(server_pid)))
        if len(workers) >= expected or time.monotonic() > deadline:
            return workers
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid``, from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process has gone
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children
