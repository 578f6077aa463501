from sqlalchemy import Column, DateTime, Integer, Numeric, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import service_metadata

SCHEMA = "quota"
metadata = service_metadata(SCHEMA)

candidates = Table(
    "candidates", metadata,
    Column("application_id", UUID(as_uuid=True), primary_key=True),
    Column("clause", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("credit_code", Text, nullable=False),
    Column("amount", Numeric(16, 2), nullable=False),
    Column("indicators", JSONB, nullable=False),
    Column("review_score", Numeric(5, 2)),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("admitted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
