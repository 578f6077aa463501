"""Benchmark of the whole pipeline and of each consuming service (run: make bench).

End to end: the services (and the finance stand-in) run as in `make run`, with a budget that covers
everything; wrk posts applications, each from its own applicant and naming its bank account, as fast
as intake accepts them for 10 s, and the clock runs from the first post until the last accepted
application reaches `payout_requested` (or went further: to `paid`). Printed: the acceptance rate,
the end-to-end rate and their ratio, with one replica of each service (the baseline) and again with
a second replica of the slowest stage (the consuming service that gets through the fewest
applications a second in the per-service figures below) sharing its groups' partitions.

Per service (only these with `--per-service`): on a fresh stack, intake alone accepts a backlog;
then each consuming service runs alone on it, and its events/s are the events its consumer groups
recorded in their inboxes over the time between the first and the last. Beside them, in the same
run, the broker's raw consume rate: a bare aiokafka consumer reading the same backlog and doing
nothing with it; and the CPU the service and PostgreSQL spent per application meanwhile.

Beside those, on the same stack (bench/cpu.py reads /proc): the CPU each process spends per
application (its idle cost, measured on the same stack before the load, subtracted), the idle
stack's CPU as a share of one core, and the time from POST to `payout_requested` (p50/p99) with
applications offered at a steady 200 a second (an open loop: a slow answer does not hold back the
next post).

A long past: eligibility alone deciding node claims that all come from one applicant with 10,000
earlier grants, beside the same claims from an applicant with no past. A decision reads only the
grants it can depend on, so the two rates should be alike.
"""

import asyncio
import copy
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import poster
from bench.cpu import Meter, postmaster_pid, spent
from bench.intake import setup, wrk
from shared import topics
from shared.events import ApplicationSubmittedV1
from shared.messaging.consumer import QUIET_S
from shared.messaging.envelope import Envelope
from shared.policy.applicant import check_character
from shared.stack import Infrastructure, ServiceProcess, free_port, run_prepare, start_services
from tests.books import EXAMPLES

SECONDS, BACKLOG_SECONDS, CONNECTIONS = 10, 6, 32
# The idle stack over a minute: its slowest timers (safety polls, the pruner) come round once a minute.
IDLE_S, STEADY_RATE, STEADY_S = 60, 200, 10
# The steady load's first seconds wake consumers that went quiet (their fetches wait long then):
# reported apart from the steady figures.
WARMUP_S = 5
# Short group timeouts, as in the tests: a consumer joins its group in about a second.
FAST_GROUPS = {"KAFKA_SESSION_TIMEOUT_MS": "1000", "KAFKA_HEARTBEAT_INTERVAL_MS": "300"}
# The keys the services refuse to start without (webhook secrets, the ledger's chain), and quick batches.
MONEY = {
    "LEDGER_KEY": f"bench-{uuid.uuid4().hex}",
    "SECRETS_KEY": Fernet.generate_key().decode(),
    "PAYOUT_BATCH_INTERVAL_S": "1",
    "FINANCE_SIM_REJECT_RATE": "0",
}
# What each service consumes, per accepted application: its groups and how many events each gets.
CONSUMERS = {
    "eligibility": {"eligibility-decisions": 1, "eligibility-grants": 1},
    "payout": {"payout-ledger": 2},  # the award and the bank account
    # Notify follows the decision and the award; the money steps' new event types are not (yet) its own.
    "notify": {"notify-applicants": 2, "notify-partners": 1},
    "intake": {"intake-status": 3},
}


@dataclass
class Stack:
    infra: Infrastructure
    env: dict
    key: str
    data: Path

    def db(self):
        return asyncpg.connect(self.infra.database_url.replace("+asyncpg", ""))


def new_stack(name: str) -> Stack:
    data = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    infra = Infrastructure.start(data)
    run_prepare(infra)
    asyncio.run(fund(infra.database_url))
    return Stack(infra, infra.env() | FAST_GROUPS | MONEY, asyncio.run(setup(infra.database_url)), data)


