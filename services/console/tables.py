"""The console's own tables: accounts, their sessions, sign-in attempts, and the dead letters it
sent back. Everything else the console shows belongs to the other services and is read through
their APIs."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Table,
    Text,
    func,
)

from shared.db import service_metadata
from shared.policy_versions import replica_table as policy_replica_table

SCHEMA = "console"
metadata = service_metadata(SCHEMA)

accounts = Table(
    "accounts",
    metadata,
    Column("name", Text, primary_key=True),  # also the partner id its API key is issued to
    Column("role", Text, nullable=False),
    Column("password_hash", Text, nullable=False),  # argon2id, with its parameters and salt
    Column("api_key_sealed", Text, nullable=False),  # the account's own API key, sealed with SECRETS_KEY
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
    CheckConstraint("role IN ('reviewer', 'finance', 'admin', 'policy_admin')", name="role"),
)

# The cookie holds a random token; only its SHA-256 is kept, so the table cannot be replayed.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("account", Text, ForeignKey(accounts.c.name, ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)

# Failed sign-ins, counted per account name (whether it exists or not) and per client address.
signin_failures = Table(
    "signin_failures",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("account", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("cleared", Boolean, nullable=False, server_default="false"),
    Index("ix_signin_failures_account_at", "account", "at"),
    Index("ix_signin_failures_address_at", "address", "at"),
)

# The dead letters sent back (by the console or `subsidy dead-letters replay`), each claimed by its
# id before it is sent, so that replicas replaying it at once send it once (shared/messaging/
# dead_letters.py). `sending` until its topic has it; then `sent`.
replays = Table(
    "replays",
    metadata,
    Column("letter_id", Text, primary_key=True),
    Column("state", Text, nullable=False),
    Column("claimed_by", Text, nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    CheckConstraint("state IN ('sending', 'sent')", name="state"),
)

# The policy versions eligibility published, kept so that a restart knows them without the broker.
published_policy_versions = policy_replica_table(metadata)
