"""budgets, payees, batches, corrections and a keyed ledger

The old ledger (entries hashed without a key, no budgets) is replaced by transfers keyed with
LEDGER_KEY. A payout schema that already booked money cannot be carried over without that key, so
this upgrade refuses one whose ledger or payouts hold rows (a development stack: `make clean`).

Revision ID: 631b4c38cbb6
Revises: 92c0b99a9364
Create Date: 2026-11-26 22:05:42.295915
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "631b4c38cbb6"
down_revision = "92c0b99a9364"
branch_labels = None
depends_on = None


def upgrade() -> None:
    booked = (
        op.get_bind()
        .execute(sa.text("SELECT (SELECT count(*) FROM payout.ledger) + (SELECT count(*) FROM payout.payouts)"))
        .scalar()
    )
    if booked:
        raise RuntimeError(
            "payout holds money booked before budgets and the keyed ledger; this pilot "
            "database cannot be upgraded in place: start from an empty one (make clean)"
        )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("limited", sa.Boolean(), nullable=False),
        sa.Column("debits_pending", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
        sa.Column("debits_posted", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
        sa.Column("credits_pending", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
        sa.Column("credits_posted", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
        sa.CheckConstraint(
            "NOT limited OR debits_pending + debits_posted <= credits_posted", name="debits_must_not_exceed_credits"
        ),
        sa.CheckConstraint(
            "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0",
            name="balances_not_negative",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        schema="payout",
    )
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
        schema="payout",
    )
    op.create_table(
        "awards",
        sa.Column("award_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=False),
        sa.Column("clause", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("award_id", name=op.f("pk_awards")),
        sa.UniqueConstraint("seq", name=op.f("uq_awards_seq")),
        schema="payout",
    )
    op.create_index(op.f("ix_awards_application_id"), "awards", ["application_id"], unique=False, schema="payout")
    op.create_index(
        "ix_awards_waiting",
        "awards",
        ["year", "clause", "seq"],
        unique=False,
        schema="payout",
        postgresql_where=sa.text("state = 'awaiting_budget'"),
    )
    op.create_table(
        "batches",
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("transactions", sa.Integer(), nullable=False),
        sa.Column("control_sum", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("group_status", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_batches")),
        schema="payout",
    )
    op.create_table(
        "budgets",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("clause", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("year", "clause", name=op.f("pk_budgets")),
        schema="payout",
    )
    op.create_table(
        "clawbacks",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("award_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clawbacks")),
        sa.UniqueConstraint("award_id", "key", name=op.f("uq_clawbacks_award_id")),
        schema="payout",
    )
    op.create_index(op.f("ix_clawbacks_award_id"), "clawbacks", ["award_id"], unique=False, schema="payout")
    op.create_table(
        "payees",
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=False),
        sa.Column("applicant_name", sa.Text(), nullable=False),
        sa.Column("account_name", sa.Text(), nullable=False),
        sa.Column("account_number", sa.Text(), nullable=False),
        sa.Column("bank", sa.Text(), nullable=False),
        sa.Column("provided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_payees")),
        schema="payout",
    )
    op.create_table(
        "transfers",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("debit", sa.Text(), nullable=False),
        sa.Column("credit", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("pending_id", sa.UUID(), nullable=True),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("prev_hash", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('posted', 'pending', 'post', 'void')", name="known_kind"),
        sa.CheckConstraint("amount > 0", name="positive_amount"),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_transfers")),
        sa.UniqueConstraint("hash", name=op.f("uq_transfers_hash")),
        sa.UniqueConstraint("id", name=op.f("uq_transfers_id")),
        schema="payout",
    )
    op.create_index(
        "uq_transfers_pending_id",
        "transfers",
        ["pending_id"],
        unique=True,
        schema="payout",
        postgresql_where=sa.text("pending_id IS NOT NULL"),
    )
    # Append-only in the database itself: corrections are new transfers.
    op.execute("""
        CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON payout.transfers
            FOR EACH STATEMENT EXECUTE FUNCTION payout.refuse_ledger_change();
    """)
    op.drop_index(op.f("ix_ledger_txn_id"), table_name="ledger", schema="payout")
    op.drop_table("ledger", schema="payout")
    op.add_column("payouts", sa.Column("attempt", sa.Integer(), nullable=False), schema="payout")
    op.add_column("payouts", sa.Column("hold_reason", sa.Text(), nullable=True), schema="payout")
    op.add_column("payouts", sa.Column("reason_code", sa.Text(), nullable=True), schema="payout")
    op.add_column("payouts", sa.Column("reason", sa.Text(), nullable=True), schema="payout")
    op.add_column("payouts", sa.Column("account_name", sa.Text(), nullable=True), schema="payout")
    op.add_column("payouts", sa.Column("account_number", sa.Text(), nullable=True), schema="payout")
    op.add_column("payouts", sa.Column("bank", sa.Text(), nullable=True), schema="payout")
    op.add_column("payouts", sa.Column("batch_id", sa.Text(), nullable=True), schema="payout")
    op.add_column("payouts", sa.Column("expected_on", sa.Date(), nullable=True), schema="payout")
    op.add_column("payouts", sa.Column("replaces", sa.UUID(), nullable=True), schema="payout")
    op.add_column(
        "payouts",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        schema="payout",
    )
    op.alter_column(
        "payouts", "requested_at", existing_type=postgresql.TIMESTAMP(timezone=True), nullable=True, schema="payout"
    )
    op.drop_constraint(op.f("uq_payouts_award_id"), "payouts", schema="payout", type_="unique")
    op.create_unique_constraint(op.f("uq_payouts_award_id"), "payouts", ["award_id", "attempt"], schema="payout")
    op.create_index(op.f("ix_payouts_application_id"), "payouts", ["application_id"], unique=False, schema="payout")
    op.create_index(
        "ix_payouts_to_send",
        "payouts",
        ["requested_at", "id"],
        unique=False,
        schema="payout",
        postgresql_where=sa.text("status = 'requested'"),
    )
    op.create_index(
        "uq_payouts_open_award",
        "payouts",
        ["award_id"],
        unique=True,
        schema="payout",
        postgresql_where=sa.text("status IN ('held', 'requested', 'sent', 'accepted', 'rejected')"),
    )


def downgrade() -> None:
    raise NotImplementedError("the keyed ledger cannot be turned back into the unkeyed one")
