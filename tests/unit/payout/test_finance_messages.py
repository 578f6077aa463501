"""The finance exchange's shapes and the finance stand-in's answers, free of I/O; expected dates."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal as D

from services.finance_sim import answers
from services.payout.domain import instructions, money
from services.payout.payouts import payee_problem
from shared.payee import mask

NOW = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)


def instruction(account: str = "6222020200112233445", amount: str = "800000.00") -> instructions.Instruction:
    return instructions.Instruction(
        uuid.uuid4(), D(amount), "成都链网科技有限公司", account, "工商银行", "1.1-node", uuid.uuid4()
    )


def a_batch(*items):
    return instructions.batch(
        items, NOW, debtor_name="市新经济委", debtor_account="51010000001", execution_date=NOW.date()
    )


def test_a_batch_states_its_count_and_control_sum_and_carries_each_payout_as_end_to_end_id():
    one, two = instruction(amount="800000.00"), instruction(amount="300000.50")
    batch = a_batch(one, two)
    assert (batch.number_of_transactions, batch.control_sum) == (2, D("1100000.50"))
    assert [t.end_to_end_id for t in batch.transactions] == [one.payout_id.hex, two.payout_id.hex]
    assert [instructions.payout_id_of(t.end_to_end_id) for t in batch.transactions] == [one.payout_id, two.payout_id]
    assert batch.transactions[0].creditor_account == "6222020200112233445"  # in full, for the bank


def test_the_message_id_follows_the_content_and_fits_pain_001():
    one, two = instruction(), instruction()
    assert a_batch(one, two).message_id == a_batch(two, one).message_id
    assert a_batch(one, two).message_id != a_batch(one).message_id
    assert len(a_batch(one, two).message_id) <= 35


def test_the_stand_in_answers_a_batch_the_same_way_every_time():
    batch = a_batch(*(instruction() for _ in range(50)))
    first = answers.answer(batch, 0.3, NOW, date(2025, 3, 4))
    again = answers.answer(batch, 0.3, NOW, date(2025, 3, 4))
    assert first == again
    report, booked = first
    assert booked is not None
    rejected = {t.end_to_end_id for t in report.transactions if t.status == "RJCT"}
    assert 0 < len(rejected) < 50 and report.group_status == "PART"
    assert {e.end_to_end_id for e in booked.entries} == {t.end_to_end_id for t in batch.transactions} - rejected
    assert all(t.reason_code in answers.CODES for t in report.transactions if t.status == "RJCT")
    assert answers.answer_ids(batch.message_id) == answers.answer_ids(batch.message_id)


def test_test_accounts_are_always_rejected_with_their_code_and_the_rest_paid_at_rate_zero():
    closed, good = instruction("6222020200110004"), instruction()
    report, booked = answers.answer(a_batch(closed, good), 0, NOW, date(2025, 3, 4))
    assert [(t.status, t.reason_code) for t in report.transactions] == [("RJCT", "AC04"), ("ACCP", None)]
    assert booked is not None
    assert [(e.end_to_end_id, e.amount) for e in booked.entries] == [(good.payout_id.hex, good.amount)]
    report, booked = answers.answer(a_batch(good), 1, NOW, date(2025, 3, 4))
    assert report.group_status == "RJCT" and booked is None


def test_the_money_is_expected_a_service_level_of_working_days_after_the_request_in_beijing():
    # Friday 22:00 UTC is Saturday in Beijing; then the make-up Sunday, Monday, and after the National Day week.
    assert money.expected_on(datetime(2024, 9, 27, 22, 0, tzinfo=UTC), 3) == date(2024, 10, 8)
    assert money.expected_on(datetime(2024, 9, 27, 1, 0, tzinfo=UTC), 1) == date(2024, 9, 29)
    assert money.expected_on(datetime(2031, 1, 3, 1, 0, tzinfo=UTC), 1) == date(2031, 1, 6)  # calendar unknown


class Row:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def problem_code(row: Row | None) -> str | None:
    problem = payee_problem(row)
    return problem[0] if problem else None


def test_bank_details_are_held_when_missing_in_another_name_or_malformed():
    ok = {
        "account_name": "成都链网科技有限公司",
        "account_number": "6222020200112233445",
        "bank": "工商银行",
        "applicant_name": "成都链网科技有限公司",
    }
    assert payee_problem(Row(**ok)) is None
    assert problem_code(None) == "payee_missing"
    assert payee_problem(Row(**ok | {"account_name": "别家公司"})) == (
        "payee_invalid",
        "the account name is not the applicant's name",
    )
    assert problem_code(Row(**ok | {"account_number": "12-34"})) == "payee_invalid"
    assert mask("6222020200112233445") == "****3445"
