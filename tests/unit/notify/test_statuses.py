"""Each status event maps, in one place, to the status partners see, its detail, and the context of
the applicant's message; a decision's amount is explained from the engine's own calculation."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.notify import samples, wording
from services.notify.statuses import STATUS_EVENTS, calculation, change
from shared.events import (
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
from shared.policy import load_policies
from tests.books import EXAMPLES, parse_application

ID, CODE = uuid.uuid4(), "91510100MA61R8XN39"
NOW = datetime(2024, 3, 2, tzinfo=UTC)


def decision_of(application: dict) -> DecisionMadeV1:
    d = load_policies().evaluate(parse_application(application)).to_json()
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


def test_a_rate_with_a_cap_is_taken_apart_from_the_engines_trace():
    c = change(
        decision_of(EXAMPLES["1.1-node"] | {"facts": EXAMPLES["1.1-node"]["facts"] | {"investment_cost": "4000000.00"}})
    )
    assert c.status == "eligible" and c.detail["amount"] == "800000.00"
    assert c.extra["article"] == "一（一）"
    assert c.extra["calculation"] == {
        "base_fact": "investment_cost",
        "base_label_zh": "投入成本",
        "base_label_en": "investment cost",
        "base": "4000000.00",
        "rate": "20%",
        "product": "800000.00",
        "cap": "1000000.00",
        "capped": False,
        "amount": "800000.00",
    }


def test_a_capped_amount_says_it_was_capped():
    c = change(decision_of(EXAMPLES["3.7-testing-lab"]))
    assert c.extra["calculation"]["capped"] and c.extra["calculation"]["amount"] == "2000000.00"
    assert (
        "按上限 2,000,000.00 元计"
        in wording.render("eligible", "zh", samples.context("eligible", c.context, {"application_id": str(ID)})).text
    )


def test_a_fixed_award_is_explained_by_the_engines_own_words():
    c = change(decision_of(EXAMPLES["3.5-ministry-demo"]))
    assert c.extra["calculation"] is None and c.extra["explanation"] == "fixed award 300,000.00"


def test_an_ineligible_decision_carries_its_reasons_in_both_languages():
    application = EXAMPLES["4.10-conference"] | {"facts": EXAMPLES["4.10-conference"]["facts"] | {"attendees": 300}}
    c = change(decision_of(application))
    assert c.status == "ineligible"
    [reason] = c.detail["reasons"]
    assert "attendees ≥ 500" in reason["en"] and "实际为 300" in reason["zh"]


@pytest.mark.parametrize("clause", sorted(EXAMPLES))
def test_every_clauses_decision_renders_in_both_languages(clause):
    c = change(decision_of(EXAMPLES[clause]))
    for language in wording.LANGUAGES:
        text = wording.render(c.status, language, samples.context(c.status, c.context, {"application_id": "x"})).text
        assert "None" not in text


BASE = {"application_id": ID, "credit_code": CODE}
EVENTS = [
    (
        SelectionProgressedV1(
            **BASE, clause="2.3-alliance-chain", year=2024, step="in_notice", rank=3, notice_ends_on=date(2024, 10, 9)
        ),
        "in_notice",
        {"year": 2024, "rank": 3, "reason": "", "notice_ends_on": "2024-10-09"},
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
        {"payout_id": str(ID), "amount": "800000.00"},
    ),
    (
        PayoutPaidV1(**BASE, payout_id=ID, amount=Decimal("800000.00"), settled_on=date(2024, 4, 12)),
        "paid",
        {"payout_id": str(ID), "amount": "800000.00", "settled_on": "2024-04-12"},
    ),
    (
        PayoutFailedV1(**BASE, payout_id=ID, reason="AC04 closed account"),
        "payout_failed",
        {"payout_id": str(ID), "reason": "AC04 closed account"},
    ),
    (
        PayoutDeferredV1(**BASE, award_id=ID, clause="1.1-node", year=2025, amount=Decimal("800000.00")),
        "awaiting_budget",
        {"amount": "800000.00", "budget_year": 2025, "clause": "1.1-node"},
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
        {
            "payout_id": str(ID),
            "amount": "800000.00",
            "reason": "payee_invalid",
            "reason_code": "AC01",
            "what_to_do": "Correct the bank account number",
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
        {"payout_id": str(ID), "amount": "800000.00", "expected_on": "2024-03-07"},
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
        {"payout_id": str(ID), "amount": "800000.00", "settled_on": "2024-03-07", "bank_reference": "CD20240307000123"},
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
            total_clawed_back=Decimal("200000.00"),
            reason="audit",
            by="admin",
            recorded_at=NOW,
        ),
        "clawback_recorded",
        {"amount": "200000.00", "reason": "audit"},
    ),
]


def test_every_status_event_is_mapped():
    assert {type(e) for e, _, _ in EVENTS} | {DecisionMadeV1} == set(STATUS_EVENTS)


@pytest.mark.parametrize("event, status, detail", EVENTS, ids=[s for _, s, _ in EVENTS])
def test_each_event_moves_to_its_status_with_its_detail_and_its_message_renders(event, status, detail):
    c = change(event)
    assert (c.status, c.detail) == (status, detail)
    for language in wording.LANGUAGES:
        assert wording.render(status, language, samples.context(status, c.context, {"application_id": str(ID)}))


def test_no_calculation_is_made_up_from_a_step_that_is_not_one():
    assert calculation([{"step": "fixed award 300,000.00"}, {"step": "x × y"}]) is None
