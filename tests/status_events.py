"""Status events for tests: every one the registry holds, built from its fields alone, and a table of
representative ones with the status and public detail each must map to."""

import types
import typing
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import shared.events  # noqa: F401  (fills the payload registry)
from shared import topics
from shared.events import (
    ApplicationSubmittedV1,
    ApplicationWithdrawnV1,
    AwardGrantedV1,
    ClawbackRecordedV1,
    DecisionMadeV1,
    GrantLine,
    PayoutCancelledV1,
    PayoutDeferredV1,
    PayoutFailedV1,
    PayoutFailedV2,
    PayoutHeldV1,
    PayoutPaidV1,
    PayoutPaidV2,
    PayoutRequestedV1,
    PayoutRequestedV2,
    RecognitionGrantedV1,
    SelectionConcludedV1,
    SelectionProgressedV1,
)
from shared.messaging.payloads import Payload, all_payload_types
from tests.books import BOOK, parse_application

# The topics whose events move an application along; candidates are the rounds' business, and
# their admission is already told by the decision. A submission's status is intake's own, written as
# it accepts it.
STATUS_TOPICS = {topics.APPLICATIONS, topics.DECISIONS, topics.SELECTIONS, topics.AWARDS, topics.PAYOUTS}
NOT_STATUS_EVENTS = {ApplicationSubmittedV1}
ID, CODE = uuid.uuid4(), "91510100MA61R8XN39"
NOW = datetime(2024, 3, 2, tzinfo=UTC)


def registered_status_events() -> set[type[Payload]]:
    """Every event type about one application published where statuses are followed."""
    return {
        t
        for t in all_payload_types().values()
        if "application_id" in t.model_fields and t.topic in STATUS_TOPICS and t not in NOT_STATUS_EVENTS
    }


def _value(annotation: Any) -> Any:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return args[0]
    if origin is Annotated:  # money, a score: the constraints allow 1.00
        return _value(args[0])
    if origin in (typing.Union, types.UnionType):  # an optional field: say something
        return _value(next(a for a in args if a is not type(None)))
    if origin in (list, dict):
        return origin()
    # A new field type fails here, naming itself, rather than skipping its event.
    return {
        uuid.UUID: ID,
        str: "x",
        int: 2024,
        bool: True,
        Decimal: Decimal("1.00"),
        date: date(2024, 3, 1),
        datetime: NOW,
    }[annotation]


def example(t: type[Payload]) -> Payload:
    """An event of type `t` with every field set, optional ones included."""
    return t.model_validate({name: _value(f.annotation) for name, f in t.model_fields.items()})


def decision_of(application: dict) -> DecisionMadeV1:
    """The decision the policy engine makes on the application, as eligibility publishes it."""
    d = BOOK.evaluate(parse_application(application)).to_json()
    return DecisionMadeV1(
        decision_id=uuid.uuid4(),
        application_id=ID,
        credit_code=CODE,
        clause=d["clause"],
        outcome=d["outcome"],
        amount=Decimal(d["amount"]),
        reasons=d["reasons"],
        trace=d["trace"],
        policy_version="v",
        policy_hash="h",
        decided_at=NOW,
    )


