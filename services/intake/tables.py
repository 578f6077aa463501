from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, Table, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import service_metadata

SCHEMA = "intake"
metadata = service_metadata(SCHEMA)

applications = Table(
    "applications", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),  # derived from the partner's idempotency key
    Column("partner_id", Text, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("credit_code", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("body", JSONB, nullable=False),
    Column("status", Text, nullable=False),
    Column("stage", Integer, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("partner_id", "idempotency_key"),
)

timeline = Table(
    "timeline", metadata,
    Column("event_id", Text, primary_key=True),
    Column("application_id", UUID(as_uuid=True), ForeignKey(applications.c.id), nullable=False, index=True),
    Column("status", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", JSONB, nullable=False),
)
