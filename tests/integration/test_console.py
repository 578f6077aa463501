"""The operator console in a real headless browser (Debian's chromium, driven by Playwright),
against the real intake, eligibility, quota and payout services: officials sign in with their own
accounts and act through the services' APIs with their own keys."""

import copy
import json
import os
import re
import uuid
from pathlib import Path

import httpx
import pytest

from services.console import accounts
from services.intake.cli import PartnerKeys
from shared import topics
from shared.events import ApplicationSubmittedV1
from shared.messaging import dead_letters
from shared.messaging.envelope import Envelope
from shared.secretbox import SecretBox
from shared.stack import ServiceProcess, free_port
from tests.books import EXAMPLES
from tests.browser import assert_accessible
from tests.browser import sign_in as signing_in
from tests.builders import applicant_code
from tests.conftest import SECRETS_KEY
from tests.kafka_tools import send_raw
from tests.money_tools import fund, payee_for, this_year
from tests.selection_tools import auth, beijing, key_works, prepare_round, until
from tests.wiring import wired

pytestmark = [pytest.mark.integration, pytest.mark.browser]
PASSWORD = "correct horse battery staple"
CODE = "91510100MA61R8XN39"
PER_ADDRESS = 10
DEMO = "3.5-ministry-demo"  # 300,000.00 an award


@pytest.fixture(scope="module")
def eligibility(stack, tmp_path_factory):
    process = ServiceProcess(
        "eligibility", free_port(), stack.env(), tmp_path_factory.mktemp("logs") / "eligibility.log"
    )
    process.start().wait_ready()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def payout(stack, tmp_path_factory):
    process = ServiceProcess("payout", free_port(), stack.env(), tmp_path_factory.mktemp("logs") / "payout.log")
    process.start().wait_ready()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def console(stack, intake, eligibility, quota, payout, tmp_path_factory):
    """The console as its own process, told where the other services answer."""
    services = {p.name: {"url": p.url, "admin_url": p.admin_url} for p in (intake, eligibility, quota, payout)}
    env = {
        **stack.env(),
        "CONSOLE_SERVICES": json.dumps(services),
        "CONSOLE_SIGNIN_FAILURES_PER_ADDRESS": str(PER_ADDRESS),
        "CONSOLE_PAGE_SIZE": "1",
    }
    process = ServiceProcess("console", free_port(), env, tmp_path_factory.mktemp("logs") / "console.log")
    process.start().wait_ready()
    yield process
    process.stop()


@pytest.fixture(scope="module")
async def officials(stack, intake, quota):
    """Accounts made as `subsidy console users create` makes them; quota knows their keys."""
    made = {}
    async with wired(stack.database_url, "console") as console:
        for name, role in (
            ("ada", "admin"),
            ("judge-a", "reviewer"),
            ("judge-b", "reviewer"),
            ("locked", "reviewer"),
            ("fin", "finance"),
        ):
            made[name] = await accounts.create(
                console.sessions, PartnerKeys(stack.database_url), SecretBox(SECRETS_KEY), name, role, PASSWORD
            )
    async with httpx.AsyncClient(base_url=quota.url, timeout=15) as client:
        for name in ("ada", "judge-a", "judge-b"):
            await key_works(client, made[name].api_key)
    return made


@pytest.fixture(scope="module")
async def decided(stack, intake, eligibility):
    """Two applications of one applicant, decided: a national super node (eligible), a municipal one (not)."""
    key = await stack.key(partner="portal-console")
    ids = {}
    async with httpx.AsyncClient(base_url=intake.url, timeout=15) as client:
        for level in ("national_super", "municipal"):
            r = await client.post(
                "/v1/applications",
                headers=auth(key) | {"Idempotency-Key": f"console-{level}"},
                json={
                    "clause": "1.1-node",
                    "applicant": {"credit_code": CODE, "name": "成都链网科技有限公司", "kind": "enterprise"},
                    "occurred_on": "2024-03-01",
                    "facts": {"node_id": f"SN-{level}", "node_level": level, "investment_cost": "4000000.00"},
                },
            )
            assert r.status_code == 202, r.text
            ids[level] = r.json()["id"]

        async def all_decided():
            states = [
                (await client.get(f"/v1/applications/{i}", headers=auth(key))).json()["status"] for i in ids.values()
            ]
            return all(s != "submitted" for s in states)

        await until(all_decided)
    return ids


