"""decisions keep who submitted the application and whom it named to be told; what earlier
applicants could claim under a version is told once (match_notices), and each search recorded
(match_scans)

Decisions taken before this have neither partner nor contact: an applicant known only from them
cannot be told.

Revision ID: 0006_match_notices
Revises: 0005_policy_version_lifecycle
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_match_notices"
down_revision = "0005_policy_version_lifecycle"
branch_labels = None
depends_on = None
S = "eligibility"


def upgrade() -> None:
    op.add_column("decisions", sa.Column("partner_id", sa.Text()), schema=S)
    op.add_column("decisions", sa.Column("contact", postgresql.JSONB()), schema=S)
    op.create_table(
        "match_notices",
        sa.Column("credit_code", sa.Text(), nullable=False),
        sa.Column("clause", sa.Text(), nullable=False),
        sa.Column("version_id", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(16, 2), nullable=False),
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("credit_code", "clause", "version_id", name=op.f("pk_match_notices")),
        schema=S,
    )
    op.create_index("ix_match_notices_version", "match_notices", ["version_id"], schema=S)
    op.create_table(
        "match_scans",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("version_id", sa.Text(), nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("found", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("told", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint("trigger IN ('published', 'command')", name="known_trigger"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_scans")),
        schema=S,
    )
    op.create_index(
        "ix_match_scans_published",
        "match_scans",
        ["version_id"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("trigger = 'published'"),
    )


def downgrade() -> None:
    op.drop_index("ix_match_scans_published", table_name="match_scans", schema=S)
    op.drop_table("match_scans", schema=S)
    op.drop_index("ix_match_notices_version", table_name="match_notices", schema=S)
    op.drop_table("match_notices", schema=S)
    op.drop_column("decisions", "contact", schema=S)
    op.drop_column("decisions", "partner_id", schema=S)
