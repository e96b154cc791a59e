"""The `jaring` command line: parses arguments, then calls `server.tasks` and the domain.

One command group per module: `serve`, `setup`, `users` and `app-users` here, `forms` in
`forms.py`, `projects` in `projects.py`. Every command takes ``--data-dir`` and reads
``DATABASE_URL`` the same way, and brings the database schema up to date before it does
anything else. A user's mistake ends a command with one sentence saying what to do
(`errors.py`), never a traceback.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from server.cli import atlas, backup, blobs, forms, projects, pull, relay
from server.cli.common import DEFAULT_DATA_DIR, DataDirOption, PortOption, open_services
from server.cli.errors import Friendly, refuse
from server.domain import accounts
from server.problems import Problem
from server.settings import Settings
from server.tasks.app_users import (
    ProvisionedAppUser,
    check_qr_file,
    provision_app_user,
    save_qr,
)
from server.tasks.instruments import MEANT_ENCRYPTED, unencrypted_warning

T = TypeVar("T")

app = typer.Typer(
    cls=Friendly, help="Jaring: an ODK Collect server for the SSE mapping.", no_args_is_help=True
)
users_app = typer.Typer(help="Web users: coordinators and analysts.", no_args_is_help=True)
app_users_app = typer.Typer(help="App users: phones running ODK Collect.", no_args_is_help=True)
app.add_typer(forms.app, name="forms")
app.add_typer(projects.app, name="projects")
app.add_typer(users_app, name="users")
app.add_typer(app_users_app, name="app-users")
app.add_typer(relay.app, name="relay")
app.add_typer(atlas.app, name="atlas")
app.add_typer(blobs.app, name="blobs")
app.command("backup")(backup.backup_command)
app.command("restore")(backup.restore_command)
app.command("pull")(pull.pull_command)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: PortOption = 8080,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            envvar="JARING_WORKERS",
            help="Server processes sharing the port. Unset: one per CPU core this process"
            " may use, so the machine's whole speed; SQLite writers take turns through a"
            " lock file.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the server: OpenRosa for ODK Collect and the ODK Central API."""
    _check_port_free(host, port)
    if workers is None:
        workers = default_workers()
    if workers > 1:
        _serve_workers(host, port, data_dir, workers)
    else:
        _serve_in_this_process(host, port, data_dir)


def default_workers() -> int:
    """One server process per CPU core this process may run on (its affinity, which a
    container's CPU set narrows), at least one."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _check_port_free(host: str, port: int) -> None:
    """Refuse at once, in one sentence, a port another program is listening on."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except OSError:
        refuse(f"{host!r} is not an address of this machine: use --host 0.0.0.0 or 127.0.0.1.")
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            refuse(
                f"Cannot listen on {host}:{port} ({error.strerror}): stop the program using"
                " that port, or choose another with --port (or JARING_PORT)."
            )


def _serve_in_this_process(host: str, port: int, data_dir: Path) -> None:
    import uvicorn

    from server.app import create_app

    services = open_services(data_dir, pooled=True)
    typer.echo(f"Jaring on http://{host}:{port} (database: {_describe(services.db.url)})")
    uvicorn.run(create_app(services.settings, services=services), **_uvicorn_options(host, port))


def _serve_workers(host: str, port: int, data_dir: Path, workers: int) -> None:
    """``workers`` uvicorn processes, each building the app from the environment.

    The schema is upgraded here, once, before any worker starts; the workers find it
    current. They are spawned (not forked), so they read the data folder and database
    from ``JARING_DATA_DIR`` and ``DATABASE_URL`` as `Settings` does.
    """
    import uvicorn

    services = open_services(data_dir)
    services.db.dispose()
    _hand_settings_to_workers(services.settings)
    typer.echo(
        f"Jaring on http://{host}:{port} with {workers} worker processes"
        f" (database: {_describe(services.db.url)})"
    )
    uvicorn.run(
        "server.app:create_app_from_environment",
        factory=True,
        workers=workers,
        # A worker still importing on a busy machine answers the supervisor's ping late;
        # uvicorn's 5 s would kill and restart it over and over.
        timeout_worker_healthcheck=60,
        **_uvicorn_options(host, port),
    )


def _hand_settings_to_workers(settings: Settings) -> None:
    os.environ["JARING_DATA_DIR"] = str(settings.data_dir.resolve())
    if settings.database_url:
        os.environ["DATABASE_URL"] = settings.database_url


def _uvicorn_options(host: str, port: int) -> dict[str, Any]:
    """What `serve` passes to uvicorn, with one worker or several."""
    from server.http.logs import uvicorn_log_config

    return dict(
        host=host,
        port=port,
        log_level="info",
        log_config=uvicorn_log_config(),
        access_log=False,  # RequestContext writes the access log, with request IDs
        http="h11",  # bounded header parsing: a header block above 64 kB is refused
        h11_max_incomplete_event_size=64 * 1024,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        timeout_keep_alive=5,  # idle keep-alive connections are closed after 5 s
        timeout_graceful_shutdown=30,  # on SIGTERM, in-flight uploads get 30 s to finish
    )


