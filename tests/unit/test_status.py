from services.intake.status import STAGE


def test_a_later_stage_outranks_an_earlier_one_whatever_order_events_arrive_in():
    path = ["submitted", "eligible", "awarded", "payout_requested", "paid"]
    assert [STAGE[s] for s in path] == sorted(STAGE[s] for s in path)
    assert STAGE["awarded"] > STAGE["eligible"]  # an award read before its decision keeps "awarded"


def test_a_candidate_steps_through_its_round_between_its_decision_and_its_result():
    for step in ("in_review", "in_notice", "waitlisted", "not_proposed", "objected", "removed"):
        assert STAGE["candidate"] < STAGE[step] < STAGE["selected"] == STAGE["not_selected"]
    assert STAGE["recognized"] == STAGE["awarded"] > STAGE["selected"]
