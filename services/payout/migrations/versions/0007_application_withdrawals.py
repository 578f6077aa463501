"""applications withdrawn, so that an award read after its withdrawal is booked cancelled

Revision ID: 0007_application_withdrawals
Revises: 0006_inbox_retention
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_application_withdrawals"
down_revision = "0006_inbox_retention"
branch_labels = None
depends_on = None
S = "payout"


def upgrade() -> None:
    op.create_table(
        "withdrawals",
        sa.Column("application_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("outcome IN ('cancelled', 'no_award', 'too_late')", name="known_outcome"),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_withdrawals")),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("withdrawals", schema=S)
