"""`jaring relay`: run this Jaring as a field hub that relays to a central server.

The first run configures the relay (upstream URL and project, an app-user token or a web
user's email) and keeps the settings in ``relay.db`` in the data directory, so a later
``jaring relay --watch`` alone resumes. The relay reads the hub through the hub's own
REST API, as a web user it creates once in this data directory (an administrator named
``relay-…@hub.invalid`` with a random password kept in ``relay.db``); the hub server
(``jaring serve``) must be running at ``--hub``. The work itself is `sync.relay.Relay`.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from server.cli.common import DEFAULT_DATA_DIR, DataDirOption
from server.cli.errors import ask_password
from sync.central import CentralClient, Credentials, credentials_from
from sync.errors import SyncError
from sync.relay import (
    DEFAULT_HUB_URL,
    UPSTREAM_PASSWORD_ENV,
    Relay,
    RelayConfig,
    config_from_state,
    new_device_id,
)
from sync.relay_state import STATES, RelayState

app = typer.Typer(help="Field hub: relay submissions upstream and bring forms down.")


@app.callback(invoke_without_command=True)
def relay(
    ctx: typer.Context,
    upstream: Annotated[
        str | None, typer.Option(help="The central server's URL, e.g. https://jaring.example.org")
    ] = None,
    upstream_project: Annotated[
        int | None, typer.Option(help="Project ID on the central server.")
    ] = None,
    app_user_token: Annotated[
        str | None, typer.Option(help="Upstream app user's token: the hub acts as a phone.")
    ] = None,
    email: Annotated[
        str | None,
        typer.Option(help=f"Upstream web user (password from {UPSTREAM_PASSWORD_ENV} or prompt)."),
    ] = None,
    project: Annotated[
        int | None,
        typer.Option(help="Local project to mirror into (default: one created the first time)."),
    ] = None,
    hub: Annotated[
        str | None, typer.Option(help=f"This hub's own server URL (default {DEFAULT_HUB_URL}).")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Relay what there is, then stop.")] = False,
    watch: Annotated[bool, typer.Option("--watch", help="Keep relaying until stopped.")] = False,
    max_rate: Annotated[
        int | None, typer.Option(help="Bandwidth bound towards upstream, in bytes per second.")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Most submissions offered upstream per cycle (50).")
    ] = None,
    interval: Annotated[
        float | None, typer.Option(help="Seconds between full cycles in --watch (60).")
    ] = None,
    poll: Annotated[
        float | None, typer.Option(help="Seconds between cheap polls of the hub (2).")
    ] = None,
    backoff_cap: Annotated[
        float | None, typer.Option(help="Longest wait after uplink failures, in seconds (300).")
    ] = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Relay this hub's submissions upstream and mirror upstream forms (configure once)."""
    if ctx.invoked_subcommand is not None:
        return
    if once and watch:
        raise typer.BadParameter("choose --once or --watch")
    state = RelayState.in_data_dir(data_dir)
    if app_user_token and email:
        raise typer.BadParameter("choose --app-user-token or --email")
    if app_user_token or email:  # switching mode forgets the other credential
        state.put(app_user_token=app_user_token, upstream_email=email)
    given = {
        "upstream_url": upstream.rstrip("/") if upstream else None,
        "upstream_project": upstream_project,
        "hub_url": hub.rstrip("/") if hub else None,
        "hub_project": project,
        "max_rate": max_rate,
        "batch_size": batch_size,
        "interval": interval,
        "poll": poll,
        "backoff_cap": backoff_cap,
    }
    state.put(**{key: value for key, value in given.items() if value is not None})
    if state.get("upstream_url") is None or state.get("upstream_project") is None:
        _fail("not configured yet: give --upstream, --upstream-project and a credential")
    if not state.get("app_user_token") and not state.get("upstream_email"):
        _fail("give --app-user-token TOKEN or --email EMAIL for the upstream server")
    if state.get("device_id") is None:
        state.put(device_id=new_device_id())
    if state.get("hub_email") is None:
        _create_hub_user(state, data_dir)
    config = _config(state)
    if state.get("hub_project") is None:
        config.hub_project = _create_local_project(state, config)
    with Relay(config, state, log=_log) as worker:
        if not watch:
            report = worker.run_once()
            if not report.ok:
                typer.echo(f"Stopped: {report.error}", err=True)
                raise typer.Exit(2)
            return
        _log(f"watching (hub {config.hub_url}, upstream {config.upstream_url}); Ctrl-C stops")
        stopping: list[bool] = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        try:
            worker.watch(stop=lambda: bool(stopping))
        except KeyboardInterrupt:
            pass


