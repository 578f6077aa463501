"""decisions keep the parsed application and the order they were taken in, for replays

Decisions taken before this have no application: a replay skips them (and counts them). Their
order is numbered as the table holds them, oldest decision first.

Revision ID: 0004_decisions_keep_application
Revises: 0003_normalised_subject_keys
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_decisions_keep_application"
down_revision = "0003_normalised_subject_keys"
branch_labels = None
depends_on = None
S = "eligibility"


def upgrade() -> None:
    op.add_column("decisions", sa.Column("application", postgresql.JSONB()), schema=S)
    # Filled for the rows already there, which are then numbered by when they were decided.
    op.add_column("decisions", sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False), schema=S)
    op.execute(
        f"UPDATE {S}.decisions d SET seq = o.n FROM "
        f"(SELECT id, row_number() OVER (ORDER BY decided_at, id) AS n FROM {S}.decisions) o WHERE d.id = o.id"
    )
    op.execute(
        f"SELECT setval(pg_get_serial_sequence('{S}.decisions', 'seq'), "
        f"COALESCE((SELECT max(seq) FROM {S}.decisions), 0) + 1, false)"
    )
    op.create_unique_constraint("uq_decisions_seq", "decisions", ["seq"], schema=S)


def downgrade() -> None:
    op.drop_constraint("uq_decisions_seq", "decisions", schema=S)
    op.drop_column("decisions", "seq", schema=S)
    op.drop_column("decisions", "application", schema=S)
