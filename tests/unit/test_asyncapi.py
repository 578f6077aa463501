"""The AsyncAPI document describes every event as the code publishes it, and is valid AsyncAPI 3."""

import json
import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import jsonschema
import pytest
from typer.testing import CliRunner

from services.cli import app
from shared import asyncapi, topics
from shared.events import LedgerHead
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


def test_the_finance_instructions_show_each_text_s_iso_20022_limit_and_a_batch_meets_them():
    doc = asyncapi.document()
    schemas = doc["components"]["schemas"]
    batch, transfer = schemas["PaymentsInstructedV3"]["properties"], schemas["CreditTransferV2"]["properties"]
    lengths = {
        name: field.get("maxLength") for name, field in (batch | transfer).items() if field.get("type") == "string"
    }
    assert lengths == {
        "message_id": 35,
        "payment_information_id": 35,
        "debtor_name": 140,
        "debtor_account": 34,
        "end_to_end_id": 35,
        "creditor_name": 140,
        "creditor_account": 34,
        "creditor_agent": 140,
        "remittance_information": 140,
        "created_at": None,  # ISODateTime
        "requested_execution_date": None,  # ISODate
        "control_sum": None,  # a decimal string: its pattern is its limit
        "amount": None,
        "currency": None,  # a const
    }
    assert transfer["end_to_end_id"]["pattern"] == "^[0-9a-f]{32}$"
    assert transfer["amount"]["pattern"] == batch["control_sum"]["pattern"] == r"^[0-9]{1,16}\.[0-9]{2}$"
    assert batch["number_of_transactions"]["maximum"] == 10**15 - 1
    assert {"PaymentsInstructedV2", "PaymentsInstructedV3", "LedgerHeadPublishedV1"} <= set(
        doc["channels"]["finance-instructions"]["messages"]
    )
    assert batch["ledger_head"] == {"$ref": "#/components/schemas/LedgerHead"}

    # A bank-side bridge validating against the document takes what payout sends.
    from services.payout.domain import instructions

    item = instructions.Instruction(
        uuid.uuid4(),
        Decimal("800000.00"),
        "成都链网科技有限公司",
        "6222020200112233445",
        "工商银行",
        "1.1-node",
        uuid.uuid4(),
    )
    sent = instructions.batch(
        [item],
        datetime(2025, 3, 3, 2, tzinfo=UTC),
        debtor_name="委",
        debtor_account="51",
        execution_date=date(2025, 3, 3),
        ledger_head=LedgerHead(
            seq=1, hash="a" * 64, published_at=datetime(2025, 3, 3, 2, tzinfo=UTC), key_id="k1", mac="b" * 64
        ),
    )
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/PaymentsInstructedV3", "components": {"schemas": schemas}},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    validator.validate(json.loads(sent.model_dump_json()))
    hyphenated = json.loads(sent.model_dump_json())
    hyphenated["transactions"][0]["end_to_end_id"] = str(item.payout_id)  # as v1 carried it: refused
    assert not validator.is_valid(hyphenated)


def test_the_answers_document_both_spellings_of_the_end_to_end_id_they_echo():
    schemas = asyncapi.document()["components"]["schemas"]
    for model in ("TransactionStatus", "BookedEntry"):
        echoed = schemas[model]["properties"]["end_to_end_id"]
        assert echoed["maxLength"] == 36 and "format" not in echoed
        payout_id = uuid.uuid4()
        assert re.search(echoed["pattern"], payout_id.hex) and re.search(echoed["pattern"], str(payout_id))
        assert not re.search(echoed["pattern"], f"urn:uuid:{payout_id}")
