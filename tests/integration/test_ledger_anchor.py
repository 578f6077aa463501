"""The ledger's head, published outside payout's database, against real PostgreSQL, a real broker and
the finance stand-in as its own process: books wiped by a database superuser, or cut by their newest
transfer, fail `subsidy ledger verify` naming the head the finance system kept — though the chain
that remains is intact — and the ledger key and the secrets key rotate under load with the ledger
verifying throughout and, while a partner rotates its webhook secret, both secrets signing."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from sqlalchemy import func, insert, select
from standardwebhooks.webhooks import Webhook

from services.console.tables import accounts as console_accounts
from services.keys_cli import reseal_all
from services.notify.main import create_app as notify_app
from services.notify.retries import Schedule
from services.notify.tables import webhooks
from services.notify.worker import DeliveryPolicy
from services.payout.domain.keys import derived_id
from services.payout.main import create_app as payout_app
from services.payout.tables import awards, transfers
from shared import topics
from shared.events import AwardGrantedV1, WebhookRegisteredV2
from shared.messaging.envelope import Envelope
from shared.secretbox import SecretBox, new_key, sealed_with
from shared.stack import ServiceProcess, free_port
from shared.webhook_secrets import new_secret
from tests.builders import applicant_code, award
from tests.conftest import LEDGER_KEY, SECRETS_KEY, new_stack
from tests.integration.test_webhooks import application_decided, settled
from tests.kafka_tools import eventually, publish
from tests.money_tools import fund, payee_provided
from tests.wiring import wired

pytestmark = pytest.mark.integration
NAME = "成都链网科技有限公司"
BOOKS = ("transfers", "accounts", "awards", "payouts", "batches", "clawbacks")


@pytest.fixture
async def books(postgres, tmp_path, monkeypatch):
    """A fresh database and broker (these tests wipe payout's books), and the finance stand-in as its
    own process; payout publishes its head as soon as the chain grows."""
    monkeypatch.setenv("LEDGER_HEAD_INTERVAL_S", "0.2")
    stack = await new_stack(postgres, tmp_path)
    finance = ServiceProcess("finance_sim", free_port(), stack.env(), tmp_path / "finance_sim.log").start()
    try:
        await asyncio.to_thread(finance.wait_ready)
        yield stack, finance
    finally:
        finance.stop()
        stack.broker.stop()


def head_url(finance: ServiceProcess) -> str:
    return f"{finance.url}/v1/ledger/head"


def payee(event: Envelope) -> Envelope:
    return payee_provided(AwardGrantedV1.model_validate_json(event.data), NAME)[0]


async def granted(stack, first: int, n: int) -> list[uuid.UUID]:
    """`n` awards of 100.00, each with its applicant's bank details: payout books them, sends them to
    the finance system, and posts them once it books them."""
    events = [award(applicant_code(first + i), "100.00") for i in range(n)]
    await publish(stack.bootstrap_servers, topics.AWARDS, *events)
    await publish(stack.bootstrap_servers, topics.PAYEES, *(payee(e) for e in events))
    return [AwardGrantedV1.model_validate_json(e.data).award_id for e in events]


async def all_paid(runtime, ids: list[uuid.UUID]) -> None:
    async def paid():
        async with runtime.wiring.sessions() as s:
            query = select(func.count()).where(awards.c.award_id.in_(ids), awards.c.state == "paid")
            return (await s.execute(query)).scalar_one() == len(ids)

    await eventually(paid, timeout_s=90)


async def newest_row(stack) -> asyncpg.Record | None:
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        return await db.fetchrow("SELECT seq, hash, key_id FROM payout.transfers ORDER BY seq DESC LIMIT 1")
    finally:
        await db.close()


async def head_caught_up(stack, finance: ServiceProcess) -> dict:
    """The finance system's newest head, once it is the book's newest row."""
    newest = await newest_row(stack)
    assert newest is not None

    async def kept():
        async with httpx.AsyncClient() as client:
            answer = await client.get(head_url(finance))
        return answer.status_code == 200 and answer.json()["seq"] == newest["seq"] and answer.json()

    head = await eventually(kept, timeout_s=30)
    assert head["hash"] == newest["hash"]
    return head


def verify(stack, *args: str, **env: str | None) -> subprocess.CompletedProcess:
    """`subsidy ledger verify` as an operator runs it; `env` adds settings (None removes one)."""
    given = {**os.environ, **stack.env(), **env}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "ledger", "verify", *args],
        env={k: v for k, v in given.items() if v is not None},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def as_superuser(stack, *statements: str) -> None:
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        async with db.transaction():
            for statement in statements:
                await db.execute(statement)
    finally:
        await db.close()


async def test_books_wiped_by_a_superuser_fail_verification_naming_the_head_the_finance_system_kept(books):
    stack, finance = books
    await fund(stack.database_url)
    runtime = payout_app(stack.settings("payout")).state.runtime
    await runtime.start()
    try:
        await all_paid(runtime, await granted(stack, 9700, 3))
        head = await head_caught_up(stack, finance)
    finally:
        await runtime.stop()
    intact = await asyncio.to_thread(verify, stack, "--head", head_url(finance))
    assert intact.returncode == 0, intact.stderr
    assert f"holding published head #{head['seq']}" in intact.stdout

    await as_superuser(
        stack,
        "ALTER TABLE payout.transfers DISABLE TRIGGER transfers_append_only",
        f"TRUNCATE {', '.join(f'payout.{t}' for t in BOOKS)} CASCADE",
        "ALTER TABLE payout.transfers ENABLE TRIGGER transfers_append_only",
    )
    # The chain alone has nothing to object to: an empty book is a whole chain.
    blind = await asyncio.to_thread(verify, stack)
    assert blind.returncode == 0 and "0 transfer(s)" in blind.stdout and "no published head" in blind.stdout

    wiped = await asyncio.to_thread(verify, stack, "--head", head_url(finance))
    assert wiped.returncode == 1, wiped.stdout
    assert f"published head #{head['seq']} (hash {head['hash'][:16]}…, published at " in wiped.stderr
    assert "is missing from the book (the book is empty)" in wiped.stderr


async def test_the_newest_transfer_deleted_by_a_superuser_fails_verification_naming_the_head(books, tmp_path):
    stack, finance = books
    await fund(stack.database_url)
    runtime = payout_app(stack.settings("payout")).state.runtime
    await runtime.start()
    try:
        await all_paid(runtime, await granted(stack, 9800, 2))
        head = await head_caught_up(stack, finance)
    finally:
        await runtime.stop()
    # A ledger report carries the head as of it: the finance official keeps it beside the report.
    report = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli", "ledger", "report"],
        env={**os.environ, **stack.env()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert report.returncode == 0, report.stderr
    [reported] = [line.removeprefix("ledger head: ") for line in report.stderr.splitlines() if "ledger head:" in line]
    assert json.loads(reported)["seq"] == head["seq"]
    (kept := tmp_path / "head.json").write_text(reported)

    # The superuser deletes the newest transfer and mends the balances it moved: the chain that remains,
    # and the balances, now agree with each other.
    newest = await newest_row(stack)
    assert newest is not None
    await as_superuser(
        stack,
        "ALTER TABLE payout.transfers DISABLE TRIGGER transfers_append_only",
        f"""
        WITH gone AS (DELETE FROM payout.transfers WHERE seq = {newest["seq"]} RETURNING *),
        moved AS (
            SELECT gone.debit, gone.credit, gone.amount, gone.kind, coalesce(p.amount, 0) AS pending
              FROM gone LEFT JOIN payout.transfers p ON p.id = gone.pending_id)
        UPDATE payout.accounts a SET
            debits_posted = debits_posted - CASE WHEN a.id = m.debit AND m.kind IN ('posted', 'post')
                                                 THEN m.amount ELSE 0 END,
            credits_posted = credits_posted - CASE WHEN a.id = m.credit AND m.kind IN ('posted', 'post')
                                                   THEN m.amount ELSE 0 END,
            debits_pending = debits_pending + CASE WHEN a.id <> m.debit THEN 0
                                                   WHEN m.kind = 'pending' THEN -m.amount
                                                   WHEN m.kind IN ('post', 'void') THEN m.pending ELSE 0 END,
            credits_pending = credits_pending + CASE WHEN a.id <> m.credit THEN 0
                                                     WHEN m.kind = 'pending' THEN -m.amount
                                                     WHEN m.kind IN ('post', 'void') THEN m.pending ELSE 0 END
          FROM moved m WHERE a.id IN (m.debit, m.credit)
        """,
        "ALTER TABLE payout.transfers ENABLE TRIGGER transfers_append_only",
    )
    blind = await asyncio.to_thread(verify, stack)
    assert blind.returncode == 0, blind.stderr  # the chain and the balances alone cannot show the cut

    for source in (head_url(finance), str(kept)):
        cut = await asyncio.to_thread(verify, stack, "--head", source)
        assert cut.returncode == 1, cut.stdout
        assert f"published head #{head['seq']} (hash {head['hash'][:16]}…" in cut.stderr
        assert f"is missing from the book (the book holds rows up to #{head['seq'] - 1})" in cut.stderr


def registered(partner_id: str, url: str, secret: str, box: SecretBox) -> Envelope:
    """What intake publishes when a partner registers its webhook: the secret sealed with `box`."""
    p = WebhookRegisteredV2(
        partner_id=partner_id, url=url, secret_ciphertext=box.seal(secret), registered_at=datetime.now(UTC)
    )
    return Envelope.of(p, source="/subsidy/intake", key=partner_id, subject=partner_id)


def notify_runtime(stack, secrets_key: str):
    quick = DeliveryPolicy(poll_interval_s=0.05, schedule=Schedule((0.05,) * 12, jitter=0))
    settings = stack.settings("notify", webhook_allow_private_targets=True, secrets_key=secrets_key)
    return notify_app(settings, webhooks=quick).state.runtime


@pytest.mark.timeout(300)  # its own waits (up to 90 s for the last payment) say what is missing first
async def test_keys_rotated_under_load_keep_the_ledger_verifying_and_both_webhook_secrets_sign(
    books, monkeypatch, receiver
):
    stack, finance = books
    old_box, rotated_keys = SecretBox(SECRETS_KEY), f"{new_key()},{SECRETS_KEY}"
    new_ledger_key = new_key()
    old_id, new_id = derived_id(LEDGER_KEY.encode()), derived_id(new_ledger_key.encode())
    await fund(stack.database_url)
    async with wired(stack.database_url, "console") as console, console.sessions.begin() as s:
        await s.execute(
            insert(console_accounts).values(
                name="rotation-clerk", role="reviewer", password_hash="-", api_key_sealed=old_box.seal("sk_clerk")
            )
        )
    payout_before, notify_before = (
        payout_app(stack.settings("payout")).state.runtime,
        notify_runtime(stack, SECRETS_KEY),
    )
    await payout_before.start()
    await notify_before.start()
    partner, first_secret, second_secret = f"district-{uuid.uuid4().hex[:8]}", new_secret(), new_secret()
    await publish(stack.bootstrap_servers, topics.PARTNERS, registered(partner, receiver.url, first_secret, old_box))

    async def load() -> list[uuid.UUID]:  # awards keep coming, in waves, while the keys rotate
        ids = []
        for wave in range(8):
            ids += await granted(stack, 9900 + 5 * wave, 5)
            await asyncio.sleep(0.3)
        return ids

    stream = asyncio.create_task(load())
    payout_after = notify_after = None
    try:
        await eventually(lambda: _rows(notify_before, webhooks.c.partner_id == partner))
        await eventually(lambda: _rows(payout_before, transfers.c.code == "reserve"))
        # Rotation: replicas on the new keys join while the old ones still work, then the old ones stop.
        monkeypatch.setenv("LEDGER_KEYS", f"{new_id}:{new_ledger_key},{old_id}:{LEDGER_KEY}")
        payout_after, notify_after = (
            payout_app(stack.settings("payout")).state.runtime,
            notify_runtime(stack, rotated_keys),
        )
        await payout_after.start()
        await notify_after.start()
        await payout_before.stop()
        await notify_before.stop()
        resealed = await reseal_all(rotated_keys, stack.database_url)
        assert resealed == {"notify": 1, "console": 1}

        # The partner rotates its signing secret (intake, on the new key list, seals it with the new key):
        # during the overlap every delivery carries both signatures, and either secret verifies it.
        await publish(
            stack.bootstrap_servers,
            topics.PARTNERS,
            registered(partner, receiver.url, second_secret, SecretBox(rotated_keys)),
        )
        await eventually(
            lambda: _rows(notify_after, webhooks.c.partner_id == partner, webhooks.c.previous_secret_ciphertext != "")
        )
        application_id, _ = await application_decided(stack, partner)
        await settled(notify_after, application_id)
        [post] = [p for p in receiver.received if json.loads(p.body)["application_id"] == str(application_id)]
        assert len(post.headers["webhook-signature"].split(" ")) == 2
        for secret in (first_secret, second_secret):
            assert Webhook(secret).verify(post.body, post.headers)["application_id"] == str(application_id)

        await all_paid(payout_after, await stream)
        head = await head_caught_up(stack, finance)
    finally:
        stream.cancel()
        for runtime in (payout_before, notify_before, payout_after, notify_after):
            if runtime is not None:
                await runtime.stop()

    assert head["key_id"] == new_id
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        used = {r["key_id"] for r in await db.fetch("SELECT DISTINCT key_id FROM payout.transfers")}
        sealed = [
            *(r[0] for r in await db.fetch("SELECT api_key_sealed FROM console.accounts")),
            *(
                v
                for r in await db.fetch("SELECT secret_ciphertext, previous_secret_ciphertext FROM notify.webhooks")
                for v in r
            ),
        ]
    finally:
        await db.close()
    assert used == {old_id, new_id}  # rows made under each key, in one chain
    assert {sealed_with(s) for s in sealed} == {SecretBox(rotated_keys).ids[0]}

    both = await asyncio.to_thread(
        verify, stack, "--head", head_url(finance), LEDGER_KEYS=f"{new_id}:{new_ledger_key},{old_id}:{LEDGER_KEY}"
    )
    assert both.returncode == 0, both.stderr
    assert f"holding published head #{head['seq']}" in both.stdout
    old_only = await asyncio.to_thread(verify, stack, "--head", head_url(finance), LEDGER_KEYS=None)
    assert old_only.returncode == 1 and f"names ledger key {new_id}" in old_only.stderr


async def _rows(runtime, *where) -> int:
    table = where[0].left.table
    async with runtime.wiring.sessions() as s:
        return (await s.execute(select(func.count()).select_from(table).where(*where))).scalar_one()