async def fund(database_url: str) -> None:
    """This year's node budget line, large enough for every award of the run."""
    from services.payout import budgets
    from services.payout.context import Context
    from services.payout.domain.money import budget_year
    from services.payout.settings import PayoutSettings
    from services.payout.tables import metadata
    from shared import commands

    url = database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    settings = commands.settings("payout", PayoutSettings, url, ledger_key=MONEY["LEDGER_KEY"])
    async with commands.wired(settings, metadata) as wiring, wiring.sessions.begin() as session:
        await budgets.set_budget(
            session,
            Context.of(wiring),
            budget_year(datetime.now(UTC)),
            "1.1-node",
            Decimal("100000000000.00"),
            by="bench",
        )


async def count_at_stage(stack: Stack, stage: int) -> tuple[int, int]:
    db = await stack.db()
    try:
        row = await db.fetchrow(
            "SELECT count(*) AS accepted, count(*) FILTER (WHERE stage >= $1) AS done FROM intake.applications", stage
        )
        return row["accepted"], row["done"]
    finally:
        await db.close()


def end_to_end(extra: str | None = None) -> dict:
    """The pipeline as `make run` runs it, with a second replica of `extra` if named."""

    stack = new_stack("e2e")
    # The group timeouts of `make run`: they set how often idle consumers heartbeat.
    env = {k: v for k, v in stack.env.items() if k not in FAST_GROUPS}
    procs = {}
    try:
        procs = start_services(env, stack.data / "logs")
        if extra:
            procs[f"{extra}-2"] = ServiceProcess(extra, free_port(), env, stack.data / f"{extra}-2.log").start()
            procs[f"{extra}-2"].wait_ready()
        meter = stack_meter(stack, procs)
        idle = idle_cost(meter)
        before, started = meter.read(), time.monotonic()
        posted = load(stack, procs["intake"].url)
        posting_s = time.monotonic() - started
        accepted = wait_done(stack)
        finished_s = time.monotonic() - started
        used = spent(before, meter.read())
        cpu_ms = {name: 1000 * (used[name] - idle[name] * finished_s) / accepted for name in used}
        latency = None
        if not extra:
            wait_drained(meter, idle)
            latency = asyncio.run(steady_latency(stack, procs["intake"].url))
        return {
            "cpu_ms": cpu_ms,
            "idle": idle,
            "latency": latency,
            "accepted": accepted,
            "accept_rate": accepted / posting_s,
            "e2e_rate": accepted / finished_s,
            "finished_s": finished_s,
            "p99": posted["p99"],
            "failed": posted["failed"],
        }
    finally:
        for proc in procs.values():
            proc.stop()
        stack.infra.stop()
        shutil.rmtree(stack.data, ignore_errors=True)


def load(stack: Stack, intake_url: str) -> dict:
    """The load of the end-to-end run: distinct applicants posting with their bank details."""
    return wrk(
        intake_url,
        "/v1/applications",
        stack.key,
        SECONDS,
        connections=CONNECTIONS,
        distinct_applicants=True,
        payee=True,
    )


def wait_done(stack: Stack) -> int:
    """Until every accepted application reached `payout_requested`; how many there are."""
    from shared.statuses import STAGE

    while True:
        accepted, done = asyncio.run(count_at_stage(stack, STAGE["payout_requested"]))
        if done == accepted:
            return accepted
        time.sleep(0.2)


def stack_meter(stack: Stack, procs: dict[str, ServiceProcess]) -> Meter:
    """CPU of each service process, PostgreSQL (all its backends) and the broker."""
    postgres = postmaster_pid(stack.data)

    def pids() -> dict[str, int]:
        found = {name: p.process.pid for name, p in procs.items() if p.process}
        if postgres:
            found["postgresql"] = postgres
        if broker := stack.infra.broker_pid:
            found["broker"] = broker
        return found

    return Meter(pids)


def idle_cost(meter: Meter) -> dict[str, float]:
    """Each process's CPU seconds per second while the stack, started and settled, has nothing to do."""
    # Consumers joined and quiet long enough to fetch at their idle pace, relays and schedulers asleep.
    time.sleep(QUIET_S + 5)
    before = meter.read()
    time.sleep(IDLE_S)
    return {name: s / IDLE_S for name, s in spent(before, meter.read()).items()}


