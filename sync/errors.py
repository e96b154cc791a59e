"""The exceptions of the `sync` package (the tree is drawn in its docstring)."""

from __future__ import annotations


class SyncError(Exception):
    """Anything the sync package raises on purpose."""


class ServerRefused(SyncError):
    """The server answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class ProtocolError(SyncError):
    """The server's answer did not follow the protocol."""
