"""Encrypted forms and managed encryption: keys, a project's key, encrypted submissions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 20:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public", sa.Text(), nullable=False),
        sa.Column("private", sa.JSON(), nullable=True),
        sa.Column("managed", sa.Boolean(), nullable=True),
        sa.Column("hint", sa.Text(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public", name="uq_keys_public"),
    )
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("key_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("submission_defs") as batch:
        batch.add_column(sa.Column("local_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("enc_data_attachment_name", sa.String(300), nullable=True))
        batch.add_column(sa.Column("signature", sa.Text(), nullable=True))
    with op.batch_alter_table("submission_attachments") as batch:
        batch.add_column(sa.Column("enc_index", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submission_attachments") as batch:
        batch.drop_column("enc_index")
    with op.batch_alter_table("submission_defs") as batch:
        batch.drop_column("signature")
        batch.drop_column("enc_data_attachment_name")
        batch.drop_column("local_key")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("key_id")
    op.drop_table("keys")
