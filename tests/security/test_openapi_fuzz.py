"""Schemathesis against the live server's OpenAPI document: no request it can make,
as an administrator, gets a 500."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.builders import publish_xform, submission, xform

EXAMPLES_PER_OPERATION = 3


def test_no_operation_answers_with_a_server_error(
    base_url: str, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    assert publish_xform(client, admin_headers, project_id, xform()).status_code == 200
    client.post(
        f"/v1/projects/{project_id}/submission",
        headers={**admin_headers, "X-OpenRosa-Version": "1.0"},
        files={"xml_submission_file": ("s.xml", submission(), "text/xml")},
    )
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            response = case.call(base_url=base_url, headers=admin_headers, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

        call()
    assert operations >= 20
    assert failures == []
    assert client.get("/healthz").status_code == 200
