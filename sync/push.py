"""Pushing XLSForm instruments to a server: `push_instruments`, behind `jaring forms push`.

Every instrument is compiled locally first (an error stops everything before anything is
sent, and names the sheet and row). Then, through the public Central API only, each one
is created as a draft form or given a new draft, its media files are uploaded (only those
the server does not already hold), and the draft is published under the instrument's
version, registering forms before the forms that read their entity lists. An
instrument whose version is already the published one is left alone, so
pushing twice does nothing the second time; publishing a changed instrument without a
new version is refused by the server (409.6) and reported as such.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from server.data.encryption import plain_version
from server.tasks.instruments import (
    CompiledInstrument,
    InstrumentError,
    compile_instrument,
    find_instruments,
    publishing_order,
)
from sync.central import CentralClient, Credentials, credentials_from
from sync.errors import ServerRefused, SyncError

UPLOAD_CHUNK = 64 * 1024
XML_HEADERS = {"Content-Type": "application/xml"}

# Called as bytes go out: (file name, bytes sent so far, total bytes).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PushOutcome:
    """What happened to one instrument: ``created``, ``updated`` or ``unchanged``."""

    form_id: str
    version: str
    action: str
    uploaded: tuple[str, ...] = ()
    encrypted: bool = False  # the published version encrypts its submissions


def compile_all(paths: list[Path]) -> list[CompiledInstrument]:
    """Compile every instrument (a folder means the workbooks in it); all errors at once.

    They come back in publishing order: a form that registers entities before the forms
    that read its entity list."""
    workbooks: list[Path] = []
    for path in paths:
        workbooks.extend(find_instruments(path) if path.is_dir() else [path])
    if not workbooks:
        raise SyncError(f"no .xlsx instruments in {', '.join(str(p) for p in paths)}")
    compiled, findings = [], []
    for workbook in workbooks:
        try:
            compiled.append(compile_instrument(workbook))
        except InstrumentError as error:
            findings.extend(error.findings)
    if findings:
        raise InstrumentError(findings)
    return publishing_order(compiled)


def push_instruments(
    client: CentralClient,
    project_id: int,
    instruments: list[CompiledInstrument],
    *,
    progress: Progress | None = None,
) -> list[PushOutcome]:
    return [push_one(client, project_id, item, progress=progress) for item in instruments]


def push_one(
    client: CentralClient,
    project_id: int,
    instrument: CompiledInstrument,
    *,
    progress: Progress | None = None,
) -> PushOutcome:
    form_path = f"/projects/{project_id}/forms/{quote(instrument.form_id, safe='')}"
    try:
        form = client.json("GET", form_path)
    except ServerRefused as error:
        if error.status != 404:
            raise
        form = None
    if (
        form is not None
        and form.get("publishedAt")
        and plain_version(str(form.get("version") or "")) == instrument.version
    ):
        return PushOutcome(
            instrument.form_id, instrument.version, "unchanged", (), form.get("keyId") is not None
        )
    if form is None:
        client.request(
            "POST",
            f"/projects/{project_id}/forms",
            params={"publish": "false", "ignoreWarnings": "true"},
            content=instrument.xform,
            headers=XML_HEADERS,
        )
        action = "created"
    else:
        client.request(
            "POST",
            f"{form_path}/draft",
            params={"ignoreWarnings": "true"},
            content=instrument.xform,
            headers=XML_HEADERS,
        )
        action = "updated"
    uploaded = _upload_media(client, form_path, instrument, progress)
    client.request("POST", f"{form_path}/draft/publish", params={"version": instrument.version})
    published = client.json("GET", form_path)
    return PushOutcome(
        instrument.form_id,
        instrument.version,
        action,
        tuple(uploaded),
        published.get("keyId") is not None,
    )


def _upload_media(
    client: CentralClient, form_path: str, instrument: CompiledInstrument, progress: Progress | None
) -> list[str]:
    """Upload the draft's media files the server lacks or holds in another version."""
    expected = client.json("GET", f"{form_path}/draft/attachments")
    uploaded = []
    for attachment in expected:
        name = attachment["name"]
        local = instrument.media.get(name)
        if local is None:
            continue
        data = local.read_bytes()
        if attachment.get("hash") == hashlib.md5(data, usedforsecurity=False).hexdigest():
            continue
        client.request(
            "POST",
            f"{form_path}/draft/attachments/{quote(name, safe='')}",
            content=_chunks(name, data, progress),
            headers={"Content-Length": str(len(data))},
        )
        uploaded.append(name)
    return uploaded


def _chunks(name: str, data: bytes, progress: Progress | None) -> Iterator[bytes]:
    total = len(data)
    for start in range(0, total, UPLOAD_CHUNK):
        chunk = data[start : start + UPLOAD_CHUNK]
        yield chunk
        if progress is not None:
            progress(name, start + len(chunk), total)
    if total == 0 and progress is not None:
        progress(name, 0, 0)


def resolve_credentials(
    *,
    server_url: str | None,
    email: str | None,
    prompt: Callable[[], str],
    config_path: Path | None = None,
) -> Credentials:
    """Credentials from options, environment or pyODK config; the password prompted last."""
    try:
        return credentials_from(server_url=server_url, email=email, config_path=config_path)
    except SyncError as error:
        if "password" not in str(error):
            raise
    return credentials_from(
        server_url=server_url, email=email, password=prompt(), config_path=config_path
    )
