"""The first schema: actors, projects, forms, submissions, attachments, audits.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 19:49:50.449813

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "actors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("deleted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "blobs",
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("md5", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("deleted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("actor_id", "role", "scope", name="uq_assignment"),
    )
    op.create_index(op.f("ix_assignments_actor_id"), "assignments", ["actor_id"], unique=False)
    op.create_index(op.f("ix_assignments_scope"), "assignments", ["scope"], unique=False)
    op.create_table(
        "audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("actee", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("logged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_audits_action"), "audits", ["action"], unique=False)
    op.create_index(op.f("ix_audits_actor_id"), "audits", ["actor_id"], unique=False)
    op.create_index(op.f("ix_audits_logged_at"), "audits", ["logged_at"], unique=False)
    op.create_table(
        "field_keys",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["actors.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
        ),
        sa.PrimaryKeyConstraint("actor_id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_field_keys_project_id"), "field_keys", ["project_id"], unique=False)
    op.create_table(
        "forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("xml_form_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("current_def_id", sa.Integer(), nullable=True),
        sa.Column("draft_def_id", sa.Integer(), nullable=True),
        sa.Column("draft_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("deleted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["actors.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "xml_form_id", name="uq_form_project_xmlid"),
    )
    op.create_index(op.f("ix_forms_project_id"), "forms", ["project_id"], unique=False)
    op.create_table(
        "sessions",
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index(op.f("ix_sessions_actor_id"), "sessions", ["actor_id"], unique=False)
    op.create_table(
        "users",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
        ),
        sa.PrimaryKeyConstraint("actor_id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "form_defs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("md5", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("schema", sa.JSON(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("xlsx_blob", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["forms.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_form_defs_form_id"), "form_defs", ["form_id"], unique=False)
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("submitter_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("review_state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("deleted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["forms.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submitter_id"],
            ["actors.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("form_id", "instance_id", name="uq_submission_instance"),
    )
    op.create_index(op.f("ix_submissions_form_id"), "submissions", ["form_id"], unique=False)
    op.create_table(
        "form_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_def_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("blob_sha", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["form_def_id"],
            ["form_defs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("form_def_id", "name", name="uq_form_attachment"),
    )
    op.create_index(
        op.f("ix_form_attachments_form_def_id"), "form_attachments", ["form_def_id"], unique=False
    )
    op.create_table(
        "submission_defs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("form_def_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("xml_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("instance_name", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("submitter_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_def_id"],
            ["form_defs.id"],
        ),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["forms.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submitter_id"],
            ["actors.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("form_id", "instance_id", name="uq_submission_def_instance"),
    )
    op.create_index(
        op.f("ix_submission_defs_submission_id"), "submission_defs", ["submission_id"], unique=False
    )
    op.create_table(
        "submission_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("blob_sha", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_def_id"],
            ["submission_defs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_def_id", "name", name="uq_submission_attachment"),
    )
    op.create_index(
        op.f("ix_submission_attachments_submission_def_id"),
        "submission_attachments",
        ["submission_def_id"],
        unique=False,
    )


def downgrade() -> None:
    """Downgrade schema."""

    op.drop_index(
        op.f("ix_submission_attachments_submission_def_id"), table_name="submission_attachments"
    )
    op.drop_table("submission_attachments")
    op.drop_index(op.f("ix_submission_defs_submission_id"), table_name="submission_defs")
    op.drop_table("submission_defs")
    op.drop_index(op.f("ix_form_attachments_form_def_id"), table_name="form_attachments")
    op.drop_table("form_attachments")
    op.drop_index(op.f("ix_submissions_form_id"), table_name="submissions")
    op.drop_table("submissions")
    op.drop_index(op.f("ix_form_defs_form_id"), table_name="form_defs")
    op.drop_table("form_defs")
    op.drop_table("users")
    op.drop_index(op.f("ix_sessions_actor_id"), table_name="sessions")
    op.drop_table("sessions")
    op.drop_index(op.f("ix_forms_project_id"), table_name="forms")
    op.drop_table("forms")
    op.drop_index(op.f("ix_field_keys_project_id"), table_name="field_keys")
    op.drop_table("field_keys")
    op.drop_index(op.f("ix_audits_logged_at"), table_name="audits")
    op.drop_index(op.f("ix_audits_actor_id"), table_name="audits")
    op.drop_index(op.f("ix_audits_action"), table_name="audits")
    op.drop_table("audits")
    op.drop_index(op.f("ix_assignments_scope"), table_name="assignments")
    op.drop_index(op.f("ix_assignments_actor_id"), table_name="assignments")
    op.drop_table("assignments")
    op.drop_table("projects")
    op.drop_table("blobs")
    op.drop_table("actors")
