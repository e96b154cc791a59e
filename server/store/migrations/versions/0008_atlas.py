"""Public atlases of approved submissions, and the submissions withdrawn from them.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-05 08:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "atlases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", _TEXT(length=60), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("xml_form_id", _TEXT(length=300), nullable=False),
        sa.Column("title_id", _TEXT(length=300), nullable=False),
        sa.Column("title_en", _TEXT(length=300), nullable=False),
        sa.Column("intro_id", sa.Text(), nullable=False),
        sa.Column("intro_en", sa.Text(), nullable=False),
        sa.Column("licence", _TEXT(length=100), nullable=False),
        sa.Column("precision", _TEXT(length=10), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("consent_field", _TEXT(length=300), nullable=True),
        sa.Column("photo_consent_field", _TEXT(length=300), nullable=True),
        sa.Column("noindex", sa.Boolean(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["actors.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_index(op.f("ix_atlases_project_id"), "atlases", ["project_id"], unique=False)
    op.create_table(
        "atlas_withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("atlas_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", _TEXT(length=300), nullable=False),
        sa.Column("reason", _TEXT(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"]),
        sa.ForeignKeyConstraint(["atlas_id"], ["atlases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("atlas_id", "instance_id", name="uq_atlas_withdrawals"),
    )
    op.create_index(
        op.f("ix_atlas_withdrawals_atlas_id"), "atlas_withdrawals", ["atlas_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_atlas_withdrawals_atlas_id"), table_name="atlas_withdrawals")
    op.drop_table("atlas_withdrawals")
    op.drop_index(op.f("ix_atlases_project_id"), table_name="atlases")
    op.drop_table("atlases")
