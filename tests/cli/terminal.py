"""Running `jaring` as a user does: a process with no terminal, or one in a pseudo-terminal.

`run` starts the installed ``jaring`` command (or a script of the repository) with standard
input closed and no controlling terminal, as from cron or a pipe. `Terminal` starts it with
a pseudo-terminal as its standard input and output, so that it prompts, and lets a test read
the screen and type answers.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

JARING = str(Path(sys.executable).with_name("jaring"))
REPOSITORY = Path(__file__).resolve().parents[2]


def run(
    args: list[str], env: dict[str, str], *, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``jaring ARGS`` (or, when ``args[0]`` is a path, that program) without a terminal."""
    program = args if args[0].startswith("/") else [JARING, *args]
    return subprocess.run(
        program,
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,  # no controlling terminal
    )


class Terminal:
    """A program whose standard input, output and error are a pseudo-terminal."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        program = args if args[0].startswith("/") else [JARING, *args]
        self._master, slave = os.openpty()
        self.process = subprocess.Popen(
            program,
            env=env,
            cwd=cwd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.screen = ""
        self._seen = 0

    def expect(self, text: str, timeout: float = 120) -> str:
        """Read the screen until ``text`` appears after what earlier calls found (type
        only once the prompt is there: a password prompt discards what was typed ahead);
        everything read so far."""
        deadline = time.monotonic() + timeout
        while (found := self.screen.find(text, self._seen)) < 0:
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                raise AssertionError(f"{text!r} never appeared; the screen:\n{self.screen}")
        self._seen = found + len(text)
        return self.screen

    def type(self, line: str) -> None:
        os.write(self._master, (line + "\r").encode())

    def wait(self, timeout: float = 120) -> int:
        """The exit status, once everything it printed has been read."""
        deadline = time.monotonic() + timeout
        while self._read(max(deadline - time.monotonic(), 0.01)):
            pass
        return self.process.wait(timeout=max(deadline - time.monotonic(), 1))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        os.close(self._master)

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self._master], [], [], min(timeout, 1.0))
        if not ready:
            return self.process.poll() is None
        try:
            chunk = os.read(self._master, 65536)
        except OSError:  # the program has ended and closed the terminal
            return False
        if not chunk:
            return False
        self.screen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        return True
