"""The first run as a newcomer meets it: `scripts/serve`, `scripts/jaring`, the prompts.

Each command runs in its own process, as typed by a user: in a pseudo-terminal where it
asks for the first administrator's email and password, and without a terminal (a service
manager, a pipe) where it makes a random password and prints it once.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from server.cli import default_workers
from server.domain import Services
from server.domain.access import SYSTEM
from server.domain.accounts import log_in
from server.domain.projects import list_app_users
from server.settings import Settings
from tests.cli.terminal import REPOSITORY, Terminal, run
from tests.reliability.support import free_port, server_env

SCRIPTS = REPOSITORY / "scripts"


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    environment = server_env(settings, JARING_PUBLIC_URL="http://10.0.0.5:8080")
    for name in ("JARING_ADMIN_EMAIL", "JARING_ADMIN_PASSWORD", "JARING_PORT", "JARING_WORKERS"):
        environment.pop(name, None)
    return environment


def test_setup_in_a_terminal_asks_for_the_first_administrator(
    env: dict[str, str], services: Services, tmp_path: Path
) -> None:
    terminal = Terminal(["setup", "--instruments", str(tmp_path)], env)
    try:
        terminal.expect("Email [admin@jaring.local]:")
        terminal.type("koordinator aceh")
        terminal.expect("is not an email address")
        terminal.expect("Email [admin@jaring.local]:")
        terminal.type("koordinator@aceh.example.org")
        terminal.expect("Password (at least 10 characters; leave it empty to get a random one)")
        terminal.expect("Password: ")
        terminal.type("pendek")
        terminal.expect("too short: use at least 10 characters (this one has 6)")
        terminal.expect("Password: ")
        terminal.type("sandi-koordinator")
        terminal.expect("Password again: ")
        terminal.type("sandi-yang-lain")
        terminal.expect("The two passwords differ")
        terminal.expect("Password: ")
        terminal.type("sandi-koordinator")
        terminal.expect("Password again: ")
        terminal.type("sandi-koordinator")
        assert terminal.wait() == 0, terminal.screen
    finally:
        terminal.close()
    screen = terminal.screen
    assert "sandi-koordinator" not in screen and "pendek" not in screen  # never echoed
    assert "First administrator: koordinator@aceh.example.org" in screen
    assert "password:" not in screen  # chosen, so not shown
    assert "Console for coordinators, in a browser: http://10.0.0.5:8080/" in screen
    log_in(services, email="koordinator@aceh.example.org", password="sandi-koordinator")


def test_setup_without_a_terminal_prints_a_random_password_once(
    env: dict[str, str], services: Services, tmp_path: Path
) -> None:
    jaring = str(SCRIPTS / "jaring")
    first = run([jaring, "setup", "--instruments", str(tmp_path)], env)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    [password] = [line.split(":", 1)[1].strip() for line in lines if "  password:" in line]
    assert "This password is shown only now" in first.stdout
    # The address and the administrator come right after the QR code, framed.
    block = first.stdout.split("=" * 72)
    assert len(block) == 3 and "Console for coordinators" in block[1] and password in block[1]
    assert "Scan this with ODK Collect" in block[0]
    log_in(services, email="admin@jaring.local", password=password)
    again = run([jaring, "setup", "--instruments", str(tmp_path)], env)
    assert again.returncode == 0, again.stderr
    assert "password:" not in again.stdout and password not in again.stdout
    assert "Console for coordinators" in again.stdout


def test_projects_and_app_users_through_scripts_jaring(
    env: dict[str, str], services: Services, tmp_path: Path
) -> None:
    jaring = str(SCRIPTS / "jaring")
    empty = run([jaring, "projects", "list"], env)
    assert empty.returncode == 0 and "No projects yet" in empty.stdout
    made = run([jaring, "projects", "create", "Pemetaan Aceh"], env)
    assert made.returncode == 0, made.stderr
    [project_id] = re.findall(r"^Project (\d+): Pemetaan Aceh$", made.stdout, re.M)
    phone = run([jaring, "app-users", "create", project_id, "HP Banda Aceh"], env)
    assert phone.returncode == 0, phone.stderr
    listed = run([jaring, "projects", "list"], env)
    assert listed.returncode == 0, listed.stderr
    [row] = [line.split() for line in listed.stdout.splitlines() if line.endswith("Pemetaan Aceh")]
    assert row[:4] == [project_id, "0", "1", "0"]  # id, forms, app users, submissions
    assert len(list_app_users(services, SYSTEM, project_id=int(project_id))) == 1


def test_users_create_in_a_terminal_states_the_password_rule(
    env: dict[str, str], services: Services
) -> None:
    terminal = Terminal(["users", "create", "ani@example.org"], env)
    try:
        terminal.expect("Password (at least 10 characters):")
        terminal.expect("Password: ")
        terminal.type("singkat")
        terminal.expect("at least 10 characters (this one has 7)")
        terminal.expect("Password: ")
        terminal.type("sandi-ani-2026")
        terminal.expect("Password again: ")
        terminal.type("sandi-ani-2026")
        assert terminal.wait() == 0, terminal.screen
    finally:
        terminal.close()
    assert "Created user ani@example.org" in terminal.screen
    log_in(services, email="ani@example.org", password="sandi-ani-2026")


def test_scripts_serve_in_a_terminal_from_first_prompt_to_a_signed_in_coordinator(
    settings: Settings, env: dict[str, str]
) -> None:
    port = free_port()
    data_dir = settings.data_dir.parent / "serve-data"
    terminal = Terminal(
        [str(SCRIPTS / "serve")],
        {
            **env,
            "JARING_PORT": str(port),
            "JARING_HOST": "127.0.0.1",
            "JARING_DATA_DIR": str(data_dir),
        },
    )
    try:
        terminal.expect("Email [admin@jaring.local]:", timeout=300)
        terminal.type("")
        terminal.expect("Password: ")
        terminal.type("sandi-pertama-kali")
        terminal.expect("Password again: ")
        terminal.type("sandi-pertama-kali")
        screen = terminal.expect(f"Jaring on http://127.0.0.1:{port}", timeout=300)
        assert "form ess_profil_inisiatif version" in screen
        # The README's command uses every core: one server process each.
        cores = default_workers()
        assert (f"with {cores} worker processes" in screen) == (cores > 1), screen
        assert "Scan this with ODK Collect" in screen
        assert "Console for coordinators, in a browser: http://10.0.0.5:8080/" in screen
        assert f"(on this computer: http://127.0.0.1:{port}/)" in screen
        [server_url] = re.findall(r"server URL: (\S+)", screen)
        origin = f"http://127.0.0.1:{port}"
        phone_url = server_url.replace("http://10.0.0.5:8080", origin)
        with httpx.Client(timeout=30) as http:
            terminal.expect("Uvicorn running on", timeout=120)
            # The worker processes may still be starting when the supervisor says so.
            deadline = time.monotonic() + 120
            while True:
                try:
                    health = http.get(f"{origin}/healthz")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, terminal.screen
                    time.sleep(0.2)
            assert health.status_code == 200
            signed_in = http.post(
                f"{origin}/v1/sessions",
                json={"email": "admin@jaring.local", "password": "sandi-pertama-kali"},
            )
            assert signed_in.status_code == 200, signed_in.text
            forms = http.get(f"{phone_url}/formList", headers={"X-OpenRosa-Version": "1.0"})
            assert forms.status_code == 200 and "ess_profil_inisiatif" in forms.text
    finally:
        terminal.close()
