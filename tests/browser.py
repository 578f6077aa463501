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


A11Y = """() => {
  const named = el => el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
  const controls = [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')];
  return {
    lang: document.documentElement.lang,
    h1: document.querySelectorAll('h1').length,
    unnamed: controls.filter(el => el.tagName === 'BUTTON' ? !el.innerText.trim() : !named(el)).map(el => el.outerHTML),
    unscoped: [...document.querySelectorAll('th')].filter(th => !th.getAttribute('scope')).map(th => th.outerHTML),
    skip: document.querySelector('body > a.skip')?.getAttribute('href'),
  };
}"""

FOCUSED = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  return {tag: el.tagName, outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""


async def assert_accessible(page: Page, url: str) -> None:
    """The page has its language, one heading, named controls, scoped headers, a skip link and a
    visible focus ring on every stop of the keyboard."""
    response = await page.goto(url)
    assert response is not None and response.status == 200, url
    found = await page.evaluate(A11Y)
    assert found["lang"] == "zh-CN", url
    assert found["h1"] == 1, url
    assert found["unnamed"] == [], url
    assert found["unscoped"] == [], url
    assert found["skip"] == "#main", url
    await page.keyboard.press("Tab")  # the first stop is the skip link, and it is visible when focused
    assert await page.evaluate("() => document.activeElement.className") == "skip", url
    for _ in range(12):  # every stop is a control, with a visible focus ring
        focused = await page.evaluate(FOCUSED)
        if focused["tag"] == "BODY":
            break
        assert focused["tag"] in ("A", "BUTTON", "INPUT", "SELECT", "TEXTAREA", "SUMMARY", "PRE"), (url, focused)
        assert focused["outline"] != "none" and focused["width"] >= 2, (url, focused)
        await page.keyboard.press("Tab")
    await page.goto(url)
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # the skip link takes focus to the main content
    assert await page.evaluate("() => document.activeElement.id") == "main", url
