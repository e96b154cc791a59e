"""Options every `jaring` command shares, and turning them into `Services`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.domain import Services
from server.settings import Settings
from server.store.migrate import upgrade

DataDirOption = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        envvar="JARING_DATA_DIR",
        help="Folder for the SQLite database and the attachment files.",
    ),
]
DEFAULT_DATA_DIR = Path("jaring-data")
PortOption = Annotated[
    int, typer.Option("--port", envvar="JARING_PORT", help="Port the server listens on.")
]


def open_services(data_dir: Path, *, pooled: bool = False) -> Services:
    """Settings from the environment (DATABASE_URL, JARING_…), the schema brought up to date."""
    settings = Settings(data_dir=data_dir)
    services = Services.from_settings(settings, pooled=pooled)
    upgrade(services.db)
    return services
