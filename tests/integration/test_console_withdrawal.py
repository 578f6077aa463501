"""An administrator withdraws an application from its page in the console, in a real headless browser,
against the real intake, eligibility and payout services and the finance stand-in: confirmed first,
recorded as the one who withdrew it, and the award's payment that had not left is cancelled — no
payout goes to the finance system."""

import copy

import httpx
import pytest

from services.console import accounts
from services.intake.cli import PartnerKeys
from shared import topics
from shared.events import PayoutCancelledV1
from shared.messaging.envelope import Envelope
from shared.secretbox import SecretBox
from shared.stack import start_services, stop_all
from tests.books import EXAMPLES
from tests.browser import assert_accessible
from tests.browser import sign_in as signing_in
from tests.builders import applicant_code
from tests.conftest import SECRETS_KEY
from tests.kafka_tools import read_until
from tests.money_tools import fund
from tests.selection_tools import auth, key_works, until
from tests.wiring import wired

pytestmark = [pytest.mark.integration, pytest.mark.browser]
PASSWORD = "correct horse battery staple"
CLAUSE = "1.1-node"


@pytest.fixture(scope="module")
def procs(stack, tmp_path_factory):
    names = ("intake", "eligibility", "payout", "finance_sim", "console")
    started = start_services(stack.env(), tmp_path_factory.mktemp("logs"), names=names)
    yield started
    stop_all(started.values())


@pytest.fixture(scope="module")
def console(procs):
    return procs["console"]


@pytest.fixture(scope="module")
async def officials(stack, procs):
    made = {}
    async with wired(stack.database_url, "console") as c:
        for name, role in (("wanda", "admin"), ("rex", "reviewer")):
            made[name] = await accounts.create(
                c.sessions, PartnerKeys(stack.database_url), SecretBox(SECRETS_KEY), name, role, PASSWORD
            )
    for service, path in (("payout", "/v1/budgets"), ("intake", "/v1/applications")):
        async with httpx.AsyncClient(base_url=procs[service].url, timeout=15) as client:
            await key_works(client, made["wanda"].api_key, path)
    return made


@pytest.fixture(scope="module")
async def held(stack, procs, officials):
    """An eligible application without bank details: its award reserved, its payout held."""
    await fund(stack.database_url)
    key = await stack.key(partner="portal-withdrawals")
    application = copy.deepcopy(EXAMPLES[CLAUSE])
    application["applicant"]["credit_code"] = applicant_code(7300, prefix="91510100MW")
    application["facts"]["node_id"] = "WD-1"
    async with httpx.AsyncClient(base_url=procs["intake"].url, timeout=15) as client:
        r = await client.post("/v1/applications", json=application, headers=auth(key) | {"Idempotency-Key": "wd-1"})
        assert r.status_code == 202, r.text
    application_id = r.json()["id"]
    payout = await until(lambda: payout_is(procs, officials, application_id, "held"), 60)
    return {"application_id": application_id, "award_id": payout["award_id"]}


async def payout_is(procs, officials, application_id: str, status: str) -> dict | None:
    async with httpx.AsyncClient(base_url=procs["payout"].url, timeout=15) as client:
        r = await client.get(
            "/v1/payouts", params={"application_id": application_id}, headers=auth(officials["wanda"].api_key)
        )
    listed = r.json()
    return listed[0] if listed and listed[0]["status"] == status else None


async def sign_in(page, console, name: str):
    return await signing_in(page, console.url, name, PASSWORD)


async def test_an_administrator_withdraws_an_application_once_confirmed_and_its_payment_is_cancelled(
    stack, console, procs, officials, held, page
):
    application_id = held["application_id"]
    await sign_in(page, console, "wanda")
    await page.goto(f"{console.url}/applications/{application_id}")
    await page.fill("#withdraw-reason", "申请人书面申请撤回")
    # The browser asks for the tick first; without it the console refuses too.
    await page.evaluate("() => document.querySelector('#withdraw-confirm').removeAttribute('required')")
    async with page.expect_navigation():
        await page.click("#withdraw-form button[type=submit]")
    assert "请勾选确认" in await page.locator("[role=alert]").inner_text()
    assert await page.input_value("#withdraw-reason") == "申请人书面申请撤回"  # what was typed is kept
    assert await payout_is(procs, officials, application_id, "held")
    await page.check("#withdraw-confirm")
    async with page.expect_navigation():
        await page.click("#withdraw-form button[type=submit]")
    assert page.url.endswith(f"/applications/{application_id}?done=application_withdrawn")
    assert "申请已撤回" in await page.locator("[role=status]").inner_text()

    def cancelled(records) -> list[PayoutCancelledV1]:
        events = [Envelope.from_record(r.key, r.value, r.headers) for r in records]
        found = [e.payload() for e in events if e.type == PayoutCancelledV1.ce_type]
        return [p for p in found if isinstance(p, PayoutCancelledV1) and str(p.application_id) == application_id]

    records = await read_until(stack.bootstrap_servers, topics.PAYOUTS, lambda rs: bool(cancelled(rs)))
    [event] = cancelled(records)
    assert (event.by, event.reason) == ("wanda", "withdrawn: 申请人书面申请撤回")
    assert str(event.award_id) == held["award_id"]
    # Cancelled, never sent: no payout of this application reaches the finance system.
    assert await payout_is(procs, officials, application_id, "cancelled")
    await page.reload()
    assert await page.locator("#withdraw-form").count() == 0  # withdrawn: nothing left to withdraw


async def test_a_reviewer_sees_no_withdraw_form_and_cannot_post_it(console, officials, held, page):
    await sign_in(page, console, "rex")
    response = await page.goto(f"{console.url}/applications/{held['application_id']}")
    assert response is not None and response.status == 200
    assert await page.locator("#withdraw-form").count() == 0
    refused = await page.request.post(
        f"{console.url}/applications/{held['application_id']}/withdrawal", form={"reason": "x", "confirm": "yes"}
    )
    assert refused.status == 403


async def test_the_application_page_with_its_form_has_its_language_one_heading_and_named_controls(
    stack, console, procs, officials, page
):
    key = await stack.key(partner="portal-withdrawals-2")
    application = copy.deepcopy(EXAMPLES[CLAUSE])
    application["applicant"]["credit_code"] = applicant_code(7301, prefix="91510100MW")
    application["facts"]["node_id"] = "WD-2"
    async with httpx.AsyncClient(base_url=procs["intake"].url, timeout=15) as client:
        r = await client.post("/v1/applications", json=application, headers=auth(key) | {"Idempotency-Key": "wd-2"})
    await sign_in(page, console, "wanda")
    await assert_accessible(page, f"{console.url}/applications/{r.json()['id']}")
    assert await page.locator("#withdraw-form").count() == 1
