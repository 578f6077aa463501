"""A draft policy replayed over stored decisions: history in order, and what changed, for whom."""

import copy
import json
from decimal import Decimal

from shared.policy import History, PriorGrant
from shared.policy.book import read_version
from shared.policy.whatif import Recorded, StoredApplication, replay
from tests.books import BOOK, EXAMPLES
from tests.builders import applicant_code
from tests.policy_files import illustration, write

BUNDLED = BOOK.latest
NODE_RATE = (
    'base = "investment_cost"\nrate = "0.20"\ncap = "1000000"',
    'base = "investment_cost"\nrate = "0.30"\ncap = "1000000"',
)


def draft(tmp_path, *edits, extra=""):
    """An illustrative successor: the bundled policy with `edits` (its window is not looked at)."""
    return read_version(
        write(tmp_path, "draft", illustration("draft-2026", "2026-01-01", "2026-12-31", *edits, extra=extra))
    )


def application(clause: str, n: int, on: str = "2024-03-01", **facts):
    wire = copy.deepcopy(EXAMPLES[clause])
    wire["applicant"]["credit_code"] = applicant_code(n)
    wire["applicant"]["name"] = f"申请人 {n}"
    wire["occurred_on"] = on
    wire["facts"] |= facts
    return BOOK.parse(wire)


def decided_in_order(*apps, year: int = 2024, selected=()) -> list[StoredApplication]:
    """Each application decided under the bundled policy in turn, as eligibility would, and stored."""
    past: dict[str, History] = {}
    stored = []
    for i, app in enumerate(apps):
        code = app.applicant.credit_code
        decision = BOOK.evaluate(app, past.get(code, History()))
        grants: tuple[PriorGrant, ...] = ()
        if decision.outcome == "eligible" or i in selected:
            past[code] = past.get(code, History()).plus(decision)
            grants = tuple(PriorGrant(decision.clause, g.subject_key, g.amount, g.project_id) for g in decision.grants)
        stored.append(
            StoredApplication(
                code,
                decision.clause,
                year,
                decision.outcome,
                decision.amount,
                grants,
                app.applicant.name,
                app.applicant.kind,
                app.occurred_on,
                app.facts.__dict__,
            )
        )
    return stored


def test_the_bundled_policy_replayed_over_its_own_decisions_changes_nothing():
    apps = [application(clause, n) for n, clause in enumerate(EXAMPLES)]
    apps.append(application("1.1-node", 0))  # the same node claimed twice: refused twice
    report = replay(decided_in_order(*apps), BUNDLED)
    assert (report.total.applications, report.total.changed, report.total.delta) == (len(apps), 0, Decimal(0))
    assert report.applicants == []


def test_a_one_time_subject_claimed_twice_is_granted_once_in_the_replay_too(tmp_path):
    first, again = (application("1.1-node", 1, node_id="SN-7", investment_cost="1000000") for _ in range(2))
    stored = decided_in_order(first, again)
    assert [s.outcome for s in stored] == ["eligible", "ineligible"]

    report = replay(stored, draft(tmp_path, NODE_RATE)).to_json()

    assert report["applications"] == 2
    assert (report["changed"], report["gained"], report["lost"]) == (1, 1, 0)  # the second is refused again
    assert report["total"] == {"baseline": "200000.00", "draft": "300000.00", "delta": "100000.00"}


def test_a_once_a_year_rule_is_applied_in_order(tmp_path):
    """An operations centre is paid once per operating year: the second claim for year 1 is refused
    in the replay as it was, and the claim for year 2 paid under the draft's higher rate."""
    claims = [application("1.1-ops-center", 2, operation_year=y, operating_cost="1000000") for y in (1, 1, 2)]
    stored = decided_in_order(*claims)
    assert [(s.outcome, s.amount) for s in stored] == [
        ("eligible", Decimal("200000.00")),
        ("ineligible", Decimal("0.00")),
        ("eligible", Decimal("200000.00")),
    ]
    centre_rate = ('base = "operating_cost"\nrate = "0.20"', 'base = "operating_cost"\nrate = "0.25"')

    report = replay(stored, draft(tmp_path, centre_rate))

    assert (report.total.changed, report.total.gained) == (2, 2)
    assert (report.total.baseline, report.total.draft) == (Decimal("400000.00"), Decimal("500000.00"))


