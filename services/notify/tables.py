from sqlalchemy import Column, DateTime, Index, Integer, LargeBinary, Table, Text, func, text
from sqlalchemy.dialects.postgresql import UUID

from shared.db import service_metadata

SCHEMA = "notify"
metadata = service_metadata(SCHEMA)

notifications = Table(
    "notifications", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),  # derived from the event it tells of
    Column("application_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("credit_code", Text, nullable=False),
    Column("about", Text, nullable=False),
    Column("message_zh", Text, nullable=False),
    Column("message_en", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A partner's current webhook. Unregistering keeps the row with an empty url, so that a stale
# registration read later cannot bring an older url back (see `registered_at`).
webhooks = Table(
    "webhooks", metadata,
    Column("partner_id", Text, primary_key=True),
    Column("url", Text, nullable=False),  # "" once unregistered
    # Sealed with SECRETS_KEY (shared/secretbox.py); opened only to sign a delivery. "" once unregistered.
    Column("secret_ciphertext", Text, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

application_partners = Table(
    "application_partners", metadata,
    Column("application_id", UUID(as_uuid=True), primary_key=True),
    Column("partner_id", Text, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),  # derived from the event it reports
    Column("application_id", UUID(as_uuid=True), nullable=False),
    Column("partner_id", Text),  # null while the application's partner is not known yet
    Column("body", LargeBinary, nullable=False),  # the exact bytes sent and signed, every attempt
    Column("status", Text, nullable=False, server_default="pending"),  # → delivered | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("url", Text),  # where the last attempt went
    Column("last_error", Text),
    Column("delivered_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_webhook_deliveries_due", "next_attempt_at",
          postgresql_where=text("status = 'pending' AND partner_id IS NOT NULL")),
    Index("ix_webhook_deliveries_awaiting_partner", "application_id",
          postgresql_where=text("partner_id IS NULL")),
)
