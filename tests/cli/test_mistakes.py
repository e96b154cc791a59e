"""A user's mistake with any `jaring` command: one sentence saying what to do, exit status 1
(2 for a usage mistake), never a Python traceback, and nothing half made.

Every command runs as a user runs it: the installed ``jaring`` in its own process, with no
terminal, on this test's data folder and database (SQLite, or PostgreSQL with DATABASE_URL).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from server.domain import Services
from server.domain.access import SYSTEM
from server.domain.projects import create_project, list_app_users
from server.settings import Settings
from tests.cli.terminal import run
from tests.reliability.support import free_port, server_env


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    environment = server_env(settings, JARING_PUBLIC_URL="http://10.0.0.5:8080")
    for name in ("JARING_EMAIL", "JARING_PASSWORD", "JARING_ADMIN_PASSWORD", "PYODK_CONFIG_FILE"):
        environment.pop(name, None)
    return environment


def _refused(result, *fragments: str, status: int = 1) -> None:  # type: ignore[no-untyped-def]
    shown = result.stdout + result.stderr
    assert result.returncode == status, shown
    assert "Traceback" not in shown and 'File "' not in shown, shown
    for fragment in fragments:
        assert fragment in shown, shown
    if status == 1:
        [line] = [line for line in result.stderr.splitlines() if line.strip()]
        assert line.startswith("Error: ") and line.endswith("."), line


MISTAKES = {
    "users create: not an email": (
        ["users", "create", "ani", "--password-stdin"],
        "sandi-cukup-panjang\n",
        ["'ani' is not an email address", "name@example.org"],
    ),
    "users create: short password": (
        ["users", "create", "ani@example.org", "--password-stdin"],
        "pendek\n",
        ["too short", "at least 10 characters", "this one has 6"],
    ),
    "users create: no terminal for the password": (
        ["users", "create", "ani@example.org"],
        None,
        ["no terminal", "--password-stdin"],
    ),
    "users password: unknown user": (
        ["users", "password", "siapa@example.org", "--password-stdin"],
        "sandi-cukup-panjang\n",
        ["There is no web user siapa@example.org", "jaring users create"],
    ),
    "users promote: unknown user": (
        ["users", "promote", "siapa@example.org"],
        None,
        ["There is no web user siapa@example.org"],
    ),
    "projects create: empty name": (
        ["projects", "create", "  "],
        None,
        ["Give the project a name"],
    ),
    "app-users create: no such project": (
        ["app-users", "create", "99", "HP Surabaya"],
        None,
        ["There is no project 99", "jaring projects list"],
    ),
    "app-users create: origin without http://": (
        ["app-users", "create", "1", "HP", "--origin", "192.168.1.20:8080"],
        None,
        ["must start with http:// or https://", "'192.168.1.20:8080'"],
    ),
    "setup: no instruments folder": (
        ["setup", "--instruments", "/no/such/folder"],
        None,
        ["There is no folder /no/such/folder", "--instruments"],
    ),
    "setup: QR file type": (
        ["setup", "--instruments", "/tmp", "--qr", "qr.jpg"],
        None,
        [".png or .svg", "qr.jpg"],
    ),
    "forms build: no instruments folder": (
        ["forms", "build", "--instruments", "/no/such/folder"],
        None,
        ["no folder /no/such/folder", "--instruments"],
    ),
    "forms wilayah: no source folder": (
        ["forms", "wilayah", "/no/such/folder", "--instruments", "/tmp"],
        None,
        ["There is no /no/such/folder/provinces.csv"],
    ),
    "forms push: no such workbook": (
        ["forms", "push", "/no/such.xlsx", "--server", "http://127.0.0.1:9", "--project", "1"],
        None,
        ["there is no /no/such.xlsx"],
    ),
    "pull: no terminal for the password": (
        ["pull", "--server", "http://127.0.0.1:9", "--project", "1", "--email", "a@b.org"],
        None,
        ["no terminal", "set JARING_PASSWORD"],
    ),
    "restore: not a backup": (
        ["restore", "/no/such/folder"],
        None,
        ["not a (complete) Jaring backup"],
    ),
}


@pytest.mark.parametrize("case", MISTAKES, ids=list(MISTAKES))
def test_a_mistake_is_one_sentence(case: str, env: dict[str, str]) -> None:
    args, stdin, fragments = MISTAKES[case]
    _refused(run(args, env, stdin=stdin), *fragments)


def test_usage_mistakes_name_what_is_missing(env: dict[str, str]) -> None:
    _refused(run(["users", "create"], env), "Missing argument", "email", status=2)
    _refused(run(["app-users", "create", "satu", "HP"], env), "project_id", status=2)


def test_an_unreachable_server_is_named(env: dict[str, str]) -> None:
    port = free_port()  # nothing listens there
    env = {**env, "JARING_PASSWORD": "sandi-cukup-panjang"}
    pull = ["pull", "--server", f"http://127.0.0.1:{port}", "--project", "1"]
    _refused(
        run([*pull, "--email", "ani@example.org"], env),
        f"Could not reach the server http://127.0.0.1:{port}",
        "the server is running",
    )
    _refused(
        run(
            ["pull", "--server", "jaring.example.org", "--email", "a@b.org", "--project", "1"], env
        ),
        "starts with http:// or https://",
    )


def test_a_database_that_cannot_be_opened_is_named(env: dict[str, str], tmp_path: Path) -> None:
    _refused(
        run(["projects", "list"], {**env, "DATABASE_URL": "localhost/jaring"}),
        "DATABASE_URL is not a database address",
    )
    port = free_port()
    unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{port}/jaring"
    _refused(
        run(["projects", "list"], {**env, "DATABASE_URL": unreachable}),
        "Could not open the database",
        "PostgreSQL is running",
    )
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("")
    _refused(
        run(["projects", "list", "--data-dir", str(in_the_way)], env),
        f"{in_the_way} is in the way",
    )


def test_a_refused_app_user_leaves_nothing_behind(
    env: dict[str, str], services: Services, tmp_path: Path
) -> None:
    project = create_project(services, SYSTEM, name="Jawa Timur")
    assert project.id is not None
    create = ["app-users", "create", str(project.id), "HP Surabaya"]
    _refused(run([*create, "--form", "tidak_ada"], env), "has no form tidak_ada", "none yet")
    _refused(run([*create, "--qr", str(tmp_path / "qr.jpg")], env), ".png or .svg")
    _refused(
        run([*create, "--qr", str(tmp_path / "no-folder" / "qr.png")], env),
        f"There is no folder {tmp_path / 'no-folder'}",
    )
    _refused(run(["app-users", "create", str(project.id), " "], env), "Give the app user a name")
    assert list_app_users(services, SYSTEM, project_id=project.id) == []
    made = run([*create, "--qr", str(tmp_path / "qr.svg")], env)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "qr.svg").read_text().lstrip().startswith("<?xml")
    assert len(list_app_users(services, SYSTEM, project_id=project.id)) == 1


def test_a_wrong_admin_password_in_the_environment_is_refused_before_anything(
    env: dict[str, str], services: Services, tmp_path: Path
) -> None:
    short = {**env, "JARING_ADMIN_PASSWORD": "pendek"}
    _refused(
        run(["setup", "--instruments", str(tmp_path)], short),
        "at least 10 characters",
        "JARING_ADMIN_PASSWORD",
    )
    with services.db.read() as session:
        from server.store import projects as project_store

        assert project_store.first_project(session) is None


def test_serve_on_a_port_in_use_says_so(env: dict[str, str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _refused(
            run(["serve", "--host", "127.0.0.1", "--port", str(port)], env),
            f"Cannot listen on 127.0.0.1:{port}",
            "--port",
        )
