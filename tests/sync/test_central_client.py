"""The Central REST client: credentials from a pyODK config, login, problems as errors."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import sync
from sync import CentralClient, ServerRefused, credentials_from
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD


def test_exported_members_are_complete_and_sorted() -> None:
    assert sync.__all__ == sorted(sync.__all__)
    assert all(hasattr(sync, name) for name in sync.__all__)


def test_credentials_from_pyodk_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JARING_EMAIL", raising=False)
    monkeypatch.delenv("JARING_PASSWORD", raising=False)
    config = tmp_path / "pyodk.toml"
    config.write_text(
        '[central]\nbase_url = "https://x.org/"\nusername = "a@b.c"\npassword = "pw"\n'
        "default_project_id = 4\n"
    )
    found = credentials_from(config_path=config)
    assert (found.server_url, found.email, found.password, found.default_project_id) == (
        "https://x.org",
        "a@b.c",
        "pw",
        4,
    )
    assert credentials_from(config_path=config, email="other@b.c").email == "other@b.c"
    with pytest.raises(sync.SyncError):
        credentials_from(config_path=tmp_path / "absent.toml")


def test_client_logs_in_and_raises_problems(
    base_url: str, admin_headers: dict[str, str], project_id: int
) -> None:
    good = sync.Credentials(base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    with CentralClient(good) as central:
        assert [p["id"] for p in central.json("GET", "/projects")] == [project_id]
        with pytest.raises(ServerRefused) as missing:
            central.request("GET", "/projects/999")
        assert missing.value.status == 404 and "Could not find" in missing.value.message
    with CentralClient(sync.Credentials(base_url, ADMIN_EMAIL, "wrong")) as central:
        with pytest.raises(ServerRefused) as refused:
            central.request("GET", "/projects")
        assert refused.value.status == 401


def test_stream_reads_large_bodies_incrementally(
    base_url: str, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    from tests.builders import publish_xform, xform

    publish_xform(client, admin_headers, project_id, xform())
    with CentralClient(sync.Credentials(base_url, ADMIN_EMAIL, ADMIN_PASSWORD)) as central:
        with central.stream("GET", f"/projects/{project_id}/forms/profil.xml") as response:
            assert b"".join(response.iter_bytes()) == xform()
