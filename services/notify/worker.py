"""Sends owed webhook deliveries, never inside a transaction, so that no endpoint holds up another.

A dispatcher keeps up to `concurrency` requests in flight, at most `endpoint_concurrency` of them
to any one endpoint (a partner's webhook). It claims only what it can start at once: due
deliveries (`FOR UPDATE SKIP LOCKED`, so replicas share the work), at most as many per endpoint as
that endpoint has free slots, oldest first; each claim counts the attempt and pushes
`next_attempt_at` a lease ahead. So a slow or dead endpoint holds its own few slots and nothing
else: others' deliveries are claimed and sent while it hangs. Each result is recorded in its own
short transaction; a replica that dies mid-send leaves its claims to be retried once the lease
runs out: delivery is at least once, and partners recognise repeats by `webhook-id`.

Retries follow `retries.py` (jitter over about three days; `Retry-After` honoured on 429 and 503).
A 410 Gone disables the endpoint: its pending deliveries fail with that reason, and nothing more
is sent to it until the partner registers a webhook again. Deliveries owed to a partner whose
registration was not read yet wait `registration_grace_s`, then are dropped as owed to nobody.

Before each POST the webhook's host is resolved and checked again (`shared.webhook_targets`), and
the request goes to the very address checked, so a DNS answer that changed since registration
cannot turn a delivery towards our own network. A refused target fails the delivery at once:
retrying would only be refused again. Redirects are never followed. Connections are kept open
between deliveries, but one carries requests only for the name and the address it was opened for.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import and_, bindparam, exists, func, select, text, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.notify import due, retries, signature
from services.notify.settings import NotifySettings
from services.notify.tables import application_partners, webhooks
from services.notify.tables import webhook_deliveries as d
from shared.messaging.wakeups import Listener
from shared.secretbox import SecretBox, SecretUnreadable
from shared.webhook_targets import Target, TargetRefused, TargetUnresolvable, WebhookTargets, pinned_request

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    concurrency: int = 64  # requests in flight, per replica
    endpoint_concurrency: int = 4  # of which to one endpoint
    schedule: retries.Schedule = field(default_factory=retries.Schedule)
    timeout_s: float = 5.0
    poll_interval_s: float = 1.0
    lease_s: float = 60.0  # how long a claim is its sender's alone; must outlast a request
    # How long a status change waits for its partner's registration to be read before it is
    # dropped as owed to nobody: registrations travel on their own topic and may be read late.
    registration_grace_s: float = 120.0
    legacy_signature: bool = True

    def __post_init__(self) -> None:
        if self.lease_s <= self.timeout_s:
            raise ValueError("a claim's lease must outlast the request it covers")

    @classmethod
    def from_settings(cls, s: NotifySettings) -> DeliveryPolicy:
        return cls(
            concurrency=s.webhook_concurrency,
            endpoint_concurrency=s.webhook_endpoint_concurrency,
            schedule=retries.Schedule(tuple(s.webhook_retry_schedule_s), s.webhook_retry_jitter),
            timeout_s=s.webhook_timeout_s,
            poll_interval_s=s.webhook_poll_interval_s,
            lease_s=s.webhook_lease_s,
            registration_grace_s=s.webhook_registration_grace_s,
            legacy_signature=s.webhook_legacy_signature,
        )


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    partner_id: str
    attempt: int  # which attempt this is, counting from 1
    url: str
    secret_ciphertexts: tuple[str, ...] = field(repr=False)  # the current secret first
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class Attempt:
    error: str | None  # None when the partner took the delivery
    final: bool = False  # retrying cannot help: the target is not allowed
    status_code: int | None = None
    retry_after: str | None = None


@dataclass(frozen=True)
class Sender:
    """What a delivery attempt needs besides the delivery: the HTTP client, the key that opens
    secrets, and the rules a target must pass."""

    client: httpx.AsyncClient
    box: SecretBox
    targets: WebhookTargets


def delivery_client(policy: DeliveryPolicy) -> httpx.AsyncClient:
    # No redirects: we call only what the partner registered. No proxies from the environment:
    # the connection must go to the address checked.
    return httpx.AsyncClient(
        timeout=policy.timeout_s,
        follow_redirects=False,
        trust_env=False,
        transport=PoolPerName(
            httpx.Limits(max_connections=None, max_keepalive_connections=policy.endpoint_concurrency)
        ),
    )


class PoolPerName(httpx.AsyncBaseTransport):
    """Keeps connections alive between deliveries, each for the name it was opened for alone.

    A request goes to the address just checked (`pinned_request`), so a pool would key its
    connections by that address only; but a connection opened for one name (its TLS certificate
    checked for that name) must not carry a request for another name that resolves to the same
    address. So each name (the Host header: name and port) has its own pool, and within it a
    connection is reused only for the same address, checked again before every request."""

    def __init__(self, limits: httpx.Limits):
        self.limits = limits
        self.tls = httpx.create_ssl_context()  # the CA bundle loaded once, not once per name
        self.pools: dict[tuple[str, str], httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        name = (request.url.scheme, request.headers["host"])
        if name not in self.pools:
            self.pools[name] = httpx.AsyncHTTPTransport(verify=self.tls, limits=self.limits, trust_env=False)
        return await self.pools[name].handle_async_request(request)

    async def aclose(self) -> None:
        await asyncio.gather(*(pool.aclose() for pool in self.pools.values()))


class Dispatcher:
    """Keeps the pool full without letting any endpoint take more than its share of it."""

    def __init__(
        self, sessions: async_sessionmaker, sender: Sender, policy: DeliveryPolicy, woken: asyncio.Event | None = None
    ):
        self.sessions, self.sender, self.policy = sessions, sender, policy
        self.in_flight: Counter[str] = Counter()  # partner → requests in flight
        self.tasks: set[asyncio.Task] = set()
        self._freed = woken or asyncio.Event()  # a slot freed up, or deliveries were announced

    async def run(self) -> None:
        try:
            while True:
                self._freed.clear()  # before claiming: what frees a slot or falls due from now on wakes the next pass
                try:
                    await attach_partners(self.sessions)
                    await settle(self.sessions, self.policy)
                    started = await self.fill()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The database being away must not end the loop: claims simply wait.
                    log.exception("webhook delivery pass failed; retrying")
                    started = 0
                if started and len(self.tasks) < self.policy.concurrency:
                    continue  # there may be more due right now
                # Until a slot frees up, a delivery is announced, or the next one falls due.
                await due.sleep(self.sessions, d, self._freed, self.policy.poll_interval_s)
        finally:
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def fill(self) -> int:
        free = self.policy.concurrency - len(self.tasks)
        if free <= 0:
            return 0
        claimed = await claim(self.sessions, self.policy, free, self.in_flight)
        for c in claimed:
            self.in_flight[c.partner_id] += 1
            task = asyncio.create_task(self._send(c))
            self.tasks.add(task)
        return len(claimed)

    async def _send(self, c: Claimed) -> None:
        try:
            await send(self.sessions, self.sender, self.policy, c)
        except Exception as e:  # its lease runs out, and it is sent again
            log.error("recording webhook delivery %s failed: %r", c.id, e)
        finally:
            self.in_flight[c.partner_id] -= 1
            if not self.in_flight[c.partner_id]:
                del self.in_flight[c.partner_id]
            self.tasks.discard(asyncio.current_task())
            self._freed.set()


def delivery_worker(
    sessions: async_sessionmaker, policy: DeliveryPolicy, box: SecretBox, targets: WebhookTargets, listener: Listener
) -> Callable[[], Awaitable[None]]:
    announced = asyncio.Event()
    listener.subscribe(due.CHANNEL, announced.set)

    async def deliver_webhooks() -> None:
        async with delivery_client(policy) as client:
            await Dispatcher(sessions, Sender(client, box, targets), policy, announced).run()

    return deliver_webhooks


async def attach_partners(sessions: async_sessionmaker) -> None:
    """Deliveries enqueued before their application's partner was known go to that partner now."""
    async with sessions.begin() as s:
        await s.execute(
            update(d)
            .where(d.c.partner_id.is_(None), d.c.application_id == application_partners.c.application_id)
            .values(partner_id=application_partners.c.partner_id)
        )


