"""`jaring backup OUT` and `jaring restore IN`: see `server.tasks.backup`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli.common import DEFAULT_DATA_DIR, DataDirOption, open_services
from server.cli.errors import refuse
from server.settings import Settings
from server.store.database import Database
from server.store.migrate import upgrade
from server.tasks.backup import BackupError, read_manifest
from server.tasks.backup import backup as make_backup
from server.tasks.backup import restore as restore_backup


def backup_command(
    out: Annotated[Path, typer.Argument(help="New folder to write the backup into.")],
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Back up the database and attachments while the server runs (with a checksum manifest)."""
    services = open_services(data_dir)
    services.db.dispose()
    try:
        summary = make_backup(services.settings, out, progress=_say)
    except BackupError as error:
        refuse(f"{str(error).rstrip('.')}.")
    typer.echo(
        f"Backed up the {summary.database} database and {summary.blob_count} files"
        f" ({summary.total_bytes} bytes) to {summary.folder}"
    )


def restore_command(
    backup_dir: Annotated[Path, typer.Argument(metavar="IN", help="Folder `jaring backup` made.")],
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Restore a backup into a fresh data directory (and an empty DATABASE_URL database)."""
    settings = Settings(data_dir=data_dir)
    try:
        kind = restore_backup(backup_dir, settings, progress=_say)
    except BackupError as error:
        refuse(f"{str(error).rstrip('.')}.")
    database = Database(settings.resolved_database_url(), pooled=False)
    try:
        upgrade(database)
    finally:
        database.dispose()
    typer.echo(f"Restored the {kind} database and attachments into {data_dir}")
    kept_in = read_manifest(backup_dir).get("blob_store", "files")
    if kept_in != settings.resolved_blob_store():
        typer.echo(
            f"The backup's blobs were kept in {kept_in}, but this server keeps them in"
            f" {settings.resolved_blob_store()}: run `jaring blobs migrate --to"
            f" {settings.resolved_blob_store()}` before serving, or set"
            f" JARING_BLOB_STORE={kept_in}."
        )


def _say(message: str) -> None:
    typer.echo(f"… {message}", err=True)
