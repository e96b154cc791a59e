"""`pull` with the analysts' passphrase: the tables and media of encrypted submissions,
decrypted by the server for this request alone and written only here.

The server decrypts with a managed key's passphrase (sent in a POST body, never in a URL)
and streams Central's CSV zip; the zip is kept under a temporary name in the output
folder (the analyst's disk), then its tables replace the form's CSVs and its media join
``media/``, each file written under a temporary name and renamed. A wrong passphrase is
the server's 400.12, and nothing is written.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from sync.central import CentralClient
from sync.errors import ProtocolError

CHUNK = 256 * 1024


def managed_keys(client: CentralClient, base: str) -> list[int]:
    """The ids of the managed keys the form's current submissions are encrypted with."""
    listed: list[dict[str, Any]] = client.json("GET", f"{base}/submissions/keys")
    return [int(key["id"]) for key in listed if key.get("managed")]


def pull_decrypted(
    client: CentralClient, *, base: str, out: Path, key_ids: list[int], passphrase: str
) -> int:
    """Write the form's decrypted tables into ``out`` and its media into ``out/media``;
    returns how many media files were new."""
    out.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=out, prefix=".decrypted.", suffix=".zip.part")
    archive_path = Path(name)
    try:
        with os.fdopen(fd, "wb") as archive_file:
            body = {str(key_id): passphrase for key_id in key_ids}
            with client.stream("POST", f"{base}/submissions.csv.zip", json=body) as response:
                for chunk in response.iter_bytes(CHUNK):
                    archive_file.write(chunk)
        try:
            archive = zipfile.ZipFile(archive_path)
        except zipfile.BadZipFile as error:
            raise ProtocolError("the decrypted export is not a zip file") from error
        with archive:
            return _unpack(archive, out)
    finally:
        archive_path.unlink(missing_ok=True)


def _unpack(archive: zipfile.ZipFile, out: Path) -> int:
    new_media = 0
    for entry in archive.infolist():
        parts = entry.filename.split("/")
        if entry.is_dir() or any(p in ("", ".", "..") for p in parts) or len(parts) > 2:
            continue
        if len(parts) == 2 and parts[0] != "media":
            continue
        target = out.joinpath(*parts)
        if len(parts) == 2 and target.exists():
            continue
        with archive.open(entry) as source:
            _write(target, source)
        new_media += len(parts) == 2
    return new_media


def _write(target: Path, source: Any) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            while chunk := source.read(CHUNK):
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