@pytest.fixture(scope="module")
async def rounds(stack, quota, quota_clock, officials):
    """An alliance-chain round in review, judge-a on its panel; a demonstration-base round in public
    notice (quota 2 of 3, so one waitlisted) with an objection against the first."""
    admin = officials["ada"].api_key
    scorer = await stack.key(partner="panel-x", role="reviewer")
    async with httpx.AsyncClient(base_url=quota.url, timeout=15) as client:
        await key_works(client, scorer)
        chains = await prepare_round(
            client,
            stack.bootstrap_servers,
            quota_clock,
            admin,
            {"judge-a": officials["judge-a"].api_key},
            "2.3-alliance-chain",
            2024,
            [0, 0],
            upto="in_review",
            tag="con",
        )
        bases = await prepare_round(
            client,
            stack.bootstrap_servers,
            quota_clock,
            admin,
            {"panel-x": scorer},
            "3.6-demo-base",
            2024,
            [91, 84, 70],
            tag="con",
            quota=2,
        )
        r = await client.post(
            "/v1/notices/3.6-demo-base/2024/objections",
            json={
                "application_id": bases[0],
                "name": "王芳",
                "contact": "wangfang@example.cn",
                "reason": "该示范基地实际未投入运营，申报材料与事实不符。",
            },
        )
        assert r.status_code == 201, r.text
    return {"chains": chains, "bases": bases}


@pytest.fixture(scope="module")
async def waiting_award(stack, intake, eligibility, payout, officials):
    """This year's line of ministry demonstration projects holds 100,000.00; an award of 300,000.00
    (with the applicant's bank account) waits for it to be raised."""
    year = this_year()
    await fund(stack.database_url, "100000.00", clause=DEMO, year=year)
    application = copy.deepcopy(EXAMPLES[DEMO])
    application["applicant"]["credit_code"] = applicant_code(4242, prefix="91510100MC")
    application["payee"] = payee_for(application["applicant"]["name"])
    key = await stack.key(partner="portal-money")
    async with httpx.AsyncClient(base_url=intake.url, timeout=15) as client:
        r = await client.post("/v1/applications", json=application, headers=auth(key) | {"Idempotency-Key": "money-1"})
        assert r.status_code == 202, r.text
    finance = auth(officials["fin"].api_key)
    async with httpx.AsyncClient(base_url=payout.url, timeout=15) as client:
        await key_works(client, officials["fin"].api_key, "/v1/budgets")
        await key_works(client, officials["ada"].api_key, "/v1/budgets")

        async def waiting():
            lines = (await client.get("/v1/budgets", params={"year": year}, headers=finance)).json()
            return any(x["clause"] == DEMO and x["awaiting_budget"] == 1 for x in lines)

        await until(waiting)
    return {"year": year, "application_id": r.json()["id"]}


async def sign_in(page, console, name: str, password: str = PASSWORD, *, open_page: bool = True):
    return await signing_in(page, console.url, name, password, open_page=open_page)


# ---- signing in ----


async def test_an_official_signs_in_with_a_secure_httponly_strict_session_cookie(console, officials, page):
    response = await page.goto(f"{console.url}/applications?status=ineligible&clause=1.1-node")
    assert page.url.startswith(f"{console.url}/signin?next=")
    assert response.status == 200
    await sign_in(page, console, "ada", open_page=False)
    assert page.url == f"{console.url}/applications?status=ineligible&clause=1.1-node"  # where they were going
    [cookie] = [c for c in await page.context.cookies() if c["name"] == "__Host-console-session"]
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "ada" in await page.locator("header .who").inner_text()
    await page.click("header .who button")  # sign out
    assert page.url == f"{console.url}/signin"
    await page.goto(f"{console.url}/applications")
    assert "/signin" in page.url  # the session is gone on the server too


async def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(console, officials, page):
    wrong = await sign_in(page, console, "ada", "not the password at all")
    first = await page.locator("[role=alert]").inner_text()
    unknown = await sign_in(page, console, "nobody-here", "not the password at all")
    second = await page.locator("[role=alert]").inner_text()
    assert wrong.status == unknown.status == 401
    assert first == second and "账户名或密码错误" in first
    assert await page.input_value("#password") == ""  # never sent back


