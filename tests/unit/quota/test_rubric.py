"""The review rubric of each selection clause is policy data, loaded and checked by the engine."""

import pytest

from shared.policy import load_policies
from shared.policy.clause import PolicyDataError
from tests.unit.policy.test_policy_versions_and_parameters import variant


def test_every_selection_clause_loads_a_rubric_whose_weights_sum_to_100():
    rules = load_policies().latest.rules
    selections = {cid: r.selection for cid, r in rules.items() if r.is_selection}
    assert set(selections) == {"2.3-alliance-chain", "2.4-typical-case", "3.5-leading-enterprise", "3.6-demo-base"}
    for formula in selections.values():
        assert formula.criteria and sum(c.weight for c in formula.criteria) == 100
    assert [c.title_zh for c in selections["3.6-demo-base"].criteria] == ["产业规模", "创新实力", "行业影响力"]


def test_a_rubric_whose_weights_do_not_sum_to_100_is_refused_at_load(tmp_path):
    bad = variant(
        tmp_path,
        "bad",
        (
            'id = "influence"\ntitle_zh = "行业影响力"\ntitle_en = "influence in the industry"\nweight = 30',
            'id = "influence"\ntitle_zh = "行业影响力"\ntitle_en = "influence in the industry"\nweight = 31',
        ),
    )
    with pytest.raises(PolicyDataError, match="sum to 101"):
        load_policies([bad])
