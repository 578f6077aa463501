"""payouts the batcher has work for are announced on `payout.payouts`, so that it sleeps while there is none

A payout becoming requested is to be sent; one held quietly for missing bank details (its applicant
not told yet) is to be told of when its grace runs out, a time the batcher must learn. The database
announces both itself: payouts become requested on many paths (awards, bank details arriving, holds
released, budget top-ups, corrections, resends), and none can forget to. PostgreSQL delivers the
notification when the transaction commits, folding a transaction's repeats into one.

Revision ID: 0009_payouts_due_announced
Revises: 0008_payee_provided_by
"""

from alembic import op

revision = "0009_payouts_due_announced"
down_revision = "0008_payee_provided_by"
branch_labels = None
depends_on = None
S = "payout"


def upgrade() -> None:
    op.execute(f"""
        CREATE FUNCTION {S}.announce_payout_due() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('payout.payouts', ''); RETURN NULL; END $$
    """)
    op.execute(f"""
        CREATE TRIGGER payouts_due_announced AFTER INSERT OR UPDATE OF status ON {S}.payouts
            FOR EACH ROW WHEN (NEW.status = 'requested' OR (NEW.status = 'held' AND NEW.hold_announced_at IS NULL))
            EXECUTE FUNCTION {S}.announce_payout_due();
    """)


def downgrade() -> None:
    op.execute(f"DROP TRIGGER payouts_due_announced ON {S}.payouts")
    op.execute(f"DROP FUNCTION {S}.announce_payout_due()")
