"""Bounded tables: what is past its retention goes, a slice at a time; what is newer, or still owed,
stays; and an inbox still absorbs a duplicate that can arrive."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from pydantic import ValidationError
from sqlalchemy import event, func, insert, select, text

from services.console.replays import retention as replay_retention
from services.console.rules import Expiry
from services.console.sessions import retention as console_retention
from services.console.tables import accounts, replays, sessions, signin_failures
from services.eligibility.main import create_app as eligibility_app
from services.eligibility.tables import decisions
from services.notify import retention as notify_retention
from services.notify.settings import NotifySettings
from services.notify.tables import email_deliveries, webhook_deliveries
from services.quota.main import create_app as quota_app
from shared import topics
from shared.db import create_engine, service_metadata
from shared.retention import Pruner, Rule, messaging_rules, pruning_lock
from shared.settings import Settings
from shared.stack import ServiceProcess, free_port
from tests.builders import applicant_code, submitted
from tests.kafka_tools import eventually, publish

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
LONG_AGO, YESTERDAY = NOW - timedelta(days=60), NOW - timedelta(days=1)


def pruner(engine, schema: str, rules: list[Rule], batch: int = 1000) -> Pruner:
    return Pruner(engine, schema, rules, interval_s=60, batch=batch, pause_s=0)


def duplicates(event_type: str) -> float:
    labels = {"consumer": "eligibility-decisions", "type": event_type, "result": "duplicate"}
    return REGISTRY.get_sample_value("subsidy_events_consumed_total", labels) or 0


def deletes_seen(engine) -> list[int]:
    """The rows each DELETE statement on the engine took, in order."""
    seen: list[int] = []

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE"):
            seen.append(cursor.rowcount)

    return seen


async def test_inbox_and_outbox_rows_past_their_retention_go_in_slices_and_the_rest_stay(stack):
    settings = stack.settings("quota")  # the defaults: inbox 14 days, outbox 7
    w = quota_app(settings).state.runtime.wiring  # its tables and engine; nothing started
    inbox, outbox = w.metadata.tables["quota.inbox"], w.metadata.tables["quota.outbox"]
    row = {"topic": "t", "key": "k", "headers": [], "value": b"{}"}
    async with w.engine.begin() as conn:
        await conn.execute(
            insert(inbox), [{"consumer": "g", "event_id": f"old-{n}", "processed_at": LONG_AGO} for n in range(2_500)]
        )
        await conn.execute(
            insert(inbox), [{"consumer": "g", "event_id": f"new-{n}", "processed_at": YESTERDAY} for n in range(3)]
        )
        await conn.execute(
            insert(outbox),
            [row | {"created_at": LONG_AGO, "published_at": LONG_AGO}] * 4  # published long ago
            + [row | {"created_at": LONG_AGO, "published_at": None}] * 2  # never published
            + [row | {"created_at": YESTERDAY, "published_at": YESTERDAY}] * 3,
        )
    slices = deletes_seen(w.engine)
    try:
        pruned = await pruner(w.engine, "quota", messaging_rules(w.metadata, settings)).prune()

        assert pruned == {"inbox": 2_500, "outbox": 4}
        assert slices == [1000, 1000, 500, 4]  # the inbox a thousand at a time, then the outbox
        async with w.engine.connect() as conn:
            kept = set((await conn.execute(select(inbox.c.event_id))).scalars())
            owed = (await conn.execute(select(func.count()).where(outbox.c.published_at.is_(None)))).scalar()
            published = (await conn.execute(select(func.count()).where(outbox.c.published_at.is_not(None)))).scalar()
        assert kept == {"new-0", "new-1", "new-2"}
        assert (owed, published) == (2, 3)  # an event not yet published stays however old it is
    finally:
        await w.engine.dispose()


async def test_a_duplicate_that_can_still_arrive_is_absorbed_after_pruning(stack):
    runtime = eligibility_app(stack.settings("eligibility")).state.runtime
    inbox = runtime.wiring.metadata.tables["eligibility.inbox"]
    async with runtime.wiring.engine.begin() as conn:
        await conn.execute(
            insert(inbox), [{"consumer": "eligibility-decisions", "event_id": "long-ago", "processed_at": LONG_AGO}]
        )
    application = submitted("1.1-node", applicant_code(7001), node_id="RETAINED-1")
    before = duplicates(application.type)
    await runtime.start()
    try:
        await publish(stack.bootstrap_servers, topics.APPLICATIONS, application)
        app_id = uuid.UUID(application.subject)

        async def decided() -> int:
            async with runtime.wiring.engine.connect() as conn:
                found = select(func.count()).where(decisions.c.application_id == app_id)
                return (await conn.execute(found)).scalar_one()

        await eventually(decided)
        await runtime.pruner.prune()  # the inbox's retention (14 days) has not passed for this event
        async with runtime.wiring.engine.connect() as conn:
            remembered = set((await conn.execute(select(inbox.c.event_id))).scalars())
        assert application.id in remembered and "long-ago" not in remembered

        await publish(stack.bootstrap_servers, topics.APPLICATIONS, application)  # delivered again

        async def absorbed() -> bool:
            return duplicates(application.type) > before

        await eventually(absorbed)
        assert await decided() == 1
    finally:
        await runtime.stop()


def test_an_inbox_kept_for_less_time_than_the_outbox_is_refused():
    with pytest.raises(ValidationError) as refused:
        Settings(inbox_retention_days=3, outbox_retention_days=7)
    assert "INBOX_RETENTION_DAYS (3) is shorter than OUTBOX_RETENTION_DAYS (7)" in str(refused.value)
    assert "短于 OUTBOX_RETENTION_DAYS" in str(refused.value)
    assert Settings(inbox_retention_days=7, outbox_retention_days=7).inbox_retention_days == 7


def test_a_service_told_to_keep_its_inbox_for_less_than_its_outbox_does_not_start(stack, tmp_path):
    env = {**stack.env(), "INBOX_RETENTION_DAYS": "1", "OUTBOX_RETENTION_DAYS": "7"}
    process = ServiceProcess("quota", free_port(), env, tmp_path / "quota.log").start()
    try:
        with pytest.raises(RuntimeError, match="exited"):
            process.wait_ready(timeout_s=30)
        assert (
            "INBOX_RETENTION_DAYS (1) is shorter than OUTBOX_RETENTION_DAYS (7)" in (tmp_path / "quota.log").read_text()
        )
    finally:
        process.stop()


async def test_the_delivery_log_keeps_what_is_pending_recent_or_just_replayed(stack):
    settings = NotifySettings(**stack.settings("notify").model_dump())  # the log's retention: 30 days
    engine = create_engine(settings.sqlalchemy_url, "notify")
    hook = {"body": b"{}", "application_id": uuid.uuid4(), "partner_id": "p", "replayed_at": None}
    webhooks = {
        "delivered long ago": hook | {"status": "delivered", "created_at": LONG_AGO},
        "failed long ago": hook | {"status": "failed", "created_at": LONG_AGO},
        "pending since long ago": hook | {"status": "pending", "created_at": LONG_AGO},
        "replayed yesterday": hook | {"status": "delivered", "created_at": LONG_AGO, "replayed_at": YESTERDAY},
        "delivered yesterday": hook | {"status": "delivered", "created_at": YESTERDAY},
    }
    mail = {"application_status": "eligible", "context": {}, "occurred_at": LONG_AGO}
    emails = {
        "sent long ago": mail | {"status": "sent", "created_at": LONG_AGO},
        "pending since long ago": mail | {"status": "pending", "created_at": LONG_AGO},
        "sent yesterday": mail | {"status": "sent", "created_at": YESTERDAY},
    }
    ids = {name: uuid.uuid5(uuid.NAMESPACE_URL, name) for name in {*webhooks, *emails}}
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(webhook_deliveries), [v | {"id": ids[k]} for k, v in webhooks.items()])
            await conn.execute(insert(email_deliveries), [v | {"id": ids[k]} for k, v in emails.items()])
        rules = messaging_rules(service_metadata("notify"), settings) + notify_retention.rules(settings)

        pruned = await pruner(engine, "notify", rules).prune()

        assert (pruned["webhook_deliveries"], pruned["email_deliveries"]) == (2, 1)
        async with engine.connect() as conn:
            hooks_kept = set((await conn.execute(select(webhook_deliveries.c.id))).scalars())
            mails_kept = set((await conn.execute(select(email_deliveries.c.id))).scalars())
        assert hooks_kept == {ids[k] for k in ("pending since long ago", "replayed yesterday", "delivered yesterday")}
        assert mails_kept == {ids[k] for k in ("pending since long ago", "sent yesterday")}
    finally:
        await engine.dispose()


async def test_expired_console_sessions_and_old_sign_in_failures_go_live_sessions_stay(stack):
    engine = create_engine(stack.settings("console").sqlalchemy_url, "console")
    expiry, window = Expiry(idle=timedelta(minutes=30), absolute=timedelta(hours=12)), timedelta(minutes=15)
    session = {"account": "official", "csrf_token": "c"}
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(accounts),
                [{"name": "official", "role": "admin", "password_hash": "h", "api_key_sealed": "s"}],
            )
            await conn.execute(
                insert(sessions),
                [
                    session | {"token_hash": "idle", "created_at": NOW, "last_seen_at": NOW - timedelta(hours=1)},
                    session | {"token_hash": "too old", "created_at": YESTERDAY, "last_seen_at": NOW},
                    session | {"token_hash": "live", "created_at": NOW, "last_seen_at": NOW},
                ],
            )
            await conn.execute(
                insert(signin_failures),
                [
                    {"account": "official", "address": "a", "at": YESTERDAY},
                    {"account": "official", "address": "a", "at": NOW},
                ],
            )
        pruned = await pruner(engine, "console", console_retention(expiry, window)).prune()

        assert pruned == {"sessions": 2, "signin_failures": 1}
        async with engine.connect() as conn:
            assert set((await conn.execute(select(sessions.c.token_hash))).scalars()) == {"live"}
    finally:
        await engine.dispose()


async def test_replay_claims_go_once_their_letters_are_older_than_the_inboxes_remember(stack):
    engine = create_engine(stack.settings("console").sqlalchemy_url, "console")
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(replays),
                [
                    {
                        "letter_id": "sent long ago",
                        "state": "sent",
                        "claimed_by": "a",
                        "claimed_at": YESTERDAY,
                        "sent_at": YESTERDAY,
                    },
                    {
                        "letter_id": "sent just now",
                        "state": "sent",
                        "claimed_by": "a",
                        "claimed_at": NOW,
                        "sent_at": NOW,
                    },
                    {
                        "letter_id": "cut short",
                        "state": "sending",
                        "claimed_by": "a",
                        "claimed_at": YESTERDAY,
                        "sent_at": None,
                    },
                ],
            )
        pruned = await pruner(engine, "console", replay_retention(timedelta(hours=1))).prune()

        assert pruned == {"replays": 1}
        async with engine.connect() as conn:
            kept = set((await conn.execute(select(replays.c.letter_id))).scalars())
        assert kept == {"sent just now", "cut short"}  # a claim cut short stays for its operator
    finally:
        await engine.dispose()


async def test_a_second_replica_leaves_the_pruning_to_the_one_at_it(stack):
    settings = stack.settings("quota")
    w = quota_app(settings).state.runtime.wiring
    rules = messaging_rules(w.metadata, settings)
    try:
        async with w.engine.begin() as conn:
            # What the replica pruning holds for the slice it deletes.
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": pruning_lock("quota")})
            assert await pruner(w.engine, "quota", rules).prune() == {"inbox": 0}  # it stopped at its first slice
    finally:
        await w.engine.dispose()


async def test_a_table_locked_elsewhere_is_left_for_a_later_tick_and_the_others_are_pruned(stack):
    settings = stack.settings("quota")
    w = quota_app(settings).state.runtime.wiring
    inbox, outbox = w.metadata.tables["quota.inbox"], w.metadata.tables["quota.outbox"]
    try:
        async with w.engine.begin() as conn:
            await conn.execute(insert(inbox), [{"consumer": "g", "event_id": "locked", "processed_at": LONG_AGO}])
            await conn.execute(
                insert(outbox),
                [
                    {
                        "topic": "t",
                        "key": "k",
                        "headers": [],
                        "value": b"{}",
                        "created_at": LONG_AGO,
                        "published_at": NOW,
                    }
                ],
            )
        async with w.engine.connect() as holder:  # a migration, say, holding the inbox
            await holder.execute(text("LOCK TABLE quota.inbox IN ACCESS EXCLUSIVE MODE"))
            rules = messaging_rules(w.metadata, settings)
            quick = Pruner(w.engine, "quota", rules, interval_s=60, pause_s=0, lock_timeout_ms=100)

            assert await quick.prune() == {"inbox": 0, "outbox": 1}
            await holder.rollback()
        assert await quick.prune() == {"inbox": 1, "outbox": 0}
    finally:
        await w.engine.dispose()
