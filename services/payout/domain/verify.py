"""Verifying the ledger from genesis (after Blnk's `verify_chain`): the chain unbroken under the key,
every transfer within the rules when it was made (so no budget was ever overspent and no award
clawed back beyond what was paid), each award reserved once, and the stored balances equal to
what the transfers add up to. It stops at the first problem and names it.

Given a head published outside the payout database, it first holds the book to it: a book cut back
(or emptied) below the head, or rewritten at it, is named before anything else, since the chain
that remains may well be intact.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.payout.domain.chain import GENESIS, Head, Link, broken_link, check_head
from services.payout.domain.keys import KeyRing
from services.payout.domain.ledger import ZERO, Account, Ledger, TransferRefused

BALANCES = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
RESERVED_STATES = frozenset({"reserved", "paid"})


@dataclass(frozen=True)
class Problem:
    where: str
    why: str

    def __str__(self) -> str:
        return f"{self.where}: {self.why}"


@dataclass
class Verified:
    rows: int
    accounts: int
    problem: Problem | None


def verify(
    key: bytes | KeyRing,
    rows: Iterable[Link],
    stored: Mapping[str, Account],
    awards: Mapping[str, str],
    head: Head | None = None,
) -> Verified:
    """`rows` in chain order; `stored` the accounts table; `awards` each award id → its state; `head`
    the newest head published, if one is known."""
    ledger, prev, reserved, count = Ledger(), GENESIS, set(), 0

    def done(problem: Problem | None) -> Verified:
        return Verified(count, len(ledger.accounts), problem)

    if head is not None:
        rows = list(rows)
        at_seq = next((r for r in rows if r.seq == head.seq), None)
        if why := check_head(key, head, at_seq, rows[-1].seq if rows else 0):
            count = len(rows)
            return Verified(count, len(stored), Problem(str(head), why))

    for row in rows:
        count += 1
        t, where = row.transfer, f"row {row.seq} (transfer {row.transfer.id})"
        if why := broken_link(key, prev, row):
            return done(Problem(where, why))
        try:
            if ledger.apply(t) == "exists":
                return done(Problem(where, "the same transfer is recorded twice"))
        except TransferRefused as refused:
            return done(Problem(where, f"breaks the ledger's rules ({refused.code}): {refused.message}"))
        if t.code == "reserve":
            if t.ref in reserved:
                return done(Problem(where, f"award {t.ref} is reserved a second time"))
            if awards.get(t.ref) is None:
                return done(Problem(where, f"reserves award {t.ref}, which payout never booked"))
            reserved.add(t.ref)
        prev = row.hash
    for award, state in sorted(awards.items()):
        if state in RESERVED_STATES and award not in reserved:
            return done(Problem(f"award {award}", f"is {state} but no transfer reserves it"))
    for account_id in sorted(set(ledger.accounts) | set(stored)):
        entries, kept = (
            ledger.accounts.get(account_id, Account(account_id)),
            stored.get(account_id, Account(account_id)),
        )
        differ = [b for b in BALANCES if getattr(entries, b) != getattr(kept, b)]
        if differ:
            return done(
                Problem(
                    f"account {account_id}",
                    "stored balances differ from its transfers: "
                    + ", ".join(f"{b} {getattr(kept, b)} (transfers say {getattr(entries, b)})" for b in differ),
                )
            )
    for side in ("pending", "posted"):
        debits = sum((getattr(a, f"debits_{side}") for a in stored.values()), ZERO)
        credits = sum((getattr(a, f"credits_{side}") for a in stored.values()), ZERO)
        if debits != credits:
            return done(Problem("accounts", f"{side} debits {debits} and credits {credits} do not balance"))
    return done(None)
