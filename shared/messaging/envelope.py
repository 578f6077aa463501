"""CloudEvents 1.0 in Kafka binary mode: attributes in `ce_*` headers, the JSON payload as the value.

Correlation and causation ids travel as extension attributes so that every event can be
traced back to the HTTP request that started its chain.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError

from shared.messaging.payloads import Payload, payload_type

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"


class MalformedEvent(ValueError):
    """A message that can never be processed, however often it is retried."""


@dataclass(frozen=True, slots=True)
class Envelope:
    type: str
    source: str
    subject: str
    key: str
    data: bytes
    correlation_id: str
    causation_id: str | None = None
    traceparent: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def of(
        cls,
        payload: Payload,
        *,
        source: str,
        key: str,
        subject: str,
        cause: Envelope | None = None,
        correlation_id: str | None = None,
        traceparent: str | None = None,
    ) -> Envelope:
        """A new event; when it answers another event it inherits that event's correlation and
        trace. `traceparent`, when given, is the span the event is published under."""
        correlation = cause.correlation_id if cause else correlation_id or str(uuid.uuid4())
        return cls(
            type=payload.ce_type,
            source=source,
            subject=subject,
            key=key,
            data=payload.model_dump_json().encode(),
            correlation_id=correlation,
            causation_id=cause.id if cause else None,
            traceparent=traceparent or (cause.traceparent if cause else None) or _new_traceparent(),
        )

    def headers(self) -> list[tuple[str, bytes]]:
        pairs = {
            "ce_specversion": SPECVERSION,
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_time": self.time.isoformat(),
            "ce_subject": self.subject,
            "content-type": CONTENT_TYPE,
            "ce_correlationid": self.correlation_id,
            "ce_causationid": self.causation_id,
            "traceparent": self.traceparent,
        }
        return [(k, v.encode()) for k, v in pairs.items() if v is not None]

    @classmethod
    def from_record(cls, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]) -> Envelope:
        h = {k: v.decode(errors="replace") for k, v in headers}
        missing = [n for n in ("ce_id", "ce_type", "ce_source", "ce_time") if n not in h]
        if missing:
            raise MalformedEvent(f"missing CloudEvents headers: {', '.join(missing)}")
        if h.get("ce_specversion") != SPECVERSION:
            raise MalformedEvent(f"unsupported ce_specversion {h.get('ce_specversion')!r}")
        if value is None:
            raise MalformedEvent("empty value")
        try:
            time = datetime.fromisoformat(h["ce_time"])
        except ValueError as e:
            raise MalformedEvent(f"ce_time: {e}") from None
        return cls(
            id=h["ce_id"],
            type=h["ce_type"],
            source=h["ce_source"],
            time=time,
            subject=h.get("ce_subject", ""),
            key=(key or b"").decode(errors="replace"),
            data=value,
            correlation_id=h.get("ce_correlationid", h["ce_id"]),
            causation_id=h.get("ce_causationid"),
            traceparent=h.get("traceparent"),
        )

    def payload(self) -> Payload:
        model = payload_type(self.type)
        if model is None:
            raise MalformedEvent(f"unknown event type {self.type!r}")
        try:
            return model.model_validate_json(self.data)
        except ValidationError as e:
            raise MalformedEvent(f"{self.type}: {e}") from None


def _new_traceparent() -> str:
    """A W3C trace context for a chain that starts here (version 00, sampled)."""
    return f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
