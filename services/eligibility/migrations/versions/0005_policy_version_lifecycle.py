"""policy versions as a managed lifecycle (drafted, approved by a second official, withdrawn), every
step recorded append-only; and intake's API keys, replicated for eligibility's own API

Revision ID: 0005_policy_version_lifecycle
Revises: 0004_decisions_keep_application
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_policy_version_lifecycle"
down_revision = "0004_decisions_keep_application"
branch_labels = None
depends_on = None
S = "eligibility"


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("version_id", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("drafted_by", sa.Text(), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.Text(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.Text(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('draft', 'approved', 'withdrawn')", name="known_state"),
        sa.CheckConstraint(
            "state = 'draft' OR approved_by IS NOT NULL OR withdrawn_by IS NOT NULL", name="state_has_its_official"
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_policy_versions")),
        schema=S,
    )
    op.create_table(
        "policy_version_steps",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("version_id", sa.Text(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_version_steps")),
        schema=S,
    )
    op.create_index(
        op.f("ix_policy_version_steps_version_id"), "policy_version_steps", ["version_id"], unique=False, schema=S
    )
    # What was done to a version stays as it was recorded, in the database itself.
    op.execute(f"""
        CREATE FUNCTION {S}.refuse_step_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'policy_version_steps is append-only'; END $$
    """)
    op.execute(f"""
        CREATE TRIGGER policy_version_steps_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {S}.policy_version_steps
            FOR EACH STATEMENT EXECUTE FUNCTION {S}.refuse_step_change();
    """)
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("requests_per_second", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("api_keys", schema=S)
    op.execute(f"DROP TRIGGER policy_version_steps_append_only ON {S}.policy_version_steps")
    op.execute(f"DROP FUNCTION {S}.refuse_step_change()")
    op.drop_index(op.f("ix_policy_version_steps_version_id"), table_name="policy_version_steps", schema=S)
    op.drop_table("policy_version_steps", schema=S)
    op.drop_table("policy_versions", schema=S)
