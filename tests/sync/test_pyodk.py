"""pyODK, the official ODK Python client, used unchanged against a running Jaring."""

from __future__ import annotations

from pathlib import Path

import httpx
from pyodk.client import Client

from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD, publish_xform, xform


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
