"""selection steps get their own stage: renumber the stages stored with each application

Revision ID: 5c1e7d0a9b32
Revises: 2a0f24a464f4
"""

from alembic import op

revision = "5c1e7d0a9b32"
down_revision = "2a0f24a464f4"
branch_labels = None
depends_on = None

# status -> stage, as services/intake/status.py had it before and has it now.
BEFORE = {
    "submitted": 0,
    "eligible": 1,
    "ineligible": 1,
    "candidate": 1,
    "selected": 2,
    "not_selected": 2,
    "awarded": 3,
    "payout_requested": 4,
    "paid": 5,
    "payout_failed": 5,
}
AFTER = {
    "submitted": 0,
    "eligible": 1,
    "ineligible": 1,
    "candidate": 1,
    "selected": 3,
    "not_selected": 3,
    "awarded": 4,
    "payout_requested": 5,
    "paid": 6,
    "payout_failed": 6,
}


def _renumber(stages: dict[str, int]) -> None:
    cases = " ".join(f"WHEN '{status}' THEN {stage}" for status, stage in stages.items())
    op.execute(f"UPDATE intake.applications SET stage = CASE status {cases} ELSE stage END")


def upgrade() -> None:
    _renumber(AFTER)


def downgrade() -> None:
    op.execute("UPDATE intake.applications SET status = 'candidate' WHERE stage = 2")
    _renumber(BEFORE)
