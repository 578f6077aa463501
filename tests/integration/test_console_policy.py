"""The console's policy pages in a real headless browser (Debian's chromium, driven by Playwright),
against the real intake and eligibility services: policy officials upload a new version, see its
problems or what it changes and what it would have paid, save it as a draft; its drafter may not
approve it, another official does. Every step goes through eligibility's API with the official's key."""

import json
import os
from pathlib import Path

import httpx
import pytest

from services.console import accounts
from services.intake.cli import PartnerKeys
from shared.policy_versions import content_hash
from shared.secretbox import SecretBox
from shared.stack import ServiceProcess, free_port
from tests.browser import assert_accessible
from tests.browser import sign_in as signing_in
from tests.conftest import SECRETS_KEY
from tests.policy_files import SUCCESSOR_ID, illustration, successor, write
from tests.selection_tools import auth, key_works, until
from tests.wiring import wired

pytestmark = [pytest.mark.integration, pytest.mark.browser]
PASSWORD = "correct horse battery staple"
CODE = "91510100MA61R8XN39"
LATER_ID = "chengdu-blockchain-2030"


@pytest.fixture(scope="module")
def eligibility(stack, tmp_path_factory):
    process = ServiceProcess(
        "eligibility", free_port(), stack.env(), tmp_path_factory.mktemp("logs") / "eligibility.log"
    )
    process.start().wait_ready()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def console(stack, intake, eligibility, tmp_path_factory):
    services = {p.name: {"url": p.url, "admin_url": p.admin_url} for p in (intake, eligibility)}
    env = {**stack.env(), "CONSOLE_SERVICES": json.dumps(services)}
    process = ServiceProcess("console", free_port(), env, tmp_path_factory.mktemp("logs") / "console.log")
    process.start().wait_ready()
    yield process
    process.stop()


@pytest.fixture(scope="module")
async def officials(stack, intake, eligibility):
    """Two policy officials and an administrator, made as `subsidy console users create` makes them;
    eligibility knows their keys."""
    made = {}
    async with wired(stack.database_url, "console") as console:
        for name, role in (("pol-a", "policy_admin"), ("pol-b", "policy_admin"), ("ada", "admin")):
            made[name] = await accounts.create(
                console.sessions, PartnerKeys(stack.database_url), SecretBox(SECRETS_KEY), name, role, PASSWORD
            )
    async with httpx.AsyncClient(base_url=eligibility.url, timeout=15) as client:
        for account in made.values():
            await key_works(client, account.api_key, "/v1/policy/versions")
    return made


@pytest.fixture(scope="module")
async def decided(stack, intake, eligibility):
    """Two 2024 node claims of 4,000,000, decided: a national super node (800,000), a municipal one (refused)."""
    key = await stack.key(partner="portal-policy")
    ids = []
    async with httpx.AsyncClient(base_url=intake.url, timeout=15) as client:
        for level in ("national_super", "municipal"):
            r = await client.post(
                "/v1/applications",
                headers=auth(key) | {"Idempotency-Key": f"policy-{level}"},
                json={
                    "clause": "1.1-node",
                    "applicant": {"credit_code": CODE, "name": "成都链网科技有限公司", "kind": "enterprise"},
                    "occurred_on": "2024-03-01",
                    "facts": {"node_id": f"SN-{level}", "node_level": level, "investment_cost": "4000000.00"},
                },
            )
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])

        async def all_decided():
            states = [(await client.get(f"/v1/applications/{i}", headers=auth(key))).json()["status"] for i in ids]
            return all(s != "submitted" for s in states)

        await until(all_decided)
    return ids


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("policy")
    broken = successor().replace('window_article = "施行期"\n', "").replace('rate = "0.30"', 'rate = "3"', 1)
    return {"successor": write(folder, SUCCESSOR_ID, successor()), "broken": write(folder, "broken", broken)}


async def sign_in(page, console, name: str):
    return await signing_in(page, console.url, name, PASSWORD)


async def sign_out(page):
    async with page.expect_navigation():
        await page.click("header .who button")
    assert page.url.endswith("/signin")


