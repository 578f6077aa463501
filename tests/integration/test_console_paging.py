"""Every console list a page at a time, in a real headless browser: the lists an API answers whole
(dead letters, rounds) are paged by the console, two rows a page here, and the links to the pages
either side keep the list's filters."""

import json
import uuid

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
from tests.browser import assert_accessible
from tests.browser import sign_in as signing_in
from tests.conftest import SECRETS_KEY
from tests.kafka_tools import send_raw
from tests.selection_tools import BEIJING, auth, beijing, key_works, until
from tests.wiring import wired

pytestmark = [pytest.mark.integration, pytest.mark.browser]
PASSWORD = "correct horse battery staple"
CODE = "91510100MA61R8XN39"
GROUP = "notify-partners"  # the letters the test pages through; one of another group is filtered out
ROUNDS = ("2.3-alliance-chain", "2.4-typical-case", "3.6-demo-base")


@pytest.fixture(scope="module")
def console(stack, intake, quota, tmp_path_factory):
    services = {p.name: {"url": p.url, "admin_url": p.admin_url} for p in (intake, quota)}
    env = {**stack.env(), "CONSOLE_SERVICES": json.dumps(services), "CONSOLE_PAGE_SIZE": "2"}
    process = ServiceProcess("console", free_port(), env, tmp_path_factory.mktemp("logs") / "console.log")
    process.start().wait_ready()
    yield process
    process.stop()


@pytest.fixture(scope="module")
async def admin(stack, intake, quota) -> str:
    async with wired(stack.database_url, "console") as c:
        made = await accounts.create(
            c.sessions, PartnerKeys(stack.database_url), SecretBox(SECRETS_KEY), "ada", "admin", PASSWORD
        )
    async with httpx.AsyncClient(base_url=quota.url, timeout=15) as client:
        await key_works(client, made.api_key)
    return made.api_key


async def _letter(bootstrap: str, consumer: str, at: str) -> str:
    """A dead letter of `consumer`, given up on at `at`; its id as the console names it."""
    event = Envelope.of(
        ApplicationSubmittedV1(
            application_id=uuid.uuid4(), partner_id="p", submitted_at=beijing("2024-03-01T09:00:00"), application={}
        ),
        source="/test",
        key=CODE,
        subject="x",
    )
    failure = {
        "dlt_consumer": consumer,
        "dlt_topic": topics.APPLICATIONS,
        "dlt_partition": "0",
        "dlt_offset": "3",
        "dlt_error": "not JSON",
        "dlt_error_type": "MalformedEvent",
        "dlt_attempts": "1",
        "dlt_at": at,
    }
    headers = event.headers() + [(k, v.encode()) for k, v in failure.items()]
    await send_raw(bootstrap, topics.DEAD_LETTERS, (CODE.encode(), f"{{not json {event.id}".encode(), headers))

    async def named():
        found, _ = await dead_letters.letters(bootstrap)
        return next((d.id for d in found if d.headers.get("ce_id") == event.id), None)

    return await until(named)


async def _pages(page, url: str, nav: str) -> list[list[str]]:
    """The first cell of each row, page by page, following the `next` links from `url`."""
    await page.goto(url)
    seen = []
    while True:
        seen.append(await page.locator("tbody tr td:first-child").all_inner_texts())
        following = page.locator(f"nav[aria-label='{nav}'] a[rel=next]")
        if not await following.count():
            return seen
        async with page.expect_navigation():
            await following.click()


async def test_dead_letters_are_paged_two_at_a_time_newest_first_and_the_links_keep_the_filter(
    stack, console, admin, page
):
    ids = [await _letter(stack.bootstrap_servers, GROUP, f"2024-03-0{day}T01:00:00+00:00") for day in (1, 2, 3)]
    other = await _letter(stack.bootstrap_servers, "eligibility-decisions", "2024-03-04T01:00:00+00:00")
    await signing_in(page, console.url, "ada", PASSWORD)
    pages = await _pages(page, f"{console.url}/dead-letters?consumer={GROUP}", "死信分页 Dead letter pages")
    assert pages == [[ids[2], ids[1]], [ids[0]]]  # newest first; the other group's letter on neither
    assert page.url == f"{console.url}/dead-letters?consumer={GROUP}&page=2"
    assert await page.input_value("#consumer") == GROUP
    nav = page.locator("nav[aria-label='死信分页 Dead letter pages']")
    assert "第 2 / 2 页" in await nav.inner_text() and "Page 2 of 2" in await nav.inner_text()
    async with page.expect_navigation():
        await nav.locator("a[rel=prev]").click()
    assert page.url == f"{console.url}/dead-letters?consumer={GROUP}"
    assert await page.locator("tbody tr td:first-child").all_inner_texts() == [ids[2], ids[1]]
    await page.goto(f"{console.url}/dead-letters?consumer={GROUP}&page=99")  # past the end: the last page
    assert await page.locator("tbody tr td:first-child").all_inner_texts() == [ids[0]]
    await page.goto(f"{console.url}/dead-letters")  # every group: two pages of two
    assert other in await page.locator("tbody").inner_text()
    assert await page.locator("tbody tr").count() == 2
    await assert_accessible(page, f"{console.url}/dead-letters?consumer={GROUP}&page=2")


async def test_rounds_are_paged_two_at_a_time_each_round_on_one_page(console, quota, admin, page):
    async with httpx.AsyncClient(base_url=quota.url, timeout=15) as client:
        for clause in ROUNDS:
            r = await client.post(
                "/v1/rounds",
                headers=auth(admin),
                json={"clause": clause, "year": 2024, "deadline": "2024-09-20T17:00:00" + BEIJING, "min_reviews": 1},
            )
            assert r.status_code == 201, r.text
    await signing_in(page, console.url, "ada", PASSWORD)
    pages = await _pages(page, f"{console.url}/rounds", "评选轮次分页 Round pages")
    assert [len(p) for p in pages] == [2, 1]
    shown = [cell.split()[-1] for p in pages for cell in p]  # each cell ends with the clause's code
    assert sorted(shown) == sorted(ROUNDS)
    assert page.url == f"{console.url}/rounds?page=2"
    assert await page.locator("form[action='/rounds']").count() == 1  # the form to open one, on every page
