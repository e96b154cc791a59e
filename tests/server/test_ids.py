"""IDs in URLs that cannot name anything: a 4xx on every route, as Central answers."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.routing import APIRoute

from server.app import API_ROUTERS
from server.resources import draft_testing
from tests.builders import OPENROSA, create_app_user, publish_xform, xform

# Central: not a number 400.11, beyond a database integer 400.22, possible but absent 404.1.
IMPOSSIBLE = {
    "abc": 400.11,
    "1a": 400.11,
    "2147483648": 400.22,
    "-2147483649": 400.22,
    "99999999999999999999": 400.22,
    "0": 404.1,
    "-1": 404.1,
}
FILLERS = {
    "xml_form_id": "profil",
    "instance_id": "uuid:nope",
    "version_id": "uuid:nope",
    "name": "x.jpg",
    "role": "viewer",
    "version": "1",
    "draft_token": "x" * 64,
    "table_path": "Submissions",
}


def _routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the API whose path holds a numeric ID."""
    mounted = [(prefix, router) for router in API_ROUTERS for prefix in ("/v1", "/v1/key/{key}")]
    mounted.append(("/v1/test/{draft_token}", draft_testing.router))
    found = []
    for prefix, router in mounted:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            if "{project_id}" in route.path or "{actor_id}" in route.path:
                found += [(method, prefix + route.path) for method in sorted(route.methods)]
    return found


@pytest.mark.parametrize("value", sorted(IMPOSSIBLE))
def test_an_impossible_id_is_a_4xx_on_every_route(
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    value: str,
) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    key = create_app_user(client, admin_headers, project_id, forms=("profil",))["token"]
    routes = _routes()
    assert len(routes) > 100
    for method, template in routes:
        path = template.replace("{key}", key)
        path = re.sub(r"\{(project_id|actor_id)\}", value, path)
        path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: FILLERS.get(m.group(1), "x"), path)
        response = client.request(method, path, headers={**admin_headers, **OPENROSA})
        where = f"{method} {path}: {response.status_code} {response.text[:200]}"
        assert 400 <= response.status_code < 500, where
        json = response.headers["content-type"].startswith("application/json")
        # IDs that could exist may meet another check first (a missing body, say).
        if method != "HEAD" and json and IMPOSSIBLE[value] != 404.1:
            assert response.json()["code"] == IMPOSSIBLE[value], where


def test_head_submission_names_an_existing_project(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    head = f"/v1/projects/{project_id}/submission"
    assert client.head(head, headers={**admin_headers, **OPENROSA}).status_code == 204
    for value in ("0", "-1", "999999"):
        missing = client.head(
            f"/v1/projects/{value}/submission", headers={**admin_headers, **OPENROSA}
        )
        assert missing.status_code == 404
    assert client.head("/v1/projects/abc/submission", headers=OPENROSA).status_code == 400
