"""Real Jaring servers and relay processes for the relay tests, each a subprocess on
loopback, started with ``jaring serve`` / ``jaring relay`` from this virtualenv."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

JARING = str(Path(sys.executable).with_name("jaring"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(database_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JARING_", "DATABASE_URL"))}
    if database_url:
        env["DATABASE_URL"] = database_url
    env["JARING_WORKERS"] = "1"  # one process per server, as the hub and the centre
    env.update(extra)
    return env


class ServerProcess:
    """``jaring serve`` on a free loopback port, for one data directory and database."""

    def __init__(self, data_dir: Path, database_url: str | None, **settings: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (data_dir / "serve.log").open("ab")
        self.process = subprocess.Popen(
            [JARING, "serve", "--port", str(self.port), "--data-dir", str(data_dir)],
            env=server_env(database_url, **settings),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{self.url}/v1/projects", timeout=1)
                return
            except httpx.HTTPError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"jaring serve did not start: {self.read_log()}") from None
                time.sleep(0.1)

    def read_log(self) -> str:
        return (self.data_dir / "serve.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def relay_command(data_dir: Path, *args: str) -> list[str]:
    return [JARING, "relay", *args, "--data-dir", str(data_dir)]


def run_relay(
    data_dir: Path, *args: str, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``jaring relay …`` to completion (the hub is on SQLite: no DATABASE_URL)."""
    return subprocess.run(
        relay_command(data_dir, *args),
        env=server_env(None, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_relay(data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    """The relay's light entry point (``python -m sync.relay``), resuming its saved setup."""
    with (data_dir / "relay.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "sync.relay", *args, "--data-dir", str(data_dir)],
            env=server_env(None),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
