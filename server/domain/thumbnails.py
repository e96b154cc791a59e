"""Small copies of the photos submissions carry, for the console's table and map.

A thumbnail is made once per photo and size and kept under the data directory
(``cache/thumbnails/<sha256>-<size>.jpg``, named by the photo's own SHA-256, written to
a temporary file and renamed into place), so it is the same file for every submission
that sent that photo. Whoever may download the photo may see its thumbnail, and no one
else: the attachment is looked up with `submissions.attachment_blob`'s permission check
before the cache is read. A cache that cannot be written (a full disk) only costs the
next request the work again.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from server import problems
from server.data import images
from server.domain import Services, submissions
from server.domain.access import Actor

SIZE = 160
log = logging.getLogger("jaring.thumbnails")


def thumbnail(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    name: str,
) -> bytes:
    """The JPEG thumbnail of a photo of the submission's current version (404.1 when
    the file is missing or is not a photo)."""
    _attachment, blob = submissions.attachment_blob(
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        instance_id=instance_id,
        name=name,
    )
    cached = cache_dir(services) / f"{blob.sha256}-{SIZE}.jpg"
    try:
        return cached.read_bytes()
    except FileNotFoundError:
        pass
    try:
        with services.blobs.open(blob.sha256) as source:
            small = images.thumbnail(source, SIZE)
    except (images.NotAnImage, FileNotFoundError) as error:
        raise problems.not_found() from error
    try:
        _write_atomically(cached, small)
    except OSError:
        log.warning("could not keep the thumbnail %s", cached, exc_info=True)
    return small


def cache_dir(services: Services) -> Path:
    return services.settings.data_dir / "cache" / "thumbnails"


def _write_atomically(target: Path, content: bytes) -> None:
    """Write ``target`` whole or not at all (two requests may make it at once)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
