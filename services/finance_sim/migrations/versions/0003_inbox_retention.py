"""the inbox's oldest rows found by index, for the pruner (shared/retention.py)

Revision ID: 0003_inbox_retention
Revises: 3f6d2b8a9c41
"""

from alembic import op

revision = "0003_inbox_retention"
down_revision = "3f6d2b8a9c41"
branch_labels = None
depends_on = None
S = "finance_sim"


def upgrade() -> None:
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_inbox_processed_at", "inbox", schema=S)