async def settle(sessions: async_sessionmaker, policy: DeliveryPolicy) -> None:
    """Due deliveries that nothing can be sent for, all at once (the per-endpoint slots are for
    sending): those of a disabled endpoint fail; those of a partner with no webhook registered are
    dropped as owed to nobody once the registration grace is over, and otherwise looked at again
    when it ends, in case the registration is only read late."""
    due = and_(d.c.status == "pending", d.c.partner_id.is_not(None), d.c.next_attempt_at <= func.now())
    registered = exists().where(webhooks.c.partner_id == d.c.partner_id, webhooks.c.url != "")
    disabled = exists().where(webhooks.c.partner_id == d.c.partner_id, webhooks.c.disabled_at.is_not(None))
    grace_ends = d.c.created_at + timedelta(seconds=policy.registration_grace_s)
    async with sessions.begin() as s:
        await s.execute(
            update(d)
            .where(due, registered, disabled)
            .values(status="failed", last_error="endpoint disabled (it answered 410 Gone); register the webhook again")
        )
        await s.execute(d.delete().where(due, ~registered, grace_ends <= func.now()))
        await s.execute(update(d).where(due, ~registered, grace_ends > func.now()).values(next_attempt_at=grace_ends))


# Due deliveries, at most `slots - in flight` per partner, oldest first. The window ranks only the
# due ones (the partial index); the outer query locks what it takes and skips what another replica
# holds, re-checking that each is still due.
_DUE = text("""
SELECT id, partner_id, attempts, body, created_at FROM notify.webhook_deliveries
WHERE id IN (
    SELECT id FROM (
        SELECT id, next_attempt_at, row_number() OVER (PARTITION BY partner_id ORDER BY next_attempt_at) AS n,
               partner_id
        FROM notify.webhook_deliveries
        WHERE status = 'pending' AND partner_id IS NOT NULL AND next_attempt_at <= now()
    ) ranked
    LEFT JOIN unnest(CAST(:busy AS text[]), CAST(:busy_counts AS int[])) AS busy(partner, n_busy)
           ON busy.partner = ranked.partner_id
    WHERE ranked.n <= :per_endpoint - COALESCE(busy.n_busy, 0)
    ORDER BY ranked.next_attempt_at
    LIMIT :limit)
  AND status = 'pending' AND next_attempt_at <= now()
ORDER BY next_attempt_at
FOR UPDATE SKIP LOCKED
""")


