from sqlalchemy import BigInteger, Column, DateTime, LargeBinary, Table, Text, func

from shared.db import service_metadata

SCHEMA = "finance_sim"
metadata = service_metadata(SCHEMA)

# Batches received, answered once their delay has passed.
received = Table(
    "received",
    metadata,
    Column("message_id", Text, primary_key=True),
    Column("ce_type", Text, nullable=False),  # which version of the batch the body is
    Column("body", LargeBinary, nullable=False),
    Column("answer_after", DateTime(timezone=True), nullable=False),
    Column("answered_at", DateTime(timezone=True)),
)

# The payout ledger's heads, as received with batches and as events: every one kept, never changed.
# The newest (highest sequence number) is what the ledger is later held to.
ledger_heads = Table(
    "ledger_heads",
    metadata,
    Column("seq", BigInteger, primary_key=True),
    Column("hash", Text, primary_key=True),
    Column("mac", Text, primary_key=True),  # over seq, hash and published_at: two heads differ here
    Column("key_id", Text, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("came_with", Text, nullable=False),  # the batch's message id, or the event's id
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
