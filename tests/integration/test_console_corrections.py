"""The console's corrections and downloads in a real headless browser, against the real intake,
eligibility and payout services and the finance stand-in: an administrator cancels an award,
records a clawback and corrects bank details through the same API routes as any caller (and is
recorded as the one who acted); officials export the lists they see, and page and search them."""

import copy
import csv
import io
from decimal import Decimal

import httpx
import pytest
from openpyxl import load_workbook

from services.console import accounts
from services.console.exports import LEDGER
from services.intake.cli import PartnerKeys
from services.payout.tables import clawbacks
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
from tests.money_tools import fund, payee_for, this_year
from tests.selection_tools import auth, key_works, until
from tests.wiring import wired

pytestmark = [pytest.mark.integration, pytest.mark.browser]
PASSWORD = "correct horse battery staple"
CLAUSE = "1.1-node"
NAME = EXAMPLES[CLAUSE]["applicant"]["name"]
PARTNER = "portal-corrections"
STORIES = ("paid", "missing", "held", "extra")  # one application each, its own applicant


@pytest.fixture(scope="module")
def procs(stack, tmp_path_factory):
    """The services the money loop needs and the console, two payouts a page."""
    names = ("intake", "eligibility", "payout", "finance_sim", "console")
    env = stack.env() | {"CONSOLE_PAGE_SIZE": "2"}
    started = start_services(env, tmp_path_factory.mktemp("logs"), names=names)
    yield started
    stop_all(started.values())


@pytest.fixture(scope="module")
def console(procs):
    return procs["console"]


@pytest.fixture(scope="module")
async def officials(stack, procs):
    made = {}
    async with wired(stack.database_url, "console") as c:
        for name, role in (("ada", "admin"), ("fin", "finance")):
            made[name] = await accounts.create(
                c.sessions, PartnerKeys(stack.database_url), SecretBox(SECRETS_KEY), name, role, PASSWORD
            )
    for service, path in (("payout", "/v1/budgets"), ("intake", "/v1/applications")):
        async with httpx.AsyncClient(base_url=procs[service].url, timeout=15) as client:
            await key_works(client, made["ada"].api_key, path)
    async with httpx.AsyncClient(base_url=procs["payout"].url, timeout=15) as client:
        await key_works(client, made["fin"].api_key, "/v1/budgets")
    return made


@pytest.fixture(scope="module")
async def partner_key(stack) -> str:
    return await stack.key(partner=PARTNER)


@pytest.fixture(scope="module")
async def awards(stack, procs, officials, partner_key):
    """Four awards of 1.1: one paid, one held for want of bank details, one held and one more (both
    without bank details), each found by its story."""
    await fund(stack.database_url)
    key = partner_key
    found = {}
    async with httpx.AsyncClient(base_url=procs["intake"].url, timeout=15) as client:
        for n, story in enumerate(STORIES):
            application = copy.deepcopy(EXAMPLES[CLAUSE])
            application["applicant"]["credit_code"] = applicant_code(7100 + n, prefix="91510100ME")
            application["facts"]["node_id"] = f"COR-{n}"
            if story == "paid":
                application["payee"] = payee_for(NAME)
            r = await client.post("/v1/applications", json=application, headers=auth(key) | {"Idempotency-Key": story})
            assert r.status_code == 202, r.text
            found[story] = {"application_id": r.json()["id"], "credit_code": application["applicant"]["credit_code"]}
    admin = auth(officials["ada"].api_key)
    async with httpx.AsyncClient(base_url=procs["payout"].url, timeout=15) as client:
        for story, wanted in zip(STORIES, ("paid", "held", "held", "held"), strict=True):

            async def reached(story=story, wanted=wanted):
                params = {"application_id": found[story]["application_id"]}
                listed = (await client.get("/v1/payouts", params=params, headers=admin)).json()
                return listed and listed[0]["status"] == wanted and listed[0]

            payout = await until(reached, 60)
            found[story] |= {"award_id": payout["award_id"], "amount": payout["amount"]}
    return found


async def sign_in(page, console, name: str):
    return await signing_in(page, console.url, name, PASSWORD)


