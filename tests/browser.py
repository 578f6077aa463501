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


# Every Chinese character on the page (Han, and CJK punctuation), drawn in the font its element has,
# beside a character no font has (U+0378, unassigned): where the two are drawn alike, or nothing is
# drawn, the page shows an empty box for it.
MISSING_GLYPHS = """() => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 64;
  const g = canvas.getContext('2d', {willReadFrequently: true});
  const drawn = (font, text) => {
    g.clearRect(0, 0, 64, 64);
    g.font = font;
    g.textBaseline = 'top';
    g.fillText(text, 4, 4);
    return g.getImageData(0, 0, 64, 64).data.join(',');
  };
  const blank = drawn('16px sans-serif', '');
  const chinese = new Set(), missing = new Set(), seen = new Set();
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = texts.nextNode(); node; node = texts.nextNode()) {
    const font = getComputedStyle(node.parentElement).font;
    for (const c of node.data.match(/[\\p{Script=Han}\\u3001-\\u303f\\uff01-\\uff5e]/gu) || []) {
      if (seen.has(font + c)) continue;
      seen.add(font + c);
      chinese.add(c);
      const glyph = drawn(font, c);
      if (glyph === drawn(font, '\\u0378') || glyph === blank) missing.add(c);
    }
  }
  return {chinese: [...chinese].join(''), missing: [...missing].join('')};
}"""


async def missing_glyphs(page: Page) -> tuple[str, str]:
    """The Chinese characters on the page, and those of them drawn as an empty box."""
    found = await page.evaluate(MISSING_GLYPHS)
    return found["chinese"], found["missing"]


async def assert_chinese_renders(page: Page) -> None:
    """Every Chinese character on the page is drawn with a glyph of its own."""
    _, missing = await missing_glyphs(page)
    assert not missing, f"{page.url}: no font draws {missing!r} (is fonts-noto-cjk installed? see the Makefile)"


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
    await assert_chinese_renders(page)
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
