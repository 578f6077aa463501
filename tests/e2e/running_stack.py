"""`subsidy up` as an operator runs it, in its own process group, and a load of real applicants."""

from __future__ import annotations

import asyncio
import copy
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from shared.stack import SERVICES, free_port
from tests.books import EXAMPLES
from tests.builders import applicant_code


def free_port_base(n: int = len(SERVICES)) -> int:
    """A base with its n ports and their operators' ports (+1000) all free, below the ephemeral range
    (32768–60999), where no outgoing connection takes one of them meanwhile."""
    rng = random.Random()
    while True:
        base = rng.randrange(20000, 30000)
        try:
            for port in [*range(base, base + n), *range(base + 1000, base + 1000 + n)]:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue


@dataclass
class Up:
    """The whole stack on the test's database (and settings) and an embedded broker of its own."""

    settings: dict[str, str]  # the test stack's environment: its database, its secrets key, …
    data_dir: Path
    port_base: int = field(default_factory=free_port_base)
    broker_port: int = field(default_factory=free_port)
    _process: subprocess.Popen | None = field(default=None, init=False)

    @property
    def process(self) -> subprocess.Popen:
        """`subsidy up`, once started."""
        if self._process is None:
            raise RuntimeError("the stack was not started")
        return self._process

    def start(self) -> Up:
        env = {k: v for k, v in (os.environ | self.settings).items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
        for stale in (self.data_dir / "run").glob("*.pid"):  # a previous run's: not this one's yet
            stale.unlink()
        self.output = open(self.data_dir / "up.out", "ab")
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.cli",
                "up",
                "--data-dir",
                str(self.data_dir),
                "--broker-port",
                str(self.broker_port),
                "--port-base",
                str(self.port_base),
            ],
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_healthy()
        return self

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port_base + SERVICES.index(service)}"

    def wait_healthy(self, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"subsidy up exited with {self.process.returncode}: {self.said()}")
            try:
                # Healthy, and supervised: the supervisor writes every pid file once it has taken over.
                if all(httpx.get(f"{self.url(s)}/healthz", timeout=2).status_code == 200 for s in SERVICES) and all(
                    (self.data_dir / "run" / f"{p}.pid").exists() for p in (*SERVICES, "broker")
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"the stack is not healthy after {timeout_s}s: {self.said()}")

    def pid(self, process: str) -> int:
        return int((self.data_dir / "run" / f"{process}.pid").read_text())

    def kill(self, process: str) -> None:
        """SIGKILL of one service (or of the embedded `broker`), as in a crash."""
        os.kill(self.pid(process), signal.SIGKILL)

    def kill_everything(self) -> None:
        """SIGKILL of the whole process group: `subsidy up`, the broker and every service at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        while True:  # until the last of the group is gone and its ports are free
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.kill_everything()

    def said(self) -> str:
        return (self.data_dir / "up.out").read_text(errors="replace")[-3000:]


class Load:
    """Partners submitting applications from distinct applicants, as fast as `concurrency` allows."""

    def __init__(self, intake_url: str, key: str, concurrency: int = 8):
        self.intake_url, self.key, self.concurrency = intake_url, key, concurrency
        self.accepted: list[str] = []
        self.refused: Counter[int] = Counter()  # by status: a test failure shows them
        self._numbers = itertools.count(int(time.time() * 1000) % 10**6 * 10)  # 7 digits, distinct per run
        self._stop = asyncio.Event()

    async def run(self) -> None:
        async with httpx.AsyncClient(
            base_url=self.intake_url, timeout=5, headers={"Authorization": f"Bearer {self.key}"}
        ) as client:
            await asyncio.gather(*(self._submit(client) for _ in range(self.concurrency)))

    def stop(self) -> None:
        self._stop.set()

    async def _submit(self, client: httpx.AsyncClient) -> None:
        while not self._stop.is_set():
            n = next(self._numbers)
            application = copy.deepcopy(EXAMPLES["1.1-node"])
            application["applicant"]["credit_code"] = applicant_code(n, prefix="91510100MC")
            application["facts"]["node_id"] = f"SN-{n}"
            try:
                response = await client.post(
                    "/v1/applications", json=application, headers={"Idempotency-Key": str(uuid.uuid4())}
                )
                if response.status_code == 202:
                    self.accepted.append(response.json()["id"])
                else:
                    self.refused[response.status_code] += 1
            except httpx.HTTPError:
                await asyncio.sleep(0.05)  # intake is down for a moment: a partner retries later


async def every_application_completed(database_url: str, stage: int, timeout_s: float = 150) -> int:
    """Waits until every application intake accepted has reached `stage`; returns how many there are."""
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                accepted, behind = await conn.fetchrow(
                    "SELECT count(*), count(*) FILTER (WHERE stage < $1) FROM intake.applications", stage
                )
                if behind == 0:
                    return accepted
                await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def invariants(database_url: str) -> dict:
    """What must hold of the money whatever happened: one decision per application, each award booked
    and reserved once with one open payout, and the ledger verified (`problem` is None)."""
    from tests.money_tools import verified

    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        return {"problem": (await verified(database_url)).problem} | dict(
            await conn.fetchrow("""
            SELECT (SELECT count(*) FROM intake.applications) AS applications,
                   (SELECT count(*) FROM eligibility.decisions) AS decisions,
                   (SELECT count(DISTINCT application_id) FROM eligibility.decisions) AS decided_applications,
                   (SELECT count(*) FROM eligibility.decisions WHERE outcome = 'eligible') AS eligible,
                   (SELECT count(*) FROM payout.payouts) AS payouts,
                   (SELECT count(*) FROM payout.awards) AS awards_booked,
                   (SELECT count(*) FROM (SELECT ref FROM payout.transfers WHERE code = 'reserve'
                                          GROUP BY ref HAVING count(*) <> 1) odd) AS awards_not_booked_once,
                   (SELECT coalesce(sum(debits_posted + debits_pending - credits_posted - credits_pending), 0)
                      FROM payout.accounts) AS imbalance
        """)
        )
    finally:
        await conn.close()
