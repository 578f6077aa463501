"""Applicants told by e-mail in their language, partners pushed to the Standard Webhooks
specification, no endpoint holding up another, and the delivery log with replay. Intake,
eligibility and notify run as their own processes on real PostgreSQL and a real broker; mail goes
to a real SMTP server and webhooks to real HTTP receivers."""

import asyncio
import copy
import json
import os
import subprocess
import sys
import uuid

import asyncpg
import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from shared.stack import ServiceProcess, free_port
from tests.books import EXAMPLES
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration
QUICK = {
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    "WEBHOOK_RETRY_SCHEDULE_S": "0.1,0.1,0.1",
    "WEBHOOK_RETRY_JITTER": "0",
    "WEBHOOK_ENDPOINT_CONCURRENCY": "2",
    "WEBHOOK_TIMEOUT_S": "20",
    "SMTP_SECURITY": "none",
    "EMAIL_RETRY_SCHEDULE_S": "0.2,0.2",
    "NOTICE_URL": "https://subsidy.example.cn/notices",
}


@pytest.fixture(scope="module")
def services(stack, smtp, tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    env = stack.env() | QUICK | {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port)}
    procs = {
        name: ServiceProcess(name, free_port(), env, logs / f"{name}.log").start()
        for name in ("intake", "eligibility", "notify")
    }
    try:
        for proc in procs.values():
            proc.wait_ready()
        yield procs
    finally:
        for proc in procs.values():
            proc.stop()


