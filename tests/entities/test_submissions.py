"""Submissions that create and update entities, as Central processes them: on receipt or
on approval, merges, conflicts, offline branches and their backlog, errors as audits,
resends and edits that never make a second entity or version."""

from __future__ import annotations

import uuid as uuid_module
from datetime import timedelta
from typing import Any

import httpx

from server.domain import Services
from server.domain.entities import force_backlog
from tests.entities.builders import (
    create_form,
    create_submission,
    submit,
    update_form,
    update_submission,
    upload,
)


def _forms(client: httpx.Client, headers: dict[str, str], project_id: int) -> None:
    assert upload(client, headers, project_id, create_form()).status_code == 200
    assert upload(client, headers, project_id, update_form()).status_code == 200


def _entity(
    client: httpx.Client, headers: dict[str, str], project_id: int, uuid: str
) -> httpx.Response:
    return client.get(f"/v1/projects/{project_id}/datasets/trees/entities/{uuid}", headers=headers)


def _entities(client: httpx.Client, headers: dict[str, str], project_id: int) -> list[Any]:
    response = client.get(f"/v1/projects/{project_id}/datasets/trees/entities", headers=headers)
    assert response.status_code == 200
    return list(response.json())


def _audits(client: httpx.Client, headers: dict[str, str], action: str) -> list[dict[str, Any]]:
    response = client.get("/v1/audits", params={"action": action}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json())


