"""grants keyed by applicant, subject and clause, capped, and indexed for bounded history reads

Revision ID: 0002_grants_keyed_by_rule
Revises: aea8b943c57a
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_grants_keyed_by_rule"
down_revision = "aea8b943c57a"
branch_labels = None
depends_on = None
S = "eligibility"


def upgrade() -> None:
    op.drop_constraint("uq_grants_credit_code", "grants", schema=S)
    op.add_column("grants", sa.Column("cap", sa.Numeric(16, 2)), schema=S)
    op.execute(f"UPDATE {S}.grants SET cap = amount")
    op.alter_column("grants", "cap", nullable=False, schema=S)
    op.create_primary_key("pk_grants", "grants", ["credit_code", "subject_key", "clause"], schema=S)
    op.create_check_constraint("amount_within_cap", "grants", "amount <= cap", schema=S)
    op.create_index(
        "ix_grants_project",
        "grants",
        ["credit_code", "project_id"],
        schema=S,
        postgresql_where=sa.text("project_id IS NOT NULL"),
    )
    op.create_index("ix_grants_subject", "grants", ["subject_key", "clause"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_grants_subject", "grants", schema=S)
    op.drop_index("ix_grants_project", "grants", schema=S)
    op.drop_constraint("amount_within_cap", "grants", schema=S)
    op.drop_constraint("pk_grants", "grants", schema=S)
    op.drop_column("grants", "cap", schema=S)
    op.create_unique_constraint("uq_grants_credit_code", "grants", ["credit_code", "subject_key"], schema=S)
