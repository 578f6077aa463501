"""Webhook targets are public: intake refuses every loopback, private, link-local, unique-local,
multicast, unspecified, carrier-grade-NAT and cloud-metadata address however it is spelt, and
notify checks again at send time on the address a name then resolves to. Both run as their own
processes with the development switch off, as in production."""

import asyncio
import ipaddress
import socket
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import httpx
import pytest

from shared import topics
from shared.events import ApplicationSubmittedV1, DecisionMadeV1, WebhookRegisteredV2
from shared.messaging.envelope import Envelope
from shared.secretbox import SecretBox
from shared.stack import ServiceProcess, free_port
from tests.conftest import SECRETS_KEY
from tests.kafka_tools import eventually, headers, publish, read_until

pytestmark = pytest.mark.integration
CREDIT_CODE = "91510100MA61R8XN39"
# The machine's own name: its resolver maps it to a local address (127.0.0.1 here), the way a
# partner's DNS could be made to answer with one of ours after registration.
OWN_NAME = socket.gethostname()


@pytest.fixture(scope="module")
def notify(stack, tmp_path_factory):
    process = ServiceProcess("notify", free_port(), stack.env(), tmp_path_factory.mktemp("logs") / "notify.log")
    process.start().wait_ready()
    yield process
    process.stop()


