"""The money rules around the ledger, free of I/O: which budget an award is charged to, the
transfers each step makes (ids derived from what they are for, so a retry is the same transfer),
the order awaiting awards go ahead in, and what to tell an applicant whose payout is held."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple
from uuid import UUID, uuid4, uuid5

from services.payout.domain.ledger import Transfer, award_account, budget_account, funding_account, receivable_account
from shared.workdays import BEIJING, CalendarUnknown, working_days_after

_IDS = UUID("0b6b1c53-5f0e-4f55-9a59-3d0d3f0c2a11")


def budget_year(granted_at: datetime) -> int:
    """An award is charged to the budget of the year (Beijing time) in which it was granted."""
    return granted_at.astimezone(BEIJING).year


def reserve(award_id: UUID, year: int, clause: str, amount: Decimal) -> Transfer:
    return Transfer(
        uuid5(award_id, "reserve"),
        budget_account(year, clause),
        award_account(award_id),
        amount,
        "pending",
        code="reserve",
        ref=str(award_id),
    )


def settle(reservation: Transfer, payout_id: UUID, amount: Decimal) -> Transfer:
    return Transfer(
        uuid5(reservation.id, "post"),
        reservation.debit,
        reservation.credit,
        amount,
        "post",
        pending_id=reservation.id,
        code="settle",
        ref=str(payout_id),
    )


def cancel(reservation: Transfer) -> Transfer:
    return Transfer(
        uuid5(reservation.id, "void"),
        reservation.debit,
        reservation.credit,
        reservation.amount,
        "void",
        pending_id=reservation.id,
        code="cancel",
        ref=reservation.ref,
    )


def clawback_id(award_id: UUID, key: str) -> UUID:
    return uuid5(award_id, f"clawback:{key}")


def clawback(award_id: UUID, credit_code: str, key: str, amount: Decimal) -> Transfer:
    """A reversing entry out of the award's account into the applicant's receivable; the award's
    account may not go below zero, so no more is clawed back than was paid."""
    return Transfer(
        clawback_id(award_id, key),
        award_account(award_id),
        receivable_account(credit_code),
        amount,
        "posted",
        code="clawback",
        ref=str(award_id),
    )


def budget_change(year: int, clause: str, current: Decimal, wanted: Decimal) -> Transfer | None:
    """The transfer that makes a budget line `wanted` from `current` (none when they are equal);
    a cut is refused by the ledger if it would leave less than is committed."""
    ref = f"{year}:{clause}"
    if wanted > current:
        return Transfer(
            uuid4(), funding_account(year), budget_account(year, clause), wanted - current, code="budget", ref=ref
        )
    if wanted < current:
        return Transfer(
            uuid4(), budget_account(year, clause), funding_account(year), current - wanted, code="budget_cut", ref=ref
        )
    return None


class Waiting(NamedTuple):
    award_id: UUID
    amount: Decimal


def going_ahead(headroom: Decimal, queue: Iterable[Waiting]) -> list[Waiting]:
    """The awards that go ahead, in order, with `headroom` left on their budget: the first in the
    queue goes first, and none overtakes one that does not fit yet."""
    ahead = []
    for waiting in queue:
        if waiting.amount > headroom:
            break
        ahead.append(waiting)
        headroom -= waiting.amount
    return ahead


def payout_id(award_id: UUID, attempt: int) -> UUID:
    """An award's first payout, and each one made after a rejection, has an id of its own."""
    return uuid5(award_id, "payout") if attempt == 1 else uuid5(award_id, f"payout-{attempt}")


def expected_on(requested_at: datetime, working_days: int) -> date:
    """When the money should arrive: the finance service level, in working days after the day
    (Beijing time) the payout was requested. A year the calendar does not know counts Monday to
    Friday."""
    return _expected_on(requested_at.astimezone(BEIJING).date(), working_days)


@lru_cache(maxsize=64)  # one day's answer serves every payout of that day
def _expected_on(day: date, working_days: int) -> date:
    try:
        return working_days_after(day, working_days)
    except CalendarUnknown:
        from datetime import timedelta

        counted = 0
        while counted < working_days:
            day += timedelta(days=1)
            counted += day.weekday() < 5
        return day


# ISO 20022 status reasons the finance system may give, and what the applicant should do.
REASONS = {
    "AC01": "the account number is wrong",
    "AC04": "the account is closed",
    "AC06": "the account is blocked",
    "BE01": "the account name does not match the account",
    "RC01": "the bank is wrong",
    "AG01": "the account may not receive this transfer",
    "MS03": "the bank refused without saying why",
}
WHAT_TO_DO = {
    "payee_missing": "Supply the applicant's own bank account: PUT /v1/applications/{id}/payee "
    "(请通过接口补充申请人本单位的收款账户).",
    "payee_invalid": "Correct the bank account: PUT /v1/applications/{id}/payee with the applicant's own "
    "account (请更正收款账户).",
    "payout_rejected": "The bank refused the transfer ({why}). Correct the bank account with PUT "
    "/v1/applications/{{id}}/payee, and a new payout is made at once (请核对并更正收款账户).",
}


def what_to_do(reason: str, reason_code: str | None = None) -> str:
    why = REASONS.get(reason_code or "", reason_code or "no reason given")
    return WHAT_TO_DO[reason].format(why=why) if reason == "payout_rejected" else WHAT_TO_DO[reason]


def control_sum(amounts: Sequence[Decimal]) -> Decimal:
    return sum(amounts, Decimal("0.00"))
