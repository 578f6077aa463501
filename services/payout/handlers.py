"""The payout service's reactions: awards become payables and payout requests; the finance
system's results settle them."""

import uuid
import zlib
from datetime import UTC, datetime

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout import ledger
from services.payout.tables import ledger as ledger_table, payouts
from shared.events import (AwardGrantedV1, PayoutFailedV1, PayoutPaidV1, PayoutRejectedV1,
                           PayoutRequestedV1, PayoutSettledV1)
from shared.messaging.consumer import Batched
from shared import observability
from shared.messaging.envelope import Envelope
from shared.service import Runtime

_LEDGER_LOCK = zlib.crc32(b"payout.ledger")


async def post(session: AsyncSession, *transactions: list[ledger.Entry]) -> None:
    """Appends balanced transactions to the hash chain, in one statement; writers take turns (a
    transaction-level lock) so that the chain stays linear."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LEDGER_LOCK})
    last = (await session.execute(
        select(ledger_table.c.hash).order_by(ledger_table.c.id.desc()).limit(1))).scalar() or ledger.GENESIS
    rows = []
    for entries in transactions:
        txn_id = uuid.uuid4()
        for e, prev, h in ledger.chained(last, txn_id, entries):
            rows.append({"txn_id": txn_id, "account": e.account, "debit": e.debit, "credit": e.credit,
                         "memo": e.memo, "prev_hash": prev, "hash": h})
            last = h
    await session.execute(insert(ledger_table), rows)


def handlers(runtime: Runtime):
    async def awards_granted(session: AsyncSession, batch: list[tuple[Envelope, AwardGrantedV1]]) -> None:
        # Recognition without money (a plaque, a white list) has nothing to pay.
        batch = [(event, p) for event, p in batch if p.amount > 0]
        if not batch:
            return
        await post(session, *(ledger.transfer(ledger.EXPENSE, ledger.payable(p.credit_code), p.amount,
                                              f"award {p.award_id} {p.clause}") for _, p in batch))
        now = datetime.now(UTC)
        requested = [(event, p, uuid.uuid5(p.award_id, "payout")) for event, p in batch]
        await session.execute(insert(payouts), [
            {"id": payout_id, "award_id": p.award_id, "application_id": p.application_id,
             "credit_code": p.credit_code, "clause": p.clause, "amount": p.amount, "status": "requested",
             "requested_at": now} for _, p, payout_id in requested])
        await runtime.publish(session, *(runtime.event(PayoutRequestedV1(
            payout_id=payout_id, award_id=p.award_id, application_id=p.application_id,
            credit_code=p.credit_code, amount=p.amount, requested_at=now),
            key=p.credit_code, subject=str(payout_id), cause=event) for event, p, payout_id in requested))

    async def payout_settled(session: AsyncSession, event: Envelope, p: PayoutSettledV1) -> None:
        payout = await _requested(session, p.payout_id)
        if payout.amount != p.amount:
            raise ValueError(f"finance settled {p.amount} for payout {p.payout_id} of {payout.amount}")
        await post(session, ledger.transfer(ledger.payable(payout.credit_code), ledger.BANK, p.amount,
                                            f"payout {p.payout_id} settled {p.bank_reference}"))
        await session.execute(update(payouts).where(payouts.c.id == p.payout_id).values(
            status="paid", settled_on=p.settled_on, bank_reference=p.bank_reference))
        observability.count_paid(session, p.amount)
        await runtime.publish(session, runtime.event(PayoutPaidV1(
            payout_id=p.payout_id, application_id=payout.application_id, credit_code=payout.credit_code,
            amount=p.amount, settled_on=p.settled_on), key=payout.credit_code, subject=str(p.payout_id),
            cause=event))

    async def payout_rejected(session: AsyncSession, event: Envelope, p: PayoutRejectedV1) -> None:
        # The award stays payable: a rejected transfer is retried by a new request, not forgotten.
        payout = await _requested(session, p.payout_id)
        await session.execute(update(payouts).where(payouts.c.id == p.payout_id).values(status="rejected"))
        await runtime.publish(session, runtime.event(PayoutFailedV1(
            payout_id=p.payout_id, application_id=payout.application_id, credit_code=payout.credit_code,
            reason=p.reason), key=payout.credit_code, subject=str(p.payout_id), cause=event))

    return {AwardGrantedV1: Batched(awards_granted), PayoutSettledV1: payout_settled,
            PayoutRejectedV1: payout_rejected}


async def _requested(session: AsyncSession, payout_id: uuid.UUID):
    payout = (await session.execute(select(payouts).where(payouts.c.id == payout_id)
                                    .with_for_update())).first()
    if payout is None:
        raise LookupError(f"unknown payout {payout_id}")
    if payout.status != "requested":
        raise ValueError(f"payout {payout_id} is already {payout.status}")
    return payout
