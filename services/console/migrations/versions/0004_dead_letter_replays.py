"""the dead letters sent back, each claimed by its id before it is sent

Revision ID: 0004_dead_letter_replays
Revises: 0003_policy_admin_accounts
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_dead_letter_replays"
down_revision = "0003_policy_admin_accounts"
branch_labels = None
depends_on = None
S = "console"


def upgrade() -> None:
    op.create_table(
        "replays",
        sa.Column("letter_id", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("claimed_by", sa.Text(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('sending', 'sent')", name="state"),
        sa.PrimaryKeyConstraint("letter_id", name=op.f("pk_replays")),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("replays", schema=S)
