"""the payout ledger's heads received, with batches and as events, kept as a finance system keeps them

Revision ID: 0003_ledger_heads
Revises: 3f6d2b8a9c41
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_ledger_heads"
down_revision = "3f6d2b8a9c41"
branch_labels = None
depends_on = None
S = "finance_sim"


def upgrade() -> None:
    op.create_table(
        "ledger_heads",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.Column("mac", sa.Text(), nullable=False),
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("came_with", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("seq", "hash", "mac", name=op.f("pk_ledger_heads")),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("ledger_heads", schema=S)
