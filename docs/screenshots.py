"""Screenshots of the pages for the README, taken from a running demo.

./dev demo &            # wait a minute for the scripted incidents
.venv/bin/python docs/screenshots.py http://127.0.0.1:8000

Writes console.png (desk), family.png (phone) and admin.png (desk), and each page at a
phone's, a tablet's and a desk's width: <page>-390.png, <page>-768.png, <page>-1440.png
(tests/api/test_browser_layout.py measures the same widths).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

FOLDER = Path(__file__).parent
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTHS = (390, 768, 1440)
HEIGHT = {390: 844, 768: 1024, 1440: 900}
LANDING = {"family": "family", "admin": "admin"}
# The demo's admin password: the demo prints it; ELDERCARE_ADMIN_PASSWORD when it was set.
ADMIN_PASSWORD = os.environ.get("ELDERCARE_ADMIN_PASSWORD", "demo")


async def log_in(page: Page, base: str, username: str, password: str = "demo") -> None:
    await page.goto(f"{base}/login")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()
    await page.wait_for_url(f"{base}/{LANDING.get(username, 'console')}")


async def page_at(browser: Browser, width: int, height: int, scale: float = 1) -> Page:
    context = await browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=scale,
        timezone_id="Asia/Shanghai",
        locale="zh-CN",
    )
    return await context.new_page()


async def console(browser: Browser, base: str, width: int, height: int) -> Page:
    desk = await page_at(browser, width, height)
    await log_in(desk, base, "dispatcher")
    for _ in range(5):  # the queue redraws as the demo's frames arrive: click until it opens
        await desk.locator("[data-testid=alert-item]").first.click()
        with contextlib.suppress(PlaywrightTimeout):
            await desk.get_by_test_id("card-kind").wait_for(timeout=3000)
            break
    await desk.wait_for_timeout(1500)
    return desk


async def family(browser: Browser, base: str, width: int, height: int) -> Page:
    phone = await page_at(browser, width, height, scale=2 if width < 500 else 1)
    await log_in(phone, base, "family")
    await phone.wait_for_timeout(1500)
    return phone


async def admin(browser: Browser, base: str, width: int, height: int) -> Page:
    desk = await page_at(browser, width, height)
    await log_in(desk, base, "admin", ADMIN_PASSWORD)
    await desk.get_by_test_id("tab-homes").click()
    await desk.wait_for_timeout(1000)
    return desk


PAGES = {"console": console, "family": family, "admin": admin}


async def main(base: str) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        await (await console(browser, base, 1366, 800)).screenshot(path=FOLDER / "console.png")
        await (await family(browser, base, 390, 844)).screenshot(path=FOLDER / "family.png")
        for name, open_page in PAGES.items():
            for width in WIDTHS:
                page = await open_page(browser, base, width, HEIGHT[width])
                await page.screenshot(path=FOLDER / f"{name}-{width}.png")
                await page.context.close()
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"))
