"""the inbox's oldest rows found by index, for the pruner (shared/retention.py)

Revision ID: 0007_inbox_retention
Revises: 0006_rate_limits
"""

from alembic import op

revision = "0007_inbox_retention"
down_revision = "0006_rate_limits"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_inbox_processed_at", "inbox", schema=S)
