"""Policy versions side by side, and the interpretive parameters (tier mode, double claims) both ways."""

import copy
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from shared.policy import History, PolicyBook, PriorGrant, load_policies
from shared.policy.book import VERSIONS_DIR
from shared.policy.clause import PolicyDataError
from tests.books import EXAMPLES

BUNDLED = VERSIONS_DIR / "chengdu-blockchain-2023.toml"


def variant(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    """The bundled policy file with some lines replaced, written to tmp_path."""
    text = BUNDLED.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def decide(book, clause, facts=None, on="2024-03-01", history=()):
    app = copy.deepcopy(EXAMPLES[clause])
    app["facts"].update(facts or {})
    app["occurred_on"] = on
    return book.evaluate(book.parse(app), History(tuple(history)))


RENEWAL = (
    ('id = "chengdu-blockchain-2023"', 'id = "chengdu-blockchain-2025"'),
    ("first_day = 2023-02-10", "first_day = 2025-02-10"),
    ("last_day = 2025-02-09", "last_day = 2027-02-09"),
    (
        'base = "investment_cost"\nrate = "0.20"\ncap = "1000000"',
        'base = "investment_cost"\nrate = "0.20"\ncap = "2000000"',
    ),
)


def test_each_application_is_decided_under_the_version_in_force_on_its_date(tmp_path):
    renewal = variant(tmp_path, "renewal", *RENEWAL)
    book = load_policies([renewal])
    big_node = {"investment_cost": "12000000"}

    old = decide(book, "1.1-node", big_node, on="2025-02-09")
    new = decide(book, "1.1-node", big_node, on="2025-02-10")

    assert (old.policy_version, old.amount) == ("chengdu-blockchain-2023", Decimal("1000000.00"))
    assert old.policy_hash == hashlib.sha256(BUNDLED.read_bytes()).hexdigest()
    assert (new.policy_version, new.amount) == ("chengdu-blockchain-2025", Decimal("2000000.00"))
    assert new.policy_hash == hashlib.sha256(renewal.read_bytes()).hexdigest()
    assert "capped at 2,000,000.00" in new.trace[-1].step


def test_after_every_version_lapses_the_reason_cites_each_window(tmp_path):
    book = PolicyBook.from_files([BUNDLED, variant(tmp_path, "renewal", *RENEWAL)])
    decision = decide(book, "1.1-node", on="2027-02-10")
    assert decision.outcome == "ineligible" and decision.policy_version is None
    assert decision.reasons[0].en == (
        "occurred_on 2027-02-10 is outside every policy window: chengdu-blockchain-2023 "
        "is in force 2023-02-10 – 2025-02-09; chengdu-blockchain-2025 is in force "
        "2025-02-10 – 2027-02-09"
    )
    assert "本政策自 2023 年 2 月 10 日起正式施行，有效期 2 年" in decision.reasons[0].zh


def test_a_later_starting_version_takes_over_where_windows_overlap(tmp_path):
    overlap = variant(
        tmp_path, "overlap", *RENEWAL[:1], ("first_day = 2023-02-10", "first_day = 2024-01-01"), RENEWAL[3]
    )
    book = load_policies([overlap])
    assert decide(book, "1.1-node", {"investment_cost": "10000000"}, on="2023-12-31").amount == Decimal("1000000.00")
    assert decide(book, "1.1-node", {"investment_cost": "10000000"}, on="2024-01-01").amount == Decimal("2000000.00")


def test_two_versions_starting_the_same_day_are_refused(tmp_path):
    twin = variant(tmp_path, "twin", RENEWAL[0])
    with pytest.raises(PolicyDataError, match="share an id or a first day"):
        load_policies([twin])


def test_a_fact_of_unknown_type_is_refused_at_load(tmp_path):
    broken = variant(tmp_path, "broken", ('node_count = "count"', 'node_count = "number"'))
    with pytest.raises(PolicyDataError, match="fact 'node_count' has unknown type 'number'"):
        PolicyBook.from_files([broken])


def test_a_condition_on_an_undeclared_fact_is_refused_at_load(tmp_path):
    broken = variant(tmp_path, "broken", ('fact = "node_count"', 'fact = "nodes"'))
    with pytest.raises(PolicyDataError, match="undeclared fact 'nodes'"):
        PolicyBook.from_files([broken])


# ---- revenue tiers: every_tier (default) and highest_only ----

R = "3.5-external-revenue"


def tiers_paid(decision):
    return [(g.subject_key, str(g.amount)) for g in decision.grants]


def test_every_tier_mode_pays_each_newly_exceeded_threshold_once():
    book = load_policies()
    first = decide(book, R, {"external_revenue": "60000000"})
    later = decide(
        book, R, {"fiscal_year": 2024, "external_revenue": "600000000"}, history=History().plus(first).grants
    )
    assert tiers_paid(first) == [("tier>50000000", "100000.00")]
    assert later.amount == Decimal("800000") and tiers_paid(later) == [
        ("tier>100000000", "300000.00"),
        ("tier>500000000", "500000.00"),
    ]


@pytest.fixture
def highest_only(tmp_path):
    return PolicyBook.from_files(
        [variant(tmp_path, "highest", ('tier_mode = "every_tier"', 'tier_mode = "highest_only"'))]
    )


def test_highest_only_mode_pays_the_highest_new_tier_in_one_year(highest_only):
    decision = decide(highest_only, R, {"external_revenue": "150000000"})
    assert decision.amount == Decimal("300000.00")
    assert tiers_paid(decision) == [("tier>50000000", "0.00"), ("tier>100000000", "300000.00")]
    assert "highest newly exceeded threshold 100,000,000.00 pays 300,000.00 less 0.00" in decision.trace[-1].step


def test_highest_only_mode_tops_up_less_what_earlier_tiers_paid(highest_only):
    first = decide(highest_only, R, {"external_revenue": "60000000"})
    later = decide(highest_only, R, {"external_revenue": "600000000"}, history=History().plus(first).grants)
    assert first.amount == Decimal("100000.00")
    assert later.amount == Decimal("400000.00")  # 500,000 for > 5亿, less 100,000 already paid
    assert tiers_paid(later) == [("tier>100000000", "0.00"), ("tier>500000000", "400000.00")]


def test_highest_only_mode_pays_nothing_when_earlier_tiers_paid_more(highest_only):
    history = [PriorGrant(R, "tier>100000000", Decimal("300000"))]
    decision = decide(highest_only, R, {"external_revenue": "60000000"}, history=history)
    assert decision.outcome == "ineligible"
    assert "not more than the 300,000.00 already paid" in decision.reasons[0].en


# ---- one project under 2.4-pilot-project and 2.4-typical-case ----

PROJECT = "PILOT-0042"
KEY = PROJECT.lower()  # as recorded: identifiers are kept normalised
PILOT_PAID = PriorGrant("2.4-pilot-project", f"project_id={KEY}", Decimal("520000.00"), KEY)


def test_double_claim_allowed_by_default_pays_both_clauses():
    decision = decide(load_policies(), "2.4-typical-case", {"project_id": PROJECT}, history=[PILOT_PAID])
    assert (decision.outcome, decision.amount) == ("candidate", Decimal("320000.00"))
    assert any(
        "double claim allowed: project_id pilot-0042 also received 520,000.00 under 2.4-pilot-project" in s.step
        for s in decision.trace
    )


@pytest.fixture
def no_double(tmp_path):
    return PolicyBook.from_files(
        [variant(tmp_path, "no-double", ('double_claim = "allowed"', 'double_claim = "no_double"'))]
    )


def test_no_double_refuses_a_smaller_second_award(no_double):
    typical = PriorGrant("2.4-typical-case", f"project_id={KEY}", Decimal("320000.00"), KEY)
    decision = decide(no_double, "2.4-pilot-project", {"construction_cost": "1000000"}, history=[typical])
    assert (decision.outcome, decision.amount) == ("ineligible", Decimal("0"))
    assert decision.reasons[0].en == (
        "project_id pilot-0042 already received 320,000.00 under 2.4-typical-case, "
        "not less than this award 200,000.00 (no_double: only the larger award is paid)"
    )


def test_no_double_tops_a_larger_second_award_up_to_the_larger_amount(no_double):
    typical = PriorGrant("2.4-typical-case", f"project_id={KEY}", Decimal("320000.00"), KEY)
    decision = decide(no_double, "2.4-pilot-project", {"construction_cost": "5000000"}, history=[typical])
    assert (decision.outcome, decision.amount) == ("eligible", Decimal("680000.00"))
    assert [(g.subject_key, g.amount) for g in decision.grants] == [("project_id=pilot-0042", Decimal("680000.00"))]
    assert "1,000,000.00 − 320,000.00 → 680,000.00" in decision.trace[-1].step


def test_no_double_typical_case_keeps_its_non_monetary_benefits(no_double):
    decision = decide(no_double, "2.4-typical-case", {"project_id": PROJECT}, history=[PILOT_PAID])
    assert (decision.outcome, decision.amount) == ("candidate", Decimal("0.00"))
    assert any("就高不重复" in s.step for s in decision.trace)


def test_no_double_ignores_other_projects(no_double):
    decision = decide(no_double, "2.4-typical-case", {"project_id": "CASE-OTHER"}, history=[PILOT_PAID])
    assert decision.amount == Decimal("320000.00")


# ---- operations centre across its years, recording grants as the caller would ----


def test_ops_centre_is_paid_in_years_one_and_two_once_each_and_never_in_year_three():
    book = load_policies()
    history = History()
    amounts = []
    for year in (1, 1, 2, 3):
        decision = decide(book, "1.1-ops-center", {"operation_year": year}, history=history.grants)
        amounts.append((year, decision.outcome, str(decision.amount)))
        history = history.plus(decision)
    assert amounts == [
        (1, "eligible", "360000.00"),
        (1, "ineligible", "0.00"),
        (2, "eligible", "360000.00"),
        (3, "ineligible", "0.00"),
    ]
    assert [g.subject_key for g in history.grants] == [
        "center_id=oc-cd-01;operation_year=1",
        "center_id=oc-cd-01;operation_year=2",
    ]


def test_a_decision_serialises_to_json_safe_values():
    decision = decide(load_policies(), "1.1-node")
    data = decision.to_json()
    assert data["amount"] == "800000.00" and data["outcome"] == "eligible"
    assert data["grants"] == [
        {"subject_key": "node_id=sn-001", "amount": "800000.00", "cap": "1000000.00", "project_id": None}
    ]
    english = "investment_cost 4,000,000.00 × 20% = 800,000.00; cap 1,000,000.00 not reached → 800,000.00"
    assert data["trace"][-1] == {
        "step": english,
        "article": "一（一）",
        "en": english,
        "zh": "investment_cost 4,000,000.00 元 × 20% = 800,000.00 元；未超过上限 1,000,000.00 元 → 800,000.00 元",
    }
    assert data["occurred_on"] == "2024-03-01" and data["year"] is None
