"""Budget lines as the console shows them: payout's figures joined per year and clause, and each
line's bar computed in Decimal so that it agrees with the table."""

from decimal import Decimal

from services.console import budgets


def row(year, clause, budget, reserved="0.00", paid="0.00", awaiting="0.00", recovered="0.00"):
    available = Decimal(budget) - Decimal(reserved) - Decimal(paid)
    return {
        "year": year,
        "clause": clause,
        "budget": budget,
        "awarded": "0.00",
        "cancelled": "0.00",
        "awaiting_budget": awaiting,
        "reserved": reserved,
        "paid": paid,
        "outstanding": "0.00",
        "recovered": recovered,
        "available": f"{available:.2f}",
    }


def test_held_and_rejected_payouts_are_summed_onto_their_own_year_and_clause():
    report = [
        row(2024, "1.1-node", "900.00"),
        row(2025, "1.1-node", "1000.00", reserved="700.00", recovered="5.00"),
        row(2025, "3.5-ministry-demo", "100.00", awaiting="300000.00"),
    ]
    lines = [
        {"year": 2025, "clause": "3.5-ministry-demo", "awaiting_budget": 1, "updated_at": "t", "updated_by": "fin"}
    ]
    held = [
        {"year": 2025, "clause": "1.1-node", "amount": "200.00"},
        {"year": 2025, "clause": "1.1-node", "amount": "0.10"},
        {"year": 2024, "clause": "1.1-node", "amount": "1.00"},
    ]
    rejected = [{"year": 2025, "clause": "1.1-node", "amount": "300.00"}]
    [year] = budgets.by_year(report, lines, held, rejected, 2025)
    node, demo = year.lines
    assert (node.held, node.rejected, node.recovered, node.available) == (
        Decimal("200.10"),
        Decimal("300.00"),
        Decimal("5.00"),
        Decimal("300.00"),
    )
    assert (demo.waiting, demo.awaiting, demo.updated_by) == (1, Decimal("300000.00"), "fin")
    assert year.total("budget") == Decimal("1100.00") and year.total("held") == Decimal("200.10")
    assert [y.year for y in budgets.by_year(report, lines, held, rejected)] == [2025, 2024]  # newest first


def test_a_bar_is_paid_reserved_and_available_with_what_waits_beyond_the_budget():
    line = budgets.by_year(
        [row(2025, "3.5-ministry-demo", "100000.00", reserved="0.00", awaiting="300000.00")], [], [], []
    )[0].lines[0]
    assert [(s.kind, s.x, s.width) for s in line.bar()] == [
        ("paid", 0, 0),
        ("reserved", 0, 0),
        ("available", 0, Decimal("250.0")),
        ("awaiting", Decimal("250.0"), Decimal("750.0")),
    ]
    assert line.budget_end == Decimal("250.0") and line.used_percent == Decimal("0.0")


def test_the_widths_add_up_to_the_whole_bar_whatever_the_rounding():
    line = budgets.by_year([row(2025, "1.1-node", "3.00", reserved="1.00", paid="1.00")], [], [], [])[0].lines[0]
    widths = [s.width for s in line.bar()]
    assert widths == [Decimal("333.3"), Decimal("333.4"), Decimal("333.3"), Decimal("0.0")]
    assert sum(widths) == 1000 and all(isinstance(w, Decimal) for w in widths)
    assert line.used_percent == Decimal("66.7")


def test_a_line_with_nothing_in_it_has_no_bar_and_no_share_used():
    line = budgets.by_year([row(2025, "1.1-node", "0.00")], [], [], [])[0].lines[0]
    assert line.bar() == [] and line.used_percent is None


def test_amounts_are_taken_as_people_type_them_and_anything_else_is_left_for_payout_to_refuse():
    assert budgets.typed_amount(" 1,000,000.00 ") == "1000000.00"
    assert budgets.typed_amount("３００，０００ 元") == "300000"
    assert budgets.typed_amount("400000") == "400000"
    assert budgets.typed_amount("lots") == "lots"
