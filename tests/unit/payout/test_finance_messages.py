"""The finance exchange's shapes and the finance stand-in's answers, free of I/O; expected dates."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal as D
from typing import Annotated, Literal, get_args, get_origin

import pytest
from pydantic import BaseModel, StringConstraints, ValidationError
from pydantic.fields import FieldInfo

from services.finance_sim import answers
from services.payout.domain import instructions, money
from services.payout.payouts import payee_problem
from shared.events import (
    CreditTransfer,
    CreditTransferV2,
    LedgerHead,
    PaymentsInstructedV1,
    PaymentsInstructedV2,
    TransactionStatus,
)
from shared.payee import Payee, mask

NOW = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
HEAD = LedgerHead(seq=7, hash="a" * 64, published_at=NOW, key_id="k1", mac="b" * 64)


def instruction(account: str = "6222020200112233445", amount: str = "800000.00") -> instructions.Instruction:
    return instructions.Instruction(
        uuid.uuid4(), D(amount), "成都链网科技有限公司", account, "工商银行", "1.1-node", uuid.uuid4()
    )


def a_batch(*items):
    return instructions.batch(
        items, NOW, debtor_name="市新经济委", debtor_account="51010000001", execution_date=NOW.date(), ledger_head=HEAD
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


# ---- every identifier and text of a batch within its ISO 20022 type ----

# What each string of a pain.001 batch becomes, and the length its ISO 20022 type allows. A string
# field not named here fails the walk below: a new one must say which element it maps to.
ISO_LENGTHS = {
    "message_id": 35,  # GrpHdr/MsgId, Max35Text
    "payment_information_id": 35,  # PmtInf/PmtInfId, Max35Text
    "debtor_name": 140,  # PmtInf/Dbtr/Nm, Max140Text
    "debtor_account": 34,  # PmtInf/DbtrAcct/Id/Othr/Id, Max34Text
    "end_to_end_id": 35,  # CdtTrfTxInf/PmtId/EndToEndId, Max35Text
    "creditor_name": 140,  # Cdtr/Nm, Max140Text
    "creditor_account": 34,  # CdtrAcct/Id/Othr/Id, Max34Text
    "creditor_agent": 140,  # CdtrAgt/FinInstnId/Nm, Max140Text
    "remittance_information": 140,  # RmtInf/Ustrd, Max140Text
}
ISO_DIGITS = 18  # ActiveOrHistoricCurrencyAndAmount and DecimalNumber (CtrlSum): totalDigits 18
ISO_COUNT = 10**15 - 1  # NbOfTxs, Max15NumericText


def declared(field: FieldInfo, name: str):
    """The constraint `name` (max_length, max_digits, le…) the field declares, or None."""
    return next((getattr(m, name) for m in field.metadata if getattr(m, name, None) is not None), None)


def walk(model: BaseModel, path: str = ""):
    """(path, field, value) of every field of `model` and of the models it holds, for fields of
    every type; a type the walk does not know is an error, so no new field goes unchecked."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, list):
            assert value, f"{path}{name} is empty"
            for i, item in enumerate(value):
                yield from walk(item, f"{path}{name}[{i}].")
        else:
            yield f"{path}{name}", field, value


def check_iso_limits(message: BaseModel) -> int:
    """Checks every leaf of the message against its ISO 20022 limit; how many were checked."""
    checked = 0
    for path, field, value in walk(message):
        name = path.rsplit(".", 1)[-1]
        if field.annotation is LedgerHead:
            # SplmtryData: the ledger's head, no pain.001 element; its own schema bounds every part.
            assert value.seq >= 0 and len(value.hash) == len(value.mac) == 64, path
        elif get_origin(field.annotation) is Literal:
            assert value in get_args(field.annotation), path  # a closed set of codes (the currency)
        elif field.annotation is str:
            assert name in ISO_LENGTHS, f"{path}: a string with no ISO 20022 type named in ISO_LENGTHS"
            assert declared(field, "max_length") == ISO_LENGTHS[name], f"{path} declares another length"
            assert 1 <= len(value) <= ISO_LENGTHS[name], f"{path} is {len(value)} characters"
        elif field.annotation is D:
            assert declared(field, "max_digits") == ISO_DIGITS, f"{path} declares no 18-digit limit"
            assert len(value.as_tuple().digits) <= ISO_DIGITS and value >= 0, path
        elif field.annotation is int:
            assert declared(field, "le") == ISO_COUNT and 1 <= value <= ISO_COUNT, path
        else:
            assert field.annotation in (date, datetime), f"{path}: {field.annotation} has no ISO 20022 limit here"
        checked += 1
    return checked


def longest_instruction(account: str = "6" * 30) -> instructions.Instruction:
    """The longest details intake and payout let through: a 140-character account name (the
    payee model's limit), a 100-character bank, a 30-digit account."""
    name = "成都" * 70
    payee = Payee(account_name=name, account_number=account, bank="行" * 100)
    return instructions.Instruction(
        uuid.uuid4(),
        D("99999999999.99"),
        payee.account_name,
        payee.account_number,
        payee.bank,
        "1.1-node",
        uuid.uuid4(),
    )


def test_every_field_of_a_batch_fits_the_iso_20022_type_of_the_element_it_becomes():
    items = [longest_instruction(), instruction(), longest_instruction(account="6222020200110004")]
    batch = instructions.batch(
        items, NOW, debtor_name="委" * 140, debtor_account="5" * 34, execution_date=NOW.date(), ledger_head=HEAD
    )
    assert check_iso_limits(batch) == 9 + 7 * len(items)  # every field, of the batch (its head too) and each transfer
    assert all(len(t.creditor_name) == 140 for t in batch.transactions[::2])  # sent whole, not cut
    assert check_iso_limits(a_batch(instruction())) == 9 + 7


