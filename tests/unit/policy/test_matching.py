"""Proactive matching: every clause of the version in force judged on whatever facts are known."""

from decimal import Decimal

import pytest

from shared.policy import InvalidApplication, PolicyBook, load_policies
from shared.policy.application import EXAMPLE_APPLICANTS
from shared.policy.clause import PolicyDataError
from shared.policy.matching import MatchParser, NoPolicyInForce
from tests.books import BOOK, EXAMPLES
from tests.policy_files import DISTRICT_NODE, district, illustration, write

NODE = {"node_id": "SN-001", "node_level": "national_super", "investment_cost": "4000000.00"}


def matches(facts=None, kind="enterprise", as_of="2024-03-01", book=BOOK):
    request = book.parse_match({"applicant": EXAMPLE_APPLICANTS[kind], "as_of": as_of, "facts": facts or {}})
    return book.match(request)


def of(found, clause):
    return next(m for m in found.matches if m.clause == clause)


def test_a_clause_whose_facts_are_all_known_and_met_is_eligible_with_its_amount():
    found = matches(NODE)
    node = of(found, "1.1-node")
    assert (node.status, node.amount, node.missing, node.reasons) == ("eligible", Decimal("800000.00"), (), ())
    assert node.title_zh == "国家、省级区块链基础设施节点在蓉建设补贴" and not node.selection
    assert found.policy_version == "chengdu-blockchain-2023" and str(found.as_of) == "2024-03-01"


def test_the_eligible_amount_is_the_one_the_real_decision_gives():
    for clause, application in EXAMPLES.items():
        kind = application["applicant"]["kind"]
        found = of(matches(application["facts"], kind, application["occurred_on"]), clause)
        decision = BOOK.evaluate(BOOK.parse(application))
        assert (found.status, found.amount) == ("eligible", decision.amount), clause
        assert found.selection == (decision.outcome == "candidate")


def test_a_clause_with_facts_missing_is_possibly_and_lists_them_in_the_clauses_order():
    found = of(matches({"investment_cost": "900000"}), "1.2-industry-node")
    assert found.status == "possibly" and not found.reasons
    assert found.missing == ("node_id", "relies_on_national_or_provincial", "certified")
    assert found.amount == Decimal("180000.00")  # the formula's one input is known


def test_possibly_has_no_amount_where_the_known_facts_do_not_determine_it():
    found = of(matches({"in_business": True, "operation_year": 1}), "1.1-ops-center")
    assert (found.status, found.amount) == ("possibly", None)
    assert found.missing == ("center_id", "operating_cost")


def test_the_panels_score_is_never_missing():
    chain = {"chain_id": "C-1", "infrastructure_level": "provincial", "node_count": 7, "onchain_app_count": 12}
    found = of(matches(chain | {"total_investment": "1000000"}), "2.3-alliance-chain")
    assert (found.status, found.amount, found.missing, found.selection) == ("eligible", Decimal("200000.00"), (), True)
    assert of(matches(chain), "2.3-alliance-chain").missing == ("total_investment",)


def test_a_known_fact_that_fails_a_condition_makes_the_clause_not_eligible_with_the_reason():
    found = of(matches({"node_level": "municipal"}), "1.1-node")
    assert (found.status, found.amount) == ("not_eligible", None)
    [reason] = found.reasons
    assert reason.fact == "node_level" and "has municipal" in reason.en and "实际为 municipal" in reason.zh
    assert found.missing == ("node_id", "investment_cost")  # still said: what the clause would need


def test_all_facts_known_and_failing_is_not_eligible_with_the_decisions_reasons():
    found = of(matches(NODE | {"node_level": "municipal"}), "1.1-node")
    assert found.status == "not_eligible" and found.missing == ()
    assert [r.fact for r in found.reasons] == ["node_level"]


def test_a_formula_that_refuses_on_known_facts_makes_the_clause_not_eligible():
    found = of(matches({"fiscal_year": 2023, "external_revenue": "1000000"}), "3.5-external-revenue")
    assert found.status == "not_eligible" and "lowest threshold" in found.reasons[0].en


def test_a_kind_the_clause_does_not_allow_is_not_eligible_whatever_the_facts():
    found = matches(NODE, kind="district")
    node = of(found, "1.1-node")
    assert node.status == "not_eligible"
    assert [(r.fact, r.en) for r in node.reasons] == [
        ("applicant.kind", "needs applicant kind ∈ {enterprise, institution}, has district")
    ]
    assert of(matches({}, kind="district"), "1.1-node").status == "not_eligible"  # nothing known either
    assert of(found, "3.6-demo-base").status == "possibly"  # the district's own clause


