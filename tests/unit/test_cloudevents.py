"""Every event type the product registers (and so documents in AsyncAPI) converts with the CloudEvents
SDK's Kafka binding: binary mode, attributes in `ce_*` headers, the JSON payload as the value. What a
consumer that is not ours reads is what we sent."""

import json

import pytest
from cloudevents.core.bindings import kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from shared import asyncapi
from shared.messaging.envelope import Envelope
from shared.messaging.payloads import all_payload_types
from tests.cloudevents_sdk import assert_same, read, sample

TYPES = sorted(all_payload_types())


def test_the_types_are_those_the_asyncapi_document_describes():
    documented = {m["name"] for m in asyncapi.document()["components"]["messages"].values()}
    assert set(TYPES) == documented - {"dead letter", "dead letter replayed"}


@pytest.mark.parametrize("ce_type", TYPES)
def test_an_event_of_every_type_converts_with_the_sdk(ce_type):
    model = all_payload_types()[ce_type]
    first = Envelope.of(sample(model), source="/subsidy/intake", key="91510100MA61R8XN39", subject="a-1")
    answer = Envelope.of(sample(model), source="/subsidy/eligibility", key="K", subject="a-1", cause=first)
    for sent in (first, answer):
        assert_same(read(sent.key.encode(), sent.data, sent.headers()), sent)


RECEIVED = sorted(t for t, m in all_payload_types().items() if m.topic in asyncapi.RECEIVED_TOPICS)


@pytest.mark.parametrize("ce_type", RECEIVED)
def test_an_event_another_system_sends_with_the_sdk_is_read_by_the_product(ce_type):
    payload = sample(all_payload_types()[ce_type])
    event = CloudEvent(
        {"type": ce_type, "source": "/finance", "subject": "m-1", "datacontenttype": "application/json"},
        json.loads(payload.model_dump_json()),
    )
    message = kafka.to_binary(event, JSONFormat(), key_mapper=lambda _: "m-1")  # the SDK writes its time in Z
    assert isinstance(message.key, str)
    got = Envelope.from_record(message.key.encode(), message.value, list(message.headers.items()))
    assert (got.id, got.type, got.source, got.subject, got.time, got.key) == (
        event.get_id(),
        ce_type,
        "/finance",
        "m-1",
        event.get_time(),
        "m-1",
    )
    assert got.payload() == payload
