"""The quota service's own tables (schema `quota`). Nothing else reads them."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.auth import replica_table
from shared.db import service_metadata
from shared.policy_versions import replica_table as policy_replica_table

SCHEMA = "quota"
metadata = service_metadata(SCHEMA)

STATES = ("open", "closed", "in_review", "ranked", "in_notice", "concluded")
STANDINGS = (
    "awaiting_round",
    "refused",
    "candidate",
    "proposed",
    "waitlisted",
    "below_minimum",
    "held",
    "removed",
    "selected",
    "not_selected",
)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# One round per selection clause and year.
rounds = Table(
    "rounds",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("clause", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("quota", Integer, nullable=False),
    Column("deadline", DateTime(timezone=True), nullable=False),
    Column("min_reviews", Integer, nullable=False),
    Column("min_score", Numeric(5, 2), nullable=False),
    Column("notice_working_days", Integer, nullable=False),
    Column("state", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("clause", "year", name="uq_rounds_clause_year"),
    # The target of slots' (round, quota) key: a slot always carries its round's quota.
    UniqueConstraint("id", "quota", name="uq_rounds_id_quota"),
    CheckConstraint("quota BETWEEN 1 AND 100", name="ck_rounds_quota"),
    CheckConstraint("min_reviews >= 1", name="ck_rounds_min_reviews"),
    CheckConstraint("min_score BETWEEN 0 AND 100", name="ck_rounds_min_score"),
    CheckConstraint("notice_working_days >= 1", name="ck_rounds_notice_days"),
    CheckConstraint(_one_of("state", STATES), name="ck_rounds_state"),
)

transitions = Table(
    "round_transitions",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("round_id", UUID(as_uuid=True), ForeignKey(rounds.c.id), nullable=False, index=True),
    Column("previous", Text),
    Column("state", Text, nullable=False),
    Column("by", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# What the admission (CandidateAdmittedV2) tells of each candidate beyond its ranking: the public
# notice shows names and projects, and an award names the subjects it settles. A candidate admitted
# by a v1 event may have none (see handlers.py); the figures it is ranked on are its own row's.
details = Table(
    "candidate_details",
    metadata,
    Column("application_id", UUID(as_uuid=True), primary_key=True),
    Column("clause", Text, nullable=False),
    Column("applicant_name", Text, nullable=False),
    Column("applicant_kind", Text, nullable=False),
    Column("project", Text),  # the subject's id: chain, project or base; none for an enterprise
    Column("grants", JSONB, nullable=False),  # [{"subject_key", "project_id"}]
)

notices = Table(
    "notices",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("round_id", UUID(as_uuid=True), ForeignKey(rounds.c.id), nullable=False, index=True),
    Column("kind", Text, nullable=False),  # initial | promotion
    Column("published_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("ends_on >= published_on", name="ck_notices_dates"),
    CheckConstraint("kind IN ('initial', 'promotion')", name="ck_notices_kind"),
)

candidates = Table(
    "candidates",
    metadata,
    Column("application_id", UUID(as_uuid=True), primary_key=True),
    Column("clause", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("credit_code", Text, nullable=False),
    Column("amount", Numeric(16, 2), nullable=False),
    # The applicant's figures the clause ranks on ({"total_investment": "3000000"}); a v1 admission
    # gave every numeric fact of the application, among them these.
    Column("indicators", JSONB, nullable=False),
    Column("review_score", Numeric(5, 2)),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("admitted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("round_id", UUID(as_uuid=True), ForeignKey(rounds.c.id)),
    Column("standing", Text, nullable=False, server_default="awaiting_round"),
    Column("rank", Integer),
    Column("explanation", JSONB),  # {"en", "zh"}: why it stands where it does
    Column("notice_id", UUID(as_uuid=True), ForeignKey(notices.c.id)),
    Column("result_reason", Text),
    CheckConstraint(_one_of("standing", STANDINGS), name="ck_candidates_standing"),
    Index("ix_candidates_round", "round_id", "standing"),
    Index("ix_candidates_clause_year", "clause", "year"),
)

# The quota, enforced by the database: a proposed, held or selected candidate occupies a slot;
# (round, slot) is unique, slot ≤ the round's quota, and the quota is the round's own (the
# composite key), so no code path, replica or race can hold more than `quota` candidates.
slots = Table(
    "slots",
    metadata,
    Column("round_id", UUID(as_uuid=True), nullable=False),
    Column("quota", Integer, nullable=False),
    Column("slot", Integer, nullable=False),
    Column("application_id", UUID(as_uuid=True), ForeignKey(candidates.c.application_id), nullable=False, unique=True),
    PrimaryKeyConstraint("round_id", "slot", name="pk_slots"),
    ForeignKeyConstraint(["round_id", "quota"], [rounds.c.id, rounds.c.quota], name="fk_slots_round_quota"),
    CheckConstraint("slot BETWEEN 1 AND quota", name="ck_slots_within_quota"),
)

panel = Table(
    "panel",
    metadata,
    Column("round_id", UUID(as_uuid=True), ForeignKey(rounds.c.id), nullable=False),
    Column("reviewer_id", Text, nullable=False),
    Column("assigned_by", Text, nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("round_id", "reviewer_id", name="pk_panel"),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("application_id", UUID(as_uuid=True), ForeignKey(candidates.c.application_id), nullable=False),
    Column("reviewer_id", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("declared_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("application_id", "reviewer_id", name="pk_conflicts"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("application_id", UUID(as_uuid=True), ForeignKey(candidates.c.application_id), nullable=False),
    Column("reviewer_id", Text, nullable=False),
    Column("scores", JSONB, nullable=False),
    Column("score", Numeric(5, 2)),  # the weighted review score, once complete
    Column("status", Text, nullable=False),  # draft | submitted
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("submitted_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("application_id", "reviewer_id", name="pk_reviews"),
    CheckConstraint("status IN ('draft', 'submitted')", name="ck_reviews_status"),
    CheckConstraint(
        "status = 'draft' OR (score IS NOT NULL AND submitted_at IS NOT NULL)", name="ck_reviews_submitted_complete"
    ),
)

objections = Table(
    "objections",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("round_id", UUID(as_uuid=True), ForeignKey(rounds.c.id), nullable=False, index=True),
    Column("application_id", UUID(as_uuid=True), ForeignKey(candidates.c.application_id), nullable=False),
    Column("name", Text, nullable=False),
    Column("contact", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),  # open | upheld | dismissed
    Column("decided_by", Text),
    Column("decision_reason", Text),
    Column("decided_at", DateTime(timezone=True)),
    CheckConstraint("status IN ('open', 'upheld', 'dismissed')", name="ck_objections_status"),
    CheckConstraint(
        "status = 'open' OR (decided_by IS NOT NULL AND decision_reason IS NOT NULL)", name="ck_objections_decided"
    ),
)

api_keys = replica_table(metadata)

# The policy versions eligibility published, kept so that a restart knows them without the broker.
published_policy_versions = policy_replica_table(metadata)
