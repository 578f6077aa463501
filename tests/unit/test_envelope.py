import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shared.events import AwardGrantedV1, GrantLine
from shared.messaging.envelope import Envelope, MalformedEvent
from shared.messaging.payloads import all_payload_types


def award() -> AwardGrantedV1:
    return AwardGrantedV1(
        award_id=uuid.uuid4(),
        application_id=uuid.uuid4(),
        credit_code="91510100MA61R8XN39",
        clause="1.1-node",
        amount=Decimal("800000.00"),
        granted_at=datetime.now(UTC),
        grants=[GrantLine(subject_key="node_id=SN-1", amount=Decimal("800000.00"))],
    )


def test_an_event_survives_the_trip_through_kafka_headers_unchanged():
    event = Envelope.of(award(), source="/subsidy/eligibility", key="K", subject="S", correlation_id="c-1")
    back = Envelope.from_record(b"K", event.data, event.headers())
    assert back == event
    assert back.payload() == award().model_validate_json(event.data)


def test_money_travels_as_a_decimal_string_never_a_float():
    assert b'"amount":"800000.00"' in Envelope.of(award(), source="/t", key="K", subject="S").data


def test_an_event_answering_another_inherits_its_correlation_and_names_its_cause():
    first = Envelope.of(award(), source="/a", key="K", subject="S")
    second = Envelope.of(award(), source="/b", key="K", subject="S", cause=first)
    assert (second.correlation_id, second.causation_id, second.traceparent) == (
        first.correlation_id,
        first.id,
        first.traceparent,
    )
    assert first.traceparent is not None
    assert first.traceparent.startswith("00-") and len(first.traceparent) == 55


@pytest.mark.parametrize(
    "headers, value, problem",
    [
        ([], b"{}", "missing CloudEvents headers"),
        (
            [
                ("ce_specversion", b"0.3"),
                ("ce_id", b"1"),
                ("ce_type", b"x"),
                ("ce_source", b"/"),
                ("ce_time", b"2024-01-01T00:00:00+00:00"),
            ],
            b"{}",
            "unsupported ce_specversion",
        ),
        (
            [
                ("ce_specversion", b"1.0"),
                ("ce_id", b"1"),
                ("ce_type", b"subsidy.nothing.v1"),
                ("ce_source", b"/"),
                ("ce_time", b"2024-01-01T00:00:00+00:00"),
            ],
            b"{}",
            "unknown event type",
        ),
        (
            [
                ("ce_specversion", b"1.0"),
                ("ce_id", b"1"),
                ("ce_type", b"subsidy.award.granted.v1"),
                ("ce_source", b"/"),
                ("ce_time", b"2024-01-01T00:00:00+00:00"),
            ],
            b'{"amount": 1.5}',
            "subsidy.award.granted.v1",
        ),
    ],
)
def test_a_message_that_can_never_be_processed_is_malformed(headers, value, problem):
    with pytest.raises(MalformedEvent, match=problem):
        Envelope.from_record(b"K", value, headers).payload()


def test_every_event_type_is_versioned_and_past_tense():
    for ce_type in all_payload_types():
        *_, verb, version = ce_type.split(".")
        assert version.startswith("v") and version[1:].isdigit(), ce_type
        assert verb.endswith("ed") or verb in {"made", "paid", "held", "withdrawn", "found"}, ce_type
