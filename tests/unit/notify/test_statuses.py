"""On top of a status's public detail, an applicant's message explains a decision's amount from the
engine's own calculation; every status event's message renders, and may use every key partners see."""

import pytest

from services.notify import samples, wording
from services.notify.statuses import calculation, notice
from tests.books import EXAMPLES
from tests.status_events import EVENTS, ID, decision_of, example, registered_status_events


def test_a_rate_with_a_cap_is_taken_apart_from_the_engines_trace():
    c = notice(
        decision_of(EXAMPLES["1.1-node"] | {"facts": EXAMPLES["1.1-node"]["facts"] | {"investment_cost": "4000000.00"}})
    )
    assert c.status == "eligible" and c.detail["amount"] == "800000.00"
    assert c.extra["article"] == "一（一）"
    assert c.extra["calculation"] == {
        "base_fact": "investment_cost",
        "base_label_zh": "投入成本",
        "base_label_en": "investment cost",
        "base": "4000000.00",
        "rate": "20%",
        "product": "800000.00",
        "cap": "1000000.00",
        "capped": False,
        "amount": "800000.00",
    }


def test_a_capped_amount_says_it_was_capped():
    c = notice(decision_of(EXAMPLES["3.7-testing-lab"]))
    assert c.extra["calculation"]["capped"] and c.extra["calculation"]["amount"] == "2000000.00"
    assert (
        "按上限 2,000,000.00 元计"
        in wording.render("eligible", "zh", samples.context("eligible", c.context, {"application_id": str(ID)})).text
    )


def test_a_fixed_award_is_explained_by_the_engines_own_words_in_each_language():
    c = notice(decision_of(EXAMPLES["3.5-ministry-demo"]))
    assert c.extra["calculation"] is None and c.extra["explanation"] == "fixed award 300,000.00"
    assert c.extra["explanation_zh"] == "定额奖补 300,000.00 元"
    context = samples.context("eligible", c.context, {"application_id": str(ID)})
    assert "计算依据（政策第三（五）条）：定额奖补 300,000.00 元" in wording.render("eligible", "zh", context).text
    assert "fixed award 300,000.00" in wording.render("eligible", "en", context).text


def test_a_decision_recorded_before_steps_carried_chinese_is_explained_in_english():
    decision = decision_of(EXAMPLES["3.5-ministry-demo"])
    old = decision.model_copy(update={"trace": [{"step": s["step"], "article": s["article"]} for s in decision.trace]})
    assert notice(old).extra["explanation_zh"] == "fixed award 300,000.00"


def test_an_ineligible_decision_carries_its_reasons_in_both_languages():
    application = EXAMPLES["4.10-conference"] | {"facts": EXAMPLES["4.10-conference"]["facts"] | {"attendees": 300}}
    c = notice(decision_of(application))
    assert c.status == "ineligible"
    [reason] = c.detail["reasons"]
    assert "attendees ≥ 500" in reason["en"] and "实际为 300" in reason["zh"]


@pytest.mark.parametrize("clause", sorted(EXAMPLES))
def test_every_clauses_decision_renders_in_both_languages(clause):
    c = notice(decision_of(EXAMPLES[clause]))
    for language in wording.LANGUAGES:
        text = wording.render(c.status, language, samples.context(c.status, c.context, {"application_id": "x"})).text
        assert "None" not in text


REGISTERED = sorted(registered_status_events(), key=lambda t: t.ce_type)


@pytest.mark.parametrize("event", [p for p, _, _ in EVENTS], ids=[s for _, s, _ in EVENTS])
def test_each_events_message_renders_in_both_languages(event):
    c = notice(event)
    context = samples.context(c.status, c.context, {"application_id": str(ID), "notice_url": "https://x/notices"})
    for language in wording.LANGUAGES:
        rendered = wording.render(c.status, language, context)
        assert "None" not in rendered.subject + rendered.text


@pytest.mark.parametrize("event_type", REGISTERED, ids=[t.ce_type for t in REGISTERED])
def test_a_partners_template_may_use_every_key_of_its_statuss_public_detail(event_type):
    c = notice(example(event_type))
    assert set(c.context) <= set(samples.sample(c.status))


def test_no_calculation_is_made_up_from_a_step_that_is_not_one():
    assert calculation([{"step": "fixed award 300,000.00"}, {"step": "x × y"}]) is None
