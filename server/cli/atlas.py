"""`jaring atlas export SLUG --out DIR`: see `server.tasks.atlas_export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli.common import DEFAULT_DATA_DIR, DataDirOption, open_services
from server.tasks.atlas_export import ExportError, export_atlas

app = typer.Typer(help="Public atlases of approved submissions.", no_args_is_help=True)


@app.command("export")
def export_command(
    slug: Annotated[str, typer.Argument(help="The atlas's address name (/atlas/SLUG).")],
    out: Annotated[Path, typer.Option("--out", help="New or empty folder to write into.")],
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Write a published atlas as static files that work from any host or a folder."""
    services = open_services(data_dir)
    try:
        summary = export_atlas(services, slug, out)
    except ExportError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(1) from error
    finally:
        services.db.dispose()
    typer.echo(
        f"Wrote the atlas {slug}: {summary.initiatives} initiatives, {summary.photos} photos,"
        f" {summary.files} files in {summary.folder}; open {summary.folder / 'index.html'}"
    )
