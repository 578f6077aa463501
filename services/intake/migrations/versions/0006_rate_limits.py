"""each partner's rate, shared by every intake replica (unlogged: a limit, not a record)

Revision ID: 0006_rate_limits
Revises: 0005_published_policy_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_rate_limits"
down_revision = "0005_published_policy_versions"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("theoretical_arrival", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", name=op.f("pk_rate_limits")),
        schema=S,
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("rate_limits", schema=S)
