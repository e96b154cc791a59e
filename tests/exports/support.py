"""Shared steps of the export tests: a published form and a few submissions."""

from __future__ import annotations

import httpx

from tests.builders import publish_xform, submission, xform

FORM = "profil"
PHOTO = b"\xff\xd8jpeg bytes"


def post_submission(
    client: httpx.Client, headers: dict[str, str], project_id: int, xml: bytes, photo: str = ""
) -> None:
    files: dict[str, tuple[str, bytes, str]] = {"xml_submission_file": ("s.xml", xml, "text/xml")}
    if photo:
        files[photo] = (photo, PHOTO, "image/jpeg")
    response = client.post(
        f"/v1/projects/{project_id}/submission",
        headers={**headers, "X-OpenRosa-Version": "1.0"},
        files=files,
    )
    assert response.status_code == 201, response.text


def seed(client: httpx.Client, headers: dict[str, str], project_id: int) -> list[str]:
    """The test form and three submissions (oldest first): returns their instanceIDs."""
    assert publish_xform(client, headers, project_id, xform()).status_code == 200
    ids = ["uuid:aaa-1", "uuid:bbb-2", "uuid:ccc-3"]
    post_submission(
        client, headers, project_id, submission(instance_id=ids[0], photo="a.jpg"), "a.jpg"
    )
    post_submission(
        client,
        headers,
        project_id,
        submission(instance_id=ids[1], name="Kelompok Tani", activities=(("padi", "900"),)),
    )
    post_submission(
        client,
        headers,
        project_id,
        submission(instance_id=ids[2], name='Warung, "Ibu"', activities=()),
    )
    return ids
