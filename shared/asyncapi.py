"""The AsyncAPI 3 document of the product's events, generated from the payload models themselves:
a channel per topic, a message per `ce_type` with its JSON Schema (as serialised on the wire), the
CloudEvents headers every message carries, and each topic's key; and the dead-letter topics, whose
messages are any event as it failed, with the failure in `dlt_*` headers.

`subsidy asyncapi` prints it; intake serves it at `/asyncapi.json`, rendered at `/asyncapi`.
"""

from __future__ import annotations

import inspect
import json
from html import escape as html_escape
from typing import Any

from pydantic.json_schema import models_json_schema

from shared import events, topics  # noqa: F401  (importing the events registers every payload type)
from shared.messaging.envelope import CONTENT_TYPE, SPECVERSION
from shared.messaging.payloads import Payload, all_payload_types

# Events other systems publish to us; every other message is one we publish.
RECEIVED_TOPICS = {topics.FINANCE_RESULTS}
KAFKA_BINDING = "0.5.0"


def _headers(ce_type: str) -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"],
        "properties": {
            "ce_specversion": {"type": "string", "const": SPECVERSION},
            "ce_id": {**text, "description": "the event's id; consumers deduplicate on it"},
            "ce_source": {**text, "description": "/subsidy/<service> that published it"},
            "ce_type": {"type": "string", "const": ce_type},
            "ce_time": {**text, "format": "date-time"},
            "ce_subject": {**text, "description": "what the event is about (an application, payout, round…)"},
            "content-type": {"type": "string", "const": CONTENT_TYPE},
            "ce_correlationid": {**text, "description": "the request that started the chain"},
            "ce_causationid": {**text, "description": "the event that caused this one"},
            "traceparent": {**text, "description": "W3C trace context"},
        },
    }


# What a consumer adds when it gives up on a record (shared/messaging/consumer.py).
DEAD_LETTER_HEADERS = {
    "dlt_consumer": "the consumer group that gave up",
    "dlt_topic": "where the record came from (a replay sends it back)",
    "dlt_partition": "its partition there",
    "dlt_offset": "its offset there",
    "dlt_error": "what went wrong, without bound values",
    "dlt_error_type": "the error's type",
    "dlt_attempts": "how many times it was tried",
    "dlt_at": "when it was given up on (ISO 8601)",
}


def _dead_letter_channels() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    letter: dict[str, Any] = {
        "name": "dead letter",
        "title": "DeadLetter",
        "contentType": CONTENT_TYPE,
        "summary": "A record a consumer could not handle, as it was, with why in `dlt_*` headers.",
        "headers": {
            "type": "object",
            "required": [*DEAD_LETTER_HEADERS],
            "properties": {
                **{k: {"type": "string", "description": d} for k, d in DEAD_LETTER_HEADERS.items()},
                "ce_type": {"type": "string", "description": "the failed event's type, when it had one"},
            },
        },
        "payload": {"description": "the failed record's value, byte for byte (usually one of the events)"},
    }
    replay: dict[str, Any] = {
        "name": "dead letter replayed",
        "title": "DeadLetterReplayed",
        "contentType": CONTENT_TYPE,
        "summary": "A dead letter sent back to its topic (`subsidy dead-letters replay`); keyed by its id.",
        "payload": {"type": "object", "maxProperties": 0},
    }
    channels, operations = {}, {}
    for topic, message in ((topics.DEAD_LETTERS, letter), (topics.DEAD_LETTER_REPLAYS, replay)):
        channel = topic.removeprefix("subsidy.")
        channels[channel] = {
            "address": topic,
            "description": f"Keyed by {topics.KEYS[topic]}.",
            "messages": {message["title"]: {"$ref": f"#/components/messages/{message['title']}"}},
        }
        operations[f"send-{channel}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{message['title']}"}],
        }
    return channels, operations, {letter["title"]: letter, replay["title"]: replay}


def _name(model: type[Payload]) -> str:
    return model.__name__