async def payouts_of(procs, officials, application_id: str) -> list[dict]:
    async with httpx.AsyncClient(base_url=procs["payout"].url, timeout=15) as client:
        r = await client.get(
            "/v1/payouts", params={"application_id": application_id}, headers=auth(officials["ada"].api_key)
        )
        return r.json()


# ---- the forms ----


async def test_an_administrator_cancels_a_held_award_once_confirmed_and_is_recorded_as_who_did(
    stack, console, procs, officials, awards, page
):
    held = awards["held"]
    await sign_in(page, console, "ada")
    await page.goto(f"{console.url}/payouts?application={held['application_id']}")
    async with page.expect_navigation():
        await page.click(f"a[href='/payouts/awards/{held['award_id']}']")
    assert "暂缓" in await page.locator("#award-status").inner_text()
    await page.fill("#cancel-reason", "申请人书面撤回申请")
    # The browser asks for the tick first; without it the console refuses too.
    await page.evaluate("() => document.querySelector('#cancel-confirm').removeAttribute('required')")
    async with page.expect_navigation():
        await page.click("#cancel-form button[type=submit]")
    assert "请勾选确认" in await page.locator("[role=alert]").inner_text()
    assert (await payouts_of(procs, officials, held["application_id"]))[0]["status"] == "held"
    assert await page.input_value("#cancel-reason") == "申请人书面撤回申请"  # what was typed is kept
    await page.check("#cancel-confirm")
    async with page.expect_navigation():
        await page.click("#cancel-form button[type=submit]")
    assert page.url.endswith(f"/payouts/awards/{held['award_id']}?done=award_cancelled")
    assert "奖励已取消" in await page.locator("[role=status]").inner_text()
    assert "已取消" in await page.locator("#award-status").inner_text()

    def cancelled(records) -> list[PayoutCancelledV1]:
        events = [Envelope.from_record(r.key, r.value, r.headers) for r in records]
        found = [e.payload() for e in events if e.type == PayoutCancelledV1.ce_type]
        return [p for p in found if isinstance(p, PayoutCancelledV1) and str(p.award_id) == held["award_id"]]

    records = await read_until(stack.bootstrap_servers, topics.PAYOUTS, lambda rs: bool(cancelled(rs)))
    [event] = cancelled(records)
    assert (event.by, event.reason) == ("ada", "申请人书面撤回申请")


async def test_an_administrator_records_a_clawback_and_one_above_what_was_paid_is_refused(
    stack, console, officials, awards, page
):
    paid = awards["paid"]
    await sign_in(page, console, "ada")
    await page.goto(f"{console.url}/payouts/awards/{paid['award_id']}")
    await page.fill("#clawback-amount", "１,０００.５０ 元")  # as a person may type it
    await page.fill("#clawback-reason", "绩效评价不合格")
    await page.check("#clawback-confirm")
    async with page.expect_navigation():
        await page.click("#clawback-form button[type=submit]")
    assert page.url.endswith("?done=clawback_recorded"), await page.locator("[role=alert]").all_inner_texts()
    assert "追回已记录" in await page.locator("[role=status]").inner_text()
    recorded = page.locator("section[aria-labelledby=recovered] tbody tr td")
    assert (await recorded.all_inner_texts())[:3] == ["1,000.50", "绩效评价不合格", "ada"]
    await page.fill("#clawback-amount", str(Decimal(paid["amount"])))  # more than what is left to claw back
    await page.fill("#clawback-reason", "查实弄虚作假")
    await page.check("#clawback-confirm")
    async with page.expect_navigation() as navigation:
        await page.click("#clawback-form button[type=submit]")
    assert (await navigation.value).status == 409
    assert await page.locator("[role=alert]").count() == 1
    async with wired(stack.database_url, "payout") as payout, payout.sessions.begin() as session:
        rows = (await session.execute(clawbacks.select())).all()
    assert [(str(r.award_id), r.amount, r.by, r.reason) for r in rows] == [
        (paid["award_id"], Decimal("1000.50"), "ada", "绩效评价不合格")
    ]


