"""Fixtures for the security tests: a published form with a photo question and a phone."""

from __future__ import annotations

import httpx
import pytest

from tests.builders import collect_url, create_app_user, publish_xform, xform


@pytest.fixture
def phone_url(
    base_url: str, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> str:
    """The server URL of an app user allowed to fill the builders' ``profil`` form."""
    assert publish_xform(client, admin_headers, project_id, xform()).status_code == 200
    app_user = create_app_user(client, admin_headers, project_id, forms=("profil",))
    return collect_url(base_url, app_user["token"], project_id)