async def test_an_official_uploads_a_renewal_sees_what_it_changes_and_would_pay_and_another_approves_it(
    console, eligibility, officials, decided, files, page
):
    await sign_in(page, console, "pol-a")
    await page.click("nav a[href='/policy']")
    await page.click("a[href='/policy/new']")
    await page.set_input_files("#file", str(files["successor"]))
    await page.click("form[action='/policy/check'] button[type=submit]")

    # Valid, with what it changes from the policy in force: 1.1-node's rate.
    assert "可以保存为草稿" in await page.locator("#valid").inner_text()
    assert SUCCESSOR_ID in await page.locator("h1").inner_text()
    diff = page.locator("section[aria-labelledby=diff]")
    assert "chengdu-blockchain-2023" in await diff.locator("h2").inner_text()
    node = await diff.locator("tr#clause-1\\.1-node").inner_text()
    assert "比例：0.20 → 0.30" in node and "rate: 0.20 → 0.30" in node

    # The what-if over 2024: the national super node would get 1,000,000 (the cap) instead of 800,000.
    await page.fill("#from", "2024-01-01")
    await page.fill("#to", "2024-12-31")
    await page.click("#whatif-form button[type=submit]")
    report = page.locator("section[aria-labelledby=whatif-report]")
    assert "+200,000.00" in await report.locator("dl").inner_text()
    chart = report.locator("svg.whatif-bars")
    assert await chart.count() == 1
    baseline, draft = chart.locator("rect.bar-baseline:has(title)"), chart.locator("rect.bar-draft:has(title)")
    assert await baseline.count() == await draft.count() == 1
    widths = [float(await bar.get_attribute("width")) for bar in (baseline, draft)]
    assert 0 < widths[0] < widths[1], widths  # 800,000 beside 1,000,000
    assert "1,000,000.00" in await draft.locator("title").text_content()

    # Saved as a draft, which its drafter may not approve.
    await page.click("#save-form button[type=submit]")
    assert page.url == f"{console.url}/policy/versions/{SUCCESSOR_ID}?done=policy_drafted"
    assert "草稿" in await page.locator("#state").inner_text()
    async with page.expect_navigation() as refused:
        await page.click("#approve-form button[type=submit]")
    assert (await refused.value).status == 403
    problem = await page.locator("#problem").inner_text()
    assert "双人复核" in problem and "four eyes" in problem
    assert "草稿" in await page.locator("#state").inner_text()

    # Another policy official approves it.
    await sign_out(page)
    await sign_in(page, console, "pol-b")
    await page.goto(f"{console.url}/policy/versions/{SUCCESSOR_ID}")
    assert "rate: 0.20 → 0.30" in await page.locator("section[aria-labelledby=diff]").inner_text()
    await page.fill("#approve-reason", "复核无误")
    await page.click("#approve-form button[type=submit]")
    assert "版本已批准" in await page.locator("[role=status]").inner_text()
    assert "已批准" in await page.locator("#state").inner_text()
    assert await page.locator("#withdraw-form").count() == 0  # its first day is past
    await page.goto(f"{console.url}/policy")
    row = await page.locator(f"tr:has(a[href='/policy/versions/{SUCCESSOR_ID}'])").inner_text()
    assert "已批准" in row and "pol-a" in row and "pol-b" in row

    async with httpx.AsyncClient(base_url=eligibility.url, timeout=15) as client:
        stored = await client.get(f"/v1/policy/versions/{SUCCESSOR_ID}", headers=auth(officials["ada"].api_key))
    steps = [(s["step"], s["by"], s["reason"]) for s in stored.json()["steps"]]
    assert steps == [("drafted", "pol-a", ""), ("approved", "pol-b", "复核无误")]
    assert stored.json()["content_hash"] == content_hash(successor())  # the file's text, as it was