async def test_an_administrator_corrects_bank_details_the_held_payout_is_paid_and_who_set_them_is_recorded(
    console, procs, officials, awards, partner_key, page
):
    missing = awards["missing"]
    await sign_in(page, console, "ada")
    await page.goto(f"{console.url}/payouts/awards/{missing['award_id']}")
    await page.fill("#account_name", "另一家公司")
    await page.fill("#account_number", "6222020200112233999")
    await page.fill("#bank", "中国工商银行成都高新支行")
    async with page.expect_navigation() as navigation:
        await page.click("#payee-form button[type=submit]")
    assert (await navigation.value).status == 422  # not the applicant's name: intake says so
    assert "account_name" in await page.locator("[role=alert]").inner_text()
    assert await page.input_value("#account_number") == "6222020200112233999"
    await page.fill("#account_name", NAME)
    async with page.expect_navigation():
        await page.click("#payee-form button[type=submit]")
    assert page.url.endswith("?done=payee_corrected"), await page.locator("[role=alert]").all_inner_texts()

    async def paid():
        listed = await payouts_of(procs, officials, missing["application_id"])
        return listed[0]["status"] == "paid" and listed[0]

    done = await until(paid, 60)
    assert done["account"] == "****3999"
    assert (done["payee_provided_by"], done["payee_provided_by_role"]) == ("ada", "admin")
    await page.goto(f"{console.url}/payouts/awards/{missing['award_id']}")
    assert "ada" in await page.locator("#payee-given").inner_text()
    # The partner corrects them in turn (its own application): payout records the partner.
    async with httpx.AsyncClient(base_url=procs["intake"].url, timeout=15) as client:
        r = await client.put(
            f"/v1/applications/{missing['application_id']}/payee", json=payee_for(NAME), headers=auth(partner_key)
        )
        assert r.status_code == 202, r.text

    async def by_partner():
        listed = await payouts_of(procs, officials, missing["application_id"])
        return listed[0]["payee_provided_by"] == PARTNER and listed[0]

    assert (await until(by_partner, 60))["payee_provided_by_role"] == "partner"
    await page.reload()
    given = await page.locator("#payee-given").inner_text()
    assert PARTNER in given and "申报平台" in given
    # Details given with the application are the submitting partner's too.
    submitted = (await payouts_of(procs, officials, awards["paid"]["application_id"]))[0]
    assert (submitted["payee_provided_by"], submitted["payee_provided_by_role"]) == (PARTNER, "partner")


async def test_finance_reads_an_award_without_its_forms_and_cannot_post_them(console, officials, awards, page):
    extra = awards["extra"]
    await sign_in(page, console, "fin")
    response = await page.goto(f"{console.url}/payouts/awards/{extra['award_id']}")
    assert response is not None and response.status == 200
    assert await page.locator("form[action^='/payouts/awards/']").count() == 0
    for action, form in (
        ("cancel", {"reason": "x", "confirm": "yes"}),
        ("clawbacks", {"key": "k", "amount": "1.00", "reason": "x", "confirm": "yes"}),
        ("payee", payee_for(NAME)),
    ):
        refused = await page.request.post(f"{console.url}/payouts/awards/{extra['award_id']}/{action}", form=form)
        assert refused.status == 403, action


async def test_the_award_page_has_its_language_one_heading_named_controls_and_visible_focus(
    console, officials, awards, page
):
    await sign_in(page, console, "ada")
    await assert_accessible(page, f"{console.url}/payouts/awards/{awards['extra']['award_id']}")


# ---- downloads, search and pages ----


async def _download(page, selector: str) -> tuple[str, bytes]:
    async with page.expect_download() as started:
        await page.click(selector)
    download = await started.value
    path = await download.path()
    return download.suggested_filename, open(path, "rb").read()


async def test_payouts_download_as_csv_and_xlsx_with_the_filters_and_exact_amounts(console, officials, awards, page):
    extra = awards["extra"]
    await sign_in(page, console, "fin")
    await page.goto(f"{console.url}/payouts?year=all&credit_code={extra['credit_code'].lower()}")
    name, body = await _download(page, "a[href*='/payouts/export'][href$='format=csv']")
    assert name == "payouts.csv"
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header[:4] == ["拨付编号 Payout id", "奖励编号 Award id", "次数 Attempt", "申请编号 Application id"]
    assert [(r[3], r[4], r[7]) for r in rows] == [(extra["application_id"], extra["credit_code"], extra["amount"])]
    name, body = await _download(page, "a[href*='/payouts/export'][href$='format=xlsx']")
    assert name == "payouts.xlsx"
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet["H1"].value == "金额（元） Amount (yuan)"
    assert sheet.max_row == 2
    amount = sheet["H2"]
    assert amount.data_type == "n" and amount.number_format == "#,##0.00"
    assert Decimal(str(amount.value)) == Decimal(extra["amount"])