async def test_after_five_failed_sign_ins_an_account_waits_even_with_the_right_password(console, officials, page):
    for _ in range(5):
        assert (await sign_in(page, console, "locked", "guessing-again-and-again")).status == 401
    refused = await sign_in(page, console, "locked", PASSWORD)
    assert refused.status == 429
    assert 1 <= int(await refused.header_value("retry-after")) <= 900
    assert "登录失败次数过多" in await page.locator("[role=alert]").inner_text()
    assert "/signin" in page.url
    assert (await sign_in(page, console, "judge-b")).status == 200  # other accounts are not held up


def matched(pattern: str, text: str, group: int = 1, flags: int = 0) -> str:
    """`group` of the first match of `pattern` in `text`; the test fails where there is none."""
    m = re.search(pattern, text, flags)
    assert m is not None, f"{pattern!r} not found"
    return m.group(group)


async def _signin_token(client: httpx.AsyncClient) -> tuple[str, str]:
    r = await client.get("/signin")
    cookie = r.cookies.get("__Host-console-signin") or matched(
        r"__Host-console-signin=([^;]+)", r.headers["set-cookie"]
    )
    token = matched(r'name="signin_token" value="([^"]+)"', r.text)
    return cookie, token


async def test_failed_sign_ins_from_one_address_are_limited_whatever_the_accounts(console, officials):
    # Another loopback address, so that the browser tests' own address is not held up.
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(base_url=console.url, transport=transport, timeout=15) as client:
        statuses = []
        for n in range(PER_ADDRESS + 1):
            cookie, token = await _signin_token(client)
            r = await client.post(
                "/signin",
                data={"signin_token": token, "name": f"guess-{n}", "password": "x" * 12},
                headers={"Cookie": f"__Host-console-signin={cookie}"},
            )
            statuses.append(r.status_code)
        assert statuses == [401] * PER_ADDRESS + [429]
        assert int(r.headers["retry-after"]) > 0


async def test_a_form_without_its_csrf_token_is_refused(console, officials):
    async with httpx.AsyncClient(base_url=console.url, timeout=15) as client:
        cookie, token = await _signin_token(client)
        forged = await client.post(
            "/signin",
            data={"signin_token": "forged", "name": "ada", "password": PASSWORD},
            headers={"Cookie": f"__Host-console-signin={cookie}"},
        )
        assert forged.status_code == 403
        signed = await client.post(
            "/signin",
            data={"signin_token": token, "name": "ada", "password": PASSWORD},
            headers={"Cookie": f"__Host-console-signin={cookie}"},
        )
        assert signed.status_code == 303
        session = {
            "Cookie": "__Host-console-session="
            + matched(r"__Host-console-session=([^;]+)", signed.headers["set-cookie"])
        }
        assert (await client.get("/rounds", headers=session)).status_code == 200
        for data in ({}, {"csrf_token": "not-the-token"}, {"csrf_token": ""}):
            assert (await client.post("/signout", data=data, headers=session)).status_code == 403
            assert (
                await client.post(
                    "/rounds/2.3-alliance-chain/2024/transitions", headers=session, data=data | {"state": "ranked"}
                )
            ).status_code == 403
        page = (await client.get("/rounds", headers=session)).text
        csrf = matched(r'name="csrf_token" value="([^"]+)"', page)
        assert (await client.post("/signout", data={"csrf_token": csrf}, headers=session)).status_code == 303
        assert (await client.get("/rounds", headers=session)).status_code == 303  # signed out


async def test_a_reviewer_cannot_open_administrators_pages_and_finance_sees_only_payouts(console, officials, page):
    await sign_in(page, console, "judge-b")
    for path in ("/health", "/dead-letters", "/rounds/2.3-alliance-chain/2024/ranking", "/payouts"):
        assert (await page.goto(console.url + path)).status == 403, path
    refused = await page.request.post(f"{console.url}/payouts/budgets/2024/1.1-node", form={"amount": "1.00"})
    assert refused.status == 403 and "您的角色不能" in await refused.text()
    await page.locator("header .who button").click()
    await sign_in(page, console, "fin")
    assert await page.locator("nav a").all_inner_texts() == ["拨付与预算Payouts & budgets"]
    assert (await page.goto(console.url + "/payouts")).status == 200
    assert "各条款预算" in await page.locator("section[aria-labelledby=budgets] h2").inner_text()
    for path in ("/applications", "/rounds", "/health", "/dead-letters"):
        assert (await page.goto(console.url + path)).status == 403, path
    refused = await page.request.post(f"{console.url}/dead-letters/0123456789abcdef/replay", form={"csrf_token": "x"})
    assert refused.status == 403 and "您的角色不能" in await refused.text()


