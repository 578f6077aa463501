"""The demo's illustrative renewal: a version that fits the bundled policy, labelled an illustration,
changing only its window and 1.1-node's rate; and its what-if drawn in the report."""

import datetime as dt

from services.demo.renewal import RENEWAL_ID, renewal
from services.demo.report import whatif_chart
from shared.policy import load_policies
from shared.policy.book import parse_version
from shared.policy.diff import diff, render
from shared.policy.validation import validate


def test_the_renewal_fits_the_bundled_policy_and_changes_only_its_window_and_the_node_rate():
    book = load_policies()
    text = renewal(book.latest.last_day + dt.timedelta(days=1))
    assert validate(text, book) == []
    version = parse_version(text.encode(), "renewal")
    assert (version.id, version.first_day, version.last_day) == (
        RENEWAL_ID,
        dt.date(2025, 2, 10),
        dt.date(2027, 2, 9),
    )
    assert "示例" in version.title_zh and "illustration" in version.title_en
    changes = diff(book.latest, version)
    assert [c.what for c in changes.changes] == ["window"]
    assert [(c.clause, [(x.what, x.old, x.new) for x in c.changes]) for c in changes.clauses] == [
        ("1.1-node", [("rate", "0.20", "0.30")])
    ]
    assert "rate: 0.20 → 0.30" in render(changes, "en")


def test_a_renewal_from_the_29th_of_february_lasts_two_years():
    version = parse_version(renewal(dt.date(2028, 2, 29)).encode(), "renewal")
    assert version.last_day == dt.date(2030, 2, 28)


def test_the_reports_chart_has_a_pair_of_bars_for_each_clause_that_pays():
    def tally(baseline: str, draft: str) -> dict:
        return {"total": {"baseline": baseline, "draft": draft, "delta": "0.00"}}

    chart = whatif_chart(
        {"clauses": {"1.1-node": tally("800000.00", "1000000.00"), "4.9-standard": tally("0.00", "0.00")}}
    )
    assert chart.count("<rect") == 2 and "1.1-node" in chart and "4.9-standard" not in chart
