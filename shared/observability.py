"""JSON logs that carry the correlation id, and the Prometheus metrics every service exports.

Metrics are right however many worker processes a service runs: `subsidy serve` gives its workers
a shared PROMETHEUS_MULTIPROC_DIR (emptied at start) before any metric exists, each worker writes
its values there, and the operators' port serves them aggregated (`exposition`). Gauges say how
their workers' values combine: lag and outbox age take the value reported last.

What the on-call asks, and the metric that answers:
- is a group falling behind?        subsidy_consumer_lag{consumer,topic,partition}
- is an outbox stuck?               subsidy_outbox_oldest_unpublished_seconds{schema}
- did anything go to dead letters?  subsidy_dead_letters_total{consumer,type}
- events handled, and how?          subsidy_events_consumed_total{consumer,type,result}
- what is being decided and paid?   subsidy_decisions_total{clause,outcome}, subsidy_awarded_yuan_total{clause},
                                    subsidy_paid_yuan_total
- are partners getting errors?      subsidy_http_requests_total{service,status_class},
                                    subsidy_http_request_duration_seconds{service}
- are the tables bounded?           subsidy_table_rows{schema,table}, subsidy_table_bytes{schema,table},
                                    subsidy_rows_pruned_total{schema,table} (shared/retention.py)
"""

import logging
import os
import sys
from collections.abc import Callable
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

EVENTS_CONSUMED = Counter(
    "subsidy_events_consumed_total", "Events handled by a consumer", ["consumer", "type", "result"]
)
DEAD_LETTERS = Counter(
    "subsidy_dead_letters_total", "Events a consumer gave up on and dead-lettered", ["consumer", "type"]
)
OUTBOX_PUBLISHED = Counter("subsidy_outbox_published_total", "Outbox rows relayed to Kafka", ["schema"])
CONSUMER_LAG = Gauge(
    "subsidy_consumer_lag",
    "Messages behind the partition's high watermark",
    ["consumer", "topic", "partition"],
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST = Gauge(
    "subsidy_outbox_oldest_unpublished_seconds",
    "Age of the oldest outbox row not yet published (0 when none waits)",
    ["schema"],
    multiprocess_mode="mostrecent",
)
DECISIONS = Counter("subsidy_decisions_total", "Applications decided", ["clause", "outcome"])
AWARDED = Counter("subsidy_awarded_yuan_total", "Yuan awarded by eligible decisions", ["clause"])
PAID = Counter("subsidy_paid_yuan_total", "Yuan the finance system settled and the ledger booked")
HTTP_REQUESTS = Counter("subsidy_http_requests_total", "HTTP requests answered", ["service", "status_class"])
HTTP_DURATION = Histogram(
    "subsidy_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

# Measured by each service's pruner on its tick (shared/retention.py), not on every scrape.
TABLE_ROWS = Gauge(
    "subsidy_table_rows",
    "Rows in a table of the service's schema (the planner's estimate)",
    ["schema", "table"],
    multiprocess_mode="mostrecent",
)
TABLE_BYTES = Gauge(
    "subsidy_table_bytes",
    "Bytes a table of the service's schema takes, with its indexes and TOAST",
    ["schema", "table"],
    multiprocess_mode="mostrecent",
)
ROWS_PRUNED = Counter("subsidy_rows_pruned_total", "Rows deleted once past their retention", ["schema", "table"])

_ON_COMMIT = "observability.on_commit"


def exposition() -> tuple[bytes, str]:
    """The metrics of every worker of this service, and their content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        # prometheus_client leaves this constructor unannotated.
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def on_commit(session: AsyncSession | Session, count: Callable[[], None]) -> None:
    """Counts `count` once the session's transaction commits: a batch retried after a rollback is
    counted once. Works with the sessions of `shared.messaging.outbox.sessions`."""
    session.info.setdefault(_ON_COMMIT, []).append(count)


def run_on_commit(info: dict[Any, Any]) -> None:  # a Session's info
    for count in info.pop(_ON_COMMIT, ()):
        count()


def forget_on_rollback(info: dict[Any, Any]) -> None:
    info.pop(_ON_COMMIT, None)


def count_decisions(session: AsyncSession | Session, decisions: list[tuple[str, str, Decimal]]) -> None:
    """(clause, outcome, amount) of each decision a transaction records; eligible ones count as awarded."""

    def count() -> None:
        for clause, outcome, amount in decisions:
            DECISIONS.labels(clause, outcome).inc()
            if outcome == "eligible":
                AWARDED.labels(clause).inc(float(amount))

    on_commit(session, count)


def count_paid(session: AsyncSession | Session, amount: Decimal) -> None:
    on_commit(session, lambda: PAID.inc(float(amount)))


class _CorrelationFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.correlation_id = correlation_id.get()
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_CorrelationFilter(service))
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}{service}{correlation_id}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))
