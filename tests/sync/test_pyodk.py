"""pyODK, the official ODK Python client, used unchanged against a running Jaring."""

from __future__ import annotations

from pathlib import Path

import httpx
from pyodk.client import Client

from sync import CollectClient
from tests.builders import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    collect_url,
    publish_xform,
    submission,
    xform,
)


def pyodk_client(tmp_path: Path, base_url: str, project_id: int) -> Client:
    config = tmp_path / "pyodk_config.toml"
    config.write_text(
        "[central]\n"
        f'base_url = "{base_url}"\n'
        f'username = "{ADMIN_EMAIL}"\n'
        f'password = "{ADMIN_PASSWORD}"\n'
        f"default_project_id = {project_id}\n"
    )
    return Client(config_path=str(config), cache_path=str(tmp_path / "pyodk_cache.toml"))


def test_pyodk_sessions_projects_and_forms(
    tmp_path: Path,
    base_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    with pyodk_client(tmp_path, base_url, project_id) as odk:
        projects = odk.projects.list()
        assert [(p.id, p.name) for p in projects] == [(project_id, "Sulawesi Selatan")]
        assert odk.projects.get(project_id).name == "Sulawesi Selatan"
        forms = odk.forms.list()
        assert [(f.xmlFormId, f.version) for f in forms] == [("profil", "1")]
        form = odk.forms.get("profil")
        assert form.name == "Profil inisiatif" and form.publishedAt is not None
        assert odk.submissions.list(form_id="profil") == []
    # The session token pyODK cached is reused on the next client.
    assert "token" in (tmp_path / "pyodk_cache.toml").read_text()


def test_pyodk_form_lifecycle_and_app_users(
    tmp_path: Path,
    base_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    first = tmp_path / "profil.xml"
    first.write_bytes(xform(version="1", media=("desa.csv",)))
    media = tmp_path / "desa.csv"
    media.write_text("name,label\n1,Satu\n")
    second = tmp_path / "profil-2.xml"
    second.write_bytes(xform(version="2", title="Profil v2", media=("desa.csv",)))
    with pyodk_client(tmp_path, base_url, project_id) as odk:
        created = odk.forms.create(definition=first, attachments=[media])
        assert created.xmlFormId == "profil"
        assert odk.forms.get("profil").publishedAt is not None
        media.write_text("name,label\n1,Satu\n2,Dua\n")
        odk.forms.update("profil", definition=second, attachments=[media])
        form = odk.forms.get("profil")
        assert (form.version, form.name) == ("2", "Profil v2")
        odk.forms.update("profil", attachments=[media], version_updater=lambda v: f"{v}.1")
        assert odk.forms.get("profil").version == "2.1"
        [phone] = odk.projects.create_app_users(display_names=["HP 1"], forms=["profil"])
        assert phone.token
        # Running it again skips the app user that already exists.
        assert list(odk.projects.create_app_users(display_names=["HP 1"])) == []
    versions = client.get(f"/v1/projects/{project_id}/forms/profil/versions", headers=admin_headers)
    assert [v["version"] for v in versions.json()] == ["2.1", "2", "1"]
    served = client.get(
        f"/v1/projects/{project_id}/forms/profil/attachments/desa.csv", headers=admin_headers
    )
    assert served.text == "name,label\n1,Satu\n2,Dua\n"
    assigned = client.get(
        f"/v1/projects/{project_id}/forms/profil/assignments/app-user", headers=admin_headers
    ).json()
    # Central lists the assigned actors themselves.
    assert [(a["id"], a["type"], a["displayName"]) for a in assigned] == [
        (phone.id, "field_key", "HP 1")
    ]
    assert set(assigned[0]) == {"id", "type", "displayName", "createdAt", "updatedAt", "deletedAt"}
    # The app user pyODK made sees its form, as a phone would.
    with CollectClient(collect_url(base_url, phone.token, project_id)) as collect:
        assert [item.form_id for item in collect.form_list()] == ["profil"]


def test_pyodk_submissions(
    tmp_path: Path,
    base_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    publish_xform(client, admin_headers, project_id, xform())
    photo = tmp_path / "foto.jpg"
    photo.write_bytes(b"\xff\xd8jpeg")
    with pyodk_client(tmp_path, base_url, project_id) as odk:
        created = odk.submissions.create(
            xml=submission(instance_id="uuid:pyodk-1", photo="foto.jpg").decode(),
            form_id="profil",
            device_id="pyodk-test",
            attachments=[photo],
        )
        assert created.instanceId == "uuid:pyodk-1"
        assert [a.exists for a in created.attachments or []] == [True]
        [listed] = odk.submissions.list(form_id="profil")
        assert (listed.instanceId, listed.deviceId) == ("uuid:pyodk-1", "pyodk-test")
        assert odk.submissions.get("uuid:pyodk-1", form_id="profil").submitterId is not None
        edit = submission(instance_id="uuid:pyodk-2", name="Baru", deprecated_id="uuid:pyodk-1")
        odk.submissions.edit("uuid:pyodk-1", xml=edit.decode(), form_id="profil", comment="Ubah")
        odk.submissions.review("uuid:pyodk-1", "approved", form_id="profil", comment="Bagus")
        assert odk.submissions.get("uuid:pyodk-1", form_id="profil").reviewState == "approved"
        odk.submissions.add_comment("uuid:pyodk-1", "Catatan", form_id="profil")
        comments = odk.submissions.list_comments("uuid:pyodk-1", form_id="profil")
        assert [c.body for c in comments] == ["Catatan", "Bagus", "Ubah"]
        extended = odk.get(
            f"projects/{project_id}/forms/profil/submissions/uuid:pyodk-1/comments",
            headers={"X-Extended-Metadata": "true"},
        ).json()
        admin = odk.get("users/current").json()
        assert [(c["body"], c["actor"]["id"]) for c in extended] == [
            ("Catatan", admin["id"]),
            ("Bagus", admin["id"]),
            ("Ubah", admin["id"]),
        ]
        assert extended[0]["actor"]["displayName"] == admin["displayName"]
        assert all(
            "actor" not in c
            for c in odk.get(
                f"projects/{project_id}/forms/profil/submissions/uuid:pyodk-1/comments"
            ).json()
        )
    current = client.get(
        f"/v1/projects/{project_id}/forms/profil/submissions/uuid:pyodk-1.xml",
        headers=admin_headers,
    )
    assert b"uuid:pyodk-2" in current.content
