"""The `jaring` command line: users, app users with their QR code, first-run setup."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from server.cli import app
from server.data.collect_settings import decode_settings
from server.domain import Services
from server.domain.access import SYSTEM
from server.domain.accounts import log_in
from server.domain.forms import list_forms
from server.domain.projects import create_project, list_app_users
from server.settings import Settings


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    if settings.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
        result = runner.invoke(
            app, [*args, "--data-dir", str(settings.data_dir)], input=stdin, catch_exceptions=False
        )
        return result

    return invoke


def test_users_create_and_promote(run, services: Services) -> None:  # type: ignore[no-untyped-def]
    created = run(
        "users", "create", "ani@example.org", "--password-stdin", stdin="rahasia-sekali\n"
    )
    assert created.exit_code == 0, created.output
    session, actor = log_in(services, email="ani@example.org", password="rahasia-sekali")
    assert actor.display_name == "ani@example.org"
    promoted = run("users", "promote", "ani@example.org")
    assert promoted.exit_code == 0 and "now an administrator" in promoted.output
    again = run("users", "promote", "ani@example.org")
    assert "already" in again.output
    duplicate = run("users", "create", "ani@example.org", "--password-stdin", stdin="x" * 12)
    assert duplicate.exit_code == 1 and "already a web user" in duplicate.output
    short = run("users", "create", "budi@example.org", "--password-stdin", stdin="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output


def test_app_users_create_prints_token_and_qr(run, services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project = create_project(services, SYSTEM, name="Jawa Timur")
    qr_file = tmp_path / "qr.png"
    result = run(
        "app-users",
        "create",
        str(project.id),
        "HP Surabaya",
        "--qr",
        str(qr_file),
        "--origin",
        "https://jaring.example.org",
    )
    assert result.exit_code == 0, result.output
    [(row, key)] = list_app_users(services, SYSTEM, project_id=project.id or 0)
    assert key.token is not None and key.token in result.output
    server_url = f"https://jaring.example.org/v1/key/{key.token}/projects/{project.id}"
    assert server_url in result.output
    assert qr_file.read_bytes().startswith(b"\x89PNG")
    assert "█" in result.output or "▀" in result.output


def test_qr_payload_is_what_collect_reads() -> None:
    from server.data.collect_settings import collect_settings, encode_settings

    payload = encode_settings(collect_settings("https://x.org/v1/key/T/projects/3", "Aceh"))
    decoded = decode_settings(payload)
    assert decoded["general"] == {
        "server_url": "https://x.org/v1/key/T/projects/3",
        "form_update_mode": "match_exactly",
        "autosend": "wifi_and_cellular",
    }
    assert decoded["project"] == {"name": "Aceh"}
    assert json.dumps(decoded)


def _instrument(folder: Path, form_id: str, version: str) -> None:
    workbook = openpyxl.Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["text", "nama", "Nama"])
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "version", "form_title"])
    settings.append([form_id, version, "Uji"])
    out = io.BytesIO()
    workbook.save(out)
    (folder / f"{form_id}.xlsx").write_bytes(out.getvalue())


def test_setup_publishes_instruments_once(run, services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "instruments"
    folder.mkdir()
    _instrument(folder, "uji", "2026112701")
    first = run("setup", "--instruments", str(folder), "--origin", "http://10.0.0.5:8080")
    assert first.exit_code == 0, first.output
    assert "form uji version 2026112701: created" in first.output
    assert "http://10.0.0.5:8080/v1/key/" in first.output
    again = run("setup", "--instruments", str(folder), "--origin", "http://10.0.0.5:8080")
    assert "unchanged" in again.output
    _instrument(folder, "uji", "2026112702")
    changed = run("setup", "--instruments", str(folder), "--origin", "http://10.0.0.5:8080")
    assert "form uji version 2026112702: updated" in changed.output
    [view] = list_forms(services, SYSTEM, project_id=1)
    assert view.definition is not None and view.definition.version == "2026112702"
    # One app user throughout, with the same token shown every time.
    assert len(list_app_users(services, SYSTEM, project_id=1)) == 1


def test_setup_makes_a_first_administrator_once(run, services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "instruments"
    folder.mkdir()
    first = run("setup", "--instruments", str(folder), "--origin", "http://10.0.0.5:8080")
    assert first.exit_code == 0, first.output
    assert "Console for coordinators, in a browser: http://10.0.0.5:8080/" in first.output
    assert "First administrator: admin@jaring.local" in first.output
    [password] = [
        line.split(":", 1)[1].strip()
        for line in first.output.splitlines()
        if line.strip().startswith("password:")
    ]
    assert len(password) == 16
    new, _actor = log_in(services, email="admin@jaring.local", password=password)
    assert new.token
    # A second run keeps the administrator and shows no password.
    again = run("setup", "--instruments", str(folder), "--origin", "http://10.0.0.5:8080")
    assert "First administrator" not in again.output and "password:" not in again.output
    assert "Console for coordinators" in again.output


def test_setup_takes_the_first_administrators_password_from_the_environment(
    run,
    services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("JARING_ADMIN_EMAIL", "koordinator@aceh.example.org")
    monkeypatch.setenv("JARING_ADMIN_PASSWORD", "sandi-pilihan-sendiri")
    result = run("setup", "--instruments", str(tmp_path), "--origin", "http://10.0.0.5:8080")
    assert "First administrator: koordinator@aceh.example.org" in result.output
    assert "password:" not in result.output
    log_in(services, email="koordinator@aceh.example.org", password="sandi-pilihan-sendiri")


def test_users_password_sets_a_new_one(run, services: Services) -> None:  # type: ignore[no-untyped-def]
    run("users", "create", "ani@example.org", "--password-stdin", stdin="sandi-lama-panjang\n")
    changed = run(
        "users", "password", "ani@example.org", "--password-stdin", stdin="sandi-baru-2026\n"
    )
    assert changed.exit_code == 0 and "was changed" in changed.output
    log_in(services, email="ani@example.org", password="sandi-baru-2026")
    missing = run(
        "users", "password", "siapa@example.org", "--password-stdin", stdin="x" * 12 + "\n"
    )
    assert missing.exit_code == 1


def test_app_users_create_names_a_lan_address_on_jaring_port(
    run,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    from server.http import urls

    project = create_project(services, SYSTEM, name="Aceh")
    monkeypatch.setenv("JARING_PORT", "8181")
    monkeypatch.setattr(urls, "lan_address", lambda: "192.168.43.7")
    found = run("app-users", "create", str(project.id), "HP Banda Aceh")
    assert found.exit_code == 0, found.output
    assert "server URL: http://192.168.43.7:8181/v1/key/" in found.output
    assert "Warning" not in found.output
    # A machine with no address but loopback: said plainly, with what to do.
    monkeypatch.setattr(urls, "lan_address", lambda: None)
    alone = run("app-users", "create", str(project.id), "HP Lhokseumawe")
    assert alone.exit_code == 0
    assert "no network address but 127.0.0.1" in alone.output
    assert "JARING_PUBLIC_URL" in alone.output and "--origin" in alone.output
    assert "server URL: http://127.0.0.1:8181/" in alone.output


def test_the_lan_address_is_not_loopback() -> None:
    from server.external.network import is_loopback_host, lan_address, usable

    found = lan_address()
    assert found is None or usable(found)
    assert is_loopback_host("localhost") and is_loopback_host("127.0.1.1")
    assert is_loopback_host("[::1]") and not is_loopback_host("192.168.1.20")
    assert not usable("127.0.0.1") and not usable("169.254.3.4") and usable("10.0.0.5")
