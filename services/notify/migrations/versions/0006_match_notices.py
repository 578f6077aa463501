"""webhook deliveries and e-mails about an applicant rather than one of its applications: what it
could claim (`match.found`), told through its partner and its contact

Revision ID: 0006_match_notices
Revises: 0005_published_policy_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_match_notices"
down_revision = "0005_published_policy_versions"
branch_labels = None
depends_on = None
S = "notify"


def upgrade() -> None:
    op.alter_column("webhook_deliveries", "application_id", nullable=True, schema=S)
    op.add_column(
        "webhook_deliveries",
        sa.Column("type", sa.Text(), server_default="application.status_changed", nullable=False),
        schema=S,
    )
    op.add_column("webhook_deliveries", sa.Column("credit_code", sa.Text()), schema=S)
    op.alter_column("email_deliveries", "application_id", nullable=True, schema=S)
    op.add_column("email_deliveries", sa.Column("credit_code", sa.Text()), schema=S)


def downgrade() -> None:
    op.execute(f"DELETE FROM {S}.email_deliveries WHERE application_id IS NULL")
    op.drop_column("email_deliveries", "credit_code", schema=S)
    op.alter_column("email_deliveries", "application_id", nullable=False, schema=S)
    op.execute(f"DELETE FROM {S}.webhook_deliveries WHERE application_id IS NULL")
    op.drop_column("webhook_deliveries", "credit_code", schema=S)
    op.drop_column("webhook_deliveries", "type", schema=S)
    op.alter_column("webhook_deliveries", "application_id", nullable=False, schema=S)
