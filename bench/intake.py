"""Benchmark of accepting applications over HTTP (run: make bench).

wrk (C, Lua) drives 64 connections at each server in turn, so the load generator is not the
bottleneck; every request is a new application with its own Idempotency-Key. Beside intake, and
measured in the same run on the same database, are two baselines doing the same durable write:
what a team would write first (FastAPI + one SQLAlchemy ORM insert) and the ceiling (a bare ASGI
app with raw asyncpg). Intake does more per request: authenticates, rate-limits, validates the
application against the policy, deduplicates by key and writes an outbox row.

The rate limit holds across intake's replicas, so it is one statement on the database per request
(shared/ratelimit.py); its own line gives what that statement costs alone and how many a second one
partner's row takes, beside a bare round trip on the same kind of pool.
"""

import asyncio
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baselines import SCHEMA_SQL
from bench.cpu import Meter, postmaster_pid, spent
from shared.secretbox import new_key
from shared.stack import Infrastructure, ServiceProcess, free_port, run_prepare
from tests.books import EXAMPLES

CONNECTIONS, SECONDS, WARMUP_SECONDS = 64, 10, 3


def body(distinct_applicants: bool = False, payee: bool = False) -> str:
    """A node application; each request gets its own node (and applicant, if asked) from post.lua;
    with `payee`, it names the applicant's bank account, so that it can be paid."""
    application = copy.deepcopy(EXAMPLES["1.1-node"])
    application["facts"]["node_id"] = "NODE_ID"
    if distinct_applicants:
        application["applicant"]["credit_code"] = "CREDIT_CODE"
    if payee:
        application["payee"] = {
            "account_name": application["applicant"]["name"],
            "account_number": "6222020200112233445",
            "bank": "中国工商银行成都高新支行",
        }
    return json.dumps(application, ensure_ascii=False)


def wrk(
    url: str,
    path: str,
    key: str,
    seconds: float,
    *,
    connections: int = CONNECTIONS,
    distinct_applicants: bool = False,
    run: int = 0,
    payee: bool = False,
) -> dict:
    env = {**os.environ, "PATH_": path, "KEY": key, "BODY": body(distinct_applicants, payee), "RUN": str(run)}
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(ROOT / "bench" / "post.lua"), url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    summary = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out)
    assert summary, out
    total, value, unit = summary.groups()
    duration_s = float(value) * {"ms": 0.001, "s": 1, "m": 60}[unit]
    failed = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {
        "accepted": int(total) - failed,
        "accepted_per_s": (int(total) - failed) / duration_s,
        "failed": failed + errors,
        "p50": _latency(out, "50%"),
        "p99": _latency(out, "99%"),
    }


