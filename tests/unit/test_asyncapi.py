"""The AsyncAPI document describes every event as the code publishes it, and is valid AsyncAPI 3."""

import json

import httpx
import jsonschema
import pytest
from typer.testing import CliRunner

from services.cli import app
from shared import asyncapi, topics
from shared.messaging.payloads import all_payload_types
from tests.deploy_tools import schema

SPEC = schema("asyncapi-3.0.0.json")


def test_the_document_is_valid_against_the_asyncapi_3_schema():
    jsonschema.Draft7Validator(SPEC).validate(asyncapi.document())


def test_a_broken_document_is_refused_by_the_schema():
    doc = asyncapi.document()
    doc["operations"]["send-decisions"]["action"] = "publish"  # AsyncAPI 2's word
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SPEC).validate(doc)


def test_every_event_type_is_a_message_on_its_topic_with_its_schema_and_key():
    doc = asyncapi.document()
    by_type = {m["name"]: (name, m) for name, m in doc["components"]["messages"].items()}
    assert set(by_type) - {"dead letter", "dead letter replayed"} == set(all_payload_types())
    for ce_type, model in all_payload_types().items():
        name, message = by_type[ce_type]
        (channel,) = [c for c in doc["channels"].values() if name in c["messages"]]
        assert channel["address"] == model.topic
        assert channel["bindings"]["kafka"]["partitions"] == topics.PARTITIONS
        assert message["headers"]["properties"]["ce_type"]["const"] == ce_type
        assert message["bindings"]["kafka"]["key"]["description"] == topics.KEYS[model.topic]
        payload = doc["components"]["schemas"][message["payload"]["$ref"].rsplit("/", 1)[-1]]
        assert set(payload["properties"]) == set(model.model_fields)


def test_the_dead_letter_topics_are_documented():
    doc = asyncapi.document()
    assert doc["channels"]["dead-letters"]["address"] == topics.DEAD_LETTERS
    assert doc["channels"]["dead-letters.replays"]["address"] == topics.DEAD_LETTER_REPLAYS
    assert doc["operations"]["send-dead-letters"]["action"] == "send"
    assert "dead letter" in asyncapi.html(doc)


def test_money_is_documented_as_a_decimal_string_as_it_travels():
    award = asyncapi.document()["components"]["schemas"]["AwardGrantedV1"]
    assert award["properties"]["amount"]["type"] == "string"


def test_finance_results_are_received_and_everything_else_is_published():
    operations = asyncapi.document()["operations"]
    assert operations["receive-finance-results"]["action"] == "receive"
    assert {o["action"] for k, o in operations.items() if k != "receive-finance-results"} == {"send"}


def test_the_command_prints_the_document():
    printed = CliRunner().invoke(app, ["asyncapi"])
    assert printed.exit_code == 0 and json.loads(printed.output) == json.loads(json.dumps(asyncapi.document()))


async def test_intake_serves_the_document_and_its_page_beside_the_openapi_docs():
    from services.intake.main import create_app
    from shared.secretbox import new_key
    from shared.settings import Settings

    intake = create_app(
        Settings(database_url="postgresql://x@localhost/x", kafka_bootstrap_servers="-", secrets_key=new_key())
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake), base_url="http://intake") as client:
        document = (await client.get("/asyncapi.json")).json()
        page = await client.get("/asyncapi")
        openapi = (await client.get("/openapi.json")).json()
    jsonschema.Draft7Validator(SPEC).validate(document)
    assert page.headers["content-type"].startswith("text/html")
    assert "subsidy.application.submitted.v1" in page.text and "<script" not in page.text
    assert "/asyncapi" in openapi["info"]["description"]