# ---- applications ----


async def test_an_official_finds_an_applicants_applications_and_reads_why_one_was_refused_clause_by_clause(
    console, officials, decided, page
):
    await sign_in(page, console, "judge-b")
    await page.goto(f"{console.url}/applications")
    await page.fill("#q", CODE.lower())
    await page.select_option("#status", "ineligible")
    await page.click("form[role=search] button[type=submit]")
    rows = page.locator("table tbody tr")
    assert await rows.count() == 1
    assert decided["municipal"] in await rows.first.inner_text()
    await rows.first.locator("a").click()
    assert page.url == f"{console.url}/applications/{decided['municipal']}"
    section = page.locator("section[aria-labelledby=decision]")
    text = await section.inner_text()
    assert "不符合条件" in text and "chengdu-blockchain-2023" in text
    reason = await section.locator("ul.reasons li").inner_text()
    assert "node_level" in reason and "实际为 municipal" in reason and "has municipal" in reason
    articles = await section.locator("ol.trace > li .article").all_inner_texts()
    assert articles == ["施行期", "一（一）"]
    assert "investment_cost 4,000,000.00 > 0.00: met" in await section.locator("ol.trace").inner_text()
    # Each step in Chinese first, its English beside it.
    step = section.locator("ol.trace li li", has_text="investment_cost 4,000,000.00 > 0.00: met")
    assert (await step.inner_text()).startswith("符合“按企业或机构投入成本”：investment_cost 4,000,000.00 > 0.00")
    english = await step.locator("span.en[lang=en]").inner_text()
    assert english == "investment_cost 4,000,000.00 > 0.00: met (按企业或机构投入成本)"


async def test_the_eligible_application_shows_its_amount_and_every_step_of_the_reckoning(
    console, officials, decided, page
):
    await sign_in(page, console, "ada")
    await page.goto(f"{console.url}/applications?q={CODE}&clause=1.1-node")  # one a page here
    rows = page.locator("table tbody tr")
    seen = [await rows.first.inner_text()]
    assert await page.locator("a", has_text="第一页").count() == 0
    await page.click("a[rel=next]")
    seen.append(await rows.first.inner_text())
    assert {decided["national_super"], decided["municipal"]} == {matched(r"[0-9a-f-]{36}", t, 0) for t in seen}
    assert await page.locator("a[rel=next]").count() == 0  # the last page
    await page.click("a:has-text('第一页')")
    assert await rows.first.inner_text() == seen[0]
    await page.goto(f"{console.url}/applications?q={CODE}&from=2099-01-01")
    assert "没有符合条件的申请" in await rows.first.inner_text()
    await page.goto(f"{console.url}/applications?to=2024-13-45")
    assert "YYYY-MM-DD" in await page.locator("[role=alert]").inner_text()
    await page.goto(f"{console.url}/applications/{decided['national_super']}")
    section = page.locator("section[aria-labelledby=decision]")
    assert "800,000.00 元" in await section.locator(".outcome").inner_text()
    steps = await section.locator("ol.trace").inner_text()
    assert "× 20% = 800,000.00; cap 1,000,000.00 not reached" in steps
    assert "× 20% = 800,000.00 元；未超过上限 1,000,000.00 元" in steps
    timeline = await page.locator("section[aria-labelledby=timeline] tbody").inner_text()
    assert "已提交" in timeline and "符合条件" in timeline


# ---- selections ----


def label(text: str) -> str:
    """The Chinese of a label shown in both languages."""
    return matched(r"^[^A-Za-z0-9 ]*", text, 0).strip()


async def every_row(page, url: str, rows: str) -> list[str]:
    """The rows `rows` finds on every page of a list (one a page here), from `url` on."""
    await page.goto(url)
    found = []
    while True:
        found += await page.locator(rows).all_inner_texts()
        following = page.locator("nav.pager a[rel=next]")
        if not await following.count():
            return found
        async with page.expect_navigation():
            await following.click()


