"""Fixtures for the command-line tests: the reliability tests' phone, for `jaring serve`."""

from __future__ import annotations

from tests.reliability.conftest import phone  # noqa: F401 - a published form and its app user
