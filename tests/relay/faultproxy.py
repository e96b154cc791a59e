"""A fault-injecting HTTP proxy on loopback, between the relay and the upstream server.

Each request is read, then (by a seeded random draw, so a failing run reproduces) either
forwarded as it is, delayed, answered 502/503 without reaching upstream, cut in the
middle of the request, or forwarded and then cut after upstream committed and answered
(the client never hears the answer). While the link is "down" every connection is
closed at once. The proxy speaks ``Connection: close`` towards upstream: one request
per connection, so a cut never leaves half a conversation behind. `script` makes the
next requests to a path meet chosen faults, whatever the draw.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter

FAULTS = ("drop_request", "bad_gateway", "unavailable", "cut_after_commit", "cut_response")


class FaultProxy:
    def __init__(self, upstream_port: int, *, seed: int) -> None:
        self.upstream_port = upstream_port
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.fault_rate = 0.0
        self.delay_rate = 0.0
        self.down = False
        self.counts: Counter[str] = Counter()
        self.scripted: list[tuple[bytes, str]] = []  # (a fragment of the path, the fault)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._closing = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())

    def close(self) -> None:
        self._closing = True
        self.sock.close()
        self._thread.join(timeout=5)

    def script(self, path_fragment: str, fault: str, times: int = 1) -> None:
        """The next ``times`` requests whose path holds ``path_fragment`` meet ``fault``."""
        assert fault in FAULTS
        with self.lock:
            self.scripted += [(path_fragment.encode(), fault)] * times

    def _draw(self, head: bytes) -> tuple[str | None, float]:
        with self.lock:
            if self.down:
                return "down", 0.0
            request_line = head.split(b"\r\n", 1)[0]
            for index, (fragment, fault) in enumerate(self.scripted):
                if fragment in request_line:
                    del self.scripted[index]
                    self.counts[fault] += 1
                    return fault, 0.0
            fault = self.rng.choice(FAULTS) if self.rng.random() < self.fault_rate else None
            delay = self.rng.uniform(0.05, 0.4) if self.rng.random() < self.delay_rate else 0.0
            self.counts[fault or "forwarded"] += 1
            return fault, delay

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            with client:
                client.settimeout(30)
                head, rest = _read_head(client)
                if head is None:
                    return
                fault, delay = self._draw(head)
                if fault == "down":
                    with self.lock:
                        self.counts["down"] += 1
                    return
                length = _content_length(head)
                if fault == "drop_request":
                    return  # hang up before the body is read
                body = _read_exactly(client, rest, length)
                if delay:
                    time.sleep(delay)
                if fault in ("bad_gateway", "unavailable"):
                    status = "502 Bad Gateway" if fault == "bad_gateway" else "503 Unavailable"
                    answer = f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    client.sendall(answer.encode())
                    return
                response = _forward(self.upstream_port, _close_head(head), body)
                if fault == "cut_after_commit":
                    return  # upstream answered; the client never hears it
                if fault == "cut_response":
                    client.sendall(response[: len(response) // 2])
                    return
                client.sendall(response)
        except OSError:
            return


def _read_head(client: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _read_exactly(client: socket.socket, rest: bytes, length: int) -> bytes:
    data = rest
    while len(data) < length:
        chunk = client.recv(min(1 << 20, length - len(data)))
        if not chunk:
            raise OSError("the client hung up")
        data += chunk
    return data


def _close_head(head: bytes) -> bytes:
    lines = [
        line
        for line in head.split(b"\r\n")
        if not line.lower().startswith((b"connection:", b"keep-alive:"))
    ]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n"


def _forward(port: int, head: bytes, body: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as upstream:
        upstream.sendall(head + body)
        chunks = []
        while True:
            chunk = upstream.recv(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)
