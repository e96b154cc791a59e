"""Blobs in the database: ``blob_chunks`` holds each blob as 1 MiB pieces.

Used when ``JARING_BLOB_STORE=postgres`` (the default on PostgreSQL); the table exists on
SQLite too, empty, so that both databases have one schema. On PostgreSQL the chunks are
stored uncompressed out of line (``STORAGE EXTERNAL``): photos and recordings are
compressed already, and this spares PostgreSQL trying again on every write.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 13:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blob_chunks",
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "idx"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("blob_chunks")
