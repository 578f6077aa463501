from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import service_metadata

SCHEMA = "eligibility"
metadata = service_metadata(SCHEMA)

decisions = Table(
    "decisions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("application_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("credit_code", Text, nullable=False, index=True),
    Column("clause", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("amount", Numeric(16, 2), nullable=False),
    Column("body", JSONB, nullable=False),  # the whole decision: reasons, trace, policy version and hash
    Column("decided_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # What a replay of the decision needs (`subsidy policy whatif`): the application as parsed
    # (clause, applicant, occurred_on, facts; no contact or payee) and when it was submitted.
    # Decisions stored before it was kept have none, and a replay skips them.
    Column("application", JSONB),
    # The order decisions were taken in, which a replay follows: an applicant's decisions are
    # taken one after another, each seeing the grants of those before it.
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
)

# What each applicant has been granted, by subject: the history one-time rules are decided against.
# Built from this service's own eligible decisions and from every award of a selection. The key
# is the rule itself: one grant per applicant, subject and clause, ever (a subject's key carries
# its year where the clause pays once a year), and never more than its rule's cap.
grants = Table(
    "grants",
    metadata,
    Column("credit_code", Text, nullable=False),
    Column("subject_key", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("amount", Numeric(16, 2), nullable=False),
    Column("cap", Numeric(16, 2), nullable=False),  # the most its rule pays for this subject
    Column("project_id", Text),
    Column("application_id", UUID(as_uuid=True), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("credit_code", "subject_key", "clause"),
    CheckConstraint("amount <= cap", name="amount_within_cap"),
    # A decision reads its applicant's grants on its subjects (the primary key), on its shared
    # project, and whether another applicant claimed its subject: each an index lookup.
    Index("ix_grants_project", "credit_code", "project_id", postgresql_where=text("project_id IS NOT NULL")),
    Index("ix_grants_subject", "subject_key", "clause"),
)
