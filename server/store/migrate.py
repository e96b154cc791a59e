"""Bringing a database's schema up to date with the Alembic migrations in `migrations/`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from server.store.database import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(database: Database) -> None:
    """Apply every migration the database has not had yet (a no-op when up to date)."""
    config = alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with database.engine.connect() as connection:
        if MigrationContext.configure(connection).get_current_revision() == head:
            return
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
