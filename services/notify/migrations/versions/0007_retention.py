"""the inbox's and the delivery log's oldest rows found by index, for the pruner (shared/retention.py)

Revision ID: 0007_retention
Revises: 0006_match_notices
"""

from alembic import op

revision = "0007_retention"
down_revision = "0006_match_notices"
branch_labels = None
depends_on = None
S = "notify"


def upgrade() -> None:
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"], schema=S)
    op.create_index("ix_webhook_deliveries_created_at", "webhook_deliveries", ["created_at"], schema=S)
    op.create_index("ix_email_deliveries_created_at", "email_deliveries", ["created_at"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_email_deliveries_created_at", "email_deliveries", schema=S)
    op.drop_index("ix_webhook_deliveries_created_at", "webhook_deliveries", schema=S)
    op.drop_index("ix_inbox_processed_at", "inbox", schema=S)
