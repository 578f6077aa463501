from sqlalchemy import Column, DateTime, Numeric, Table, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import service_metadata

SCHEMA = "eligibility"
metadata = service_metadata(SCHEMA)

decisions = Table(
    "decisions", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("application_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("credit_code", Text, nullable=False, index=True),
    Column("clause", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("amount", Numeric(16, 2), nullable=False),
    Column("body", JSONB, nullable=False),  # the whole decision: reasons, trace, policy version and hash
    Column("decided_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# What each applicant has been granted, by subject: the history one-time rules are decided against.
# Built from this service's own eligible decisions and from every award event (selections included).
grants = Table(
    "grants", metadata,
    Column("credit_code", Text, nullable=False),
    Column("subject_key", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("amount", Numeric(16, 2), nullable=False),
    Column("project_id", Text),
    Column("application_id", UUID(as_uuid=True), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("credit_code", "subject_key"),
)
