"""The ledger's head, published outside payout's database so that a book cut back or emptied by
whoever can write to it is found (see domain/chain.py): inside every batch to the finance system, in
each ledger report, and as `LedgerHeadPublishedV1` whenever the chain has grown. The finance system
keeps every head it receives; `subsidy ledger verify` asks it for the newest."""

import asyncio
import json
import logging
import zlib
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout.books import newest
from services.payout.context import Context
from services.payout.domain import chain
from shared.events import LedgerHead, LedgerHeadPublishedV1
from shared.messaging import wakeups
from shared.messaging.wakeups import Listener

log = logging.getLogger(__name__)
ANCHOR_LOCK = zlib.crc32(b"payout.ledger-head")
KEY = "ledger"  # every head on one key: they stay in order
GREW = wakeups.channel("payout", "ledger")
LOOK_AGAIN_S = 60.0


async def current(session: AsyncSession, ctx: Context) -> chain.Head:
    """The head of the book as this transaction sees it, signed now."""
    seq, hash_ = await newest(session)
    return chain.head(ctx.key, seq, hash_, ctx.now())


def as_payload(head: chain.Head) -> LedgerHead:
    return LedgerHead(seq=head.seq, hash=head.hash, published_at=head.published_at, key_id=head.key_id, mac=head.mac)


def as_json(head: chain.Head) -> dict:
    return as_payload(head).model_dump(mode="json")


def from_json(data: object) -> chain.Head:
    """A head as published (a batch's `ledger_head`, the event's data, the finance system's answer,
    a report's); pydantic's ValidationError names what is wrong with it."""
    if not isinstance(data, dict):
        raise ValueError("a ledger head is a JSON object: seq, hash, published_at, key_id, mac")
    # The finance system's answer says also when and with what it came: not part of the head.
    h = LedgerHead.model_validate({k: v for k, v in data.items() if k in LedgerHead.model_fields})
    return chain.Head(h.seq, h.hash, h.published_at, h.key_id, h.mac)


async def publish(session: AsyncSession, ctx: Context, head: chain.Head) -> None:
    await ctx.publisher.publish(
        session, ctx.publisher.event(LedgerHeadPublishedV1(**as_json(head)), key=KEY, subject=KEY)
    )


def publisher(sessions, ctx: Context, listener: Listener, interval_s: float):
    """A loop that publishes the head whenever the chain has grown since it last did (and once at
    start), at most every `interval_s`; one replica at a time, though two publishing the same head
    would do no harm. It sleeps while the chain does not grow: the database announces every append
    (migration 0010), and it looks on its own only every LOOK_AGAIN_S, in case one was lost."""
    grew = asyncio.Event()
    listener.subscribe(GREW, grew.set)

    async def publish_ledger_heads() -> None:
        last: tuple[int, str] | None = None
        while True:
            grew.clear()  # before reading the head: an append from now on wakes the next round
            async with sessions.begin() as session:
                if (await session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": ANCHOR_LOCK})).scalar():
                    head = await current(session, ctx)
                    if head.seq and (head.seq, head.hash) != last:
                        await publish(session, ctx, head)
                        last = (head.seq, head.hash)
                        log.info("published ledger head #%d", head.seq)
            await asyncio.sleep(interval_s)
            await wakeups.sleep(grew, LOOK_AGAIN_S)

    return publish_ledger_heads


def read(source: str) -> chain.Head | None:
    """A head from a file (JSON) or a URL (the finance system's `GET /v1/ledger/head`, or any URL
    answering a head as JSON); None when the URL answers 404 (nothing published yet). OSError,
    httpx.HTTPError or ValueError when it cannot be read."""
    if source.startswith(("http://", "https://")):
        answer = httpx.get(source, timeout=10)
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        data = answer.json()
    else:
        data = json.loads(Path(source).read_text())
    return from_json(data.get("ledger_head", data) if isinstance(data, dict) else data)