def _versions(
    client: httpx.Client, headers: dict[str, str], project_id: int, uuid: str
) -> list[dict[str, Any]]:
    response = client.get(
        f"/v1/projects/{project_id}/datasets/trees/entities/{uuid}/versions", headers=headers
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def test_a_submission_creates_its_entity_once_however_often_it_is_resent(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    _forms(client, admin_headers, project_id)
    xml, uuid = create_submission(entity_id=f"uuid:{uuid_module.uuid4()}".upper())
    for _ in range(3):
        assert submit(client, admin_headers, project_id, xml).status_code == 201
    [listed] = _entities(client, admin_headers, project_id)
    expected = uuid.lower().removeprefix("uuid:")
    assert listed["uuid"] == expected and "data" not in listed["currentVersion"]
    entity = _entity(client, admin_headers, project_id, expected).json()
    me = client.get("/v1/users/current", headers=admin_headers).json()
    assert entity["creatorId"] == me["id"] and entity["conflict"] is None
    current = entity["currentVersion"]
    assert current["version"] == 1 and current["label"] == "Oak"
    assert current["data"] == {"species": "Oak", "height": "10"}
    assert current["dataReceived"] == {"species": "Oak", "height": "10", "label": "Oak"}
    assert current["userAgent"] == "Collect/2024.3"
    assert len(_audits(client, admin_headers, "entity.create")) == 1
    source = _versions(client, admin_headers, project_id, expected)[0]["source"]
    assert source["submission"]["instanceId"].startswith("uuid:")


def test_with_approval_required_the_entity_waits_for_the_approval(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    _forms(client, admin_headers, project_id)
    patched = client.patch(
        f"/v1/projects/{project_id}/datasets/trees",
        json={"approvalRequired": True},
        headers=admin_headers,
    )
    assert patched.status_code == 200 and patched.json()["approvalRequired"] is True
    xml, uuid = create_submission(instance_id="uuid:0b7f5f5e-1b8a-4a55-9a3c-3d1c5a2f9e01")
    assert submit(client, admin_headers, project_id, xml).status_code == 201
    assert _entities(client, admin_headers, project_id) == []
    review = f"/v1/projects/{project_id}/forms/tree_registration/submissions/"
    review += "uuid:0b7f5f5e-1b8a-4a55-9a3c-3d1c5a2f9e01"
    assert (
        client.patch(review, json={"reviewState": "hasIssues"}, headers=admin_headers).status_code
        == 200
    )
    assert _entities(client, admin_headers, project_id) == []
    turn_off = client.patch(
        f"/v1/projects/{project_id}/datasets/trees",
        json={"approvalRequired": False},
        headers=admin_headers,
    )
    assert turn_off.status_code == 400 and turn_off.json()["code"] == 400.29
    assert (
        client.patch(review, json={"reviewState": "approved"}, headers=admin_headers).status_code
        == 200
    )
    [entity] = _entities(client, admin_headers, project_id)
    assert entity["uuid"] == uuid
    client.patch(review, json={"reviewState": "approved"}, headers=admin_headers)
    assert len(_entities(client, admin_headers, project_id)) == 1


def test_turning_approval_off_with_convert_makes_the_pending_entities(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    _forms(client, admin_headers, project_id)
    client.patch(
        f"/v1/projects/{project_id}/datasets/trees",
        json={"approvalRequired": True},
        headers=admin_headers,
    )
    for _ in range(2):
        assert submit(client, admin_headers, project_id, create_submission()[0]).status_code == 201
    converted = client.patch(
        f"/v1/projects/{project_id}/datasets/trees",
        params={"convert": "true"},
        json={"approvalRequired": False},
        headers=admin_headers,
    )
    assert converted.status_code == 200, converted.text
    assert len(_entities(client, admin_headers, project_id)) == 2


def test_an_update_applies_on_receipt_and_merges(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    _forms(client, admin_headers, project_id)
    client.patch(
        f"/v1/projects/{project_id}/datasets/trees",
        json={"approvalRequired": True},
        headers=admin_headers,
    )
    made = client.post(
        f"/v1/projects/{project_id}/datasets/trees/entities",
        json={"label": "Oak", "data": {"species": "Oak", "height": "10"}},
        headers=admin_headers,
    ).json()
    update = update_submission(made["uuid"], base_version="1", values={"height": "15"})
    assert submit(client, admin_headers, project_id, update).status_code == 201
    assert submit(client, admin_headers, project_id, update).status_code == 201
    current = _entity(client, admin_headers, project_id, made["uuid"]).json()["currentVersion"]
    assert current["version"] == 2 and current["baseVersion"] == 1
    assert current["label"] == "Oak"
    assert current["data"] == {"species": "Oak", "height": "15"}
    assert current["dataReceived"] == {"height": "15"}


def test_two_updates_on_one_base_make_a_conflict_that_can_be_resolved(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    _forms(client, admin_headers, project_id)
    xml, uuid = create_submission()
    submit(client, admin_headers, project_id, xml)
    submit(client, admin_headers, project_id, update_submission(uuid, base_version="1"))
    same = update_submission(uuid, base_version="1", values={"height": "20"})
    submit(client, admin_headers, project_id, same)
    entity = _entity(client, admin_headers, project_id, uuid).json()
    assert entity["conflict"] == "soft"
    other = update_submission(uuid, base_version="1", values={"height": "30"})
    submit(client, admin_headers, project_id, other)
    entity = _entity(client, admin_headers, project_id, uuid).json()
    assert entity["conflict"] == "hard"
    assert entity["currentVersion"]["conflictingProperties"] == ["height"]
    assert entity["currentVersion"]["version"] == 4
    versions = _versions(client, admin_headers, project_id, uuid)
    assert [v["conflict"] for v in versions] == [None, None, "soft", "hard"]
    assert [v["lastGoodVersion"] for v in versions] == [False, True, False, False]
    assert all(v["relevantToConflict"] for v in versions)
    assert versions[3]["serverDiff"] == ["height"] and versions[3]["baseDiff"] == ["height"]
    url = f"/v1/projects/{project_id}/datasets/trees/entities/{uuid}"
    unversioned = client.patch(url, params={"resolve": "true"}, headers=admin_headers)
    assert unversioned.status_code == 409 and unversioned.json()["code"] == 409.15
    resolved = client.patch(
        url, params={"resolve": "true", "baseVersion": "4"}, headers=admin_headers
    )
    assert resolved.status_code == 200 and resolved.json()["conflict"] is None
    assert resolved.json()["currentVersion"]["version"] == 4
    after = _versions(client, admin_headers, project_id, uuid)
    assert [v["resolved"] for v in after] == [False, False, True, True]
    assert after[3]["lastGoodVersion"] and not any(v["relevantToConflict"] for v in after)
    relevant = client.get(
        f"{url}/versions", params={"relevantToConflict": "true"}, headers=admin_headers
    )
    assert relevant.json() == []
    again = client.patch(url, params={"resolve": "true", "baseVersion": "4"}, headers=admin_headers)
    assert again.status_code == 400 and again.json()["code"] == 400.32
    listed = client.get(
        f"/v1/projects/{project_id}/datasets",
        headers={**admin_headers, "X-Extended-Metadata": "true"},
    ).json()
    assert listed[0]["entities"] == 1 and listed[0]["conflicts"] == 0


def test_an_offline_branch_out_of_order_waits_in_the_backlog(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    _forms(client, admin_headers, project_id)
    xml, uuid = create_submission()
    submit(client, admin_headers, project_id, xml)
    branch = str(uuid_module.uuid4())

    def offline(base: str, height: str) -> bytes:
        return update_submission(
            uuid, base_version=base, trunk_version="1", branch_id=branch, values={"height": height}
        )

    submit(client, admin_headers, project_id, offline("1", "11"))
    third = offline("3", "13")
    assert submit(client, admin_headers, project_id, third).status_code == 201
    held = _entity(client, admin_headers, project_id, uuid).json()["currentVersion"]
    assert held["version"] == 2 and held["data"]["height"] == "11"
    assert len(_audits(client, admin_headers, "submission.backlog.hold")) == 1
    assert submit(client, admin_headers, project_id, third).status_code == 201
    submit(client, admin_headers, project_id, offline("2", "12"))
    entity = _entity(client, admin_headers, project_id, uuid).json()
    current = entity["currentVersion"]
    assert current["version"] == 4 and current["data"]["height"] == "13"
    assert (current["branchId"], current["trunkVersion"], current["branchBaseVersion"]) == (
        branch,
        1,
        3,
    )
    assert entity["conflict"] is None
    versions = _versions(client, admin_headers, project_id, uuid)
    assert [v["baseVersion"] for v in versions] == [None, 1, 2, 3]


def test_an_offline_branch_interrupted_by_another_update_is_a_soft_conflict(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    _forms(client, admin_headers, project_id)
    xml, uuid = create_submission()
    submit(client, admin_headers, project_id, xml)
    branch = str(uuid_module.uuid4())
    submit(
        client,
        admin_headers,
        project_id,
        update_submission(uuid, base_version="1", trunk_version="1", branch_id=branch),
    )
    submit(
        client,
        admin_headers,
        project_id,
        update_submission(uuid, base_version="2", values={"species": "Pine", "height": "20"}),
    )
    submit(
        client,
        admin_headers,
        project_id,
        update_submission(
            uuid, base_version="2", trunk_version="1", branch_id=branch, values={"height": "21"}
        ),
    )
    entity = _entity(client, admin_headers, project_id, uuid).json()
    assert entity["currentVersion"]["version"] == 4
    assert entity["conflict"] == "soft"


def test_processing_errors_are_audited_and_never_fail_the_submission(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    _forms(client, admin_headers, project_id)
    unknown = str(uuid_module.uuid4())
    cases = [
        (update_submission(unknown, base_version="1"), 404.8),
        (update_submission(unknown, base_version="1", dataset="nope"), 404.7),
        (update_submission(unknown, base_version=""), 400.2),
        (update_submission(unknown, base_version="x"), 400.11),
        (create_submission(label="")[0], 400.2),
        (create_submission(entity_id="not-a-uuid")[0], 400.11),
        (create_submission(dataset="")[0], 400.2),
    ]
    for xml, _ in cases:
        assert submit(client, admin_headers, project_id, xml).status_code == 201
    errors = _audits(client, admin_headers, "entity.error")
    codes = sorted(e["details"]["problem"]["problemCode"] for e in errors)
    assert codes == sorted(code for _, code in cases)
    assert all(e["acteeId"] is None and e["details"]["submissionId"] for e in errors)
    assert _entities(client, admin_headers, project_id) == []


def test_an_update_never_creates_when_the_form_only_declares_updates(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    _forms(client, admin_headers, project_id)
    xml = update_submission(str(uuid_module.uuid4()), base_version="1").replace(
        b'update="1"', b'update="1" create="1"'
    )
    assert submit(client, admin_headers, project_id, xml).status_code == 201
    [error] = _audits(client, admin_headers, "entity.error")
    assert error["details"]["problem"]["problemCode"] == 403.2


def test_an_edit_re_applies_only_when_the_first_version_made_nothing(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    _forms(client, admin_headers, project_id)
    first = "uuid:5b0c2a3e-8f0d-4d61-9a8b-0f6f4e7a2c11"
    broken, uuid = create_submission(label="", instance_id=first)
    submit(client, admin_headers, project_id, broken)
    assert _entities(client, admin_headers, project_id) == []
    fixed, _ = create_submission(
        entity_id=uuid, label="Oak", instance_id="uuid:5b0c2a3e-8f0d-4d61-9a8b-0f6f4e7a2c12"
    )
    fixed = fixed.replace(
        b"</instanceID>", f"</instanceID><deprecatedID>{first}</deprecatedID>".encode()
    )
    assert submit(client, admin_headers, project_id, fixed).status_code == 201
    [entity] = _entities(client, admin_headers, project_id)
    assert entity["uuid"] == uuid
    again, _ = create_submission(
        entity_id=uuid, label="Beech", instance_id="uuid:5b0c2a3e-8f0d-4d61-9a8b-0f6f4e7a2c13"
    )
    again = again.replace(
        b"</instanceID>",
        b"</instanceID><deprecatedID>uuid:5b0c2a3e-8f0d-4d61-9a8b-0f6f4e7a2c12</deprecatedID>",
    )
    assert submit(client, admin_headers, project_id, again).status_code == 201
    current = _entity(client, admin_headers, project_id, uuid).json()["currentVersion"]
    assert current["version"] == 1 and current["label"] == "Oak"


def test_a_draft_test_submission_makes_no_entity(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    _forms(client, admin_headers, project_id)
    client.post(
        f"/v1/projects/{project_id}/forms/tree_registration/draft",
        content=create_form(version="2"),
        headers={**admin_headers, "Content-Type": "application/xml"},
    )
    draft = client.get(
        f"/v1/projects/{project_id}/forms/tree_registration/draft", headers=admin_headers
    ).json()
    xml, _ = create_submission(version="2")
    response = client.post(
        f"/v1/test/{draft['draftToken']}/projects/{project_id}/forms/tree_registration/draft/submission",
        files={"xml_submission_file": ("s.xml", xml, "text/xml")},
        headers={"X-OpenRosa-Version": "1.0"},
    )
    assert response.status_code == 201, response.text
    assert _entities(client, admin_headers, project_id) == []


def test_a_visit_made_offline_after_a_registration_on_the_same_phone_may_arrive_first(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    """Collect keeps the new entity locally (version 1, no trunk, a branch of its own);
    the visit that follows it can reach the server before the registration does."""
    _forms(client, admin_headers, project_id)
    registration, uuid = create_submission()
    branch = str(uuid_module.uuid4())
    visit = update_submission(uuid, base_version="1", branch_id=branch, values={"height": "12"})
    assert submit(client, admin_headers, project_id, visit).status_code == 201
    assert _entities(client, admin_headers, project_id) == []
    assert _audits(client, admin_headers, "entity.error") == []
    assert len(_audits(client, admin_headers, "submission.backlog.hold")) == 1
    assert submit(client, admin_headers, project_id, registration).status_code == 201
    entity = _entity(client, admin_headers, project_id, uuid).json()
    current = entity["currentVersion"]
    assert current["version"] == 2 and current["data"] == {"species": "Oak", "height": "12"}
    assert current["branchId"] == branch and entity["conflict"] is None


def test_updates_held_too_long_are_forced_through(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, services: Services
) -> None:
    """Central forces the backlog after five days: the latest version becomes the base,
    and an entity that never arrived is created from the update."""
    _forms(client, admin_headers, project_id)
    xml, uuid = create_submission()
    submit(client, admin_headers, project_id, xml)
    branch = str(uuid_module.uuid4())
    gap = update_submission(
        uuid, base_version="3", trunk_version="1", branch_id=branch, values={"height": "13"}
    )
    submit(client, admin_headers, project_id, gap)
    orphan = str(uuid_module.uuid4())
    lonely = update_submission(
        orphan, base_version="1", branch_id=str(uuid_module.uuid4()), values={"height": "7"}
    )
    submit(client, admin_headers, project_id, lonely)
    assert len(_audits(client, admin_headers, "submission.backlog.hold")) == 2
    assert force_backlog(services) == 0  # nothing has waited five days
    assert force_backlog(services, older_than=timedelta(0)) == 2
    assert len(_audits(client, admin_headers, "submission.backlog.force")) == 2
    current = _entity(client, admin_headers, project_id, uuid).json()["currentVersion"]
    assert current["version"] == 2 and current["data"]["height"] == "13"
    made = _entity(client, admin_headers, project_id, orphan).json()["currentVersion"]
    assert made["label"] == "auto generated" and made["data"] == {"height": "7"}
    assert force_backlog(services, older_than=timedelta(0)) == 0


def test_a_database_clash_in_entity_work_is_audited_and_the_submission_stays(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    """Two offline updates claiming the same place in one branch: the second cannot be
    held beside the first; it is an entity.error, and both submissions are accepted."""
    _forms(client, admin_headers, project_id)
    xml, uuid = create_submission()
    submit(client, admin_headers, project_id, xml)
    branch = str(uuid_module.uuid4())
    for height in ("13", "14"):
        held = update_submission(
            uuid, base_version="3", trunk_version="1", branch_id=branch, values={"height": height}
        )
        assert submit(client, admin_headers, project_id, held).status_code == 201
    [error] = _audits(client, admin_headers, "entity.error")
    assert error["details"]["problem"] is None
    listed = client.get(
        f"/v1/projects/{project_id}/forms/tree_update/submissions", headers=admin_headers
    )
    assert len(listed.json()) == 2