async def test_a_reviewer_saves_a_draft_submits_a_review_and_recuses_from_another_candidate(
    console, quota, officials, rounds, page
):
    first, second = rounds["chains"]
    base = f"{console.url}/rounds/2.3-alliance-chain/2024"
    await sign_in(page, console, "judge-a")
    candidate_rows = "section[aria-labelledby=candidates] tbody tr"
    assert len(await every_row(page, base, candidate_rows)) == 2  # a page each
    await page.goto(base)
    assert "未评审" in await page.locator(candidate_rows).first.inner_text()
    await page.goto(f"{base}/candidates/{first}")
    await page.fill("#score-infrastructure", "80")
    await page.fill("#score-applications", "90")
    await page.click("button[value=submit]")  # incomplete: quota refuses, and says why
    assert "sme_support" in await page.locator("[role=alert]").inner_text()
    assert await page.input_value("#score-applications") == "90"  # what was typed is kept
    await page.click("button[value=save]")
    assert "草稿已保存" in await page.locator("[role=status]").inner_text()
    assert await page.input_value("#score-applications") == "90"  # the draft comes back
    await page.fill("#score-industry_impact", "70")
    await page.fill("#score-sme_support", "60")
    await page.click("button[value=submit]")
    assert "评审已提交" in await page.locator("[role=status]").inner_text()
    assert "76.50" in await page.locator("section[aria-labelledby=my-review] table").inner_text()  # weighted

    await page.goto(f"{base}/candidates/{second}")
    await page.fill("#conflict-reason", "曾为该企业提供咨询服务 / advised this company in 2023")
    await page.click("form[action$=conflict] button")
    assert "已申报利益冲突并回避" in await page.locator("[role=status]").inner_text()
    assert await page.locator("#score-infrastructure").count() == 0  # nothing left to score

    admin = auth(officials["ada"].api_key)
    async with httpx.AsyncClient(base_url=quota.url, timeout=15) as client:
        reviews = (
            await client.get(f"/v1/rounds/2.3-alliance-chain/2024/candidates/{first}/reviews", headers=admin)
        ).json()
        assert [(r["reviewer_id"], r["status"], r["score"]) for r in reviews] == [("judge-a", "submitted", "76.50")]
        listed = {
            c["application_id"]: c
            for c in (await client.get("/v1/rounds/2.3-alliance-chain/2024/candidates", headers=admin)).json()
        }
        assert listed[second]["recused"] == ["judge-a"]
    rows = await every_row(page, base, candidate_rows)
    assert [t.split("\t")[-1] for t in rows] == ["已提交submitted", "已回避recused"]


async def test_an_administrator_sees_recusals_and_upholds_an_objection_and_the_waitlist_moves_up(
    console, officials, rounds, page
):
    await sign_in(page, console, "ada")
    candidates = await every_row(
        page, f"{console.url}/rounds/2.3-alliance-chain/2024", "section[aria-labelledby=candidates] tbody tr"
    )
    assert any("judge-a" in c for c in candidates)

    _first, _second, _third = rounds["bases"]
    ranking = f"{console.url}/rounds/3.6-demo-base/2024/ranking"
    standings = await every_row(page, ranking, "tbody tr td:nth-child(5)")
    assert [label(s) for s in standings] == ["异议核查中", "拟入选", "候补"]

    await page.goto(f"{console.url}/rounds/3.6-demo-base/2024/objections")
    objection = page.locator("article.objection").first
    assert "王芳" in await objection.inner_text() and "待处理" in await objection.inner_text()
    await objection.get_by_label("异议成立").check()
    await objection.locator("textarea").fill("经核查，该示范基地尚未投入运营，异议成立。")
    await objection.locator("button[type=submit]").click()
    assert "异议成立" in await page.locator("[role=status]").inner_text()
    assert "成立" in await page.locator("article.objection h2").first.inner_text()

    standings = await every_row(page, ranking, "tbody tr td:nth-child(5)")
    assert [label(s) for s in standings] == ["已移除", "拟入选", "拟入选"]
    round_page = await page.goto(f"{console.url}/rounds/3.6-demo-base/2024")
    assert round_page.status == 200
    assert "递补公示" in await page.locator("section[aria-labelledby=notices]").inner_text()


