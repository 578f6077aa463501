from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from shared.auth import replica_table
from shared.db import service_metadata
from shared.policy_versions import replica_table as policy_replica_table

SCHEMA = "payout"
metadata = service_metadata(SCHEMA)
api_keys = replica_table(metadata)

MONEY = Numeric(16, 2)
BALANCE = Numeric(18, 2)

# The ledger: append-only (a trigger refuses updates and deletes), one row per transfer in chain
# order, each keyed-hashed over the one before it (services/payout/domain/chain.py).
transfers = Table(
    "transfers",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("kind", Text, nullable=False),
    Column("debit", Text, nullable=False),
    Column("credit", Text, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("pending_id", UUID(as_uuid=True)),
    Column("code", Text, nullable=False),
    Column("ref", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False, unique=True),
    Column("key_id", Text),  # the ledger key `hash` was made with; none on rows older than key ids
    CheckConstraint("amount > 0", name="positive_amount"),
    CheckConstraint("kind IN ('posted', 'pending', 'post', 'void')", name="known_kind"),
    # A pending transfer is posted or voided once at most.
    Index("uq_transfers_pending_id", "pending_id", unique=True, postgresql_where=text("pending_id IS NOT NULL")),
)

# Balances kept with every transfer, in the same transaction; `subsidy ledger verify` recomputes
# them from the transfers. The database itself refuses an overdrawn budget or award.
accounts = Table(
    "accounts",
    metadata,
    Column("id", Text, primary_key=True),
    Column("limited", Boolean, nullable=False),
    Column("debits_pending", BALANCE, nullable=False, server_default="0"),
    Column("debits_posted", BALANCE, nullable=False, server_default="0"),
    Column("credits_pending", BALANCE, nullable=False, server_default="0"),
    Column("credits_posted", BALANCE, nullable=False, server_default="0"),
    CheckConstraint(
        "NOT limited OR debits_pending + debits_posted <= credits_posted", name="debits_must_not_exceed_credits"
    ),
    CheckConstraint(
        "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0",
        name="balances_not_negative",
    ),
)

budgets = Table(
    "budgets",
    metadata,
    Column("year", Integer, nullable=False),
    Column("clause", Text, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Text, nullable=False),
    PrimaryKeyConstraint("year", "clause"),
)

# `state` is an AwardState; its moves are in services/payout/domain/lifecycle.py.
awards = Table(
    "awards",
    metadata,
    Column("award_id", UUID(as_uuid=True), primary_key=True),
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),  # the order awards wait in
    Column("application_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("credit_code", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("state", Text, nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Column("booked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_awards_waiting", "year", "clause", "seq", postgresql_where=text("state = 'awaiting_budget'")),
)

payees = Table(
    "payees",
    metadata,
    Column("application_id", UUID(as_uuid=True), primary_key=True),
    Column("credit_code", Text, nullable=False),
    Column("applicant_name", Text, nullable=False),
    Column("account_name", Text, nullable=False),
    Column("account_number", Text, nullable=False),
    Column("bank", Text, nullable=False),
    Column("provided_at", DateTime(timezone=True), nullable=False),
    Column("provided_by", Text),  # the partner or admin account; empty when told by a v1 event (its partner)
    Column("provided_by_role", Text, nullable=False),  # partner or admin
)

# `status` is a PayoutState; its moves are in services/payout/domain/lifecycle.py.
payouts = Table(
    "payouts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("award_id", UUID(as_uuid=True), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("application_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("credit_code", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("status", Text, nullable=False),
    Column("hold_reason", Text),
    Column("reason_code", Text),
    Column("reason", Text),
    Column("account_name", Text),
    Column("account_number", Text),
    Column("bank", Text),
    Column("batch_id", Text),
    Column("requested_at", DateTime(timezone=True)),
    Column("expected_on", Date),
    Column("settled_on", Date),
    Column("bank_reference", Text),
    Column("replaces", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # When the applicant was told the payout is held; NULL while a hold for missing bank details
    # waits out the grace (they may be on their way: see payouts.announce_quiet_holds).
    Column("hold_announced_at", DateTime(timezone=True)),
    UniqueConstraint("award_id", "attempt"),
    # One open payout per award at a time.
    Index(
        "uq_payouts_open_award",
        "award_id",
        unique=True,
        postgresql_where=text("status IN ('held', 'requested', 'sent', 'accepted', 'rejected')"),
    ),
    Index("ix_payouts_to_send", "requested_at", "id", postgresql_where=text("status = 'requested'")),
    Index(
        "ix_payouts_quiet_holds", "created_at", postgresql_where=text("status = 'held' AND hold_announced_at IS NULL")
    ),
)

batches = Table(
    "batches",
    metadata,
    Column("message_id", Text, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("transactions", Integer, nullable=False),
    Column("control_sum", MONEY, nullable=False),
    Column("group_status", Text),  # from the finance system's status report
)

clawbacks = Table(
    "clawbacks",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("award_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("key", Text, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("reason", Text, nullable=False),
    Column("by", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("award_id", "key"),
)

# Applications withdrawn (intake's ApplicationWithdrawnV1), so that an award read after its
# withdrawal is booked cancelled. `outcome`: what the withdrawal did when it was read —
# `cancelled` (an award's payment was cancelled), `no_award` (none yet; one that comes is booked
# cancelled), `too_late` (the money had left for the finance system or was paid: it goes ahead).
withdrawals = Table(
    "withdrawals",
    metadata,
    Column("application_id", UUID(as_uuid=True), primary_key=True),
    Column("credit_code", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("by", Text, nullable=False),
    Column("withdrawn_at", DateTime(timezone=True), nullable=False),
    Column("outcome", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("outcome IN ('cancelled', 'no_award', 'too_late')", name="known_outcome"),
)

# The policy versions eligibility published, kept so that a restart knows them without the broker.
published_policy_versions = policy_replica_table(metadata)
