"""Bringing a database's schema up to date with the Alembic migrations in `migrations/`.

Several processes may call `upgrade` at once (the workers of ``jaring serve --workers``
starting together, a command run while the server starts), and two Alembic runs on one
database would trip over each other. So one process migrates at a time, under a lock
that lives with the database and that the operating system or the database server
drops if its holder dies:

- SQLite: an exclusive ``flock`` on ``jaring.db.migrate-lock`` beside the database file
  (in-memory databases belong to one process and need none);
- PostgreSQL: ``pg_advisory_xact_lock`` taken first in the transaction that migrates,
  released when that transaction commits or rolls back.

Whether the schema is current is checked once without the lock, so the usual case costs
one query, and again under it: whoever waited finds the work done and returns.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from server.store.database import Database, lock_file_beside

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATE_LOCK_SUFFIX = ".migrate-lock"
# Any fixed 64-bit number, the same in every process: "jaring" in ASCII.
PG_MIGRATE_LOCK_KEY = 0x6A6172696E67


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(database: Database) -> None:
    """Apply every migration the database has not had yet (a no-op when up to date)."""
    config = alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with database.engine.connect() as connection:
        if _current_revision(connection) == head:
            return
    with _sqlite_migrate_lock(database), database.engine.begin() as connection:
        if not database.is_sqlite:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATE_LOCK_KEY}
            )
        if _current_revision(connection) == head:
            return  # another process migrated while this one waited
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _sqlite_migrate_lock(database: Database) -> Iterator[None]:
    """Hold the SQLite file's migration lock; nothing for PostgreSQL or in-memory SQLite."""
    lock_path = lock_file_beside(database.url, MIGRATE_LOCK_SUFFIX)
    if lock_path is None:
        yield
        return
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the file releases the lock
