from sqlalchemy import Column, DateTime, LargeBinary, Table, Text

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
