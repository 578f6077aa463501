"""Versioned payloads of every event the product publishes, one class per `ce_type`."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, WithJsonSchema

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


class ApplicationWithdrawnV1(Payload):
    """The applicant (through the partner that submitted the application) or an official withdrew
    the application: nothing more is to be decided or paid on it. Keyed by credit code on the
    applications topic, after its submission. `by` is the key's holder who withdrew it."""

    ce_type = "subsidy.application.withdrawn.v1"
    topic = topics.APPLICATIONS
    application_id: UUID
    credit_code: str
    clause: str
    partner_id: str  # who submitted it
    reason: str
    by: str
    withdrawn_at: datetime


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
Score = Annotated[
    Decimal, Field(ge=0, le=100, decimal_places=2), PlainSerializer(lambda d: f"{d:.2f}", return_type=str)
]
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


# ---- the money loop: payees, budgets, payouts, the finance exchange, corrections ----


class PayeeDetails(BaseModel):
    """A bank account, in full: travels only to payout (and from payout to the finance system)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    account_name: str
    account_number: str
    bank: str


class PayeeProvidedV1(Payload):
    """A partner gave (with the application, or later) or corrected the account an application's
    subsidy is paid into. Keyed by credit code; read by payout only."""

    ce_type = "subsidy.payee.provided.v1"
    topic = topics.PAYEES
    application_id: UUID
    credit_code: str
    applicant_name: str
    payee: PayeeDetails
    provided_at: datetime


class PayeeProvidedV2(Payload):
    """As v1, and who gave or corrected the account: the partner for its own application, or an
    administrator (the console's correction form). A v1 was always the partner that submitted."""

    ce_type = "subsidy.payee.provided.v2"
    topic = topics.PAYEES
    application_id: UUID
    credit_code: str
    applicant_name: str
    payee: PayeeDetails
    provided_at: datetime
    provided_by: str = Field(description="the caller's partner or account id")
    provided_by_role: Literal["partner", "admin"]


class PayoutDeferredV1(Payload):
    """The award does not fit in what is left of its budget line: it waits, in order, and goes
    ahead when the budget is raised."""

    ce_type = "subsidy.payout.deferred.v1"
    topic = topics.PAYOUTS
    award_id: UUID
    application_id: UUID
    credit_code: str
    clause: str
    year: int
    amount: Money


class PayoutHeldV1(Payload):
    """A payout cannot go to the finance system until something is done: `reason` is one of
    payee_missing, payee_invalid, payout_rejected; `reason_code` an ISO 20022 status reason
    (AC01, AC04, …) when the bank gave one; `what_to_do` says how to release it."""

    ce_type = "subsidy.payout.held.v1"
    topic = topics.PAYOUTS
    payout_id: UUID
    award_id: UUID
    application_id: UUID
    credit_code: str
    amount: Money
    reason: Literal["payee_missing", "payee_invalid", "payout_rejected"]
    reason_code: str | None = None
    detail: str = ""
    what_to_do: str


class PayoutRequestedV2(Payload):
    """A payout is on its way to the finance system; `expected_on` is when the money should arrive
    (the finance service level, in working days). `account` is masked."""

    ce_type = "subsidy.payout.requested.v2"
    topic = topics.PAYOUTS
    payout_id: UUID
    award_id: UUID
    application_id: UUID
    credit_code: str
    amount: Money
    account: str
    requested_at: datetime
    expected_on: date
    replaces: UUID | None = None  # the rejected payout this one corrects


class PayoutFailedV2(Payload):
    """The finance system rejected a payout (pain.002 RJCT)."""

    ce_type = "subsidy.payout.failed.v2"
    topic = topics.PAYOUTS
    payout_id: UUID
    award_id: UUID
    application_id: UUID
    credit_code: str
    reason_code: str
    reason: str


class PayoutPaidV2(Payload):
    """The finance system booked the payment (camt.054) and the ledger posted it."""

    ce_type = "subsidy.payout.paid.v2"
    topic = topics.PAYOUTS
    payout_id: UUID
    award_id: UUID
    application_id: UUID
    credit_code: str
    amount: Money
    settled_on: date
    bank_reference: str


class PayoutCancelledV1(Payload):
    """An admin cancelled an award's payment; its reservation was released."""

    ce_type = "subsidy.payout.cancelled.v1"
    topic = topics.PAYOUTS
    award_id: UUID
    payout_id: UUID | None
    application_id: UUID
    credit_code: str
    amount: Money
    reason: str
    by: str


class ClawbackRecordedV1(Payload):
    """Part or all of a paid award must be given back (a failed performance review, 绩效评价, or
    fraud): recorded as reversing entries and a receivable from the applicant."""

    ce_type = "subsidy.clawback.recorded.v1"
    topic = topics.PAYOUTS
    clawback_id: UUID
    award_id: UUID
    application_id: UUID
    credit_code: str
    amount: Money
    total_clawed_back: Money
    reason: str
    by: str
    recorded_at: datetime


# The finance exchange, shaped after ISO 20022 (see README, "For the finance system's developers").


class CreditTransfer(BaseModel):
    """pain.001 CdtTrfTxInf: one payout (v1: no longer published, see CreditTransferV2)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    end_to_end_id: UUID  # the payout id
    amount: Money
    currency: Literal["CNY"] = "CNY"
    creditor_name: str
    creditor_account: str
    creditor_agent: str
    remittance_information: str


# Its end-to-end ids (36 characters) do not fit pain.001: no longer published, still read by the
# finance stand-in for batches already on the topic.
class PaymentsInstructedV1(Payload):
    """pain.001 CstmrCdtTrfInitn: a batch of payouts for the finance system (keyed by message id)."""

    ce_type = "subsidy.finance.payments-instructed.v1"
    topic = topics.FINANCE_INSTRUCTIONS
    message_id: str  # GrpHdr/MsgId, ≤ 35 characters, derived from the content
    created_at: datetime  # GrpHdr/CreDtTm
    number_of_transactions: int  # GrpHdr/NbOfTxs
    control_sum: Money  # GrpHdr/CtrlSum
    debtor_name: str  # PmtInf/Dbtr/Nm
    debtor_account: str  # PmtInf/DbtrAcct
    requested_execution_date: date  # PmtInf/ReqdExctnDt
    transactions: list[CreditTransfer]


# pain.001 v2: every identifier and text within the ISO 20022 type of the element it maps to
# (lengths in characters, as ISO counts them). v1 carried the payout id hyphenated as EndToEndId:
# 36 characters, one more than Max35Text allows.
Max35Text = Annotated[str, StringConstraints(min_length=1, max_length=35)]
Max140Text = Annotated[str, StringConstraints(min_length=1, max_length=140)]
# GenericAccountIdentification1/Id: an account that is not an IBAN, as Chinese accounts are not.
Max34Text = Annotated[str, StringConstraints(min_length=1, max_length=34)]
# The payout id's 32 lowercase hex digits (`UUID.hex`): a Max35Text.
EndToEndId = Annotated[str, StringConstraints(min_length=32, max_length=35, pattern=r"^[0-9a-f]{32}$")]
# ActiveOrHistoricCurrencyAndAmount and DecimalNumber: at most 18 digits; yuan have 2 decimals.
IsoAmount = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=2),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,16}\.[0-9]{2}$"}, mode="serialization"),
]
# GrpHdr/NbOfTxs is a Max15NumericText: at most 15 digits.
NumberOfTransactions = Annotated[int, Field(ge=1, le=999_999_999_999_999)]


class CreditTransferV2(BaseModel):
    """pain.001 CdtTrfTxInf: one payout, each text within its ISO 20022 type."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    end_to_end_id: EndToEndId  # PmtId/EndToEndId: the payout id as 32 hex digits
    amount: IsoAmount  # Amt/InstdAmt
    currency: Literal["CNY"] = "CNY"  # InstdAmt/@Ccy (ActiveOrHistoricCurrencyCode)
    creditor_name: Max140Text  # Cdtr/Nm: the account name (intake refuses one over 140)
    creditor_account: Max34Text  # CdtrAcct/Id/Othr/Id
    creditor_agent: Max140Text  # CdtrAgt/FinInstnId/Nm: the bank and branch
    remittance_information: Max140Text  # RmtInf/Ustrd


class PaymentsInstructedV2(Payload):
    """pain.001 CstmrCdtTrfInitn: a batch of payouts for the finance system (keyed by message id);
    every identifier and text fits its ISO 20022 type, and the end-to-end ids are 32 hex digits."""

    ce_type = "subsidy.finance.payments-instructed.v2"
    topic = topics.FINANCE_INSTRUCTIONS
    message_id: Max35Text  # GrpHdr/MsgId, derived from the content
    created_at: datetime  # GrpHdr/CreDtTm
    number_of_transactions: NumberOfTransactions  # GrpHdr/NbOfTxs
    control_sum: IsoAmount  # GrpHdr/CtrlSum
    payment_information_id: Max35Text  # PmtInf/PmtInfId: one payment information per batch
    debtor_name: Max140Text  # PmtInf/Dbtr/Nm
    debtor_account: Max34Text  # PmtInf/DbtrAcct/Id/Othr/Id
    requested_execution_date: date  # PmtInf/ReqdExctnDt
    transactions: list[CreditTransferV2] = Field(min_length=1)


# The payout ledger's chain head as published outside payout's database, after Certificate
# Transparency's signed tree heads: the newest row's sequence number and hash, when it was published,
# and an HMAC-SHA256 over those under the ledger key `key_id` names. Whoever keeps the newest one can
# later show that the ledger was not cut back, emptied or rewritten (`subsidy ledger verify --head`).
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
LedgerKeyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]


