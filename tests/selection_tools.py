"""Helpers for tests of annual selections: applicants, applications, the quota clock, waiting."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import httpx

from services.quota.clock import FileClock
from shared.policy.applicant import check_character

BEIJING = "+08:00"


def credit_code(n: int, prefix: str = "91510100MA") -> str:
    first17 = f"{prefix}{n:07d}"
    return first17 + check_character(first17)


def alliance_chain(n: int, total_investment: str, tag: str = "") -> dict:
    """A valid 2.3-alliance-chain application of applicant number n."""
    return {"clause": "2.3-alliance-chain",
            "applicant": {"credit_code": credit_code(n), "name": f"成都链{n:02d}{tag}科技有限公司", "kind": "enterprise"},
            "occurred_on": "2024-03-01",
            "facts": {"chain_id": f"CHAIN-{tag}{n:02d}", "infrastructure_level": "provincial", "node_count": 7,
                      "onchain_app_count": 12, "total_investment": total_investment}}


def beijing(text: str) -> datetime:
    return datetime.fromisoformat(text + BEIJING)


def clock(path: Path, start: str) -> FileClock:
    c = FileClock(path)
    c.set(beijing(start))
    return c


async def until(check: Callable[[], Awaitable], timeout_s: float = 30, interval_s: float = 0.2):
    """Polls until `check()` returns something truthy, and returns it."""
    async with asyncio.timeout(timeout_s):
        while not (result := await check()):
            await asyncio.sleep(interval_s)
    return result


async def key_works(client: httpx.AsyncClient, key: str, path: str = "/v1/rounds", timeout_s: float = 30) -> None:
    """Waits until the service's key replica knows the key (intake's relay publishes it)."""
    async def ok():
        return (await client.get(path, headers={"Authorization": f"Bearer {key}"})).status_code == 200
    await until(ok, timeout_s)


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def new_id() -> str:
    return str(uuid.uuid4())
