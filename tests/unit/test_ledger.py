import uuid
from decimal import Decimal

import pytest

from services.payout import ledger


def test_a_transfer_balances_debits_and_credits():
    entries = ledger.transfer(ledger.EXPENSE, ledger.payable("X"), Decimal("800000.00"), "award")
    assert sum(e.debit for e in entries) == sum(e.credit for e in entries) == Decimal("800000.00")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1.00")])
def test_a_transfer_moves_a_positive_amount(amount):
    with pytest.raises(ValueError):
        ledger.transfer("a", "b", amount, "nothing")


def _chain(*amounts):
    rows, prev = [], ledger.GENESIS
    for amount in amounts:
        txn = uuid.uuid4()
        for entry, before, h in ledger.chained(prev, txn, ledger.transfer("a", "b", Decimal(amount), "m")):
            rows.append((txn, entry, before, h))
            prev = h
    return rows


def test_an_untouched_ledger_verifies():
    assert ledger.first_broken(_chain("1.00", "2.00", "3.00")) is None


def test_editing_an_amount_is_detected_at_that_row():
    rows = _chain("1.00", "2.00", "3.00")
    txn, entry, before, h = rows[2]
    rows[2] = (txn, ledger.Entry(entry.account, Decimal("2000.00"), entry.credit, entry.memo), before, h)
    assert ledger.first_broken(rows) == 2


def test_deleting_a_row_is_detected_at_the_next_one():
    rows = _chain("1.00", "2.00")
    del rows[1]
    assert ledger.first_broken(rows) == 1