async def test_an_administrator_opens_a_round_puts_a_reviewer_on_its_panel_and_is_told_why_a_move_is_refused(
    console, officials, rounds, page
):
    await sign_in(page, console, "ada")
    await page.goto(f"{console.url}/rounds")
    await page.select_option("#new-clause", "2.4-typical-case")
    await page.fill("#new-year", "2024")
    await page.fill("#new-deadline", "2024-12-20T17:00")
    async with page.expect_navigation():
        await page.click("form[action='/rounds'] button")
    problem = page.locator("[role=alert]")
    assert page.url == f"{console.url}/rounds/2.4-typical-case/2024?done=created", await problem.all_inner_texts()
    assert "评选轮次已创建" in await page.locator("[role=status]").inner_text()
    assert "2024-12-20 17:00" in await page.locator("dl.facts").inner_text()  # Beijing time, as entered
    await page.fill("#panel-reviewer", "judge-b")
    async with page.expect_navigation():
        await page.click("form[action$=panel] button")
    assert "judge-b" in await page.locator("dl.facts").inner_text()

    await page.goto(f"{console.url}/rounds")  # the same round again: quota refuses, the page says why
    await page.select_option("#new-clause", "2.4-typical-case")
    await page.fill("#new-year", "2024")
    await page.fill("#new-deadline", "2024-12-20T17:00")
    async with page.expect_navigation() as refused:
        await page.click("form[action='/rounds'] button")
    assert (await refused.value).status == 409
    assert await page.locator("[role=alert]").count() == 1
    assert await page.input_value("#new-year") == "2024"

    await page.goto(f"{console.url}/rounds/2.3-alliance-chain/2024")  # a candidate still lacks its review
    async with page.expect_navigation() as moved:
        await page.click("form[action$=transitions] button")
    assert (await moved.value).status == 409
    assert "non-recused reviewers" in await page.locator("[role=alert]").inner_text()
    assert "评审中" in await page.locator("dl.facts").inner_text()  # still in review


# ---- operations ----


async def test_the_health_page_shows_each_services_health_readiness_and_loops(console, officials, page):
    await sign_in(page, console, "ada")
    await page.goto(f"{console.url}/health")
    rows = page.locator("tbody tr")
    text = {(await r.locator("th").inner_text()).split("\n")[0]: await r.inner_text() for r in await rows.all()}
    assert sorted(name.split(" ")[0] for name in text) == ["console", "eligibility", "intake", "payout", "quota"]
    for name in ("intake", "eligibility", "quota", "payout"):
        assert "✔ 正常" in text[name] and "✔ 就绪" in text[name], text[name]
    assert "eligibility-decisions" in text["eligibility"] and "round_keeper" in text["quota"]


async def test_dead_letters_are_listed_by_consumer_group_and_shown_one_at_a_time(
    stack, console, officials, eligibility, quota, page
):
    headers = Envelope.of(
        ApplicationSubmittedV1(
            application_id="00000000-0000-0000-0000-000000000001",
            partner_id="p",
            submitted_at=beijing("2024-03-01T09:00:00"),
            application={},
        ),
        source="/test",
        key=CODE,
        subject="x",
    ).headers()
    await send_raw(stack.bootstrap_servers, topics.APPLICATIONS, (CODE.encode(), b"{not json", headers))
    await sign_in(page, console, "ada")

    async def listed():
        await page.goto(f"{console.url}/dead-letters")
        return "eligibility-decisions" in await page.locator("tbody").inner_text()

    await until(listed)
    assert "subsidy dead-letters replay" in await page.locator("[role=note]").inner_text()
    await page.select_option("#consumer", "eligibility-decisions")
    await page.click("form.filters button")
    rows = page.locator("tbody tr")
    assert await rows.count() == 1
    assert "subsidy.application.submitted.v1" in await rows.first.inner_text()
    await rows.first.locator("a").click()
    main = await page.locator("main").inner_text()
    assert "MalformedEvent" in main and "subsidy.applications" in main
    assert await page.locator("pre.payload").inner_text() == "{not json"


