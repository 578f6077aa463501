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
    # Who submitted the application, and whom it named to be told (`contact`: email, phone,
    # language): where an earlier applicant is told of a clause it could claim (`matches.py`).
    # Decisions stored before they were kept have neither.
    Column("partner_id", Text),
    Column("contact", JSONB(none_as_null=True)),  # SQL NULL where it gave none
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

# Each clause of a policy version that an earlier applicant could claim and was told of (免申即享,
# `matches.py`): once per applicant, clause and version, whoever finds it and however often.
match_notices = Table(
    "match_notices",
    metadata,
    Column("credit_code", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("version_id", Text, nullable=False),
    Column("amount", Numeric(16, 2), nullable=False),
    Column("partner_id", Text, nullable=False),  # whom it was told through
    Column("found_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("credit_code", "clause", "version_id"),
    Index("ix_match_notices_version", "version_id"),
)

# Every search for them: on a version's publication (once per version: an announcement of it
# again is no new search) or an operator's command (`subsidy policy matches`).
match_scans = Table(
    "match_scans",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("version_id", Text, nullable=False),
    Column("trigger", Text, nullable=False),  # published | command
    Column("scanned_at", DateTime(timezone=True), nullable=False),
    Column("found", BigInteger, nullable=False, server_default="0"),  # matches found
    Column("told", BigInteger, nullable=False, server_default="0"),  # of which newly told
    CheckConstraint("trigger IN ('published', 'command')", name="known_trigger"),
    Index("ix_match_scans_published", "version_id", unique=True, postgresql_where=text("trigger = 'published'")),
)

# Intake's API keys, replicated from its key events, for eligibility's own API (policy versions).
api_keys = replica_table(metadata)
