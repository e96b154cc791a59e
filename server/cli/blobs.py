"""`jaring blobs migrate --to postgres|files`: see `server.tasks.blobs`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from server.cli.common import DEFAULT_DATA_DIR, DataDirOption, open_services
from server.cli.errors import refuse
from server.tasks.blobs import MigrateError, migrate

app = typer.Typer(help="The blob store: attachment and form media files.", no_args_is_help=True)


class Store(StrEnum):
    postgres = "postgres"
    files = "files"


@app.command("migrate")
def migrate_command(
    to: Annotated[Store, typer.Option("--to", help="The store to move every blob into.")],
    keep_source: Annotated[
        bool,
        typer.Option(
            "--keep-source", help="Leave each blob in the old store too (run again without it)."
        ),
    ] = False,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Move every blob between the data directory and PostgreSQL, checking each SHA-256.

    Safe to interrupt and run again. Then set JARING_BLOB_STORE (unset means postgres
    on PostgreSQL) and restart the servers.
    """
    services = open_services(data_dir)
    try:
        summary = migrate(
            services,
            to=to.value,
            keep_source=keep_source,
            progress=lambda line: typer.echo(f"… {line}", err=True),
        )
    except MigrateError as error:
        refuse(f"{str(error).rstrip('.')}.")
    finally:
        services.db.dispose()
    typer.echo(
        f"Moved {summary.moved} blobs into {to.value} ({summary.already} were there already),"
        f" every SHA-256 checked"
    )
    if summary.damaged:
        refuse(
            f"{len(summary.damaged)} blobs are damaged (their bytes do not match their"
            f" SHA-256) and were left where they are: {', '.join(summary.damaged[:5])}"
        )
