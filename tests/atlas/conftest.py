"""The console fixtures (signed-in clients, Chromium tabs) for the atlas's tests."""

from tests.console.conftest import admin_console, browser, desktop, phone  # noqa: F401
