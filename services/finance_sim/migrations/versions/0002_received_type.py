"""batches received keep their event type (v1 and v2 batches are read differently)

Batches received before this revision were all v1.

Revision ID: 3f6d2b8a9c41
Revises: db57f9206c8e
Create Date: 2026-11-28 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3f6d2b8a9c41"
down_revision = "db57f9206c8e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "received",
        sa.Column("ce_type", sa.Text(), nullable=False, server_default="subsidy.finance.payments-instructed.v1"),
        schema="finance_sim",
    )
    op.alter_column("received", "ce_type", server_default=None, schema="finance_sim")


def downgrade() -> None:
    op.drop_column("received", "ce_type", schema="finance_sim")