class LedgerHead(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    seq: int = Field(ge=0)  # 0 (with the genesis hash) is the head of an empty ledger
    hash: Sha256Hex
    published_at: datetime
    key_id: LedgerKeyId
    mac: Sha256Hex


class PaymentsInstructedV3(Payload):
    """pain.001 CstmrCdtTrfInitn as v2, carrying the payout ledger's head when the batch was made, for
    the finance system to keep (a supplementary-data block in ISO 20022 terms)."""

    ce_type = "subsidy.finance.payments-instructed.v3"
    topic = topics.FINANCE_INSTRUCTIONS
    message_id: Max35Text  # GrpHdr/MsgId, derived from the content
    created_at: datetime  # GrpHdr/CreDtTm
    number_of_transactions: NumberOfTransactions  # GrpHdr/NbOfTxs
    control_sum: IsoAmount  # GrpHdr/CtrlSum
    payment_information_id: Max35Text  # PmtInf/PmtInfId: one payment information per batch
    debtor_name: Max140Text  # PmtInf/Dbtr/Nm
    debtor_account: Max34Text  # PmtInf/DbtrAcct/Id/Othr/Id
    requested_execution_date: date  # PmtInf/ReqdExctnDt
    transactions: list[CreditTransferV2] = Field(min_length=1)
    ledger_head: LedgerHead  # SplmtryData: the ledger's head as the batch was made


class LedgerHeadPublishedV1(Payload):
    """The payout ledger's head, published whenever the chain has grown (keyed `ledger`, so heads stay
    in order); the finance system keeps every one it receives, beside the batches."""

    ce_type = "subsidy.ledger.head-published.v1"
    topic = topics.FINANCE_INSTRUCTIONS
    seq: int = Field(ge=0)
    hash: Sha256Hex
    published_at: datetime
    key_id: LedgerKeyId
    mac: Sha256Hex


# An end-to-end id as an answer echoes it (pain.002 OrgnlEndToEndId, camt.054 EndToEndId): the
# 32 hex digits a v2 batch sent, or the hyphenated UUID of a batch sent as v1. The answers' types
# were widened to it rather than versioned: every answer valid before is valid still and names the
# same payout, and a payout that predates v2 reads the 32 digits as the same UUID — whereas a new
# answer type would be skipped, and lost, by a payout replica that does not know it.
ECHOED_END_TO_END_ID = (
    r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)
EchoedEndToEndId = Annotated[str, StringConstraints(min_length=32, max_length=36, pattern=ECHOED_END_TO_END_ID)]


class TransactionStatus(BaseModel):
    """pain.002 TxInfAndSts."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    end_to_end_id: EchoedEndToEndId  # OrgnlEndToEndId
    status: Literal["ACCP", "ACSC", "RJCT"]
    reason_code: str | None = None  # StsRsnInf/Rsn/Cd, e.g. AC01, AC04, BE01
    reason: str = ""  # StsRsnInf/AddtlInf


class PaymentStatusReportedV1(Payload):
    """pain.002 CstmrPmtStsRpt: the finance system's answer to a batch, per transaction."""

    ce_type = "subsidy.finance.payment-status-reported.v1"
    topic = topics.FINANCE_RESULTS
    message_id: str
    original_message_id: str
    group_status: Literal["ACCP", "PART", "RJCT"]
    created_at: datetime
    transactions: list[TransactionStatus]


class BookedEntry(BaseModel):
    """camt.054 Ntry/NtryDtls/TxDtls: one payment booked."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    end_to_end_id: EchoedEndToEndId  # NtryDtls/TxDtls/Refs/EndToEndId
    amount: Money
    booked_on: date  # Ntry/BookgDt
    bank_reference: str  # Ntry/AcctSvcrRef


class PaymentsBookedV1(Payload):
    """camt.054 BkToCstmrDbtCdtNtfctn: payments debited from the treasury account."""

    ce_type = "subsidy.finance.payments-booked.v1"
    topic = topics.FINANCE_RESULTS
    notification_id: str
    original_message_id: str
    created_at: datetime
    entries: list[BookedEntry]


# ---- candidates, with what a selection needs of them ----


class CandidateGrant(BaseModel):
    """A subject the candidate's award or recognition would settle if it is selected."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    subject_key: str
    project_id: str | None = None


class CandidateAdmittedV2(Payload):
    """An application admitted to its clause's selection for the year, with all that the selection
    needs of it, so that quota never reads the application nor evaluates the policy: who applies (the
    public notice names them), for what `project` (the subject as the applicant spelt it; null where
    the subject is the applicant itself), the subjects an award would settle, and the figures the
    clause ranks on. Keyed `clause:year`."""

    ce_type = "subsidy.candidate.admitted.v2"
    topic = topics.CANDIDATES
    application_id: UUID
    credit_code: str
    applicant_name: str
    applicant_kind: str
    clause: str
    year: int
    amount: Money  # what the candidate receives if selected
    project: str | None
    grants: list[CandidateGrant]
    # The applicant's figures named by the clause's indicators and tie-breaks, as decimal strings;
    # the review score and the submission time, which the applicant does not state, are not among
    # them. (v1 carried every numeric fact instead.)
    indicators: dict[str, str]
    submitted_at: datetime


# ---- policy versions published at run time (eligibility owns them) ----


class PolicyVersionPublishedV1(Payload):
    """A policy version was approved (four eyes: its approver is not its drafter), or eligibility
    announces again, as it starts, one approved before. Every service that reads the policy adds it
    to its book; `content_hash` is the sha256 of `source`'s UTF-8 bytes, and a version id once
    published never stands for another text. Keyed by version id."""

    ce_type = "subsidy.policy-version.published.v1"
    topic = topics.POLICY_VERSIONS
    version_id: str
    content_hash: str
    source: str  # the version's TOML, as drafted
    first_day: date
    last_day: date
    drafted_by: str
    approved_by: str
    approved_at: datetime


class PolicyVersionWithdrawnV1(Payload):
    """An approved version was withdrawn before its first day, no decision having been taken under
    it: every service takes it out of its book. Keyed by version id."""

    ce_type = "subsidy.policy-version.withdrawn.v1"
    topic = topics.POLICY_VERSIONS
    version_id: str
    content_hash: str
    withdrawn_by: str
    withdrawn_at: datetime
    reason: str


# ---- what earlier applicants could claim (免申即享) ----


class MatchContact(BaseModel):
    """Whom the applicant's latest application named to be told, and in which language."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    email: str
    phone: str | None = None
    language: Literal["zh", "en"] = "zh"


class MatchFoundV1(Payload):
    """An earlier applicant's stored facts satisfy a clause of a policy version that it never
    applied, nor was granted, under. Nothing is awarded: the policy requires an application, so the
    applicant is told how to claim (`claim_route`, with `clause`, an application dated within
    `first_day` … `last_day`). Told once per applicant, clause and version, through the partner
    that submitted its latest application and the contact that application gave. Keyed by credit code."""

    ce_type = "subsidy.match.found.v1"
    topic = topics.MATCHES
    notice_id: UUID  # the same for the same applicant, clause and version, whoever finds it
    credit_code: str
    applicant_name: str
    clause: str
    article: str
    title_zh: str
    title_en: str
    policy_version: str
    first_day: date  # the version's window: the dates an application under it may bear
    last_day: date
    amount: Money  # what the known facts would be paid (for a selection: if selected)
    selection: bool  # awarded by an annual selection: a claim makes the applicant a candidate
    partner_id: str  # who submitted the applicant's latest application
    latest_application_id: UUID  # that application
    contact: MatchContact | None  # the contact it gave; none: only the partner is told
    claim_route: str  # intake's route for an application, e.g. "POST /v1/applications"
    found_at: datetime
