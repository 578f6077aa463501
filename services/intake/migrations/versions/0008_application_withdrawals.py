"""who withdrew an application, when and why (one withdrawal an application)

Revision ID: 0008_application_withdrawals
Revises: 0007_inbox_retention
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_application_withdrawals"
down_revision = "0007_inbox_retention"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    op.create_table(
        "withdrawals",
        sa.Column("application_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["intake.applications.id"], name=op.f("fk_withdrawals_application_id")
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_withdrawals")),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("withdrawals", schema=S)
