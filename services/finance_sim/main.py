"""Wires the finance-system stand-in: it takes payout batches off `subsidy.finance-instructions`
(v3, and v2 and v1 ones still on the topic), keeps each, and answers it after a delay with a status
report and a booking notification. It keeps the ledger heads that come in v3 batches and as events
on the same topic, and serves the newest (heads.py)."""

import asyncio
import contextlib
import dataclasses
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from services.finance_sim import answers, heads
from services.finance_sim.settings import FinanceSimSettings
from services.finance_sim.tables import metadata, received
from shared.bootstrap import bootstrap
from shared.bulk import among
from shared.events import LedgerHeadPublishedV1, PaymentsInstructedV1, PaymentsInstructedV2, PaymentsInstructedV3
from shared.messaging import wakeups
from shared.messaging.outbox import Publisher
from shared.messaging.payloads import payload_type
from shared.service import Runtime
from shared.service import create_app as create_service_app
from shared.settings import Settings
from shared.workdays import beijing_day

# A kept batch is announced (any replica's); this is only in case an announcement was missed.
LOOK_AGAIN_S = 60.0
KEPT = wakeups.channel("finance_sim", "received")


def create_app(settings: Settings | None = None) -> FastAPI:
    if not isinstance(settings, FinanceSimSettings):
        settings = FinanceSimSettings(**(settings.model_dump() if settings else {"service_name": "finance_sim"}))
    wiring = bootstrap(settings, metadata)
    publisher, sessions = wiring.publisher, wiring.sessions
    delay = timedelta(seconds=settings.finance_sim_delay_s)

    async def batch_received(session, event, m: answers.Batch) -> None:
        kept = (
            await session.execute(
                insert(received)
                .values(
                    message_id=m.message_id,
                    ce_type=m.ce_type,
                    body=event.data,
                    answer_after=datetime.now(UTC) + delay,
                )
                .on_conflict_do_nothing()
                .returning(received.c.message_id)
            )
        ).first()
        if kept is None:
            earlier = (await session.execute(select(received).where(received.c.message_id == m.message_id))).one()
            if _batch(earlier) != m:
                raise ValueError(f"batch {m.message_id} was sent before with another content")
        if isinstance(m, PaymentsInstructedV3):
            await heads.keep(session, m.ledger_head, m.message_id)
        await wakeups.notify(session, KEPT)

    kept_one = asyncio.Event()  # a batch was kept: its answer may be due before the one awaited
    wiring.listener.subscribe(KEPT, kept_one.set)

    async def answer_due_batches() -> None:
        """Answers each batch once its delay is over, sleeping until the next is due."""
        while True:
            kept_one.clear()
            async with sessions.begin() as session:
                due = (
                    await session.execute(
                        select(received)
                        .where(received.c.answered_at.is_(None), received.c.answer_after <= datetime.now(UTC))
                        .order_by(received.c.answer_after)
                        .limit(50)
                        .with_for_update(skip_locked=True)
                    )
                ).all()
                for row in due:
                    await publisher.publish(session, *_answers(publisher, settings, row))
                if due:
                    await session.execute(
                        update(received)
                        .where(among(received.c.message_id, [r.message_id for r in due]))
                        .values(answered_at=datetime.now(UTC))
                    )
                    continue
                next_at = (
                    await session.execute(
                        select(func.min(received.c.answer_after)).where(received.c.answered_at.is_(None))
                    )
                ).scalar()
            wait_s = LOOK_AGAIN_S if next_at is None else (next_at - datetime.now(UTC)).total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(kept_one.wait(), min(max(wait_s, 0), LOOK_AGAIN_S))

    runtime = Runtime(
        wiring,
        handlers={
            "finance-sim": {
                PaymentsInstructedV3: batch_received,
                PaymentsInstructedV2: batch_received,
                PaymentsInstructedV1: batch_received,
                LedgerHeadPublishedV1: heads.head_published,
            }
        },
        workers=[answer_due_batches],
    )
    return create_service_app(
        runtime,
        configure=lambda app: app.include_router(heads.router),
        title="finance-system stand-in (development and tests only)",
    )


def _batch(row) -> answers.Batch:
    """A kept batch, read as the version it came as."""
    model = payload_type(row.ce_type)
    batch = model.model_validate_json(row.body) if model else None
    assert isinstance(batch, PaymentsInstructedV1 | PaymentsInstructedV2 | PaymentsInstructedV3), (
        f"{row.ce_type} is not a batch"
    )
    return batch


def _answers(publisher: Publisher, settings: FinanceSimSettings, row):
    m = _batch(row)
    now = datetime.now(UTC)
    report, booked = answers.answer(m, settings.finance_sim_reject_rate, now, beijing_day(now))
    report_id, booked_id = answers.answer_ids(m.message_id)
    out = [dataclasses.replace(publisher.event(report, key=m.message_id, subject=m.message_id), id=str(report_id))]
    if booked is not None:
        out.append(
            dataclasses.replace(publisher.event(booked, key=m.message_id, subject=m.message_id), id=str(booked_id))
        )
    return out
