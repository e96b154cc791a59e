"""An entity list for the console's tests: a form registering trees with a point, a form
updating their height, and the submissions that make entities, updates and conflicts."""

from __future__ import annotations

import uuid as uuid_module
from xml.sax.saxutils import escape

import httpx

from tests.entities.builders import (
    create_form,
    create_submission,
    submit,
    update_form,
    update_submission,
    upload,
)

PROPERTIES = ("species", "height", "location")


def publish_forms(client: httpx.Client, headers: dict[str, str], project_id: int) -> None:
    """``tree_registration`` (species, height, a geopoint ``location``) and ``tree_update``."""
    registration = create_form(properties=PROPERTIES).replace(
        b'nodeset="/data/location" type="string"', b'nodeset="/data/location" type="geopoint"'
    )
    assert b'type="geopoint"' in registration
    assert upload(client, headers, project_id, registration).status_code == 200
    assert upload(client, headers, project_id, update_form()).status_code == 200


def register(
    client: httpx.Client,
    headers: dict[str, str],
    project_id: int,
    label: str,
    *,
    height: str = "10",
    location: str = "",
) -> str:
    """A tree registered by a submission; its uuid."""
    xml, uuid = create_submission(
        label=escape(label),
        values={"species": escape(label), "height": height, "location": location},
    )
    assert submit(client, headers, project_id, xml).status_code == 201
    return uuid


def offline_update(
    client: httpx.Client, headers: dict[str, str], project_id: int, uuid: str, height: str
) -> None:
    """An update made offline on a phone that downloaded version 1: its own branch."""
    xml = update_submission(
        uuid,
        base_version="1",
        trunk_version="1",
        branch_id=str(uuid_module.uuid4()),
        values={"height": height},
    )
    assert submit(client, headers, project_id, xml).status_code == 201


def entity(
    client: httpx.Client, headers: dict[str, str], project_id: int, uuid: str
) -> dict[str, object]:
    response = client.get(
        f"/v1/projects/{project_id}/datasets/trees/entities/{uuid}", headers=headers
    )
    assert response.status_code == 200, response.text
    found: dict[str, object] = response.json()
    return found
