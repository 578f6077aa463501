"""the policy versions published at run time, kept so that a restart knows them without the broker

Revision ID: 0005_published_policy_versions
Revises: 0004_email_templates
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_published_policy_versions"
down_revision = "0004_email_templates"
branch_labels = None
depends_on = None
S = "notify"


def upgrade() -> None:
    op.create_table(
        "published_policy_versions",
        sa.Column("version_id", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("approved_by", sa.Text(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_by", sa.Text(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_published_policy_versions")),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("published_policy_versions", schema=S)
