"""A partner's rate holds in total across intake's replicas: two intake processes on one database,
hammered at once by one partner."""

import asyncio
import copy
import math
import time
import uuid

import httpx
import pytest

from shared.stack import ServiceProcess, free_port
from tests.books import EXAMPLES

pytestmark = pytest.mark.integration
# One request every 100 s, with a burst of 1,000 s of it: ten requests at once, then one more each
# 100 s. Each replica keeping its own allowance would accept ten at each.
RATE, BURST_S = "0.01", 1000
BURST = 10


@pytest.fixture(scope="module")
def replicas(stack, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("logs")
    env = stack.env() | {"RATE_LIMIT_BURST_S": str(BURST_S)}
    procs = [ServiceProcess("intake", free_port(), env, log_dir / f"intake-{n}.log").start() for n in range(2)]
    for p in procs:
        p.wait_ready()
    yield procs
    for p in procs:
        p.stop()


def application() -> dict:
    body = copy.deepcopy(EXAMPLES["1.1-node"])
    body["facts"]["node_id"] = f"N-{uuid.uuid4().hex[:8]}"
    return body


def headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())}


async def test_a_partner_hammering_two_replicas_gets_its_rate_in_total_and_429_with_retry_after_beyond(stack, replicas):
    key = await stack.key(rate=RATE)
    clients = [httpx.AsyncClient(base_url=r.url, timeout=30) for r in replicas]
    try:
        started = time.monotonic()
        answers = await asyncio.gather(
            *[clients[n % 2].post("/v1/applications", json=application(), headers=headers(key)) for n in range(40)]
        )
        took_s = time.monotonic() - started
        by_replica = [answers[n::2] for n in range(2)]
        accepted = [r for r in answers if r.status_code == 202]
        refused = [r for r in answers if r.status_code == 429]
        assert len(accepted) + len(refused) == len(answers), [r.text for r in answers]
        # The burst, and one more for each interval (100 s) the requests took: the two replicas
        # together, not each.
        assert len(accepted) == BURST + math.floor(float(RATE) * took_s)
        assert all(any(r.status_code == 429 for r in mine) for mine in by_replica)
        for r in refused:
            assert r.json()["error"]["code"] == "rate_limited"
            assert 1 <= int(r.headers["Retry-After"]) <= 1 / float(RATE)

        # Another partner has its own allowance, on either replica.
        other = await stack.key(rate=RATE)
        for client in clients:
            r = await client.post("/v1/applications", json=application(), headers=headers(other))
            assert r.status_code == 202, r.text
    finally:
        for client in clients:
            await client.aclose()
