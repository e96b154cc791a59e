"""Fixtures for the reliability tests: a published form with file questions and a phone."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.builders import create_app_user, publish_xform
from tests.reliability.support import FORM, FORM_ID


@dataclass(frozen=True)
class Phone:
    """An app user of the test project, allowed to fill `FORM`."""

    token: str
    project_id: int

    def server_url(self, origin: str) -> str:
        return f"{origin}/v1/key/{self.token}/projects/{self.project_id}"


@pytest.fixture
def phone(client: httpx.Client, admin_headers: dict[str, str], project_id: int) -> Phone:
    published = publish_xform(client, admin_headers, project_id, FORM)
    assert published.status_code == 200, published.text
    app_user = create_app_user(client, admin_headers, project_id, forms=(FORM_ID,))
    return Phone(token=app_user["token"], project_id=project_id)
