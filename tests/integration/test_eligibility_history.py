"""The running eligibility service decides against the applicant's own history, built from events."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from services.eligibility.main import create_app
from services.eligibility.tables import decisions
from shared import topics
from shared.events import AwardGrantedV1, CandidateAdmittedV2, DecisionMadeV1
from shared.messaging.envelope import Envelope
from tests.builders import applicant_code, submitted
from tests.kafka_tools import eventually, headers, publish, read_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def eligibility(stack):
    runtime = create_app(stack.settings("eligibility")).state.runtime
    await runtime.start()
    yield runtime
    await runtime.stop()


async def decided(stack, *events: Envelope) -> list[DecisionMadeV1]:
    """The decisions on these submissions, in submission order."""
    ids = [e.subject for e in events]
    records = await read_until(
        stack.bootstrap_servers, topics.DECISIONS, lambda rs: {headers(r)["ce_subject"] for r in rs} >= set(ids)
    )
    by_subject = {headers(r)["ce_subject"]: DecisionMadeV1.model_validate_json(r.value) for r in records}
    return [by_subject[i] for i in ids]


async def awards_of(stack, credit_code: str, at_least: int) -> list[AwardGrantedV1]:
    records = await read_until(
        stack.bootstrap_servers, topics.AWARDS, lambda rs: sum(r.key == credit_code.encode() for r in rs) >= at_least
    )
    return [AwardGrantedV1.model_validate_json(r.value) for r in records if r.key == credit_code.encode()]


async def test_the_same_one_time_claim_twice_gets_one_award_and_one_refusal_citing_it(stack, eligibility):
    code = applicant_code(1)
    first, second = (submitted("1.1-node", code, node_id="SN-TWICE") for _ in range(2))
    await publish(stack.bootstrap_servers, topics.APPLICATIONS, first, second)
    one, two = await decided(stack, first, second)
    assert (one.outcome, one.amount, two.outcome) == ("eligible", one.amount, "ineligible")
    assert any("node_id=sn-twice" in r["en"] for r in two.reasons)  # the key, normalised
    awards = await awards_of(stack, code, 1)
    assert [a.application_id for a in awards] == [one.application_id]


async def test_each_revenue_tier_is_paid_once_per_enterprise_across_years(stack, eligibility):
    code = applicant_code(2)
    year1 = submitted("3.5-external-revenue", code, fiscal_year=2023, external_revenue="60000000")
    year2 = submitted("3.5-external-revenue", code, fiscal_year=2024, external_revenue="150000000")
    await publish(stack.bootstrap_servers, topics.APPLICATIONS, year1, year2)
    one, two = await decided(stack, year1, year2)
    assert (str(one.amount), str(two.amount)) == ("100000.00", "300000.00")  # 50M tier not paid twice


async def test_an_operations_centre_gets_one_award_for_each_of_its_first_two_years(stack, eligibility):
    code = applicant_code(3)
    claims = [
        submitted("1.1-ops-center", code, center_id="OC-9", operation_year=y, operating_cost="1000000")
        for y in (1, 1, 2, 3)
    ]
    await publish(stack.bootstrap_servers, topics.APPLICATIONS, *claims)
    outcomes = [(d.outcome, str(d.amount)) for d in await decided(stack, *claims)]
    assert outcomes == [
        ("eligible", "200000.00"),
        ("ineligible", "0.00"),
        ("eligible", "200000.00"),
        ("ineligible", "0.00"),
    ]


async def test_an_award_from_a_selection_counts_toward_one_time_rules(stack, eligibility):
    code = applicant_code(4)
    typical = AwardGrantedV1(
        award_id=uuid.uuid4(),
        application_id=uuid.uuid4(),
        credit_code=code,
        clause="2.4-typical-case",
        amount="500000.00",
        granted_at=datetime.now(UTC),
        grants=[{"subject_key": "project_id=P-SEL", "amount": "500000.00", "project_id": "P-SEL"}],
    )
    await publish(
        stack.bootstrap_servers, topics.AWARDS, Envelope.of(typical, source="/subsidy/quota", key=code, subject="x")
    )

    async def recorded():
        from services.eligibility.tables import grants

        async with eligibility.wiring.sessions() as s:
            return (await s.execute(select(grants.c.subject_key).where(grants.c.credit_code == code))).all()

    assert [r.subject_key for r in await eventually(recorded)] == ["project_id=P-SEL"]


async def test_every_decision_records_the_policy_version_and_its_hash(stack, eligibility):
    event = submitted("1.1-node", applicant_code(5), node_id="SN-V")
    await publish(stack.bootstrap_servers, topics.APPLICATIONS, event)
    (decision,) = await decided(stack, event)
    assert decision.policy_version == "chengdu-blockchain-2023" and len(decision.policy_hash) == 64
    async with eligibility.wiring.sessions() as s:
        body = (
            await s.execute(select(decisions.c.body).where(decisions.c.application_id == decision.application_id))
        ).scalar_one()
    assert body["policy_hash"] == decision.policy_hash and body["trace"]


async def test_a_candidate_is_admitted_with_what_its_selection_needs(stack, eligibility):
    chain = submitted("2.3-alliance-chain", applicant_code(6), chain_id="  Chain-Fin-06 ", total_investment="3000000")
    leader = submitted("3.5-leading-enterprise", applicant_code(7), external_revenue="75000000")
    await publish(stack.bootstrap_servers, topics.APPLICATIONS, chain, leader)
    ids = {chain.subject, leader.subject}
    records = await read_until(
        stack.bootstrap_servers, topics.CANDIDATES, lambda rs: {headers(r)["ce_subject"] for r in rs} >= ids
    )
    admitted = {
        headers(r)["ce_subject"]: (headers(r)["ce_type"], CandidateAdmittedV2.model_validate_json(r.value))
        for r in records
        if headers(r)["ce_subject"] in ids
    }
    chain_type, by_chain = admitted[chain.subject]
    assert chain_type == "subsidy.candidate.admitted.v2"
    assert (by_chain.applicant_name, by_chain.applicant_kind) == ("成都链网科技有限公司", "enterprise")
    assert by_chain.project == "  Chain-Fin-06 "  # as the applicant spelt it; compared as its subject key
    assert [(g.subject_key, g.project_id) for g in by_chain.grants] == [("chain_id=chain-fin-06", None)]
    # What the clause ranks on (total_investment), not every figure of the application.
    assert by_chain.indicators == {"total_investment": "3000000"}
    assert by_chain.amount == Decimal("500000.00") and by_chain.year == 2024
    _, by_leader = admitted[leader.subject]
    assert by_leader.project is None  # the subject is the applicant itself
    assert [g.subject_key for g in by_leader.grants] == ["applicant;selection_year=2024"]
    assert by_leader.indicators == {"external_revenue": "75000000"}
