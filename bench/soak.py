"""Soak: steady load for a while, and whether the tables that keep things only for a while stay flat.

The services (and the finance stand-in, a mail sink and a webhook receiver, so that every
application goes all the way to `paid`, is mailed about and reported to its partner's webhook) run
as in `make run`, with every retention shortened to `--retention-s` (default 60 s: the inboxes, the
published outbox rows, notify's delivery log) and the pruner looking every 5 s. A partner posts
`--rate` applications a second (default 2), each from its own applicant, for `--minutes` (default 10).

Each bounded table's rows are counted when the load starts, once the first retention window has
passed (the load then steady: what arrives is what goes), half-way through what is left, and at
the end; a table is flat when its end exceeds its count after the first window by no more than a
quarter (or 25 rows, whichever is more: about one pruner's tick of arrivals). A delivery log's
pending rows are shown apart: they are never pruned, and a log grown by them alone has a backlog of
sending (a busy machine), not of retention. Intake's applications are counted beside them: the
record itself, kept for good, which should grow with the load.

    .venv/bin/python bench/soak.py --minutes 3 --retention-s 30
"""

import argparse
import asyncio
import copy
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.intake import setup
from bench.pipeline import FAST_GROUPS, MONEY, fund
from bench.webhooks import receiver
from shared.stack import SERVICES, Infrastructure, MailSink, ServiceProcess, free_port, run_prepare, start_services
from tests.books import EXAMPLES
from tests.builders import applicant_code

PRUNE_EVERY_S = 5
BOUNDED = [f"{service}.{table}" for service in SERVICES for table in ("inbox", "outbox")] + [
    "notify.webhook_deliveries",
    "notify.email_deliveries",
    "console.sessions",
]
KEPT = ["intake.applications"]
# Deliveries not yet sent are kept however old: a log that grows with these is a backlog, not retention.
PENDING = {
    "notify.webhook_deliveries": "notify.webhook_deliveries WHERE status = 'pending'",
    "notify.email_deliveries": "notify.email_deliveries WHERE status = 'pending'",
}


def retention_env(retention_s: float) -> dict[str, str]:
    days = str(retention_s / 86_400)
    return {
        "OUTBOX_RETENTION_DAYS": days,
        "INBOX_RETENTION_DAYS": days,  # no shorter than the outbox's, as the settings insist
        "DELIVERY_LOG_RETENTION_DAYS": days,
        "RETENTION_INTERVAL_S": str(PRUNE_EVERY_S),
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        # One partner's endpoint and one mail sink take everything: let them take it at once.
        "WEBHOOK_ENDPOINT_CONCURRENCY": "16",
        "SMTP_CONCURRENCY": "16",
    }


def application(n: int, run: str) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLES["1.1-node"])
    body["applicant"]["credit_code"] = applicant_code(n, f"9151{run}")
    body["facts"]["node_id"] = f"SOAK-{run}-{n}"
    body["contact"] = {"email": f"ops-{n}@example.cn", "language": "en"}
    body["payee"] = {
        "account_name": body["applicant"]["name"],
        "account_number": "6222020200112233445",
        "bank": "中国工商银行成都高新支行",
    }
    return body


async def post_steadily(url: str, key: str, rate: float, seconds: float) -> tuple[int, int]:
    """Posts `rate` applications a second for `seconds`; (accepted, refused or failed)."""
    run = f"{uuid.uuid4().int % 10**6:06d}"
    accepted = failed = 0
    headers = {"Authorization": f"Bearer {key}"}

    async def one(client: httpx.AsyncClient, n: int) -> None:
        nonlocal accepted, failed
        try:
            answer = await client.post(
                "/v1/applications",
                json=application(n, run),
                headers=headers | {"Idempotency-Key": f"soak-{run}-{n}"},
            )
            accepted, failed = (accepted + 1, failed) if answer.status_code in (201, 202) else (accepted, failed + 1)
        except httpx.HTTPError:
            failed += 1

    started = time.monotonic()
    tasks: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        n = 0
        while (due := started + n / rate) < started + seconds:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            task = asyncio.create_task(one(client, n))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        await asyncio.gather(*tasks)
    return accepted, failed


async def count(database_url: str) -> dict[str, int]:
    db = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        # One snapshot for every count, so that a table and its pending rows agree.
        await db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        tables = {table: table for table in BOUNDED + KEPT} | {f"{t} pending": rows for t, rows in PENDING.items()}
        return {name: await db.fetchval(f"SELECT count(*) FROM {rows}") for name, rows in tables.items()}
    finally:
        await db.close()