async def test_a_broken_file_shows_each_problem_by_key_and_clause_and_cannot_be_saved(console, officials, files, page):
    await sign_in(page, console, "pol-a")
    await page.goto(f"{console.url}/policy/new")
    await page.set_input_files("#file", str(files["broken"]))
    await page.click("form[action='/policy/check'] button[type=submit]")
    assert "不能保存为草稿" in await page.locator("section[aria-labelledby=problems] [role=alert]").inner_text()
    rows = await page.locator("table.problems tbody tr").all_inner_texts()
    assert any("window_article" in r for r in rows), rows
    assert any("1.1-node" in r and ".rate" in r for r in rows), rows
    assert await page.locator("#save-form").count() == 0
    assert await page.locator("#whatif-form").count() == 0

    await page.goto(f"{console.url}/policy/new")
    await page.click("form[action='/policy/check'] button[type=submit]")  # nothing chosen, nothing pasted
    assert "请选择 TOML 文件" in await page.locator("#problem").inner_text()


async def test_a_pasted_text_is_saved_as_it_reads_and_its_drafter_withdraws_it(console, eligibility, officials, page):
    later = illustration(LATER_ID, "2030-01-01", "2031-12-31")
    await sign_in(page, console, "pol-b")
    await page.goto(f"{console.url}/policy/new")
    await page.fill("#source", later)
    await page.click("form[action='/policy/check'] button[type=submit]")
    assert await page.locator("#valid").count() == 1
    await page.fill("#reason", "2030 年续期")
    await page.click("#save-form button[type=submit]")
    assert page.url.startswith(f"{console.url}/policy/versions/{LATER_ID}")
    async with httpx.AsyncClient(base_url=eligibility.url, timeout=15) as client:
        saved = (await client.get(f"/v1/policy/versions/{LATER_ID}", headers=auth(officials["ada"].api_key))).json()
    assert saved["source"] == later  # a browser sends CRLF line ends: the text saved is the one pasted

    await page.fill("#withdraw-reason", "不再需要")
    await page.click("#withdraw-form button[type=submit]")
    assert "已撤回" in await page.locator("#state").inner_text()
    assert await page.locator("#approve-form").count() == 0


async def test_an_administrator_reads_the_versions_and_a_stored_versions_what_if_but_may_not_draft(
    console, officials, decided, page
):
    await sign_in(page, console, "ada")
    await page.goto(f"{console.url}/policy")
    assert await page.locator("a[href='/policy/new']").count() == 0
    assert (await page.goto(f"{console.url}/policy/new")).status == 403
    await page.goto(f"{console.url}/policy/versions/{SUCCESSOR_ID}?from=2024-01-01&to=2024-12-31")
    assert await page.locator("#approve-form").count() == 0
    assert await page.locator("svg.whatif-bars rect.bar-draft:has(title)").count() == 1
    backwards = await page.goto(f"{console.url}/policy/versions/{SUCCESSOR_ID}?from=2024-12-31&to=2024-01-01")
    assert backwards.status == 422 and "早于开始日" in await page.locator("#problem").inner_text()


async def test_the_policy_pages_have_their_language_one_heading_named_controls_and_visible_focus(
    console, officials, page
):
    await sign_in(page, console, "pol-a")
    for path in ("/policy", "/policy/new", f"/policy/versions/{SUCCESSOR_ID}?from=2024-01-01&to=2024-12-31"):
        await assert_accessible(page, console.url + path)


async def test_the_policy_pages_as_a_person_sees_them(console, officials, decided, page, tmp_path_factory):
    """Not an assertion on pixels: screenshots for a person to look at (kept in $SUBSIDY_SCREENSHOTS if set)."""
    shots = Path(os.environ.get("SUBSIDY_SCREENSHOTS") or tmp_path_factory.mktemp("screens"))
    await page.set_viewport_size({"width": 1280, "height": 900})
    await sign_in(page, console, "pol-a")
    await page.goto(f"{console.url}/policy/new")
    await page.fill("#source", successor(version_id="chengdu-blockchain-2026", first_day="2026-01-01"))
    await page.click("form[action='/policy/check'] button[type=submit]")
    await page.fill("#from", "2024-01-01")
    await page.fill("#to", "2024-12-31")
    await page.click("#whatif-form button[type=submit]")
    await page.screenshot(path=str(shots / "console-policy-check.png"), full_page=True)
    await page.goto(f"{console.url}/policy")
    await page.screenshot(path=str(shots / "console-policy-list.png"), full_page=True)
    assert all((shots / f"console-policy-{n}.png").stat().st_size > 10_000 for n in ("check", "list"))
