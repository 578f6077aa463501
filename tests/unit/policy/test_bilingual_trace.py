"""Every step of a decision's reasoning says itself in Chinese and English, and cites its article."""

import copy
import re
from decimal import Decimal

import pytest

from shared.policy import History, PolicyBook, PriorGrant
from tests.books import BOOK, EXAMPLES
from tests.policy_files import illustration, write

HAN = re.compile(r"[\u4e00-\u9fff]")


def decide(book, clause, facts=None, on="2024-03-01", history=(), claimed_by_others=frozenset()):
    app = copy.deepcopy(EXAMPLES[clause])
    app["facts"].update(facts or {})
    app["occurred_on"] = on
    return book.evaluate(book.parse(app), History(tuple(history), frozenset(claimed_by_others)))


def assert_bilingual(decision) -> None:
    assert decision.trace, decision.clause
    for step in decision.to_json()["trace"]:
        assert step["en"].strip() and step["zh"].strip() and step["article"].strip(), step
        assert step["step"] == step["en"]  # readers of the English `step` keep working
        assert HAN.search(step["zh"]), step  # the Chinese text is Chinese


@pytest.mark.parametrize("clause", sorted(EXAMPLES))
def test_every_step_of_every_example_is_in_both_languages_with_its_article(clause):
    app = BOOK.parse(EXAMPLES[clause])
    decision = BOOK.evaluate(app)
    assert decision.outcome in ("eligible", "candidate")
    assert_bilingual(decision)
    version = BOOK.version_on(app.occurred_on)
    assert version is not None
    # The clause's own article, or the version's window.
    assert {s.article for s in decision.trace} <= {version.rules[clause].article, version.data["window_article"]}


def test_an_ineligible_decision_explains_its_met_conditions_in_both_languages():
    decision = decide(BOOK, "1.1-node", {"node_level": "municipal"})
    assert decision.outcome == "ineligible"
    assert_bilingual(decision)
    assert decision.trace[-1].zh == "符合“按企业或机构投入成本”：investment_cost 4,000,000.00 > 0.00"


def test_a_capped_amount_and_a_rounded_one_are_said_in_chinese():
    capped = decide(BOOK, "1.1-node", {"investment_cost": "12000000"})
    assert capped.trace[-1].zh.endswith("超过上限 1,000,000.00 元，按上限计 → 1,000,000.00 元")
    rounded = decide(BOOK, "1.1-node", {"investment_cost": "1000.03"})
    assert "按分向下取整为 200.00 元" in rounded.trace[-1].zh


def test_a_decision_outside_every_window_says_so_in_both_languages():
    decision = decide(BOOK, "1.1-node", on="2030-01-01")
    assert_bilingual(decision)
    assert decision.trace[0].zh == "2030-01-01 无施行中的政策版本"


def test_steps_that_depend_on_history_are_bilingual_too():
    node = PriorGrant("1.2-industry-node", "node_id=sn-001", Decimal("100000"), None, "a-1")
    decision = decide(BOOK, "1.1-node", history=[node], claimed_by_others={"node_id=sn-001"})
    assert_bilingual(decision)
    assert any("已在 1.2-industry-node（申请 a-1）获得 100,000.00 元" in s.zh for s in decision.trace)
    assert any(s.flag == "subject_claimed_by_other_applicant" and "其他申请人" in s.zh for s in decision.trace)

    pilot = PriorGrant("2.4-pilot-project", "project_id=pilot-1", Decimal("520000"), "pilot-1")
    typical = decide(BOOK, "2.4-typical-case", {"project_id": "PILOT-1"}, history=[pilot])
    assert_bilingual(typical)
    assert any(s.zh.startswith("允许跨条款申领") for s in typical.trace)

    revenue = decide(BOOK, "3.5-external-revenue", {"external_revenue": "600000000"})
    again = decide(
        BOOK, "3.5-external-revenue", {"external_revenue": "700000000"}, history=History().plus(revenue).grants
    )
    assert_bilingual(again)
    assert any("此前已获奖励" in s.zh for s in again.trace)


def test_the_interpretive_parameters_other_way_round_are_bilingual(tmp_path):
    book = PolicyBook.from_files(
        [
            write(
                tmp_path,
                "other-way",
                illustration(
                    "other-way-2023",
                    "2023-02-10",
                    "2025-02-09",
                    ('tier_mode = "every_tier"', 'tier_mode = "highest_only"'),
                    ('double_claim = "allowed"', 'double_claim = "no_double"'),
                ),
            )
        ]
    )
    tiers = decide(book, "3.5-external-revenue", {"external_revenue": "150000000"})
    assert_bilingual(tiers)
    assert tiers.trace[-1].zh.startswith("就高补差")
    typical = PriorGrant("2.4-typical-case", "project_id=pilot-0042", Decimal("320000.00"), "pilot-0042")
    pilot = decide(
        book, "2.4-pilot-project", {"project_id": "PILOT-0042", "construction_cost": "5000000"}, history=[typical]
    )
    assert_bilingual(pilot)
    assert any(s.zh.startswith("就高不重复") for s in pilot.trace)
