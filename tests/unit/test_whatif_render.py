"""A what-if report against payout's budget lines, and as CSV."""

from decimal import Decimal

from services.eligibility.whatif_render import BudgetLine, against_budgets, csv_text
from shared.policy.whatif import Report, Tally


def report(**lines: tuple[str, str]) -> Report:
    """A report whose 2026 lines (clause: (baseline, draft)) are given."""
    tallies = {
        (2026, clause): Tally(applications=1, baseline=Decimal(b), draft=Decimal(d)) for clause, (b, d) in lines.items()
    }
    total = Tally()
    for t in tallies.values():
        total.add(t)
    return Report(total, {c: t for (_, c), t in tallies.items()}, {2026: total}, tallies)


def test_a_line_is_exceeded_when_what_it_committed_changed_by_the_draft_is_more_than_it_holds():
    r = report(**{"1.1-node": ("200000", "300000"), "4.9-standard": ("500000", "0"), "2.4-pilot-project": ("0", "10")})
    lines = [
        BudgetLine(2026, "1.1-node", Decimal("1000000"), Decimal("950000")),  # 950,000 + 100,000: over by 50,000
        BudgetLine(2026, "4.9-standard", Decimal("100"), Decimal("500000")),  # over already, but the draft frees it
        BudgetLine(2025, "1.1-node", Decimal("0"), Decimal("0")),  # nothing replayed on it
    ]

    budgets = against_budgets(r, lines)

    assert [(o.line.clause, o.delta, o.over) for o in budgets.overruns] == [
        ("1.1-node", Decimal("100000"), Decimal("50000"))
    ]
    assert budgets.unbudgeted == [(2026, "2.4-pilot-project", Decimal("10"))]


def test_a_row_per_clause_and_the_total_last():
    text = csv_text(report(**{"1.1-node": ("200000", "300000"), "1.0-first": ("1", "0")}))
    assert text.splitlines() == [
        "clause,applications,skipped,changed,gained,lost,newly_eligible,no_longer_eligible,baseline,draft,delta",
        "1.0-first,1,0,0,0,0,0,0,1.00,0.00,-1.00",
        "1.1-node,1,0,0,0,0,0,0,200000.00,300000.00,100000.00",
        "total,2,0,0,0,0,0,0,200001.00,300000.00,99999.00",
    ]
