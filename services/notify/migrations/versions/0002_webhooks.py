"""webhooks, the partner of each application, and the deliveries owed to webhooks

Revision ID: 0002_webhooks
Revises: b19ebad6d2e2
Create Date: 2026-11-26 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_webhooks"
down_revision = "b19ebad6d2e2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", name=op.f("pk_webhooks")),
        schema="notify",
    )
    op.create_table(
        "application_partners",
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_application_partners")),
        schema="notify",
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("partner_id", sa.Text(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        schema="notify",
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        unique=False,
        schema="notify",
        postgresql_where=sa.text("status = 'pending' AND partner_id IS NOT NULL"),
    )
    op.create_index(
        "ix_webhook_deliveries_awaiting_partner",
        "webhook_deliveries",
        ["application_id"],
        unique=False,
        schema="notify",
        postgresql_where=sa.text("partner_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_webhook_deliveries_awaiting_partner",
        table_name="webhook_deliveries",
        schema="notify",
        postgresql_where=sa.text("partner_id IS NULL"),
    )
    op.drop_index(
        "ix_webhook_deliveries_due",
        table_name="webhook_deliveries",
        schema="notify",
        postgresql_where=sa.text("status = 'pending' AND partner_id IS NOT NULL"),
    )
    op.drop_table("webhook_deliveries", schema="notify")
    op.drop_table("application_partners", schema="notify")
    op.drop_table("webhooks", schema="notify")
