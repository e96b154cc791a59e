"""Decrypting encrypted submissions for one export, with the keys its caller opened.

Nothing decrypted is written anywhere but into the response: a submission's XML is
decrypted in memory (it is small, bounded by the submission size limit), parsed and
flattened like a plain one; a media file is decrypted twice, once to check it whole (its
padding comes last) and once into the response, so a cut or altered file is left out
rather than sent half. A submission that does not decrypt with a key that opened (its
wrapped key or its file altered) stays "not decrypted" in the export, and the others
go on.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

from server.data.encryption import (
    DecryptionFailed,
    check_chunks,
    decrypt_bytes,
    decrypt_chunks,
    file_iv,
    submission_key,
)
from server.data.submission import flatten_values, read_submission
from server.data.xform import FieldInfo
from server.data.xml import XmlError
from server.domain import Services
from server.domain.encryption import OpenKeys
from server.store.exports import AttachmentRow, ExportRow

log = logging.getLogger("jaring.decrypting")
CHUNK = 256 * 1024
ENC_SUFFIX = ".enc"


def decrypt_row(
    services: Services, keys: OpenKeys, fields: list[FieldInfo], row: ExportRow
) -> ExportRow | None:
    """The row with its values decrypted when its key was opened; None when the export
    leaves it out (Central's rule: once passphrases are given, rows encrypted under other
    keys are dropped)."""
    if row.local_key is None or not keys.given:
        return row
    private = keys.private.get(row.key_id) if row.key_id is not None else None
    if private is None:
        return None
    if row.enc_xml_sha is None or row.enc_xml_index is None:
        return row
    instance_id = row.version_instance_id or row.instance_id
    try:
        key = submission_key(private, row.local_key)
        xml = decrypt_bytes(
            key,
            file_iv(instance_id, key, row.enc_xml_index),
            services.blobs.read_bytes(row.enc_xml_sha),
        )
        values = flatten_values(read_submission(xml).root, fields)
    except (DecryptionFailed, XmlError):
        log.warning("submission %s did not decrypt with its form's key", row.instance_id)
        return row
    return dataclasses.replace(row, values=values, decrypted=True)


def decrypted_media(
    services: Services, keys: OpenKeys, attachment: AttachmentRow
) -> tuple[str, Iterator[bytes]] | None:
    """An encrypted media file's plain name and cleartext chunks, or None when its key
    was not opened or it does not decrypt whole."""
    private = keys.private.get(attachment.key_id) if attachment.key_id is not None else None
    if private is None or attachment.local_key is None or attachment.enc_index is None:
        return None
    instance_id = attachment.instance_id or ""
    try:
        key = submission_key(private, attachment.local_key)
        iv = file_iv(instance_id, key, attachment.enc_index)
        check_chunks(key, iv, _chunks(services, attachment.blob_sha))
    except DecryptionFailed:
        log.warning("an encrypted file of submission %s did not decrypt", instance_id)
        return None
    name = attachment.name.removesuffix(ENC_SUFFIX)
    return name, decrypt_chunks(key, iv, _chunks(services, attachment.blob_sha))


def _chunks(services: Services, sha: str) -> Iterator[bytes]:
    with services.blobs.open(sha) as source:
        while chunk := source.read(CHUNK):
            yield chunk
