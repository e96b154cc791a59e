"""Alembic environment: runs migrations on the connection `server.store.migrate` hands in."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from server.store import tables  # noqa: F401 - registers the tables on the metadata

connection = context.config.attributes.get("connection")
target_metadata = SQLModel.metadata

if connection is None:  # pragma: no cover - only for `alembic revision --autogenerate`
    from sqlalchemy import create_engine

    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as autogen_connection:
        context.configure(connection=autogen_connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
