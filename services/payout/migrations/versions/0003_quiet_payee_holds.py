"""payouts held for missing bank details are told of after a grace

Holds made before this revision were told of when they were made.

Revision ID: 7c2e9a41d5f0
Revises: 631b4c38cbb6
Create Date: 2026-11-27 01:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7c2e9a41d5f0"
down_revision = "631b4c38cbb6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payouts", sa.Column("hold_announced_at", sa.DateTime(timezone=True), nullable=True), schema="payout")
    op.execute("UPDATE payout.payouts SET hold_announced_at = created_at WHERE status = 'held'")
    op.create_index(
        "ix_payouts_quiet_holds",
        "payouts",
        ["created_at"],
        unique=False,
        schema="payout",
        postgresql_where=sa.text("status = 'held' AND hold_announced_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_payouts_quiet_holds",
        table_name="payouts",
        schema="payout",
        postgresql_where=sa.text("status = 'held' AND hold_announced_at IS NULL"),
    )
    op.drop_column("payouts", "hold_announced_at", schema="payout")
