"""who gave or last corrected an application's bank details, and in what role

Details given before this revision came with the application or from its partner (`PayeeProvidedV1`):
their role is partner and their giver, not carried by the event, is left empty.

Revision ID: 0008_payee_provided_by
Revises: 0007_application_withdrawals
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_payee_provided_by"
down_revision = "0007_application_withdrawals"
branch_labels = None
depends_on = None
S = "payout"


def upgrade() -> None:
    op.add_column("payees", sa.Column("provided_by", sa.Text(), nullable=True), schema=S)
    op.add_column(
        "payees", sa.Column("provided_by_role", sa.Text(), nullable=False, server_default="partner"), schema=S
    )
    op.alter_column("payees", "provided_by_role", server_default=None, schema=S)


def downgrade() -> None:
    op.drop_column("payees", "provided_by_role", schema=S)
    op.drop_column("payees", "provided_by", schema=S)
