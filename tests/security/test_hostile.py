"""Hostile input: each gets a clear 4xx (or is stored safely), quickly, and the server
keeps serving everyone else.

XML bombs and external entities, zip bombs and broken workbooks, floods of multipart
parts, huge headers, absurd lengths, invalid UTF-8, path tricks in file names and
instanceIDs, and clients that send their request slowly.
"""

from __future__ import annotations

import hashlib
import io
import socket
import threading
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import openpyxl
import pytest

from server.app import create_app
from server.domain import Services
from server.http.middleware import RequestContext
from tests.builders import publish_xform, submission

OPENROSA = {"X-OpenRosa-Version": "1.0"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE data [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<data id="profil" version="1"><name>&xxe;</name>'
    b"<meta><instanceID>uuid:xxe</instanceID></meta></data>"
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE data [<!ENTITY a "lollollollollollollollollol">'
    + b"".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9)
    )
    + b']><data id="profil" version="1"><name>&j;</name>'
    b"<meta><instanceID>uuid:lol</instanceID></meta></data>"
)
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE data [<!ENTITY a "' + b"x" * 50_000 + b'">]>'
    b'<data id="profil" version="1"><name>' + b"&a;" * 5_000 + b"</name>"
    b"<meta><instanceID>uuid:quad</instanceID></meta></data>"
)


def _submit(
    phone_url: str, xml: bytes, files: dict[str, bytes] | None = None, **kwargs: Any
) -> httpx.Response:
    parts = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
    for name, content in (files or {}).items():
        parts.append((name, (name, content, "application/octet-stream")))
    return httpx.post(
        f"{phone_url}/submission", headers=OPENROSA, files=parts, timeout=30, **kwargs
    )


def _still_serving(base_url: str) -> None:
    assert httpx.get(f"{base_url}/healthz", timeout=10).status_code == 200


