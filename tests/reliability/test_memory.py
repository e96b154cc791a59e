"""Memory: a 100 MB attachment goes up to a real `jaring serve` and comes back down
without the server's resident memory growing by 30 MB, on each blob store the database
allows (files; PostgreSQL too when DATABASE_URL is PostgreSQL). Both directions go a
chunk at a time; holding the file whole would cost 100 MB."""

from __future__ import annotations

import hashlib
import os
import random
import uuid
from pathlib import Path

import httpx
import pytest

from server.settings import Settings
from tests.reliability.conftest import Phone
from tests.reliability.support import FORM_ID, OPENROSA, ServerProcess

STORES = ["files", "postgres"] if os.environ.get("DATABASE_URL") else ["files"]
SIZE = 100 * (1 << 20)
MAX_GROWTH = 30 * (1 << 20)


@pytest.fixture(params=STORES)
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return settings.model_copy(update={"blob_store": request.param})


def _memory(pid: int) -> dict[str, int]:
    """The process's resident memory now (VmRSS) and at its peak (VmHWM), in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    return found


def _video(path: Path) -> str:
    rng, sha = random.Random(100), hashlib.sha256()
    with open(path, "wb") as out:
        for _ in range(SIZE // (1 << 20)):
            chunk = rng.randbytes(1 << 20)
            sha.update(chunk)
            out.write(chunk)
    return sha.hexdigest()


def _send(http: httpx.Client, url: str, name: str, path: Path) -> httpx.Response:
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = (
        f'<data id="{FORM_ID}" version="1"><name>Video</name><photo>{name}</photo>'
        f"<meta><instanceID>{instance_id}</instanceID></meta></data>"
    ).encode()
    with open(path, "rb") as video:
        files = [
            ("xml_submission_file", ("submission.xml", xml, "text/xml")),
            (name, (name, video, "video/mp4")),
        ]
        response = http.post(f"{url}/submission", headers=OPENROSA, files=files)
    response.instance_id = instance_id  # type: ignore[attr-defined]
    return response


def test_a_100_mb_attachment_up_and_down_in_bounded_memory(
    settings: Settings, phone: Phone, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    small, video = tmp_path / "small.mp4", tmp_path / "video.mp4"
    small.write_bytes(os.urandom(3 << 20))
    digest = _video(video)
    limit = str(SIZE + (10 << 20))
    with (
        ServerProcess(
            settings, tmp_path / "serve.log", JARING_MAX_SUBMISSION_BYTES=limit
        ) as server,
        httpx.Client(timeout=300) as http,
    ):
        assert server.process is not None
        pid = server.process.pid
        url = phone.server_url(server.url)
        base = f"{server.url}/v1/projects/{phone.project_id}/forms/{FORM_ID}/submissions"
        # Warm up: the first upload and download load what they need once.
        warm = _send(http, url, "small.mp4", small)
        assert warm.status_code == 201, warm.text
        got = http.get(
            f"{base}/{warm.instance_id}/attachments/small.mp4",  # type: ignore[attr-defined]
            headers=admin_headers,
        )
        assert got.content == small.read_bytes()
        before = _memory(pid)["VmRSS"]
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak starts again from now

        sent = _send(http, url, "video.mp4", video)
        assert sent.status_code == 201, sent.text
        sha = hashlib.sha256()
        received = 0
        with http.stream(
            "GET",
            f"{base}/{sent.instance_id}/attachments/video.mp4",  # type: ignore[attr-defined]
            headers=admin_headers,
        ) as download:
            assert download.status_code == 200
            for chunk in download.iter_bytes():
                sha.update(chunk)
                received += len(chunk)
        peak = _memory(pid)["VmHWM"]
    assert received == SIZE and sha.hexdigest() == digest
    print(f"server memory: {before >> 20} MiB before, {peak >> 20} MiB at the peak")
    assert peak - before < MAX_GROWTH, f"the server grew by {(peak - before) >> 20} MiB"
