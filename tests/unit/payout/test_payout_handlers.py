"""Payout's handlers on an in-memory session (tests/unit/fakes.py): an award waiting for its
budget, a cancellation refused once the money left, and the finance system's status report."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from services.payout import awards, finance
from services.payout.books import Books
from services.payout.context import Context
from services.payout.domain import money
from services.payout.domain.ledger import budget_account
from services.payout.tables import awards as award_rows
from services.payout.tables import payees, payouts
from shared.events import (
    AwardGrantedV1,
    BookedEntry,
    PaymentsBookedV1,
    PaymentsInstructedV3,
    PaymentStatusReportedV1,
    PayoutDeferredV1,
    PayoutFailedV2,
    PayoutHeldV1,
    PayoutPaidV2,
    PayoutRequestedV2,
    TransactionStatus,
)
from shared.messaging.envelope import Envelope
from shared.refusal import Refused
from tests.unit.fakes import FakePublisher, FakeSession

KEY = b"ledger-key"
NOW = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)
YEAR, CLAUSE = 2025, "1.1-node"
APPLICANT = "甲公司"


class Fixed:
    def now(self) -> datetime:
        return NOW


@pytest.fixture
def session() -> FakeSession:
    return FakeSession(now=NOW)


@pytest.fixture
def ctx() -> Context:
    return Context(FakePublisher(), KEY, policy=None, clock=Fixed())  # type: ignore[arg-type]


async def set_budget(session, amount: str, was: str = "0.00") -> Books:
    """What `budgets.set_budget` posts: the difference, from the year's funding to the line."""
    books = await Books.open(session, KEY)
    await books.load([budget_account(YEAR, CLAUSE), f"funding:{YEAR}"])
    change = money.budget_change(YEAR, CLAUSE, D(was), D(amount))
    assert change is not None
    books.apply(change)
    return books


async def grant(session, ctx, amount: str, *, with_details: bool = False) -> uuid.UUID:
    award = AwardGrantedV1(
        award_id=uuid.uuid4(),
        application_id=uuid.uuid4(),
        credit_code="91510100MA61234567",
        clause=CLAUSE,
        amount=D(amount),
        grants=[],
        granted_at=NOW,
    )
    if with_details:
        session.add(
            payees,
            application_id=award.application_id,
            credit_code=award.credit_code,
            applicant_name=APPLICANT,
            account_name=APPLICANT,
            account_number="6222020200112233445",
            bank="中国工商银行成都高新支行",
            provided_at=NOW,
        )
    event = Envelope.of(award, source="/subsidy/quota", key=award.credit_code, subject=str(award.application_id))
    await awards.book(session, ctx, [(event, award)])
    return award.award_id


def state(session, award_id) -> str:
    return next(r["state"] for r in session.rows(award_rows) if r["award_id"] == award_id)


def payout_of(session, award_id) -> dict:
    (row,) = [r for r in session.rows(payouts) if r["award_id"] == award_id]
    return row


async def test_an_award_waits_for_its_budget_and_goes_ahead_in_order_when_the_budget_is_raised(session, ctx):
    await (await set_budget(session, "100.00")).flush()
    first = await grant(session, ctx, "150.00")
    second = await grant(session, ctx, "10.00")  # would fit, but does not overtake the first
    assert (state(session, first), state(session, second)) == ("awaiting_budget", "awaiting_budget")
    assert ctx.publisher.types() == [PayoutDeferredV1.ce_type] * 2
    assert session.rows(payouts) == []

    books = await set_budget(session, "155.00", was="100.00")
    assert await awards.release(session, ctx, books, YEAR, CLAUSE) == 1
    await books.flush()

    assert (state(session, first), state(session, second)) == ("reserved", "awaiting_budget")
    assert books.account(budget_account(YEAR, CLAUSE)).headroom == D("5.00")  # 10.00 does not fit in it
    assert payout_of(session, first)["status"] == "held"  # no bank details yet
    assert payout_of(session, first)["hold_reason"] == "payee_missing"
    assert ctx.publisher.types()[-1] == PayoutHeldV1.ce_type