@app.command()
def setup(
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    instruments: Annotated[
        Path, typer.Option(help="Folder of XLSForm instruments to publish.")
    ] = Path("instruments"),
    origin: Annotated[
        str | None,
        typer.Option(
            help="URL phones use to reach this server (default: this machine's LAN address)."
        ),
    ] = None,
    port: PortOption = 8080,
    qr: Annotated[
        Path | None, typer.Option(help="Also save the QR code to this .png/.svg.")
    ] = None,
    admin_email: Annotated[
        str,
        typer.Option(
            envvar="JARING_ADMIN_EMAIL",
            help="Email of the first administrator, made when there is none.",
        ),
    ] = "admin@jaring.local",
) -> None:
    """Prepare a first run: an administrator for the console, a project with the
    instruments published, and an app user's QR code for ODK Collect."""
    from server.tasks.first_run import ensure_administrator, prepare

    if not instruments.is_dir():
        refuse(
            f"There is no folder {instruments} of XLSForms: give --instruments the folder"
            " (instruments/ in Jaring's repository), or an empty folder for none."
        )
    if qr is not None:
        check_qr_file(qr)
    services = open_services(data_dir)
    server_origin = _phone_origin(origin or services.settings.public_url, port)
    first_admin = None
    if not accounts.has_administrator(services):
        email, password = _first_admin_credentials(admin_email)
        first_admin = _run(lambda: ensure_administrator(services, email=email, password=password))
    result = _run(lambda: prepare(services, instruments_dir=instruments, origin=server_origin))
    typer.echo(f"Project {result.project.id}: {result.project.name}")
    for outcome in result.published:
        sealed = ", encrypted" if outcome.encrypted else ""
        typer.echo(f"  form {outcome.form_id} version {outcome.version}: {outcome.action}{sealed}")
    for outcome in result.published:
        if outcome.form_id in MEANT_ENCRYPTED and not outcome.encrypted:
            typer.echo(unencrypted_warning(outcome.form_id), err=True)
    _show_app_user(result.app_user, qr)
    rule = "=" * 72
    typer.echo(rule)
    typer.echo(f"Console for coordinators, in a browser: {server_origin}/")
    typer.echo(f"  (on this computer: http://127.0.0.1:{port}/)")
    if first_admin is not None:
        typer.echo(f"First administrator: {first_admin.email}")
        if first_admin.generated_password is not None:
            typer.echo(f"  password: {first_admin.generated_password}")
            typer.echo("  This password is shown only now: write it down, then change it under")
            typer.echo(
                "  My account. Lost it? Run: scripts/jaring users password " + first_admin.email
            )
    typer.echo(rule)


def _first_admin_credentials(default_email: str) -> tuple[str, str | None]:
    """The first administrator's email and password: asked for in a terminal, else the
    default email, JARING_ADMIN_PASSWORD or, without it, a generated password."""
    password = os.environ.get("JARING_ADMIN_PASSWORD") or None
    if password is not None:
        _check_password(password, "JARING_ADMIN_PASSWORD")
    if password is not None or not sys.stdin.isatty():
        _check_email(default_email, "JARING_ADMIN_EMAIL or --admin-email")
        return default_email, password
    typer.echo("No administrator yet: make one to sign in to the console.")
    while True:
        email = typer.prompt("Email", default=default_email).strip()
        if _email_problem(email) is None:
            break
        typer.echo(_email_problem(email))
    return email, _ask_password(allow_empty=True)


def _ask_password(*, allow_empty: bool = False) -> str | None:
    """A new password typed twice in the terminal, until it follows the rules; None when
    ``allow_empty`` and nothing was typed (a random one is made then)."""
    empty = "; leave it empty to get a random one" if allow_empty else ""
    typer.echo(f"Password (at least {accounts.MIN_PASSWORD_LENGTH} characters{empty}):")
    while True:
        first = getpass.getpass("Password: ")
        if not first and allow_empty:
            return None
        problem = _password_problem(first)
        if problem is not None:
            typer.echo(problem)
            continue
        if getpass.getpass("Password again: ") != first:
            typer.echo("The two passwords differ; try again.")
            continue
        return first


def _password_problem(password: str) -> str | None:
    if len(password) < accounts.MIN_PASSWORD_LENGTH:
        return (
            f"The password is too short: use at least {accounts.MIN_PASSWORD_LENGTH}"
            f" characters (this one has {len(password)})."
        )
    if len(password) > accounts.MAX_PASSWORD_LENGTH:
        return f"The password is too long: use at most {accounts.MAX_PASSWORD_LENGTH} characters."
    return None


def _check_password(password: str, source: str | None = None) -> None:
    problem = _password_problem(password)
    if problem is not None:
        refuse(f"{problem[:-1]} ({source})." if source else problem)


def _email_problem(email: str) -> str | None:
    if "@" not in email or any(c.isspace() for c in email) or len(email) > 320:
        return f"{email!r} is not an email address: write it as name@example.org."
    return None


