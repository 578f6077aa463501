"""The decision explained from an application's timeline."""

from services.console import explanation

TRACE = [
    {"step": "occurred_on 2024-03-01 is within chengdu-blockchain-2023", "article": "施行期"},
    {"step": "node_level national_super ∈ {…}: met", "article": "一（一）"},
    {"step": "investment_cost 4,000,000.00 > 0.00: met", "article": "一（一）"},
    {
        "step": "already awarded under 1.2-gov-infra",
        "article": "一（二）",
        "flag": "subject_claimed_by_other_applicant",
    },
]


def step(status, detail=None, at="2024-03-01T10:00:00+08:00"):
    return {"status": status, "at": at, "detail": detail or {}}


def test_the_trace_is_grouped_by_article_in_the_order_the_engine_took():
    grouped = explanation.by_article(TRACE)
    assert [(a.article, len(a.steps)) for a in grouped] == [("施行期", 1), ("一（一）", 2), ("一（二）", 1)]
    assert grouped[2].steps[0]["flag"] == "subject_claimed_by_other_applicant"


def test_the_latest_decision_on_the_timeline_is_the_one_explained():
    timeline = [
        step("submitted"),
        step(
            "ineligible",
            {
                "amount": "0.00",
                "reasons": [{"fact": "x", "zh": "甲", "en": "a"}],
                "trace": TRACE,
                "policy_version": "v1",
            },
        ),
        step(
            "eligible",
            {"amount": "800000.00", "reasons": [], "trace": TRACE[:2], "policy_version": "v2"},
            at="2024-03-02T10:00:00+08:00",
        ),
        step("awarded", {"amount": "800000.00"}),
    ]
    decided = explanation.of(timeline)
    assert decided is not None and decided.articles is not None
    assert (decided.outcome, decided.amount, decided.policy_version) == ("eligible", "800000.00", "v2")
    assert [a.article for a in decided.articles] == ["施行期", "一（一）"]


def test_a_decision_recorded_without_its_trace_is_said_to_be_so():
    decided = explanation.of(
        [step("ineligible", {"amount": "0.00", "reasons": [{"fact": "x", "zh": "甲", "en": "a"}]})]
    )
    assert decided is not None
    assert decided.articles is None and decided.reasons[0]["fact"] == "x"


def test_an_application_not_yet_decided_has_no_explanation():
    assert explanation.of([step("submitted")]) is None


def test_facts_are_shown_as_sent_with_booleans_in_both_languages():
    assert explanation.facts({"facts": {"certified": True, "node_count": 7, "in_business": False}}) == [
        ("certified", "是 yes"),
        ("node_count", "7"),
        ("in_business", "否 no"),
    ]
