"""OpenTelemetry traces across the bus: a span per HTTP request, a span per event a consumer
handles (a child of the `traceparent` the event carries), and events published while a span is
current carry that span's `traceparent`, so one trace runs from a partner's request through every
service it set moving.

The HTTP spans are FastAPI's own (its native OpenTelemetry support, on once a tracer provider is
installed): a server span per request named by its route, continuing the caller's `traceparent`.

Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (or a test installs a provider with `enable`):
then no span is made and the hot path pays one boolean test. OTEL_EXPORTER_OTLP_PROTOCOL picks
`http/protobuf` (the default, port 4318) or `grpc` (4317).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.messaging.envelope import Envelope
from shared.settings import Settings

_propagator = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("subsidy")
_enabled = False


def enabled() -> bool:
    return _enabled


def configure(service: str, settings: Settings) -> None:
    """Exports spans over OTLP when an endpoint is configured; otherwise tracing stays off. The
    exporter reads the standard OTEL_EXPORTER_OTLP_* variables itself (endpoint, headers, …)."""
    if _enabled or not settings.otel_exporter_otlp_endpoint:
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

    exporter: type[SpanExporter]
    if settings.otel_exporter_otlp_protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

        exporter = GrpcExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

        exporter = HttpExporter
    provider = TracerProvider(resource=Resource.create({"service.name": f"subsidy-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(exporter()))
    enable(provider)


def enable(provider: trace.TracerProvider) -> None:
    """Installs the provider spans go to (once per process, as OpenTelemetry allows) and turns
    tracing on."""
    global _enabled
    trace.set_tracer_provider(provider)
    _enabled = True


def disable() -> None:
    """Stops making spans (for tests: OpenTelemetry keeps the provider for the process)."""
    global _enabled
    _enabled = False


def current_traceparent() -> str | None:
    """The W3C traceparent of the span now current (a request's), if tracing is on and one is."""
    if not _enabled:
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def consuming(group: str, envelopes: list[Envelope]) -> Iterator[list[Envelope]]:
    """A consumer span for each event handled together, each a child of the span that published
    its event. Yields the envelopes carrying their own span's traceparent, so the events a
    handler publishes in answer (`cause=`) continue the trace. When off, yields them unchanged."""
    if not _enabled:
        yield envelopes
        return
    spans = [
        _tracer.start_span(
            f"{e.type} process",
            context=_propagator.extract({"traceparent": e.traceparent or ""}),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.consumer.group.name": group,
                "messaging.message.id": e.id,
            },
        )
        for e in envelopes
    ]
    try:
        yield [replace(e, traceparent=_traceparent(span)) for e, span in zip(envelopes, spans, strict=False)]
    except BaseException as error:
        for span in spans:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR))
        raise
    finally:
        for span in spans:
            span.end()


def _traceparent(span: trace.Span) -> str:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    return carrier["traceparent"]