async def steady_latency(stack: Stack, intake_url: str) -> dict[str, tuple[int, float, float]]:
    """POST → payout_requested at a steady offered load, as (applications, p50 ms, p99 ms): for the
    posts of the first WARMUP_S seconds ("waking") and for those after ("steady"). A post that fails
    is said, not counted."""
    requests = []
    for n in range(STEADY_RATE * (WARMUP_S + STEADY_S)):
        application = copy.deepcopy(EXAMPLES["1.1-node"])
        application["applicant"]["credit_code"] = applicant_code(n, "91510100MW")
        application["facts"]["node_id"] = f"steady-{n}"
        application["payee"] = {
            "account_name": application["applicant"]["name"],
            "account_number": "6222020200112233445",
            "bank": "中国工商银行成都高新支行",
        }
        headers = {"Authorization": f"Bearer {stack.key}", "Idempotency-Key": f"steady-{n}"}
        requests.append(poster.request(intake_url, "/v1/applications", application, headers))
    answers = await poster.offer(intake_url, requests, STEADY_RATE)
    waking_until = answers[0].due_at + timedelta(seconds=WARMUP_S)
    posted = {a.body["id"]: (a.due_at, a.due_at < waking_until) for a in answers if a.status == 202}
    failed = [str(a.status or "connection failed") for a in answers if a.status != 202]
    db = await stack.db()
    try:
        while True:
            reached = await db.fetch(
                "SELECT application_id::text AS id, min(at) AS at FROM intake.timeline "
                "WHERE status = 'payout_requested' AND application_id = ANY($1::uuid[]) GROUP BY 1",
                list(posted),
            )
            if len(reached) == len(posted):
                break
            await asyncio.sleep(0.5)
    finally:
        await db.close()
    if failed:
        print(f"    {len(failed)} of the steady posts failed: {sorted(set(failed))[:3]}")
    waits: dict[bool, list[float]] = {True: [], False: []}
    for r in reached:
        at, waking = posted[r["id"]]
        waits[waking].append((r["at"] - at).total_seconds() * 1000)
    return {"waking" if waking else "steady": percentiles(sorted(w)) for waking, w in waits.items()}


