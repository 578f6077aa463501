"""Typed settings read from the environment; secrets never appear in a repr or a log."""

from functools import cached_property
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingMissing(RuntimeError):
    """A setting this process cannot run without."""

    def __init__(self, name: str, why: str):
        super().__init__(f"set {name}: {why}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    # Required by every process with a schema of its own (`shared/bootstrap.py` refuses to wire one
    # without), and by every process that consumes or publishes (`Runtime.start`).
    database_url: SecretStr | None = Field(default=None, description="SQLAlchemy URL, postgresql+asyncpg://…")
    kafka_bootstrap_servers: str | None = Field(default=None, description="host:port[,host:port]")
    # Each process gets its own consumer-group and client ids from its service name.
    service_name: str = "subsidy"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65535)
    # /metrics and the loops' details are served apart from the API, on a port that only operators
    # reach (localhost by default); 0 means the API's port + 1000.
    admin_host: str = "127.0.0.1"
    admin_port: int = Field(default=0, ge=0, le=65535)
    # Processes serving HTTP for this service; each runs its own consumers and relay candidate.
    http_workers: int = Field(default=1, ge=1)
    # Short group timeouts keep rebalances fast on a laptop broker; production raises them.
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    kafka_send_timeout_s: float = 10.0
    # How long the broker may hold a consumer's fetch when it has nothing to give, while records
    # keep coming, and once the consumer has had none for a while. A Kafka broker answers as soon
    # as records arrive, so a long wait costs nothing there; the embedded broker answers only when
    # the wait ends, so there a long wait delays the first record after a quiet spell, and a short
    # one keeps an idle stack busy asking.
    kafka_fetch_max_wait_ms: int = Field(default=500, ge=1)
    kafka_idle_fetch_max_wait_ms: int = Field(default=10_000, ge=1)
    consumer_max_attempts: int = Field(default=3, ge=1)
    # The relay publishes as soon as a commit of its process, or a notification of another's,
    # tells it there are rows; it also looks this often, in case a notification was lost.
    outbox_poll_interval_s: float = Field(default=60.0, gt=0)
    # Every statement of a service ends within this, even on a connection cut mid-answer; an
    # outage it meets is waited out and the statement tried again.
    database_statement_timeout_s: float = Field(default=30, gt=0)
    # How long published events are kept, so that a broker that lost them (the embedded one keeps
    # nothing across restarts) can be given them again: longer than any outage you mean to survive.
    outbox_retention_days: float = Field(default=7, gt=0)
    # How long a consumer's inbox remembers an event it handled, which is what makes a redelivered
    # event do nothing: at least OUTBOX_RETENTION_DAYS (refused otherwise) and at least the topics'
    # retention (retention.ms, 7 days in deploy/k8s), so that nothing still redeliverable is forgotten.
    inbox_retention_days: float = Field(default=14, gt=0)
    # The pruner (shared/retention.py): how often it looks, how many rows one slice deletes, and
    # the pause between slices, so that pruning never holds up the hot path. What it prunes is kept
    # for days: looking every ten minutes is soon enough, and an idle stack is not woken for it.
    retention_interval_s: float = Field(default=600, gt=0)
    retention_batch_size: int = Field(default=1000, ge=1)
    retention_pause_s: float = Field(default=0.1, ge=0)
    # A partner may spend this many seconds of its rate at once (at least one request). Intake
    # keeps the rates in its schema, so they hold across its replicas (shared/ratelimit.py).
    rate_limit_burst_s: float = Field(default=2.0, gt=0)
    # Connections each process keeps to PostgreSQL (as many again may open under load).
    database_pool_size: int = Field(default=10, ge=1)
    log_level: str = "INFO"
    # Policy versions beside the bundled ones (a renewal, a district's supplementary policy), as
    # TOML files in the bundled format: POLICY_EXTRA_FILES='["/etc/subsidy/district-2025.toml"]'.
    policy_extra_files: list[str] = []
    # The key partners' webhook secrets are encrypted with (one Fernet key, or several separated by
    # commas while rotating: the first encrypts). Intake and notify refuse to start without it.
    secrets_key: SecretStr | None = None
    # Development only: lets webhooks target loopback and private addresses, and over plain http.
    # Never on by default; cloud-metadata addresses stay refused even then.
    webhook_allow_private_targets: bool = False
    webhook_resolve_timeout_s: float = Field(default=2.0, gt=0)
    # Traces (shared/tracing.py): exported over OTLP to this collector when set, off otherwise.
    # The exporter also reads the other standard OTEL_EXPORTER_OTLP_* variables (headers, …).
    otel_exporter_otlp_endpoint: str | None = None
    otel_exporter_otlp_protocol: Literal["http/protobuf", "grpc"] = "http/protobuf"
    # Where a service's worker processes keep their metrics for the operators' port to add up;
    # `subsidy serve` empties it at start, or makes a temporary one when unset.
    prometheus_multiproc_dir: str | None = None

    @model_validator(mode="after")
    def _inbox_outlives_outbox(self) -> Self:
        if self.inbox_retention_days < self.outbox_retention_days:
            raise ValueError(
                f"INBOX_RETENTION_DAYS ({self.inbox_retention_days:g}) is shorter than OUTBOX_RETENTION_DAYS "
                f"({self.outbox_retention_days:g}): an event published again from an outbox would be handled twice "
                f"/ INBOX_RETENTION_DAYS（{self.inbox_retention_days:g}）短于 OUTBOX_RETENTION_DAYS"
                f"（{self.outbox_retention_days:g}）：从发件箱重新发布的事件会被重复处理"
            )
        return self

    @property
    def clock_file(self) -> Path | None:
        """A file holding the time this process's clock reads instead of the system's (see
        shared/clock.py); only quota's settings name one."""
        return None

    @property
    def brokers(self) -> str:
        if not self.kafka_bootstrap_servers:
            raise SettingMissing("KAFKA_BOOTSTRAP_SERVERS", f"{self.service_name} consumes and publishes events")
        return self.kafka_bootstrap_servers

    @property
    def admin_port_in_use(self) -> int:
        return self.admin_port or self.http_port + 1000

    @cached_property
    def sqlalchemy_url(self) -> str:
        if self.database_url is None:
            raise SettingMissing("DATABASE_URL", f"{self.service_name} keeps its state in PostgreSQL")
        url = self.database_url.get_secret_value()
        return url.replace("postgresql://", "postgresql+asyncpg://", 1)