def _check_email(email: str, source: str) -> None:
    problem = _email_problem(email)
    if problem is not None:
        refuse(f"{problem[:-1]} ({source}).")


@users_app.command("create")
def users_create(
    email: str,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an administrator.")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Create a web user (prompts for the password)."""
    _check_email(email, "the EMAIL argument")
    password = _read_password(password_stdin)
    services = open_services(data_dir)
    actor, user = _run(
        lambda: accounts.create_user(services, email=email, password=password, admin=admin),
        conflict=f"There is already a web user {email}: to give them a new password, run"
        f" jaring users password {email}.",
    )
    typer.echo(f"Created user {user.email} (id {actor.id}){' as administrator' if admin else ''}.")


@users_app.command("password")
def users_password(
    email: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Set a new password for a web user (prompts for it), for one who lost theirs."""
    password = _read_password(password_stdin)
    services = open_services(data_dir)
    _run(
        lambda: accounts.set_password(services, email=email, password=password),
        missing=_no_user(email),
    )
    typer.echo(f"The password of {email} was changed.")


@users_app.command("promote")
def users_promote(email: str, data_dir: DataDirOption = DEFAULT_DATA_DIR) -> None:
    """Make a web user a site-wide administrator."""
    services = open_services(data_dir)
    changed = _run(
        lambda: accounts.promote_to_admin(services, email=email), missing=_no_user(email)
    )
    typer.echo(f"{email} is {'now' if changed else 'already'} an administrator.")


@app_users_app.command("create")
def app_users_create(
    project_id: int,
    name: str,
    form: Annotated[
        list[str] | None, typer.Option("--form", help="xmlFormId the app user may fill (repeat).")
    ] = None,
    qr: Annotated[
        Path | None, typer.Option(help="Also save the QR code to this .png/.svg.")
    ] = None,
    origin: Annotated[str | None, typer.Option(help="URL phones use to reach this server.")] = None,
    port: PortOption = 8080,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Create an app user for a project and print its token, server URL and QR code."""
    if qr is not None:
        check_qr_file(qr)
    services = open_services(data_dir)
    server_origin = _phone_origin(origin or services.settings.public_url, port)
    provisioned = provision_app_user(
        services,
        project_id=project_id,
        name=name,
        form_ids=form or [],
        origin=server_origin,
        qr_file=qr,
    )
    _show_app_user(provisioned, None)
    if qr is not None:
        typer.echo(f"QR code saved to {qr}")


def _phone_origin(configured: str | None, port: int) -> str:
    """The origin for phones' server URLs: the one given, else this machine's LAN address
    on ``port``; says so plainly when no address a phone could reach was found."""
    from server.http.urls import reachable_origin

    if configured is not None and not configured.startswith(("http://", "https://")):
        refuse(
            f"The address phones use must start with http:// or https:// (not {configured!r}),"
            " for example --origin http://192.168.1.20:8080 or JARING_PUBLIC_URL."
        )
    found = reachable_origin(f"http://127.0.0.1:{port}", configured)
    if not found.reachable:
        typer.echo(
            "Warning: this machine has no network address but 127.0.0.1, which phones cannot"
            " reach. Connect it to the network phones use (Wi-Fi), or give the address phones"
            " should use with --origin http://ADDRESS:PORT or JARING_PUBLIC_URL.",
            err=True,
        )
    return found.origin


def _show_app_user(provisioned: ProvisionedAppUser, qr_file: Path | None) -> None:
    typer.echo(f"App user {provisioned.display_name} (id {provisioned.actor_id})")
    typer.echo(f"  token:      {provisioned.token}")
    typer.echo(f"  server URL: {provisioned.server_url}")
    typer.echo("Scan this with ODK Collect (Project > Add project > Configure with QR code):")
    provisioned.qr.terminal(out=sys.stdout, compact=True)
    if qr_file is not None:
        save_qr(provisioned.qr, qr_file)
        typer.echo(f"QR code saved to {qr_file}")


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, or typed twice in a terminal."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        _check_password(password)
        return password
    if not sys.stdin.isatty():
        refuse(
            "There is no terminal to type the password in: give it on standard input with"
            ' --password-stdin (for example: echo "$PASSWORD" | jaring users … --password-stdin).'
        )
    password = _ask_password()
    assert password is not None
    return password


def _no_user(email: str) -> str:
    return (
        f"There is no web user {email}: check the spelling, or create one with"
        f" jaring users create {email}."
    )


def _run(work: Callable[[], T], *, missing: str | None = None, conflict: str | None = None) -> T:
    """Run domain work, turning a Problem into a clear message and exit status 1:
    ``missing`` for a 404, ``conflict`` for a 409, else the Problem's own message."""
    try:
        return work()
    except Problem as problem:
        if missing is not None and problem.status == 404:
            refuse(missing)
        if conflict is not None and problem.status == 409:
            refuse(conflict)
        refuse(problem.message)


def _describe(url: str) -> str:
    return url.split("@")[-1] if "@" in url else url


def main() -> None:
    app()
