"""The round's rules without any I/O: lifecycle, scores, ranking and notice dates."""

import datetime as dt
import itertools
import uuid
from decimal import Decimal

import pytest

from services.quota.domain.lifecycle import RuleBroken, State, check_transition
from services.quota.domain.ranking import Entry, Standing, rank
from services.quota.domain.scoring import BadScores, candidate_score, check_scores, review_score
from shared.policy import load_policies
from shared.workdays import CalendarUnknown, notice_end, notice_is_open

RUBRIC = load_policies().latest.rules["2.3-alliance-chain"].selection.criteria
T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def entry(score: str, minutes: int = 0, investment: str = "1000000", n: int = 0) -> Entry:
    return Entry(uuid.UUID(int=n), Decimal(score), {"total_investment": investment}, T0 + dt.timedelta(minutes=minutes))


# --- lifecycle -------------------------------------------------------------------------------


def test_a_round_moves_only_forward_one_state_at_a_time():
    path = [State.OPEN, State.CLOSED, State.IN_REVIEW, State.RANKED, State.IN_NOTICE, State.CONCLUDED]
    for current, target in itertools.pairwise(path):
        check_transition(current, target)
    for current in path:
        for target in path:
            if path.index(target) != path.index(current) + 1:
                with pytest.raises(RuleBroken) as refused:
                    check_transition(current, target)
                assert refused.value.code == "invalid_transition" and current.value in refused.value.message_en


def test_a_concluded_round_says_it_is_final():
    with pytest.raises(RuleBroken, match="is final"):
        check_transition(State.CONCLUDED, State.OPEN)


# --- scores ----------------------------------------------------------------------------------


def test_a_review_is_the_weighted_mean_of_its_criteria():
    assert [c.weight for c in RUBRIC] == [25, 30, 25, 20]
    scores = {"infrastructure": 80, "applications": 90, "industry_impact": 70, "sme_support": 65}
    assert review_score(RUBRIC, scores) == Decimal("77.50")  # 20 + 27 + 17.5 + 13


def test_scores_must_be_whole_numbers_from_0_to_100_on_the_rubric_and_complete_to_submit():
    check_scores(RUBRIC, {"infrastructure": 80}, complete=False)  # a draft may be partial
    with pytest.raises(BadScores) as bad:
        check_scores(RUBRIC, {"infrastructure": 101, "beauty": 50, "applications": 7.5}, complete=True)
    fields = {f for f, _, _ in bad.value.problems}
    assert fields == {
        "scores.infrastructure",
        "scores.beauty",
        "scores.applications",
        "scores.industry_impact",
        "scores.sme_support",
    }


def test_a_candidate_score_is_the_plain_mean_below_five_reviews():
    assert candidate_score([Decimal("80"), Decimal("90"), Decimal("71")]) == (Decimal("80.33"), False)
    assert candidate_score([]) == (None, False)


def test_from_five_reviews_the_highest_and_lowest_are_left_out():
    scores = [Decimal(s) for s in ("10", "80", "82", "84", "100")]
    assert candidate_score(scores) == (Decimal("82.00"), True)


# --- ranking ---------------------------------------------------------------------------------


def test_the_top_within_the_quota_are_proposed_and_the_next_form_an_ordered_waitlist():
    entries = [entry(str(90 - i), n=i) for i in range(12)]
    placed = rank(entries, quota=10, min_score=Decimal(60), tie_breaks=["review_score", "submitted_at"])
    assert [p.rank for p in placed] == list(range(1, 13))
    assert [p.standing for p in placed] == [Standing.PROPOSED] * 10 + [Standing.WAITLISTED] * 2


def test_a_tie_on_score_is_broken_by_the_clause_chain_and_explained():
    small_early, big_late = entry("85.00", 0, "2000000", 1), entry("85.00", 9, "3000000", 2)
    placed = rank(
        [small_early, big_late],
        quota=1,
        min_score=Decimal(0),
        tie_breaks=["review_score", "total_investment", "submitted_at"],
    )
    assert [p.application_id for p in placed] == [big_late.application_id, small_early.application_id]
    assert "higher total_investment (3000000 > 2000000)" in placed[1].explanation_en


def test_equal_indicators_fall_to_the_earlier_submission():
    late, early = entry("85.00", 9, n=1), entry("85.00", 1, n=2)
    placed = rank(
        [late, early], quota=1, min_score=Decimal(0), tie_breaks=["review_score", "total_investment", "submitted_at"]
    )
    assert placed[0].application_id == early.application_id
    assert "earlier submission" in placed[1].explanation_en


def test_nobody_below_the_minimum_score_is_selected_even_with_room_in_the_quota():
    placed = rank(
        [entry("75", n=1), entry("59.99", n=2)],
        quota=10,
        min_score=Decimal(60),
        tie_breaks=["review_score", "submitted_at"],
    )
    assert [p.standing for p in placed] == [Standing.PROPOSED, Standing.BELOW_MINIMUM]
    assert "below the round's minimum 60" in placed[1].explanation_en


def test_ranking_does_not_depend_on_the_order_candidates_are_given_in():
    entries = [entry("80", minutes=0, n=i) for i in range(6)]
    forward = rank(entries, quota=3, min_score=Decimal(0), tie_breaks=["review_score", "submitted_at"])
    backward = rank(entries[::-1], quota=3, min_score=Decimal(0), tie_breaks=["review_score", "submitted_at"])
    assert forward == backward


# --- notice dates ----------------------------------------------------------------------------


def test_a_notice_published_before_national_day_skips_the_holiday_and_counts_the_make_up_sunday():
    # 2024-09-27 Fri (1), 09-29 Sun make-up day (2), 09-30 Mon (3), Oct 1–7 holiday, 10-08 (4), 10-09 (5)
    assert notice_end(dt.date(2024, 9, 27), 5) == dt.date(2024, 10, 9)


def test_a_notice_published_on_a_holiday_starts_counting_on_the_next_working_day():
    assert notice_end(dt.date(2024, 10, 3), 5) == dt.date(2024, 10, 12)  # 10-12 is a make-up Saturday


def test_objections_are_accepted_through_the_end_date_and_not_after():
    assert notice_is_open(dt.date(2024, 10, 9), dt.date(2024, 10, 9))
    assert not notice_is_open(dt.date(2024, 10, 9), dt.date(2024, 10, 10))


def test_a_year_outside_the_calendar_is_a_clear_error_not_a_wrong_date():
    with pytest.raises(CalendarUnknown, match="no data for 2031"):
        notice_end(dt.date(2031, 3, 2), 5)
