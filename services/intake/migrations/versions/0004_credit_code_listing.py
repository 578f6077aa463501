"""officials search applications by the applicant's credit code

Revision ID: 7d2b9e4c1a05
Revises: 5c1e7d0a9b32
"""

from alembic import op

revision = "7d2b9e4c1a05"
down_revision = "5c1e7d0a9b32"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_applications_credit_code_listing",
        "applications",
        ["credit_code", "submitted_at", "id"],
        unique=False,
        schema="intake",
    )


def downgrade() -> None:
    op.drop_index("ix_applications_credit_code_listing", table_name="applications", schema="intake")
