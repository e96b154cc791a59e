"""An index for paging through a form's submissions by submission date.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 21:20:00.000000

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_submissions_form_created", "submissions", ["form_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_submissions_form_created", table_name="submissions")
