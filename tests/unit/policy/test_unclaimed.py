"""免申即享: an earlier applicant's kept applications merged into what is known of it, and the
clauses of a version it never applied nor was granted under that those facts satisfy. The version
here is an illustrative successor with an illustrative district clause (`tests/policy_files.py`:
its titles say it is no law)."""

import copy
import datetime as dt
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.eligibility.handlers import replayable
from shared.policy import PolicyBook, PriorGrant
from shared.policy.book import parse_version
from shared.policy.unclaimed import Kept, as_of, known, unclaimed
from tests.books import BOOK
from tests.builders import applicant_code
from tests.policy_files import DISTRICT_NODE, successor

SUCCESSOR = parse_version(successor(extra=DISTRICT_NODE).encode(), "an illustrative successor")
BOTH = PolicyBook([*BOOK.versions, SUCCESSOR])  # what eligibility's book is once the successor is approved
DAY = dt.date(2026, 3, 1)  # in the successor's window
CODE = applicant_code(7)
DECIDED = datetime(2024, 3, 2, tzinfo=UTC)


def kept(clause: str, occurred_on: str = "2024-03-01", credit_code: str = CODE, **facts) -> Kept:
    """An application as eligibility keeps it with its decision (`decisions.application`)."""
    wire = copy.deepcopy(BOTH.examples[clause])
    wire["applicant"]["credit_code"] = credit_code
    wire["occurred_on"] = occurred_on
    wire["facts"] |= facts
    stored = replayable(BOTH.parse(wire), DECIDED)
    return Kept(stored["clause"], stored["applicant"], stored["facts"])


def test_node_facts_of_a_2024_claim_satisfy_a_clause_never_claimed_one_match():
    node_claim = kept("1.1-node", node_id="SN-001", investment_cost="4000000.00")
    found = unclaimed(SUCCESSOR, known([node_claim]), DAY)
    assert [(m.clause, m.status, m.amount) for m in found] == [
        # 25% of 4,000,000.00 is 1,000,000.00, above the illustrative clause's cap.
        ("9.1-district-node", "eligible", Decimal("500000.00"))
    ]
    assert found[0].title_en.startswith("(Illustration)")


def test_a_clause_already_applied_under_is_no_match_whatever_its_decision():
    node_claim = kept("1.1-node", node_id="SN-001", investment_cost="4000000.00")
    district_claim = kept("9.1-district-node", occurred_on="2026-01-05", node_id="SN-001", investment_cost="100")
    assert unclaimed(SUCCESSOR, known([node_claim, district_claim]), DAY) == []


def test_a_clause_already_granted_under_is_no_match():
    node_claim = kept("1.1-node", node_id="SN-001", investment_cost="4000000.00")
    granted = PriorGrant("9.1-district-node", "node_id=sn-001", Decimal("500000.00"), None, "a", dt.date(2026, 1, 9))
    assert unclaimed(SUCCESSOR, known([node_claim]), DAY, [granted]) == []


def test_an_applicant_of_another_kind_is_no_match():
    base = kept("3.6-demo-base", credit_code=applicant_code(8, "11510100MB"))
    # A district: the district-node clause is for enterprises and institutions.
    found = known([base])
    assert found.kind == "district"
    assert unclaimed(SUCCESSOR, found, DAY) == []


def test_the_latest_value_of_each_fact_is_what_is_known_and_a_null_says_nothing():
    earlier = kept("1.1-node", node_id="SN-001", investment_cost="4000000.00")
    later = kept("1.2-industry-node", node_id="IN-9", investment_cost="1000000.00")
    merged = known([earlier, later])
    assert (merged.facts["node_id"], merged.facts["investment_cost"]) == ("in-9", "1000000.00")
    assert merged.facts["node_level"] == "national_super"  # only the earlier gave it
    assert merged.claimed == {"1.1-node", "1.2-industry-node"}
    found = unclaimed(SUCCESSOR, merged, DAY)
    assert [(m.clause, m.amount) for m in found] == [("9.1-district-node", Decimal("250000.00"))]
    chain = kept("2.3-alliance-chain")  # a selection's facts, the panel's score not given yet
    assert "review_score" not in known([chain]).facts


def test_a_possible_match_is_not_told_unless_asked_for():
    # An industry node needs facts a node claim does not give (certified, relies_on_…): possibly.
    node_claim = kept("1.1-node", node_id="SN-001", investment_cost="4000000.00")
    applicant = known([node_claim])
    assert "1.2-industry-node" not in {m.clause for m in unclaimed(SUCCESSOR, applicant, DAY)}
    possible = unclaimed(SUCCESSOR, applicant, DAY, told=frozenset({"eligible", "possibly"}))
    assert ("1.2-industry-node", "possibly") in {(m.clause, m.status) for m in possible}


def test_the_version_is_asked_about_today_within_its_window():
    assert as_of(SUCCESSOR, dt.date(2026, 12, 7)) == dt.date(2026, 12, 7)
    assert as_of(SUCCESSOR, dt.date(2024, 5, 1)) == SUCCESSOR.first_day
    assert as_of(SUCCESSOR, dt.date(2030, 1, 1)) == SUCCESSOR.last_day


def test_an_applicant_is_known_from_one_application_at_least():
    with pytest.raises(ValueError):
        known([])