class Portal:
    """A partner portal: its key, and clients for intake and notify."""

    def __init__(self, services, key: str, partner: str):
        self.partner, self.key = partner, key
        auth = {"Authorization": f"Bearer {key}"}
        self.intake = httpx.AsyncClient(base_url=services["intake"].url, headers=auth, timeout=10)
        self.notify = httpx.AsyncClient(base_url=services["notify"].url, headers=auth, timeout=10)

    async def register(self, url: str, secret: str | None = None) -> dict:
        r = await self.intake.put("/v1/partners/me/webhook", json={"url": url} | ({"secret": secret} if secret else {}))
        assert r.status_code == 200, r.text
        return r.json()

    async def submit(self, contact: dict | None = None) -> str:
        application = copy.deepcopy(EXAMPLES["1.1-node"])
        application["facts"] |= {"node_id": f"N-{uuid.uuid4()}", "investment_cost": "4000000.00"}
        if contact:
            application["contact"] = contact
        r = await self.intake.post("/v1/applications", json=application, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code == 202, r.text
        return r.json()["id"]

    async def known_to_notify(self) -> None:
        """Notify has read the partner's key (replicated from intake's key events)."""

        async def answered():
            return (await self.notify.get("/v1/partners/me/templates")).status_code == 200

        await eventually(answered, timeout_s=30)

    async def close(self) -> None:
        await self.intake.aclose()
        await self.notify.aclose()


@pytest.fixture
async def portal(stack, services):
    partner = f"portal-{uuid.uuid4().hex[:8]}"
    p = Portal(services, await stack.key(partner=partner), partner)
    yield p
    await p.close()


async def query(stack, sql: str, *args) -> list:
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        return await db.fetch(sql, *args)
    finally:
        await db.close()


def bodies(receiver) -> list[dict]:
    return [json.loads(r.body) for r in receiver.received]


async def arrived(receiver, count: int, timeout_s: float = 30) -> list:
    return await eventually(
        lambda: _now(receiver.received if len(receiver.received) >= count else None), timeout_s=timeout_s
    )


# ---- e-mail ----


async def test_a_status_change_reaches_the_applicant_by_email_in_their_language(portal, smtp, stack):
    english, chinese = f"ops-{uuid.uuid4().hex[:6]}@chain.example.cn", f"cw-{uuid.uuid4().hex[:6]}@chain.example.cn"
    app_en = await portal.submit({"email": english, "language": "en"})
    app_zh = await portal.submit({"email": chinese, "phone": "+86 138-0000-0000"})  # zh by default

    def eligible(address):
        async def check():
            return next((m for m in smtp.to(address) if "eligible" in m["Subject"] or "符合条件" in m["Subject"]), None)

        return check

    mail_en = await eventually(eligible(english), timeout_s=30)
    mail_zh = await eventually(eligible(chinese), timeout_s=30)

    assert mail_en["Subject"] == "Your application is eligible: 800,000.00 yuan"
    text_en = mail_en.get_body(("plain",)).get_content()
    assert app_en in text_en and "20% × 4,000,000.00 (investment cost) = 800,000.00" in text_en
    assert "article 一（一）" in text_en and "成都链网科技有限公司" in text_en
    assert mail_zh["Subject"] == "申请符合条件：拟补贴 800,000.00 元"
    text_zh = mail_zh.get_body(("plain",)).get_content()
    assert "投入成本 4,000,000.00 元 × 20% = 800,000.00 元；未超过补贴上限 1,000,000.00 元" in text_zh
    assert app_zh in text_zh and "<p>" in mail_zh.get_body(("html",)).get_content()
    # The award follows, in the same language; each e-mail has its record.
    await eventually(lambda: _now(any("Awarded" in m["Subject"] for m in smtp.to(english))), timeout_s=30)
    records = await eventually(
        lambda: _at_least(
            2,
            query(
                stack,
                "SELECT * FROM notify.email_deliveries WHERE application_id = $1 AND status = 'sent'",
                uuid.UUID(app_en),
            ),
        )
    )
    assert {(r["to_address"], r["language"], r["attempts"]) for r in records} == {(english, "en", 1)}
    assert {m["Message-ID"] for m in smtp.to(english)} == {f"<{r['id']}@subsidy-notify>" for r in records}


async def test_an_application_without_a_contact_is_emailed_nothing_and_its_partner_still_hears(portal, stack, receiver):
    await portal.register(receiver.url)
    application = await portal.submit()
    await arrived(receiver, 2)  # eligible and awarded reached the partner…
    # …and no e-mail is owed: none was, or the ones owed before the submission was read are dropped.
    await eventually(
        lambda: _none(
            query(stack, "SELECT * FROM notify.email_deliveries WHERE application_id = $1", uuid.UUID(application))
        ),
        timeout_s=30,
    )


async def test_a_mail_server_that_refuses_for_now_is_tried_again_and_the_record_counts_the_attempts(
    portal, smtp, stack
):
    address = f"retry-{uuid.uuid4().hex[:6]}@chain.example.cn"
    smtp.refuse_next, refused_before = 1, smtp.refused
    application = await portal.submit({"email": address, "language": "en"})
    await eventually(lambda: _now(len(smtp.to(address)) >= 2), timeout_s=30)
    assert smtp.refused == refused_before + 1

    async def recorded():  # the record follows the mail server's answer
        rows = await query(
            stack,
            "SELECT attempts, status, last_error FROM notify.email_deliveries "
            "WHERE application_id = $1 ORDER BY attempts",
            uuid.UUID(application),
        )
        return all(r["status"] != "pending" for r in rows) and rows

    rows = await eventually(recorded, timeout_s=30)
    # Eligible and awarded: one was refused once and sent on its second attempt.
    assert [(r["status"], r["attempts"], r["last_error"]) for r in rows] == [("sent", 1, None), ("sent", 2, None)]


async def test_a_partners_own_template_is_checked_then_used_for_its_applicants(portal, smtp):
    await portal.known_to_notify()
    refused = await portal.notify.put(
        "/v1/partners/me/templates/eligible/en", json={"text": "Dear {{ applicant_name }}, account {{ bank_account }}"}
    )
    assert refused.status_code == 422
    [problem] = refused.json()["error"]["fields"]
    assert (problem["field"], problem["code"]) == ("body.text", "invalid_template") and "bank_account" in problem[
        "message_en"
    ]

    subject = "[Chain Portal] {{ applicant_name }}: {{ amount | money }} yuan approved"
    put = await portal.notify.put("/v1/partners/me/templates/eligible/en", json={"subject": subject})
    assert put.status_code == 200, put.text
    assert put.json()["preview"]["subject"] == "[Chain Portal] 成都链网科技有限公司: 800,000.00 yuan approved"

    address = f"tpl-{uuid.uuid4().hex[:6]}@chain.example.cn"
    await portal.submit({"email": address, "language": "en"})
    mail = await eventually(
        lambda: _now(next((m for m in smtp.to(address) if "approved" in m["Subject"]), None)), timeout_s=30
    )
    assert mail["Subject"] == "[Chain Portal] 成都链网科技有限公司: 800,000.00 yuan approved"
    assert "How it was calculated" in mail.get_body(("plain",)).get_content()  # our body, their subject


# ---- webhooks ----


async def test_a_delivery_is_signed_to_the_standard_webhooks_specification(portal, receiver):
    issued = (await portal.register(receiver.url))["secret"]
    assert issued.startswith("whsec_")
    application = await portal.submit()
    posts = await arrived(receiver, 2)
    for post in posts:
        # A second implementation, not ours, verifies the signature.
        body = Webhook(issued).verify(post.body, post.headers)
        assert body["application_id"] == application and body["id"] == post.headers["webhook-id"]
        assert post.headers["webhook-signature"].startswith("v1,")
    assert {b["status"] for b in bodies(receiver)} == {"eligible", "awarded"}


async def test_while_a_partner_rotates_its_secret_both_sign(portal, receiver, stack):
    old = (await portal.register(receiver.url))["secret"]
    new = (await portal.register(receiver.url))["secret"]
    await eventually(
        lambda: query(
            stack,
            "SELECT 1 FROM notify.webhooks WHERE partner_id = $1 AND previous_secret_ciphertext <> ''",
            portal.partner,
        )
    )
    await portal.submit()
    posts = await arrived(receiver, 2)
    signed_by_both = [p for p in posts if len(p.headers["webhook-signature"].split(" ")) == 2]
    assert signed_by_both, [p.headers["webhook-signature"] for p in posts]
    for post in signed_by_both:
        Webhook(old).verify(post.body, post.headers)
        Webhook(new).verify(post.body, post.headers)


async def test_an_endpoint_that_answers_410_is_disabled_until_registered_again(portal, receiver, stack):
    receiver.answers = [410, 410]
    await portal.register(receiver.url)
    await portal.submit()
    rows = await eventually(lambda: _all_settled(stack, portal.partner, 2), timeout_s=30)
    assert {r["status"] for r in rows} == {"failed"} and any(r["last_status_code"] == 410 for r in rows)
    [hook] = await query(
        stack, "SELECT disabled_at, disabled_reason FROM notify.webhooks WHERE partner_id = $1", portal.partner
    )
    assert hook["disabled_at"] and "410" in hook["disabled_reason"]
    # Nothing more is sent to it: the next application's deliveries fail as owed to a disabled endpoint.
    sent = len(receiver.received)
    await portal.submit()
    later = await eventually(lambda: _all_settled(stack, portal.partner, 4), timeout_s=30)
    assert (
        sorted(r["last_error"] for r in later if r["id"] not in {x["id"] for x in rows})
        == ["endpoint disabled (it answered 410 Gone); register the webhook again"] * 2
    )
    assert len(receiver.received) == sent
    refused = await portal.notify.post(f"/v1/partners/me/webhook/deliveries/{rows[0]['id']}/retry")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "endpoint_disabled"

    await portal.register(receiver.url)  # registering again re-enables it
    replayed = await eventually(lambda: _retry(portal, rows[0]["id"]), timeout_s=30)
    assert replayed["status"] == "pending"
    [*_, again] = await arrived(receiver, sent + 1)
    assert again.headers["webhook-id"] == str(rows[0]["id"])


async def test_a_slow_endpoint_does_not_delay_another_partners_deliveries(stack, services, receiver):
    from tests.webhook_receiver import Receiver, _serve

    slow_portal = Portal(services, await stack.key(partner=f"slow-{uuid.uuid4().hex[:6]}"), "slow")
    fast_portal = Portal(services, await stack.key(partner=f"fast-{uuid.uuid4().hex[:6]}"), "fast")
    async with _serve(Receiver(free_port())) as slow:
        slow.hold = asyncio.Event()
        slow.hold.set()  # the slow endpoint takes every request and answers none (until released)
        try:
            await slow_portal.register(slow.url)
            await fast_portal.register(receiver.url)
            for _ in range(3):
                await slow_portal.submit()  # six deliveries, two at a time at most to this endpoint
            await arrived(slow, 2)  # the slow endpoint holds its two slots…
            await fast_portal.submit()
            posts = await arrived(receiver, 2)  # …while the fast one gets all of its deliveries
            assert {json.loads(p.body)["status"] for p in posts} == {"eligible", "awarded"}
            assert slow.answered == 0 and len(slow.received) == 2  # none answered yet, none more taken
        finally:
            slow.hold.clear()
            await slow_portal.close()
            await fast_portal.close()
        await arrived(slow, 6)


async def test_a_replayed_delivery_is_sent_again_with_the_same_webhook_id_and_body(portal, receiver):
    secret = (await portal.register(receiver.url))["secret"]
    await portal.submit()
    [first, _] = await arrived(receiver, 2)
    page = (await portal.notify.get("/v1/partners/me/webhook/deliveries")).json()
    delivered = {d["id"]: d for d in page["items"]}
    original = delivered[first.headers["webhook-id"]]
    assert (original["status"], original["attempts"], original["last_status_code"]) == ("delivered", 1, 200)
    assert original["next_attempt_at"] is None

    r = await portal.notify.post(f"/v1/partners/me/webhook/deliveries/{original['id']}/retry")
    assert r.status_code == 202 and r.json()["status"] == "pending"
    [*_, again] = await arrived(receiver, 3)
    assert again.headers["webhook-id"] == first.headers["webhook-id"] and again.body == first.body
    Webhook(secret).verify(again.body, again.headers)
    other = await portal.notify.post(f"/v1/partners/me/webhook/deliveries/{uuid.uuid4()}/retry")
    assert other.status_code == 404


async def test_a_429_is_retried_no_sooner_than_its_retry_after(portal, receiver):
    receiver.answers = [(429, {"Retry-After": "2"})]
    await portal.register(receiver.url)
    await portal.submit()
    posts = await arrived(receiver, 3)
    by_id: dict[str, list] = {}
    for p in posts:
        by_id.setdefault(p.headers["webhook-id"], []).append(p.at)
    [(first, second)] = [times for times in by_id.values() if len(times) == 2]
    assert second - first >= 2.0  # the schedule alone would have retried after 0.1 s

    async def answered() -> set[tuple[int, int]]:  # notify records an answer just after the receiver has it
        log = (await portal.notify.get("/v1/partners/me/webhook/deliveries")).json()["items"]
        return {(d["attempts"], d["last_status_code"]) for d in log}

    await eventually(lambda: _is(answered(), {(1, 200), (2, 200)}), timeout_s=10)
    assert await answered() == {(1, 200), (2, 200)}


async def _is(value, expected) -> bool:
    return await value == expected


async def test_the_operator_sees_every_partners_deliveries_and_sends_failed_ones_again(portal, receiver, stack):
    receiver.answers = [500] * 8  # every attempt the schedule allows fails
    await portal.register(receiver.url)
    await portal.submit()
    await eventually(lambda: _all_settled(stack, portal.partner, 2), timeout_s=30)
    env = os.environ | {"DATABASE_URL": stack.database_url}
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli",
            "webhooks",
            "deliveries",
            "--partner",
            portal.partner,
            "--status",
            "failed",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 2 and all(portal.partner in line and "failed" in line and "last 500" in line for line in lines)
    again = subprocess.run(
        [sys.executable, "-m", "services.cli", "webhooks", "retry", "--failed", "--partner", portal.partner],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.stdout.strip() == "2 failed deliveries to send again", again.stderr
    delivered = await eventually(lambda: _delivered(stack, portal.partner, 2), timeout_s=30)
    assert {r["attempts"] for r in delivered} == {1}


async def _none(rows) -> bool:
    return not await rows


async def _at_least(count: int, rows):
    rows = await rows
    return rows if len(rows) >= count else None


async def _all_settled(stack, partner: str, count: int):
    rows = await query(
        stack, "SELECT * FROM notify.webhook_deliveries WHERE partner_id = $1 AND status <> 'pending'", partner
    )
    return rows if len(rows) >= count else None


async def _delivered(stack, partner: str, count: int):
    rows = await query(
        stack, "SELECT * FROM notify.webhook_deliveries WHERE partner_id = $1 AND status = 'delivered'", partner
    )
    return rows if len(rows) >= count else None


async def _retry(portal, delivery_id):
    r = await portal.notify.post(f"/v1/partners/me/webhook/deliveries/{delivery_id}/retry")
    return r.json() if r.status_code == 202 else None


async def _now(value):
    return value
