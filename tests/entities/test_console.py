"""The console names a form's entity list as such, never as a file still missing."""

from __future__ import annotations

import httpx

from tests.console.support import Console
from tests.entities.builders import create_form, update_form, upload


def test_a_linked_entity_list_is_shown_as_one(
    admin_console: Console, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    assert upload(client, admin_headers, project_id, create_form()).status_code == 200
    assert upload(client, admin_headers, project_id, update_form()).status_code == 200
    shown = admin_console.get(f"/projects/{project_id}/forms/tree_update")
    assert shown.status_code == 200
    assert 'trees.csv</a> <span class="muted small">daftar entitas, selalu terbaru' in shown.text
    assert 'trees.csv <span class="state state-hasIssues">' not in shown.text