async def test_a_cancellation_once_the_payment_left_is_refused_with_the_reason_and_changes_nothing(session, ctx):
    await (await set_budget(session, "1000.00")).flush()
    award_id = await grant(session, ctx, "100.00", with_details=True)
    assert payout_of(session, award_id)["status"] == "requested"
    assert await finance.send_batch(session, ctx, max_payouts=10) == 1
    before, owed = [dict(r) for r in session.rows(award_rows) + session.rows(payouts)], len(ctx.publisher.owed)

    with pytest.raises(Refused) as refused:
        await awards.cancel(session, ctx, award_id, reason="fraud", by="admin")

    assert refused.value.code == "payout_in_flight" and refused.value.status == 409
    assert "once it is rejected" in refused.value.message_en and "退回" in refused.value.message_zh
    assert [dict(r) for r in session.rows(award_rows) + session.rows(payouts)] == before
    assert len(ctx.publisher.owed) == owed


async def test_cancelling_an_award_held_for_bank_details_frees_its_budget_for_the_one_waiting(session, ctx):
    await (await set_budget(session, "100.00")).flush()
    held = await grant(session, ctx, "80.00")
    waiting = await grant(session, ctx, "50.00")

    answer = await awards.cancel(session, ctx, held, reason="withdrawn", by="admin")

    assert answer == {"award_id": held, "state": "cancelled"}
    assert payout_of(session, held)["status"] == "cancelled"
    assert (state(session, held), state(session, waiting)) == ("cancelled", "reserved")
    assert await awards.cancel(session, ctx, held, reason="again", by="admin") == answer  # once is once


async def test_a_rejection_holds_the_payout_for_corrected_details_and_a_report_on_one_never_sent_is_refused(
    session, ctx
):
    await (await set_budget(session, "1000.00")).flush()
    sent = await grant(session, ctx, "100.00", with_details=True)
    await finance.send_batch(session, ctx, max_payouts=10)
    unsent = await grant(session, ctx, "20.00", with_details=True)
    payout_id, unsent_id = payout_of(session, sent)["id"], payout_of(session, unsent)["id"]

    def report(*transactions: TransactionStatus) -> tuple[Envelope, PaymentStatusReportedV1]:
        p = PaymentStatusReportedV1(
            message_id="STS1", original_message_id="B1", group_status="PART", created_at=NOW, transactions=transactions
        )
        return Envelope.of(p, source="/finance", key="B1", subject="B1"), p

    owed = len(ctx.publisher.owed)
    with pytest.raises(Refused) as refused:
        await finance.answered(session, ctx, [report(TransactionStatus(end_to_end_id=unsent_id.hex, status="ACCP"))])
    assert refused.value.code == "invalid_transition" and "requested" in refused.value.message_en
    assert payout_of(session, unsent)["status"] == "requested"

    rejection = TransactionStatus(
        end_to_end_id=payout_id.hex, status="RJCT", reason_code="AC04", reason="Closed account"
    )
    await finance.answered(session, ctx, [report(rejection)])
    payout = payout_of(session, sent)
    assert (payout["status"], payout["hold_reason"], payout["reason_code"]) == ("rejected", "payout_rejected", "AC04")
    assert ctx.publisher.types()[owed:] == [PayoutFailedV2.ce_type, PayoutHeldV1.ce_type]

    # The same rejection told again is news already acted on: nothing more happens, whichever way
    # the end-to-end id is spelt (as sent, or hyphenated as batches before v2 carried it).
    await finance.answered(session, ctx, [report(rejection)])
    hyphenated = TransactionStatus(
        end_to_end_id=str(payout_id), status="RJCT", reason_code="AC04", reason="Closed account"
    )
    await finance.answered(session, ctx, [report(hyphenated)])
    assert payout_of(session, sent)["status"] == "rejected"
    assert ctx.publisher.types()[owed:] == [PayoutFailedV2.ce_type, PayoutHeldV1.ce_type]
    assert PayoutRequestedV2.ce_type in ctx.publisher.types()[:owed]