def document(version: str = "1.0.0") -> dict[str, Any]:
    models = sorted(all_payload_types().values(), key=lambda m: (m.topic, m.ce_type))
    _, schemas = models_json_schema([(m, "serialization") for m in models], ref_template="#/components/schemas/{model}")
    schemas = schemas.get("$defs", {})
    channels, operations, messages = {}, {}, {}
    for topic in topics.ALL:
        on_topic = [m for m in models if m.topic == topic]
        if not on_topic:
            continue
        channel = topic.removeprefix("subsidy.")
        channels[channel] = {
            "address": topic,
            "description": f"Keyed by {topics.KEYS[topic]}; {topics.PARTITIONS} partitions.",
            "messages": {_name(m): {"$ref": f"#/components/messages/{_name(m)}"} for m in on_topic},
            "bindings": {"kafka": {"topic": topic, "partitions": topics.PARTITIONS, "bindingVersion": KAFKA_BINDING}},
        }
        operations[f"{'receive' if topic in RECEIVED_TOPICS else 'send'}-{channel}"] = {
            "action": "receive" if topic in RECEIVED_TOPICS else "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{_name(m)}"} for m in on_topic],
        }
        for m in on_topic:
            messages[_name(m)] = {
                "name": m.ce_type,
                "title": _name(m),
                "contentType": CONTENT_TYPE,
                "summary": (inspect.getdoc(m) or m.ce_type).split("\n")[0],
                "headers": _headers(m.ce_type),
                "payload": {"$ref": f"#/components/schemas/{_name(m)}"},
                "bindings": {
                    "kafka": {
                        "key": {"type": "string", "description": topics.KEYS[topic]},
                        "bindingVersion": KAFKA_BINDING,
                    }
                },
            }
    dead = _dead_letter_channels()
    channels, operations, messages = channels | dead[0], operations | dead[1], messages | dead[2]
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Chengdu blockchain subsidy — events",
            "version": version,
            "description": (
                "Every event the subsidy system publishes on Kafka, and those it receives from the city's finance "
                "system. CloudEvents 1.0 in Kafka binary mode: attributes in `ce_*` headers, the JSON payload as "
                "the value. Types are versioned (`….vN`) and never edited: a change is a new type. Money is a "
                "decimal string."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "production": {
                "host": "kafka:9092",
                "protocol": "kafka",
                "description": "the KAFKA_BOOTSTRAP_SERVERS of the deployment",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def html(doc: dict[str, Any]) -> str:
    """The document as one self-contained page (no scripts, nothing fetched): for people."""
    esc = _escape
    parts = [
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{esc(doc['info']['title'])}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "pre{background:#f4f4f4;padding:.5rem;overflow:auto}td,th{text-align:left;padding:.2rem .6rem}"
        "code{background:#f4f4f4}</style>",
        f"<h1>{esc(doc['info']['title'])} <small>AsyncAPI {esc(doc['asyncapi'])}</small></h1>",
        f"<p>{esc(doc['info']['description'])}</p><p><a href='/asyncapi.json'>asyncapi.json</a> · "
        "<a href='/docs'>HTTP API (OpenAPI)</a></p>",
    ]
    for name, channel in doc["channels"].items():
        (operation,) = [o for o in doc["operations"].values() if o["channel"]["$ref"] == f"#/channels/{name}"]
        who = "the subsidy system receives" if operation["action"] == "receive" else "the subsidy system publishes"
        parts.append(
            f"<h2 id='{esc(name)}'><code>{esc(channel['address'])}</code></h2>"
            f"<p>{esc(channel['description'])} Messages {who}:</p>"
        )
        for ref in channel["messages"].values():
            message = doc["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]]
            payload = message["payload"]
            schema = doc["components"]["schemas"][payload["$ref"].rsplit("/", 1)[-1]] if "$ref" in payload else payload
            parts.append(
                f"<h3><code>{esc(message['name'])}</code></h3><p>{esc(message['summary'])}</p>"
                "<table><tr><th>header</th><th></th></tr>"
                + "".join(
                    f"<tr><td><code>{esc(h)}</code></td><td>{esc(s.get('description', s.get('const', '')))}</td></tr>"
                    for h, s in message.get("headers", {}).get("properties", {}).items()
                )
                + "</table>"
                f"<pre>{esc(json.dumps(schema, indent=2, ensure_ascii=False))}</pre>"
            )
    return "".join(parts) + "</html>"


def _escape(value: object) -> str:
    return html_escape(str(value), quote=True)
