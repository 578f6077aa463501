"""Pages as a person sees them: Debian's chromium driven by Playwright (its own download is
unreachable here), headless, with nothing fetched from elsewhere."""

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, Response, async_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(locale="zh-CN")
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def sign_in(page: Page, console_url: str, name: str, password: str, *, open_page: bool = True) -> Response | None:
    """Signs in to the console through its form, as an official would."""
    if open_page:
        await page.goto(f"{console_url}/signin")
    await page.fill("#name", name)
    await page.fill("#password", password)
    async with page.expect_navigation() as navigation:
        await page.click("form[action='/signin'] button[type=submit]")
    return await navigation.value