async def claim(
    sessions: async_sessionmaker, policy: DeliveryPolicy, limit: int, in_flight: Counter[str] | None = None
) -> list[Claimed]:
    busy = in_flight or Counter()
    async with sessions.begin() as s:
        due = (
            await s.execute(
                _DUE,
                {
                    "busy": list(busy),
                    "busy_counts": list(busy.values()),
                    "per_endpoint": policy.endpoint_concurrency,
                    "limit": limit,
                },
            )
        ).all()
        if not due:
            return []
        hooks = {
            w.partner_id: w
            for w in (
                await s.execute(
                    select(webhooks).where(webhooks.c.partner_id.in_({r.partner_id for r in due}), webhooks.c.url != "")
                )
            ).all()
        }
        now = (await s.execute(select(func.now()))).scalar_one()
        claimed = []
        for r in due:
            hook = hooks.get(r.partner_id)
            if hook is None or hook.disabled_at:
                continue  # unregistered or disabled since `settle` ran: the next pass settles it
            secrets = (hook.secret_ciphertext,) + (
                (hook.previous_secret_ciphertext,)
                if hook.previous_secret_ciphertext and hook.previous_secret_until and hook.previous_secret_until > now
                else ()
            )
            claimed.append(Claimed(r.id, r.partner_id, r.attempts + 1, hook.url, secrets, r.body))
        if claimed:
            await s.execute(
                update(d)
                .where(d.c.id == bindparam("claimed_id"))
                .values(
                    attempts=bindparam("attempt"),
                    url=bindparam("to_url"),
                    next_attempt_at=now + timedelta(seconds=policy.lease_s),
                ),
                [{"claimed_id": c.id, "attempt": c.attempt, "to_url": c.url} for c in claimed],
            )
    return claimed