def test_matches_come_best_first_eligible_by_amount_then_possibly_then_not_eligible():
    facts = NODE | {"standard_id": "GB/T 1", "role": "lead", "standard_level": "international", "attendees": 10}
    found = matches(facts).matches
    ranks = [("eligible", "possibly", "not_eligible").index(m.status) for m in found]
    assert ranks == sorted(ranks)
    eligible = [(m.clause, m.amount) for m in found if m.status == "eligible"]
    assert eligible == [("4.9-standard", Decimal("1000000.00")), ("1.1-node", Decimal("800000.00"))]
    possibly = [m.amount for m in found if m.status == "possibly"]
    known = [a for a in possibly if a is not None]
    assert known == sorted(known, reverse=True) and possibly == known + [None] * (len(possibly) - len(known))
    # Not eligible ones keep the policy's order.
    assert [m.clause for m in found if m.status == "not_eligible"] == ["3.6-demo-base", "4.10-conference"]
    assert {m.clause for m in found} == set(BOOK.latest.rules)  # one entry per clause


def test_nothing_known_leaves_every_allowed_clause_possibly():
    found = matches({})
    assert {m.status for m in found.matches if m.clause != "3.6-demo-base"} == {"possibly"}


def test_the_version_in_force_on_the_day_is_the_one_matched(tmp_path):
    book = load_policies([district(tmp_path)])
    later = matches({"investment_cost": "1000000"}, as_of="2026-03-01", book=book)
    assert later.policy_version == "bars-district-2025"
    assert of(later, "9.1-district-node").amount == Decimal("250000.00")
    earlier = matches({}, as_of="2024-03-01", book=book)
    assert earlier.policy_version == "chengdu-blockchain-2023"
    assert "9.1-district-node" not in {m.clause for m in earlier.matches}


def test_a_day_no_version_is_in_force_on_is_refused_saying_the_windows():
    with pytest.raises(NoPolicyInForce) as refused:
        matches({}, as_of="2030-01-01")
    assert "chengdu-blockchain-2023 is in force 2023-02-10 – 2025-02-09" in refused.value.message_en
    assert "施行期为 2023-02-10 至 2025-02-09" in refused.value.message_zh


def request(applicant=None, **changes):
    body = {"applicant": EXAMPLE_APPLICANTS["enterprise"] | (applicant or {}), "as_of": "2024-03-01", "facts": {}}
    return body | changes


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"applicant": {"kind": "company"}}, "applicant.kind", "invalid_choice"),
        ({"applicant": {"credit_code": "91510100MA61R8XN30"}}, "applicant.credit_code", "invalid_credit_code"),
        ({"as_of": "2024-02-30"}, "as_of", "invalid_date"),
        ({"facts": {"investment_cost": 12.5}}, "facts.investment_cost", "wrong_type"),
        ({"facts": {"investment_cost": "12.345"}}, "facts.investment_cost", "money_precision"),
        ({"facts": {"node_count": "7"}}, "facts.node_count", "wrong_type"),
        ({"facts": {"node_level": "galactic"}}, "facts.node_level", "invalid_choice"),
        ({"facts": {"in_business": "yes"}}, "facts.in_business", "wrong_type"),
        ({"facts": {"favourite_colour": "red"}}, "facts.favourite_colour", "unknown_field"),
        ({"surprise": 1}, "surprise", "unknown_field"),
    ],
)
def test_bad_input_is_refused_naming_the_field(changes, field, code):
    with pytest.raises(InvalidApplication) as refused:
        BOOK.parse_match(request(**changes))
    assert [(e.field, e.code) for e in refused.value.errors] == [(field, code)]
    assert refused.value.errors[0].message_zh.startswith(field)


def test_an_unknown_fact_is_said_to_be_declared_by_no_clause():
    with pytest.raises(InvalidApplication) as refused:
        BOOK.parse_match(request(facts={"favourite_colour": "red"}))
    assert "no clause of the policy declares it" in refused.value.errors[0].message_en


def test_facts_may_be_left_out_and_identifiers_are_compared_as_the_policy_compares_them():
    parsed = BOOK.parse_match({"applicant": EXAMPLE_APPLICANTS["institution"], "as_of": "2024-03-01"})
    assert parsed.facts == {} and parsed.applicant.kind == "institution"
    assert BOOK.parse_match(request(facts={"node_id": " ＳＮ－００１ "})).facts == {"node_id": "sn-001"}


def test_a_fact_name_must_mean_one_type_across_the_clauses(tmp_path):
    clashing = DISTRICT_NODE.replace('investment_cost = "money"', 'investment_cost = "count"').replace(
        'investment_cost = "1000000.00"', "investment_cost = 1000000"
    )
    text = illustration("clash-2025", "2025-02-10", "2027-02-09", extra=clashing)
    with pytest.raises(PolicyDataError, match="investment_cost"):
        PolicyBook.from_files([write(tmp_path, "clash", text)])
    with pytest.raises(PolicyDataError, match="one type"):
        MatchParser({"a": {"x": "money"}, "b": {"x": "count"}}, {})
