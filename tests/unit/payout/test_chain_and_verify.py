"""The keyed hash chain and `ledger verify`: a rewritten row is found without the key being known to
the rewriter, and the first broken row is named."""

import dataclasses
import uuid
from collections.abc import Mapping
from decimal import Decimal as D

from services.payout.domain import chain, money
from services.payout.domain.ledger import Account, Ledger, Transfer
from services.payout.domain.verify import Problem, verify

KEY = b"ledger key"


def budget_change(current: D, wanted: D) -> Transfer:
    """The 2025 1.1-node budget moved from `current` to `wanted` (a real change: never None)."""
    change = money.budget_change(2025, "1.1-node", current, wanted)
    assert change is not None
    return change


def problem_in(rows: list[chain.Link], accounts: Mapping[str, Account], awards: Mapping[str, str]) -> Problem:
    problem = verify(KEY, rows, accounts, awards).problem
    assert problem is not None
    return problem


def history():
    award = uuid.uuid4()
    reservation = money.reserve(award, 2025, "1.1-node", D("600.00"))
    transfers = [
        budget_change(D(0), D("1000.00")),
        reservation,
        money.settle(reservation, uuid.uuid4(), D("600.00")),
    ]
    ledger = Ledger()
    ledger.apply_all(transfers)
    return list(chain.chained(KEY, chain.GENESIS, 1, transfers)), ledger.accounts, {str(award): "paid"}


def test_an_untouched_ledger_verifies():
    rows, accounts, awards = history()
    result = verify(KEY, rows, accounts, awards)
    assert result.problem is None and result.rows == 3


def test_an_amount_rewritten_with_a_fresh_unkeyed_hash_is_found_at_its_row():
    rows, accounts, awards = history()
    forged = dataclasses.replace(rows[1].transfer, amount=D("60.00"))
    rows[1] = chain.Link(2, forged, rows[1].prev_hash, chain.link(b"guessed key", rows[1].prev_hash, forged))
    problem = problem_in(rows, accounts, awards)
    assert problem.where.startswith("row 2 ") and "rewritten" in problem.why


def test_a_deleted_row_is_found_at_the_next_one():
    rows, accounts, awards = history()
    del rows[1]
    assert problem_in(rows, accounts, awards).where.startswith("row 3 ")


def test_a_history_that_overspends_a_budget_fails_even_with_a_valid_chain():
    award = uuid.uuid4()
    transfers = [
        budget_change(D(0), D("100.00")),
        money.reserve(award, 2025, "1.1-node", D("100.01")),
    ]
    rows = list(chain.chained(KEY, chain.GENESIS, 1, transfers))
    problem = problem_in(rows, {}, {str(award): "reserved"})
    assert problem.where.startswith("row 2 ") and "exceeds_credits" in problem.why


def test_balances_that_differ_from_their_transfers_are_named():
    rows, accounts, awards = history()
    line = accounts["budget:2025:1.1-node"]
    accounts["budget:2025:1.1-node"] = dataclasses.replace(line, credits_posted=D("2000.00"))
    problem = problem_in(rows, accounts, awards)
    assert problem.where == "account budget:2025:1.1-node" and "credits_posted" in problem.why


def test_an_award_reserved_twice_is_found():
    award = uuid.uuid4()
    first = money.reserve(award, 2025, "1.1-node", D("10.00"))
    second = dataclasses.replace(first, id=uuid.uuid4())
    transfers = [budget_change(D(0), D("100.00")), first, second]
    ledger = Ledger()
    ledger.apply_all(transfers)
    rows = list(chain.chained(KEY, chain.GENESIS, 1, transfers))
    problem = problem_in(rows, ledger.accounts, {str(award): "reserved"})
    assert problem.where.startswith("row 3 ") and "second time" in problem.why
