"""Debian's Chromium driven by Playwright (no browser download: it is apt-installed)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator

from playwright.async_api import Browser, Page, async_playwright

from tests.support.factories import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TIMEOUT = 15_000  # ms: what a page may take to show a change
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


async def log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    """Log in on the pages as ``username`` (every demo account has the same password)."""
    await page.goto(f"{base}/login")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()
