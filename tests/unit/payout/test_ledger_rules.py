"""The ledger's rules, after TigerBeetle: reservations count against a budget, posts and voids
resolve them once, ids make retries harmless, and nothing is clawed back beyond what was paid."""

import uuid
from decimal import Decimal as D

import pytest

from services.payout.domain import money
from services.payout.domain.ledger import Ledger, Transfer, TransferRefused, award_account, budget_account

LINE = budget_account(2025, "1.1-node")


def budget_change(current: D, wanted: D) -> Transfer:
    """The 2025 1.1-node budget moved from `current` to `wanted` (a real change: never None)."""
    change = money.budget_change(2025, "1.1-node", current, wanted)
    assert change is not None
    return change


def funded(amount: str) -> Ledger:
    ledger = Ledger()
    ledger.apply(budget_change(D(0), D(amount)))
    return ledger


def test_a_reservation_counts_against_the_budget_at_once():
    ledger = funded("1000.00")
    ledger.apply(money.reserve(uuid.uuid4(), 2025, "1.1-node", D("600.00")))
    assert ledger.account(LINE).headroom == D("400.00")
    with pytest.raises(TransferRefused) as refused:
        ledger.apply(money.reserve(uuid.uuid4(), 2025, "1.1-node", D("400.01")))
    assert refused.value.code == "exceeds_credits"
    assert ledger.account(LINE).headroom == D("400.00")  # a refused transfer leaves nothing behind


def test_committed_plus_paid_never_exceeds_the_budget():
    ledger = funded("1000.00")
    paid = money.reserve(uuid.uuid4(), 2025, "1.1-node", D("700.00"))
    ledger.apply(paid)
    ledger.apply(money.settle(paid, uuid.uuid4(), D("700.00")))
    ledger.apply(money.reserve(uuid.uuid4(), 2025, "1.1-node", D("300.00")))
    account = ledger.account(LINE)
    assert (account.debits_posted, account.debits_pending, account.headroom) == (D("700.00"), D("300.00"), D("0.00"))
    with pytest.raises(TransferRefused):
        ledger.apply(money.reserve(uuid.uuid4(), 2025, "1.1-node", D("0.01")))


def test_a_budget_cannot_be_cut_below_what_is_committed():
    ledger = funded("1000.00")
    ledger.apply(money.reserve(uuid.uuid4(), 2025, "1.1-node", D("800.00")))
    with pytest.raises(TransferRefused, match="exceeds_credits"):
        ledger.apply(budget_change(D("1000.00"), D("799.99")))
    ledger.apply(budget_change(D("1000.00"), D("800.00")))
    assert ledger.account(LINE).headroom == 0


def test_a_cancellation_releases_the_reservation():
    ledger = funded("1000.00")
    reservation = money.reserve(uuid.uuid4(), 2025, "1.1-node", D("1000.00"))
    ledger.apply(reservation)
    ledger.apply(money.cancel(reservation))
    assert ledger.account(LINE).headroom == D("1000.00")
    assert ledger.account(reservation.credit).credits_pending == 0


def test_a_pending_transfer_is_posted_or_voided_once():
    ledger = funded("1000.00")
    reservation = money.reserve(uuid.uuid4(), 2025, "1.1-node", D("100.00"))
    ledger.apply(reservation)
    ledger.apply(money.settle(reservation, uuid.uuid4(), D("100.00")))
    with pytest.raises(TransferRefused, match="already_posted"):
        ledger.apply(money.cancel(reservation))


def test_the_same_transfer_twice_is_done_once_and_another_amount_under_its_id_is_refused():
    ledger = funded("1000.00")
    award = uuid.uuid4()
    assert ledger.apply(money.reserve(award, 2025, "1.1-node", D("100.00"))) == "ok"
    assert ledger.apply(money.reserve(award, 2025, "1.1-node", D("100.00"))) == "exists"
    with pytest.raises(TransferRefused) as refused:
        ledger.apply(money.reserve(award, 2025, "1.1-node", D("100.01")))
    assert refused.value.code == "exists_with_different_amount"
    assert ledger.account(LINE).debits_pending == D("100.00")


def test_no_more_is_clawed_back_than_was_paid():
    ledger = funded("1000.00")
    award = uuid.uuid4()
    reservation = money.reserve(award, 2025, "1.1-node", D("500.00"))
    ledger.apply(reservation)
    with pytest.raises(TransferRefused, match="exceeds_credits"):  # nothing paid yet: nothing to claw back
        ledger.apply(money.clawback(award, "X", "review-2025", D("1.00")))
    ledger.apply(money.settle(reservation, uuid.uuid4(), D("500.00")))
    ledger.apply(money.clawback(award, "X", "review-2025", D("200.00")))
    ledger.apply(money.clawback(award, "X", "fraud", D("300.00")))
    with pytest.raises(TransferRefused, match="exceeds_credits"):
        ledger.apply(money.clawback(award, "X", "more", D("0.01")))
    assert ledger.account(award_account(award)).debits_posted == D("500.00")


@pytest.mark.parametrize(
    "bad",
    [
        Transfer(uuid.uuid4(), "a", "b", D("0.00")),
        Transfer(uuid.uuid4(), "a", "a", D("1.00")),
        Transfer(uuid.uuid4(), "a", "b", D("1.00"), "post"),
    ],
)
def test_malformed_transfers_are_refused(bad):
    with pytest.raises(TransferRefused):
        Ledger().apply(bad)


def test_awaiting_awards_go_ahead_in_order_and_none_overtakes_one_that_does_not_fit():
    queue = [money.Waiting(uuid.uuid4(), D(a)) for a in ("300.00", "500.00", "100.00")]
    assert money.going_ahead(D("799.99"), queue) == queue[:1]
    assert money.going_ahead(D("800.00"), queue) == queue[:2]
    assert money.going_ahead(D("0.00"), queue) == []
