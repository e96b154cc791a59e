"""`server.data.encryption` and the tests' Collect simulator against Central's published
vectors: key unwrap, IV derivation, a Collect-made ciphertext, managed-key records."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from server.data import encryption as e
from tests.encryption import vectors as v
from tests.encryption.collect import encrypt_file, encrypt_submission, iv_for


def _private() -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(v.PRIVATE_KEY_PEM, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def test_a_key_wrapped_by_collect_unwraps() -> None:
    assert e.submission_key(_private(), v.WRAPPED_KEY) == base64.b64decode(v.AES_KEY)


@pytest.mark.parametrize(("index", "expected"), sorted(v.IVS.items()))
def test_ivs_follow_collect(index: int, expected: str) -> None:
    key = base64.b64decode(v.AES_KEY)
    assert e.file_iv(v.IV_INSTANCE_ID, key, index).hex() == expected
    assert iv_for(v.IV_INSTANCE_ID, key, index).hex() == expected


def test_a_submission_encrypted_by_collect_decrypts_in_uneven_chunks() -> None:
    key = e.submission_key(_private(), v.COLLECT_WRAPPED_KEY)
    iv = e.file_iv(v.COLLECT_INSTANCE_ID, key, 1)  # one media file, so the XML is index 1
    ciphertext = base64.b64decode(v.COLLECT_CIPHERTEXT)
    assert len(ciphertext) == 336
    assert e.decrypt_bytes(key, iv, ciphertext) == v.COLLECT_PLAINTEXT
    for size in (1, 7, 16, 17, 100):
        chunks = [ciphertext[i : i + size] for i in range(0, len(ciphertext), size)]
        assert b"".join(e.decrypt_chunks(key, iv, chunks)) == v.COLLECT_PLAINTEXT
    # The simulator makes the very bytes Collect made.
    assert encrypt_file(key, iv, v.COLLECT_PLAINTEXT) == ciphertext


def test_a_cut_ciphertext_is_refused() -> None:
    key = e.submission_key(_private(), v.COLLECT_WRAPPED_KEY)
    iv = e.file_iv(v.COLLECT_INSTANCE_ID, key, 1)
    with pytest.raises(e.DecryptionFailed):
        e.decrypt_bytes(key, iv, base64.b64decode(v.COLLECT_TRUNCATED))
    with pytest.raises(e.DecryptionFailed):
        e.check_chunks(key, iv, [base64.b64decode(v.COLLECT_CIPHERTEXT)[:-1]])


@pytest.mark.parametrize("record", v.MANAGED_RECORDS)
def test_central_managed_records_open_with_their_passphrase_only(record: dict[str, str]) -> None:
    private = e.open_managed_key(record, v.MANAGED_PASSPHRASE)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_pem == base64.b64decode(record["pubkey"])
    for wrong in ("wrong", "very-wrong"):
        with pytest.raises(e.DecryptionFailed):
            e.open_managed_key(record, wrong)


def test_a_managed_key_made_here_decrypts_with_the_record_and_passphrase_alone() -> None:
    public_text, record = e.generate_managed_key("kata sandi analis")
    assert len(public_text) == 392
    assert set(record) == {"pubkey", "privkey", "salt", "iv"}
    assert b"kata sandi analis" not in repr(record).encode()
    sent = encrypt_submission(
        public_text,
        form_id="wawancara",
        version="1",
        instance_id="uuid:7d2c",
        xml=b"<data id='wawancara'><x>1</x></data>",
        media={"foto.jpg": b"\xff\xd8 jpeg"},
    )
    private = e.open_managed_key(record, "kata sandi analis")
    key = e.submission_key(private, _manifest_key(sent.manifest))
    assert key == sent.aes_key
    assert e.decrypt_bytes(key, e.file_iv("uuid:7d2c", key, 0), sent.files["foto.jpg.enc"]) == (
        b"\xff\xd8 jpeg"
    )
    assert e.decrypt_bytes(key, e.file_iv("uuid:7d2c", key, 1), sent.files["submission.xml.enc"])
    with pytest.raises(e.DecryptionFailed):
        e.open_managed_key(record, "kata sandi lain")


def test_version_suffix_is_six_bytes_of_milliseconds() -> None:
    assert e.version_suffix(0x01A2342837F7) == "[encrypted:AaI0KDf3]"


def test_not_a_key_is_refused() -> None:
    for text in ("abc", "", "!!!!", base64.b64encode(b"not der").decode()):
        with pytest.raises(ValueError):
            e.load_public_key(text)


def _manifest_key(manifest: bytes) -> str:
    start = manifest.index(b"<base64EncryptedKey>") + len(b"<base64EncryptedKey>")
    return manifest[start : manifest.index(b"</base64EncryptedKey>")].decode()