async def test_a_payout_requested_with_an_account_name_too_long_for_pain_001_is_held_and_the_rest_are_sent(
    session, ctx
):
    """Details taken before account names were limited to 140 characters (pain.001 Cdtr/Nm) are
    neither cut nor allowed to stop the batch: that payout is held for corrected details."""
    await (await set_budget(session, "1000.00")).flush()
    long_named, fine = (
        await grant(session, ctx, "100.00", with_details=True),
        await grant(session, ctx, "20.00", with_details=True),
    )
    payout_of(session, long_named)["account_name"] = "甲" * 141
    owed = len(ctx.publisher.owed)

    assert await finance.send_batch(session, ctx, max_payouts=10) == 1

    held = payout_of(session, long_named)
    assert (held["status"], held["hold_reason"]) == ("held", "payee_invalid")
    assert "140 characters" in held["reason"]
    assert payout_of(session, fine)["status"] == "sent"
    assert ctx.publisher.types()[owed:] == [PayoutHeldV1.ce_type, PaymentsInstructedV3.ce_type]
    batch = PaymentsInstructedV3.model_validate_json(ctx.publisher.owed[-1].data)
    assert [t.end_to_end_id for t in batch.transactions] == [payout_of(session, fine)["id"].hex]


async def test_a_batch_of_answers_is_acted_on_in_order_and_writes_each_table_once_whatever_its_size(session, ctx):
    await (await set_budget(session, "1000.00")).flush()
    granted = [await grant(session, ctx, "100.00", with_details=True) for _ in range(3)]
    await finance.send_batch(session, ctx, max_payouts=10)
    accepted, other, refused = (payout_of(session, a)["id"] for a in granted)

    def told(payload: finance.Answer) -> tuple[Envelope, finance.Answer]:
        return Envelope.of(payload, source="/finance", key="B1", subject="B1"), payload

    status = PaymentStatusReportedV1(
        message_id="STS1",
        original_message_id="B1",
        group_status="PART",
        created_at=NOW,
        transactions=[
            TransactionStatus(end_to_end_id=accepted.hex, status="ACCP"),
            TransactionStatus(end_to_end_id=other.hex, status="ACCP"),
            TransactionStatus(end_to_end_id=refused.hex, status="RJCT", reason_code="AC04"),
        ],
    )
    entries = [
        BookedEntry(end_to_end_id=i.hex, amount=D("100.00"), booked_on=NOW.date(), bank_reference=f"R-{i}")
        for i in (accepted, other)
    ]
    booking = PaymentsBookedV1(notification_id="N1", original_message_id="B1", created_at=NOW, entries=entries)
    again = PaymentsBookedV1(notification_id="N2", original_message_id="B1", created_at=NOW, entries=entries[:1])
    owed, written = len(ctx.publisher.owed), len(session.statements)

    await finance.answered(session, ctx, [told(status), told(booking), told(again)])

    assert [payout_of(session, a)["status"] for a in granted] == ["paid", "paid", "rejected"]
    assert [state(session, a) for a in granted] == ["paid", "paid", "reserved"]
    assert payout_of(session, granted[0])["bank_reference"] == f"R-{accepted}"
    # The booking told again is a repeat: two payouts paid, once each.
    assert ctx.publisher.types()[owed:] == [PayoutFailedV2.ce_type, PayoutHeldV1.ce_type] + [PayoutPaidV2.ce_type] * 2
    assert sorted(session.statements[written:]) == [
        "insert payout.transfers",
        "update payout.awards",
        "update payout.batches",
        "update payout.payouts",
    ]
