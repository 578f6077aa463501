from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.auth import replica_table
from shared.db import service_metadata
from shared.policy_versions import replica_table as policy_replica_table

SCHEMA = "notify"
metadata = service_metadata(SCHEMA)

notifications = Table(
    "notifications",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),  # derived from the event it tells of
    Column("application_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("credit_code", Text, nullable=False),
    Column("about", Text, nullable=False),
    Column("message_zh", Text, nullable=False),
    Column("message_en", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A partner's current webhook. Unregistering keeps the row with an empty url, so that a stale
# registration read later cannot bring an older url back (see `registered_at`).
webhooks = Table(
    "webhooks",
    metadata,
    Column("partner_id", Text, primary_key=True),
    Column("url", Text, nullable=False),  # "" once unregistered
    # Sealed with SECRETS_KEY (shared/secretbox.py); opened only to sign a delivery. "" once unregistered.
    Column("secret_ciphertext", Text, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    # The secret replaced by the last registration, also signing deliveries until `previous_secret_until`.
    Column("previous_secret_ciphertext", Text, nullable=False, server_default=""),
    Column("previous_secret_until", DateTime(timezone=True)),
    # Set when the endpoint answered 410 Gone: nothing is sent to it until the partner registers again.
    Column("disabled_at", DateTime(timezone=True)),
    Column("disabled_reason", Text),
)

# What notify knows of each application, from its submission: its partner, whom to tell and in
# which language, and the facts its messages name.
application_partners = Table(
    "application_partners",
    metadata,
    Column("application_id", UUID(as_uuid=True), primary_key=True),
    Column("partner_id", Text, nullable=False),
    Column("clause", Text),
    Column("credit_code", Text),
    Column("applicant_name", Text),
    Column("occurred_on", Date),
    Column("email", Text),  # null: the application gave no contact
    Column("phone", Text),
    Column("language", Text),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),  # derived from the event it reports
    # The body's `type`: an application's status change, or what an applicant could claim
    # (`match.found`, about an applicant: no application, its credit code instead).
    Column("type", Text, nullable=False, server_default="application.status_changed"),
    Column("application_id", UUID(as_uuid=True)),
    Column("credit_code", Text),  # a match's applicant
    Column("partner_id", Text),  # null while the application's partner is not known yet
    Column("body", LargeBinary, nullable=False),  # the exact bytes sent and signed, every attempt
    Column("status", Text, nullable=False, server_default="pending"),  # → delivered | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("url", Text),  # where the last attempt went
    Column("last_error", Text),
    Column("delivered_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("application_status", Text),  # the status the delivery reports (for the delivery log)
    Column("last_status_code", Integer),  # the partner's last HTTP answer, if it answered
    Column("replayed_at", DateTime(timezone=True)),  # last sent again on request
    Index("ix_webhook_deliveries_partner", "partner_id", "created_at"),
    Index("ix_webhook_deliveries_created_at", "created_at"),  # the oldest first, for the pruner
    Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        postgresql_where=text("status = 'pending' AND partner_id IS NOT NULL"),
    ),
    Index("ix_webhook_deliveries_awaiting_partner", "application_id", postgresql_where=text("partner_id IS NULL")),
)

# One e-mail per status change of an application that gave a contact: owed in the transaction
# that handles the status event, rendered on its first attempt (so every retry sends the same
# message), sent by `mail.py`. And one per match told to an applicant's contact (`matches.py`),
# rendered as it is owed.
email_deliveries = Table(
    "email_deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),  # derived from the event it reports
    # Null for what an applicant could claim (`match_found`): addressed and rendered when owed.
    Column("application_id", UUID(as_uuid=True)),
    Column("credit_code", Text),  # a match's applicant
    Column("application_status", Text, nullable=False),  # the template: a status, or `match_found`
    Column("context", JSONB, nullable=False),  # what the event says; the application's facts join at render
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),  # → sent | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("to_address", Text),
    Column("language", Text),
    Column("subject", Text),
    Column("body_text", Text),
    Column("body_html", Text),
    Column("last_error", Text),
    Column("sent_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_email_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    Index("ix_email_deliveries_application", "application_id"),
    Index("ix_email_deliveries_created_at", "created_at"),  # the oldest first, for the pruner
)

# A partner's own wording for its applicants: any of the parts, for one status and language.
partner_templates = Table(
    "partner_templates",
    metadata,
    Column("partner_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("language", Text, nullable=False),
    Column("subject", Text),
    Column("text", Text),
    Column("html", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("partner_id", "status", "language"),
)

# Each selection round's timetable, from quota's round events, for candidates' messages.
rounds = Table(
    "rounds",
    metadata,
    Column("clause", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("state", Text, nullable=False),
    Column("deadline", DateTime(timezone=True), nullable=False),
    Column("notice_ends_on", Date),
    Column("quota", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("clause", "year"),
)

# Intake's API keys, replicated from its key events, for notify's own API.
api_keys = replica_table(metadata)

# The policy versions eligibility published, kept so that a restart knows them without the broker.
published_policy_versions = policy_replica_table(metadata)
