"""The ledger's rules, after TigerBeetle, free of I/O.

Accounts hold four balances: debits and credits, each pending or posted. A transfer moves an
amount from one account (debited) to another (credited), and is one of:

- `posted`: takes effect at once;
- `pending`: reserves the amount on both accounts (their pending balances);
- `post`: settles a pending transfer (all of it, or less, the rest being released);
- `void`: releases a pending transfer.

An account that must not be overdrawn (`limited`: budgets, and each award's account) refuses any
transfer after which its debits, pending and posted, would exceed its posted credits
(TigerBeetle's `debits_must_not_exceed_credits`). So a reservation counts against a budget the
moment it is made, and what has been paid into an award can be clawed back, never more.

Transfer ids are chosen by the caller, so a retry is harmless: the same id with the same content
is `exists`; with other content it is refused (`exists_with_different_amount`, or
`exists_with_different_fields`). Nothing is ever edited: a correction is a new transfer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal
from uuid import UUID

ZERO = Decimal("0.00")
Kind = Literal["posted", "pending", "post", "void"]
LIMITED_PREFIXES = ("budget:", "award:")


def budget_account(year: int, clause: str) -> str:
    return f"budget:{year}:{clause}"


def funding_account(year: int) -> str:
    """Where a year's appropriations come from: its debits are all that was appropriated."""
    return f"funding:{year}"


def award_account(award_id: UUID) -> str:
    """What the city owes, and has paid, under one award."""
    return f"award:{award_id}"


def receivable_account(credit_code: str) -> str:
    """What an applicant must give back: its credits are the clawbacks recorded against it."""
    return f"receivable:{credit_code}"


def limited(account: str) -> bool:
    return account.startswith(LIMITED_PREFIXES)


class TransferRefused(Exception):
    """The ledger refuses the transfer; `code` says why, after TigerBeetle's result codes."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


@dataclass
class Account:
    id: str
    debits_pending: Decimal = ZERO
    debits_posted: Decimal = ZERO
    credits_pending: Decimal = ZERO
    credits_posted: Decimal = ZERO

    @property
    def limited(self) -> bool:
        return limited(self.id)

    @property
    def headroom(self) -> Decimal:
        """What a limited account can still be debited."""
        return self.credits_posted - self.debits_pending - self.debits_posted

    def overdrawn(self) -> bool:
        return self.limited and self.headroom < 0


@dataclass(frozen=True)
class Transfer:
    id: UUID
    debit: str
    credit: str
    amount: Decimal
    kind: Kind = "posted"
    pending_id: UUID | None = None
    code: str = ""  # what it is for: budget, reserve, settle, cancel, clawback…
    ref: str = ""  # what it is about: an award, a payout, a budget line


@dataclass
class Ledger:
    """Accounts and transfers in memory: the whole ledger (a replay), or the part a batch touches."""

    accounts: dict[str, Account] = field(default_factory=dict)
    transfers: dict[UUID, Transfer] = field(default_factory=dict)
    resolved: dict[UUID, UUID] = field(default_factory=dict)  # pending id → the post or void of it

    def account(self, account_id: str) -> Account:
        if account_id not in self.accounts:
            self.accounts[account_id] = Account(account_id)
        return self.accounts[account_id]

    def apply(self, t: Transfer) -> Literal["ok", "exists"]:
        """Applies the transfer, or raises TransferRefused leaving the ledger unchanged."""
        if (earlier := self.transfers.get(t.id)) is not None:
            if earlier == t:
                return "exists"
            if replace(earlier, amount=t.amount) == t:
                raise TransferRefused(
                    "exists_with_different_amount",
                    f"transfer {t.id} exists with amount {earlier.amount}, not {t.amount}",
                )
            raise TransferRefused("exists_with_different_fields", f"transfer {t.id} exists with other content")
        if t.amount <= 0:
            raise TransferRefused("amount_must_be_positive", f"transfer {t.id} moves {t.amount}")
        if t.debit == t.credit:
            raise TransferRefused("accounts_must_be_different", f"transfer {t.id} debits and credits {t.debit}")
        if (t.kind in ("post", "void")) != (t.pending_id is not None):
            raise TransferRefused(
                "pending_id_invalid", f"transfer {t.id}: only a post or a void names a pending transfer"
            )
        debit, credit = self.account(t.debit), self.account(t.credit)
        before = (replace(debit), replace(credit))
        match t.kind:
            case "posted":
                debit.debits_posted += t.amount
                credit.credits_posted += t.amount
            case "pending":
                debit.debits_pending += t.amount
                credit.credits_pending += t.amount
            case "post" | "void":
                pending = self._pending(t)
                debit.debits_pending -= pending.amount
                credit.credits_pending -= pending.amount
                if t.kind == "post":
                    debit.debits_posted += t.amount
                    credit.credits_posted += t.amount
        for account in (debit, credit):
            if account.overdrawn():
                self.accounts[debit.id], self.accounts[credit.id] = before
                raise TransferRefused(
                    "exceeds_credits", f"transfer {t.id} would take {account.id} {-account.headroom} past its credits"
                )
        self.transfers[t.id] = t
        if t.pending_id is not None:
            self.resolved[t.pending_id] = t.id
        return "ok"

    def _pending(self, t: Transfer) -> Transfer:
        pending = self.transfers.get(t.pending_id) if t.pending_id is not None else None
        if pending is None or pending.kind != "pending":
            raise TransferRefused(
                "pending_transfer_not_found", f"transfer {t.id} names no pending transfer {t.pending_id}"
            )
        if (done := self.resolved.get(pending.id)) is not None:
            kind = self.transfers[done].kind if done in self.transfers else "post"
            raise TransferRefused(
                f"pending_transfer_already_{'posted' if kind == 'post' else 'voided'}",
                f"pending transfer {t.pending_id} was already resolved",
            )
        if (pending.debit, pending.credit) != (t.debit, t.credit):
            raise TransferRefused(
                "pending_transfer_has_different_accounts", f"transfer {t.id} and {t.pending_id} differ"
            )
        if (t.kind == "void" and t.amount != pending.amount) or t.amount > pending.amount:
            raise TransferRefused(
                "exceeds_pending_transfer_amount", f"transfer {t.id} moves {t.amount} of {pending.amount}"
            )
        return pending

    def apply_all(self, transfers: Iterable[Transfer]) -> None:
        for t in transfers:
            self.apply(t)
