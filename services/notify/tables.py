from sqlalchemy import Column, DateTime, Table, Text, func
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
