"""How the stand-in answers a batch, free of I/O and deterministic: the same batch always gets the
same answers (the same payouts rejected with the same codes, the same references), whether it is
answered once or redelivered and answered again.

Test accounts: an account number ending in 0001, 0004 or 0006 is always rejected with AC01
(incorrect account number), AC04 (closed account) or AC06 (blocked account). Other payouts are
rejected at the configured rate, by a hash of their id.

Every answer echoes each payout's end-to-end id as its batch spelt it: 32 hex digits from a v2
batch, the hyphenated id from a v1 one. Verdicts and references are drawn from the payout id itself,
so they do not depend on the spelling.
"""

import hashlib
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid5

from shared.events import (
    BookedEntry,
    CreditTransfer,
    CreditTransferV2,
    PaymentsBookedV1,
    PaymentsInstructedV1,
    PaymentsInstructedV2,
    PaymentsInstructedV3,
    PaymentStatusReportedV1,
    TransactionStatus,
)

_IDS = UUID("7c9e6679-7425-40de-944b-e07fc1f90ae7")
TEST_ACCOUNTS = {"0001": "AC01", "0004": "AC04", "0006": "AC06"}
CODES = ("AC01", "AC04", "AC06", "BE01")
REASONS = {
    "AC01": "Incorrect account number",
    "AC04": "Closed account number",
    "AC06": "Blocked account",
    "BE01": "Inconsistent with end customer",
    "FF01": "Invalid file format",
}


def _fraction(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) / 16**12


Batch = PaymentsInstructedV1 | PaymentsInstructedV2 | PaymentsInstructedV3
Transfer = CreditTransfer | CreditTransferV2


def echoed(t: Transfer) -> str:
    """The transfer's end-to-end id as the batch spelt it."""
    return str(t.end_to_end_id)


def _payout(t: Transfer) -> str:
    return str(UUID(echoed(t)))  # the hyphenated payout id, whichever spelling it came in


def verdict(t: Transfer, reject_rate: float) -> str | None:
    """The reason code the transfer is rejected with, or None when it is paid."""
    if code := TEST_ACCOUNTS.get(t.creditor_account[-4:]):
        return code
    if _fraction(f"reject:{_payout(t)}") < reject_rate:
        return CODES[int(_fraction(f"code:{_payout(t)}") * len(CODES))]
    return None


def malformed(m: Batch) -> str | None:
    if m.number_of_transactions != len(m.transactions):
        return f"NbOfTxs {m.number_of_transactions} but {len(m.transactions)} transactions"
    if m.control_sum != sum((t.amount for t in m.transactions), Decimal("0.00")):
        return "CtrlSum does not add up"
    return None


def answer_ids(message_id: str) -> tuple[UUID, UUID]:
    """The event ids of a batch's status report and booking: fixed, so a repeat is recognised."""
    return uuid5(_IDS, f"{message_id}:pain.002"), uuid5(_IDS, f"{message_id}:camt.054")


def answer(
    m: Batch, reject_rate: float, now: datetime, booked_on: date
) -> tuple[PaymentStatusReportedV1, PaymentsBookedV1 | None]:
    if why := malformed(m):
        statuses = [
            TransactionStatus(end_to_end_id=echoed(t), status="RJCT", reason_code="FF01", reason=why)
            for t in m.transactions
        ]
    else:
        statuses = []
        for t in m.transactions:
            code = verdict(t, reject_rate)
            statuses.append(
                TransactionStatus(end_to_end_id=echoed(t), status="RJCT", reason_code=code, reason=REASONS[code])
                if code
                else TransactionStatus(end_to_end_id=echoed(t), status="ACCP")
            )
    accepted = {s.end_to_end_id for s in statuses if s.status == "ACCP"}
    group = "ACCP" if len(accepted) == len(statuses) else "RJCT" if not accepted else "PART"
    report = PaymentStatusReportedV1(
        message_id=f"STS{m.message_id}"[:35],
        original_message_id=m.message_id,
        group_status=group,
        created_at=now,
        transactions=statuses,
    )
    if not accepted:
        return report, None
    booked = PaymentsBookedV1(
        notification_id=f"NTF{m.message_id}"[:35],
        original_message_id=m.message_id,
        created_at=now,
        entries=[
            BookedEntry(
                end_to_end_id=echoed(t),
                amount=t.amount,
                booked_on=booked_on,
                bank_reference="CNAPS" + hashlib.sha256(_payout(t).encode()).hexdigest()[:16].upper(),
            )
            for t in m.transactions
            if echoed(t) in accepted
        ],
    )
    return report, booked