async def send(sessions: async_sessionmaker, sender: Sender, policy: DeliveryPolicy, c: Claimed) -> None:
    attempt = await post(sender, c, policy)
    code = {"last_status_code": attempt.status_code}
    gone = attempt.status_code is not None and retries.verdict(attempt.status_code) is retries.Verdict.GONE
    if attempt.error is None:
        outcome: dict[str, object] = {"status": "delivered", "delivered_at": func.now(), "last_error": None}
    elif gone:
        outcome = {"status": "failed", "last_error": "HTTP 410: endpoint disabled; register the webhook again"}
        log.warning("webhook of %s answered 410 Gone: disabled", c.partner_id)
    elif (
        attempt.final
        or (
            delay := retries.next_delay(
                policy.schedule, c.attempt, attempt.status_code, attempt.retry_after, datetime.now(UTC)
            )
        )
        is None
    ):
        outcome = {"status": "failed", "last_error": attempt.error}
        log.warning("webhook delivery %s failed for good after %d attempts: %s", c.id, c.attempt, attempt.error)
    else:
        outcome = {"last_error": attempt.error, "next_attempt_at": func.now() + timedelta(seconds=delay)}
    async with sessions.begin() as s:
        # Only while the claim is still ours: a sender whose lease ran out reports nothing.
        done = await s.execute(update(d).where(d.c.id == c.id, d.c.attempts == c.attempt).values(**outcome, **code))
        if gone and done.rowcount:
            await s.execute(
                update(webhooks)
                .where(webhooks.c.partner_id == c.partner_id, webhooks.c.url == c.url)
                .values(disabled_at=func.now(), disabled_reason=f"410 Gone from {c.url}")
            )


def signed_headers(secrets: list[str], c: Claimed, now: int, legacy: bool) -> dict[str, str]:
    # Signed at send time, not at enqueue time: a retry must not look like a replay.
    headers = {
        "Content-Type": "application/json",
        "X-Subsidy-Delivery": str(c.id),
        **signature.standard_headers(secrets, str(c.id), now, c.body),
    }
    if legacy:
        headers["X-Subsidy-Signature"] = f"t={now}," + ",".join(f"v1={signature.sign(s, now, c.body)}" for s in secrets)
    return headers


async def post(sender: Sender, c: Claimed, policy: DeliveryPolicy) -> Attempt:
    """One attempt: taken by the partner (any 2xx), or why not."""
    try:
        secrets = [sender.box.open(sealed) for sealed in c.secret_ciphertexts]
    except SecretUnreadable as e:  # SECRETS_KEY lost its old key: retried once an operator restores it
        return Attempt(f"SecretUnreadable: {e}")
    headers = signed_headers(secrets, c, int(time.time()), policy.legacy_signature)
    try:
        # httpx's timeout bounds each read, not the exchange: a slow drip must not outlast the lease.
        async with asyncio.timeout(policy.timeout_s):
            target = await sender.targets.check(c.url)
            response = await _post_to_checked_address(sender.client, target, c.body, headers)
    except TargetUnresolvable as e:  # DNS may answer again later
        return Attempt(f"unresolvable: {e.message_en}")
    except TargetRefused as e:
        return Attempt(f"refused: {e.message_en}", final=True)
    except Exception as e:  # unreachable, timed out, a url httpx cannot use: all the same to us
        return Attempt(f"{type(e).__name__}: {e}"[:500])
    if response.is_success:
        return Attempt(None, status_code=response.status_code)
    return Attempt(
        f"HTTP {response.status_code}: {response.text[:200]}",
        status_code=response.status_code,
        retry_after=response.headers.get("retry-after"),
    )


async def _post_to_checked_address(
    client: httpx.AsyncClient, target: Target, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    """POSTs to the addresses just checked, in the resolver's order, never to a fresh lookup."""
    unreachable: Exception | None = None
    for address in target.addresses:
        url, host, extensions = pinned_request(target, address)
        try:
            return await client.post(url, content=body, headers=headers | host, extensions=extensions)
        except httpx.ConnectError as e:  # another address of the name may answer
            unreachable = e
    raise unreachable or httpx.ConnectError(f"{target.host} has no address")