def test_xml_bombs_are_400(
    base_url: str,
    phone_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    for xml in (XXE, LAUGHS, QUADRATIC):
        response = _submit(phone_url, xml)
        assert response.status_code == 400, response.text
        assert "root:" not in response.text and "lollol" not in response.text
        form = xml.replace(b"data", b"h:html")
        response = publish_xform(client, admin_headers, project_id, form)
        assert response.status_code == 400, response.text
        assert "root:" not in response.text
    _still_serving(base_url)


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["text", "nama", "Nama"])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version"])
    settings.append(["xl_bom", "1"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def _zip_bomb() -> bytes:
    """A workbook whose sheet inflates to 120 MB (about 120 kB compressed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook())) as source:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for item in source.infolist():
                if item.filename != "xl/worksheets/sheet1.xml":
                    archive.writestr(item, source.read(item))
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                chunk = b" " * 1_000_000
                for _ in range(120):
                    sheet.write(chunk)
    return out.getvalue()


def _truncated() -> bytes:
    book = _workbook()
    return book[: len(book) // 2]


def _garbled_sheet() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook())) as source:
        with zipfile.ZipFile(out, "w") as archive:
            for item in source.infolist():
                content = source.read(item)
                if item.filename == "xl/worksheets/sheet1.xml":
                    content = b"<worksheet><sheetData><row><c r='A1' t='s'><v>99"
                archive.writestr(item, content)
    return out.getvalue()


WORKBOOKS = {
    "zip-bomb": _zip_bomb,
    "many-members": lambda: _zip({f"x/{i}.xml": b"" for i in range(3000)}),
    "not-a-zip": lambda: b"PK\x03\x04 this is not a workbook at all",
    "random-bytes": lambda: bytes(range(256)) * 40,
    "truncated": _truncated,
    "zip-without-workbook": lambda: _zip({"hello.txt": b"halo"}),
    "garbled-sheet": _garbled_sheet,
    "xxe-in-sheet": lambda: _zip(
        {
            "[Content_Types].xml": XXE,
            "xl/workbook.xml": XXE,
        }
    ),
}


def test_hostile_workbooks_are_400_15(
    base_url: str, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    for kind, make in WORKBOOKS.items():
        response = client.post(
            f"/v1/projects/{project_id}/forms",
            content=make(),
            headers={**admin_headers, "Content-Type": XLSX, "X-XlsForm-FormId-Fallback": "bom"},
        )
        assert response.status_code == 400, (kind, response.text)
        assert response.json()["code"] == 400.15, kind
    _still_serving(base_url)


def test_thousands_of_multipart_parts_are_refused(base_url: str, phone_url: str) -> None:
    files = {f"f{i}.jpg": b"x" for i in range(3000)}
    response = _submit(phone_url, submission(), files)
    assert response.status_code == 400, response.text
    assert "Maximum number of files is 500" in response.text
    _still_serving(base_url)


def _raw(base_url: str, request: bytes, *, read_timeout: float = 10.0) -> bytes:
    """Send raw bytes on a new connection; return what comes back (b"" if closed)."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=read_timeout) as sock:
        try:
            sock.sendall(request)
        except OSError:
            pass
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def _status(reply: bytes) -> int | None:
    if not reply.startswith(b"HTTP/1.1 "):
        return None
    return int(reply[9:12])


def test_huge_headers_are_refused(base_url: str) -> None:
    huge = b"X-Padding: " + b"a" * 200_000 + b"\r\n"
    reply = _raw(base_url, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + huge + b"\r\n")
    status = _status(reply)
    assert status is None or 400 <= status < 500, reply[:200]
    many = b"".join(f"X-H{i}: v\r\n".encode() for i in range(20_000))
    reply = _raw(
        base_url, b"GET /v1/projects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + many + b"\r\n"
    )
    status = _status(reply)
    assert status is None or 400 <= status < 500, reply[:200]
    _still_serving(base_url)


def test_absurd_content_lengths_are_4xx(base_url: str, phone_url: str) -> None:
    path = urlsplit(phone_url).path
    for length in ("-1", "-99999999999999999999", "99999999999999999999999", "abc", "1e9", "7, 9"):
        reply = _raw(
            base_url,
            f"POST {path}/submission HTTP/1.1\r\nHost: x\r\nX-OpenRosa-Version: 1.0\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {length}\r\n"
            "Connection: close\r\n\r\n--b--\r\n".encode(),
        )
        status = _status(reply)
        assert status is None or 400 <= status < 500, (length, reply[:300])
    _still_serving(base_url)


def test_over_long_names_are_refused_or_stored_safely(base_url: str, phone_url: str) -> None:
    long_field = "f" * 100_000
    parts = [
        ("xml_submission_file", ("submission.xml", submission(), "text/xml")),
        (long_field, (long_field + ".jpg", b"x", "image/jpeg")),
    ]
    response = httpx.post(f"{phone_url}/submission", headers=OPENROSA, files=parts, timeout=30)
    assert response.status_code in (201, 400, 413), response.text
    element = "e" * 50_000
    xml = submission().replace(b"<name>", f"<{element}/><name>".encode())
    assert _submit(phone_url, xml).status_code == 201
    xml = submission(instance_id="uuid:" + "a" * 1000)
    assert _submit(phone_url, xml).status_code == 400
    _still_serving(base_url)


INVALID_UTF8 = (
    b'<data id="profil" version="1"><name>\xff\xfe\xc3\x28</name>'
    b"<meta><instanceID>uuid:bad-utf8</instanceID></meta></data>",
    b'<?xml version="1.0" encoding="UTF-8"?><data id="pro\xedfil" version="1"/>',
    b'<?xml version="1.0" encoding="x-no-such-encoding"?><data id="profil"/>',
    b'<data id="profil" version="1"><name>&#0;</name></data>',
    b"\xef\xbb\xbf\x00\x00\x00",
)


def test_invalid_utf8_in_submissions_is_400(base_url: str, phone_url: str) -> None:
    for xml in INVALID_UTF8:
        response = _submit(phone_url, xml)
        assert response.status_code == 400, (xml, response.text)
    _still_serving(base_url)


def test_invalid_utf8_elsewhere_is_4xx(
    base_url: str, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    for body in (
        b'{"email": "\xff@x.org", "password": "\xfe\xff"}',
        b"\xff\xfe",
        b'{"a": "\\ud800"}',
    ):
        response = client.post(
            "/v1/sessions", content=body, headers={"Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, response.text
    response = client.post(
        "/v1/projects",
        content=b'{"name": "\xc3\x28"}',
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text
    reply = _raw(
        base_url,
        b"GET /v1/projects/\xff\xfe/forms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    status = _status(reply)
    assert status is None or 400 <= status < 500, reply[:300]
    _still_serving(base_url)


ESCAPING_NAMES = (
    "../../../../tmp/jaring-escape.jpg",
    "/etc/jaring-escape.jpg",
    "..\\..\\jaring-escape.jpg",
    "a/../../jaring-escape.jpg",
    "foto\u202egpj.exe",
)


def test_attachment_names_with_paths_are_stored_safely(
    base_url: str,
    phone_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    services: Services,
) -> None:
    for name in ESCAPING_NAMES:
        instance_id = f"uuid:{uuid.uuid4()}"
        xml = submission(instance_id=instance_id, photo=name)
        content = f"isi {name}".encode()
        response = _submit(phone_url, xml, {name: content})
        assert response.status_code == 201, response.text
        listed = client.get(
            f"/v1/projects/{project_id}/forms/profil/submissions/{quote(instance_id, safe='')}"
            "/attachments",
            headers=admin_headers,
        )
        assert listed.status_code == 200
        assert listed.json() == [{"name": name, "exists": True}]
        # The file is kept under its content's hash, inside the blob store, and nowhere else.
        digest = hashlib.sha256(content).hexdigest()
        assert services.blobs.read_bytes(digest) == content
    for escaped in ("/tmp/jaring-escape.jpg", "/etc/jaring-escape.jpg"):
        assert not Path(escaped).exists()
    stray = [p for p in services.settings.data_dir.parent.rglob("*jaring-escape*")]
    assert stray == []
    _still_serving(base_url)


def test_nul_in_file_names_and_device_ids_is_refused_or_stored(
    base_url: str, phone_url: str
) -> None:
    xml = submission(photo="foto.jpg")
    response = _submit(phone_url, xml, {"foto.jpg\x00.php": b"x"})
    assert response.status_code in (201, 400), response.text
    response = _submit(phone_url, submission(), params={"deviceID": "collect:\x00abc"})
    assert response.status_code in (201, 400), response.text
    _still_serving(base_url)


PATHLIKE_IDS = (
    "uuid:../../../etc/passwd",
    "uuid:a/b/c",
    "uuid:a\\b",
    "uuid:%2e%2e%2f",
    "uuid:?x=1#y",
    "..",
    "uuid:\u00e9\u4e2d",
)


def test_instance_ids_with_path_characters_are_stored_safely(
    base_url: str,
    phone_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    sent = {}
    for instance_id in PATHLIKE_IDS:
        xml = submission(instance_id=instance_id)
        assert _submit(phone_url, xml).status_code == 201, instance_id
        sent[instance_id] = xml
        if "/" not in instance_id:
            # (An ID with a slash cannot be one path segment; it is listed below instead.)
            found = client.get(
                f"/v1/projects/{project_id}/forms/profil/submissions/"
                f"{quote(instance_id, safe='')}.xml",
                headers=admin_headers,
            )
            assert found.status_code == 200, instance_id
            assert found.content == xml
    listed = client.get(
        f"/v1/projects/{project_id}/forms/profil/submissions", headers=admin_headers
    )
    assert {s["instanceId"] for s in listed.json()} == set(sent)
    _still_serving(base_url)


@pytest.fixture
def impatient_server(
    live_server: tuple[str, Any], services: Services, phone_url: str
) -> Iterator[str]:
    """This test's app with a one-second limit on a stalled request body."""
    url, switch = live_server
    switch.target = RequestContext(create_app(services.settings, services=services), 1.0)
    yield url
    switch.target = None


def test_slow_clients_are_bounded(impatient_server: str, phone_url: str) -> None:
    parts = urlsplit(impatient_server)
    # An upload that stops arriving is answered 408, and the connection is let go.
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(
            f"POST {urlsplit(phone_url).path}/submission HTTP/1.1\r\nHost: x\r\n"
            "X-OpenRosa-Version: 1.0\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            "Content-Length: 100000\r\n\r\n--b\r\nContent-Disposition: form-data; ".encode()
        )
        reply = sock.recv(65536)
    assert _status(reply) == 408, reply[:300]
    assert b"too slowly" in reply
    # Many connections trickling their headers do not stop anyone else being served.
    stop = threading.Event()
    sockets = []
    for _ in range(50):
        sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        sockets.append(sock)

    def trickle() -> None:
        while not stop.wait(0.2):
            for sock in sockets:
                try:
                    sock.sendall(b"X-a: b\r\n")
                except OSError:
                    pass

    trickler = threading.Thread(target=trickle)
    trickler.start()
    try:
        for _ in range(5):
            _still_serving(impatient_server)
    finally:
        stop.set()
        trickler.join()
        for sock in sockets:
            sock.close()