def test_counts_of_what_changed_and_money_as_decimal_strings(tmp_path):
    node = application("1.1-node", 10, node_id="SN-10", investment_cost="1000000")  # gains 100,000
    municipal = application("1.1-node", 11, node_id="SN-11", node_level="municipal", investment_cost="500000")
    matchmaking = application("4.10-matchmaking", 12, event_cost="300000")  # 150,000 capped at 200,000
    standard = application("4.9-standard", 13)  # the draft drops the clause
    same = application("1.2-industry-node", 14)
    stored = decided_in_order(node, municipal, matchmaking, standard, same)
    assert [s.outcome for s in stored] == ["eligible", "ineligible", "eligible", "eligible", "eligible"]
    version = draft(
        tmp_path,
        NODE_RATE,
        (
            'value = ["national_super", "national_backbone", "provincial"]',
            'value = ["national_super", "national_backbone", "provincial", "municipal"]',
        ),
        ('base = "event_cost"\nrate = "0.50"\ncap = "200000"', 'base = "event_cost"\nrate = "0.40"\ncap = "200000"'),
        ('id = "4.9-standard"', 'id = "4.9-standard-renamed"'),  # the draft has no 4.9-standard
    )

    report = replay(stored, version).to_json()

    assert {k: report[k] for k in ("applications", "skipped", "changed", "gained", "lost")} == {
        "applications": 5,
        "skipped": 0,
        "changed": 4,
        "gained": 2,
        "lost": 2,
    }
    assert (report["newly_eligible"], report["no_longer_eligible"]) == (1, 1)
    assert report["clauses"]["1.1-node"]["total"] == {
        "baseline": "200000.00",
        "draft": "450000.00",  # 300,000 + the municipal node's 150,000
        "delta": "250000.00",
    }
    assert report["clauses"]["4.10-matchmaking"]["total"]["delta"] == "-30000.00"
    assert report["clauses"]["4.9-standard"]["no_longer_eligible"] == 1
    assert report["clauses"]["1.2-industry-node"]["changed"] == 0
    assert report["years"]["2024"]["changed"] == 4
    assert json.loads(json.dumps(report)) == report  # plain JSON: every amount a string
    assert all(isinstance(v, str) for v in report["total"].values())
    standard_award = stored[3].amount  # the largest change: all of it lost
    assert report["applicants"][0] == {
        "credit_code": applicant_code(13),
        "name": "申请人 13",
        "baseline": f"{standard_award:.2f}",
        "draft": "0.00",
        "delta": f"-{standard_award:.2f}",
    }
    deltas = [abs(Decimal(a["delta"])) for a in report["applicants"]]
    assert deltas == sorted(deltas, reverse=True) and len(deltas) == 4


def test_only_the_twenty_largest_changes_are_listed(tmp_path):
    apps = [application("1.1-node", 100 + n, investment_cost=str(100000 * (n + 1))) for n in range(25)]
    report = replay(decided_in_order(*apps), draft(tmp_path, NODE_RATE))
    assert report.total.gained == 25
    assert [a.credit_code for a in report.applicants] == [applicant_code(100 + n) for n in range(24, 4, -1)]


def test_a_decision_stored_without_its_application_is_skipped_and_its_grants_still_count(tmp_path):
    first, again = (application("1.1-node", 20, node_id="SN-20", investment_cost="1000000") for _ in range(2))
    old, new = decided_in_order(first, again)
    kept_without_application = StoredApplication(
        old.credit_code, old.clause, old.year, old.outcome, old.amount, old.grants
    )

    report = replay([kept_without_application, new], draft(tmp_path, NODE_RATE)).to_json()

    assert (report["applications"], report["skipped"], report["changed"]) == (1, 1, 0)  # still refused
    assert report["clauses"]["1.1-node"]["skipped"] == 1


def test_grants_outside_the_window_stand_where_they_were_made(tmp_path):
    claim = application("1.1-node", 30, node_id="SN-30", investment_cost="1000000")
    (stored,) = decided_in_order(claim)
    earlier = Recorded(stored.credit_code, (PriorGrant("1.1-node", "node_id=sn-30", Decimal("150000.00")),))
    later = Recorded(stored.credit_code, (PriorGrant("1.1-node", "node_id=sn-30", Decimal("150000.00")),))
    version = draft(tmp_path, NODE_RATE)

    assert replay([stored, later], version).total.draft == Decimal("300000.00")  # not seen before it
    refused = replay([earlier, stored], version).total
    assert (refused.draft, refused.lost, refused.no_longer_eligible) == (Decimal("0.00"), 1, 1)


def test_a_candidate_counts_only_if_selected_and_a_selection_is_kept_for_later_claims(tmp_path):
    chain = "CHAIN-40"
    picked = application("2.3-alliance-chain", 40, chain_id=chain, total_investment="1000000")
    passed_over = application("2.3-alliance-chain", 41, chain_id=chain, total_investment="1000000")
    again = application("2.3-alliance-chain", 40, chain_id=chain, total_investment="1000000")
    stored = decided_in_order(picked, passed_over, again, selected={0})
    assert [s.outcome for s in stored] == ["candidate", "candidate", "ineligible"]
    chain_rate = ('base = "total_investment"\nrate = "0.20"', 'base = "total_investment"\nrate = "0.30"')

    report = replay(stored, draft(tmp_path, chain_rate))

    assert (report.total.baseline, report.total.draft) == (Decimal("200000.00"), Decimal("300000.00"))
    assert (report.total.changed, report.total.gained) == (1, 1)  # the one selected; the repeat refused again