async def soak(database_url: str, url: str, key: str, args: argparse.Namespace) -> list[tuple[str, dict[str, int]]]:
    seconds = args.minutes * 60
    settled_at = args.retention_s + 3 * PRUNE_EVERY_S  # a retention window, and a few pruner ticks
    if seconds < settled_at * 2:
        sys.exit(
            f"--minutes must leave at least twice {settled_at:.0f} s: the first window, and as long again after it"
        )
    middle_at = (settled_at + seconds) / 2
    samples = [("load starts", await count(database_url))]
    posting = asyncio.create_task(post_steadily(url, key, args.rate, seconds))
    started = time.monotonic()
    for label, at in ((f"after {settled_at:.0f} s", settled_at), (f"after {middle_at:.0f} s", middle_at)):
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        samples.append((label, await count(database_url)))
        print(f"  {label}: counted", flush=True)
    accepted, failed = await posting
    samples.append((f"after {time.monotonic() - started:.0f} s (end)", await count(database_url)))
    print(f"  {accepted} applications accepted at {args.rate}/s, {failed} refused or failed", flush=True)
    return samples


def grown(settled: int, end: int) -> bool:
    """More at the end than after the first window, by more than a quarter (or 25 rows)."""
    return end - settled > max(25, settled // 4)


def report(samples: list[tuple[str, dict[str, int]]]) -> bool:
    """Prints the counts; whether every bounded table is flat after the first window (a delivery
    log grown by its pending rows alone has a backlog of sending, which retention never prunes)."""
    labels = [label for label, _ in samples]
    print(f"\n  {'table':<40}" + "".join(f"{label:>22}" for label in labels) + "   flat after the first window?")
    every_flat = True
    for table in BOUNDED + KEPT:
        counts = [figures[table] for _, figures in samples]
        pending = [figures.get(f"{table} pending", 0) for _, figures in samples]
        done = [n - waiting for n, waiting in zip(counts, pending, strict=True)]
        if table in KEPT:
            verdict = "kept for good: grows with the load"
        elif not grown(counts[1], counts[-1]):
            verdict = "flat" if counts[-1] - counts[1] >= -max(25, counts[1] // 4) else "flat (smaller at the end)"
        elif table in PENDING and not grown(done[1], done[-1]):
            verdict = "grown by pending deliveries only: a sending backlog, not retention"
        else:
            verdict, every_flat = "GROWING", False
        print(f"  {table:<40}" + "".join(f"{n:>22}" for n in counts) + f"   {verdict}")
        if table in PENDING:
            print(
                f"  {'  of which sent or failed':<40}"
                + "".join(f"{n:>22}" for n in done)
                + "   (what retention prunes)"
            )
            print(f"  {'  of which pending':<40}" + "".join(f"{n:>22}" for n in pending) + "   (never pruned)")
    print(f"\n  every bounded table flat: {'yes' if every_flat else 'NO'}", flush=True)
    return every_flat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10, help="how long the load runs (default 10)")
    parser.add_argument("--rate", type=float, default=2, help="applications posted a second (default 2)")
    parser.add_argument("--retention-s", type=float, default=60, help="every retention, in seconds (default 60)")
    parser.add_argument("--keep-data", action="store_true", help="keep the data and the services' logs")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    infra = Infrastructure.start(data)
    procs: dict[str, ServiceProcess] = {}
    hooks, sink = None, MailSink(free_port(), data / "mail", data / "logs" / "mail-sink.log")
    try:
        run_prepare(infra)
        asyncio.run(fund(infra.database_url))
        key = asyncio.run(setup(infra.database_url))
        sink.start()
        hooks, hooks_port = receiver(set(), data / "receiver.log")
        env = infra.env() | FAST_GROUPS | MONEY | retention_env(args.retention_s)
        env |= {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port), "SMTP_SECURITY": "none"}
        procs = start_services(env, data / "logs")
        intake = procs["intake"].url
        registered = httpx.put(
            f"{intake}/v1/partners/me/webhook",
            json={"url": f"http://127.0.0.1:{hooks_port}/e/1"},
            headers={"Authorization": f"Bearer {key}"},
        )
        registered.raise_for_status()
        print(
            f"\nSoak: {args.rate}/s applications for {args.minutes:g} min, every retention {args.retention_s:g} s, "
            f"the pruner every {PRUNE_EVERY_S} s (rows counted in each table)",
            flush=True,
        )
        samples = asyncio.run(soak(infra.database_url, intake, key, args))
        if not report(samples):
            sys.exit(1)
    finally:
        for proc in procs.values():
            proc.stop()
        sink.stop()
        if hooks is not None:
            hooks.terminate()
            hooks.wait()
        infra.stop()
        if args.keep_data:
            print(f"  data and logs kept in {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
