from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, Table, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import service_metadata
from shared.policy_versions import replica_table as policy_replica_table

SCHEMA = "intake"
metadata = service_metadata(SCHEMA)

partners = Table(
    "partners",
    metadata,
    Column("id", Text, primary_key=True),  # the name the operator registered it under
    Column("role", Text, nullable=False),  # partner | reviewer | finance | admin
    Column("requests_per_second", Numeric(10, 2), nullable=False),
    Column("webhook_url", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Only a key's hash is kept: the key itself is shown once, when it is issued.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Text, primary_key=True),  # the key's public prefix, used to find it
    Column("partner_id", Text, ForeignKey(partners.c.id), nullable=False, index=True),
    Column("secret_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
)

applications = Table(
    "applications",
    metadata,
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
    # A partner's list, newest first, paged by (submitted_at, id).
    Index("ix_applications_partner_listing", "partner_id", "submitted_at", "id"),
    # Officials search one applicant's applications, newest first.
    Index("ix_applications_credit_code_listing", "credit_code", "submitted_at", "id"),
)

timeline = Table(
    "timeline",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("application_id", UUID(as_uuid=True), ForeignKey(applications.c.id), nullable=False, index=True),
    Column("status", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", JSONB, nullable=False),
)

# Who withdrew an application, when and why: one withdrawal an application, so that asking again
# answers with this one instead of owing a second event. Its status moves with its event.
withdrawals = Table(
    "withdrawals",
    metadata,
    Column("application_id", UUID(as_uuid=True), ForeignKey(applications.c.id), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("by", Text, nullable=False),
    Column("withdrawn_at", DateTime(timezone=True), nullable=False),
    Column("event_id", Text, nullable=False),
)

# Each partner's rate across every intake replica (`shared/ratelimit.py`'s SharedRateLimiter):
# the time by which it will have spent its allowance. Unlogged: no WAL for a row updated on every
# request; a database crash empties it, which gives each partner one fresh burst.
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("partner_id", Text, primary_key=True),
    Column("theoretical_arrival", DateTime(timezone=True), nullable=False),
    prefixes=["UNLOGGED"],
)

# The policy versions eligibility published, kept so that a restart knows them without the broker.
published_policy_versions = policy_replica_table(metadata)
