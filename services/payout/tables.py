from sqlalchemy import BigInteger, Column, Date, DateTime, Identity, Numeric, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from shared.db import service_metadata

SCHEMA = "payout"
metadata = service_metadata(SCHEMA)

# Append-only: corrections are reversing entries. Each row carries the hash of the one before it.
ledger = Table(
    "ledger", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("txn_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("account", Text, nullable=False),
    Column("debit", Numeric(16, 2), nullable=False),
    Column("credit", Numeric(16, 2), nullable=False),
    Column("memo", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False, unique=True),
)

payouts = Table(
    "payouts", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("award_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("application_id", UUID(as_uuid=True), nullable=False),
    Column("credit_code", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("amount", Numeric(16, 2), nullable=False),
    Column("status", Text, nullable=False),  # requested → paid | rejected
    Column("settled_on", Date),
    Column("bank_reference", Text),
    Column("requested_at", DateTime(timezone=True), nullable=False),
)
