"""candidates' details come with their admission; the figures they are ranked on live on the candidate

The details' copy of the ranking figures goes: a candidate's own row holds them (every numeric fact
for a v1 admission, the ones the clause ranks on for a v2 one).

Revision ID: 9d4b7e2a6c13
Revises: 683bf5f4af92
Create Date: 2026-11-28 10:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "9d4b7e2a6c13"
down_revision = "683bf5f4af92"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("candidate_details", "indicators", schema="quota")


def downgrade() -> None:
    op.add_column(
        "candidate_details",
        sa.Column("indicators", postgresql.JSONB(astext_type=sa.Text()), nullable=False, server_default="{}"),
        schema="quota",
    )
    op.execute(
        "UPDATE quota.candidate_details d SET indicators = c.indicators"
        " FROM quota.candidates c WHERE c.application_id = d.application_id"
    )
    op.alter_column("candidate_details", "indicators", server_default=None, schema="quota")
