"""The demo's report made from a year as the services would tell it, without a stack: the tally per
clause, the agreement with the ledger's figures (and a disagreement caught), the page self-contained."""

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from services.demo.play import Played, Verification
from services.demo.report import ledger_moved, render, tally
from services.demo.scenario import generate
from tests.books import BOOK


def told(scenario) -> Played:
    """Every application decided as predicted; direct awards paid; candidates not selected."""
    played = Played(
        datetime(2026, 1, 5, tzinfo=UTC), scenario.year, 2026, finished_at=datetime(2026, 1, 5, 0, 3, tzinfo=UTC)
    )
    money: defaultdict[str, defaultdict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for e in scenario.entries:
        played.ids[e.n] = f"00000000-0000-0000-0000-{e.n:012d}"
        amount = f"{e.expected_amount:.2f}"
        steps = [
            {"status": "submitted", "detail": {}},
            {"status": e.expected, "detail": {"amount": amount, "reasons": []}},
        ]
        status = e.expected
        if e.expected == "eligible":
            steps += [
                {"status": "awarded", "detail": {"amount": amount}},
                {"status": "paid", "detail": {"amount": amount, "settled_on": "2026-01-05"}},
            ]
            status = "paid"
            money[e.clause]["awarded"] += e.expected_amount
            money[e.clause]["paid"] += e.expected_amount
        elif e.expected == "candidate":
            steps.append({"status": "not_selected", "detail": {"reason": "quota"}})
            status = "not_selected"
        played.applications[e.n] = {"status": status, "timeline": steps}
    # An earlier year's award is in the ledger already: only what moved is compared.
    played.ledger_before = [
        {
            "year": 2025,
            "clause": "1.1-node",
            "awarded": Decimal("800000.00"),
            "paid": Decimal("800000.00"),
            "recovered": 0,
            "outstanding": 0,
            "cancelled": 0,
        }
    ]
    played.ledger_after = played.ledger_before + [
        {
            "year": 2026,
            "clause": clause,
            "awarded": m["awarded"],
            "paid": m["paid"],
            "recovered": 0,
            "outstanding": 0,
            "cancelled": 0,
        }
        for clause, m in money.items()
    ]
    played.verified = Verification(120, 40, None)
    return played


def test_the_tally_agrees_with_a_ledger_that_moved_by_the_year_and_the_page_is_self_contained():
    scenario = generate(BOOK, 40, seed=7)
    figures = tally(scenario, told(scenario))
    assert figures.ok and not figures.mispredicted and not figures.not_final
    assert figures.total.applications == 40 and len(figures.clauses) == 16
    assert figures.total.awarded == sum(e.expected_amount for e in scenario.entries if e.expected == "eligible")
    page = render(figures)
    assert "The totals agree with the ledger" in page and "<svg" in page
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


def test_a_ledger_that_moved_otherwise_or_does_not_verify_is_a_disagreement():
    scenario = generate(BOOK, 40, seed=7)
    played = told(scenario)
    played.ledger_after[-1]["paid"] += Decimal("0.01")
    figures = tally(scenario, played)
    assert not figures.agrees
    [wrong] = [c for c in figures.checks if not c.ok]
    assert (wrong.column, wrong.ledger - wrong.demo) == ("paid", Decimal("0.01"))
    assert "do not agree" in render(figures)

    played = told(scenario)
    played.verified = Verification(120, 40, "row 7 (transfer x): its hash does not match")
    assert not tally(scenario, played).agrees


def test_the_ledger_moved_is_after_less_before_summed_over_years():
    before = [
        {
            "year": 2025,
            "clause": "4.9-standard",
            "awarded": 10,
            "paid": 10,
            "recovered": 0,
            "outstanding": 0,
            "cancelled": 0,
        }
    ]
    after = [
        *before,
        {
            "year": 2026,
            "clause": "4.9-standard",
            "awarded": 5,
            "paid": 3,
            "recovered": 1,
            "outstanding": 2,
            "cancelled": 0,
        },
    ]
    assert ledger_moved(before, after)["4.9-standard"] == {
        "awarded": 5,
        "paid": 3,
        "recovered": 1,
        "outstanding": 2,
        "cancelled": 0,
    }


def test_the_renewals_what_if_has_its_section_and_chart():
    scenario = generate(BOOK, 40, seed=7)
    played = told(scenario)
    node = {
        "applications": 2,
        "changed": 1,
        "total": {"baseline": "800000.00", "draft": "1000000.00", "delta": "200000.00"},
    }
    played.whatif = {
        "version": "demo-illustrative-renewal",
        "first_day": "2025-02-10",
        "from": "2024-01-01",
        "to": "2024-12-31",
        "report": {**node, "clauses": {"1.1-node": node}, "years": {}, "applicants": []},
    }
    page = render(tally(scenario, played))
    section = page[page.index("What an illustrative renewal would have paid") :]
    assert "demo-illustrative-renewal" in section and "200000.00" in section
    assert "<svg" in section[: section.index("账本核对")]