async def test_the_ledger_report_downloads_with_bilingual_headers_and_numeric_amounts(
    console, procs, officials, awards, page
):
    await sign_in(page, console, "fin")
    await page.goto(f"{console.url}/payouts?year={this_year()}")
    async with httpx.AsyncClient(base_url=procs["payout"].url, timeout=15) as client:
        report = await client.get(
            "/v1/reports/budget",
            params={"year": this_year(), "format": "json"},
            headers=auth(officials["fin"].api_key),
        )
    wanted = next(r for r in report.json() if r["clause"] == CLAUSE)
    name, body = await _download(page, "a[href*='/payouts/report'][href$='format=csv']")
    assert name == f"ledger-report-{this_year()}.csv"
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header[2] == "预算 Budget" and header[-1] == "可用 Available"
    line = next(r for r in rows if r[1] == CLAUSE)
    assert line[2:] == [wanted[c.key] for c in LEDGER[2:]]
    name, body = await _download(page, "a[href*='/payouts/report'][href$='format=xlsx']")
    sheet = load_workbook(io.BytesIO(body)).active
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == CLAUSE)
    assert all(c.data_type == "n" and c.number_format == "#,##0.00" for c in row[2:])
    assert [Decimal(str(c.value)) for c in row[2:]] == [Decimal(v) for v in line[2:]]


async def test_applications_download_as_csv_and_xlsx_for_the_search_shown(console, officials, awards, page):
    extra = awards["extra"]
    await sign_in(page, console, "ada")
    await page.goto(f"{console.url}/applications?q={extra['credit_code']}")
    assert await page.locator("tbody tr").count() == 1
    name, body = await _download(page, "a[href*='/applications/export'][href$='format=csv']")
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert (name, header[0], header[2]) == (
        "applications.csv",
        "申请编号 Application id",
        "统一社会信用代码 Credit code",
    )
    assert [(r[0], r[2]) for r in rows] == [(extra["application_id"], extra["credit_code"])]
    await page.goto(f"{console.url}/applications?clause={CLAUSE}")
    name, body = await _download(page, "a[href*='/applications/export'][href$='format=xlsx']")
    sheet = load_workbook(io.BytesIO(body)).active
    ids = {row[0].value for row in sheet.iter_rows(min_row=2)}
    assert ids == {a["application_id"] for a in awards.values()}  # every page, not only the one shown


async def test_payouts_are_paged_two_at_a_time_and_found_by_credit_code(console, procs, officials, awards, page):
    await sign_in(page, console, "fin")
    await page.goto(f"{console.url}/payouts?year=all")
    rows = page.locator("section[aria-labelledby=payouts] tbody tr")
    seen = []
    while True:
        assert await rows.count() <= 2
        seen += await rows.locator("td:first-child code:first-child").all_inner_texts()
        following = page.locator("section[aria-labelledby=payouts] a[rel=next]")
        if not await following.count():
            break
        async with page.expect_navigation():
            await following.click()
    assert await page.locator("section[aria-labelledby=payouts] .pager a", has_text="第一页").count() == 1
    every = [p for a in awards.values() for p in await payouts_of(procs, officials, a["application_id"])]
    assert sorted(seen) == sorted(p["application_id"] for p in every)  # each payout once, on one page
    held = awards["held"]
    await page.goto(f"{console.url}/payouts?year=all")
    await page.fill("#credit_code", held["credit_code"])
    async with page.expect_navigation():
        await page.click("form.filters button[type=submit]")
    assert await rows.locator("td:first-child code:first-child").all_inner_texts() == [held["application_id"]]
    await page.goto(f"{console.url}/payouts?year=all&credit_code=not-a-code")
    assert "18" in await page.locator(".problem[role=alert]").inner_text()
