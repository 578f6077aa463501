"""Payout batches shaped after ISO 20022 pain.001, free of I/O.

A batch's message id is derived from what it holds (its payouts' ids), so the same content always
has the same id and a different content never does: a batch cannot be sent twice with two
contents under one id.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from shared.events import CreditTransfer, PaymentsInstructedV1
from shared.workdays import BEIJING

MAX_MESSAGE_ID = 35  # pain.001 Max35Text


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


def batch(
    instructions: Sequence[Instruction],
    created_at: datetime,
    *,
    debtor_name: str,
    debtor_account: str,
    execution_date: date,
) -> PaymentsInstructedV1:
    if not instructions:
        raise ValueError("a batch holds at least one payout")
    return PaymentsInstructedV1(
        message_id=message_id(created_at, [i.payout_id for i in instructions]),
        created_at=created_at,
        number_of_transactions=len(instructions),
        control_sum=sum((i.amount for i in instructions), Decimal("0.00")),
        debtor_name=debtor_name,
        debtor_account=debtor_account,
        requested_execution_date=execution_date,
        transactions=[
            CreditTransfer(
                end_to_end_id=i.payout_id,
                amount=i.amount,
                creditor_name=i.account_name,
                creditor_account=i.account_number,
                creditor_agent=i.bank,
                remittance_information=f"成都区块链专项补贴 {i.clause} award {i.award_id}",
            )
            for i in instructions
        ],
    )
