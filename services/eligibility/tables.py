from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
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

from shared.auth import replica_table
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

# The policy versions eligibility owns (services/eligibility/domain/versions.py): one row per version
# id, its text and where it stands. An approved version's text never changes.
policy_versions = Table(
    "policy_versions",
    metadata,
    Column("version_id", Text, primary_key=True),
    Column("content_hash", Text, nullable=False),  # sha256 of the text's UTF-8 bytes
    Column("source", Text, nullable=False),  # the TOML, as drafted
    Column("state", Text, nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("drafted_by", Text, nullable=False),
    Column("drafted_at", DateTime(timezone=True), nullable=False),
    Column("approved_by", Text),
    Column("approved_at", DateTime(timezone=True)),
    Column("withdrawn_by", Text),
    Column("withdrawn_at", DateTime(timezone=True)),
    CheckConstraint("state IN ('draft', 'approved', 'withdrawn')", name="known_state"),
    CheckConstraint(
        "state = 'draft' OR approved_by IS NOT NULL OR withdrawn_by IS NOT NULL", name="state_has_its_official"
    ),
)

# Every step of every version, who took it, when and why: append-only (a trigger refuses changes).
policy_version_steps = Table(
    "policy_version_steps",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("version_id", Text, nullable=False, index=True),
    Column("step", Text, nullable=False),  # drafted | redrafted | approved | withdrawn
    Column("content_hash", Text, nullable=False),  # the text the step was taken on
    Column("by", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=False),
)

# Intake's API keys, replicated from its key events, for eligibility's own API (policy versions).
api_keys = replica_table(metadata)
