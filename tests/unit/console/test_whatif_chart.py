"""A what-if report as eligibility's API gives it, made ready for the console's page: sums read as
Decimal, and per clause two bars on one scale."""

from decimal import Decimal

from services.console.whatif import BAR_W, read


def tally(applications: int, baseline: str, draft: str, delta: str) -> dict:
    counts = dict.fromkeys(("skipped", "changed", "gained", "lost", "newly_eligible", "no_longer_eligible"), 0)
    return {"applications": applications, **counts, "total": {"baseline": baseline, "draft": draft, "delta": delta}}


REPORT = {
    **tally(3, "1000000.00", "1100000.00", "100000.00"),
    "clauses": {
        "4.9-standard": tally(1, "200000.00", "100000.00", "-100000.00"),
        "1.1-node": tally(2, "800000.00", "1000000.00", "200000.00"),
    },
    "years": {"2024": tally(3, "1000000.00", "1100000.00", "100000.00")},
    "applicants": [
        {"credit_code": "X", "name": "甲", "baseline": "800000.00", "draft": "1000000.00", "delta": "200000.00"}
    ],
}


def test_the_largest_amount_of_any_clause_is_the_full_width_and_the_others_in_proportion():
    chart = read(REPORT).chart
    assert [row.clause for row in chart.rows] == ["1.1-node", "4.9-standard"]
    node, standard = ([bar.width for bar in row.bars] for row in chart.rows)
    assert node == [BAR_W * 0.8, BAR_W]
    assert standard == [BAR_W * 0.2, BAR_W * 0.1]
    assert chart.rows[0].bars[1].y > chart.rows[0].bars[0].y  # the draft's bar under the decided one
    assert chart.height > chart.rows[-1].bars[1].y


def test_sums_are_decimals_with_the_direction_of_their_difference():
    report = read(REPORT)
    assert report.total.sums.delta == Decimal("100000.00") and report.total.counts["applications"] == 3
    assert [(c.name, c.sums.direction) for c in report.clauses] == [("1.1-node", "up"), ("4.9-standard", "down")]
    assert report.applicants[0]["direction"] == "up"


def test_a_report_with_nothing_replayed_has_no_bar():
    empty = {**tally(0, "0.00", "0.00", "0.00"), "clauses": {}, "years": {}, "applicants": []}
    assert read(empty).chart.rows == []
