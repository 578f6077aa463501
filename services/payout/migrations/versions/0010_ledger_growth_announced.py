"""the ledger growing is announced on `payout.ledger`, so that the head publisher sleeps while it does not

Transfers are appended by awards, the finance system's answers, corrections and clawbacks, from any
payout process or operator command; the database announces every append itself, once per statement
(PostgreSQL folds a transaction's repeats into one and delivers them when it commits).

Revision ID: 0010_ledger_growth_announced
Revises: 0009_payouts_due_announced
"""

from alembic import op

revision = "0010_ledger_growth_announced"
down_revision = "0009_payouts_due_announced"
branch_labels = None
depends_on = None
S = "payout"


def upgrade() -> None:
    op.execute(f"""
        CREATE FUNCTION {S}.announce_ledger_growth() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('payout.ledger', ''); RETURN NULL; END $$
    """)
    op.execute(f"""
        CREATE TRIGGER ledger_growth_announced AFTER INSERT ON {S}.transfers
            FOR EACH STATEMENT EXECUTE FUNCTION {S}.announce_ledger_growth();
    """)


def downgrade() -> None:
    op.execute(f"DROP TRIGGER ledger_growth_announced ON {S}.transfers")
    op.execute(f"DROP FUNCTION {S}.announce_ledger_growth()")
