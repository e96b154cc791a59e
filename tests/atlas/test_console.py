"""Publishing and withdrawing in the console: a few clicks, and the public side follows
at once."""

from __future__ import annotations

import httpx

from server.data.atlas import public_id
from tests.atlas.support import FORM_ID, Initiative, publish_form, review, submit
from tests.console.support import Console, text


def test_a_manager_publishes_an_atlas_and_withdraws_an_initiative(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, admin_console: Console
) -> None:
    publish_form(client, admin_headers, project_id)
    it = Initiative(name="Tenun Ina Makassar")
    submit(client, admin_headers, project_id, it)
    review(client, admin_headers, project_id, it.instance_id, "approved")

    settings = admin_console.get(f"/projects/{project_id}/settings")
    assert f"/projects/{project_id}/atlases" in settings.text
    made = admin_console.post(
        f"/projects/{project_id}/atlases",
        {"form": FORM_ID, "slug": "peta-kita", "title": "Peta kita"},
    )
    assert made.status_code == 303, made.text
    page = admin_console.get(made.headers["location"])
    assert page.status_code == 200
    labels = text(page, "#atlas-settings fieldset label")
    assert any("Nama ketua" in label for label in labels)  # offered, not ticked
    assert 'value="/ketua" checked' not in page.text
    assert admin_console.client.get("/atlas/peta-kita").status_code == 404  # not published yet

    saved = admin_console.post(
        f"/projects/{project_id}/atlases/peta-kita",
        {
            "title_id": "Peta kita",
            "title_en": "Our map",
            "licence": "CC BY 4.0",
            "precision": "village",
            "fields": ["/nama", "/sektor"],
            "consent_field": "/izin_publikasi",
            "published": "yes",
        },
    )
    assert saved.status_code == 303, saved.text
    key = public_id("peta-kita", it.instance_id)
    with httpx.Client(base_url=str(client.base_url)) as anonymous:
        assert it.name in anonymous.get("/atlas/peta-kita/initiatives").text
        assert anonymous.get(f"/atlas/peta-kita/initiatives/{key}").status_code == 200
        assert "Our map" in anonymous.get("/atlas/peta-kita?lang=en").text

        withdrawn = admin_console.post(
            f"/projects/{project_id}/atlases/peta-kita/withdraw",
            {"instance_id": it.instance_id, "reason": "consent"},
        )
        assert withdrawn.status_code == 303, withdrawn.text
        assert anonymous.get(f"/atlas/peta-kita/initiatives/{key}").status_code == 404
        assert it.name not in anonymous.get("/atlas/peta-kita/initiatives").text
        assert it.name not in anonymous.get("/atlas/peta-kita/data.csv").text
        assert key not in anonymous.get("/atlas/peta-kita/points.geojson").text
        managed = admin_console.get(f"/projects/{project_id}/atlases/peta-kita")
        assert "Ditarik" in managed.text

        restored = admin_console.post(
            f"/projects/{project_id}/atlases/peta-kita/restore", {"instance_id": it.instance_id}
        )
        assert restored.status_code == 303
        assert anonymous.get(f"/atlas/peta-kita/initiatives/{key}").status_code == 200
