"""Properties of the one-time rules over random sequences of claims: repeats, spellings, years,
applicants. Each claim is decided the way the eligibility service decides it (the engine, with the
history gathered by the service's own `Past` from the grants made so far)."""

import copy
import uuid
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.eligibility.history import Past
from shared.policy import PriorGrant
from tests.books import BOOK, EXAMPLES
from tests.builders import applicant_code

CODES = [applicant_code(n) for n in range(3)]
NODE_SPELLINGS = ["SN-001", "ｓｎ－００１", " sn-001 ", "SN-002", "sn-002"]
CAPS = {
    "1.1-node": Decimal("1000000"),
    "1.1-ops-center": Decimal("500000"),
    "1.2-gov-infra": Decimal("500000"),
    "3.7-testing-lab": Decimal("2000000"),
    "3.5-external-revenue": Decimal("1900000"),
}


claims = st.one_of(
    st.builds(
        lambda code, node, cost: ("1.1-node", code, {"node_id": node, "investment_cost": str(cost)}),
        st.sampled_from(CODES),
        st.sampled_from(NODE_SPELLINGS),
        st.integers(1, 9_000_000),
    ),
    st.builds(
        lambda code, year, cost: (
            "1.1-ops-center",
            code,
            {"center_id": "OC-1", "operation_year": year, "operating_cost": str(cost)},
        ),
        st.sampled_from(CODES),
        st.integers(1, 4),
        st.integers(1, 5_000_000),
    ),
    st.builds(
        lambda code, clause, project: (clause, code, {"project_id": project}),
        st.sampled_from(CODES),
        st.sampled_from(["1.2-gov-infra", "3.7-testing-lab"]),
        st.sampled_from(["P1", "p1", "Ｐ１", "P2"]),
    ),
    st.builds(
        lambda code, year, revenue: (
            "3.5-external-revenue",
            code,
            {"fiscal_year": year, "external_revenue": str(revenue)},
        ),
        st.sampled_from(CODES),
        st.integers(2022, 2024),
        st.integers(0, 2_000_000_000),
    ),
)


def decide_all(sequence):
    """Decides each claim in order, recording grants as the service records them."""
    past, granted = Past(), []
    for clause, code, facts in sequence:
        wire = copy.deepcopy(EXAMPLES[clause])
        wire["applicant"]["credit_code"] = code
        wire["facts"] |= facts
        application = BOOK.parse(wire)
        scope = BOOK.history_scope(application)
        decision = BOOK.evaluate(application, past.history(code, scope))
        if decision.outcome == "eligible":
            application_id = str(uuid.uuid4())
            for g in decision.grants:
                past.add(code, PriorGrant(clause, g.subject_key, g.amount, g.project_id, application_id, date.today()))
                granted.append((code, clause, g.subject_key, g.amount, g.cap))
    return granted


@settings(max_examples=300, deadline=None)
@given(st.lists(claims, max_size=40))
def test_one_time_rules_hold_over_any_sequence_of_claims(sequence):
    granted = decide_all(sequence)

    per_rule = Counter((code, clause, key) for code, clause, key, _, _ in granted)
    assert max(per_rule.values(), default=1) == 1  # one grant per applicant, clause and subject (year included)

    total: defaultdict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for code, clause, key, amount, cap in granted:
        assert amount <= cap
        total[(code, clause, key.split(";")[0] if clause != "3.5-external-revenue" else "applicant")] += amount
    for (_code, clause, _), amount in total.items():
        per_year = 2 if clause == "1.1-ops-center" else 1  # an operations centre is paid for two years
        assert amount <= CAPS[clause] * per_year

    years = defaultdict(set)
    for code, clause, key, _, _ in granted:
        if clause == "1.1-ops-center":
            years[(code, key.split(";")[0])].add(key.split("operation_year=")[1])
    assert all(y <= {"1", "2"} for y in years.values())  # operation years 1 and 2 only

    tiers = Counter((code, key) for code, clause, key, _, _ in granted if clause == "3.5-external-revenue")
    assert max(tiers.values(), default=1) == 1  # each revenue threshold once per enterprise, ever


def test_the_spellings_of_one_node_are_one_subject():
    granted = decide_all(
        [
            ("1.1-node", CODES[0], {"node_id": s, "investment_cost": "100"})
            for s in ("SN-001", "ｓｎ－００１", " sn-001 ")
        ]
    )
    assert [(clause, key) for _, clause, key, _, _ in granted] == [("1.1-node", "node_id=sn-001")]
