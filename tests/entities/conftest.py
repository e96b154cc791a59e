"""Fixtures of the entity tests: the console's signed-in client, shared with its tests."""

from tests.console.conftest import admin_console

__all__ = ["admin_console"]