BASE = {"application_id": ID, "credit_code": CODE}
PAYOUT = {"payout_id": str(ID), "amount": "800000.00"}
EVENTS = [
    (
        SelectionProgressedV1(
            **BASE, clause="2.3-alliance-chain", year=2024, step="in_notice", rank=3, notice_ends_on=date(2024, 10, 9)
        ),
        "in_notice",
        {"year": 2024, "rank": 3, "reason": "", "score": None, "notice_ends_on": "2024-10-09"},
    ),
    (
        SelectionProgressedV1(**BASE, clause="2.3-alliance-chain", year=2024, step="in_review", score=Decimal("88.5")),
        "in_review",
        {"year": 2024, "rank": None, "reason": "", "score": "88.50", "notice_ends_on": None},
    ),
    (
        SelectionConcludedV1(**BASE, clause="2.3-alliance-chain", year=2024, selected=False, rank=12, reason="r"),
        "not_selected",
        {"year": 2024, "rank": 12, "reason": "r"},
    ),
    (
        RecognitionGrantedV1(
            **BASE,
            recognition_id=uuid.uuid4(),
            clause="3.6-demo-base",
            year=2024,
            rank=1,
            benefits_zh="授牌",
            benefits_en="plaque",
            grants=[GrantLine(subject_key="k", amount=0)],
            granted_at=NOW,
        ),
        "recognized",
        {"year": 2024, "rank": 1, "benefits_zh": "授牌", "benefits_en": "plaque"},
    ),
    (
        AwardGrantedV1(
            **BASE, award_id=uuid.uuid4(), clause="1.1-node", amount=Decimal("800000.00"), grants=[], granted_at=NOW
        ),
        "awarded",
        {"amount": "800000.00", "clause": "1.1-node"},
    ),
    (
        PayoutRequestedV1(**BASE, payout_id=ID, award_id=ID, amount=Decimal("800000.00"), requested_at=NOW),
        "payout_requested",
        PAYOUT | {"expected_on": None, "account": None},
    ),
    (
        PayoutPaidV1(**BASE, payout_id=ID, amount=Decimal("800000.00"), settled_on=date(2024, 4, 12)),
        "paid",
        PAYOUT | {"settled_on": "2024-04-12", "bank_reference": None},
    ),
    (
        PayoutFailedV1(**BASE, payout_id=ID, reason="AC04 closed account"),
        "payout_failed",
        {"payout_id": str(ID), "reason_code": None, "reason": "AC04 closed account"},
    ),
    (
        PayoutDeferredV1(**BASE, award_id=ID, clause="1.1-node", year=2025, amount=Decimal("800000.00")),
        "awaiting_budget",
        {"amount": "800000.00", "year": 2025, "clause": "1.1-node"},
    ),
    (
        PayoutHeldV1(
            **BASE,
            payout_id=ID,
            award_id=ID,
            amount=Decimal("800000.00"),
            reason="payee_invalid",
            reason_code="AC01",
            what_to_do="Correct the bank account number",
        ),
        "payout_held",
        PAYOUT
        | {
            "reason": "payee_invalid",
            "reason_code": "AC01",
            "what_to_do": "Correct the bank account number",
            "detail": "",
        },
    ),
    (
        PayoutRequestedV2(
            **BASE,
            payout_id=ID,
            award_id=ID,
            amount=Decimal("800000.00"),
            account="****3445",
            requested_at=NOW,
            expected_on=date(2024, 3, 7),
        ),
        "payout_requested",
        PAYOUT | {"expected_on": "2024-03-07", "account": "****3445"},
    ),
    (
        PayoutFailedV2(**BASE, payout_id=ID, award_id=ID, reason_code="AC04", reason="closed account number"),
        "payout_failed",
        {"payout_id": str(ID), "reason_code": "AC04", "reason": "closed account number"},
    ),
    (
        PayoutPaidV2(
            **BASE,
            payout_id=ID,
            award_id=ID,
            amount=Decimal("800000.00"),
            settled_on=date(2024, 3, 7),
            bank_reference="CD20240307000123",
        ),
        "paid",
        PAYOUT | {"settled_on": "2024-03-07", "bank_reference": "CD20240307000123"},
    ),
    (
        PayoutCancelledV1(
            **BASE, award_id=ID, payout_id=None, amount=Decimal("800000.00"), reason="revoked", by="admin"
        ),
        "payout_cancelled",
        {"payout_id": None, "amount": "800000.00", "reason": "revoked"},
    ),
    (
        ClawbackRecordedV1(
            **BASE,
            clawback_id=ID,
            award_id=ID,
            amount=Decimal("200000.00"),
            total_clawed_back=Decimal("300000.00"),
            reason="audit",
            by="admin",
            recorded_at=NOW,
        ),
        "clawback_recorded",
        {"amount": "200000.00", "reason": "audit", "total_clawed_back": "300000.00"},
    ),
    (
        ApplicationWithdrawnV1(
            **BASE,
            clause="1.1-node",
            partner_id="portal",
            reason="project cancelled",
            by="official",
            withdrawn_at=NOW,
        ),
        "withdrawn",
        {"reason": "project cancelled", "by": "official"},
    ),
]
