"""Screenshots of the pages for the README, taken from a running demo.

./dev demo &            # wait a minute for the scripted incidents
.venv/bin/python docs/screenshots.py http://127.0.0.1:8000
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from playwright.async_api import Page, async_playwright

FOLDER = Path(__file__).parent
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


async def log_in(page: Page, base: str, username: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill("demo")
    await page.get_by_test_id("login-submit").click()
    await page.wait_for_url(f"{base}/{'family' if username == 'family' else 'console'}")


async def main(base: str) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        context = await browser.new_context(
            viewport={"width": 1366, "height": 800}, timezone_id="Asia/Shanghai", locale="zh-CN"
        )
        desk = await context.new_page()
        await log_in(desk, base, "dispatcher")
        await desk.locator("[data-testid=alert-item]").first.click()
        await desk.wait_for_timeout(1500)
        await desk.screenshot(path=FOLDER / "console.png")
        phone_context = await browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            timezone_id="Asia/Shanghai",
            locale="zh-CN",
        )
        phone = await phone_context.new_page()
        await log_in(phone, base, "family")
        await phone.wait_for_timeout(1500)
        await phone.screenshot(path=FOLDER / "family.png")
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"))
