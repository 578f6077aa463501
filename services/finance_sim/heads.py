"""The payout ledger's heads, kept as a finance system keeps what it is sent: each head that came in a
batch or as an event, never changed; the newest (the highest sequence number — a ledger never
shrinks) is served at `GET /v1/ledger/head` for `subsidy ledger verify` to hold the ledger to."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.finance_sim.tables import ledger_heads
from shared.events import LedgerHead, LedgerHeadPublishedV1
from shared.messaging.envelope import Envelope
from shared.routes import read

router = APIRouter(prefix="/v1")


async def keep(session: AsyncSession, head: LedgerHead, came_with: str) -> None:
    # The key is the whole head (its MAC covers sequence number, hash and publication time): a
    # conflict is this very head received again (a batch redelivered), with nothing that could differ.
    await session.execute(
        insert(ledger_heads)
        .values(**head.model_dump(), came_with=came_with)
        .on_conflict_do_nothing(index_elements=["seq", "hash", "mac"])
    )


async def head_published(session: AsyncSession, event: Envelope, p: LedgerHeadPublishedV1) -> None:
    await keep(session, LedgerHead(**p.model_dump()), event.id)


class KeptHead(LedgerHead):
    """The newest head received, and when and with what it came."""

    came_with: Annotated[str, Field(description="the batch's message id, or the event's id")]
    received_at: datetime


async def newest(session: AsyncSession) -> KeptHead | None:
    row = (
        await session.execute(
            select(ledger_heads).order_by(ledger_heads.c.seq.desc(), ledger_heads.c.received_at).limit(1)
        )
    ).first()
    return KeptHead(**row._mapping) if row else None


class NoHead(BaseModel):
    detail: str


@router.get(
    "/ledger/head",
    response_model=KeptHead,
    responses={404: {"model": NoHead, "description": "no head received yet"}},
    tags=["ledger"],
)
async def ledger_head(request: Request) -> KeptHead | JSONResponse:
    """The payout ledger's newest head received (highest sequence number), for `subsidy ledger verify`."""
    found = await read(request, newest)
    return found or JSONResponse({"detail": "no ledger head received yet"}, status_code=404)
