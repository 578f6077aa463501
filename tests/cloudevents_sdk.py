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
    assert (event.get_specversion(), event.get_id(), event.get_source(), event.get_type()) == (
        SPECVERSION,
        sent.id,
        sent.source,
        sent.type,
    )
    assert (event.get_subject(), event.get_time(), event.get_datacontenttype()) == (
        sent.subject,
        sent.time,
        CONTENT_TYPE,
    )
    assert event.get_extension("partitionkey") == sent.key
    assert event.get_extension("correlationid") == sent.correlation_id
    assert event.get_extension("causationid") == sent.causation_id
    data = event.get_data()
    assert isinstance(data, dict), f"the SDK did not read the value as JSON: {data!r}"
    assert data == json.loads(sent.data)
    model = payload_type(event.get_type())
    assert model is not None and model.model_validate(data) == sent.payload()


def sample(model: type[Payload]) -> Payload:
    """A valid instance of the payload type, every field filled (validated by the model itself)."""
    return model.model_validate(_fields(model))


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {name: _value(field.annotation) for name, field in model.model_fields.items()}


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