def percentiles(waits: list[float]) -> tuple[int, float, float]:
    return len(waits), waits[len(waits) // 2], waits[min(len(waits) - 1, int(len(waits) * 0.99))]


def wait_drained(meter: Meter, idle: dict[str, float]) -> None:
    """Until the stack is back at its idle pace (its CPU over a second within a tenth of a core of
    what it spends idle): the steady load then finds no backlog of the run before it (e-mails and
    webhooks of the burst are sent after its applications reached payout_requested)."""
    deadline, before = time.monotonic() + 300, meter.read()
    while time.monotonic() < deadline:
        time.sleep(1)
        now = meter.read()
        if sum(spent(before, now).values()) < sum(idle.values()) + 0.1:
            return
        before = now
    print("    the stack did not go quiet within 300 s after the burst")


async def inbox_count(stack: Stack, service: str, groups) -> int:
    db = await stack.db()
    try:
        return await db.fetchval(f"SELECT count(*) FROM {service}.inbox WHERE consumer = ANY($1)", list(groups))
    finally:
        await db.close()


def wait_published(stack: Stack, service: str) -> None:
    """Until the service's outbox is empty of unpublished rows, so that the next stage finds them all."""

    async def owed() -> int:
        db = await stack.db()
        try:
            return await db.fetchval(f"SELECT count(*) FROM {service}.outbox WHERE published_at IS NULL")
        finally:
            await db.close()

    while asyncio.run(owed()):
        time.sleep(0.1)


@dataclass
class Drained:
    events_per_s: float
    cpu_s: dict[str, float]  # the service's and PostgreSQL's CPU seconds from start to the last event published


def drain(stack: Stack, service: str, expected: int, groups=None) -> Drained:
    """Runs the service alone until its groups have handled `expected` events: their events/s, and
    the CPU the service and PostgreSQL spent on them (the service's start-up included)."""
    groups = groups or CONSUMERS[service]
    proc = ServiceProcess(service, free_port(), stack.env, stack.data / f"{service}.log")
    postgres = postmaster_pid(stack.data)
    server = {"postgresql": postgres} if postgres else {}
    before = Meter(lambda: server).read()
    meter = Meter(lambda: server | {service: proc.started.pid})
    proc.start()
    try:
        proc.wait_ready()
        first_at = first_count = None
        while True:
            handled = asyncio.run(inbox_count(stack, service, groups))
            now = time.monotonic()
            if first_at is None and handled:
                first_at, first_count = now, handled
            if handled >= expected and first_at is not None and first_count is not None:
                wait_published(stack, service)
                return Drained((handled - first_count) / (now - first_at), spent(before, meter.read()))
            time.sleep(0.05)
    finally:
        proc.stop()


async def raw_consume_rate(bootstrap: str, expected: int) -> float:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topics.APPLICATIONS, p) for p in range(topics.PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        read, started = 0, time.monotonic()
        while read < expected:
            read += sum(len(b) for b in (await consumer.getmany(timeout_ms=500, max_records=1000)).values())
        return read / (time.monotonic() - started)
    finally:
        await consumer.stop()


def per_service() -> tuple[int, float, dict[str, Drained]]:
    stack = new_stack("drain")
    try:
        intake = ServiceProcess("intake", free_port(), stack.env, stack.data / "intake.log").start()
        intake.wait_ready()
        wrk(
            intake.url,
            "/v1/applications",
            stack.key,
            BACKLOG_SECONDS,
            connections=CONNECTIONS,
            distinct_applicants=True,
            run=1,
            payee=True,
        )
        wait_published(stack, "intake")
        intake.stop()
        accepted, _ = asyncio.run(count_at_stage(stack, 0))
        raw = asyncio.run(raw_consume_rate(stack.infra.kafka_bootstrap_servers, accepted))
        # In pipeline order, so that each finds its whole input waiting.
        rates = {
            service: drain(stack, service, accepted * sum(per_app.values())) for service, per_app in CONSUMERS.items()
        }
        return accepted, raw, rates
    finally:
        stack.infra.stop()
        shutil.rmtree(stack.data, ignore_errors=True)


HISTORY, CLAIMS = 10_000, 3_000


def applicant_code(n: int, prefix: str) -> str:
    body = f"{prefix}{n:0{17 - len(prefix)}d}"
    return body + check_character(body)


async def seed_long_history(stack: Stack, credit_code: str) -> None:
    """One applicant with HISTORY earlier grants, as years of awards would leave it."""
    db = await stack.db()
    try:
        await db.executemany(
            "INSERT INTO eligibility.grants (credit_code, subject_key, clause, amount, cap, application_id) "
            "VALUES ($1, $2, '1.1-node', 800000, 1000000, $3)",
            [(credit_code, f"node_id=hist-{i}", uuid.uuid4()) for i in range(HISTORY)],
        )
    finally:
        await db.close()


async def publish_claims(bootstrap: str, credit_codes: list[str]) -> None:
    """A node claim per credit code, straight onto the applications topic."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        for i, code in enumerate(credit_codes):
            application = copy.deepcopy(EXAMPLES["1.1-node"])
            application["applicant"]["credit_code"] = code
            application["facts"]["node_id"] = f"new-{i}"
            p = ApplicationSubmittedV1(
                application_id=uuid.uuid4(), partner_id="bench", submitted_at=datetime.now(UTC), application=application
            )
            e = Envelope.of(p, source="/bench", key=code, subject=str(p.application_id))
            await producer.send(topics.APPLICATIONS, e.data, key=e.key.encode(), headers=e.headers())
        await producer.flush()
    finally:
        await producer.stop()


def decisions_with_long_history() -> tuple[float, float]:
    """Decisions/s for claims of one applicant with a long past, beside the same claims of an
    applicant with none (one applicant either way: one partition, the same batches)."""
    rates = []
    for long_past in (False, True):
        stack = new_stack("history")
        try:
            one = applicant_code(1, "91510100MD")
            if long_past:
                asyncio.run(seed_long_history(stack, one))
            asyncio.run(publish_claims(stack.infra.kafka_bootstrap_servers, [one] * CLAIMS))
            rates.append(drain(stack, "eligibility", CLAIMS, ["eligibility-decisions"]).events_per_s)
        finally:
            stack.infra.stop()
            shutil.rmtree(stack.data, ignore_errors=True)
    return rates[0], rates[1]


def slowest(rates: dict[str, Drained]) -> str:
    """The stage that gets through the fewest applications a second (its events/s over the
    events each application brings it)."""
    return min(rates, key=lambda service: rates[service].events_per_s / sum(CONSUMERS[service].values()))


def report(e2e: dict, label: str) -> None:
    print(
        f"  {label}: {e2e['accepted']} applications from distinct applicants posted for {SECONDS} s "
        f"({CONNECTIONS} connections, {e2e['failed']} failed, p99 {e2e['p99']:.0f} ms); the last reached "
        f"payout_requested after {e2e['finished_s']:.1f} s"
    )
    print(
        f"    acceptance rate {e2e['accept_rate']:>8.0f}/s   end-to-end rate {e2e['e2e_rate']:>8.0f}/s"
        f"   end to end / acceptance: {e2e['e2e_rate'] / e2e['accept_rate']:.2f}",
        flush=True,
    )
    cpu, idle = e2e["cpu_ms"], e2e["idle"]
    print(f"    CPU per application (idle cost subtracted): {sum(cpu.values()):.2f} ms in all")
    for name in sorted(cpu, key=cpu.__getitem__, reverse=True):
        print(f"      {name:<12} {cpu[name]:>6.2f} ms   idle {100 * idle[name]:>5.1f}% of a core")
    print(f"    idle stack: {100 * sum(idle.values()):.1f}% of a core (measured over {IDLE_S} s before the load)")
    if e2e["latency"]:
        print(f"    POST → payout_requested at a steady {STEADY_RATE}/s offered:")
        for phase, label in (("waking", f"the first {WARMUP_S} s (quiet consumers waking)"), ("steady", "after")):
            n, p50, p99 = e2e["latency"][phase]
            print(f"      {label:<40} {n:>5} applications   p50 {p50:>5.0f} ms   p99 {p99:>5.0f} ms", flush=True)


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    accepted, raw, rates = per_service()
    print(f"\nEach consuming service alone on a backlog of {accepted} applications' events:")
    print(f"  baseline: raw broker consume (aiokafka, no handling) {raw:>8.0f} events/s")
    for service, drained in rates.items():
        rate, cpu = drained.events_per_s, drained.cpu_s
        per_app = rate / sum(CONSUMERS[service].values())
        print(
            f"  {service:<12} {rate:>8.0f} events/s   ({rate / raw:.2f} of raw consume; {per_app:>6.0f} applications/s)"
            f"   CPU per application: {1000 * cpu[service] / accepted:.2f} ms, PostgreSQL's"
            f" {1000 * cpu.get('postgresql', 0) / accepted:.2f} ms"
        )
    stage = slowest(rates)
    print(f"  the slowest stage: {stage}", flush=True)
    if "--per-service" in sys.argv:
        return
    print(f"\nThe pipeline: {os.cpu_count()} cores shared by the five services, PostgreSQL, the broker and wrk")
    one = end_to_end()
    report(one, "baseline, one replica of each service")
    two = end_to_end(extra=stage)
    report(two, f"two replicas of {stage} sharing its partitions")
    print(f"  end-to-end rate with two {stage} / with one: {two['e2e_rate'] / one['e2e_rate']:.2f}")
    fresh, long_past = decisions_with_long_history()
    print(f"\nEligibility on {CLAIMS} node claims, alone:")
    print(f"  baseline: all from one applicant with no earlier grant  {fresh:>8.0f} decisions/s")
    print(
        f"  all from one applicant with {HISTORY} earlier grants    {long_past:>8.0f} decisions/s"
        f"   ({long_past / fresh:.2f} of the baseline)"
    )


if __name__ == "__main__":
    main()
