"""One trace runs from a partner's request through every consumer of the events it caused."""

import copy
import uuid

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared import tracing
from tests.books import EXAMPLES
from tests.builders import applicant_code
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.enable(provider)
    yield exporter
    tracing.disable()


async def test_the_request_and_the_consumers_of_what_it_caused_share_one_trace(stack, spans):
    from services.eligibility.main import create_app as eligibility
    from services.intake.main import create_app as intake
    from services.payout.main import create_app as payout

    apps = [
        intake(stack.settings("intake")),
        eligibility(stack.settings("eligibility")),
        payout(stack.settings("payout")),
    ]
    key = await stack.key()
    application = copy.deepcopy(EXAMPLES["1.1-node"])
    application["applicant"]["credit_code"] = applicant_code(777_001)
    caller_trace = uuid.uuid4().hex
    contexts = [app.router.lifespan_context(app) for app in apps]
    for context in contexts:
        await context.__aenter__()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[0]), base_url="http://intake") as client:
            answer = await client.post(
                "/v1/applications",
                json=application,
                headers={
                    "Authorization": f"Bearer {key}",
                    "Idempotency-Key": "trace-1",
                    "traceparent": f"00-{caller_trace}-{uuid.uuid4().hex[:16]}-01",
                },
            )
        assert answer.status_code == 202, answer.text

        def finished(kind, name):
            return [s for s in spans.get_finished_spans() if s.kind == kind and s.name == name]

        async def booked():  # by payout's ledger (eligibility records the grant from the same event)
            spans_ = finished(SpanKind.CONSUMER, "subsidy.award.granted.v1 process")
            groups = {s.attributes["messaging.consumer.group.name"] for s in spans_}
            return "payout-ledger" in groups and spans_

        await eventually(booked, timeout_s=30)
        (request,) = finished(SpanKind.SERVER, "POST /v1/applications")
        assert format(request.context.trace_id, "032x") == caller_trace  # the partner's own trace goes on
        decided = finished(SpanKind.CONSUMER, "subsidy.application.submitted.v1 process")
        awarded = await booked()
        assert {s.context.trace_id for s in decided + awarded} == {request.context.trace_id}
        # Each hop is a child of the one before: the request (its endpoint's span, within the
        # request's) → eligibility → payout.
        within_request = {
            s.context.span_id
            for s in spans.get_finished_spans()
            if s.context.trace_id == request.context.trace_id and s.kind != SpanKind.CONSUMER
        }
        assert {s.parent.span_id for s in decided} <= within_request
        assert {s.parent.span_id for s in awarded} <= {s.context.span_id for s in decided}
        assert {s.attributes["messaging.consumer.group.name"] for s in decided + awarded} >= {
            "eligibility-decisions",
            "payout-ledger",
        }
    finally:
        for context in reversed(contexts):
            await context.__aexit__(None, None, None)
