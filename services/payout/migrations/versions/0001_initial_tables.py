"""initial tables

Revision ID: 92c0b99a9364
Revises:
Create Date: 2026-11-25 21:14:43.711924
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "92c0b99a9364"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_inbox")),
        schema="payout",
    )
    op.create_table(
        "ledger",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("txn_id", sa.UUID(), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("debit", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("credit", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("prev_hash", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger")),
        sa.UniqueConstraint("hash", name=op.f("uq_ledger_hash")),
        schema="payout",
    )
    # The ledger is append-only in the database itself: corrections are reversing entries.
    op.execute("""
        CREATE FUNCTION payout.refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the ledger is append-only: post a reversing entry instead'; END $$
    """)
    op.execute("""
        CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON payout.ledger
            FOR EACH STATEMENT EXECUTE FUNCTION payout.refuse_ledger_change();
    """)
    op.create_index(op.f("ix_ledger_txn_id"), "ledger", ["txn_id"], unique=False, schema="payout")
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        schema="payout",
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        schema="payout",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "payouts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("award_id", sa.UUID(), nullable=False),
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=False),
        sa.Column("clause", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column("bank_reference", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("award_id", name=op.f("uq_payouts_award_id")),
        schema="payout",
    )


def downgrade() -> None:
    op.drop_table("payouts", schema="payout")
    op.drop_index(
        "ix_outbox_unpublished", table_name="outbox", schema="payout", postgresql_where=sa.text("published_at IS NULL")
    )
    op.drop_table("outbox", schema="payout")
    op.drop_index(op.f("ix_ledger_txn_id"), table_name="ledger", schema="payout")
    op.drop_table("ledger", schema="payout")
    op.execute("DROP FUNCTION payout.refuse_ledger_change()")
    op.drop_table("inbox", schema="payout")