async def test_an_administrator_replays_a_dead_letter_once_and_a_second_click_is_told_it_went_back_already(
    stack, console, officials, page
):
    payload = f"{{not json {uuid.uuid4().hex}".encode()
    event = Envelope.of(
        ApplicationSubmittedV1(
            application_id=uuid.uuid4(), partner_id="p", submitted_at=beijing("2024-03-01T09:00:00"), application={}
        ),
        source="/test",
        key=CODE,
        subject="x",
    )
    await send_raw(
        stack.bootstrap_servers,
        topics.DEAD_LETTERS,
        (
            CODE.encode(),
            payload,
            event.headers()
            + [
                (k, v.encode())
                for k, v in {
                    "dlt_consumer": "notify-partners",
                    "dlt_topic": topics.APPLICATIONS,
                    "dlt_partition": "0",
                    "dlt_offset": "3",
                    "dlt_error": "not JSON",
                    "dlt_error_type": "MalformedEvent",
                    "dlt_attempts": "1",
                    "dlt_at": "2024-03-01T01:00:00+00:00",
                }.items()
            ],
        ),
    )

    async def letter_id():
        found, _ = await dead_letters.letters(stack.bootstrap_servers)
        return next((d.id for d in found if d.headers.get("ce_id") == event.id), None)

    url = f"{console.url}/dead-letters/{await until(letter_id)}"

    async def on_applications() -> int:
        return sum(
            r.value == payload for r in await dead_letters.read_to_end(stack.bootstrap_servers, topics.APPLICATIONS)
        )

    await sign_in(page, console, "ada")
    stale = await page.context.new_page()  # another tab, opened before the replay
    await stale.goto(url)
    await page.goto(url)
    assert "未重放" in await page.locator("dl.facts").inner_text()
    async with page.expect_navigation():
        await page.click("form[action$='/replay'] button")
    assert page.url == url + "?done=replayed"
    assert "死信已重放" in await page.locator("[role=status]").inner_text()
    assert "已重放" in await page.locator("dl.facts").inner_text()
    assert await page.locator("form[action$='/replay']").count() == 0  # nothing left to replay
    assert await on_applications() == 1  # back on its own topic, once
    _, replayed = await dead_letters.letters(stack.bootstrap_servers)
    assert url.rsplit("/", 1)[1] in replayed  # recorded by its id

    async with stale.expect_navigation() as again:
        await stale.click("form[action$='/replay'] button")
    assert (await again.value).status == 409
    assert "已重放过，未再次发送" in await stale.locator("[role=alert]").inner_text()
    assert await on_applications() == 1  # and not twice
    await stale.close()


# ---- payouts and budgets ----


async def test_a_finance_official_raises_a_budget_the_waiting_award_goes_ahead_and_a_cut_below_it_is_refused(
    console, payout, officials, waiting_award, page
):
    year, application_id = waiting_award["year"], waiting_award["application_id"]
    await sign_in(page, console, "fin")
    await page.goto(f"{console.url}/payouts?year={year}")
    line = page.locator(f"tr[id='line-{year}-{DEMO}']")
    before = await line.inner_text()
    assert "100,000.00" in before and "300,000.00" in before and "1 项奖励" in before
    bar = await page.locator(f"svg[aria-labelledby='bar-{year}-{DEMO}'] title").text_content()
    assert "预算 100,000.00 元" in bar and "待预算 300,000.00" in bar

    await line.locator("input[name=amount]").fill("400,000.00")
    async with page.expect_navigation():
        await line.locator("button").click()
    assert "1 项等待预算的奖励已继续拨付" in await page.locator("[role=status]").inner_text()
    cells = [c.strip() for c in await line.locator("td.num").all_inner_texts()]
    # budget, paid, reserved, held, rejected, available, awaiting, recovered
    assert cells == ["400,000.00", "0.00", "300,000.00", "0.00", "0.00", "100,000.00", "0.00", "0.00"]
    bar = await page.locator(f"svg[aria-labelledby='bar-{year}-{DEMO}'] title").text_content()
    assert "预留 300,000.00" in bar and "可用 100,000.00" in bar and "待预算" not in bar

    finance = auth(officials["fin"].api_key)
    async with httpx.AsyncClient(base_url=payout.url, timeout=15) as client:
        [budget] = [
            x
            for x in (await client.get("/v1/budgets", params={"year": year}, headers=finance)).json()
            if x["clause"] == DEMO
        ]
        assert (budget["amount"], budget["reserved"], budget["awaiting_budget"], budget["updated_by"]) == (
            "400000.00",
            "300000.00",
            0,
            "fin",
        )
        [made] = (await client.get("/v1/payouts", params={"application_id": application_id}, headers=finance)).json()
        assert made["status"] in ("requested", "sent", "accepted", "paid") and made["year"] == year

    await page.goto(f"{console.url}/payouts?year={year}&application={application_id}")
    rows = page.locator("section[aria-labelledby=payouts] tbody tr")
    assert await rows.count() == 1
    row = await rows.first.inner_text()
    assert "300,000.00" in row and "****3445" in row and "6222020200112233445" not in row

    await page.goto(f"{console.url}/payouts?year={year}")  # below the 300,000.00 now reserved
    await line.locator("input[name=amount]").fill("1.00")
    async with page.expect_navigation() as refused:
        await line.locator("button").click()
    assert (await refused.value).status == 409
    alert = await page.locator("[role=alert]").inner_text()
    assert "已承诺（预留或已拨付）300000.00 元" in alert and "already committed" in alert
    field = line.locator("input[name=amount]")
    assert await field.input_value() == "1.00" and await field.get_attribute("aria-invalid") == "true"
    async with httpx.AsyncClient(base_url=payout.url, timeout=15) as client:
        lines = (await client.get("/v1/budgets", params={"year": year}, headers=finance)).json()
        assert [x["amount"] for x in lines if x["clause"] == DEMO] == ["400000.00"]  # unchanged


