"""partners and api keys

Revision ID: 2a0f24a464f4
Revises: b9dd9523791c
Create Date: 2026-11-25 21:27:21.680831
"""

import sqlalchemy as sa
from alembic import op

revision = "2a0f24a464f4"
down_revision = "b9dd9523791c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("requests_per_second", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        schema="intake",
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["intake.partners.id"], name=op.f("fk_api_keys_partner_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        schema="intake",
    )
    op.create_index(op.f("ix_api_keys_partner_id"), "api_keys", ["partner_id"], unique=False, schema="intake")
    op.create_index(
        "ix_applications_partner_listing",
        "applications",
        ["partner_id", "submitted_at", "id"],
        unique=False,
        schema="intake",
    )


def downgrade() -> None:
    op.drop_index("ix_applications_partner_listing", table_name="applications", schema="intake")
    op.drop_index(op.f("ix_api_keys_partner_id"), table_name="api_keys", schema="intake")
    op.drop_table("api_keys", schema="intake")
    op.drop_table("partners", schema="intake")
