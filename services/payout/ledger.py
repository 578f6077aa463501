"""The double-entry rules of the payout ledger, free of I/O.

Every transaction is a set of entries whose debits equal its credits. Each entry's hash covers its
content and the previous entry's hash, so editing or deleting any row breaks the chain after it.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

GENESIS = "0" * 64
EXPENSE = "subsidy_expense"   # what the city has committed to pay under the policy
BANK = "treasury_bank"        # money that has left the city's account


def payable(credit_code: str) -> str:
    return f"payable:{credit_code}"


@dataclass(frozen=True)
class Entry:
    account: str
    debit: Decimal
    credit: Decimal
    memo: str


def transfer(debit_account: str, credit_account: str, amount: Decimal, memo: str) -> list[Entry]:
    if amount <= 0:
        raise ValueError(f"a ledger transfer must move a positive amount, not {amount}")
    zero = Decimal("0.00")
    return [Entry(debit_account, amount, zero, memo), Entry(credit_account, zero, amount, memo)]


def entry_hash(prev_hash: str, txn_id: UUID, e: Entry) -> str:
    content = f"{prev_hash}|{txn_id}|{e.account}|{e.debit:.2f}|{e.credit:.2f}|{e.memo}"
    return hashlib.sha256(content.encode()).hexdigest()


def chained(prev_hash: str, txn_id: UUID, entries: Iterable[Entry]) -> list[tuple[Entry, str, str]]:
    """Each entry with the hash before it and its own hash."""
    out = []
    for e in entries:
        h = entry_hash(prev_hash, txn_id, e)
        out.append((e, prev_hash, h))
        prev_hash = h
    return out


def first_broken(rows: Iterable[tuple[UUID, Entry, str, str]]) -> int | None:
    """The position of the first row whose chain does not hold, or None when the ledger is intact."""
    expected_prev = GENESIS
    for i, (txn_id, e, prev_hash, h) in enumerate(rows):
        if prev_hash != expected_prev or entry_hash(prev_hash, txn_id, e) != h:
            return i
        expected_prev = h
    return None
