"""The public notice page in a real headless browser: Chromium from Debian's package, driven by
Playwright. No key is needed to read it or to object from it."""

import os
from pathlib import Path

import httpx
import pytest

from tests.browser import assert_chinese_renders
from tests.selection_tools import auth, beijing, key_works, prepare_round, until

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture(scope="module")
async def rounds(stack, intake, quota, quota_clock):
    """A concluded demonstration-base round and an alliance-chain round in public notice."""
    admin, judge = await stack.key(role="admin"), await stack.key(partner="page-judge", role="reviewer")
    async with httpx.AsyncClient(base_url=quota.url, timeout=15) as client:
        for key in (admin, judge):
            await key_works(client, key)
        await prepare_round(
            client,
            stack.bootstrap_servers,
            quota_clock,
            admin,
            {"page-judge": judge},
            "3.6-demo-base",
            2024,
            [88, 75],
            tag="page",
        )
        quota_clock.set(beijing("2024-10-12T09:00:00"))

        async def concluded():
            return (await client.get("/v1/rounds/3.6-demo-base/2024", headers=auth(admin))).json()[
                "state"
            ] == "concluded"

        await until(concluded)
        ids = await prepare_round(
            client,
            stack.bootstrap_servers,
            quota_clock,
            admin,
            {"page-judge": judge},
            "2.3-alliance-chain",
            2024,
            [91, 84, 70],
            tag="page",
            quota=2,
        )
    return ids


async def test_the_notice_page_lists_proposed_selections_their_end_dates_and_the_results(quota, rounds, page):
    response = await page.goto(f"{quota.url}/notices")
    assert response.status == 200
    assert await page.get_attribute("html", "lang") == "zh-CN"
    assert "遴选公示" in await page.locator("h1").inner_text()
    assert await page.locator("h2").all_inner_texts() == [
        "公示中In public notice",
        "如何提出异议How to object",
        "遴选结果Results",
    ]

    notice = page.locator("#in-notice").locator("xpath=..").locator("table")
    assert await notice.locator("thead th[scope=col]").count() == 6
    rows = [await r.locator("td").all_inner_texts() for r in await notice.locator("tbody tr").all()]
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        ("1", "成都链00page科技有限公司", "CHAIN-page00", "2024-10-09"),
        ("2", "成都链01page科技有限公司", "CHAIN-page01", "2024-10-09"),
    ]
    results = page.locator("#results").locator("xpath=..").locator("table")
    assert await results.locator("tbody tr td:nth-child(2)").all_inner_texts() == ["成都市第0区", "成都市第1区"]
    assert (
        "2024 — Blockchain innovation-application demonstration base"
        in await page.locator("#results").locator("xpath=..").inner_text()
    )


async def test_every_form_control_on_the_page_has_a_label(quota, rounds, page):
    await page.goto(f"{quota.url}/notices")
    controls = await page.locator("form input, form select, form textarea").all()
    assert len(controls) == 4
    for control in controls:
        control_id = await control.get_attribute("id")
        assert await page.locator(f"label[for={control_id}]").count() == 1, control_id


async def test_anyone_can_object_from_the_page_and_the_candidate_shows_as_under_objection(quota, rounds, page):
    await page.goto(f"{quota.url}/notices")
    await page.select_option("#candidate", value=f"2.3-alliance-chain|2024|{rounds[1]}")
    await page.fill("#name", "王芳")
    await page.fill("#contact", "wangfang@example.cn")
    await page.fill("#reason", "该联盟链上链应用数不足 5 个，附公开资料链接。")
    await page.click("button[type=submit]")
    status = page.locator("[role=status]")
    assert "异议已受理" in await status.inner_text()
    second = page.locator("#in-notice").locator("xpath=..").locator("tbody tr").nth(1)
    assert "异议核查中" in await second.inner_text()


async def test_an_objection_refused_by_the_server_is_explained_on_the_page(quota, rounds, page):
    await page.goto(f"{quota.url}/notices")
    await page.select_option("#candidate", value=f"2.3-alliance-chain|2024|{rounds[0]}")
    await page.fill("#name", "王芳")
    await page.fill("#contact", "wangfang@example.cn")
    await page.fill("#reason", " " * 12)  # long enough for the browser; the server wants something to read
    await page.click("button[type=submit]")
    alert = page.locator("[role=alert]")
    said = await alert.inner_text()
    assert "异议无效" in said and "the objection is not valid" in said and "reason" in said
    assert await page.input_value("#name") == "王芳"  # what was typed is kept


async def test_the_page_as_a_person_sees_it(quota, rounds, page, tmp_path_factory):
    """Not an assertion on pixels: a screenshot for a person to look at (kept in $SUBSIDY_SCREENSHOTS if set)."""
    await page.set_viewport_size({"width": 1200, "height": 900})
    await page.goto(f"{quota.url}/notices")
    await assert_chinese_renders(page)  # the screenshot shows Chinese, not boxes
    shot = Path(os.environ.get("SUBSIDY_SCREENSHOTS") or tmp_path_factory.mktemp("screens")) / "notices.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
