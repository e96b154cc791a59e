"""Limits shared by every server process: failed log-ins and public-link submissions
counted in the database instead of in each process's memory.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 00:10:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "limited_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=330), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_limited_attempts_key_at", "limited_attempts", ["key", "at"], unique=False)
    op.create_index(op.f("ix_limited_attempts_at"), "limited_attempts", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_limited_attempts_at"), table_name="limited_attempts")
    op.drop_index("ix_limited_attempts_key_at", table_name="limited_attempts")
    op.drop_table("limited_attempts")
