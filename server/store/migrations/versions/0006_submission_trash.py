"""When each web user last logged in (Central's ``lastLoginAt``), and which submissions
are a draft's test submissions (kept apart from the form's real ones, as Central keeps them).

The submissions trash needs no change of schema: ``submissions.deleted_at`` is there
from the first one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 08:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("last_login_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(
            sa.Column("draft", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Test submissions made before: those whose first version went to an unpublished draft.
    op.execute(
        "UPDATE submissions SET draft = TRUE WHERE id IN ("
        " SELECT d.submission_id FROM submission_defs d JOIN form_defs f ON f.id = d.form_def_id"
        " WHERE f.published_at IS NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("draft")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_login_at")