def _latency(out: str, pct: str) -> float:
    found = re.search(rf"{pct}\s+([\d.]+)(us|ms|s)", out)
    assert found, out
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def wait_http(url: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError(url)


def uvicorn(factory: str, port: int, env: dict, log: Path, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            factory,
            "--factory",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def setup(database_url: str) -> str:
    from services.intake import partners
    from services.intake.tables import metadata
    from shared import commands

    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    await conn.execute(SCHEMA_SQL)
    await conn.close()
    url = database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    async with commands.wired(commands.settings("intake", database=url), metadata) as wiring:
        return await partners.create(wiring, f"bench-{os.getpid()}", "partner", Decimal(10**6))


def _cpu_s(pid: int) -> float | None:
    """A process's CPU time so far (user + system), where it runs on this machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def limiter_cost(database_url: str, calls: int = 5000, callers: int = 64) -> None:
    """The rate limit's statement beside a bare round trip: CPU each costs the server's backend and
    this client (CPU time, which a machine busy with other work hardly changes, unlike wall time),
    and how many a second 64 callers get on one partner's row."""
    from services.intake.tables import SCHEMA
    from shared.ratelimit import SharedRateLimiter

    rate = Decimal(10**6)  # never refused: every call is the allowed path, which writes
    dsn = database_url.replace("+asyncpg", "")

    def one_call(kind: str, pool: asyncpg.Pool) -> Callable[[], Awaitable[object]]:
        limiter = SharedRateLimiter(lambda: pool, SCHEMA)
        if kind == "limit":
            return lambda: limiter.retry_after("bench-limiter", rate)
        return lambda: pool.fetchval("SELECT 1")

    figures = []
    for kind in ("limit", "round trip"):
        # One connection for the CPU figures, so that one backend does all the work.
        async with asyncpg.create_pool(dsn, min_size=1, max_size=1) as one:
            call = one_call(kind, one)
            backend = await one.fetchval("SELECT pg_backend_pid()")
            for _ in range(200):  # warm-up: statements prepared
                await call()
            server, client = _cpu_s(backend), time.process_time()
            for _ in range(calls):
                await call()
            client_us = (time.process_time() - client) / calls * 1e6
            after = _cpu_s(backend)
            server_us = (after - server) / calls * 1e6 if server is not None and after is not None else float("nan")
        # Then on a pool the size of intake's hot-path one, which the limit shares.
        async with asyncpg.create_pool(dsn, min_size=callers // 4, max_size=20) as pool:
            call = one_call(kind, pool)

            async def caller(call: Callable[[], Awaitable[object]] = call) -> None:
                for _ in range(calls // callers):
                    await call()

            start = time.perf_counter()
            await asyncio.gather(*[caller() for _ in range(callers)])
            figures.append((server_us, client_us, callers * (calls // callers) / (time.perf_counter() - start)))
    (limit_server, limit_client, limit_rate), (trip_server, trip_client, trip_rate) = figures
    print(
        f"  rate limit across replicas (most requests spend from a lease of a GCRA row), CPU a request: "
        f"{limit_server:.0f} µs PostgreSQL + {limit_client:.0f} µs intake; {limit_rate:.0f}/s from {callers} callers\n"
        f"  a bare round trip (SELECT 1), CPU:                                               "
        f"{trip_server:.0f} µs PostgreSQL + {trip_client:.0f} µs client; {trip_rate:.0f}/s\n",
        flush=True,
    )


def measure(name: str, url: str, path: str, key: str, meter: Meter) -> dict:
    """Requests a second and latency, and the CPU each accepted request cost the server (all its
    processes) and PostgreSQL: CPU time hardly changes with other work on the machine, which
    throughput does."""
    wrk(url, path, key, WARMUP_SECONDS)
    before = meter.read()
    result = wrk(url, path, key, SECONDS) | {"name": name}
    used = spent(before, meter.read())
    cpu_us = {who: 1e6 * seconds / max(result["accepted"], 1) for who, seconds in used.items()}
    print(
        f"  {name:<52} {result['accepted_per_s']:>8.0f}/s   p50 {result['p50']:>6.1f} ms"
        f"   p99 {result['p99']:>6.1f} ms   failed {result['failed']}"
        f"   CPU a request: server {cpu_us['server']:>4.0f} µs,"
        f" PostgreSQL {cpu_us.get('postgresql', float('nan')):>4.0f} µs",
        flush=True,
    )
    return result


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    data = Path(tempfile.mkdtemp(prefix="bench-"))
    infra = Infrastructure.start(data)
    procs = []
    try:
        run_prepare(infra)
        key = asyncio.run(setup(infra.database_url))
        env = infra.env() | {"SECRETS_KEY": new_key()}
        print(
            f"Accepting applications: wrk, {CONNECTIONS} connections, {SECONDS} s each, "
            f"{os.cpu_count()} cores shared by server, PostgreSQL and wrk"
        )
        baselines = (
            ("baseline: FastAPI + SQLAlchemy ORM insert", "bench.baselines:minimal"),
            ("ceiling: bare ASGI + raw asyncpg", "bench.baselines:ceiling"),
        )
        asyncio.run(limiter_cost(infra.database_url))
        postgres = postmaster_pid(data)

        def meter(server: subprocess.Popen) -> Meter:
            return Meter(lambda: {"server": server.pid} | ({"postgresql": postgres} if postgres else {}))

        for workers in (1, 2):
            results = []
            for name, factory in baselines:
                port = free_port()
                procs.append(proc := uvicorn(factory, port, env, data / "baseline.log", workers))
                wait_http(f"http://127.0.0.1:{port}/")
                results.append(
                    measure(f"{name}, {workers} proc", f"http://127.0.0.1:{port}", "/applications", "", meter(proc))
                )
                proc.terminate()
                proc.wait()
            intake = ServiceProcess(
                "intake", free_port(), env | {"HTTP_WORKERS": str(workers)}, data / "intake.log"
            ).start()
            procs.append(intake.started)
            intake.wait_ready()
            ours = measure(
                f"intake: validate, dedupe, write + outbox, {workers} proc",
                intake.url,
                "/v1/applications",
                key,
                meter(intake.started),
            )["accepted_per_s"]
            intake.stop()
            print(
                f"  intake / baseline: {ours / results[0]['accepted_per_s']:.2f}x   "
                f"intake / ceiling: {ours / results[1]['accepted_per_s']:.2f}x\n",
                flush=True,
            )
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait()
        infra.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
