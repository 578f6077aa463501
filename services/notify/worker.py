"""Sends owed webhook deliveries, retrying with exponential backoff, never inside a transaction.

Each pass: attach deliveries that waited for their application's partner, then claim due ones
(`FOR UPDATE SKIP LOCKED`, so replicas share the work) by counting the attempt and pushing
`next_attempt_at` a lease ahead, commit, POST them, and record each result in its own short
transaction. A replica that dies mid-send leaves its claims to be retried once the lease runs
out: delivery is at least once, and partners recognise repeats by `X-Subsidy-Delivery`.
Deliveries of one application may arrive out of order; `occurred_at` orders them.

Before each POST the webhook's host is resolved and checked again (`shared.webhook_targets`), and
the request goes to the very address checked, so a DNS answer that changed since registration
cannot turn a delivery towards our own network. A refused target fails the delivery at once:
retrying would only be refused again. Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.notify import signature
from services.notify.tables import application_partners, webhook_deliveries as d, webhooks
from shared.secretbox import SecretBox, SecretUnreadable
from shared.service import Runtime
from shared.webhook_targets import Target, TargetRefused, TargetUnresolvable, WebhookTargets, pinned_request

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 12
    first_retry_s: float = 1.0  # then 2, 4, 8 … up to max_retry_s: about 34 minutes in all
    max_retry_s: float = 3600.0
    timeout_s: float = 5.0
    poll_interval_s: float = 1.0
    batch_size: int = 20
    lease_s: float = 60.0  # how long a claim is its sender's alone; must outlast a request
    # How long a status change waits for its partner's registration to be read before it is
    # dropped as owed to nobody: registrations travel on their own topic and may be read late.
    registration_grace_s: float = 120.0

    def __post_init__(self) -> None:
        if self.lease_s <= self.timeout_s:
            raise ValueError("a claim's lease must outlast the request it covers")

    def retry_delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.first_retry_s * 2 ** (attempts - 1), self.max_retry_s))


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    attempt: int  # which attempt this is, counting from 1
    url: str
    secret_ciphertext: str = field(repr=False)
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class Attempt:
    error: str | None  # None when the partner took the delivery
    final: bool = False  # retrying cannot help: the target is not allowed


@dataclass(frozen=True)
class Sender:
    """What a delivery attempt needs besides the delivery: the HTTP client, the key that opens
    secrets, and the rules a target must pass."""
    client: httpx.AsyncClient
    box: SecretBox
    targets: WebhookTargets


def delivery_client(policy: DeliveryPolicy) -> httpx.AsyncClient:
    # No redirects: we call only what the partner registered. No proxies from the environment:
    # the connection must go to the address checked. No kept-alive connections: one opened for a
    # name must not be reused for another name that resolves to the same address.
    return httpx.AsyncClient(timeout=policy.timeout_s, follow_redirects=False, trust_env=False,
                             limits=httpx.Limits(max_keepalive_connections=0))


def delivery_worker(runtime: Runtime, policy: DeliveryPolicy, box: SecretBox,
                    targets: WebhookTargets) -> Callable[[], Awaitable[None]]:
    async def deliver_webhooks() -> None:
        async with delivery_client(policy) as client:
            sender = Sender(client, box, targets)
            while True:
                try:
                    await attach_partners(runtime.sessions)
                    sent = await deliver_due(runtime.sessions, sender, policy)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The database being away must not end the loop: claims simply wait.
                    log.exception("webhook delivery pass failed; retrying")
                    sent = 0
                if sent < policy.batch_size:
                    await asyncio.sleep(policy.poll_interval_s)
    return deliver_webhooks


async def deliver_due(sessions: async_sessionmaker, sender: Sender, policy: DeliveryPolicy) -> int:
    claimed = await claim(sessions, policy)
    results = await asyncio.gather(*(send(sessions, sender, policy, c) for c in claimed),
                                   return_exceptions=True)
    for c, result in zip(claimed, results):
        if isinstance(result, Exception):  # its lease runs out, and it is sent again
            log.error("recording webhook delivery %s failed: %r", c.id, result)
    return len(claimed)


async def attach_partners(sessions: async_sessionmaker) -> None:
    """Deliveries enqueued before their application's partner was known go to that partner now."""
    async with sessions.begin() as s:
        await s.execute(update(d).where(d.c.partner_id.is_(None),
                                        d.c.application_id == application_partners.c.application_id)
                        .values(partner_id=application_partners.c.partner_id))


