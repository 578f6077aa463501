"""An open-loop poster: requests offered at a steady rate over kept-alive HTTP/1.1 connections.

Requests are encoded before the clock starts, and each is timed from when it was due, not from when
a connection was free to send it, so a slow stack cannot hide its delay by holding the load back.
The poster must cost the machine far less than what it measures: httpx spends about a millisecond
of CPU a request, which at 200 a second on two cores is a share of the stack's own time.
"""

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    due_at: datetime  # when the request was offered
    status: int  # 0: the connection failed
    body: dict


def request(url: str, path: str, body: dict, headers: dict[str, str]) -> bytes:
    data = json.dumps(body).encode()
    lines = [f"POST {path} HTTP/1.1", f"Host: {urlsplit(url).netloc}", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()] + [f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def offer(url: str, requests: list[bytes], rate: float, connections: int = 64) -> list[Answer]:
    """Sends request n at start + n/rate on the first free connection; every answer, in order."""
    parts = urlsplit(url)
    queue: asyncio.Queue[int] = asyncio.Queue()
    answers: list[Answer | None] = [None] * len(requests)
    start_wall, start = datetime.now(UTC), time.monotonic()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while (n := await queue.get()) >= 0:
                due = start_wall + timedelta(seconds=n / rate)
                try:
                    writer.write(requests[n])
                    status, body = await _answer(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    answers[n] = Answer(due, 0, {})
                    writer.close()
                    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                    continue
                answers[n] = Answer(due, status, body)
        finally:
            writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    for n in range(len(requests)):
        await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
        queue.put_nowait(n)
    for _ in workers:
        queue.put_nowait(-1)
    await asyncio.gather(*workers)
    return [a for a in answers if a is not None]


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    length = next((int(h.split(":", 1)[1]) for h in head[1:] if h.lower().startswith("content-length:")), 0)
    body = await reader.readexactly(length) if length else b""
    return status, json.loads(body) if body else {}
