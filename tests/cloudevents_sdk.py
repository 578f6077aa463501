"""Our Kafka records as the CloudEvents SDK reads them (its Kafka binding, binary mode), checked
against the event the product meant to send; and a sample payload of every registered event type."""

import json
import types
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import kafka
from cloudevents.core.formats.json import JSONFormat
from pydantic import BaseModel

from shared.messaging.envelope import CONTENT_TYPE, SPECVERSION, Envelope
from shared.messaging.payloads import Payload, payload_type


def read(key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]]) -> BaseCloudEvent:
    """The record as the SDK converts it, as any consumer using the SDK would."""
    as_dict = dict(headers)
    assert len(as_dict) == len(headers), f"a header appears twice: {[k for k, _ in headers]}"
    return kafka.from_binary(kafka.KafkaMessage(headers=as_dict, key=key, value=value), JSONFormat())


def assert_same(event: BaseCloudEvent, sent: Envelope) -> None:
    """The SDK's event carries every attribute and the data of the event the product sent."""
    got = {
        "specversion": event.get_specversion(),
        "id": event.get_id(),
        "source": event.get_source(),
        "type": event.get_type(),
        "subject": event.get_subject(),
        "time": event.get_time(),
        "datacontenttype": event.get_datacontenttype(),
        "partitionkey": event.get_extension("partitionkey"),
        "correlationid": event.get_extension("correlationid"),
        "causationid": event.get_extension("causationid"),
        "data": event.get_data(),
    }
    meant = {
        "specversion": SPECVERSION,
        "id": sent.id,
        "source": sent.source,
        "type": sent.type,
        "subject": sent.subject,
        "time": sent.time,
        "datacontenttype": CONTENT_TYPE,
        "partitionkey": sent.key,
        "correlationid": sent.correlation_id,
        "causationid": sent.causation_id,
        "data": json.loads(sent.data),
    }
    # This module is not a test module: pytest does not rewrite its asserts, so they say it themselves.
    assert got == meant, f"the SDK read {got}\nthe product sent {meant}"
    model = payload_type(sent.type)
    assert model is not None and model.model_validate(got["data"]) == sent.payload(), got["data"]


def sample(model: type[Payload]) -> Payload:
    """A valid instance of the payload type, every field filled (validated by the model itself)."""
    return model.model_validate(_fields(model))


SHA256_HEX = r"^[0-9a-f]{64}$"


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {
        # A hash or MAC takes 64 hex digits, wider than any other text.
        name: uuid.uuid4().hex * 2
        if any(getattr(m, "pattern", None) == SHA256_HEX for m in field.metadata)
        else _value(field.annotation)
        for name, field in model.model_fields.items()
    }


def _value(annotation: Any) -> Any:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:  # its constraints are the model's to check
        return _value(args[0])
    if origin is Literal:
        return args[0]
    if origin in (Union, types.UnionType):  # an optional field: filled, so that its schema is exercised
        return _value(next(a for a in args if a is not type(None)))
    if origin is list:
        return [_value(args[0])]
    if origin is dict:
        return {"key": "value"}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _fields(annotation)
    # 32 hex digits: a text every string field takes, the narrowest (end-to-end ids) included.
    scalars = {
        str: uuid.uuid4().hex,
        uuid.UUID: uuid.uuid4(),
        datetime: datetime(2025, 3, 3, 9, 30, 15, 123456, tzinfo=UTC),
        date: date(2025, 3, 3),
        Decimal: Decimal("12.50"),  # within every bound: money, scores (0-100), ISO amounts
        int: 7,
        bool: True,
    }
    return scalars[annotation]
