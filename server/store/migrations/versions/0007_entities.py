"""Entities (Central's datasets, or entity lists): datasets and their properties, the
forms that write or read them, entities and their versions, and the backlog of offline
updates waiting for their base version.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-05 08:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("approval_required", sa.Boolean(), nullable=False),
        sa.Column("owner_only", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("published_at", _TIME(), nullable=True),
        sa.Column("deleted_at", _TIME(), nullable=True),
        sa.Column("last_update", _TIME(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name", name="uq_dataset_name"),
    )
    op.create_table(
        "ds_properties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("published_at", _TIME(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "name", name="uq_ds_property_name"),
    )
    op.create_table(
        "ds_property_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), sa.ForeignKey("ds_properties.id"), nullable=False),
        sa.Column("form_def_id", sa.Integer(), sa.ForeignKey("form_defs.id"), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ds_property_fields_def", "ds_property_fields", ["form_def_id"])
    op.create_table(
        "dataset_form_defs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("form_def_id", sa.Integer(), sa.ForeignKey("form_defs.id"), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "form_def_id", name="uq_dataset_form_def"),
    )
    op.create_index("ix_dataset_form_defs_def", "dataset_form_defs", ["form_def_id"])
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("creator_id", sa.Integer(), sa.ForeignKey("actors.id"), nullable=True),
        sa.Column("conflict", sa.String(10), nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("updated_at", _TIME(), nullable=True),
        sa.Column("deleted_at", _TIME(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid", name="uq_entity_uuid"),
    )
    op.create_index("ix_entities_dataset_created", "entities", ["dataset_id", "created_at", "id"])
    op.create_table(
        "entity_defs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("data_received", sa.JSON(), nullable=False),
        sa.Column("creator_id", sa.Integer(), sa.ForeignKey("actors.id"), nullable=True),
        sa.Column("user_agent", sa.String(500), nullable=True),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("conflicting_properties", sa.JSON(), nullable=True),
        sa.Column("conflict", sa.String(10), nullable=True),
        sa.Column("branch_id", sa.String(36), nullable=True),
        sa.Column("trunk_version", sa.Integer(), nullable=True),
        sa.Column("branch_base_version", sa.Integer(), nullable=True),
        sa.Column(
            "submission_def_id", sa.Integer(), sa.ForeignKey("submission_defs.id"), nullable=True
        ),
        sa.Column("source", sa.JSON(), nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entity_id", "version", name="uq_entity_def_version"),
    )
    op.create_index("ix_entity_defs_submission_def", "entity_defs", ["submission_def_id"])
    op.create_table(
        "entity_submission_backlog",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column(
            "submission_def_id", sa.Integer(), sa.ForeignKey("submission_defs.id"), nullable=False
        ),
        sa.Column("entity_uuid", sa.String(36), nullable=False),
        sa.Column("branch_id", sa.String(36), nullable=False),
        sa.Column("branch_base_version", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(60), nullable=False),
        sa.Column("logged_at", _TIME(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "branch_id", "branch_base_version", name="uq_entity_backlog_branch_version"
        ),
    )
    with op.batch_alter_table("form_attachments") as batch:
        batch.add_column(sa.Column("dataset_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("form_attachments") as batch:
        batch.drop_column("dataset_id")
    op.drop_table("entity_submission_backlog")
    op.drop_index("ix_entity_defs_submission_def", "entity_defs")
    op.drop_table("entity_defs")
    op.drop_index("ix_entities_dataset_created", "entities")
    op.drop_table("entities")
    op.drop_index("ix_dataset_form_defs_def", "dataset_form_defs")
    op.drop_table("dataset_form_defs")
    op.drop_index("ix_ds_property_fields_def", "ds_property_fields")
    op.drop_table("ds_property_fields")
    op.drop_table("ds_properties")
    op.drop_table("datasets")
