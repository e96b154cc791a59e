"""ODK Collect's encryption of a finished submission (``EncryptionUtils``), for tests.

Per submission: a random 256-bit AES key, wrapped with the form's RSA public key
(OAEP, SHA-256, MGF1-SHA-256); the media files (indices 0..n-1, in the order given), then
``submission.xml`` (index n), each encrypted with AES-256-CFB128 and PKCS#7 padding under
the IV derived from MD5(instanceID ‖ key); the signature is RSA-OAEP over the MD5 of the
lines form id, version, wrapped key, instanceID and ``name::md5`` per file; and the
manifest, which replaces ``submission.xml``, in Collect's namespace and layout.

Checked against Central's published vectors in ``test_vectors.py``.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field

from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher
from cryptography.hazmat.primitives.ciphers.algorithms import AES
from cryptography.hazmat.primitives.padding import PKCS7

from server.data.encryption import OAEP_SHA256, load_public_key

COLLECT_NS = "http://www.opendatakit.org/xforms/encrypted"


@dataclass
class EncryptedSubmission:
    """What Collect sends: the manifest and the ``*.enc`` files, and what went into them."""

    instance_id: str
    manifest: bytes
    files: dict[str, bytes]  # "photo.jpg.enc" -> ciphertext, the XML last
    aes_key: bytes
    plaintext: dict[str, bytes] = field(default_factory=dict)  # "photo.jpg" -> bytes

    def parts(self) -> dict[str, bytes]:
        """The multipart parts: field name = file name, as Collect posts them."""
        return dict(self.files)


def iv_for(instance_id: str, key: bytes, index: int) -> bytes:
    seed = bytearray(hashlib.md5(instance_id.encode() + key).digest())
    for step in range(index + 1):
        seed[step % 16] = (seed[step % 16] + 1) % 256
    return bytes(seed)


def encrypt_file(key: bytes, iv: bytes, data: bytes) -> bytes:
    padder = PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(AES(key), CFB(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def wrap(public_key: rsa.RSAPublicKey, data: bytes) -> str:
    return base64.b64encode(public_key.encrypt(data, OAEP_SHA256)).decode()


def encrypt_submission(
    public_key_text: str,
    *,
    form_id: str,
    version: str,
    instance_id: str,
    xml: bytes,
    media: dict[str, bytes] | None = None,
    deprecated_id: str | None = None,
    aes_key: bytes | None = None,
) -> EncryptedSubmission:
    public_key = load_public_key(public_key_text)
    key = aes_key or os.urandom(32)
    wrapped = wrap(public_key, key)
    media = media or {}
    files: dict[str, bytes] = {}
    lines = [form_id] + ([version] if version else []) + [wrapped, instance_id]
    for index, (name, data) in enumerate([*media.items(), ("submission.xml", xml)]):
        files[f"{name}.enc"] = encrypt_file(key, iv_for(instance_id, key, index), data)
        lines.append(f"{name}::{hashlib.md5(data).hexdigest()}")
    digest = hashlib.md5("".join(line + "\n" for line in lines).encode()).digest()
    signature = wrap(public_key, digest)
    version_attribute = f' version="{version}"' if version else ""
    deprecated = f"<orx:deprecatedID>{deprecated_id}</orx:deprecatedID>" if deprecated_id else ""
    media_xml = "".join(f"<media><file>{name}.enc</file></media>" for name in media)
    manifest = (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
        f'<data xmlns="{COLLECT_NS}" id="{form_id}"{version_attribute} encrypted="yes">'
        f"<base64EncryptedKey>{wrapped}</base64EncryptedKey>"
        '<orx:meta xmlns:orx="http://openrosa.org/xforms">'
        f"<orx:instanceID>{instance_id}</orx:instanceID>{deprecated}</orx:meta>"
        f"{media_xml}<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>"
        f"<base64EncryptedElementSignature>{signature}</base64EncryptedElementSignature>"
        "</data>"
    ).encode()
    return EncryptedSubmission(
        instance_id=instance_id,
        manifest=manifest,
        files=files,
        aes_key=key,
        plaintext={**media, "submission.xml": xml},
    )