# ---- accessibility, on every page ----


async def test_every_page_has_its_language_one_heading_named_controls_scoped_headers_and_visible_focus(
    console, officials, decided, rounds, waiting_award, page
):
    await assert_accessible(page, f"{console.url}/signin")
    await sign_in(page, console, "ada")
    first_base = rounds["bases"][1]
    for path in (
        "/",
        "/applications",
        f"/applications?q={CODE}",
        f"/applications/{decided['municipal']}",
        "/rounds",
        "/rounds/3.6-demo-base/2024",
        f"/rounds/3.6-demo-base/2024/candidates/{first_base}",
        "/rounds/3.6-demo-base/2024/ranking",
        "/rounds/3.6-demo-base/2024/objections",
        "/health",
        "/dead-letters",
        "/payouts",
    ):
        await assert_accessible(page, console.url + path)
    await page.goto(f"{console.url}/dead-letters")
    letter = page.locator("tbody a").first
    if await letter.count():
        await assert_accessible(page, console.url + await letter.get_attribute("href"))
    await page.locator("header .who button").click()
    await sign_in(page, console, "judge-a")
    for path in (
        "/rounds/2.3-alliance-chain/2024",
        f"/rounds/2.3-alliance-chain/2024/candidates/{rounds['chains'][0]}",
        f"/rounds/2.3-alliance-chain/2024/candidates/{rounds['chains'][1]}",
    ):
        await assert_accessible(page, console.url + path)


async def test_the_pages_as_a_person_sees_them(
    console, officials, decided, rounds, waiting_award, page, tmp_path_factory
):
    """Not an assertion on pixels: screenshots for a person to look at (kept in $SUBSIDY_SCREENSHOTS if set)."""
    shots = Path(os.environ.get("SUBSIDY_SCREENSHOTS") or tmp_path_factory.mktemp("screens"))
    await page.set_viewport_size({"width": 1280, "height": 900})
    await sign_in(page, console, "judge-a")
    await page.goto(f"{console.url}/rounds/2.3-alliance-chain/2024/candidates/{rounds['chains'][0]}")
    await page.screenshot(path=str(shots / "console-review.png"), full_page=True)
    await page.locator("header .who button").click()
    await sign_in(page, console, "ada")
    for name, path in (
        ("application", f"/applications/{decided['municipal']}"),
        ("ranking", "/rounds/3.6-demo-base/2024/ranking"),
        ("round", "/rounds/3.6-demo-base/2024"),
        ("objections", "/rounds/3.6-demo-base/2024/objections"),
        ("health", "/health"),
        ("payouts", "/payouts"),
    ):
        await page.goto(console.url + path)
        await page.screenshot(path=str(shots / f"console-{name}.png"), full_page=True)
    assert all(
        (shots / f"console-{n}.png").stat().st_size > 10_000 for n in ("review", "application", "health", "payouts")
    )
