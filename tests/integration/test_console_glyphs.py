"""The console is Chinese first: in the browser the tests use, its Chinese is drawn in a CJK font,
never as the empty boxes a browser draws for characters no installed font has. The same browser
with the CJK fonts hidden from it draws boxes, and the check says so: it can fail.

The console is built by its own composition root in this process and its pages are handed to the
browser directly; its sign-in page needs no database."""

import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Route, async_playwright

from services.console.main import create_app
from shared.secretbox import new_key
from shared.settings import Settings
from tests.browser import CHROMIUM, CHROMIUM_ARGS, missing_glyphs

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture(scope="module")
async def console() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        Settings(
            service_name="console",
            database_url="postgresql://nobody@127.0.0.1:1/none",
            kafka_bootstrap_servers="-",
            secrets_key=new_key(),
        )
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console") as client:
        yield client


def without_chinese_fonts(directory: Path) -> Path:
    """A fontconfig file with which fontconfig, and so Chromium, sees every font but those with Chinese."""
    chinese = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=True).stdout
    rejected = "".join(f"<glob>{line.rstrip(': ')}</glob>" for line in chinese.splitlines() if line.strip())
    config = directory / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<cachedir>{directory / 'cache'}</cachedir>"
        f"<selectfont><rejectfont>{rejected}</rejectfont></selectfont></fontconfig>"
    )
    return config


async def drawn(console: httpx.AsyncClient, path: str, fonts: Path | None = None) -> tuple[str, str]:
    """The Chinese characters of a console page, and those drawn as boxes, in a fresh headless Chromium
    (seeing the fonts a fontconfig file gives, if one is)."""
    env: dict[str, str | float | bool] = {**os.environ, **({"FONTCONFIG_FILE": str(fonts)} if fonts else {})}

    async def serve(route: Route) -> None:
        request = route.request
        answer = await console.request(request.method, request.url, headers=request.headers)
        await route.fulfill(status=answer.status_code, headers=dict(answer.headers), body=answer.content)

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env)
        try:
            page = await (await browser.new_context(locale="zh-CN")).new_page()
            await page.route("http://console/**", serve)
            response = await page.goto(f"http://console{path}")
            assert response is not None and response.status == 200
            return await missing_glyphs(page)
        finally:
            await browser.close()


async def test_the_consoles_chinese_is_drawn_in_a_font_that_has_it(console):
    chinese, missing = await drawn(console, "/signin")
    assert set("登录账户名密码。") <= set(chinese)
    assert missing == "", f"drawn as empty boxes: {missing!r} (is fonts-noto-cjk installed? see the Makefile)"


async def test_with_no_chinese_font_the_check_finds_every_character_drawn_as_a_box(console, tmp_path):
    chinese, missing = await drawn(console, "/signin", without_chinese_fonts(tmp_path))
    assert set("登录账户名密码。") <= set(chinese)
    assert set(missing) == set(chinese), set(chinese) - set(missing)
