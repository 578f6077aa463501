"""applicants' contacts and e-mails, partners' templates, rounds' timetables, API keys; webhook
secret rotation, disabled endpoints and the delivery log's columns

Revision ID: 0004_email_templates
Revises: 0003_sealed_webhook_secrets
Create Date: 2026-12-10 09:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_email_templates"
down_revision = "0003_sealed_webhook_secrets"
branch_labels = None
depends_on = None
S = "notify"


def upgrade() -> None:
    for name, type_ in (
        ("clause", sa.Text()),
        ("credit_code", sa.Text()),
        ("applicant_name", sa.Text()),
        ("occurred_on", sa.Date()),
        ("email", sa.Text()),
        ("phone", sa.Text()),
        ("language", sa.Text()),
    ):
        op.add_column("application_partners", sa.Column(name, type_, nullable=True), schema=S)
    op.add_column(
        "webhooks", sa.Column("previous_secret_ciphertext", sa.Text(), server_default="", nullable=False), schema=S
    )
    op.add_column("webhooks", sa.Column("previous_secret_until", sa.DateTime(timezone=True)), schema=S)
    op.add_column("webhooks", sa.Column("disabled_at", sa.DateTime(timezone=True)), schema=S)
    op.add_column("webhooks", sa.Column("disabled_reason", sa.Text()), schema=S)
    op.add_column("webhook_deliveries", sa.Column("application_status", sa.Text()), schema=S)
    op.add_column("webhook_deliveries", sa.Column("last_status_code", sa.Integer()), schema=S)
    op.add_column("webhook_deliveries", sa.Column("replayed_at", sa.DateTime(timezone=True)), schema=S)
    op.execute("UPDATE notify.webhook_deliveries SET application_status = convert_from(body, 'UTF8')::jsonb->>'status'")
    op.create_index("ix_webhook_deliveries_partner", "webhook_deliveries", ["partner_id", "created_at"], schema=S)

    op.create_table(
        "email_deliveries",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("application_status", sa.Text(), nullable=False),
        sa.Column("context", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("to_address", sa.Text()),
        sa.Column("language", sa.Text()),
        sa.Column("subject", sa.Text()),
        sa.Column("body_text", sa.Text()),
        sa.Column("body_html", sa.Text()),
        sa.Column("last_error", sa.Text()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_deliveries")),
        schema=S,
    )
    op.create_index(
        "ix_email_deliveries_due",
        "email_deliveries",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_email_deliveries_application", "email_deliveries", ["application_id"], schema=S)

    op.create_table(
        "partner_templates",
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text()),
        sa.Column("text", sa.Text()),
        sa.Column("html", sa.Text()),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "status", "language", name=op.f("pk_partner_templates")),
        schema=S,
    )

    op.create_table(
        "rounds",
        sa.Column("clause", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notice_ends_on", sa.Date()),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("clause", "year", name=op.f("pk_rounds")),
        schema=S,
    )

    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("requests_per_second", sa.Numeric(10, 2), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("api_keys", schema=S)
    op.drop_table("rounds", schema=S)
    op.drop_table("partner_templates", schema=S)
    op.drop_index("ix_email_deliveries_application", table_name="email_deliveries", schema=S)
    op.drop_index("ix_email_deliveries_due", table_name="email_deliveries", schema=S)
    op.drop_table("email_deliveries", schema=S)
    op.drop_index("ix_webhook_deliveries_partner", table_name="webhook_deliveries", schema=S)
    for name in ("replayed_at", "last_status_code", "application_status"):
        op.drop_column("webhook_deliveries", name, schema=S)
    for name in ("disabled_reason", "disabled_at", "previous_secret_until", "previous_secret_ciphertext"):
        op.drop_column("webhooks", name, schema=S)
    for name in ("language", "phone", "email", "occurred_on", "applicant_name", "credit_code", "clause"):
        op.drop_column("application_partners", name, schema=S)
