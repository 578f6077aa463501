"""each transfer names the ledger key its hash was made with, so that keys can be rotated

Rows made before this carry the derived id of the `LEDGER_KEY` the migration runs with; migrated
without one, they carry none, and `ledger verify` tries every configured key on them. The id is set
as the column's default while it is added (no row is updated: the ledger stays append-only, and its
trigger refuses updates), then the default is dropped: every new row names its key.

Revision ID: 0005_transfer_key_ids
Revises: 0004_published_policy_versions
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0005_transfer_key_ids"
down_revision = "0004_published_policy_versions"
branch_labels = None
depends_on = None
S = "payout"


def upgrade() -> None:
    from services.payout.domain.keys import derived_id

    key = os.environ.get("LEDGER_KEY")
    default = sa.text(f"'{derived_id(key.encode())}'") if key else None
    op.add_column("transfers", sa.Column("key_id", sa.Text(), nullable=True, server_default=default), schema=S)
    if default is not None:
        op.alter_column("transfers", "key_id", server_default=None, schema=S)


def downgrade() -> None:
    op.drop_column("transfers", "key_id", schema=S)
