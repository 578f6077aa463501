"""Payout batches shaped after ISO 20022 pain.001, free of I/O.

A batch's message id is derived from what it holds (its payouts' ids), so the same content always
has the same id and a different content never does: a batch cannot be sent twice with two
contents under one id.

Every identifier and text fits the ISO 20022 type of the element it becomes (`PaymentsInstructedV3`
declares them): a payout's EndToEndId is its id's 32 hex digits, and answers may echo either that or,
for batches sent before, the hyphenated id; `payout_id_of` reads both.
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from shared.events import ECHOED_END_TO_END_ID, CreditTransferV2, LedgerHead, PaymentsInstructedV3
from shared.workdays import BEIJING

MAX_MESSAGE_ID = 35  # pain.001 Max35Text
MAX_REMITTANCE = 140  # RmtInf/Ustrd, Max140Text
REMITTANCE_PREFIX = "成都区块链专项补贴"


@dataclass(frozen=True)
class Instruction:
    payout_id: UUID
    amount: Decimal
    account_name: str
    account_number: str
    bank: str
    clause: str
    award_id: UUID


def message_id(created_at: datetime, payout_ids: Sequence[UUID]) -> str:
    digest = hashlib.sha256("\n".join(sorted(str(p) for p in payout_ids)).encode()).hexdigest()[:20].upper()
    return f"SUB{created_at.astimezone(BEIJING):%Y%m%d}{digest}"[:MAX_MESSAGE_ID]


def end_to_end_id(payout_id: UUID) -> str:
    """A payout's EndToEndId: its 32 lowercase hex digits, within Max35Text (hyphenated, 36 do not fit)."""
    return payout_id.hex


def payout_id_of(echoed: str) -> UUID:
    """The payout an answer's end-to-end id names: the 32 hex digits a batch sends, or the hyphenated
    id a batch sent before them; each form names one payout and no other text is taken."""
    if not re.fullmatch(ECHOED_END_TO_END_ID, echoed):
        raise ValueError(f"{echoed!r} is not an end-to-end id the payouts were sent with")
    return UUID(echoed)


def remittance(clause: str, award_id: UUID) -> str:
    """What the applicant's statement says (Max140Text). The award id is what reconciles the payment,
    so it is kept whole; a clause id too long to fit beside it (none is today) is shortened, marked …."""
    room = MAX_REMITTANCE - len(f"{REMITTANCE_PREFIX}  award {award_id}")
    if len(clause) > room:
        clause = clause[: room - 1] + "…"
    return f"{REMITTANCE_PREFIX} {clause} award {award_id}"


def batch(
    instructions: Sequence[Instruction],
    created_at: datetime,
    *,
    debtor_name: str,
    debtor_account: str,
    execution_date: date,
    ledger_head: LedgerHead,
) -> PaymentsInstructedV3:
    """The pain.001 of these payouts, carrying the ledger's head. Text over its ISO 20022 type is
    refused (a ValidationError), never cut: the names were checked against the same limits before a
    payout was requested."""
    if not instructions:
        raise ValueError("a batch holds at least one payout")
    batch_id = message_id(created_at, [i.payout_id for i in instructions])
    return PaymentsInstructedV3(
        message_id=batch_id,
        created_at=created_at,
        number_of_transactions=len(instructions),
        control_sum=sum((i.amount for i in instructions), Decimal("0.00")),
        payment_information_id=batch_id,  # the batch's one payment information
        debtor_name=debtor_name,
        debtor_account=debtor_account,
        requested_execution_date=execution_date,
        transactions=[
            CreditTransferV2(
                end_to_end_id=end_to_end_id(i.payout_id),
                amount=i.amount,
                creditor_name=i.account_name,
                creditor_account=i.account_number,
                creditor_agent=i.bank,
                remittance_information=remittance(i.clause, i.award_id),
            )
            for i in instructions
        ],
        ledger_head=ledger_head,
    )
