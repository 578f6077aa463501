"""Each service's health as its own endpoints tell it: /healthz and /readyz on its API port, the
state of its loops on its operators' port."""

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from services.console.settings import ConsoleSettings

TIMEOUT_S = 2.0


@dataclass
class Probe:
    ok: bool
    status: str  # what the endpoint said, or why it could not be reached


@dataclass
class ServiceHealth:
    name: str
    url: str
    healthz: Probe
    readyz: Probe
    loops: list[dict[str, Any]] | None  # None: the operators' port did not answer
    loops_problem: str | None


async def _probe(client: httpx.AsyncClient, url: str) -> tuple[Probe, Any]:
    try:
        response = await client.get(url, timeout=TIMEOUT_S)
    except httpx.TimeoutException:
        return Probe(False, "no answer within 2 s"), None
    except httpx.HTTPError:
        return Probe(False, "unreachable"), None
    try:
        body = response.json()
    except ValueError:
        return Probe(False, f"HTTP {response.status_code}"), None
    said = body.get("status", "") if isinstance(body, dict) else ""
    return Probe(response.status_code == 200, str(said) or f"HTTP {response.status_code}"), body


async def one(client: httpx.AsyncClient, name: str, url: str, admin_url: str | None) -> ServiceHealth:
    (healthz, _), (readyz, _) = await asyncio.gather(_probe(client, f"{url}/healthz"), _probe(client, f"{url}/readyz"))
    loops: list[dict[str, Any]] | None = None
    problem: str | None = "no operators' port configured"
    if admin_url:
        probe, body = await _probe(client, f"{admin_url}/loops")
        loops, problem = (
            (body.get("loops", []), None) if isinstance(body, dict) and "loops" in body else (None, probe.status)
        )
    return ServiceHealth(name, url, healthz, readyz, loops, problem)


async def everything(client: httpx.AsyncClient, settings: ConsoleSettings) -> list[ServiceHealth]:
    return list(
        await asyncio.gather(*(one(client, name, e.url, e.admin_url) for name, e in settings.console_services.items()))
    )
