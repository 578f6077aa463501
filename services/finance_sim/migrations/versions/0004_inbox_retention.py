"""the inbox's oldest rows found by index, for the pruner (shared/retention.py)

Revision ID: 0004_inbox_retention
Revises: 0003_ledger_heads
"""

from alembic import op

revision = "0004_inbox_retention"
down_revision = "0003_ledger_heads"
branch_labels = None
depends_on = None
S = "finance_sim"


def upgrade() -> None:
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_inbox_processed_at", "inbox", schema=S)