async def claim(sessions: async_sessionmaker, policy: DeliveryPolicy) -> list[Claimed]:
    async with sessions.begin() as s:
        due = (await s.execute(
            select(d.c.id, d.c.partner_id, d.c.attempts, d.c.body, d.c.created_at)
            .where(d.c.status == "pending", d.c.partner_id.is_not(None), d.c.next_attempt_at <= func.now())
            .order_by(d.c.next_attempt_at).limit(policy.batch_size)
            .with_for_update(skip_locked=True))).all()
        if not due:
            return []
        hooks = {w.partner_id: w for w in (await s.execute(
            select(webhooks).where(webhooks.c.partner_id.in_({r.partner_id for r in due}),
                                   webhooks.c.url != ""))).all()}
        grace_ends = {r.id: r.created_at + timedelta(seconds=policy.registration_grace_s) for r in due}
        now = (await s.execute(select(func.now()))).scalar_one()
        unregistered = [r.id for r in due if r.partner_id not in hooks]
        if dropped := [i for i in unregistered if grace_ends[i] <= now]:
            await s.execute(delete(d).where(d.c.id.in_(dropped)))  # owed to nobody
        for waiting in (i for i in unregistered if grace_ends[i] > now):
            # Look once more when the grace ends, in case the registration was only read late.
            await s.execute(update(d).where(d.c.id == waiting).values(next_attempt_at=grace_ends[waiting]))
        claimed = [Claimed(r.id, r.attempts + 1, hooks[r.partner_id].url, hooks[r.partner_id].secret_ciphertext,
                           r.body)
                   for r in due if r.partner_id in hooks]
        lease_ends = func.now() + timedelta(seconds=policy.lease_s)
        for c in claimed:
            await s.execute(update(d).where(d.c.id == c.id).values(
                attempts=c.attempt, url=c.url, next_attempt_at=lease_ends))
    return claimed


async def send(sessions: async_sessionmaker, sender: Sender, policy: DeliveryPolicy, c: Claimed) -> None:
    attempt = await post(sender, c, policy.timeout_s)
    if attempt.error is None:
        outcome = {"status": "delivered", "delivered_at": func.now(), "last_error": None}
    elif attempt.final or c.attempt >= policy.max_attempts:
        outcome = {"status": "failed", "last_error": attempt.error}
        log.warning("webhook delivery %s failed for good after %d attempts: %s", c.id, c.attempt, attempt.error)
    else:
        outcome = {"last_error": attempt.error, "next_attempt_at": func.now() + policy.retry_delay(c.attempt)}
    async with sessions.begin() as s:
        # Only while the claim is still ours: a sender whose lease ran out reports nothing.
        await s.execute(update(d).where(d.c.id == c.id, d.c.attempts == c.attempt).values(**outcome))


async def post(sender: Sender, c: Claimed, timeout_s: float) -> Attempt:
    """One attempt: taken by the partner (any 2xx), or why not."""
    try:
        secret = sender.box.open(c.secret_ciphertext)
    except SecretUnreadable as e:  # SECRETS_KEY lost its old key: retried once an operator restores it
        return Attempt(f"SecretUnreadable: {e}")
    # Signed at send time, not at enqueue time: a retry must not look like a replay.
    headers = {"Content-Type": "application/json", "X-Subsidy-Delivery": str(c.id),
               "X-Subsidy-Signature": signature.signature_header(secret, int(time.time()), c.body)}
    try:
        # httpx's timeout bounds each read, not the exchange: a slow drip must not outlast the lease.
        async with asyncio.timeout(timeout_s):
            target = await sender.targets.check(c.url)
            response = await _post_to_checked_address(sender.client, target, c.body, headers)
    except TargetUnresolvable as e:  # DNS may answer again later
        return Attempt(f"unresolvable: {e.message_en}")
    except TargetRefused as e:
        return Attempt(f"refused: {e.message_en}", final=True)
    except Exception as e:  # unreachable, timed out, a url httpx cannot use: all the same to us
        return Attempt(f"{type(e).__name__}: {e}"[:500])
    if response.is_success:
        return Attempt(None)
    return Attempt(f"HTTP {response.status_code}: {response.text[:200]}")


async def _post_to_checked_address(client: httpx.AsyncClient, target: Target, body: bytes,
                                   headers: dict[str, str]) -> httpx.Response:
    """POSTs to the addresses just checked, in the resolver's order, never to a fresh lookup."""
    unreachable: Exception | None = None
    for address in target.addresses:
        url, host, extensions = pinned_request(target, address)
        try:
            return await client.post(url, content=body, headers=headers | host, extensions=extensions)
        except httpx.ConnectError as e:  # another address of the name may answer
            unreachable = e
    raise unreachable or httpx.ConnectError(f"{target.host} has no address")
