"""policy officials (role policy_admin) have console accounts

Revision ID: 0003_policy_admin_accounts
Revises: 0002_published_policy_versions
"""

from alembic import op

revision = "0003_policy_admin_accounts"
down_revision = "0002_published_policy_versions"
branch_labels = None
depends_on = None
S = "console"


def upgrade() -> None:
    op.drop_constraint("role", "accounts", schema=S, type_="check")
    op.create_check_constraint("role", "accounts", "role IN ('reviewer', 'finance', 'admin', 'policy_admin')", schema=S)


def downgrade() -> None:
    op.drop_constraint("role", "accounts", schema=S, type_="check")
    op.create_check_constraint("role", "accounts", "role IN ('reviewer', 'finance', 'admin')", schema=S)