def test_a_field_without_a_declared_limit_fails_the_walk():
    class Loose(BaseModel):
        end_to_end_id: str

    with pytest.raises(AssertionError, match="declares another length"):
        check_iso_limits(Loose(end_to_end_id="x"))

    class Unnamed(BaseModel):
        purpose: Annotated[str, StringConstraints(max_length=35)]

    with pytest.raises(AssertionError, match="no ISO 20022 type"):
        check_iso_limits(Unnamed(purpose="x"))


def test_the_hyphenated_payout_id_is_one_character_too_many_for_end_to_end_id_and_its_hex_fits():
    payout_id = uuid.uuid4()
    assert len(str(payout_id)) == 36 > ISO_LENGTHS["end_to_end_id"]
    assert instructions.end_to_end_id(payout_id) == payout_id.hex and len(payout_id.hex) == 32
    with pytest.raises(ValidationError):
        CreditTransferV2(
            end_to_end_id=str(payout_id),
            amount=D("1.00"),
            creditor_name="甲",
            creditor_account="6222020200112233445",
            creditor_agent="工商银行",
            remittance_information="x",
        )


def test_an_answer_names_its_payout_by_either_spelling_of_the_end_to_end_id_and_by_nothing_else():
    payout_id = uuid.uuid4()
    for spelling in (payout_id.hex, str(payout_id), payout_id.hex.upper(), str(payout_id).upper()):
        assert instructions.payout_id_of(spelling) == payout_id
        assert TransactionStatus(end_to_end_id=spelling, status="ACCP").end_to_end_id == spelling  # kept as sent
    for other in (f"urn:uuid:{payout_id}", f"{{{payout_id}}}", payout_id.hex[:31], f"{payout_id.hex}\n", ""):
        with pytest.raises(ValueError):
            instructions.payout_id_of(other)
        with pytest.raises(ValidationError):
            TransactionStatus(end_to_end_id=other, status="ACCP")


def test_text_over_its_iso_type_is_refused_never_cut():
    too_long = instructions.Instruction(
        uuid.uuid4(), D("1.00"), "甲" * 141, "6222020200112233445", "工商银行", "1.1-node", uuid.uuid4()
    )
    with pytest.raises(ValidationError, match="creditor_name"):
        a_batch(too_long)
    with pytest.raises(ValidationError, match="debtor_name"):
        instructions.batch(
            [instruction()],
            NOW,
            debtor_name="委" * 141,
            debtor_account="1",
            execution_date=NOW.date(),
            ledger_head=HEAD,
        )


def test_an_account_name_over_140_characters_is_refused_as_the_details_are_given_and_held_at_payout():
    name = "甲" * 141
    with pytest.raises(ValidationError, match="at most 140 characters"):
        Payee(account_name=name, account_number="6222020200112233445", bank="工商银行")
    row = Row(account_name=name, account_number="6222020200112233445", bank="工商银行", applicant_name=name)
    assert problem_code(row) == "payee_invalid"
    assert payee_problem(Row(**vars(row) | {"account_name": name[:140], "applicant_name": name[:140]})) is None


def test_the_remittance_keeps_the_award_id_whole_and_fits_140_characters_whatever_the_clause():
    award_id = uuid.uuid4()
    assert instructions.remittance("1.1-node", award_id) == f"成都区块链专项补贴 1.1-node award {award_id}"
    long = instructions.remittance("x" * 200, award_id)
    assert len(long) == 140 and long.endswith(f"… award {award_id}")


def test_the_stand_in_answers_each_batch_in_the_spelling_it_was_sent_and_a_payout_the_same_either_way():
    items = [instruction() for _ in range(30)] + [instruction("6222020200110004")]
    v2 = a_batch(*items)
    v1 = PaymentsInstructedV1(
        **v2.model_dump(exclude={"transactions", "payment_information_id", "ledger_head"}),
        transactions=[
            CreditTransfer(**t.model_dump(exclude={"end_to_end_id"}), end_to_end_id=i.payout_id)
            for t, i in zip(v2.transactions, items, strict=True)
        ],
    )
    (report1, booked1), (report2, booked2) = (answers.answer(m, 0.3, NOW, date(2025, 3, 4)) for m in (v1, v2))
    assert [t.end_to_end_id for t in report2.transactions] == [i.payout_id.hex for i in items]
    assert [t.end_to_end_id for t in report1.transactions] == [str(i.payout_id) for i in items]
    assert booked1 is not None and booked2 is not None
    same = lambda e: (instructions.payout_id_of(e.end_to_end_id), e.amount, e.bank_reference)  # noqa: E731
    assert [same(e) for e in booked1.entries] == [same(e) for e in booked2.entries]
    assert [(t.status, t.reason_code) for t in report1.transactions] == [
        (t.status, t.reason_code) for t in report2.transactions
    ]


def test_the_stand_in_reads_a_kept_batch_as_the_version_it_came_as():
    from services.finance_sim.main import _batch

    v2 = a_batch(instruction())
    v1 = PaymentsInstructedV1(
        **v2.model_dump(exclude={"transactions", "payment_information_id", "ledger_head"}),
        transactions=[
            CreditTransfer(**v2.transactions[0].model_dump(exclude={"end_to_end_id"}), end_to_end_id=uuid.uuid4())
        ],
    )
    v2_sent = PaymentsInstructedV2(**v2.model_dump(exclude={"ledger_head"}))  # before batches carried heads
    for m in (v1, v2_sent, v2):
        assert _batch(Row(ce_type=m.ce_type, body=m.model_dump_json().encode())) == m
    with pytest.raises(AssertionError, match="is not a batch"):
        _batch(Row(ce_type=TransactionStatus.__name__, body=b"{}"))
