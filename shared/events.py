"""Versioned payloads of every event the product publishes, one class per `ce_type`."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from shared import topics
from shared.messaging.payloads import Payload

# Money travels as a decimal string ("800000.00"), never as a JSON number.
Money = Annotated[Decimal, Field(ge=0, decimal_places=2), PlainSerializer(lambda d: f"{d:.2f}", return_type=str)]
Outcome = Literal["eligible", "ineligible", "candidate"]


class ApplicationSubmittedV1(Payload):
    ce_type = "subsidy.application.submitted.v1"
    topic = topics.APPLICATIONS
    application_id: UUID
    partner_id: str
    submitted_at: datetime
    application: dict[str, Any]  # the wire application, already validated by intake


class DecisionMadeV1(Payload):
    ce_type = "subsidy.decision.made.v1"
    topic = topics.DECISIONS
    decision_id: UUID
    application_id: UUID
    credit_code: str
    clause: str
    outcome: Outcome
    amount: Money
    reasons: list[dict[str, Any]]
    trace: list[dict[str, Any]]
    policy_version: str
    policy_hash: str
    decided_at: datetime


class CandidateAdmittedV1(Payload):
    ce_type = "subsidy.candidate.admitted.v1"
    topic = topics.CANDIDATES
    application_id: UUID
    credit_code: str
    clause: str
    year: int
    amount: Money  # what the candidate receives if selected
    indicators: dict[str, str]
    submitted_at: datetime


class SelectionConcludedV1(Payload):
    """One candidate's result in a round, after the public notice."""
    ce_type = "subsidy.selection.concluded.v1"
    topic = topics.SELECTIONS
    application_id: UUID
    credit_code: str
    clause: str
    year: int
    selected: bool
    rank: int | None
    reason: str


class GrantLine(BaseModel):
    """One subject an award settles (a node, a project, a revenue tier…), for one-time rules."""
    model_config = ConfigDict(frozen=True, extra="forbid")
    subject_key: str
    amount: Money
    project_id: str | None = None


class AwardGrantedV1(Payload):
    ce_type = "subsidy.award.granted.v1"
    topic = topics.AWARDS
    award_id: UUID
    application_id: UUID
    credit_code: str
    clause: str
    amount: Money
    grants: list[GrantLine]
    granted_at: datetime


class PayoutRequestedV1(Payload):
    ce_type = "subsidy.payout.requested.v1"
    topic = topics.PAYOUTS
    payout_id: UUID
    award_id: UUID
    application_id: UUID
    credit_code: str
    amount: Money
    requested_at: datetime


class PayoutPaidV1(Payload):
    """The ledger recorded the finance system's settlement of a payout."""
    ce_type = "subsidy.payout.paid.v1"
    topic = topics.PAYOUTS
    payout_id: UUID
    application_id: UUID
    credit_code: str
    amount: Money
    settled_on: date


class PayoutFailedV1(Payload):
    """The finance system refused a payout; the ledger reversed it."""
    ce_type = "subsidy.payout.failed.v1"
    topic = topics.PAYOUTS
    payout_id: UUID
    application_id: UUID
    credit_code: str
    reason: str


class PayoutSettledV1(Payload):
    """Published by the city's finance system once the transfer is made."""
    ce_type = "subsidy.payout.settled.v1"
    topic = topics.FINANCE_RESULTS
    payout_id: UUID
    amount: Money
    settled_on: date
    bank_reference: str


class PayoutRejectedV1(Payload):
    """Published by the city's finance system when it refuses or fails a transfer."""
    ce_type = "subsidy.payout.rejected.v1"
    topic = topics.FINANCE_RESULTS
    payout_id: UUID
    reason: str


class NotificationRecordedV1(Payload):
    ce_type = "subsidy.notification.recorded.v1"
    topic = topics.NOTIFICATIONS
    notification_id: UUID
    application_id: UUID
    credit_code: str
    about: str  # the ce_type of the event the applicant is told about
    message_zh: str
    message_en: str


# Carried the secret in clear: no longer published, still read for events already on the topic.
class WebhookRegisteredV1(Payload):
    ce_type = "subsidy.webhook.registered.v1"
    topic = topics.PARTNERS
    partner_id: str
    url: str
    secret: str
    registered_at: datetime


class WebhookRegisteredV2(Payload):
    """A partner registered its webhook, or removed it (an empty url). The secret travels sealed
    with SECRETS_KEY (`shared/secretbox.py`), never in clear."""
    ce_type = "subsidy.webhook.registered.v2"
    topic = topics.PARTNERS
    partner_id: str
    url: str
    secret_ciphertext: str  # "" when the webhook is removed
    registered_at: datetime
# ---- API keys, replicated to every service that checks them ----

class ApiKeyIssuedV1(Payload):
    """A key was issued to a partner. Only the SHA-256 of its secret travels, never the key."""
    ce_type = "subsidy.api-key.issued.v1"
    topic = topics.PARTNERS
    key_id: str
    partner_id: str
    role: str
    requests_per_second: Money
    secret_sha256: str
    issued_at: datetime


class ApiKeyRevokedV1(Payload):
    ce_type = "subsidy.api-key.revoked.v1"
    topic = topics.PARTNERS
    key_id: str
    partner_id: str
    revoked_at: datetime


# ---- annual selections (quota) ----

# A panel score, 0–100 with two decimals, a decimal string on the wire.
Score = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2), PlainSerializer(lambda d: f"{d:.2f}", return_type=str)]
RoundState = Literal["open", "closed", "in_review", "ranked", "in_notice", "concluded"]


class RoundStateChangedV1(Payload):
    """A round moved to its next state (keyed `clause:year`)."""
    ce_type = "subsidy.round.state-changed.v1"
    topic = topics.ROUNDS
    round_id: UUID
    clause: str
    year: int
    state: RoundState
    previous: RoundState | None
    quota: int
    deadline: datetime
    notice_ends_on: date | None
    by: str
    reason: str
    at: datetime


class SelectionProgressedV1(Payload):
    """One candidate's step in its round before its result (keyed by credit code).

    in_review: the panel is scoring it; in_notice: proposed for selection, in public notice until
    `notice_ends_on`; waitlisted: ranked beyond the quota, promoted in rank order if a place frees;
    not_proposed: below the minimum score; objected: held by an objection; removed: an objection
    against it was upheld."""
    ce_type = "subsidy.selection.progressed.v1"
    topic = topics.SELECTIONS
    application_id: UUID
    credit_code: str
    clause: str
    year: int
    step: Literal["in_review", "in_notice", "waitlisted", "not_proposed", "objected", "removed"]
    rank: int | None = None
    score: Score | None = None
    notice_ends_on: date | None = None
    reason: str = ""


class RecognitionGrantedV1(Payload):
    """A selected candidate's non-monetary benefits, as the policy names them."""
    ce_type = "subsidy.recognition.granted.v1"
    topic = topics.AWARDS
    recognition_id: UUID
    application_id: UUID
    credit_code: str
    clause: str
    year: int
    rank: int
    benefits_zh: str
    benefits_en: str
    grants: list[GrantLine]
    granted_at: datetime
