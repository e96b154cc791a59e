"""`jaring setup` and `jaring forms push` leave encryption to the coordinator, but say so
when the member interview goes out unencrypted; once the project encrypts, they see the
same instrument version as unchanged and keep the key on new versions."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from server.cli import app
from server.domain import Services
from server.domain.access import SYSTEM
from server.domain.encryption import enable_managed_encryption
from server.domain.forms import get_form
from server.settings import Settings
from server.tasks.instruments import MEANT_ENCRYPTED
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.cli.test_commands import _instrument
from tests.encryption.support import PASSPHRASE

INTERVIEW = next(iter(MEANT_ENCRYPTED))


def test_setup_warns_until_the_interview_is_encrypted(
    settings: Settings, services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if settings.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = tmp_path / "instruments"
    folder.mkdir()
    _instrument(folder, INTERVIEW, "2026112701")
    _instrument(folder, "uji", "2026112701")
    args = ["setup", "--instruments", str(folder), "--origin", "http://10.0.0.5:8080"]
    args += ["--data-dir", str(settings.data_dir)]
    first = CliRunner().invoke(app, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert f"WARNING: {INTERVIEW} is published WITHOUT encryption" in first.output
    assert "WARNING: uji" not in first.output
    enable_managed_encryption(services, SYSTEM, project_id=1, passphrase=PASSPHRASE, hint=None)
    again = CliRunner().invoke(app, args, catch_exceptions=False)
    assert f"form {INTERVIEW} version 2026112701: unchanged, encrypted" in again.output
    assert "WARNING" not in again.output
    _instrument(folder, INTERVIEW, "2026112702")
    newer = CliRunner().invoke(app, args, catch_exceptions=False)
    assert f"form {INTERVIEW} version 2026112702: updated, encrypted" in newer.output
    definition = get_form(services, SYSTEM, project_id=1, xml_form_id=INTERVIEW).definition
    assert definition is not None and definition.key_id is not None
    assert definition.version.startswith("2026112702[encrypted:")


def test_forms_push_warns_and_then_sees_the_encrypted_version_as_unchanged(
    base_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "instruments"
    folder.mkdir()
    _instrument(folder, INTERVIEW, "2026112701")
    monkeypatch.setenv("JARING_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("PYODK_CONFIG_FILE", str(tmp_path / "none.toml"))
    args = ["forms", "push", str(folder), "--server", base_url, "--project", str(project_id)]
    args += ["--email", ADMIN_EMAIL]
    first = CliRunner().invoke(app, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert f"WARNING: {INTERVIEW} is published WITHOUT encryption" in first.output
    on = client.post(
        f"/v1/projects/{project_id}/key", json={"passphrase": PASSPHRASE}, headers=admin_headers
    )
    assert on.status_code == 200
    again = CliRunner().invoke(app, args, catch_exceptions=False)
    assert f"{INTERVIEW} version 2026112701: unchanged, encrypted" in again.output
    assert "WARNING" not in again.output
    _instrument(folder, INTERVIEW, "2026112702")
    newer = CliRunner().invoke(app, args, catch_exceptions=False)
    assert newer.exit_code == 0, newer.output
    assert f"{INTERVIEW} version 2026112702: updated, encrypted" in newer.output
