"""webhook secrets kept sealed with SECRETS_KEY, never in clear

Revision ID: 0003_sealed_webhook_secrets
Revises: 0002_webhooks
Create Date: 2026-12-01 09:00:00

Secrets stored in clear by earlier releases are sealed here, so this migration needs SECRETS_KEY
when there are any; a fresh database needs none.
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0003_sealed_webhook_secrets"
down_revision = "0002_webhooks"
branch_labels = None
depends_on = None


def _box():
    from shared.secretbox import SecretBox

    key = os.environ.get("SECRETS_KEY")
    if not key:
        raise RuntimeError("notify.webhooks holds secrets in clear: set SECRETS_KEY so that they can be sealed")
    return SecretBox(key)


def upgrade() -> None:
    op.add_column(
        "webhooks", sa.Column("secret_ciphertext", sa.Text(), server_default="", nullable=False), schema="notify"
    )
    conn = op.get_bind()
    clear = conn.execute(sa.text("SELECT partner_id, secret FROM notify.webhooks WHERE secret <> ''")).all()
    if clear:
        box = _box()
        for partner_id, secret in clear:
            conn.execute(
                sa.text("UPDATE notify.webhooks SET secret_ciphertext = :sealed WHERE partner_id = :p"),
                {"sealed": box.seal(secret), "p": partner_id},
            )
    op.alter_column("webhooks", "secret_ciphertext", server_default=None, schema="notify")
    op.drop_column("webhooks", "secret", schema="notify")


def downgrade() -> None:
    op.add_column("webhooks", sa.Column("secret", sa.Text(), server_default="", nullable=False), schema="notify")
    conn = op.get_bind()
    sealed = conn.execute(
        sa.text("SELECT partner_id, secret_ciphertext FROM notify.webhooks WHERE secret_ciphertext <> ''")
    ).all()
    if sealed:
        box = _box()
        for partner_id, ciphertext in sealed:
            conn.execute(
                sa.text("UPDATE notify.webhooks SET secret = :secret WHERE partner_id = :p"),
                {"secret": box.open(ciphertext), "p": partner_id},
            )
    op.alter_column("webhooks", "secret", server_default=None, schema="notify")
    op.drop_column("webhooks", "secret_ciphertext", schema="notify")