@pytest.fixture
async def client(intake):
    async with httpx.AsyncClient(base_url=intake.url, timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
async def key(stack):
    return await stack.key(partner=f"portal-{uuid.uuid4().hex[:8]}")


def refused(url: str, code: str, says: str):
    return pytest.param(url, code, says, id=url)


FORBIDDEN = [
    # the addresses of the issue
    refused("https://169.254.169.254/latest/meta-data", "forbidden_target", "cloud metadata"),
    refused("https://10.0.0.5:8443/admin", "forbidden_target", "private"),
    refused("https://[::1]:5432/", "forbidden_target", "loopback"),
    refused("http://127.0.0.1:8003/metrics", "insecure_scheme", "https"),
    # loopback, spelt every way the resolver reads it
    refused("https://127.0.0.1:8003/metrics", "forbidden_target", "loopback"),
    refused("https://2130706433/", "forbidden_target", "loopback"),  # decimal
    refused("https://017700000001/", "forbidden_target", "loopback"),  # octal
    refused("https://0x7f000001/", "forbidden_target", "loopback"),  # hex
    refused("https://0x7f.1/", "forbidden_target", "loopback"),  # short hex
    refused("https://0177.0.0.01/", "forbidden_target", "loopback"),  # dotted octal
    refused("https://127.1/", "forbidden_target", "loopback"),  # short
    refused("https://１２７.０.０.１/", "forbidden_target", "loopback"),  # full-width digits
    refused("https://[::ffff:127.0.0.1]/", "forbidden_target", "loopback"),  # IPv4-mapped IPv6
    refused("https://[0:0:0:0:0:ffff:7f00:1]/", "forbidden_target", "loopback"),
    refused("https://[64:ff9b::7f00:1]/", "forbidden_target", "loopback"),  # NAT64
    refused("https://[2002:7f00:1::]/", "forbidden_target", "loopback"),  # 6to4
    # cloud metadata, every spelling
    refused("https://2852039166/latest/meta-data", "forbidden_target", "cloud metadata"),
    refused("https://0xa9fea9fe/", "forbidden_target", "cloud metadata"),
    refused("https://0251.0376.0251.0376/", "forbidden_target", "cloud metadata"),
    refused("https://[::ffff:169.254.169.254]/", "forbidden_target", "cloud metadata"),
    refused("https://[fd00:ec2::254]/latest/meta-data", "forbidden_target", "cloud metadata"),
    refused("https://100.100.100.200/latest/meta-data", "forbidden_target", "cloud metadata"),
    refused("https://metadata.google.internal/computeMetadata/v1/", "forbidden_target", "cloud metadata"),
    # every other kind of non-public address
    refused("https://172.16.0.1/", "forbidden_target", "private"),
    refused("https://192.168.1.1/", "forbidden_target", "private"),
    refused("https://[::ffff:10.0.0.5]/", "forbidden_target", "private"),
    refused("https://169.254.1.1/", "forbidden_target", "link-local"),
    refused("https://[fe80::1]/", "forbidden_target", "link-local"),
    refused("https://[fc00::1]/", "forbidden_target", "unique-local"),
    refused("https://[fd12:3456::1]/", "forbidden_target", "unique-local"),
    refused("https://100.64.0.1/", "forbidden_target", "carrier-grade NAT"),
    refused("https://224.0.0.1/", "forbidden_target", "multicast"),
    refused("https://[ff02::1]/", "forbidden_target", "multicast"),
    refused("https://0.0.0.0/", "forbidden_target", "unspecified"),
    refused("https://0/", "forbidden_target", "unspecified"),
    refused("https://[::]/", "forbidden_target", "unspecified"),
    refused("https://240.0.0.1/", "forbidden_target", "reserved"),
    # names that can only be local, and names that resolve to a local address
    refused("https://localhost/", "forbidden_target", "local machine"),
    refused("https://LOCALHOST./", "forbidden_target", "local machine"),
    refused("https://ｌｏｃａｌｈｏｓｔ/", "forbidden_target", "local machine"),
    refused("https://hooks.localhost/", "forbidden_target", "local machine"),
    refused(f"https://{OWN_NAME}:8443/hooks", "forbidden_target", f"{OWN_NAME} resolves to"),
    refused("https://portal.invalid/hooks", "unresolvable_host", "does not resolve"),
]


@pytest.mark.parametrize("url, code, says", FORBIDDEN)
async def test_a_webhook_that_is_not_public_is_refused_at_registration(client, key, url, code, says):
    r = await client.put(
        "/v1/partners/me/webhook", headers={"Authorization": f"Bearer {key}"}, json={"url": url, "secret": "s" * 32}
    )
    assert r.status_code == 422
    error = r.json()["error"]
    assert (error["code"], error["message_zh"]) == ("invalid_webhook", "Webhook 无效，详见字段说明")
    [field] = error["fields"]
    assert (field["field"], field["code"]) == ("body.url", code)
    assert says in field["message_en"] and field["message_zh"].startswith("body.url：")


async def test_refused_registrations_reach_nobody_and_a_public_one_does(stack, client):
    partner = f"portal-{uuid.uuid4().hex[:8]}"
    key = await stack.key(partner=partner)
    for url in ("https://10.0.0.5:8443/admin", "https://2130706433/", f"https://{OWN_NAME}/"):
        r = await client.put(
            "/v1/partners/me/webhook", headers={"Authorization": f"Bearer {key}"}, json={"url": url, "secret": "s" * 32}
        )
        assert r.status_code == 422
    public = "https://93.184.215.14/hooks/subsidy"
    r = await client.put(
        "/v1/partners/me/webhook", headers={"Authorization": f"Bearer {key}"}, json={"url": public, "secret": "s" * 32}
    )
    assert r.status_code == 200 and r.json()["url"] == public
    # Events of one partner keep their order: once the public one is read, any refused one would be too.
    records = await read_until(
        stack.bootstrap_servers,
        topics.PARTNERS,
        lambda rs: any(r.key == partner.encode() and public.encode() in r.value for r in rs),
    )
    assert [
        WebhookRegisteredV2.model_validate_json(r.value).url
        for r in records
        if r.key == partner.encode() and headers(r)["ce_type"] == WebhookRegisteredV2.ce_type
    ] == [public]


@pytest.fixture
async def listener():
    """Where the machine's own name leads: records every connection made to it, and answers none."""
    connections = []

    async def accept(reader, writer):
        connections.append(writer.get_extra_info("peername"))
        writer.close()

    port = free_port()
    addresses = {str(info[4][0]) for info in socket.getaddrinfo(OWN_NAME, port, type=socket.SOCK_STREAM)}
    servers = [await asyncio.start_server(accept, address, port) for address in addresses]
    yield port, connections
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_a_name_that_resolves_to_a_local_address_at_send_time_is_never_called(stack, notify, listener):
    port, connections = listener
    resolved = {info[4][0] for info in socket.getaddrinfo(OWN_NAME, port, type=socket.SOCK_STREAM)}
    assert resolved and not any(ipaddress.ip_address(a).is_global for a in resolved), (
        f"this test needs the machine's name {OWN_NAME!r} to resolve to a local address, not {resolved}"
    )
    # The registration intake would have refused, as if the partner's name had resolved to a public
    # address then and its DNS answered with ours afterwards (DNS rebinding).
    partner, secret = f"rebinding-{uuid.uuid4().hex[:8]}", f"whsec-{uuid.uuid4().hex}"
    url = f"https://{OWN_NAME}:{port}/hooks/subsidy"
    application_id = uuid.uuid4()
    await publish(
        stack.bootstrap_servers,
        topics.PARTNERS,
        envelope(
            WebhookRegisteredV2(
                partner_id=partner,
                url=url,
                secret_ciphertext=SecretBox(SECRETS_KEY).seal(secret),
                registered_at=datetime.now(UTC),
            ),
            partner,
        ),
    )
    await publish(
        stack.bootstrap_servers,
        topics.APPLICATIONS,
        envelope(
            ApplicationSubmittedV1(
                application_id=application_id, partner_id=partner, submitted_at=datetime.now(UTC), application={}
            ),
            CREDIT_CODE,
        ),
    )
    await publish(
        stack.bootstrap_servers,
        topics.DECISIONS,
        envelope(
            DecisionMadeV1(
                decision_id=uuid.uuid4(),
                application_id=application_id,
                credit_code=CREDIT_CODE,
                clause="1.1-node",
                outcome="eligible",
                amount=Decimal("800000.00"),
                reasons=[],
                trace=[],
                policy_version="v",
                policy_hash="h",
                decided_at=datetime.now(UTC),
            ),
            CREDIT_CODE,
        ),
    )

    delivery = await eventually(lambda: settled_delivery(stack, application_id), timeout_s=30)

    # The attempt was made and refused before any connection: the refusal is its error, for good.
    assert (delivery["status"], delivery["attempts"]) == ("failed", 1)
    assert delivery["last_error"].startswith(f"refused: {OWN_NAME} resolves to ")
    assert delivery["last_error"].endswith("webhooks must reach a public address")
    assert connections == []


def envelope(payload, key: str) -> Envelope:
    return Envelope.of(payload, source="/test", key=key, subject=key)


async def settled_delivery(stack, application_id: uuid.UUID):
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        return await db.fetchrow(
            "SELECT status, attempts, last_error FROM notify.webhook_deliveries "
            "WHERE application_id = $1 AND status <> 'pending'",
            application_id,
        )
    finally:
        await db.close()
