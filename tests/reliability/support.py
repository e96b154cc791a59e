"""Helpers for tests that run a real `jaring serve` process and check what it stored.

`ServerProcess` starts ``jaring serve`` on this test's data directory and database (the
``settings`` fixture's), waits for ``/healthz``, and stops it with SIGKILL or SIGTERM.
`FORM` has two file questions; `Sent` records one submission and whether it got a 201;
`check_stored` and `check_no_half_writes` read the database and the blob store directly.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import text

from server.domain import Services
from server.settings import Settings

JARING = str(Path(sys.executable).with_name("jaring"))
FORM_ID = "tahan_banting"
OPENROSA = {"X-OpenRosa-Version": "1.0"}

FORM = f"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
 xmlns:jr="http://openrosa.org/javarosa" xmlns:odk="http://www.opendatakit.org/xforms">
<h:head><h:title>Tahan banting</h:title><model odk:xforms-version="1.0.0">
<instance><data id="{FORM_ID}" version="1"><name/><photo/><audio/>
<meta><instanceID/></meta></data></instance>
<bind nodeset="/data/name" type="string"/>
<bind nodeset="/data/photo" type="binary"/>
<bind nodeset="/data/audio" type="binary"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head>
<h:body><input ref="/data/name"><label>Nama</label></input>
<upload ref="/data/photo" mediatype="image/*"><label>Foto</label></upload>
<upload ref="/data/audio" mediatype="audio/*"><label>Suara</label></upload>
</h:body></h:html>""".encode()


@dataclass
class Sent:
    """One submission: its XML and files, and whether the server acknowledged it (201)."""

    instance_id: str
    xml: bytes
    files: dict[str, bytes]
    acked: bool = False
    statuses: list[int | str] = field(default_factory=list)


def new_submission(rng: random.Random, *, size: int = 20_000, name: str = "Ibu Sari") -> Sent:
    """A submission with a photo and a recording of about ``size`` random bytes each."""
    instance_id = f"uuid:{uuid.UUID(int=rng.getrandbits(128))}"
    photo = f"foto-{instance_id[5:13]}.jpg"
    audio = f"suara-{instance_id[5:13]}.m4a"
    xml = (
        f'<data id="{FORM_ID}" version="1"><name>{name}</name><photo>{photo}</photo>'
        f"<audio>{audio}</audio><meta><instanceID>{instance_id}</instanceID></meta></data>"
    ).encode()
    files = {
        photo: rng.randbytes(rng.randint(size // 2, size)),
        audio: rng.randbytes(rng.randint(size // 2, size)),
    }
    return Sent(instance_id=instance_id, xml=xml, files=files)


def multipart_files(sent: Sent) -> list[tuple[str, tuple[str, bytes, str]]]:
    parts = [("xml_submission_file", ("submission.xml", sent.xml, "text/xml"))]
    for name, content in sent.files.items():
        parts.append((name, (name, content, "application/octet-stream")))
    return parts


def post_submission(http: httpx.Client, server_url: str, sent: Sent) -> int:
    response = http.post(f"{server_url}/submission", headers=OPENROSA, files=multipart_files(sent))
    sent.statuses.append(response.status_code)
    if response.status_code == 201:
        sent.acked = True
    return response.status_code


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `jaring` process on this test's data directory and database."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    env["JARING_DATA_DIR"] = str(settings.data_dir)
    env.pop("JARING_BLOB_STORE", None)
    # One process, so that SIGKILL of the process a test holds is a machine's power cut;
    # a test of several processes asks for them.
    env["JARING_WORKERS"] = "1"
    if settings.blob_store:
        env["JARING_BLOB_STORE"] = settings.blob_store
    env.update(extra)
    return env


class ServerProcess:
    """A `jaring serve` process; its standard error (the JSON log) is kept in ``log_path``."""

    def __init__(self, settings: Settings, log_path: Path, **env: str) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = server_env(settings, **env)
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout: float = 30.0) -> ServerProcess:
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [JARING, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=self._log,
            stderr=self._log,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jaring serve exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"jaring serve did not start: {self.log_path.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no chance to finish anything (a power cut, the OOM killer)."""
        self._signal(signal.SIGKILL)

    def terminate(self) -> int:
        """SIGTERM and wait for the exit status (a graceful shutdown)."""
        return self._signal(signal.SIGTERM)

    def _signal(self, signum: int) -> int:
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.kill()


def check_stored(services: Services, sent: list[Sent]) -> None:
    """Every submission in ``sent`` is in the database with identical XML and files."""
    with services.db.read() as session:
        for item in sent:
            row = session.execute(
                text("SELECT id, xml FROM submission_defs WHERE instance_id = :i"),
                {"i": item.instance_id},
            ).one_or_none()
            assert row is not None, f"{item.instance_id} was acknowledged but is missing"
            assert bytes(row.xml) == item.xml
            attachments = {
                a.name: a.blob_sha
                for a in session.execute(
                    text(
                        "SELECT name, blob_sha FROM submission_attachments"
                        " WHERE submission_def_id = :d"
                    ),
                    {"d": row.id},
                )
            }
            assert set(attachments) == set(item.files)
            for name, content in item.files.items():
                digest = hashlib.sha256(content).hexdigest()
                assert attachments[name] == digest, f"{name} of {item.instance_id} differs"
                assert services.blobs.read_bytes(digest) == content


def check_no_half_writes(services: Services, *, files_per_submission: int | None = 2) -> int:
    """Nothing half-written is visible; returns how many submissions there are.

    Every submission has a current version; every attachment of this test's form has
    its file (all files travel in the one POST, so a version without them would be a
    partial write) and each version has all its attachment rows; every blob row and
    every attachment points at a whole file whose contents match its name.
    """
    with services.db.read() as session:
        submissions = session.execute(text("SELECT count(*) FROM submissions")).scalar_one()
        orphans = session.execute(
            text(
                "SELECT count(*) FROM submissions s WHERE NOT EXISTS"
                " (SELECT 1 FROM submission_defs d WHERE d.submission_id = s.id AND d.current)"
            )
        ).scalar_one()
        assert orphans == 0, "a submission without a current version is visible"
        missing = session.execute(
            text(
                "SELECT count(*) FROM submission_attachments a"
                " JOIN submission_defs d ON d.id = a.submission_def_id"
                " JOIN forms f ON f.id = d.form_id"
                " WHERE f.xml_form_id = :form AND a.blob_sha IS NULL"
            ),
            {"form": FORM_ID},
        ).scalar_one()
        assert missing == 0, "a submission is visible without its acknowledged attachments"
        counts = session.execute(
            text(
                "SELECT d.id, count(a.id) AS n FROM submission_defs d"
                " LEFT JOIN submission_attachments a ON a.submission_def_id = d.id"
                " GROUP BY d.id"
            )
        ).all()
        if files_per_submission is not None:
            assert all(row.n == files_per_submission for row in counts), "attachment rows lost"
        referenced: list[Any] = session.execute(
            text(
                "SELECT b.sha256, b.size FROM blobs b UNION"
                " SELECT a.blob_sha, -1 FROM submission_attachments a"
                " WHERE a.blob_sha IS NOT NULL"
            )
        ).all()
    for sha, size in referenced:
        assert services.blobs.exists(sha), f"a row points at the missing blob {sha}"
        content = services.blobs.read_bytes(sha)
        assert hashlib.sha256(content).hexdigest() == sha, f"blob {sha} is damaged"
        assert size in (-1, len(content))
    return int(submissions)