@app.command("status")
def status(data_dir: DataDirOption = DEFAULT_DATA_DIR) -> None:
    """Per form: submissions pending, sent, confirmed and failed (with reasons); the uplink."""
    state = RelayState.in_data_dir(data_dir)
    if state.get("upstream_url") is None:
        _fail(f"no relay is configured in {data_dir}")
    mode = (
        "as an app user (phone)"
        if state.get("app_user_token")
        else f"as {state.get('upstream_email')}"
    )
    typer.echo(
        f"upstream: {state.get('upstream_url')} project {state.get('upstream_project')} {mode}"
    )
    typer.echo(
        f"hub:      {state.get('hub_url', DEFAULT_HUB_URL)} project {state.get('hub_project')},"
        f" deviceID {state.get('device_id')}"
    )
    seen = state.get("uplink_seen")
    typer.echo(f"uplink:   last seen {_when(seen) if seen else 'never'}")
    if state.get("uplink_error"):
        typer.echo(
            f"          last failure {_when(state.get('uplink_error_at'))}:"
            f" {state.get('uplink_error')}"
        )
    rows = state.status()
    width = max([len("form"), *(len(row.xml_form_id) for row in rows)])
    typer.echo("")
    typer.echo(f"{'form':<{width}}  " + "  ".join(f"{name:>9}" for name in STATES))
    for row in rows:
        typer.echo(
            f"{row.xml_form_id:<{width}}  " + "  ".join(f"{row.counts[name]:>9}" for name in STATES)
        )
        for instance_id, reason in row.failures:
            typer.echo(f"  failed  {instance_id}: {reason}")
        for instance_id, reason in row.waiting:
            typer.echo(f"  waiting {instance_id}: {reason}")
    mirrored = state.forms()
    if mirrored:
        typer.echo("")
        typer.echo("forms from upstream:")
        for xml_form_id, version, mirrored_at, problem in mirrored:
            line = f"  {xml_form_id} version {version!r} mirrored {_when(mirrored_at)}"
            typer.echo(line + (f" — {problem}" if problem else ""))
    state.close()


@app.command("retry")
def retry(
    form: Annotated[str | None, typer.Option(help="Only this xmlFormId.")] = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Offer refused submissions again, once the cause upstream has been fixed."""
    state = RelayState.in_data_dir(data_dir)
    count = state.requeue_failed(form)
    typer.echo(f"{count} submission(s) queued again; the next relay cycle offers them.")


def _config(state: RelayState) -> RelayConfig:
    password = None
    if not state.get("app_user_token"):
        password = os.environ.get(UPSTREAM_PASSWORD_ENV)
        if password is None:
            password = ask_password(
                f"Password of {state.get('upstream_email')}", UPSTREAM_PASSWORD_ENV
            )
        try:
            password = credentials_from(
                server_url=state.get("upstream_url"),
                email=state.get("upstream_email"),
                password=password,
            ).password
        except SyncError as error:
            _fail(str(error))
    return config_from_state(state, upstream_password=password)


def _create_hub_user(state: RelayState, data_dir: Path) -> None:
    """The hub's own web user for the relay: an administrator, created once."""
    from server.cli.common import open_services
    from server.domain import accounts
    from server.problems import Problem

    email = f"relay-{secrets.token_hex(4)}@hub.invalid"
    password = secrets.token_urlsafe(24)
    services = open_services(data_dir)
    try:
        accounts.create_user(
            services, email=email, password=password, admin=True, display_name="Field hub relay"
        )
    except Problem as problem:
        _fail(problem.message)
    finally:
        services.db.dispose()
    state.put(hub_email=email, hub_password=password)


def _create_local_project(state: RelayState, config: RelayConfig) -> int:
    name = f"Field hub of {config.upstream_url} project {config.upstream_project}"
    try:
        with CentralClient(
            Credentials(config.hub_url, config.hub_email, config.hub_password)
        ) as hub:
            existing = [p["id"] for p in hub.json("GET", "/projects") if p["name"] == name]
            project_id = int(
                existing[0]
                if existing
                else hub.json("POST", "/projects", json={"name": name})["id"]
            )
    except Exception as error:  # noqa: BLE001 - any failure here is reported the same way
        _fail(f"could not create the hub's project at {config.hub_url}: {error}")
    state.put(hub_project=project_id)
    _log(f"created local project {project_id}: {name}")
    return project_id


def _when(moment: float | None) -> str:
    if moment is None:
        return "never"
    stamp = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    ago = int(time.time() - moment)
    spoken = f"{ago}s" if ago < 120 else f"{ago // 60} min" if ago < 7200 else f"{ago // 3600} h"
    return f"{stamp} ({spoken} ago)"


def _log(line: str) -> None:
    typer.echo(f"{datetime.now(UTC).strftime('%H:%M:%S')} {line}", err=False)


def _fail(message: str) -> Any:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)
