"""JSON logs that carry the correlation id, and the Prometheus metrics every service exports."""

import logging
import sys
from contextvars import ContextVar

from prometheus_client import Counter, Gauge
from pythonjsonlogger.json import JsonFormatter

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

EVENTS_CONSUMED = Counter("subsidy_events_consumed_total", "Events handled by a consumer",
                          ["consumer", "type", "result"])
OUTBOX_PUBLISHED = Counter("subsidy_outbox_published_total", "Outbox rows relayed to Kafka", ["schema"])
CONSUMER_LAG = Gauge("subsidy_consumer_lag", "Messages behind the partition's high watermark",
                     ["consumer", "topic", "partition"])


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
    handler.setFormatter(JsonFormatter(
        "{asctime}{levelname}{name}{message}{service}{correlation_id}", style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))
