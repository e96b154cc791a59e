"""`jaring pull`: copy submissions (tables and attachments) from a server into a folder.

Credentials as for pyODK: ``--email`` or ``JARING_EMAIL``, the password from
``JARING_PASSWORD`` or a prompt, or both from a pyODK config file. The work is
`sync.pull.pull`; a second run fetches only what is new or changed.

``--passphrase-stdin`` reads the analysts' passphrase of the project's managed key from
standard input (never from the command line, where other users and the shell history
would see it) and writes encrypted forms' tables and media decrypted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from server.cli.errors import ask_password
from sync.central import CentralClient, credentials_from
from sync.errors import SyncError
from sync.pull import FORMATS, pull


def pull_command(
    server: Annotated[
        str | None, typer.Option(help="Server URL, e.g. https://jaring.example.org")
    ] = None,
    project: Annotated[int | None, typer.Option(help="Project ID.")] = None,
    out: Annotated[Path, typer.Option(help="Folder to keep the data in.")] = Path("jaring-pull"),
    form: Annotated[
        str | None, typer.Option(help="Only this form (xmlFormId); default: every form.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"Tables as {', '.join(FORMATS)}.")] = "csv",
    email: Annotated[str | None, typer.Option(help="Web user's email.")] = None,
    config: Annotated[Path | None, typer.Option(help="A pyODK config file.")] = None,
    passphrase_stdin: Annotated[
        bool,
        typer.Option(
            "--passphrase-stdin",
            help="Read the managed encryption passphrase from standard input and write"
            " encrypted submissions decrypted.",
        ),
    ] = False,
) -> None:
    """Download submissions incrementally: new and changed rows, with attachments."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    passphrase = _passphrase_from_stdin() if passphrase_stdin else None
    if passphrase is not None and fmt != "csv":
        raise typer.BadParameter("decrypted tables are written as CSV", param_hint="--format")
    password = os.environ.get("JARING_PASSWORD")
    try:
        credentials = credentials_from(
            server_url=server, email=email, password=password, config_path=config
        )
    except SyncError:
        if password is not None or not (server and email):
            raise
        password = ask_password(f"Password of {email}", "JARING_PASSWORD")
        credentials = credentials_from(server_url=server, email=email, password=password)
    project_id = project or credentials.default_project_id
    if project_id is None:
        raise typer.BadParameter("no project given", param_hint="--project")
    with (
        CentralClient(credentials) as client,
        Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True
        ) as bar,
    ):
        tasks: dict[str, int] = {}

        def progress(form_id: str, done: int, expected: int | None) -> None:
            if form_id not in tasks:
                tasks[form_id] = bar.add_task(form_id, total=expected)
            bar.update(tasks[form_id], completed=done, total=expected)

        try:
            results = pull(
                client,
                project_id=project_id,
                out=out,
                form_id=form,
                fmt=fmt,
                progress=progress,
                passphrase=passphrase,
            )
        except SyncError as error:
            typer.echo(f"Error: {error}", err=True)
            raise typer.Exit(1) from error
    for result in results:
        typer.echo(
            f"{result.form_id}: {result.fetched} new or changed, {result.total} in all, "
            f"{result.attachments} attachment(s) downloaded"
        )


def _passphrase_from_stdin() -> str:
    """The first line of standard input, without its line ending."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise typer.BadParameter("no passphrase on standard input", param_hint="--passphrase-stdin")
    return line
