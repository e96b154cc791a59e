"""Crash safety: SIGKILL a real `jaring serve` while phones upload, and lose nothing.

Several rounds: four phones send submissions with two attachments each, concurrently,
and the server is killed at a random moment. After a restart every submission that got
a 201 is there with identical XML and files, nothing half-written is visible, and every
submission that did not get its 201 goes through cleanly when the phone retries (as a
new submission, or as a resend of one whose answer the crash swallowed).
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import httpx

from server.domain import Services
from server.settings import Settings
from tests.reliability.conftest import Phone
from tests.reliability.support import (
    Sent,
    ServerProcess,
    check_no_half_writes,
    check_stored,
    new_submission,
    post_submission,
)

ROUNDS = 3
PHONES = 4


def _upload_until(stop: threading.Event, url: str, seed: int, out: list[Sent]) -> None:
    rng = random.Random(seed)
    with httpx.Client(timeout=20) as http:
        while not stop.is_set():
            sent = new_submission(rng)
            out.append(sent)
            try:
                post_submission(http, url, sent)
            except httpx.TransportError as error:
                sent.statuses.append(type(error).__name__)
                return  # the server is gone; this phone retries after the restart


def test_acknowledged_submissions_survive_sigkill(
    settings: Settings, services: Services, phone: Phone, tmp_path: Path
) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    server = ServerProcess(settings, tmp_path / "serve.log")
    everything: list[Sent] = []
    try:
        server.start()
        for round_number in range(ROUNDS):
            url = phone.server_url(server.url)
            stop = threading.Event()
            this_round: list[Sent] = []
            phones = [
                threading.Thread(
                    target=_upload_until, args=(stop, url, rng.getrandbits(32), this_round)
                )
                for _ in range(PHONES)
            ]
            for thread in phones:
                thread.start()
            time.sleep(rng.uniform(0.3, 1.5))
            server.kill()
            stop.set()
            for thread in phones:
                thread.join(timeout=30)
            everything.extend(this_round)
            context = f"seed {seed}, round {round_number}"
            assert any(s.acked for s in this_round), f"nothing was acknowledged ({context})"

            server.start()
            check_no_half_writes(services)
            check_stored(services, [s for s in everything if s.acked])
            unanswered = [s for s in this_round if not s.acked]
            acked = [s for s in this_round if s.acked]
            resends = rng.sample(acked, min(2, len(acked)))
            with httpx.Client(timeout=30) as http:
                for sent in unanswered + resends:
                    status = post_submission(http, phone.server_url(server.url), sent)
                    assert status == 201, f"retry of {sent.instance_id}: {status} ({context})"
            check_stored(services, everything)
            assert check_no_half_writes(services) == len(everything), context
    finally:
        server.kill()
