"""The ciphers of ODK's encrypted forms and of Central's managed keys (all from `cryptography`).

ODK Collect encrypts each finished submission with the form's RSA public key: a random
256-bit AES key per submission, wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256); each file
(the media first, then ``submission.xml``) encrypted with AES-256-CFB (128-bit segments)
and PKCS#7 padding, under an IV derived from MD5(instanceID ‖ key) by adding one to byte
``i % 16`` for each file ``i`` (the increments add up).

A managed key is an RSA-2048 pair made here: the private key, as PKCS#8 PEM, is kept only
encrypted with AES-256-CBC under a key derived from the passphrase with PBKDF2-HMAC-SHA256
(128,000 iterations), in the record Central keeps (``pubkey``, ``privkey``, ``salt``,
``iv``, each base64). Whoever holds the record and the passphrase can decrypt; nothing
here ever writes the passphrase, the private key or a cleartext anywhere.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher
from cryptography.hazmat.primitives.ciphers.algorithms import AES
from cryptography.hazmat.primitives.ciphers.modes import CBC
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.padding import PKCS7

PBKDF2_ITERATIONS = 128_000
KEY_BITS = 2048
BLOCK = 16
SUBMISSION_KEY_BYTES = 32
ENCRYPTED_SUFFIX = re.compile(r"\[encrypted:[A-Za-z0-9+/]{8}\]$")
OAEP_SHA256 = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None
)


class DecryptionFailed(ValueError):
    """A wrong passphrase, or data that is not what it claims to be: nothing comes out."""


def load_public_key(base64_der: str) -> rsa.RSAPublicKey:
    """A form's ``base64RsaPublicKey`` (base64 DER SubjectPublicKeyInfo) as an RSA key,
    or `ValueError` when it is not one."""
    try:
        key = serialization.load_der_public_key(base64.b64decode(base64_der, validate=True))
    except (ValueError, binascii.Error, UnsupportedAlgorithm) as error:
        raise ValueError("not a base64 DER RSA public key") from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def public_key_text(key: rsa.RSAPublicKey) -> str:
    """The form attribute's text: the SPKI PEM body without armour or line breaks."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def generate_managed_key(passphrase: str) -> tuple[str, dict[str, str]]:
    """A new key pair: the public key's text, and the record that keeps the private key
    encrypted under ``passphrase`` (Central's ``keys.private``)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    salt, iv = os.urandom(16), os.urandom(16)
    padder = PKCS7(128).padder()
    encryptor = Cipher(AES(_passphrase_key(passphrase, salt)), CBC(iv)).encryptor()
    sealed = encryptor.update(padder.update(pem) + padder.finalize()) + encryptor.finalize()
    record = {
        "pubkey": _b64(public_pem),
        "privkey": _b64(sealed),
        "salt": _b64(salt),
        "iv": _b64(iv),
    }
    return public_key_text(private.public_key()), record


def open_managed_key(record: dict[str, Any], passphrase: str) -> rsa.RSAPrivateKey:
    """The private key of a managed key record; `DecryptionFailed` for a wrong passphrase."""
    try:
        salt = base64.b64decode(record["salt"])
        iv = base64.b64decode(record["iv"])
        sealed = base64.b64decode(record["privkey"])
        decryptor = Cipher(AES(_passphrase_key(passphrase, salt)), CBC(iv)).decryptor()
        unpadder = PKCS7(128).unpadder()
        pem = unpadder.update(decryptor.update(sealed) + decryptor.finalize())
        pem += unpadder.finalize()
        key = serialization.load_pem_private_key(pem, password=None)
    except (KeyError, TypeError, ValueError, binascii.Error, UnsupportedAlgorithm) as error:
        raise DecryptionFailed("the passphrase does not open this key") from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DecryptionFailed("the key is not an RSA key")
    return key


def _passphrase_key(passphrase: str, salt: bytes) -> bytes:
    kdf = PBKDF2HMAC(hashes.SHA256(), length=32, salt=salt, iterations=PBKDF2_ITERATIONS)
    return kdf.derive(passphrase.encode("utf-8"))


def wrapped_key_fits(public_key: rsa.RSAPublicKey, base64_encrypted_key: str) -> bool:
    """Whether a manifest's ``base64EncryptedKey`` could have been made with this key:
    base64 of exactly one RSA block. (Only the private key can say more.)"""
    try:
        wrapped = base64.b64decode(base64_encrypted_key, validate=True)
    except (ValueError, binascii.Error):
        return False
    return len(wrapped) == public_key.key_size // 8


def submission_key(private_key: rsa.RSAPrivateKey, base64_encrypted_key: str) -> bytes:
    """The AES key of one submission, unwrapped from its manifest's ``base64EncryptedKey``."""
    try:
        key = private_key.decrypt(base64.b64decode(base64_encrypted_key), OAEP_SHA256)
    except (ValueError, binascii.Error) as error:
        raise DecryptionFailed("the submission's key cannot be unwrapped") from error
    if len(key) != SUBMISSION_KEY_BYTES:
        raise DecryptionFailed("the submission's key has the wrong length")
    return key


def file_iv(instance_id: str, key: bytes, index: int) -> bytes:
    """The IV of file ``index`` (media in manifest order, then the XML) of a submission."""
    seed = bytearray(hashlib.md5(instance_id.encode("utf-8") + key).digest())  # noqa: S324
    for step in range(index + 1):
        seed[step % BLOCK] = (seed[step % BLOCK] + 1) & 0xFF
    return bytes(seed)


def decrypt_chunks(key: bytes, iv: bytes, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The cleartext of one encrypted file, chunk by chunk, in constant memory.

    The last block is held back until the end, where its padding is checked and removed;
    a bad padding (a wrong key, a cut or altered file) raises `DecryptionFailed` after the
    chunks before it have been given out, so a caller that must not emit a partial file
    checks it first with `check_chunks`.
    """
    decryptor = Cipher(AES(key), CFB(iv)).decryptor()
    unpadder = PKCS7(128).unpadder()
    for chunk in chunks:
        out = unpadder.update(decryptor.update(chunk))
        if out:
            yield out
    try:
        tail = unpadder.update(decryptor.finalize()) + unpadder.finalize()
    except ValueError as error:
        raise DecryptionFailed("the file's padding is wrong") from error
    if tail:
        yield tail


def check_chunks(key: bytes, iv: bytes, chunks: Iterable[bytes]) -> None:
    """Decrypt and discard: `DecryptionFailed` unless the whole file decrypts."""
    for _ in decrypt_chunks(key, iv, chunks):
        pass


def decrypt_bytes(key: bytes, iv: bytes, data: bytes) -> bytes:
    return b"".join(decrypt_chunks(key, iv, [data]))


def plain_version(version: str) -> str:
    """A version without the ``[encrypted:…]`` suffix managed encryption gave it."""
    return ENCRYPTED_SUFFIX.sub("", version)


def version_suffix(epoch_ms: int) -> str:
    """Central's ``[encrypted:XXXXXXXX]``: the time in milliseconds as 6 bytes, base64."""
    return f"[encrypted:{_b64(epoch_ms.to_bytes(6, 'big'))}]"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
