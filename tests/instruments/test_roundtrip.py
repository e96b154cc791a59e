"""Each instrument, published with its media to a real server, takes a complete submission
(every field answered, repeats twice, a photo) and gives its values back unchanged."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from lxml import etree

from server.tasks.instruments import compile_instrument, find_instruments
from tests.builders import publish_xform
from tests.instruments.conftest import LISTED_REGION, phone_media
from tests.instruments.submission_builder import build_submission

INSTRUMENTS = Path(__file__).resolve().parents[2] / "instruments"
PATHS = find_instruments(INSTRUMENTS)
OPENROSA = {"X-OpenRosa-Version": "1.0"}


def leaf_values(xml: bytes) -> dict[str, str]:
    """Leaf path (with repeat positions, as the builder writes them) → text."""
    root = etree.fromstring(xml)
    values: dict[str, str] = {}

    def walk(element: etree._Element, path: str) -> None:
        children = [c for c in element if isinstance(c.tag, str)]
        if not children:
            values[path] = element.text or ""
            return
        counts: dict[str, int] = {}
        names = [etree.QName(c).localname for c in children]
        for child, name in zip(children, names, strict=True):
            counts[name] = counts.get(name, 0) + 1
            suffix = f"[{counts[name]}]" if names.count(name) > 1 else ""
            walk(child, f"{path}/{name}{suffix}")

    walk(root, f"/{etree.QName(root).localname}")
    return values


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_submission_round_trip(
    path: Path,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    tmp_path: Path,
) -> None:
    compiled = compile_instrument(path)
    created = publish_xform(client, admin_headers, project_id, compiled.xform, publish="false")
    assert created.status_code == 200, created.text
    base = f"/v1/projects/{project_id}/forms/{compiled.form_id}"
    for name, media_path in sorted(compiled.media.items()):
        uploaded = client.post(
            f"{base}/draft/attachments/{name}",
            content=media_path.read_bytes(),
            headers={**admin_headers, "Content-Type": "text/csv"},
        )
        assert uploaded.status_code == 200, uploaded.text
    published = client.post(f"{base}/draft/publish", headers=admin_headers)
    assert published.status_code == 200, published.text

    submission = build_submission(
        compiled.xform,
        phone_media(compiled, tmp_path),
        overrides=LISTED_REGION if compiled.entity_lists else {},
    )
    files = [("xml_submission_file", ("submission.xml", submission.xml, "text/xml"))]
    files += [(name, (name, data, "image/png")) for name, data in submission.attachments.items()]
    posted = client.post(
        f"/v1/projects/{project_id}/submission",
        files=files,
        headers={**admin_headers, **OPENROSA},
    )
    assert posted.status_code == 201, posted.text

    stored = client.get(f"{base}/submissions/{submission.instance_id}.xml", headers=admin_headers)
    assert stored.status_code == 200, stored.text
    assert leaf_values(stored.content) == submission.values
    for name, data in submission.attachments.items():
        attachment = client.get(
            f"{base}/submissions/{submission.instance_id}/attachments/{name}",
            headers=admin_headers,
        )
        assert attachment.status_code == 200, attachment.text
        assert attachment.content == data
